import { describe, expect, it } from 'vitest';
import { parseConfig } from '@vigil/runtime';
import { ChurnCounter } from './churn.js';
import { marketMovedWhy, riskVerdict, type MarketNow, type RiskInputs } from './risk.js';

const cfg = (() => {
  const r = parseConfig(
    {
      risk: {
        daily_loss_limit_quote: '50',
        max_exposure_quote_total: '100',
        max_exposure_quote_per_symbol: '60',
        max_open_orders: 3,
        churn_limit_10s: 2,
        churn_limit_60s: 5,
      },
    },
    {},
  );
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.config.risk;
})();

const base: RiskInputs = {
  symbol: 'BTCUSDT',
  notional: '50',
  kill_switch: 'OFF',
  day_pnl: '0',
  day_peak_pnl: '0',
  exposure_total: '0',
  exposure_symbol: '0',
  has_position: false,
  open_orders: 0,
  quarantined: false,
  unresolved_unknown: false,
  pending_entry: false,
};

describe('risk verdict', () => {
  it('allows a clean entry and reports near-limit fractions', () => {
    let t = 0;
    const v = riskVerdict(cfg, new ChurnCounter(() => t), base);
    expect(v).toMatchObject({ ok: true, blocks: [] });
    expect(v.near['exposure_symbol']).toBeCloseTo(50 / 60, 3);
    t++;
  });

  it('lists every block, and the ones that must raise a mode reason', () => {
    const v = riskVerdict(cfg, new ChurnCounter(() => 0), {
      ...base,
      kill_switch: 'CHECK_FAILED',
      day_pnl: '-50',
      day_peak_pnl: '10',
      exposure_total: '80',
      has_position: true,
      open_orders: 3,
      quarantined: true,
      unresolved_unknown: true,
    });
    expect(v.ok).toBe(false);
    expect(new Set(v.blocks)).toEqual(
      new Set([
        'KILL_SWITCH_CHECK_FAILED',
        'RISK_DAILY_LOSS_LIMIT_HIT',
        'RISK_DRAWDOWN_LIMIT_HIT',
        'RISK_EXPOSURE_LIMIT_HIT',
        'RISK_POSITION_EXISTS',
        'RISK_MAX_OPEN_ORDERS',
        'SYMBOL_QUARANTINED',
        'INTENT_SENT_UNKNOWN',
      ]),
    );
    expect(v.raise).toEqual(['RISK_DAILY_LOSS_LIMIT_HIT', 'RISK_DRAWDOWN_LIMIT_HIT']);
  });

  it('counts churn in sliding 10 s / 60 s windows per symbol', () => {
    let t = 0;
    const churn = new ChurnCounter(() => t);
    churn.record('BTCUSDT', 'new');
    churn.record('BTCUSDT', 'cancel');
    expect(riskVerdict(cfg, churn, base).blocks).toContain('RISK_CHURN_LIMIT_HIT');
    expect(riskVerdict(cfg, churn, { ...base, symbol: 'ETHUSDT' }).ok).toBe(true);
    t = 10_001;
    expect(riskVerdict(cfg, churn, base).ok).toBe(true);
    for (let i = 0; i < 3; i++) churn.record('BTCUSDT', 'new');
    t = 20_000;
    expect(riskVerdict(cfg, churn, base).blocks).toContain('RISK_CHURN_LIMIT_HIT'); // 5 within 60 s
    t = 80_000;
    expect(churn.count('BTCUSDT', 60_000).churn).toBe(0);
  });
});

describe('the market re-check after the review (RISK_MARKET_MOVED)', () => {
  const buy: MarketNow = {
    side: 'BUY',
    entry_type: 'MARKET',
    bid: '99.9',
    ask: '100',
    reference_price: '100',
    stop_price: '98',
    take_profit_price: '104',
    edge_margin_bps: 20,
  };

  it('passes an entry whose quote is where it was decided', () => {
    expect(marketMovedWhy(buy)).toBeNull();
    expect(riskVerdict(cfg, new ChurnCounter(() => 0), { ...base, market_now: buy })).toMatchObject({ ok: true, blocks: [] });
  });

  it('blocks a BUY whose bid reached the stop while it was reviewed, LIMIT or MARKET', () => {
    for (const entry_type of ['MARKET', 'LIMIT'] as const) {
      const m = { ...buy, entry_type, bid: '98', ask: '98.1' };
      expect(marketMovedWhy(m)).toMatch(/bid 98(\.0+)? is past the stop 98/);
      expect(riskVerdict(cfg, new ChurnCounter(() => 0), { ...base, market_now: m })).toMatchObject({ ok: false, blocks: ['RISK_MARKET_MOVED'] });
    }
  });

  it('blocks a BUY whose ask reached the target', () => {
    expect(marketMovedWhy({ ...buy, bid: '103.9', ask: '104' })).toMatch(/past the target 104/);
  });

  it('blocks a MARKET BUY whose ask moved up by more than its edge margin, and not one within it, exactly at the bound', () => {
    // 20 bps of 100 is 0.2: an ask of 100.2 spends the margin exactly (allowed), 100.2000001 does not.
    expect(marketMovedWhy({ ...buy, bid: '100.1', ask: '100.2' })).toBeNull();
    expect(marketMovedWhy({ ...buy, bid: '100.1', ask: '100.2000001' })).toMatch(/edge margin of 20 bps/);
    // A LIMIT entry cannot fill above its price: the same move is not a block for it.
    expect(marketMovedWhy({ ...buy, entry_type: 'LIMIT', bid: '100.1', ask: '100.5' })).toBeNull();
    // A favourable move is never a block.
    expect(marketMovedWhy({ ...buy, bid: '99', ask: '99.1' })).toBeNull();
  });

  it('treats a negative edge margin as none: any adverse move of a MARKET entry blocks', () => {
    expect(marketMovedWhy({ ...buy, edge_margin_bps: -5, ask: '100.00000001' })).not.toBeNull();
    expect(marketMovedWhy({ ...buy, edge_margin_bps: -5 })).toBeNull();
  });

  it('mirrors the rules for a SELL entry', () => {
    const sell: MarketNow = { ...buy, side: 'SELL', bid: '100', ask: '100.1', stop_price: '102', take_profit_price: '96' };
    expect(marketMovedWhy(sell)).toBeNull();
    expect(marketMovedWhy({ ...sell, ask: '102' })).toMatch(/ask 102(\.0+)? is past the stop/);
    expect(marketMovedWhy({ ...sell, bid: '96', ask: '96.1' })).toMatch(/past the target/);
    expect(marketMovedWhy({ ...sell, bid: '99.7' })).toMatch(/edge margin/);
  });

  it('checks nothing in a record made before the re-check existed (no market_now)', () => {
    expect(riskVerdict(cfg, new ChurnCounter(() => 0), base).blocks).not.toContain('RISK_MARKET_MOVED');
  });
});
