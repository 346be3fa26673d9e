import ccxt from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, KEY, startSim } from '../exchange-sim/helpers.js';

/**
 * A third-party Binance client, unchanged but for its base URLs, runs the everyday calls against
 * the simulator: markets, ticker, order book, candles, balance, orders, trades. ccxt is configured
 * as any user would point it at a Binance-compatible host: spot markets only, no sapi calls (the
 * currencies and margin-pairs lookups live on /sapi, which the simulator does not serve).
 */
let sim: ExchangeSim;
let ex: InstanceType<typeof ccxt.binance>;

beforeAll(async () => {
  sim = await startSim({ seed: 21 });
  await admin(sim, 'POST', '/admin/tick', { n: 30 });
  ex = new ccxt.binance({
    apiKey: KEY.apiKey,
    secret: KEY.secretKey,
    enableRateLimit: false,
    options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false, adjustForTimeDifference: false },
  });
  ex.setSandboxMode(false);
  for (const k of ['public', 'private'] as const) (ex.urls['api'] as Record<string, string>)[k] = `${sim.rest}/api/v3`;
  (ex.urls['api'] as Record<string, string>)['v1'] = `${sim.rest}/api/v1`;
});
afterAll(async () => sim?.close());

const state = async () => (await admin(sim, 'GET', '/admin/state')) as { orders: { clientOrderId: string; status: string; apiKey: string }[] };

describe('ccxt.binance (unchanged, base URL only) against the simulator', () => {
  it("loadMarkets lists the simulator's three spot markets with their tick and step", async () => {
    const m = await ex.loadMarkets();
    expect(Object.keys(m).sort()).toEqual(['BNB/USDT', 'BTC/USDT', 'ETH/USDT']);
    expect(m['BTC/USDT']!.precision.price).toBe(0.01);
    expect(m['BTC/USDT']!.limits.amount?.min).toBe(0.00001);
  });

  it("fetchTicker (ticker/24hr) gives the book's bid and ask and a last price inside the day's range", async () => {
    await admin(sim, 'POST', '/admin/market', { paused: true });
    const t = await ex.fetchTicker('BTC/USDT');
    const book = (await (await fetch(`${sim.rest}/api/v3/ticker/bookTicker?symbol=BTCUSDT`)).json()) as { bidPrice: string; askPrice: string };
    await admin(sim, 'POST', '/admin/market', { paused: false });
    expect(t.symbol).toBe('BTC/USDT');
    expect(t.bid).toBe(Number(book.bidPrice));
    expect(t.ask).toBe(Number(book.askPrice));
    expect(t.last!).toBeGreaterThanOrEqual(t.low!);
    expect(t.last!).toBeLessThanOrEqual(t.high!);
  });

  it('fetchOrderBook gives sorted levels, best bid below best ask', async () => {
    const ob = await ex.fetchOrderBook('BTC/USDT', 5);
    expect(ob.bids).toHaveLength(5);
    expect(ob.asks).toHaveLength(5);
    expect(ob.bids[0]![0]!).toBeLessThan(ob.asks[0]![0]!);
    expect(ob.bids[0]![0]!).toBeGreaterThan(ob.bids[1]![0]!);
  });

  it('fetchOHLCV gives 1-minute candles with high >= open, close >= low', async () => {
    const c = await ex.fetchOHLCV('BTC/USDT', '1m', undefined, 5);
    expect(c.length).toBeGreaterThan(0);
    for (const [t, o, h, l, cl] of c) {
      expect(t! % 60_000).toBe(0);
      expect(h!).toBeGreaterThanOrEqual(Math.max(o!, cl!));
      expect(l!).toBeLessThanOrEqual(Math.min(o!, cl!));
    }
  });

  it("fetchBalance gives the simulator account's starting balances", async () => {
    const b = await ex.fetchBalance();
    const total = b.total as unknown as Record<string, number>;
    expect(total['USDT']).toBe(10000);
    expect(total['BTC']).toBe(0.5);
  });

  it("createOrder (limit), fetchOpenOrders and cancelOrder act on the simulator's order", async () => {
    const t = await ex.fetchTicker('BTC/USDT');
    const o = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, Math.floor(t.last! * 0.9));
    expect(o.status).toBe('open');
    const open = await ex.fetchOpenOrders('BTC/USDT');
    expect(open.map((x) => x.id)).toContain(o.id);
    expect((await state()).orders.find((x) => x.clientOrderId === o.clientOrderId)?.status).toBe('NEW');
    const c = await ex.cancelOrder(o.id!, 'BTC/USDT');
    expect(c.status).toBe('canceled');
    expect((await state()).orders.find((x) => x.clientOrderId === o.clientOrderId)?.status).toBe('CANCELED');
    expect((await ex.fetchOpenOrders('BTC/USDT')).map((x) => x.id)).not.toContain(o.id);
  });

  it('fetchMyTrades lists the fill of a market order placed through ccxt', async () => {
    const o = await ex.createOrder('BTC/USDT', 'market', 'sell', 0.001);
    expect(o.status).toBe('closed');
    const trades = await ex.fetchMyTrades('BTC/USDT');
    const mine = trades.filter((x) => x.order === o.id);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.reduce((s, x) => s + x.amount!, 0)).toBeCloseTo(0.001, 8);
    expect(mine[0]!.side).toBe('sell');
  });
});
