import { describe, expect, it } from 'vitest';
import { StageReports, type StageReport } from './stage-reports.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const at = (stage: StageReport['stage'], ts_ms: number): StageReport => ({ type: 'stage', stage, cycle_id: 1, ts_ms });

describe('stage reports', () => {
  it('sends nothing during the turn that reported, then every report of the turn in order with its own time', async () => {
    const sent: StageReport[] = [];
    const r = new StageReports((x) => sent.push(x));
    r.report(at('MARKET_SNAPSHOT', 1));
    r.report(at('STRATEGY_PROPOSE', 2));
    r.report(at('IDLE', 3));
    expect(sent).toEqual([]);
    await turn();
    expect(sent).toEqual([at('MARKET_SNAPSHOT', 1), at('STRATEGY_PROPOSE', 2), at('IDLE', 3)]);
  });

  it('flush sends what is queued at once and nothing twice', async () => {
    const sent: StageReport[] = [];
    const r = new StageReports((x) => sent.push(x));
    r.report(at('EXECUTE', 5));
    r.flush();
    expect(sent).toEqual([at('EXECUTE', 5)]);
    await turn();
    expect(sent).toEqual([at('EXECUTE', 5)]);
    r.report(at('SHUTDOWN', 6));
    await turn();
    expect(sent).toEqual([at('EXECUTE', 5), at('SHUTDOWN', 6)]);
  });
});
