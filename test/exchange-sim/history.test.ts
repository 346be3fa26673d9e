import { describe, expect, it } from 'vitest';
import { Exchange } from '../../apps/exchange-sim/src/index.js';
import { KEY } from './helpers.js';

const D = 86_400_000;

/** The venue's order history stays bounded for a sim that runs for months (npm start). */
describe('exchange-sim order history', () => {
  it('pruneHistory forgets final orders (canceled, filled) older than the window, never an open one, and keeps stateSizes bounded over 100 simulated days', () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const ex = new Exchange(5, [{ ...KEY }], () => clock.now);
    const bid = () => ex.books.get('BTCUSDT')!.bids[0]!.price;
    const limitBuy = (cid: string, far: boolean) => {
      // A far limit rests; a marketable one (above the ask) fills at once.
      const px = far ? (bid() * 8n) / 10n : (ex.books.get('BTCUSDT')!.asks[0]!.price * 11n) / 10n;
      const r = ex.place(KEY.apiKey, {
        symbol: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: '0.001',
        price: (Number(px) / 1e8).toFixed(2),
        newClientOrderId: cid,
      });
      if (!r.ok) throw new Error(JSON.stringify(r.err));
      return r.value;
    };
    const resting = limitBuy('keep-open', true);
    const window = 30 * D;
    let most = 0;
    for (let day = 0; day < 100; day++) {
      clock.now += D;
      const o = limitBuy(`c${day}`, true);
      expect(ex.cancel(KEY.apiKey, 'BTCUSDT', { orderId: o.orderId }).ok).toBe(true);
      const f = limitBuy(`f${day}`, false);
      expect(ex.orders.get(f.orderId)!.status).toBe('FILLED');
      ex.pruneHistory(window);
      most = Math.max(most, ex.stateSizes().orders);
    }
    // Two final orders a day for the 30-day window, plus the one open order.
    expect(most).toBeLessThanOrEqual(2 * 31 + 1);
    expect(ex.orders.get(resting.orderId)?.status).toBe('NEW');
    expect(ex.stateSizes()).toMatchObject({ open_orders: 1 });
    expect([...ex.orders.values()].every((o) => o.status === 'NEW' || clock.now - o.updateTime <= window)).toBe(true);
  });
});
