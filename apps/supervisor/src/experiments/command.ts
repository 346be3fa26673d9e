import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatConfigError, loadConfigFile } from '@vigil/runtime';
import { EXIT } from '../start.js';
import { DEFAULT_GRID, ExperimentsInputError, runExperiments, type ExperimentRow } from './experiments.js';
import { checkGenerate, checkGrid, checkThreads, type Grid } from './inputs.js';
import { syntheticKlineCsv } from './klines.js';
import type { GateVerdicts } from './runner.js';

export async function experimentsCommand(
  o: {
    config?: string | undefined;
    data?: string[] | undefined;
    grid?: string | undefined;
    threads?: string | undefined;
    out?: string | undefined;
    generate?: string | undefined;
    gateVerdicts?: string | undefined;
    progress?: boolean | undefined;
    bars: string;
    seed: string;
  },
  env: NodeJS.ProcessEnv = process.env,
  stderr: { isTTY?: boolean; write(s: string): unknown } = process.stderr,
): Promise<number> {
  const usage = (code: string, message: string): number => {
    process.stderr.write(`supervisor experiments: ${code}: ${message}\n`);
    return EXIT.USAGE;
  };
  if (o.generate) {
    const g = checkGenerate(o.bars, o.seed);
    if (!g.ok) return usage(g.code, g.message);
    try {
      writeFileSync(
        o.generate,
        syntheticKlineCsv({ seed: g.value.seed, bars: g.value.bars, start_ms: Date.UTC(2026, 0, 1), bar_ms: 60_000, price: 64_000, vol_bps: 8 }),
      );
    } catch (e) {
      process.stderr.write(`supervisor experiments: EXPERIMENTS_GENERATE_FAILED: ${(e as Error).message}\n`);
      return EXIT.FAILURE;
    }
    process.stdout.write(`wrote ${g.value.bars} synthetic 1m klines (seed ${g.value.seed}) to ${o.generate}\n`);
    return EXIT.OK;
  }
  const loaded = loadConfigFile(o.config ?? env['VIGIL_CONFIG'] ?? null, {});
  if (!loaded.ok) {
    process.stderr.write(`supervisor experiments: ${formatConfigError(loaded.error)}\n`);
    return EXIT.CONFIG_INVALID;
  }
  if (!o.data || o.data.length === 0) return usage('EXPERIMENTS_USAGE', '--data <kline CSV files...> is required (or --generate <file> to make one)');
  let grid: Grid = DEFAULT_GRID;
  if (o.grid !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(o.grid);
    } catch (e) {
      return usage('EXPERIMENTS_GRID_INVALID', `--grid is not JSON: ${(e as Error).message}`);
    }
    const g = checkGrid(parsed);
    if (!g.ok) return usage(g.code, g.message);
    grid = g.value;
  }
  let threads: number | undefined;
  if (o.threads !== undefined) {
    const t = checkThreads(o.threads);
    if (!t.ok) return usage(t.code, t.message);
    threads = t.value;
  }
  let gate: GateVerdicts = { kind: 'ALLOW_ALL' };
  if (o.gateVerdicts) {
    try {
      gate = { kind: 'RECORDED', verdicts: readVerdicts(readFileSync(o.gateVerdicts, 'utf8')) };
    } catch (e) {
      return usage('EXPERIMENTS_VERDICTS_INVALID', `--gate-verdicts: ${(e as Error).message}`);
    }
  }
  // A progress bar on a terminal, or when asked for (--progress); never in a pipe's output otherwise.
  const bar = stderr.isTTY === true || o.progress === true ? progressBar(stderr, stderr.isTTY === true) : null;
  try {
    const r = await runExperiments({
      config: loaded.config,
      varDir: resolve(loaded.config.paths.var_dir),
      files: o.data,
      grid,
      ...(threads !== undefined ? { threads } : {}),
      ...(o.out ? { out: o.out } : {}),
      gate,
      ...(bar ? { progress: bar.update } : {}),
    });
    bar?.end();
    if (!r.ok) {
      process.stderr.write(`supervisor experiments: refusing: ${r.code}: ${r.message}\n`);
      return EXIT.LOCK_REFUSED;
    }
    process.stdout.write(table(r.rows));
    process.stdout.write(
      `\n${r.rows.length} runs, ${r.candles} candles in ${(r.ms / 1000).toFixed(1)} s (${Math.round(r.candles / Math.max(0.001, r.ms / 1000))} candles/s); AI gate: ${gate.kind === 'ALLOW_ALL' ? 'every decision allowed (not called offline)' : 'recorded verdicts'}; report: ${r.dir}/report.json, report.csv, equity.csv and report.html\n`,
    );
    return EXIT.OK;
  } catch (e) {
    bar?.end();
    if (e instanceof ExperimentsInputError) return usage(e.code, e.message);
    process.stderr.write(`supervisor experiments: EXPERIMENTS_FAILED: ${(e as Error).message}\n`);
    return EXIT.FAILURE;
  }
}

function table(rows: readonly ExperimentRow[]): string {
  const best = [...rows]
    .filter((r) => r.split === 'out_of_sample')
    .sort((a, b) => b.sharpe - a.sharpe)
    .slice(0, 10);
  const cols = ['params', 'return %', 'sharpe', 'sortino', 'max DD %', 'win', 'trades', 'fees', 'exposure'];
  const cells = best.map((r) =>
    [
      Object.entries(r.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
      r.return_pct,
      r.sharpe,
      r.sortino,
      r.max_drawdown_pct,
      r.win_rate,
      r.trades,
      r.fees,
      r.exposure,
    ].map(String),
  );
  const width = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((v, i) => (i === 0 ? v.padEnd(width[i]!) : v.padStart(width[i]!))).join('  ');
  return `best parameter sets out of sample (by Sharpe; in-sample rows are in the report):\n${line(cols)}\n${cells.map(line).join('\n')}\n${whyNoTrades(rows)}`;
}

/**
 * When no run traded, the reason an operator needs first: how many signals each filter blocked
 * (the strategy's edge after costs, the cost judgement, the AI gate, risk). A table of zeros alone
 * reads like a broken run.
 */
export function whyNoTrades(rows: readonly ExperimentRow[]): string {
  if (rows.length === 0 || rows.some((r) => r.trades > 0)) return '';
  const sum = (k: 'blocked_edge' | 'blocked_cost' | 'blocked_gate' | 'blocked_risk'): number => rows.reduce((a, r) => a + r[k], 0);
  const blocked = sum('blocked_edge') + sum('blocked_cost') + sum('blocked_gate') + sum('blocked_risk');
  if (blocked === 0) return '\nno run traded: the strategy gave no entry signal on these bars\n';
  return `\nno run traded: ${blocked} entry signals were blocked (edge after costs ${sum('blocked_edge')}, cost ${sum('blocked_cost')}, AI gate ${sum('blocked_gate')}, risk ${sum('blocked_risk')}; per run: blocked_* in report.json). An entry needs its expected edge (from strategy.win_rate_prior and strategy.take_profit_r) above its costs plus strategy.min_edge_bps.\n`;
}

/**
 * The progress line: redrawn in place on a terminal; on a pipe (--progress) a line per tenth.
 * Candles done of the total, the rate and the time left.
 */
export function progressBar(
  out: { write(s: string): unknown },
  tty: boolean,
): { update: (done: number, total: number, etaMs: number) => void; end: () => void } {
  const t0 = Date.now();
  let lastTenth = -1;
  let drawn = false;
  return {
    update(done, total, etaMs) {
      const w = 30;
      const frac = total > 0 ? done / total : 1;
      const line = `[${'#'.repeat(Math.round(frac * w)).padEnd(w, '.')}] ${(frac * 100).toFixed(0).padStart(3)}%  ${done}/${total} candles  ${Math.round(done / Math.max(0.001, (Date.now() - t0) / 1000))}/s  ETA ${(etaMs / 1000).toFixed(1)} s`;
      if (tty) {
        out.write(`\r${line}`);
        drawn = true;
        return;
      }
      const tenth = Math.floor(frac * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        out.write(`${line}\n`);
      }
    },
    end() {
      if (drawn) out.write('\n');
    },
  };
}

/** A verdicts file: {"<decision_id>": "ALLOW" | "BLOCK", ...}. */
function readVerdicts(text: string): Record<string, 'ALLOW' | 'BLOCK'> {
  const v: unknown = JSON.parse(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected an object of decision_id -> "ALLOW" | "BLOCK"');
  const out: Record<string, 'ALLOW' | 'BLOCK'> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x !== 'ALLOW' && x !== 'BLOCK') throw new Error(`verdict of ${k} is ${JSON.stringify(x)}, not "ALLOW" or "BLOCK"`);
    out[k] = x;
  }
  return out;
}
