import { describe, expect, it } from 'vitest';
import type { Decision } from '@vigil/contracts';
import { ShadowBook } from './shadow.js';

const d = (over: Partial<Decision> = {}): Decision => ({
  ids: { run_id: 'r', cycle_id: 1, snapshot_id: 's', decision_id: 'dec_00000000000000000000000000000000' },
  symbol: 'BTCUSDT',
  side: 'BUY',
  intent: 'ENTRY',
  quantity: '0.001',
  entry_type: 'LIMIT',
  entry_price: '100',
  stop_price: '98',
  take_profit_price: '104',
  trailing_delta_bps: null,
  expected_edge_bps: 50,
  expected_cost_bps: 25,
  constraints: { max_quantity: '0.001', max_notional: '300', ttl_ms: 1000, max_requotes: 0 },
  ...over,
});

describe('shadow book', () => {
  it('resolves a blocked entry as WIN or LOSS by whichever level the market reaches first', () => {
    const b = new ShadowBook(60_000);
    b.add(d(), 'BLOCK', 0);
    b.add(d({ symbol: 'ETHUSDT' }), 'MODIFY', 0);
    expect(b.onQuote('BTCUSDT', '99.9', '100', 10)).toEqual([]);
    const win = b.onQuote('BTCUSDT', '104.1', '104.2', 20);
    expect(win).toMatchObject([{ outcome: 'WIN', pnl_bps: 400, verdict: 'BLOCK' }]);
    b.onQuote('ETHUSDT', '100', '100', 30);
    expect(b.onQuote('ETHUSDT', '97.5', '97.6', 40)).toMatchObject([{ outcome: 'LOSS', pnl_bps: -200, verdict: 'MODIFY' }]);
    expect(b.pending).toBe(0);
  });

  it('marks to the bid after the horizon, and says NOT_FILLED when the ask never came down', () => {
    const b = new ShadowBook(1000);
    b.add(d(), 'BLOCK', 0);
    b.add(d({ entry_price: '90' }), 'BLOCK', 0);
    b.onQuote('BTCUSDT', '99.9', '100', 10);
    const out = b.onQuote('BTCUSDT', '101', '101.1', 1000);
    expect(out.map((o) => [o.outcome, o.pnl_bps]).sort()).toEqual([
      ['NOT_FILLED', 0],
      ['OPEN', 100],
    ]);
  });
});
