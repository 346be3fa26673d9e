import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import type { Config, SymbolRules } from '@vigil/contracts';
import { SIM_BTCUSDT_RULES } from '@vigil/core';
import { formatConfigError, parseConfig } from '@vigil/runtime';
import { htmlReport } from './html-report.js';
import { barCount, parseKlineCsv } from './klines.js';
import { checkGrid, MAX_THREADS, type InputCode } from './inputs.js';
import type { GateVerdicts, RunParams, RunResult } from './runner.js';
import type { ExperimentTask, ShareResult, ShareTask, TaskResult, WarmTask } from './task.js';
import { liveSupervisorPid } from '../run-lock.js';

/**
 * `supervisor experiments`: Live's decision code and the lifecycle step over kline CSV files,
 * against the venue's matching rules (runner.ts): a parameter grid, each set run in-sample (first
 * 70 %) and out-of-sample (the rest), in parallel over a piscina pool that shares the bars (one
 * SharedArrayBuffer per file). Refuses to run while a supervisor runs Live on the same var/.
 */
export interface ExperimentsOptions {
  readonly config: Config;
  readonly varDir: string;
  readonly files: readonly string[];
  readonly grid: Readonly<Record<string, readonly (string | number)[]>>;
  readonly threads?: number;
  readonly out?: string;
  readonly spread_bps?: number;
  /** The AI gate's verdicts (default: every decision allowed; see runner.ts GateVerdicts). */
  readonly gate?: GateVerdicts;
  /** The symbol's exchange rules the decisions are quantized and the orders filtered by. */
  readonly rules?: SymbolRules;
  readonly initial_quote?: string;
  /** Candles done of the total, after each finished task. */
  readonly progress?: (doneCandles: number, totalCandles: number, etaMs: number) => void;
  /**
   * Workers already started (createExperimentPool), reused and left running: a caller running
   * several experiments pays the workers' start (module load, JIT warm-up) once. `threads` is then
   * the pool's.
   */
  readonly pool?: Piscina;
  /**
   * Synthetic bars each fresh worker runs first, while this thread parses the files (default
   * warmBarsFor: at most WARM_BARS, a tenth of a worker's share; 0: none). Not run on a caller's
   * pool (its workers are warm already).
   */
  readonly warm_bars?: number;
}

/**
 * A fresh worker's first tens of thousands of candles run in the interpreter and baseline code
 * while the optimizing compiler, on threads every worker shares with the others, catches up
 * (NOTES-expcold.md: on 2 threads the two workers' compilations and their deoptimization rounds
 * compete with the workers themselves). Spent on synthetic bars during the parse instead.
 */
export const WARM_BARS = 20_000;

/** How often a run with a progress callback reads the workers' shared "finished" flags. */
const PROGRESS_MS = 100;

/**
 * The default warm-up: WARM_BARS, but never more than a tenth of a worker's share of the candles
 * (estimated from the files' sizes: a Binance kline line is 70-130 bytes, 64 over-counts the bars),
 * and none below 1 000 bars, where a small run would pay more for it than it saves.
 */
export function warmBarsFor(fileBytes: number, sets: number, threads: number): number {
  const share = ((fileBytes / 64) * sets) / Math.max(1, threads);
  const bars = Math.min(WARM_BARS, Math.floor(share / 10));
  return bars >= 1_000 ? bars : 0;
}

/**
 * The worker pool experiments run on. Its workers start at once (minThreads) and load the task
 * module while the caller does other work (runExperiments parses the CSV files meanwhile).
 */
export function createExperimentPool(threads: number): Piscina {
  const n = Math.max(1, Math.floor(threads));
  // The compiled task's bundle (scripts/worker-bundles.ts), whether this module runs from dist/ or
  // (under the test runner) from src/: one file to load in each new worker, not some sixty.
  return new Piscina({ filename: new URL('../../dist/experiments/task.bundle.mjs', import.meta.url).href, maxThreads: n, minThreads: n });
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
  readonly blocked_edge: number;
  readonly blocked_cost: number;
  readonly blocked_gate: number;
  readonly blocked_risk: number;
  /** Sampled equity (quote) and drawdown from the running peak (%, <= 0), per bar time. */
  readonly equity: readonly { readonly ts: number; readonly equity: number; readonly drawdown_pct: number }[];
}

/** A refusal of the run's inputs (grid, threads, data files): its reason code and what was wrong. */
export class ExperimentsInputError extends Error {
  constructor(
    readonly code: InputCode,
    message: string,
  ) {
    super(message);
    this.name = 'ExperimentsInputError';
  }
}

export const DEFAULT_GRID = { lookback_bars: [10, 20, 40], stop_vol_mult: ['1.5', '2', '3'], take_profit_r: ['1.5', '2', '3'] } as const;

/** The experiments' default symbol: BTCUSDT as the simulator lists it (tick 0.01, lot 0.00001, notional 5..9 M, trailing 10..2000 bps). */
export const EXPERIMENT_RULES: SymbolRules = SIM_BTCUSDT_RULES;

/**
 * One run's parameters: the configuration's risk and engine sections with `strategy` (default: the
 * configuration's), on the experiments' defaults (BTCUSDT as the simulator lists it, 1 bps spread,
 * 10 000 quote, every decision allowed) unless given.
 */
export function runParams(
  config: Config,
  strategy: Config['strategy'] = config.strategy,
  o: Pick<ExperimentsOptions, 'rules' | 'spread_bps' | 'initial_quote' | 'gate'> = {},
): Omit<RunParams, 'record'> {
  const rules = o.rules ?? EXPERIMENT_RULES;
  return {
    symbol: rules.symbol,
    strategy,
    risk: config.risk,
    engine: config.engine,
    rules,
    spread_bps: o.spread_bps ?? 1,
    initial_quote: o.initial_quote ?? '10000',
    gate: o.gate ?? { kind: 'ALLOW_ALL' },
  };
}

type Planned = { task: ExperimentTask; file: string; params: Record<string, string | number>; split: ExperimentRow['split'] };

export async function runExperiments(o: ExperimentsOptions): Promise<
  | {
      ok: true;
      rows: ExperimentRow[];
      dir: string;
      /** Wall time of the whole command, and of the pool phase alone (every candle through the workers). */
      ms: number;
      pool_ms: number;
      /** CPU time of this process (all threads) during the pool phase. */
      pool_cpu_ms: number;
      candles: number;
    }
  | { ok: false; code: 'LIVE_RUNNING'; message: string }
> {
  const pid = liveSupervisorPid(o.varDir);
  if (pid !== null)
    return { ok: false, code: 'LIVE_RUNNING', message: `a supervisor (pid ${pid}) runs Live on ${o.varDir}: experiments never run beside Live execution` };
  const grid = checkGrid(o.grid);
  if (!grid.ok) throw new ExperimentsInputError(grid.code, grid.message);
  if (o.threads !== undefined && !(Number.isInteger(o.threads) && o.threads >= 1 && o.threads <= MAX_THREADS))
    throw new ExperimentsInputError('EXPERIMENTS_THREADS_INVALID', `threads ${o.threads} is not a whole number from 1 to ${MAX_THREADS}`);
  const t0 = Date.now();
  // The report directory first: one that cannot be made refuses the run before any work, and a
  // directory this run made is removed again if the run fails before writing anything into it.
  const dir = o.out ?? join(o.varDir, 'experiments', new Date(t0).toISOString().replace(/[:.]/g, '-'));
  let made: string | undefined;
  try {
    made = mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ExperimentsInputError('EXPERIMENTS_OUT_INVALID', `report directory ${dir}: ${(e as Error).message}`);
  }
  // Started first: the workers boot and load their modules while this thread parses the files.
  const pool = o.pool ?? createExperimentPool(o.threads ?? availableParallelism());
  try {
    const bytes = o.files.reduce((a, f) => a + fileSize(f), 0);
    const warmBars = o.pool ? 0 : (o.warm_bars ?? warmBarsFor(bytes, expand(o.grid).length, pool.options.maxThreads));
    return await runOnPool(o, pool, t0, warmBars, dir);
  } catch (e) {
    if (made !== undefined) removeIfEmpty(dir, made);
    throw e;
  } finally {
    if (!o.pool) await pool.destroy();
  }
}

/** Removes `dir` and its parents up to `top` (the first one this run made) while they are empty. */
function removeIfEmpty(dir: string, top: string): void {
  try {
    for (let d = resolve(dir); ; d = dirname(d)) {
      if (readdirSync(d).length > 0) return;
      rmdirSync(d);
      if (d === resolve(top) || dirname(d) === d) return;
    }
  } catch {
    // Left in place: an empty directory is harmless, and the run's own error is what to report.
  }
}

/** Each report file whole or absent: written beside its name, then renamed over it. */
function writeWhole(file: string, text: string): void {
  const tmp = `${file}.partial`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

type RunOutcome = Extract<Awaited<ReturnType<typeof runExperiments>>, { ok: true }>;

async function runOnPool(o: ExperimentsOptions, pool: Piscina, t0: number, warmBars: number, dir: string): Promise<RunOutcome> {
  const sets = expand(o.grid);
  const tasks: Planned[] = [];
  const data = new Map<string, Float64Array>();
  const base = (strategy: Config['strategy']): Omit<RunParams, 'record'> => runParams(o.config, strategy, o);
  // Every parameter set passes the same validation as a Live configuration.
  const strategies = sets.map((params) => {
    const v = parseConfig({ strategy: { ...o.config.strategy, ...params } });
    if (!v.ok) throw new ExperimentsInputError('EXPERIMENTS_GRID_INVALID', `parameter set ${JSON.stringify(params)}: ${formatConfigError(v.error)}`);
    return v.config.strategy;
  });
  // One warm-up per worker, queued before any real task: each idle worker takes one (a busy worker
  // takes nothing more), and runs it while this thread parses.
  const first = strategies[0];
  const warming =
    warmBars > 0 && first
      ? Array.from(
          { length: pool.options.maxThreads },
          () => pool.run({ params: base(first), bars: warmBars } satisfies WarmTask, { name: 'warm' }) as Promise<number>,
        )
      : [];
  const warmed = Promise.all(warming);
  // Awaited after the real tasks; observed now, so that a parse error (the pool then destroyed under it) is no unhandled rejection.
  warmed.catch(() => undefined);
  for (const f of o.files) {
    // Loaded once into shared memory: every worker reads the same bytes.
    let bars: Float64Array;
    try {
      bars = parseKlineCsv(readDataFile(f));
    } catch (e) {
      throw new ExperimentsInputError('EXPERIMENTS_DATA_INVALID', `${f}: ${(e as Error).message}`);
    }
    if (barCount(bars) === 0) throw new ExperimentsInputError('EXPERIMENTS_DATA_INVALID', `${f}: no kline rows`);
    data.set(f, bars);
    const n = barCount(bars);
    const cut = Math.floor(n * 0.7);
    for (const [j, params] of sets.entries()) {
      const strategy = strategies[j];
      if (!strategy) continue;
      for (const [split, from, to] of [
        ['in_sample', 0, cut],
        ['out_of_sample', cut, n],
      ] as const) {
        tasks.push({ task: { data: bars, from, to, params: base(strategy) }, file: f, params, split });
      }
    }
  }
  const total = tasks.reduce((a, t) => a + (t.task.to - t.task.from), 0);
  const p0 = Date.now();
  const c0 = process.cpuUsage();
  // Longest first, so that no thread is left with a long task while the other idles at the end;
  // the rows keep the plan's order. Each worker takes the next task from a shared counter.
  const order = tasks.map((_, k) => k).sort((a, b) => span(tasks[b]) - span(tasks[a]));
  const plan = order.map((k) => tasks[k]?.task).filter((t): t is ExperimentTask => t !== undefined);
  const next = new Int32Array(new SharedArrayBuffer(4));
  const finished = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, plan.length)));
  const shares = Array.from(
    { length: pool.options.maxThreads },
    () => pool.run({ tasks: plan, next, finished } satisfies ShareTask, { name: 'share' }) as Promise<ShareResult[]>,
  );
  let shown = -1;
  const report = (): void => {
    let done = 0;
    for (let j = 0; j < plan.length; j++) if (Atomics.load(finished, j) === 1) done += span(tasks[order[j] ?? -1]);
    if (done === shown || done === 0) return;
    shown = done;
    const elapsed = Date.now() - t0;
    o.progress?.(done, total, (elapsed / done) * (total - done));
  };
  const ticker = o.progress ? setInterval(report, PROGRESS_MS) : null;
  let got: ShareResult[][];
  try {
    got = await Promise.all(shares);
  } finally {
    if (ticker) clearInterval(ticker);
  }
  report();
  const byTask = new Map<number, TaskResult>();
  for (const part of got) for (const { k, result } of part) byTask.set(order[k] ?? -1, result);
  const results = tasks.map((t, k): ExperimentRow => {
    const m = byTask.get(k);
    // Every index is taken exactly once (the counter), so a missing one is a fault, never a row left out.
    if (!m) throw new Error(`experiment task ${k} returned no result`);
    const x = m.metrics;
    return {
      file: t.file,
      params: t.params,
      split: t.split,
      return_pct: x.return_pct,
      sharpe: x.sharpe,
      sortino: x.sortino,
      max_drawdown_pct: x.max_drawdown_pct,
      win_rate: x.win_rate,
      trades: x.trades,
      fees: x.fees,
      exposure: x.exposure,
      blocked_edge: x.blocked_edge,
      blocked_cost: x.blocked_cost,
      blocked_gate: x.blocked_gate,
      blocked_risk: x.blocked_risk,
      equity: m.equity,
    };
  });
  // A failed warm-up is a fault of the run's own code: reported, never skipped.
  await warmed;
  const poolMs = Date.now() - p0;
  const cpu = process.cpuUsage(c0);
  const gate = o.gate ?? { kind: 'ALLOW_ALL' };
  // The best out-of-sample set, re-run over its whole file for the charts (equity, drawdown, trades):
  // on a worker, whose code is compiled and warm by now (this thread would run it cold).
  const best = results.filter((r) => r.split === 'out_of_sample' && r.trades > 0).sort((a, b) => b.sharpe - a.sharpe)[0] ?? null;
  const bars = best ? data.get(best.file) : undefined;
  const strategy = best ? parseConfig({ strategy: { ...o.config.strategy, ...best.params } }) : null;
  const run =
    best && bars && strategy?.ok
      ? ((await pool.run(
          { data: bars, from: 0, to: barCount(bars), params: { ...base(strategy.config.strategy), equity_points: 1500 } } satisfies ExperimentTask,
          { name: 'whole' },
        )) as RunResult)
      : null;
  // Written only now, every figure computed: a run that failed before leaves no report behind.
  writeWhole(
    join(dir, 'report.json'),
    JSON.stringify({ files: o.files, grid: o.grid, gate: gate.kind, rules: (o.rules ?? EXPERIMENT_RULES).symbol, rows: results }, null, 2),
  );
  writeWhole(join(dir, 'report.csv'), toCsv(results));
  writeWhole(join(dir, 'equity.csv'), equityCsv(results));
  writeWhole(join(dir, 'report.html'), htmlReport({ rows: results, best, bars: bars ?? null, run, files: o.files, gate: gate.kind }));
  return { ok: true, rows: results, dir, ms: Date.now() - t0, pool_ms: poolMs, pool_cpu_ms: (cpu.user + cpu.system) / 1000, candles: total };
}

/** A JavaScript string holds at most about 512 M characters; a kline file is read as one. */
export const MAX_DATA_FILE_BYTES = 512 * 1024 * 1024;

/** A data file's text: a regular file only (a device or a FIFO would never end), within the cap. */
function readDataFile(f: string): string {
  const st = statSync(resolve(f));
  if (!st.isFile()) throw new Error('not a regular file');
  if (st.size > MAX_DATA_FILE_BYTES) throw new Error(`${st.size} bytes, more than ${MAX_DATA_FILE_BYTES} (split the file)`);
  return readFileSync(resolve(f), 'utf8');
}

/** 0 for a file that cannot be read: the parse reports it. */
function fileSize(f: string): number {
  try {
    return statSync(resolve(f)).size;
  } catch {
    return 0;
  }
}

const span = (t: Planned | undefined): number => (t ? t.task.to - t.task.from : 0);

function expand(grid: Readonly<Record<string, readonly (string | number)[]>>): Record<string, string | number>[] {
  let sets: Record<string, string | number>[] = [{}];
  for (const [k, values] of Object.entries(grid)) sets = sets.flatMap((s) => values.map((v) => ({ ...s, [k]: v })));
  return sets;
}

const METRICS = ['return_pct', 'sharpe', 'sortino', 'max_drawdown_pct', 'win_rate', 'trades', 'fees', 'exposure'] as const;

/** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break (a file's path may). */
const field = (v: string | number): string => {
  const t = String(v);
  return /[",\r\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
};

function toCsv(rows: readonly ExperimentRow[]): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  const head = ['file', ...keys, 'split', ...METRICS];
  const lines = rows.map((r) => [r.file, ...keys.map((k) => String(r.params[k] ?? '')), r.split, ...METRICS.map((m) => r[m])].map(field).join(','));
  return `${head.join(',')}\n${lines.join('\n')}\n`;
}

/** The equity and drawdown series of every run, long format (one row per run and sample). */
function equityCsv(rows: readonly ExperimentRow[]): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  const out = [['file', ...keys, 'split', 'ts_ms', 'equity', 'drawdown_pct'].join(',')];
  for (const r of rows) {
    const pre = [r.file, ...keys.map((k) => String(r.params[k] ?? '')), r.split].map(field).join(',');
    for (const e of r.equity) out.push(`${pre},${e.ts},${e.equity},${e.drawdown_pct}`);
  }
  return `${out.join('\n')}\n`;
}
