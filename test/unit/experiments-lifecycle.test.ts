import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMPTY_LIFECYCLE, step, TICK_PHASES, VENUE_COMMANDS, type LifecycleState } from '@vigil/core';
import { breakoutStrategy, buildDecision, estimateCost, lifecycleConfig } from '@vigil/engine/offline';
import { fmt, fx, touchAround } from '@vigil/matching';
import { parseConfig } from '@vigil/runtime';
import { EXPERIMENT_RULES } from '../../apps/supervisor/src/experiments/experiments.js';
import { BAR_FIELDS, barCount, F, parseKlineCsv } from '../../apps/supervisor/src/experiments/klines.js';
import { runExperiment, type RunParams } from '../../apps/supervisor/src/experiments/runner.js';

/**
 * One recorded market (a fixed bar series) through the experiments runner, compared with the
 * lifecycle step as Live's trader uses it: the trader's configuration (lifecycleConfig, built in
 * its constructor from the engine configuration and the strategy's re-quote mode), the step's
 * state threaded from one input to the next, full passes in TICK_PHASES order. Same inputs ->
 * same commands; and every entry is the decision Live's strategy and decision builder make from
 * the same snapshot.
 */
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'klines', 'SYNTH-1m-seed5.csv');
const data = parseKlineCsv(readFileSync(FIXTURE, 'utf8'));

const config = (() => {
  const r = parseConfig({ strategy: { win_rate_prior: '0.5', take_profit_r: '2', lookback_bars: 10, vol_bars: 10, cooldown_ms: 0 } });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.config;
})();

const params: RunParams = {
  symbol: 'BTCUSDT',
  strategy: config.strategy,
  risk: config.risk,
  engine: config.engine,
  rules: EXPERIMENT_RULES,
  spread_bps: 1,
  initial_quote: '10000',
  gate: { kind: 'ALLOW_ALL' },
  record: true,
};

/** Fields of the slot the trader sets outside the step (order outcomes), only ever after a venue command or an entry. */
const RUNNER_OWNED: readonly (keyof LifecycleState)[] = [
  'entry',
  'plan',
  'protection',
  'close_pending',
  'unprotected_since',
  'protect_failures',
  'swap_failed',
];

describe('experiments and Live run the same lifecycle step', () => {
  const r = runExperiment(data, 0, barCount(data), params);
  // The trader's own configuration path (trader.ts constructor): not the runner's copy.
  const traderCfg = lifecycleConfig(config.engine, config.strategy.requote_mode);

  it('the recorded market exercises the whole lifecycle: entries, protection, exits, a swap to trailing', () => {
    const kinds = new Set(r.steps.flatMap((s) => s.commands.map((c) => c.kind)));
    for (const k of ['PROTECT', 'LEARN_FILLS', 'ENTRY_ENDED', 'CHECK_PROTECTION', 'SYNC_TRADES', 'SWAP_TO_TRAILING'] as const) expect(kinds).toContain(k);
    const inputs = new Set(r.steps.map((s) => s.input.kind));
    for (const k of ['TICK', 'ENTRY_REPORT', 'PROTECTION_CONFIRMED', 'PROTECTION_ENDED'] as const) expect(inputs).toContain(k);
    expect(r.metrics.trades).toBeGreaterThan(3);
    expect(r.config).toEqual(traderCfg);
  });

  it('same inputs -> same commands: every recorded step replays through step() with the trader configuration', () => {
    for (const s of r.steps) expect(step(s.state, s.input, traderCfg).commands).toEqual(s.commands);
  });

  it('the state is threaded as the trader threads it: changed between steps only by a venue command or a new entry', () => {
    // The first step is the first entry's report: the slot was empty but for that entry and its plan.
    expect({ ...r.steps[0]!.state, entry: null, plan: null }).toEqual(EMPTY_LIFECYCLE);
    expect(r.steps[0]!.input.kind).toBe('ENTRY_REPORT');
    for (let i = 0; i + 1 < r.steps.length; i++) {
      const cur = r.steps[i]!;
      const next = r.steps[i + 1]!;
      const out = step(cur.state, cur.input, traderCfg).state;
      const changed = (Object.keys(out) as (keyof LifecycleState)[]).filter((k) => JSON.stringify(out[k]) !== JSON.stringify(next.state[k]));
      if (changed.length === 0) continue;
      for (const k of changed) expect(RUNNER_OWNED).toContain(k);
      const venueCommand = cur.commands.some((c) => VENUE_COMMANDS.has(c.kind));
      const newEntry = next.input.kind === 'ENTRY_REPORT' && next.input.coid !== cur.state.entry?.coid;
      const placedAfterPass = next.state.entry !== null && out.entry === null; // an entry decided at a bar close
      expect(venueCommand || newEntry || placedAfterPass).toBe(true);
    }
  });

  it('ticks come in full management passes, phases in TICK_PHASES order at one clock', () => {
    const ticks = r.steps.filter((s) => s.input.kind === 'TICK');
    expect(ticks.length % TICK_PHASES.length).toBe(0);
    for (let i = 0; i < ticks.length; i += TICK_PHASES.length) {
      const pass = ticks.slice(i, i + TICK_PHASES.length).map((s) => s.input);
      expect(pass.map((x) => (x.kind === 'TICK' ? x.phase : null))).toEqual(TICK_PHASES);
      expect(new Set(pass.map((x) => (x.kind === 'TICK' ? x.facts.now : null))).size).toBe(1);
    }
  });

  it("every entry is the decision Live's strategy and decision builder make from the same closed bars and quote", () => {
    const strat = breakoutStrategy(config.strategy, config.engine.trailing_enabled ? config.engine.trailing_activate_bps : null);
    expect(r.decisions.length).toBeGreaterThan(3);
    for (const { bar, decision } of r.decisions) {
      const bars = [];
      for (let j = Math.max(0, bar - strat.warmupBars); j <= bar; j++) {
        const o = j * BAR_FIELDS;
        bars.push({ start_ms: data[o + F.t]!, open: data[o + F.open]!, high: data[o + F.high]!, low: data[o + F.low]!, close: data[o + F.close]! });
      }
      // The book at the bar's close, as the runner's venue quotes it.
      const close = BigInt(data[bar * BAR_FIELDS + F.closeFx]!);
      const touch = touchAround(close, params.spread_bps, fx('0.01'));
      const snap = {
        snapshot_id: `bar${bar}`,
        snapshot_hash: '',
        ts_ms: 0,
        symbol: 'BTCUSDT',
        bid: fmt(touch.bid),
        ask: fmt(touch.ask),
        quote_age_ms: 0,
        bars,
      };
      const res = strat.propose(snap);
      expect(res.kind).toBe('PROPOSAL');
      if (res.kind !== 'PROPOSAL') continue;
      const built = buildDecision({
        proposal: res.proposal,
        rules: EXPERIMENT_RULES,
        ids: { run_id: 'experiment', cycle_id: bar, snapshot_id: `bar${bar}` },
        ttl_ms: config.strategy.entry_ttl_ms,
        max_requotes: config.strategy.max_requotes,
        max_notional: config.risk.max_exposure_quote_per_symbol,
        expected_cost_bps: estimateCost(config.strategy, snap.bid, snap.ask).total_bps,
      });
      expect(built.ok && built.decision).toEqual(decision);
    }
  });
});

describe('experiments: a stop gapped through below its limit', () => {
  // Flat, a breakout (entry), a gap far below the stop (the stop-limit triggers, its limit not
  // reached, the list is done), then the market comes back up through the limit.
  const rows: string[] = [];
  const t0 = Date.UTC(2026, 0, 1);
  const bar = (i: number, o: string, h: string, l: string, c: string): void => {
    rows.push([t0 + i * 60_000, o, h, l, c, '1', t0 + i * 60_000 + 59_999, '0', '0', '0', '0', '0'].join(','));
  };
  for (let i = 0; i < 25; i++) bar(i, i % 2 ? '100.10' : '100.00', '100.10', '100.00', i % 2 ? '100.00' : '100.10');
  bar(25, '100.10', '101.00', '100.10', '101.00'); // breakout: entry at the close's ask
  bar(26, '101.00', '101.00', '101.00', '101.00');
  bar(27, '80.00', '80.00', '80.00', '80.00'); // the gap: through the stop and its limit
  bar(28, '80.00', '80.00', '80.00', '80.00');
  bar(29, '80.00', '101.00', '80.00', '101.00'); // back up through the limit
  for (let i = 30; i < 34; i++) bar(i, '101.00', '101.00', '101.00', '101.00');
  const gap = parseKlineCsv(`${rows.join('\n')}\n`);
  const r = runExperiment(gap, 0, barCount(gap), params);

  it('the list ends at the trigger; the exit the step then asks for (price through the stop) finds the base held by the resting leg; the leg fills at its limit when the bid returns', () => {
    const protect = r.steps.flatMap((s) => s.commands).find((c) => c.kind === 'PROTECT');
    if (protect?.kind !== 'PROTECT') throw new Error('no PROTECT');
    expect(r.decisions).toHaveLength(1);
    const inputs = r.steps.map((s) => s.input.kind);
    expect(inputs).toContain('PROTECTION_ENDED');
    // As in Live: CLOSE_SAFELY sells min(position, free); the triggered leg holds all but dust.
    expect(r.steps.flatMap((s) => s.commands).some((c) => c.kind === 'CLOSE_SAFELY')).toBe(true);
    expect(r.trades).toHaveLength(1);
    expect(r.trades[0]!.reason).toBe('STOP');
    expect(fx(r.trades[0]!.exit)).toBe(fx(protect.stop_limit_price));
    expect(r.trades[0]!.exit_ts).toBeGreaterThanOrEqual(t0 + 29 * 60_000);
    for (const s of r.steps) expect(step(s.state, s.input, lifecycleConfig(config.engine, config.strategy.requote_mode)).commands).toEqual(s.commands);
  });
});
