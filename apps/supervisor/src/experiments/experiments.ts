import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import type { Config } from '@vigil/contracts';
import { formatConfigError, parseConfig } from '@vigil/runtime';
import { parseKlineCsv, runBacktest, type BacktestBar } from '@vigil/engine/backtest';
import { htmlReport } from './html-report.js';
import { packBars, type ExperimentTask } from './task.js';
import { liveSupervisorPid } from '../run-lock.js';

/**
 * `supervisor experiments`: offline evaluation of the engine's strategy over kline CSV files:
 * a parameter grid, each set run in-sample (first 70 %) and out-of-sample (the rest), in parallel
 * over a piscina pool. Refuses to run while a supervisor runs Live on the same var/.
 */
export interface ExperimentsOptions {
  readonly config: Config;
  readonly varDir: string;
  readonly files: readonly string[];
  readonly grid: Readonly<Record<string, readonly (string | number)[]>>;
  readonly threads?: number;
  readonly out?: string;
  readonly spread_bps?: number;
  readonly progress?: (done: number, total: number, etaMs: number) => void;
}

export interface ExperimentRow {
  readonly file: string;
  readonly params: Readonly<Record<string, string | number>>;
  readonly split: 'in_sample' | 'out_of_sample';
  readonly return_pct: number;
  readonly sharpe: number;
  readonly sortino: number;
  readonly max_drawdown_pct: number;
  readonly win_rate: number;
  readonly trades: number;
  readonly fees: number;
  readonly exposure: number;
}

export const DEFAULT_GRID = { lookback_bars: [10, 20, 40], stop_vol_mult: ['1.5', '2', '3'], take_profit_r: ['1.5', '2', '3'] } as const;

export async function runExperiments(
  o: ExperimentsOptions,
): Promise<{ ok: true; rows: ExperimentRow[]; dir: string; ms: number } | { ok: false; code: 'LIVE_RUNNING'; message: string }> {
  const pid = liveSupervisorPid(o.varDir);
  if (pid !== null)
    return { ok: false, code: 'LIVE_RUNNING', message: `a supervisor (pid ${pid}) runs Live on ${o.varDir}: experiments never run beside Live execution` };
  const t0 = Date.now();
  const sets = expand(o.grid);
  const tasks: { task: ExperimentTask; file: string; params: Record<string, string | number>; split: ExperimentRow['split'] }[] = [];
  const data = new Map<string, BacktestBar[]>();
  for (const f of o.files) {
    const parsed = parseKlineCsv(readFileSync(resolve(f), 'utf8'));
    data.set(f, parsed);
    const bars = packBars(parsed);
    const n = parsed.length;
    const cut = Math.floor(n * 0.7);
    for (const params of sets) {
      // Every parameter set passes the same validation as a Live configuration.
      const v = parseConfig({ strategy: { ...o.config.strategy, ...params } });
      if (!v.ok) throw new Error(`parameter set ${JSON.stringify(params)}: ${formatConfigError(v.error)}`);
      const strategy = v.config.strategy;
      for (const [split, from, to] of [
        ['in_sample', 0, cut],
        ['out_of_sample', cut, n],
      ] as const) {
        tasks.push({ task: { bars, from, to, strategy, risk: o.config.risk, spread_bps: o.spread_bps ?? 1, initial_quote: 10_000 }, file: f, params, split });
      }
    }
  }
  // The compiled task, whether this module runs from dist/ or (under the test runner) from src/.
  const pool = new Piscina({
    filename: new URL('../../dist/experiments/task.js', import.meta.url).href,
    maxThreads: Math.max(1, o.threads ?? availableParallelism()),
    minThreads: Math.max(1, o.threads ?? availableParallelism()),
  });
  let done = 0;
  try {
    const results = await Promise.all(
      tasks.map(async (t) => {
        const m = await pool.run(t.task);
        done++;
        const elapsed = Date.now() - t0;
        o.progress?.(done, tasks.length, (elapsed / done) * (tasks.length - done));
        return { file: t.file, params: t.params, split: t.split, ...pick(m) };
      }),
    );
    const dir = o.out ?? join(o.varDir, 'experiments', new Date().toISOString().replace(/[:.]/g, '-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'report.json'), JSON.stringify({ files: o.files, grid: o.grid, rows: results }, null, 2));
    writeFileSync(join(dir, 'report.csv'), toCsv(results));
    // The best out-of-sample set, re-run here over its whole file for the charts.
    const best = results.filter((r) => r.split === 'out_of_sample' && r.trades > 0).sort((a, b) => b.sharpe - a.sharpe)[0] ?? null;
    const bars = best ? (data.get(best.file) ?? []) : [];
    const strategy = best ? parseConfig({ strategy: { ...o.config.strategy, ...best.params } }) : null;
    const run =
      best && strategy?.ok
        ? runBacktest(bars, { strategy: strategy.config.strategy, risk: o.config.risk, spread_bps: o.spread_bps ?? 1, initial_quote: 10_000 })
        : null;
    writeFileSync(join(dir, 'report.html'), htmlReport({ rows: results, best, bars, run, files: o.files }));
    return { ok: true, rows: results, dir, ms: Date.now() - t0 };
  } finally {
    await pool.destroy();
  }
}

function pick(m: Record<string, number>): Omit<ExperimentRow, 'file' | 'params' | 'split'> {
  return {
    return_pct: m['return_pct']!,
    sharpe: m['sharpe']!,
    sortino: m['sortino']!,
    max_drawdown_pct: m['max_drawdown_pct']!,
    win_rate: m['win_rate']!,
    trades: m['trades']!,
    fees: m['fees']!,
    exposure: m['exposure']!,
  };
}

function expand(grid: Readonly<Record<string, readonly (string | number)[]>>): Record<string, string | number>[] {
  let sets: Record<string, string | number>[] = [{}];
  for (const [k, values] of Object.entries(grid)) sets = sets.flatMap((s) => values.map((v) => ({ ...s, [k]: v })));
  return sets;
}

function toCsv(rows: readonly ExperimentRow[]): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  const head = ['file', ...keys, 'split', 'return_pct', 'sharpe', 'sortino', 'max_drawdown_pct', 'win_rate', 'trades', 'fees', 'exposure'];
  const lines = rows.map((r) =>
    [
      r.file,
      ...keys.map((k) => String(r.params[k] ?? '')),
      r.split,
      r.return_pct,
      r.sharpe,
      r.sortino,
      r.max_drawdown_pct,
      r.win_rate,
      r.trades,
      r.fees,
      r.exposure,
    ].join(','),
  );
  return `${head.join(',')}\n${lines.join('\n')}\n`;
}
