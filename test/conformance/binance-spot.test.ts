import { Spot, SpotRestAPI } from '@binance/spot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, KEY, startSim } from '../exchange-sim/helpers.js';

/**
 * Binance's own connector (@binance/spot), unchanged but for its basePath, runs the everyday REST
 * calls against the simulator: markets, tickers, book, candles, balance, orders, trades.
 */
let sim: ExchangeSim;
let client: Spot;

beforeAll(async () => {
  sim = await startSim({ seed: 23 });
  await admin(sim, 'POST', '/admin/tick', { n: 30 });
  client = new Spot({ configurationRestAPI: { apiKey: KEY.apiKey, apiSecret: KEY.secretKey, basePath: sim.rest } });
});
afterAll(async () => sim?.close());

const state = async () => (await admin(sim, 'GET', '/admin/state')) as { orders: { orderId: number; status: string }[] };

describe('@binance/spot (unchanged, basePath only) against the simulator', () => {
  it('exchangeInfo (symbols=[...]), ticker24hr, tickerPrice, tickerBookTicker, depth and klines answer', async () => {
    const info = await (await client.restAPI.exchangeInfo({ symbols: ['BTCUSDT', 'ETHUSDT'] })).data();
    expect(info.symbols?.map((s) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    const t = (await (await client.restAPI.ticker24hr({ symbol: 'BTCUSDT' })).data()) as { symbol?: string; lastPrice?: string; count?: number };
    expect(t.symbol).toBe('BTCUSDT');
    expect(Number(t.lastPrice)).toBeGreaterThan(0);
    const prices = (await (await client.restAPI.tickerPrice({ symbols: ['BTCUSDT', 'BNBUSDT'] })).data()) as { symbol?: string }[];
    expect(prices.map((p) => p.symbol)).toEqual(['BTCUSDT', 'BNBUSDT']);
    const bt = (await (await client.restAPI.tickerBookTicker({ symbol: 'ETHUSDT' })).data()) as { bidPrice?: string; askPrice?: string };
    expect(Number(bt.bidPrice)).toBeLessThan(Number(bt.askPrice));
    const depth = await (await client.restAPI.depth({ symbol: 'BTCUSDT', limit: 5 })).data();
    expect(depth.bids).toHaveLength(5);
    const k = await (await client.restAPI.klines({ symbol: 'BTCUSDT', interval: SpotRestAPI.KlinesIntervalEnum.INTERVAL_1m, limit: 3 })).data();
    expect(k.length).toBeGreaterThan(0);
  });

  it("getAccount, newOrder (LIMIT), getOpenOrders, deleteOrder, a MARKET order and myTrades act on the simulator's account", async () => {
    const acct = await (await client.restAPI.getAccount({ omitZeroBalances: true })).data();
    expect(acct.balances?.find((b) => b.asset === 'USDT')?.free).toBe('10000.00000000');
    const p = Number(((await (await client.restAPI.tickerPrice({ symbol: 'BTCUSDT' })).data()) as { price?: string }).price);
    const o = await (
      await client.restAPI.newOrder({
        symbol: 'BTCUSDT',
        side: SpotRestAPI.NewOrderSideEnum.BUY,
        type: SpotRestAPI.NewOrderTypeEnum.LIMIT,
        timeInForce: SpotRestAPI.NewOrderTimeInForceEnum.GTC,
        quantity: 0.001,
        price: Math.floor(p * 0.9),
      })
    ).data();
    expect(o.status).toBe('NEW');
    const open = await (await client.restAPI.getOpenOrders({ symbol: 'BTCUSDT' })).data();
    expect(open.map((x) => x.orderId)).toContain(o.orderId);
    const c = await (await client.restAPI.deleteOrder({ symbol: 'BTCUSDT', orderId: o.orderId! })).data();
    expect(c.status).toBe('CANCELED');
    expect((await state()).orders.find((x) => x.orderId === o.orderId)?.status).toBe('CANCELED');
    const m = await (
      await client.restAPI.newOrder({ symbol: 'BTCUSDT', side: SpotRestAPI.NewOrderSideEnum.SELL, type: SpotRestAPI.NewOrderTypeEnum.MARKET, quantity: 0.001 })
    ).data();
    expect(m.status).toBe('FILLED');
    const trades = await (await client.restAPI.myTrades({ symbol: 'BTCUSDT' })).data();
    expect(trades.filter((x) => x.orderId === m.orderId).length).toBeGreaterThan(0);
  });

  it('getTrades and aggTrades read the tape', async () => {
    const tr = await (await client.restAPI.getTrades({ symbol: 'BTCUSDT', limit: 3 })).data();
    expect(tr).toHaveLength(3);
    const agg = await (await client.restAPI.aggTrades({ symbol: 'BTCUSDT', limit: 3 })).data();
    expect(agg).toHaveLength(3);
  });
});
