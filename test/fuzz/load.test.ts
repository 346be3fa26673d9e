import { describe, expect, it } from 'vitest';
import { runLoad, slopePerMin } from '../../scripts/soak.ts';

/**
 * The reduced `npm run soak -- --load`: the trading bot with market data at 10x the harness rate
 * (10 ms ticks) and, on top, bursts from the supervisor's producer into a writer queue shrunk to
 * 100 events. Asserts the accounting, not timing: every event a producer counted as sent is a DB
 * row or a counted writer drop with its alert; the writer's pressure reasons were recorded.
 */
describe('load: zero silent audit loss at 10x market data', () => {
  it('sent == committed + dropped, committed == rows, drops alerted, no duplicates or seq gaps', async () => {
    const r = await runLoad({ seconds: 6, tickMs: 10, pressure: true, progress: false });
    expect(r.producers['engine']?.sent).toBeGreaterThan(0);
    expect(r.producers['gateway']?.sent).toBeGreaterThan(0);
    expect(r.burst_events).toBeGreaterThan(0);
    expect(r.silent_loss).toBe(0);
    expect(r.writer.committed_total + r.writer.dropped_total).toBeGreaterThanOrEqual(r.sent);
    expect(r.writer.committed_total + r.writer.dropped_total).toBeLessThanOrEqual(r.sent + r.slack);
    expect(r.db_rows).toBe(r.writer.committed_total);
    if (r.writer.dropped_total + r.client_dropped > 0) expect(r.drop_alerts).toBeGreaterThan(0);
    // The shrunk queue must have left OK at least once, and its reason is in the audit.
    expect(
      r.writer_transitions.some((t) => t.event_type === 'REASON_RAISED' && (t.reason_code === 'DB_WRITER_QUEUE_HIGH' || t.reason_code === 'DB_WRITER_DROPPED')),
    ).toBe(true);
    expect(r.checks).toEqual({ sent_accounted: true, db_matches_writer: true, drops_alerted: true, nothing_held: true });
    expect(r.integrity.checks).toEqual({ no_duplicates: true, no_gaps: true, intents_derived: true });
    expect(r.ok).toBe(true);
  }, 90_000);

  it('the soak slope is a least-squares fit in units per minute', () => {
    expect(
      slopePerMin([
        { t_ms: 0, v: 10 },
        { t_ms: 60_000, v: 20 },
        { t_ms: 120_000, v: 30 },
      ]),
    ).toBeCloseTo(10);
    expect(
      slopePerMin([
        { t_ms: 0, v: 5 },
        { t_ms: 30_000, v: 5 },
      ]),
    ).toBe(0);
  });
});
