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
