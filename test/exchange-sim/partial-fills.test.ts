import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, signed, startSim, until, userStream } from './helpers.js';

/**
 * Finite displayed liquidity over real sockets. At a price of 64000 the BTCUSDT book is
 * asks 64003.21 / 64006.41 / 64009.61 ... and bids 63996.80 / 63993.60 / 63990.40 ... (levels
 * 3.20 apart); POST /admin/liquidity makes each level hold 0.003 BTC.
 */
let sim: ExchangeSim | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

type Bal = { asset: string; free: string; locked: string };
type OrderJson = {
  status: string;
  executedQty: string;
  origQty: string;
  cummulativeQuoteQty: string;
  fills?: { price: string; qty: string; commission: string; tradeId: number }[];
};
const bal = async (s: ExchangeSim, asset: string): Promise<Bal> =>
  ((await signed(s, 'GET', '/api/v3/account', {})).body['balances'] as Bal[]).find((b) => b.asset === asset)!;
const order = (s: ExchangeSim, p: Record<string, string>) => signed(s, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', newOrderRespType: 'FULL', ...p });
const query = async (s: ExchangeSim, cid: string) =>
  (await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: cid })).body as unknown as OrderJson;

async function thin(levels = 3): Promise<ExchangeSim> {
  sim = await startSim();
  await admin(sim, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000' });
  expect(await admin(sim, 'POST', '/admin/liquidity', { symbol: 'BTCUSDT', qty: '0.003', levels })).toEqual({
    symbol: 'BTCUSDT',
    bidQty: '0.00300000',
    askQty: '0.00300000',
    levels,
  });
  return sim;
}

describe('exchange-sim partial fills', () => {
  it('default depth: an ordinary MARKET order fills in one go at the touch', async () => {
    sim = await startSim();
    const bt = (await (await fetch(`${sim.rest}/api/v3/ticker/bookTicker?symbol=BTCUSDT`)).json()) as Record<string, string>;
    const r = (await order(sim, { side: 'BUY', type: 'MARKET', quantity: '0.1' })).body as unknown as OrderJson;
    expect(r).toMatchObject({ status: 'FILLED', executedQty: '0.10000000' });
    expect(r.fills).toEqual([expect.objectContaining({ price: bt['askPrice'], qty: '0.10000000' })]);
  });

  it('a GTC LIMIT larger than the touch takes two levels, rests PARTIALLY_FILLED, then fills as the market trades through; a report and a trade row per fill', async () => {
    const s = await thin();
    const us = await userStream(s);
    const r = (await order(s, { side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '64008', newClientOrderId: 'pf1' }))
      .body as unknown as OrderJson;
    expect(r).toMatchObject({ status: 'PARTIALLY_FILLED', executedQty: '0.00600000', cummulativeQuoteQty: '384.02886000' });
    expect(r.fills!.map((f) => [f.price, f.qty, f.commission])).toEqual([
      ['64003.21000000', '0.00300000', '0.00000300'],
      ['64006.41000000', '0.00300000', '0.00000300'],
    ]);
    // The two levels it took are gone from the book; the third is the touch now.
    const bt = (await (await fetch(`${s.rest}/api/v3/ticker/bookTicker?symbol=BTCUSDT`)).json()) as Record<string, string>;
    expect([bt['askPrice'], bt['askQty']]).toEqual(['64009.61000000', '0.00300000']);
    const depth = (await (await fetch(`${s.rest}/api/v3/depth?symbol=BTCUSDT&limit=5`)).json()) as { bids: string[][]; asks: string[][] };
    expect(depth.asks).toEqual([['64009.61000000', '0.00300000']]);
    expect(depth.bids).toHaveLength(3);
    // The rest (0.004) keeps only its own cost locked: 0.004 x 64008.
    expect(await bal(s, 'USDT')).toEqual({ asset: 'USDT', free: '9359.93914000', locked: '256.03200000' });

    // The book refills one level of 0.003 below the order's price: that much trades through it.
    await admin(s, 'POST', '/admin/liquidity', { symbol: 'BTCUSDT', levels: 1 });
    expect(await query(s, 'pf1')).toMatchObject({ status: 'PARTIALLY_FILLED', executedQty: '0.00900000' });
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000' });
    expect(await query(s, 'pf1')).toMatchObject({ status: 'FILLED', executedQty: '0.01000000', cummulativeQuoteQty: '640.06086000' });
    expect(await bal(s, 'USDT')).toEqual({ asset: 'USDT', free: '9359.93914000', locked: '0.00000000' });

    const reports = await until('five reports', () => {
      const e = us.events.filter((x) => x['e'] === 'executionReport' && x['c'] === 'pf1');
      return e.length >= 5 && e;
    });
    us.close();
    expect(reports.map((e) => [e['x'], e['X'], e['l'], e['z'], e['L'], e['m'], e['n'], e['N']])).toEqual([
      ['NEW', 'NEW', '0.00000000', '0.00000000', '0.00000000', false, '0', null],
      ['TRADE', 'PARTIALLY_FILLED', '0.00300000', '0.00300000', '64003.21000000', false, '0.00000300', 'BTC'],
      ['TRADE', 'PARTIALLY_FILLED', '0.00300000', '0.00600000', '64006.41000000', false, '0.00000300', 'BTC'],
      ['TRADE', 'PARTIALLY_FILLED', '0.00300000', '0.00900000', '64008.00000000', true, '0.00000300', 'BTC'],
      ['TRADE', 'FILLED', '0.00100000', '0.01000000', '64008.00000000', true, '0.00000100', 'BTC'],
    ]);
    const tradeIds = reports.slice(1).map((e) => e['t'] as number);
    expect(new Set(tradeIds).size).toBe(4);
    const rows = (await signed(s, 'GET', '/api/v3/myTrades', { symbol: 'BTCUSDT' })).body as unknown as {
      id: number;
      qty: string;
      price: string;
      isMaker: boolean;
      time: number;
    }[];
    expect(rows.map((t) => [t.id, t.qty, t.price, t.isMaker])).toEqual([
      [tradeIds[0], '0.00300000', '64003.21000000', false],
      [tradeIds[1], '0.00300000', '64006.41000000', false],
      [tradeIds[2], '0.00300000', '64008.00000000', true],
      [tradeIds[3], '0.00100000', '64008.00000000', true],
    ]);
    expect(rows.every((t) => typeof t.time === 'number')).toBe(true);
  });

  it('IOC takes what its price reaches and expires the rest', async () => {
    const s = await thin();
    const r = (await order(s, { side: 'SELL', type: 'LIMIT', timeInForce: 'IOC', quantity: '0.01', price: '63992', newClientOrderId: 'ioc1' }))
      .body as unknown as OrderJson;
    expect(r).toMatchObject({ status: 'EXPIRED', executedQty: '0.00600000', origQty: '0.01000000' });
    expect(r.fills!.map((f) => f.price)).toEqual(['63996.80000000', '63993.60000000']);
    expect(await bal(s, 'BTC')).toEqual({ asset: 'BTC', free: '0.49400000', locked: '0.00000000' });
  });

  it('FOK fills completely or not at all', async () => {
    const s = await thin();
    const no = (await order(s, { side: 'BUY', type: 'LIMIT', timeInForce: 'FOK', quantity: '0.01', price: '64008', newClientOrderId: 'fok1' }))
      .body as unknown as OrderJson;
    expect(no).toMatchObject({ status: 'EXPIRED', executedQty: '0.00000000', fills: [] });
    expect(await bal(s, 'USDT')).toEqual({ asset: 'USDT', free: '10000.00000000', locked: '0.00000000' });
    const yes = (await order(s, { side: 'BUY', type: 'LIMIT', timeInForce: 'FOK', quantity: '0.006', price: '64008', newClientOrderId: 'fok2' }))
      .body as unknown as OrderJson;
    expect(yes).toMatchObject({ status: 'FILLED', executedQty: '0.00600000' });
    expect(yes.fills).toHaveLength(2);
  });

  it('a MARKET order walks every level and expires what the book cannot give; by quoteOrderQty it walks by amount', async () => {
    const s = await thin();
    const r = (await order(s, { side: 'BUY', type: 'MARKET', quantity: '0.02', newClientOrderId: 'mkt1' })).body as unknown as OrderJson;
    expect(r).toMatchObject({ status: 'EXPIRED', executedQty: '0.00900000', origQty: '0.02000000' });
    expect(r.fills!.map((f) => f.price)).toEqual(['64003.21000000', '64006.41000000', '64009.61000000']);
    expect((await bal(s, 'USDT')).locked).toBe('0.00000000');
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000' }); // refills the book
    const q = (await order(s, { side: 'BUY', type: 'MARKET', quoteOrderQty: '400', newClientOrderId: 'mkt2' })).body as unknown as OrderJson;
    expect(q).toMatchObject({ status: 'FILLED', executedQty: '0.00624000', origQty: '0.00624000', cummulativeQuoteQty: '399.39116640' });
    expect(q.fills!.map((f) => f.qty)).toEqual(['0.00300000', '0.00300000', '0.00024000']);
  });
});
