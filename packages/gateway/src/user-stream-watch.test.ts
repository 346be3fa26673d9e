import { describe, expect, it } from 'vitest';
import type { OrderReport, UserEvent } from '@vigil/contracts';
import { UserStreamWatch } from './user-stream-watch.js';

const rep = (coid: string, status: OrderReport['status'], executed: string, ts: number): OrderReport => ({
  symbol: 'BTCUSDT',
  order_id: 1,
  order_list_id: -1,
  client_order_id: coid,
  status,
  type: 'LIMIT',
  side: 'BUY',
  price: '100',
  orig_qty: '1',
  executed_qty: executed,
  cummulative_quote_qty: '0',
  time_in_force: 'GTC',
  stop_price: null,
  ts_ms: ts,
  fills: [],
});
const ev = (coid: string, status: string, cum: string): UserEvent => ({
  kind: 'order',
  symbol: 'BTCUSDT',
  client_order_id: coid,
  order_id: 1,
  side: 'BUY',
  type: 'LIMIT',
  status,
  exec_type: status === 'NEW' ? 'NEW' : 'TRADE',
  price: '100',
  orig_qty: '1',
  last_qty: '0',
  last_price: '0',
  cum_qty: cum,
  cum_quote: '0',
  commission: '0',
  commission_asset: null,
  trade_id: -1,
  ts_ms: 0,
});

function watch() {
  let now = 10_000;
  const w = new UserStreamWatch({ windowMs: 1000, now: () => now, venueNow: () => now });
  return { w, at: (t: number) => void (now = t) };
}

describe('user stream silence watch', () => {
  it('reports an order change seen over REST that the stream did not deliver within the window, once', () => {
    const { w, at } = watch();
    w.subscribed();
    at(10_600);
    w.onRest(rep('a', 'FILLED', '1', 10_500));
    at(11_500);
    expect(w.overdue()).toEqual([]);
    at(11_600);
    expect(w.overdue()).toMatchObject([{ client_order_id: 'a', status: 'FILLED', executed_qty: '1' }]);
    expect(w.overdue()).toEqual([]);
  });

  it('owes nothing for a change the stream delivered first, or later within the window', () => {
    const { w, at } = watch();
    w.subscribed();
    w.onStream(ev('a', 'NEW', '0'));
    w.onRest(rep('a', 'NEW', '0', 10_100));
    w.onRest(rep('b', 'PARTIALLY_FILLED', '0.5', 10_200));
    w.onStream(ev('b', 'PARTIALLY_FILLED', '0.5'));
    at(20_000);
    expect(w.overdue()).toEqual([]);
  });

  it('owes nothing for a change stamped before the subscription (a gap is for reconcile), nor while unsubscribed', () => {
    const { w, at } = watch();
    w.onRest(rep('a', 'FILLED', '1', 10_500)); // not subscribed yet
    at(12_000);
    w.subscribed();
    w.onRest(rep('b', 'FILLED', '1', 11_000)); // stamped before the subscription
    at(20_000);
    expect(w.overdue()).toEqual([]);
    w.onRest(rep('c', 'FILLED', '1', 20_001));
    w.lost();
    at(30_000);
    expect(w.overdue()).toEqual([]);
  });

  it('a stream event behind the REST view does not settle it: a fill the stream missed is still owed', () => {
    const { w, at } = watch();
    w.subscribed();
    w.onStream(ev('a', 'NEW', '0'));
    w.onRest(rep('a', 'FILLED', '1', 10_100));
    w.onStream(ev('a', 'NEW', '0'));
    at(11_200);
    expect(w.overdue().map((o) => o.client_order_id)).toEqual(['a']);
  });
});
