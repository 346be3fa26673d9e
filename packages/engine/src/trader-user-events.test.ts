import { describe, expect, it } from 'vitest';
import { clientOrderIdFor, listLegId, type EventEnvelope, type UserEvent } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { ChurnCounter } from './churn.js';
import { IntentBook, type Intent } from './intents.js';
import { Ledger } from './ledger.js';
import { Trader } from './trader.js';
import { BTCUSDT_PRICE_LOT_RULES } from '@vigil/core';

/**
 * What the trader books from the user stream: only fills of orders it can have placed on that
 * symbol (found by a probe: any "vg..." id was booked, on any symbol, a position appearing on a
 * market the bot does not trade).
 */
function trader() {
  const r = parseConfig({});
  if (!r.ok) throw new Error('config');
  const events: [string, unknown][] = [];
  const ledger = new Ledger((s) => (s === 'BTCUSDT' ? { base: 'BTC', quote: 'USDT' } : s === 'ETHUSDT' ? { base: 'ETH', quote: 'USDT' } : null));
  const intents = new IntentBook({
    now: () => 0,
    make: () => ({}) as EventEnvelope,
    commit: async () => undefined,
    record: () => undefined,
  });
  const t = new Trader({
    cfg: r.config.engine,
    now: () => 1_000_000,
    call: () => null,
    intents,
    ledger,
    churn: new ChurnCounter(() => 0),
    rules: (s) => (s === 'BTCUSDT' || s === 'ETHUSDT' ? BTCUSDT_PRICE_LOT_RULES : null),
    quote: () => null,
    event: (type, payload) => void events.push([type, payload]),
    reason: () => undefined,
    orderTimeoutMs: 1000,
  });
  return { t, ledger, intents, fills: () => events.filter(([type]) => type === 'FILL_RECORDED').length };
}

const intent = (over: Partial<Intent>): Intent => ({
  id: 'oi_1',
  kind: 'ENTRY',
  symbol: 'BTCUSDT',
  side: 'BUY',
  client_order_id: clientOrderIdFor('oi_1', 'entry'),
  corr: {},
  state: 'CONFIRMED',
  created_ms: 0,
  state_ms: 0,
  unknown_since: null,
  not_found_answers: 0,
  last_query_ms: 0,
  detail: {},
  ...over,
});

const trade = (over: Partial<Extract<UserEvent, { kind: 'order' }>>): Extract<UserEvent, { kind: 'order' }> => ({
  kind: 'order',
  symbol: 'BTCUSDT',
  client_order_id: clientOrderIdFor('oi_1', 'entry'),
  order_id: 7,
  side: 'BUY',
  type: 'LIMIT',
  status: 'PARTIALLY_FILLED',
  exec_type: 'TRADE',
  price: '64000.00',
  orig_qty: '0.01000',
  last_qty: '0.00100',
  last_price: '64000.00',
  cum_qty: '0.00100',
  cum_quote: '64.00',
  commission: '0',
  commission_asset: 'USDT',
  trade_id: 1,
  ts_ms: 1_000_000,
  ...over,
});

describe('trader: fills from the user stream', () => {
  it('a fill of an order with a known intent on its symbol is booked', () => {
    const h = trader();
    h.intents.adopt(intent({}));
    h.t.onUserEvent(trade({}));
    expect(h.fills()).toBe(1);
    expect(h.ledger.position('BTCUSDT').qty).toBe('0.001');
  });

  it('a fill of an OCO leg is booked through its list intent', () => {
    const h = trader();
    const list = clientOrderIdFor('oi_2', 'list');
    h.intents.adopt(intent({ id: 'oi_2', kind: 'PROTECT', side: 'SELL', client_order_id: list }));
    h.intents.adopt(intent({}));
    h.t.onUserEvent(trade({ trade_id: 1 }));
    h.t.onUserEvent(trade({ client_order_id: listLegId(list, 'stop'), side: 'SELL', type: 'STOP_LOSS_LIMIT', trade_id: 2 }));
    expect(h.fills()).toBe(2);
    expect(h.ledger.position('BTCUSDT').qty).toBe('0');
  });

  it("a 'vg' id with no intent and held by no slot is not booked: the symbol's trades are learned over REST instead", () => {
    const h = trader();
    h.t.onUserEvent(trade({ client_order_id: clientOrderIdFor('oi_never', 'entry') }));
    h.t.onUserEvent(trade({ client_order_id: 'vgE1', trade_id: 2 }));
    expect(h.fills()).toBe(0);
    expect(h.ledger.position('BTCUSDT').qty).toBe('0');
    expect(h.t.pendingTrades.has('BTCUSDT')).toBe(true);
  });

  it('a known order reported under another symbol is not booked, and a symbol the bot does not trade gets no slot', () => {
    const h = trader();
    h.intents.adopt(intent({}));
    h.t.onUserEvent(trade({ symbol: 'ETHUSDT', last_price: '3000.00' }));
    h.t.onUserEvent(trade({ symbol: 'DOGEUSDT', trade_id: 3 }));
    expect(h.fills()).toBe(0);
    expect(h.ledger.position('ETHUSDT').qty).toBe('0');
    expect(h.t.slots.has('DOGEUSDT')).toBe(false);
    expect(h.t.pendingTrades.has('DOGEUSDT')).toBe(false);
  });

  it('an entry declared NOT_FOUND that fills late, its slot without a plan: the fill is booked and the slot takes the plan the entry was approved with', () => {
    const h = trader();
    h.intents.adopt(intent({ state: 'NOT_FOUND', detail: { stop_price: '63000.00', take_profit_price: '66000.00' } }));
    h.t.slot('BTCUSDT');
    expect(h.t.slot('BTCUSDT').plan).toBeNull();
    h.t.onUserEvent(trade({}));
    expect(h.fills()).toBe(1);
    expect(h.t.slot('BTCUSDT').plan).toEqual({ stop_price: '63000.00', take_profit_price: '66000.00', trailing_delta_bps: null });
  });
});
