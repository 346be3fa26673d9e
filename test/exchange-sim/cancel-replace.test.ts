import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, KEY, signed, startSim } from './helpers.js';

/**
 * POST /api/v3/order/cancelReplace over real sockets, against the documented behaviour (Binance
 * spot rest-api.md "Cancel an Existing Order and Send a New Order", errors.md -2021/-2022).
 */
let sim: ExchangeSim | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

type Bal = { asset: string; free: string; locked: string };
const usdt = async (s: ExchangeSim): Promise<Bal> =>
  ((await signed(s, 'GET', '/api/v3/account', {})).body['balances'] as Bal[]).find((b) => b.asset === 'USDT')!;
const status = async (s: ExchangeSim, cid: string) => (await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: cid })).body;
const rest = (s: ExchangeSim, cid: string, price = '60000', qty = '0.001') =>
  signed(s, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: qty, price, newClientOrderId: cid });
const replace = (s: ExchangeSim, p: Record<string, string>) =>
  signed(s, 'POST', '/api/v3/order/cancelReplace', {
    symbol: 'BTCUSDT',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    quantity: '0.002',
    price: '60100',
    cancelReplaceMode: 'STOP_ON_FAILURE',
    ...p,
  });

async function up(): Promise<ExchangeSim> {
  sim = await startSim();
  await admin(sim, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000' });
  return sim;
}

describe('exchange-sim cancelReplace', () => {
  it('both halves succeed: 200 with cancelResult/newOrderResult, both reports, one order counted, weight 1', async () => {
    const s = await up();
    expect((await rest(s, 'old1')).status).toBe(200);
    const before = await fetch(`${s.rest}/api/v3/ping`);
    const w0 = Number(before.headers.get('x-mbx-used-weight-1m'));
    const r = await replace(s, { cancelOrigClientOrderId: 'old1', cancelNewClientOrderId: 'cxl1', newClientOrderId: 'new1' });
    expect(r.status).toBe(200);
    expect(Number(r.headers.get('x-mbx-used-weight-1m'))).toBe(w0 + 1);
    expect(r.headers.get('x-mbx-order-count-10s')).toBe('2'); // the first order + this one
    expect(r.body).toMatchObject({
      cancelResult: 'SUCCESS',
      newOrderResult: 'SUCCESS',
      cancelResponse: {
        symbol: 'BTCUSDT',
        origClientOrderId: 'old1',
        clientOrderId: 'cxl1',
        orderListId: -1,
        status: 'CANCELED',
        type: 'LIMIT',
        side: 'BUY',
        price: '60000.00000000',
        origQty: '0.00100000',
        executedQty: '0.00000000',
      },
      newOrderResponse: { symbol: 'BTCUSDT', clientOrderId: 'new1', status: 'NEW', price: '60100.00000000', origQty: '0.00200000', fills: [] },
    });
    expect(typeof (r.body['cancelResponse'] as Record<string, unknown>)['transactTime']).toBe('number');
    expect(await status(s, 'old1')).toMatchObject({ status: 'CANCELED' });
    expect(await status(s, 'new1')).toMatchObject({ status: 'NEW' });
    // The old lock (60) is released and the new one (120.2) taken.
    expect(await usdt(s)).toEqual({ asset: 'USDT', free: '9879.80000000', locked: '120.20000000' });
  });

  it('cancels by cancelOrderId; with cancelOrigClientOrderId too, both must name the same order', async () => {
    const s = await up();
    const id = (await rest(s, 'old2')).body['orderId'] as number;
    const wrong = await replace(s, { cancelOrderId: String(id), cancelOrigClientOrderId: 'someoneelse', newClientOrderId: 'new2a' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ code: -2022, data: { cancelResult: 'FAILURE', cancelResponse: { code: -2011 } } });
    expect(await status(s, 'old2')).toMatchObject({ status: 'NEW' });
    const r = await replace(s, { cancelOrderId: String(id), newClientOrderId: 'new2' });
    expect(r.body).toMatchObject({ cancelResult: 'SUCCESS', cancelResponse: { orderId: id, origClientOrderId: 'old2' }, newOrderResult: 'SUCCESS' });
  });

  it('STOP_ON_FAILURE, cancel fails: 400 -2022, new order NOT_ATTEMPTED (never created), still counted', async () => {
    const s = await up();
    const r = await replace(s, { cancelOrigClientOrderId: 'nosuch', newClientOrderId: 'never1' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      code: -2022,
      msg: 'Order cancel-replace failed.',
      data: { cancelResult: 'FAILURE', newOrderResult: 'NOT_ATTEMPTED', cancelResponse: { code: -2011, msg: 'Unknown order sent.' }, newOrderResponse: null },
    });
    expect(r.headers.get('x-mbx-order-count-10s')).toBe('1');
    expect(await status(s, 'never1')).toMatchObject({ code: -2013 });
  });

  it('ALLOW_FAILURE, cancel fails but the new order is placed: 409 -2021 with the new order report', async () => {
    const s = await up();
    const r = await replace(s, { cancelReplaceMode: 'ALLOW_FAILURE', cancelOrigClientOrderId: 'nosuch', newClientOrderId: 'new3', newOrderRespType: 'ACK' });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      code: -2021,
      msg: 'Order cancel-replace partially failed.',
      data: {
        cancelResult: 'FAILURE',
        newOrderResult: 'SUCCESS',
        cancelResponse: { code: -2011, msg: 'Unknown order sent.' },
        newOrderResponse: { clientOrderId: 'new3', orderListId: -1 },
      },
    });
    expect(Object.keys((r.body['data'] as Record<string, Record<string, unknown>>)['newOrderResponse']!).sort()).toEqual([
      'clientOrderId',
      'orderId',
      'orderListId',
      'symbol',
      'transactTime',
    ]);
    expect(await status(s, 'new3')).toMatchObject({ status: 'NEW' });
  });

  it('cancel succeeds, new order fails in the engine (would take): 409 -2021, the old order stays cancelled', async () => {
    const s = await up();
    await rest(s, 'old4');
    const r = await replace(s, { type: 'LIMIT_MAKER', price: '65000', cancelOrigClientOrderId: 'old4', newClientOrderId: 'new4' });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      code: -2021,
      data: {
        cancelResult: 'SUCCESS',
        newOrderResult: 'FAILURE',
        cancelResponse: { origClientOrderId: 'old4', status: 'CANCELED' },
        newOrderResponse: { code: -2010, msg: 'Order would immediately match and take.' },
      },
    });
    expect(await status(s, 'old4')).toMatchObject({ status: 'CANCELED' });
    expect(await status(s, 'new4')).toMatchObject({ code: -2013 });
    expect(await usdt(s)).toMatchObject({ locked: '0.00000000' });
  });

  it('the cancelled lock pays for the new order; more than that fails the new half on balance', async () => {
    const s = await up();
    await admin(s, 'POST', '/admin/balance', { apiKey: KEY.apiKey, asset: 'USDT', free: '100' });
    await rest(s, 'old5'); // locks 60 of 100
    const fits = await replace(s, { quantity: '0.0015', price: '60000', cancelOrigClientOrderId: 'old5', newClientOrderId: 'new5' });
    expect(fits.body).toMatchObject({ cancelResult: 'SUCCESS', newOrderResult: 'SUCCESS' });
    const tooBig = await replace(s, { quantity: '0.002', price: '60000', cancelOrigClientOrderId: 'new5', newClientOrderId: 'new5b' });
    expect(tooBig.status).toBe(409);
    expect(tooBig.body).toMatchObject({
      code: -2021,
      data: {
        cancelResult: 'SUCCESS',
        newOrderResult: 'FAILURE',
        newOrderResponse: { code: -2010, msg: 'Account has insufficient balance for requested action.' },
      },
    });
    expect(await usdt(s)).toEqual({ asset: 'USDT', free: '100.00000000', locked: '0.00000000' });
  });

  it('ALLOW_FAILURE, both fail: 400 -2022 with both errors', async () => {
    const s = await up();
    const r = await replace(s, { cancelReplaceMode: 'ALLOW_FAILURE', type: 'LIMIT_MAKER', price: '65000', cancelOrigClientOrderId: 'nosuch' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      code: -2022,
      data: { cancelResult: 'FAILURE', newOrderResult: 'FAILURE', cancelResponse: { code: -2011 }, newOrderResponse: { code: -2010 } },
    });
  });

  it('parameters and filters of the new order are checked before either half: plain errors, nothing cancelled', async () => {
    const s = await up();
    await rest(s, 'old6');
    expect((await replace(s, { price: '60100.001', cancelOrigClientOrderId: 'old6' })).body).toEqual({ code: -1013, msg: 'Filter failure: PRICE_FILTER' });
    expect((await replace(s, { quantity: '0.000015', cancelOrigClientOrderId: 'old6' })).body).toEqual({ code: -1013, msg: 'Filter failure: LOT_SIZE' });
    expect((await replace(s, { cancelReplaceMode: 'NOPE', cancelOrigClientOrderId: 'old6' })).body).toMatchObject({ code: -1100 });
    const noMode = await signed(s, 'POST', '/api/v3/order/cancelReplace', {
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.002',
      price: '60100',
      cancelOrigClientOrderId: 'old6',
    });
    expect(noMode.body).toMatchObject({ code: -1102, msg: "Mandatory parameter 'cancelReplaceMode' was not sent, was empty/null, or malformed." });
    expect((await replace(s, {})).body).toMatchObject({
      code: -1102,
      msg: "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent, but both were empty/null!",
    });
    expect((await replace(s, { cancelOrigClientOrderId: 'old6', cancelRestrictions: 'SOMETIMES' })).body).toEqual({
      code: -1145,
      msg: 'Invalid cancelRestrictions',
    });
    expect(await status(s, 'old6')).toMatchObject({ status: 'NEW' });
    // A cancel restriction the order does not meet is a cancel failure.
    const restricted = await replace(s, { cancelOrigClientOrderId: 'old6', cancelRestrictions: 'ONLY_PARTIALLY_FILLED' });
    expect(restricted.body).toMatchObject({
      code: -2022,
      data: {
        cancelResult: 'FAILURE',
        newOrderResult: 'NOT_ATTEMPTED',
        cancelResponse: { code: -2011, msg: 'Order was not canceled due to cancel restrictions.' },
      },
    });
    expect(await status(s, 'old6')).toMatchObject({ status: 'NEW' });
  });

  it('replacing one leg of an OCO cancels the whole list', async () => {
    const s = await up();
    await signed(s, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const oco = await signed(s, 'POST', '/api/v3/orderList/oco', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.005',
      listClientOrderId: 'crl1',
      aboveType: 'LIMIT_MAKER',
      abovePrice: '66000',
      aboveClientOrderId: 'crtp',
      belowType: 'STOP_LOSS',
      belowStopPrice: '62000',
      belowClientOrderId: 'crsl',
    });
    expect(oco.status).toBe(200);
    const r = await replace(s, { side: 'SELL', type: 'LIMIT', price: '67000', quantity: '0.005', cancelOrigClientOrderId: 'crsl', newClientOrderId: 'crnew' });
    expect(r.body).toMatchObject({
      cancelResult: 'SUCCESS',
      newOrderResult: 'SUCCESS',
      cancelResponse: { origClientOrderId: 'crsl', orderListId: oco.body['orderListId'] },
    });
    expect(await status(s, 'crtp')).toMatchObject({ status: 'CANCELED' });
    expect((await signed(s, 'GET', '/api/v3/orderList', { origClientOrderId: 'crl1' })).body).toMatchObject({ listOrderStatus: 'ALL_DONE' });
  });

  it('past the order count: DO_NOTHING refuses it all (-1015); CANCEL_ONLY still cancels and fails the new half', async () => {
    const s = await up();
    await rest(s, 'lim0');
    for (let i = 1; i < 50; i++)
      expect(
        (
          await signed(s, 'POST', '/api/v3/order', {
            symbol: 'BTCUSDT',
            side: 'BUY',
            type: 'LIMIT',
            timeInForce: 'GTC',
            quantity: '0.0001',
            price: '60000',
            newClientOrderId: `lim${i}`,
          })
        ).status,
      ).toBe(200);
    const refused = await replace(s, { cancelOrigClientOrderId: 'lim0', newClientOrderId: 'limnew' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: -1015 });
    expect(await status(s, 'lim0')).toMatchObject({ status: 'NEW' });
    const only = await replace(s, { cancelOrigClientOrderId: 'lim0', newClientOrderId: 'limnew', orderRateLimitExceededMode: 'CANCEL_ONLY' });
    expect(only.status).toBe(429);
    expect(only.body).toMatchObject({ code: -2021, data: { cancelResult: 'SUCCESS', newOrderResult: 'FAILURE', newOrderResponse: { code: -1015 } } });
    expect(await status(s, 'lim0')).toMatchObject({ status: 'CANCELED' });
    expect(await status(s, 'limnew')).toMatchObject({ code: -2013 });
  });

  it('the new order may reuse the cancelled order clientOrderId', async () => {
    const s = await up();
    await rest(s, 'same1');
    const r = await replace(s, { cancelOrigClientOrderId: 'same1', newClientOrderId: 'same1' });
    expect(r.body).toMatchObject({ cancelResult: 'SUCCESS', newOrderResult: 'SUCCESS', newOrderResponse: { clientOrderId: 'same1', status: 'NEW' } });
    expect(await status(s, 'same1')).toMatchObject({ status: 'NEW', price: '60100.00000000' });
  });

  it('faults: a dropped response after execution leaves both halves done; -1007 without execution leaves nothing done', async () => {
    const s = await up();
    await rest(s, 'old7');
    await admin(s, 'POST', '/admin/faults', { kind: 'drop_response_after_execute', once: true, route: 'POST /api/v3/order/cancelReplace' });
    await expect(replace(s, { cancelOrigClientOrderId: 'old7', newClientOrderId: 'new7' })).rejects.toThrow();
    expect(await status(s, 'old7')).toMatchObject({ status: 'CANCELED' });
    expect(await status(s, 'new7')).toMatchObject({ status: 'NEW' });
    await admin(s, 'POST', '/admin/faults', { kind: 'error_1007', once: true, execute: false, route: 'POST /api/v3/order/cancelReplace' });
    const r = await replace(s, { cancelOrigClientOrderId: 'new7', newClientOrderId: 'new7b' });
    expect(r.status).toBe(500);
    expect(r.body).toMatchObject({ code: -1007 });
    expect(await status(s, 'new7')).toMatchObject({ status: 'NEW' });
    expect(await status(s, 'new7b')).toMatchObject({ code: -2013 });
  });
});
