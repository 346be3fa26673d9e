import { BAR_FIELDS, barCount, F, syntheticBars } from './klines.js';
import { runExperiment, type RunMetrics, type RunParams, type RunResult } from './runner.js';

/**
 * One experiment on a piscina worker. `data` is the SharedArrayBuffer-backed bar array every
 * worker reads in place (structured clone shares it, nothing is copied per task).
 */
export interface ExperimentTask {
  readonly data: Float64Array;
  readonly from: number;
  readonly to: number;
  readonly params: Omit<RunParams, 'record'>;
}

export interface TaskResult {
  readonly metrics: RunMetrics;
  readonly equity: RunResult['equity'];
}

export default function run(t: ExperimentTask): TaskResult {
  const r = runExperiment(t.data, t.from, t.to, t.params);
  return { metrics: r.metrics, equity: r.equity };
}

/** One run with everything it returns (trades included): the report's charts of the best set. */
export function whole(t: ExperimentTask): RunResult {
  return runExperiment(t.data, t.from, t.to, t.params);
}

/**
 * A worker's part of a whole run: the plan (longest task first), and two shared counters. Each
 * worker takes the next task index itself, so that no worker waits for the main thread between two
 * tasks (with a task per message it did, at every task, on a machine whose cores the workers keep
 * busy).
 */
export interface ShareTask {
  readonly tasks: readonly ExperimentTask[];
  /** [0]: the next index to take. A worker whose task throws sets it past the end: the others stop at their next take. */
  readonly next: Int32Array;
  /** finished[k] becomes 1 when task k is done: the caller's progress, without a message per task. */
  readonly finished: Int32Array;
}

export interface ShareResult {
  readonly k: number;
  readonly result: TaskResult;
}

export function share(s: ShareTask): ShareResult[] {
  const out: ShareResult[] = [];
  for (;;) {
    const k = Atomics.add(s.next, 0, 1);
    const t = s.tasks[k];
    if (t === undefined) return out;
    try {
      out.push({ k, result: run(t) });
    } catch (e) {
      Atomics.store(s.next, 0, s.tasks.length);
      throw e;
    }
    Atomics.store(s.finished, k, 1);
  }
}

/** What a warm-up runs: the run's own parameters over this many synthetic 1-minute bars. */
export interface WarmTask {
  readonly params: Omit<RunParams, 'record'>;
  readonly bars: number;
}

/**
 * A fresh worker's JIT warm-up, run while the caller still parses its files: the run's code over
 * synthetic bars with the run's own parameter shapes, so that the code is compiled, its early
 * deoptimizations spent and the young generation grown before the first real task. The result is
 * thrown away; what the real tasks return does not depend on it (runExperiment keeps no state
 * between calls).
 */
export function warm(t: WarmTask): number {
  const data = syntheticBars({ seed: 7, bars: t.bars, start_ms: Date.UTC(2026, 0, 1), bar_ms: 60_000, price: 64_000, vol_bps: 8 });
  return runExperiment(data, 0, barCount(data), t.params).metrics.steps;
}

/**
 * The floor any run pays (the benchmark's baseline): every candle of the range read from the
 * shared array and marked to market, with the same running statistics, and nothing decided.
 */
export function floor(t: Pick<ExperimentTask, 'data' | 'from' | 'to'>): { readonly candles: number; readonly checksum: number } {
  let peak = 0;
  let mdd = 0;
  let sum = 0;
  let prev = 0;
  for (let i = t.from; i < t.to; i++) {
    const close = t.data[i * BAR_FIELDS + F.close] ?? 0;
    if (prev > 0) sum += close / prev - 1;
    prev = close;
    if (close > peak) peak = close;
    const dd = peak > 0 ? (peak - close) / peak : 0;
    if (dd > mdd) mdd = dd;
  }
  return { candles: t.to - t.from, checksum: sum + mdd };
}
