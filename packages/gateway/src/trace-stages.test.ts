import { describe, expect, it } from 'vitest';
import { traceStages } from './order-desk.js';

describe('traceStages', () => {
  it('gives each mark its distance from the one before, from the market event to the request leaving, without the model time', () => {
    const t0 = 1_000_000;
    const stages = traceStages(
      {
        tick_ts_ms: t0,
        excluded_ms: 40,
        marks: { engine_rx: t0 + 0.5, cycle: t0 + 0.75, decision: t0 + 1.5, gate: t0 + 43, commit_req: t0 + 44, commit_ack: t0 + 50 },
      },
      t0 + 50.25,
      t0 + 51,
    );
    expect(stages).toEqual({ engine_rx: 0.5, cycle: 0.25, decision: 0.75, gate: 1.5, commit_req: 1, commit_ack: 6, gateway_rx: 0.25, sent: 0.75 });
    expect(Object.values(stages).reduce((a, b) => a + b, 0)).toBeCloseTo(51 - 40, 6);
  });
});
