import { describe, expect, it } from 'vitest';
import { parseConfig } from '@vigil/runtime';
import { parseKlineCsv, runBacktest, syntheticKlineCsv, type BacktestBar } from './backtest.js';

const strategy = (() => {
  const r = parseConfig(
    {
      strategy: { bar_ms: 60_000, lookback_bars: 10, vol_bars: 10, hold_bars: 60, win_rate_prior: '0.5', take_profit_r: '2', min_stop_bps: 60, cooldown_ms: 0 },
    },
    {},
  );
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.config.strategy;
})();
const bars = parseKlineCsv(syntheticKlineCsv({ seed: 7, bars: 3000, start_ms: Date.UTC(2026, 0, 1), bar_ms: 60_000, price: 100, vol_bps: 15 }));
const params = { strategy, spread_bps: 1, initial_quote: 1000 };

describe('backtest', () => {
  it('trades the engine strategy with fees, and is deterministic for the same data', () => {
    const a = runBacktest(bars, params);
    const b = runBacktest(bars, params);
    expect(a.metrics.trades).toBeGreaterThan(5);
    expect(a.metrics.fees).toBeGreaterThan(0);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    for (const t of a.trades) expect(t.exit_ts).toBeGreaterThanOrEqual(t.entry_ts);
  });

  it('never looks ahead: changing the future does not change any trade entered before it', () => {
    const cut = 1500;
    const a = runBacktest(bars, params);
    const future: BacktestBar[] = bars.map((b, i) => (i <= cut ? b : { ...b, open: b.open * 3, high: b.high * 3, low: b.low * 3, close: b.close * 3 }));
    const b = runBacktest(future, params);
    const cutTs = bars[cut]!.start_ms;
    const before = (r: ReturnType<typeof runBacktest>) => r.trades.filter((t) => t.exit_ts <= cutTs);
    expect(before(b)).toEqual(before(a));
    expect(b.equity.slice(0, cut + 1)).toEqual(a.equity.slice(0, cut + 1));
  });

  it('fills entries no better than the next open plus half the spread and slippage', () => {
    const r = runBacktest(bars, params);
    for (const t of r.trades) {
      const i = bars.findIndex((b) => b.start_ms === t.entry_ts);
      expect(t.entry).toBeGreaterThanOrEqual(bars[i]!.open);
    }
  });

  it('applies the Live risk rules: a tiny daily loss limit stops entries for the rest of the day', () => {
    const r = parseConfig({ risk: { daily_loss_limit_quote: '0.01' } }, {});
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const free = runBacktest(bars, params);
    const limited = runBacktest(bars, { ...params, risk: r.config.risk });
    expect(limited.metrics.blocked_risk).toBeGreaterThan(0);
    expect(limited.metrics.trades).toBeLessThan(free.metrics.trades);
  });

  it('rejects malformed CSV rows with their line number; accepts µs timestamps', () => {
    expect(() => parseKlineCsv('1,2,3\n')).toThrow(/line 1/);
    expect(() => parseKlineCsv('1000,10,9,8,9,1\n')).toThrow(/high\/low/);
    expect(parseKlineCsv('1735689600000000,10,11,9,10,1,0,0,0,0,0,0\n')[0]!.start_ms).toBe(1735689600000);
  });
});
