import { describe, expect, it } from 'vitest';
import { parseConfig } from '@vigil/runtime';
import { BarSeries, volatilityBps } from './bars.js';
import { breakoutStrategy, type MarketSnapshot } from './strategy.js';
import { estimateCost, judgeCost } from './cost-model.js';

const cfg = (() => {
  const r = parseConfig({ strategy: { bar_ms: 1000, lookback_bars: 5, vol_bars: 5, hold_bars: 4, min_stop_bps: 10 } }, {});
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.config.strategy;
})();

function snapshot(closes: number[], ask = '101.00'): MarketSnapshot {
  const s = new BarSeries(1000, 100);
  closes.forEach((c, i) => s.onMid(i * 1000, c));
  s.onMid(closes.length * 1000, closes[closes.length - 1]!); // closes the last bar
  return { snapshot_id: 'snp_x', snapshot_hash: 'h', ts_ms: 0, symbol: 'BTCUSDT', bid: '100.99', ask, quote_age_ms: 5, bars: s.bars() };
}

describe('bars', () => {
  it('closes a bar when the next one starts, keeps high/low, skips out-of-order ticks', () => {
    const s = new BarSeries(1000, 10);
    s.onMid(0, 10);
    s.onMid(500, 12);
    s.onMid(900, 9);
    s.onMid(400, 50); // earlier than the bar in progress: same bar, counted
    s.onMid(1000, 11);
    expect(s.bars()).toEqual([{ start_ms: 0, open: 10, high: 50, low: 9, close: 50 }]);
    s.onMid(200, 1); // older bar than the current one: ignored
    expect(s.bars()).toHaveLength(1);
  });

  it('volatility is the stdev of log returns in bps, null without enough bars', () => {
    const bars = [100, 101, 100, 101, 100].map((c, i) => ({ start_ms: i, open: c, high: c, low: c, close: c }));
    expect(volatilityBps(bars, 10)).toBeNull();
    const v = volatilityBps(bars, 4)!;
    expect(v).toBeGreaterThan(90);
    expect(v).toBeLessThan(120);
  });
});

describe('breakout strategy', () => {
  const strat = breakoutStrategy(cfg, 80);

  it('waits for its warm-up bars', () => {
    expect(strat.propose(snapshot([100, 101]))).toMatchObject({ kind: 'NONE' });
  });

  it('proposes a long above the channel high with a volatility-scaled stop and R-multiple target', () => {
    const r = strat.propose(snapshot([100, 100.2, 99.9, 100.1, 100, 100.3, 101]));
    expect(r.kind).toBe('PROPOSAL');
    if (r.kind !== 'PROPOSAL') return;
    expect(r.proposal.entry_price).toBe('101.00');
    expect(r.proposal.stop_bps).toBeGreaterThanOrEqual(cfg.min_stop_bps);
    expect(r.proposal.take_profit_bps).toBe(Math.round(r.proposal.stop_bps * Number(cfg.take_profit_r)));
    const p = Number(cfg.win_rate_prior);
    expect(r.proposal.expected_edge_bps).toBeCloseTo(r.proposal.stop_bps * (Number(cfg.take_profit_r) * p - (1 - p)), 1);
  });

  it('does nothing inside the channel', () => {
    expect(strat.propose(snapshot([100, 102, 99, 101, 100, 100.5, 101]))).toMatchObject({ kind: 'NONE', why: 'no breakout' });
  });
});

describe('cost model', () => {
  it('counts taker fees on both sides, the spread and slippage', () => {
    const c = estimateCost(cfg, '100', '100.1');
    expect(c.fees_bps).toBe(2 * cfg.taker_fee_bps);
    expect(c.spread_bps).toBeCloseTo(10, 0);
    expect(c.total_bps).toBeCloseTo(c.fees_bps + c.spread_bps + c.slippage_bps, 2);
  });

  it('blocks thin edges and expensive books with their reason codes', () => {
    const c = estimateCost(cfg, '100', '100.01');
    expect(judgeCost(cfg, c.total_bps, c)).toMatchObject({ ok: false, code: 'EDGE_TOO_LOW' });
    expect(judgeCost(cfg, c.total_bps + cfg.min_edge_bps + 1, c)).toEqual({ ok: true });
    const wide = estimateCost(cfg, '100', '101');
    expect(judgeCost(cfg, 10_000, wide)).toMatchObject({ ok: false, code: 'COST_TOO_HIGH' });
  });
});
