import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { signed, startSim, until, userStream } from './helpers.js';

let sim: ExchangeSim | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

/** A resting SELL of ours at the ask, then a BUY of ours at that price with `mode`: the two would match. */
async function selfCross(mode: string | null) {
  const s = (sim = await startSim());
  const bt = (await (await fetch(`${s.rest}/api/v3/ticker/bookTicker?symbol=BTCUSDT`)).json()) as { askPrice: string };
  const ask = bt.askPrice;
  const maker = await signed(s, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.002', price: ask });
  expect(maker.body).toMatchObject({ status: 'NEW' });
  const taker = await signed(s, 'POST', '/api/v3/order', {
    symbol: 'BTCUSDT',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    quantity: '0.001',
    price: ask,
    newOrderRespType: 'FULL',
    ...(mode !== null ? { selfTradePreventionMode: mode } : {}),
  });
  const makerNow = await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', orderId: String(maker.body['orderId']) });
  return { s, ask, maker: maker.body, taker, makerNow: makerNow.body };
}

describe('exchange-sim self-trade prevention', () => {
  it('EXPIRE_TAKER: the taker is EXPIRED_IN_MATCH with preventedMatches (takerPreventedQuantity), the resting order stays NEW', async () => {
    const { ask, maker, taker, makerNow } = await selfCross('EXPIRE_TAKER');
    expect(taker.status).toBe(200);
    expect(taker.body).toMatchObject({
      status: 'EXPIRED_IN_MATCH',
      executedQty: '0.00000000',
      selfTradePreventionMode: 'EXPIRE_TAKER',
      fills: [],
      preventedMatches: [{ preventedMatchId: 0, makerOrderId: maker['orderId'], price: ask, takerPreventedQuantity: '0.00100000' }],
    });
    expect(makerNow).toMatchObject({ status: 'NEW', executedQty: '0.00000000' });
  });

  it('EXPIRE_MAKER (the default): the resting order is EXPIRED_IN_MATCH with preventedMatchId/preventedQuantity, the taker trades on against the book', async () => {
    const { maker, taker, makerNow } = await selfCross(null);
    expect(taker.body).toMatchObject({
      status: 'FILLED',
      selfTradePreventionMode: 'EXPIRE_MAKER',
      preventedMatches: [{ makerOrderId: maker['orderId'], makerPreventedQuantity: '0.00200000' }],
    });
    expect(makerNow).toMatchObject({ status: 'EXPIRED_IN_MATCH', preventedMatchId: 0, preventedQuantity: '0.00200000', executedQty: '0.00000000' });
  });

  it('EXPIRE_BOTH: taker and resting order are both EXPIRED_IN_MATCH under one preventedMatchId; both locks are released', async () => {
    const { s, taker, makerNow } = await selfCross('EXPIRE_BOTH');
    expect(taker.body).toMatchObject({
      status: 'EXPIRED_IN_MATCH',
      preventedMatches: [{ preventedMatchId: 0, takerPreventedQuantity: '0.00100000', makerPreventedQuantity: '0.00200000' }],
    });
    expect(makerNow).toMatchObject({ status: 'EXPIRED_IN_MATCH', preventedMatchId: 0 });
    const acct = (await signed(s, 'GET', '/api/v3/account', {})).body as { balances: { asset: string; locked: string }[] };
    expect(acct.balances.filter((b) => b.asset === 'BTC' || b.asset === 'USDT').map((b) => b.locked)).toEqual(['0.00000000', '0.00000000']);
  });

  it('the user data stream reports a prevented order as x=TRADE_PREVENTION, X=EXPIRED_IN_MATCH with v (preventedMatchId) and A (preventedQuantity)', async () => {
    const s = (sim = await startSim());
    const stream = await userStream(s);
    const bt = (await (await fetch(`${s.rest}/api/v3/ticker/bookTicker?symbol=BTCUSDT`)).json()) as { askPrice: string };
    await signed(s, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.002', price: bt.askPrice });
    await signed(s, 'POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.001',
      price: bt.askPrice,
      selfTradePreventionMode: 'EXPIRE_TAKER',
    });
    const ev = await until('the TRADE_PREVENTION report', () => stream.events.find((e) => e['e'] === 'executionReport' && e['x'] === 'TRADE_PREVENTION'));
    expect(ev).toMatchObject({ X: 'EXPIRED_IN_MATCH', S: 'BUY', v: 0, A: '0.00100000' });
    stream.close();
  });

  it('a selfTradePreventionMode the symbol does not allow (NONE, or unknown) is refused with -1130 and nothing is placed', async () => {
    const s = (sim = await startSim());
    for (const mode of ['NONE', 'EXPIRE_SOMETIMES']) {
      const r = await signed(s, 'POST', '/api/v3/order', {
        symbol: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: '0.001',
        price: '60000',
        selfTradePreventionMode: mode,
      });
      expect(r.body).toEqual({ code: -1130, msg: "Data sent for parameter 'selfTradePreventionMode' is not valid." });
    }
    expect((await signed(s, 'GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' })).body).toEqual([]);
  });
});
