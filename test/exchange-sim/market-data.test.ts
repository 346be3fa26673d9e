import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, signed, startSim } from './helpers.js';

/** A reply body read loosely: each assertion names the fields it checks (the shapes are pinned by test/conformance). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type Loose = any;

/** The public market-data endpoints third-party clients call, their parameters and Binance's weights. */
let sim: ExchangeSim;
const get = async (path: string) => {
  const r = await fetch(`${sim.rest}${path}`);
  return { status: r.status, body: (await r.json()) as Loose, used: Number(r.headers.get('x-mbx-used-weight-1m')) };
};
const syms = (s: string[]) => encodeURIComponent(JSON.stringify(s));
/** The weight one request adds to X-MBX-USED-WEIGHT-1M (two requests in the same minute). */
async function weightOf(path: string): Promise<number> {
  for (;;) {
    const before = await get('/api/v3/ping');
    const r = await get(path);
    // A minute boundary between the two resets the counter: measure again.
    if (r.used > before.used) return r.used - before.used;
  }
}

beforeAll(async () => {
  sim = await startSim({ seed: 5 });
  await admin(sim, 'POST', '/admin/tick', { n: 30 });
});
afterAll(async () => sim?.close());

describe('exchange-sim market data endpoints', () => {
  it('exchangeInfo: symbol=, symbols=[...], permissions= select symbols; an unknown symbol is -1121; permissions with symbol is -1128', async () => {
    expect((await get('/api/v3/exchangeInfo?symbol=ETHUSDT')).body.symbols.map((s: Loose) => s.symbol)).toEqual(['ETHUSDT']);
    expect((await get(`/api/v3/exchangeInfo?symbols=${syms(['BTCUSDT', 'BNBUSDT'])}`)).body.symbols.map((s: Loose) => s.symbol)).toEqual([
      'BTCUSDT',
      'BNBUSDT',
    ]);
    expect((await get('/api/v3/exchangeInfo?permissions=SPOT')).body.symbols).toHaveLength(3);
    expect((await get(`/api/v3/exchangeInfo?permissions=${syms(['MARGIN'])}`)).body.symbols).toHaveLength(0);
    expect((await get('/api/v3/exchangeInfo?symbol=NOPE')).body).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    expect((await get(`/api/v3/exchangeInfo?symbols=${syms(['BTCUSDT', 'NOPE'])}`)).body.code).toBe(-1121);
    expect((await get('/api/v3/exchangeInfo?symbol=BTCUSDT&permissions=SPOT')).body.code).toBe(-1128);
    expect((await get('/api/v3/exchangeInfo?symbols=BTCUSDT')).body.code).toBe(-1100);
  });

  it('ticker/24hr: one symbol is an object, symbols=[...] and no symbol are arrays; its last price and book agree with ticker/price and bookTicker', async () => {
    await admin(sim, 'POST', '/admin/market', { paused: true });
    const t = (await get('/api/v3/ticker/24hr?symbol=BTCUSDT')).body;
    const price = (await get('/api/v3/ticker/price?symbol=BTCUSDT')).body;
    const book = (await get('/api/v3/ticker/bookTicker?symbol=BTCUSDT')).body;
    await admin(sim, 'POST', '/admin/market', { paused: false });
    expect(t.symbol).toBe('BTCUSDT');
    expect(t.lastPrice).toBe(price.price);
    expect([t.bidPrice, t.askPrice]).toEqual([book.bidPrice, book.askPrice]);
    expect(Number(t.highPrice)).toBeGreaterThanOrEqual(Number(t.lowPrice));
    expect(t.count).toBeGreaterThan(0);
    expect(t.lastId - t.firstId + 1).toBeGreaterThanOrEqual(t.count);
    expect((await get(`/api/v3/ticker/24hr?symbols=${syms(['ETHUSDT', 'BTCUSDT'])}`)).body.map((x: Loose) => x.symbol)).toEqual(['ETHUSDT', 'BTCUSDT']);
    expect((await get('/api/v3/ticker/24hr')).body).toHaveLength(3);
    expect((await get('/api/v3/ticker/24hr?symbol=BTCUSDT&symbols=%5B%5D')).body.code).toBe(-1128);
  });

  it('ticker (rolling window): symbol or symbols required, windowSize 1m..7d, type MINI drops the change fields', async () => {
    expect((await get('/api/v3/ticker')).body.code).toBe(-1102);
    expect((await get('/api/v3/ticker?symbol=BTCUSDT&windowSize=60m')).body.code).toBe(-1100);
    const r = (await get('/api/v3/ticker?symbol=BTCUSDT&windowSize=15m')).body;
    expect(r.openTime % 60_000).toBe(0);
    expect(r.closeTime - r.openTime).toBeGreaterThanOrEqual(15 * 60_000);
    const mini = (await get('/api/v3/ticker?symbol=BTCUSDT&type=MINI')).body;
    expect(mini).not.toHaveProperty('priceChange');
    expect(mini).toHaveProperty('quoteVolume');
  });

  it('trades, historicalTrades (fromId) and aggTrades page the tape, ascending by id', async () => {
    const trades = (await get('/api/v3/trades?symbol=BTCUSDT&limit=5')).body as { id: number }[];
    expect(trades).toHaveLength(5);
    expect(trades.map((t) => t.id)).toEqual([...trades.map((t) => t.id)].sort((a, b) => a - b));
    const from = trades[0]!.id;
    const hist = (await get(`/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${from}&limit=3`)).body as { id: number }[];
    expect(hist[0]!.id).toBe(from);
    expect(hist).toHaveLength(3);
    const agg = (await get(`/api/v3/aggTrades?symbol=BTCUSDT&fromId=${from}&limit=2`)).body as { a: number; f: number; l: number }[];
    expect(agg[0]).toMatchObject({ a: from, f: from, l: from });
    expect((await get('/api/v3/trades?symbol=BTCUSDT&limit=1001')).body.code).toBe(-1100);
    expect((await get(`/api/v3/aggTrades?symbol=BTCUSDT&fromId=1&startTime=1`)).body.code).toBe(-1128);
  });

  it('uiKlines answers like klines; depth above 5000 levels answers (clamped) rather than failing', async () => {
    const k = (await get('/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2')).body;
    const u = (await get('/api/v3/uiKlines?symbol=BTCUSDT&interval=1m&limit=2')).body;
    expect(u.length).toBe(k.length);
    expect((await get('/api/v3/depth?symbol=BTCUSDT&limit=6000')).status).toBe(200);
  });

  it("myTrades by orderId lists only that order's fills and weighs 5; orderId with a time window is -1128", async () => {
    const a = await signed(sim, 'POST', '/api/v3/order', { symbol: 'ETHUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01' });
    await signed(sim, 'POST', '/api/v3/order', { symbol: 'ETHUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01' });
    const id = String(a.body['orderId']);
    let added = 0;
    let rows: { orderId: number }[] = [];
    while (added <= 0) {
      const before = (await get('/api/v3/ping')).used;
      const r = await signed(sim, 'GET', '/api/v3/myTrades', { symbol: 'ETHUSDT', orderId: id });
      rows = r.body as unknown as { orderId: number }[];
      added = Number(r.headers.get('x-mbx-used-weight-1m')) - before;
    }
    expect(added).toBe(5);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((t) => t.orderId === Number(id))).toBe(true);
    expect((await signed(sim, 'GET', '/api/v3/myTrades', { symbol: 'ETHUSDT', orderId: id, startTime: '1' })).body['code']).toBe(-1128);
  });

  it("weights are Binance's: depth by limit, tickers by symbols, trades 25, aggTrades 4, openOrders without symbol 80", async () => {
    expect(await weightOf('/api/v3/depth?symbol=BTCUSDT&limit=100')).toBe(5);
    expect(await weightOf('/api/v3/depth?symbol=BTCUSDT&limit=500')).toBe(25);
    expect(await weightOf('/api/v3/depth?symbol=BTCUSDT&limit=1000')).toBe(50);
    expect(await weightOf('/api/v3/depth?symbol=BTCUSDT&limit=5000')).toBe(250);
    expect(await weightOf('/api/v3/ticker/24hr?symbol=BTCUSDT')).toBe(2);
    expect(await weightOf('/api/v3/ticker/24hr')).toBe(80);
    expect(await weightOf(`/api/v3/ticker/24hr?symbols=${syms(['BTCUSDT'])}`)).toBe(2);
    expect(await weightOf('/api/v3/ticker/price')).toBe(4);
    expect(await weightOf('/api/v3/ticker/bookTicker?symbol=BTCUSDT')).toBe(2);
    expect(await weightOf(`/api/v3/ticker?symbols=${syms(['BTCUSDT', 'ETHUSDT'])}`)).toBe(8);
    expect(await weightOf('/api/v3/trades?symbol=BTCUSDT')).toBe(25);
    expect(await weightOf('/api/v3/historicalTrades?symbol=BTCUSDT')).toBe(25);
    expect(await weightOf('/api/v3/aggTrades?symbol=BTCUSDT')).toBe(4);
    expect(await weightOf('/api/v3/uiKlines?symbol=BTCUSDT&interval=1m')).toBe(2);
    let added = 0;
    while (added <= 0) {
      const before = (await get('/api/v3/ping')).used;
      const r = await signed(sim, 'GET', '/api/v3/openOrders', {});
      added = Number(r.headers.get('x-mbx-used-weight-1m')) - before;
    }
    expect(added).toBe(80);
  });
});
