import { BAR_FIELDS, F } from './klines.js';
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
