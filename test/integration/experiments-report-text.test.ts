import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { whyNoTrades } from '../../apps/supervisor/src/experiments/command.js';
import { runExperiments, type ExperimentRow } from '../../apps/supervisor/src/experiments/experiments.js';
import { testConfig } from './harness.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'klines', 'SYNTH-1m-seed5.csv');

const row = (over: Partial<ExperimentRow>): ExperimentRow => ({
  file: 'k.csv',
  params: { lookback_bars: 10 },
  split: 'out_of_sample',
  return_pct: 0,
  sharpe: 0,
  sortino: 0,
  max_drawdown_pct: 0,
  win_rate: 0,
  trades: 0,
  fees: 0,
  exposure: 0,
  blocked_edge: 0,
  blocked_cost: 0,
  blocked_gate: 0,
  blocked_risk: 0,
  equity: [],
  ...over,
});

describe('the experiments summary when nothing traded', () => {
  it('names how many signals each filter blocked, summed over the runs; says nothing when any run traded', () => {
    const text = whyNoTrades([row({ blocked_edge: 7, blocked_risk: 1 }), row({ split: 'in_sample', blocked_edge: 3, blocked_gate: 2 })]);
    expect(text).toContain('no run traded: 13 entry signals were blocked (edge after costs 10, cost 0, AI gate 2, risk 1;');
    expect(text).toContain('strategy.min_edge_bps');
    expect(whyNoTrades([row({ blocked_edge: 7 }), row({ trades: 1 })])).toBe('');
    expect(whyNoTrades([row({})])).toBe('\nno run traded: the strategy gave no entry signal on these bars\n');
  });

  it('the default strategy on the fixture trades nowhere, and the rows say the edge filter blocked it', async () => {
    const { config, varDir } = testConfig();
    const r = await runExperiments({ config, varDir, files: [FIXTURE], grid: { lookback_bars: [10] }, threads: 1, out: join(varDir, 'none') });
    if (!r.ok) throw new Error('refused');
    expect(r.rows.every((x) => x.trades === 0)).toBe(true);
    expect(whyNoTrades(r.rows)).toMatch(/^\nno run traded: \d+ entry signals were blocked \(edge after costs [1-9]\d*, /);
  }, 60_000);
});

describe('the CSV reports', () => {
  it('a data file whose path holds a comma and a quote is one quoted field in report.csv and equity.csv', async () => {
    const { config, varDir } = testConfig({ strategy: { win_rate_prior: '0.5', take_profit_r: '2' } });
    const dir = join(varDir, 'a,"b');
    mkdirSync(dir);
    const file = join(dir, 'k.csv');
    copyFileSync(FIXTURE, file);
    const r = await runExperiments({ config, varDir, files: [file], grid: { lookback_bars: [10] }, threads: 1, out: join(varDir, 'rep') });
    if (!r.ok) throw new Error('refused');
    const quoted = `"${file.replaceAll('"', '""')}"`;
    const report = readFileSync(join(varDir, 'rep', 'report.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(report[0]).toBe('file,lookback_bars,split,return_pct,sharpe,sortino,max_drawdown_pct,win_rate,trades,fees,exposure');
    expect(report.slice(1).map((l) => l.startsWith(`${quoted},10,`))).toEqual([true, true]);
    const equity = readFileSync(join(varDir, 'rep', 'equity.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(equity.slice(1).every((l) => l.startsWith(`${quoted},10,`))).toBe(true);
  }, 60_000);
});
