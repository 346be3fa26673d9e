import { describe, expect, it } from 'vitest';
import { parseConfig } from '@vigil/runtime';
import { ChurnCounter } from './churn.js';
import { riskVerdict, type RiskInputs } from './risk.js';

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
