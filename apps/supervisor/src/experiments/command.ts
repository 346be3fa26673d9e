import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { syntheticKlineCsv } from '@vigil/engine/backtest';
import { formatConfigError, loadConfigFile } from '@vigil/runtime';
import { EXIT } from '../start.js';
import { DEFAULT_GRID, runExperiments, type ExperimentRow } from './experiments.js';

export async function experimentsCommand(
  o: {
    config?: string | undefined;
    data?: string[] | undefined;
    grid?: string | undefined;
    threads?: string | undefined;
    out?: string | undefined;
    generate?: string | undefined;
    bars: string;
    seed: string;
  },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (o.generate) {
    writeFileSync(
      o.generate,
      syntheticKlineCsv({ seed: Number(o.seed), bars: Number(o.bars), start_ms: Date.UTC(2026, 0, 1), bar_ms: 60_000, price: 64_000, vol_bps: 8 }),
    );
    process.stdout.write(`wrote ${o.bars} synthetic 1m klines (seed ${o.seed}) to ${o.generate}\n`);
    return EXIT.OK;
  }
  const loaded = loadConfigFile(o.config ?? env['VIGIL_CONFIG'] ?? null, {});
  if (!loaded.ok) {
    process.stderr.write(`supervisor experiments: ${formatConfigError(loaded.error)}\n`);
    return EXIT.CONFIG_INVALID;
  }
  if (!o.data || o.data.length === 0) {
    process.stderr.write('supervisor experiments: --data <kline CSV files...> is required (or --generate <file> to make one)\n');
    return EXIT.FAILURE;
  }
  let grid: Record<string, (string | number)[]>;
  try {
    grid = o.grid ? (JSON.parse(o.grid) as Record<string, (string | number)[]>) : (DEFAULT_GRID as unknown as Record<string, (string | number)[]>);
  } catch (e) {
    process.stderr.write(`supervisor experiments: --grid is not JSON: ${(e as Error).message}\n`);
    return EXIT.FAILURE;
  }
  const tty = process.stderr.isTTY === true;
  try {
    const r = await runExperiments({
      config: loaded.config,
      varDir: resolve(loaded.config.paths.var_dir),
      files: o.data,
      grid,
      ...(o.threads ? { threads: Number(o.threads) } : {}),
      ...(o.out ? { out: o.out } : {}),
      progress: (done, total, eta) => {
        const w = 30;
        const bar = '#'.repeat(Math.round((done / total) * w)).padEnd(w, '.');
        const line = `[${bar}] ${done}/${total}  ETA ${(eta / 1000).toFixed(1)} s`;
        if (tty) process.stderr.write(`\r${line}`);
        else if (done === total || done % Math.max(1, Math.floor(total / 10)) === 0) process.stderr.write(`${line}\n`);
      },
    });
    if (tty) process.stderr.write('\n');
    if (!r.ok) {
      process.stderr.write(`supervisor experiments: refusing: ${r.code}: ${r.message}\n`);
      return EXIT.LOCK_REFUSED;
    }
    process.stdout.write(table(r.rows));
    process.stdout.write(`\n${r.rows.length} runs in ${(r.ms / 1000).toFixed(1)} s; report: ${r.dir}/report.json, report.csv and report.html\n`);
    return EXIT.OK;
  } catch (e) {
    process.stderr.write(`supervisor experiments: ${(e as Error).message}\n`);
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
  return `best parameter sets out of sample (by Sharpe; in-sample rows are in the report):\n${line(cols)}\n${cells.map(line).join('\n')}\n`;
}
