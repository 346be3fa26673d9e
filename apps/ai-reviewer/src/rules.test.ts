import { describe, expect, it } from 'vitest';
import type { AIGateReviewPayload } from '@vigil/contracts';
import { halve, review } from './rules.js';

const payload = (m: Partial<AIGateReviewPayload['market']> = {}, d: Partial<AIGateReviewPayload['decision']> = {}): AIGateReviewPayload => ({
  decision: {
    decision_id: 'dec_1',
    symbol: 'BTCUSDT',
    side: 'BUY',
    quantity: '0.003',
    entry_type: 'LIMIT',
    entry_price: '64000.00',
    stop_price: '63000.00',
    take_profit_price: '66000.00',
    expected_edge_bps: 40,
    expected_cost_bps: 12,
    ...d,
  },
  market: { bid: '64000.00', ask: '64001.00', spread_bps: 1.5, volatility_bps: 30, data_age_ms: 200, ...m },
});

describe('review rules', () => {
  it.each([
    [payload(), 'ALLOW', 'AI_OK'],
    [payload({ data_age_ms: 9000 }), 'BLOCK', 'AI_DATA_STALE'],
    [payload({ spread_bps: 30 }), 'BLOCK', 'AI_SPREAD_WIDE'],
    [payload({}, { expected_edge_bps: 20, expected_cost_bps: 12 }), 'BLOCK', 'AI_EDGE_THIN'],
    [payload({ volatility_bps: 120 }), 'MODIFY', 'AI_VOLATILITY_HIGH'],
  ])('%#: %s -> %s (%s)', (p, verdict, reason) => {
    const r = review(p);
    expect(r.verdict).toBe(verdict);
    expect(r.reasons).toEqual([reason]);
  });
  it('halves size exactly on high volatility and changes nothing else', () => {
    const r = review(payload({ volatility_bps: 120 }));
    expect(r.modify).toEqual({ quantity: '0.0015', stop_price: null, take_profit_price: null, entry_price: null, ttl_ms: null, max_requotes: null });
    expect(halve('1')).toBe('0.5');
    expect(halve('0.00001')).toBe('0.000005');
    expect(halve('12.34')).toBe('6.17');
  });
});
