import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, signed, startSim, until, userStream } from './helpers.js';

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

/**
 * Self-trade prevention beyond a new order: a stop that triggers is a new taker, and OCO legs carry
 * the list's mode (Binance: STP applies to every taker of the account, whatever placed it). A still
 * market at 64000 whose book shows one level of 0.001 each side: a resting BUY of ours at 62000 sits
 * below it, where a SELL taking more than the level reaches it.
 */
describe('exchange-sim self-trade prevention for triggered stops and OCO legs', () => {
  type O = { status: string; executedQty: string; selfTradePreventionMode: string; preventedQuantity?: string };
  const get = async (s: ExchangeSim, cid: string) =>
    (await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: cid })).body as unknown as O;
  async function thinMarketWithRestingBuy(): Promise<ExchangeSim> {
    const s = (sim = await startSim());
    await admin(s, 'POST', '/admin/market', { paused: true });
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000.00' });
    await admin(s, 'POST', '/admin/liquidity', { symbol: 'BTCUSDT', qty: '0.001', levels: 1 });
    const b = await signed(s, 'POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.001',
      price: '62000.00',
      newClientOrderId: 'restbuy',
    });
    expect(b.body).toMatchObject({ status: 'NEW' });
    return s;
  }
  const stopSell = (s: ExchangeSim, mode: string | null) =>
    signed(s, 'POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      type: 'STOP_LOSS',
      quantity: '0.005',
      stopPrice: '63000.00',
      newClientOrderId: 'stop1',
      ...(mode !== null ? { selfTradePreventionMode: mode } : {}),
    });

  it('a STOP_LOSS with EXPIRE_TAKER that triggers takes the book down to our resting BUY, then is EXPIRED_IN_MATCH for the rest; the BUY stays NEW', async () => {
    const s = await thinMarketWithRestingBuy();
    expect((await stopSell(s, 'EXPIRE_TAKER')).status).toBe(200);
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '62500.00' });
    expect(await get(s, 'stop1')).toMatchObject({ status: 'EXPIRED_IN_MATCH', executedQty: '0.00100000', preventedQuantity: '0.00400000' });
    expect(await get(s, 'restbuy')).toMatchObject({ status: 'NEW' });
  });

  it('a STOP_LOSS with the default EXPIRE_MAKER that triggers expires our resting BUY (EXPIRED_IN_MATCH) instead of trading with it', async () => {
    const s = await thinMarketWithRestingBuy();
    await stopSell(s, null);
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '62500.00' });
    expect(await get(s, 'restbuy')).toMatchObject({ status: 'EXPIRED_IN_MATCH', preventedQuantity: '0.00100000' });
    expect(await get(s, 'stop1')).toMatchObject({ status: 'EXPIRED', executedQty: '0.00100000', selfTradePreventionMode: 'EXPIRE_MAKER' });
  });

  it("an OCO's selfTradePreventionMode is each leg's: its STOP_LOSS leg with EXPIRE_TAKER triggers and is EXPIRED_IN_MATCH, the other leg EXPIRED, the list ALL_DONE", async () => {
    const s = await thinMarketWithRestingBuy();
    const oco = await signed(s, 'POST', '/api/v3/orderList/oco', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.005',
      listClientOrderId: 'stpoco',
      aboveType: 'LIMIT_MAKER',
      abovePrice: '66000.00',
      aboveClientOrderId: 'stptp',
      belowType: 'STOP_LOSS',
      belowStopPrice: '63000.00',
      belowClientOrderId: 'stpsl',
      selfTradePreventionMode: 'EXPIRE_TAKER',
    });
    expect(oco.status).toBe(200);
    expect(await get(s, 'stptp')).toMatchObject({ selfTradePreventionMode: 'EXPIRE_TAKER' });
    expect(await get(s, 'stpsl')).toMatchObject({ selfTradePreventionMode: 'EXPIRE_TAKER' });
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '62500.00' });
    expect(await get(s, 'stpsl')).toMatchObject({ status: 'EXPIRED_IN_MATCH', preventedQuantity: '0.00400000' });
    expect(await get(s, 'stptp')).toMatchObject({ status: 'EXPIRED' });
    expect(await get(s, 'restbuy')).toMatchObject({ status: 'NEW' });
    expect((await signed(s, 'GET', '/api/v3/orderList', { origClientOrderId: 'stpoco' })).body).toMatchObject({ listOrderStatus: 'ALL_DONE' });
  });

  it('an OCO leg expired as the maker of our own taker (EXPIRE_MAKER) ends its list: the other leg EXPIRES and the list is ALL_DONE', async () => {
    const s = (sim = await startSim());
    await admin(s, 'POST', '/admin/market', { paused: true });
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000.00' });
    await admin(s, 'POST', '/admin/liquidity', { symbol: 'BTCUSDT', qty: '0.0005', levels: 1 });
    await signed(s, 'POST', '/api/v3/orderList/oco', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.002',
      listClientOrderId: 'makeroco',
      aboveType: 'LIMIT_MAKER',
      abovePrice: '64100.00',
      aboveClientOrderId: 'mktp',
      belowType: 'STOP_LOSS',
      belowStopPrice: '63000.00',
      belowClientOrderId: 'mksl',
    });
    const taker = await signed(s, 'POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.001',
      price: '64100.00',
      newOrderRespType: 'FULL',
    });
    expect(taker.body).toMatchObject({ preventedMatches: [{ makerPreventedQuantity: '0.00200000' }] });
    expect(await get(s, 'mktp')).toMatchObject({ status: 'EXPIRED_IN_MATCH' });
    expect(await get(s, 'mksl')).toMatchObject({ status: 'EXPIRED' });
    expect((await signed(s, 'GET', '/api/v3/orderList', { origClientOrderId: 'makeroco' })).body).toMatchObject({ listOrderStatus: 'ALL_DONE' });
  });
});
