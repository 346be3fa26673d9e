import { describe, expect, it } from 'vitest';
import { parseConfig } from '@vigil/runtime';
import { runParams } from '../../apps/supervisor/src/experiments/experiments.js';
import { barCount, syntheticBars } from '../../apps/supervisor/src/experiments/klines.js';
import run, { share, type ExperimentTask } from '../../apps/supervisor/src/experiments/task.js';

// share() is what each experiment worker runs: it takes task indexes from a counter the workers
// share. Called here in one thread, with the counter set as another worker would leave it.
const data = syntheticBars({ seed: 3, bars: 2_000, start_ms: Date.UTC(2026, 0, 1), bar_ms: 60_000, price: 64_000, vol_bps: 8 });
const c = parseConfig({ strategy: { win_rate_prior: '0.5', take_profit_r: '2' } });
if (!c.ok) throw new Error('config');
const params = runParams(c.config);
const n = barCount(data);
const plan: ExperimentTask[] = [0, 400, 800, 1200, 1600].map((from) => ({ data, from, to: Math.min(n, from + 400), params }));
const counters = (start: number) => {
  const next = new Int32Array(new SharedArrayBuffer(4));
  next[0] = start;
  return { next, finished: new Int32Array(new SharedArrayBuffer(4 * plan.length)) };
};

describe('experiments: the shared task counter', () => {
  it('takes only the indexes no other worker took, each once, marks each finished, and returns what run() returns for it', () => {
    const s = counters(2); // indexes 0 and 1 already taken by another worker
    const got = share({ tasks: plan, ...s });
    expect(got.map((g) => g.k)).toEqual([2, 3, 4]);
    expect([...s.finished]).toEqual([0, 0, 1, 1, 1]);
    for (const g of got) expect(g.result).toEqual(run(plan[g.k]!));
    expect(share({ tasks: plan, ...s })).toEqual([]); // nothing left for a later worker
  });

  it('a task that throws moves the counter past the end (the other workers stop at their next take) and the error reaches the caller', () => {
    const broken = plan.map((t, k) => (k === 1 ? { ...t, params: { ...params, rules: undefined as unknown as ExperimentTask['params']['rules'] } } : t));
    const s = counters(0);
    expect(() => share({ tasks: broken, ...s })).toThrow();
    expect(s.next[0]).toBeGreaterThanOrEqual(plan.length);
    expect([...s.finished]).toEqual([1, 0, 0, 0, 0]);
    expect(share({ tasks: broken, ...s })).toEqual([]);
  });
});
