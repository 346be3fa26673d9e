import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { WEIGHTS } from '../../apps/exchange-sim/src/rate-limits.js';
import { admin, KEY, signed, startSim } from './helpers.js';

let sim: ExchangeSim | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

type Bal = { asset: string; free: string; locked: string };
type OrderJson = { orderId: number; orderListId: number; clientOrderId: string; status: string; type: string; side: string; stopPrice: string; price: string };
type ListJson = {
  orderListId: number;
  listClientOrderId: string;
  listStatusType: string;
  listOrderStatus: string;
  orders: { symbol: string; orderId: number; clientOrderId: string }[];
  orderReports?: OrderJson[];
};

const balance = async (s: ExchangeSim, asset: string): Promise<Bal> => {
  const r = await signed(s, 'GET', '/api/v3/account', {});
  return (r.body['balances'] as Bal[]).find((b) => b.asset === asset)!;
};
const order = async (s: ExchangeSim, cid: string) =>
  (await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: cid })).body as unknown as OrderJson;
const list = async (s: ExchangeSim, lcid: string) => (await signed(s, 'GET', '/api/v3/orderList', { origClientOrderId: lcid })).body as unknown as ListJson;
const openOrders = async (s: ExchangeSim) => (await signed(s, 'GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' })).body as unknown as OrderJson[];
const openLists = async (s: ExchangeSim) => (await signed(s, 'GET', '/api/v3/openOrderList', {})).body as unknown as ListJson[];
const price = (s: ExchangeSim, p: string) => admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: p });

/** A SELL OCO at a last price of 64000: LIMIT_MAKER take-profit at 66000, STOP_LOSS_LIMIT 62000/61900. */
function sellOco(s: ExchangeSim, extra: Record<string, string> = {}) {
  return signed(s, 'POST', '/api/v3/orderList/oco', {
    symbol: 'BTCUSDT',
    side: 'SELL',
    quantity: '0.01',
    listClientOrderId: 'list1',
    aboveType: 'LIMIT_MAKER',
    abovePrice: '66000.00',
    aboveClientOrderId: 'tp1',
    belowType: 'STOP_LOSS_LIMIT',
    belowStopPrice: '62000.00',
    belowPrice: '61900.00',
    belowTimeInForce: 'GTC',
    belowClientOrderId: 'sl1',
    ...extra,
  });
}

/** Buys the base the OCO will protect (a MARKET BUY, as a bot would before placing its OCO). */
async function buyBase(s: ExchangeSim, qty = '0.01') {
  const r = await signed(s, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: qty, newOrderRespType: 'FULL' });
  expect(r.body).toMatchObject({ status: 'FILLED', orderListId: -1 });
}

describe('exchange-sim order lists (OCO)', () => {
  it('a SELL OCO after a buy: both legs open with the list id, the quantity locked once, Binance response shape', async () => {
    sim = await startSim();
    await price(sim, '64000');
    await buyBase(sim);
    const before = await balance(sim, 'BTC');
    const r = await sellOco(sim);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-mbx-order-count-10s')).toBe('3'); // the MARKET buy + 2 for the OCO
    expect(r.body).toMatchObject({
      contingencyType: 'OCO',
      listStatusType: 'EXEC_STARTED',
      listOrderStatus: 'EXECUTING',
      listClientOrderId: 'list1',
      symbol: 'BTCUSDT',
    });
    expect(typeof r.body['transactionTime']).toBe('number');
    const body = r.body as unknown as ListJson;
    const id = body.orderListId;
    expect(body.orders).toEqual([
      { symbol: 'BTCUSDT', orderId: expect.any(Number), clientOrderId: 'tp1' },
      { symbol: 'BTCUSDT', orderId: expect.any(Number), clientOrderId: 'sl1' },
    ]);
    expect(body.orderReports).toEqual([
      expect.objectContaining({
        clientOrderId: 'tp1',
        orderListId: id,
        type: 'LIMIT_MAKER',
        side: 'SELL',
        status: 'NEW',
        price: '66000.00000000',
        origQty: '0.01000000',
      }),
      expect.objectContaining({
        clientOrderId: 'sl1',
        orderListId: id,
        type: 'STOP_LOSS_LIMIT',
        side: 'SELL',
        status: 'NEW',
        price: '61900.00000000',
        stopPrice: '62000.00000000',
        timeInForce: 'GTC',
      }),
    ]);
    // Locked once: 0.01 BTC moves from free to locked, not 0.02.
    const after = await balance(sim, 'BTC');
    expect(Number(after.locked) - Number(before.locked)).toBeCloseTo(0.01, 8);
    expect(Number(before.free) - Number(after.free)).toBeCloseTo(0.01, 8);
    const open = await openOrders(sim);
    expect(open.map((o) => [o.clientOrderId, o.orderListId])).toEqual([
      ['tp1', id],
      ['sl1', id],
    ]);
    expect((await order(sim, 'sl1')).orderListId).toBe(id);
    const lists = await openLists(sim);
    expect(lists).toHaveLength(1);
    expect(lists[0]).toMatchObject({ orderListId: id, listStatusType: 'EXEC_STARTED', listOrderStatus: 'EXECUTING' });
    expect(lists[0]!.orderReports).toBeUndefined();
    expect(await list(sim, 'list1')).toMatchObject({ orderListId: id, contingencyType: 'OCO', symbol: 'BTCUSDT', orders: body.orders });
    expect((await signed(sim, 'GET', '/api/v3/orderList', { orderListId: String(id) })).body).toMatchObject({ listClientOrderId: 'list1' });
    // The same listClientOrderId while it executes is a duplicate.
    expect((await sellOco(sim, { aboveClientOrderId: 'tp9', belowClientOrderId: 'sl9' })).body).toMatchObject({ code: -2010, msg: 'Duplicate order sent.' });
  });

  it('locks the quantity once: an OCO may sell the whole free balance', async () => {
    sim = await startSim();
    await price(sim, '64000');
    const r = await sellOco(sim, { quantity: '0.5' });
    expect(r.status).toBe(200);
    expect(await balance(sim, 'BTC')).toEqual({ asset: 'BTC', free: '0.00000000', locked: '0.50000000' });
    const more = await sellOco(sim, { quantity: '0.5', listClientOrderId: 'list2', aboveClientOrderId: 'tp2', belowClientOrderId: 'sl2' });
    expect(more.body).toMatchObject({ code: -2010, msg: 'Account has insufficient balance for requested action.' });
  });

  it('price up through the take-profit: TP FILLED, stop EXPIRED, list ALL_DONE, balances settle', async () => {
    sim = await startSim();
    await price(sim, '64000');
    await buyBase(sim);
    const btc0 = await balance(sim, 'BTC');
    const usdt0 = await balance(sim, 'USDT');
    await sellOco(sim);
    await price(sim, '65000');
    expect((await order(sim, 'tp1')).status).toBe('NEW');
    await price(sim, '66500');
    expect(await order(sim, 'tp1')).toMatchObject({ status: 'FILLED', executedQty: '0.01000000', cummulativeQuoteQty: '660.00000000' });
    expect(await order(sim, 'sl1')).toMatchObject({ status: 'EXPIRED', executedQty: '0.00000000' });
    expect(await list(sim, 'list1')).toMatchObject({ listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE' });
    expect(await openLists(sim)).toEqual([]);
    expect(await openOrders(sim)).toEqual([]);
    const btc = await balance(sim, 'BTC');
    expect(Number(btc.free)).toBeCloseTo(Number(btc0.free) - 0.01, 8);
    expect(btc.locked).toBe('0.00000000');
    expect(Number((await balance(sim, 'USDT')).free)).toBeCloseTo(Number(usdt0.free) + 660 - 0.66, 8);
    // The stop does not come back to life when the price then falls through it.
    await price(sim, '61000');
    expect((await order(sim, 'sl1')).status).toBe('EXPIRED');
    // Cancelling a finished list: -2011.
    const c = await signed(sim, 'DELETE', '/api/v3/orderList', { symbol: 'BTCUSDT', listClientOrderId: 'list1' });
    expect(c.status).toBe(400);
    expect(c.body).toEqual({ code: -2011, msg: 'Order list does not exist.' });
  });

  it('price down through the stop: stop triggers and fills, take-profit EXPIRED', async () => {
    sim = await startSim();
    await price(sim, '64000');
    await buyBase(sim);
    const btc0 = await balance(sim, 'BTC');
    const r = await signed(sim, 'POST', '/api/v3/orderList/oco', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.01',
      listClientOrderId: 'list2',
      aboveType: 'TAKE_PROFIT_LIMIT',
      aboveStopPrice: '66000.00',
      abovePrice: '66100.00',
      aboveTimeInForce: 'GTC',
      aboveClientOrderId: 'tp2',
      belowType: 'STOP_LOSS',
      belowStopPrice: '63000.00',
      belowClientOrderId: 'sl2',
    });
    expect(r.status).toBe(200);
    await price(sim, '62950');
    expect(await order(sim, 'sl2')).toMatchObject({ status: 'FILLED', executedQty: '0.01000000', type: 'STOP_LOSS' });
    expect((await order(sim, 'tp2')).status).toBe('EXPIRED');
    expect(await list(sim, 'list2')).toMatchObject({ listOrderStatus: 'ALL_DONE' });
    const btc = await balance(sim, 'BTC');
    expect(Number(btc.free)).toBeCloseTo(Number(btc0.free) - 0.01, 8);
    expect(btc.locked).toBe('0.00000000');
    await price(sim, '67000');
    expect((await order(sim, 'tp2')).status).toBe('EXPIRED');
  });

  it('a BUY OCO (stop above, limit maker below) locks the dearer leg once and settles', async () => {
    sim = await startSim();
    await price(sim, '64000');
    const buy = (extra: Record<string, string> = {}) =>
      signed(sim!, 'POST', '/api/v3/orderList/oco', {
        symbol: 'BTCUSDT',
        side: 'BUY',
        quantity: '0.01',
        listClientOrderId: 'buy1',
        aboveType: 'STOP_LOSS_LIMIT',
        aboveStopPrice: '65000.00',
        abovePrice: '65100.00',
        aboveTimeInForce: 'GTC',
        aboveClientOrderId: 'bstop',
        belowType: 'LIMIT_MAKER',
        belowPrice: '62000.00',
        belowClientOrderId: 'blim',
        ...extra,
      });
    const r = await buy();
    expect(r.status).toBe(200);
    expect(await balance(sim, 'USDT')).toEqual({ asset: 'USDT', free: '9349.00000000', locked: '651.00000000' });
    await price(sim, '61900');
    expect(await order(sim, 'blim')).toMatchObject({ status: 'FILLED', cummulativeQuoteQty: '620.00000000' });
    expect((await order(sim, 'bstop')).status).toBe('EXPIRED');
    expect(await balance(sim, 'USDT')).toEqual({ asset: 'USDT', free: '9380.00000000', locked: '0.00000000' });
    expect((await balance(sim, 'BTC')).free).toBe('0.50999000');
    // Mirror rules: a BUY OCO with the limit maker above the market is refused.
    const wrong = await buy({
      listClientOrderId: 'buy2',
      aboveClientOrderId: 'x1',
      belowClientOrderId: 'x2',
      belowPrice: '63000.00',
      aboveStopPrice: '61000.00',
      abovePrice: '61100.00',
    });
    expect(wrong.body).toMatchObject({ code: -2010 });
    expect(String(wrong.body['msg'])).toMatch(/^The relationship of the prices for the orders is not correct/);
  });

  it('DELETE /api/v3/orderList cancels both legs; cancelling one leg cancels the list; unknown lists -2011', async () => {
    sim = await startSim();
    await price(sim, '64000');
    const before = await balance(sim, 'BTC');
    const placed = (await sellOco(sim)).body as unknown as ListJson;
    const c = await signed(sim, 'DELETE', '/api/v3/orderList', { symbol: 'BTCUSDT', orderListId: String(placed.orderListId) });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({
      orderListId: placed.orderListId,
      contingencyType: 'OCO',
      listStatusType: 'ALL_DONE',
      listOrderStatus: 'ALL_DONE',
      listClientOrderId: 'list1',
    });
    // As Binance: each leg's own id is origClientOrderId, clientOrderId names the cancel.
    const reps = (c.body as unknown as { orderReports: (OrderJson & { origClientOrderId: string })[] }).orderReports;
    expect(reps.map((o) => [o.origClientOrderId, o.status])).toEqual([
      ['tp1', 'CANCELED'],
      ['sl1', 'CANCELED'],
    ]);
    expect(reps.map((o) => o.clientOrderId)).toEqual([expect.not.stringMatching(/^(tp1|sl1)$/), expect.not.stringMatching(/^(tp1|sl1)$/)]);
    expect((await order(sim, 'tp1')).status).toBe('CANCELED');
    expect((await order(sim, 'sl1')).status).toBe('CANCELED');
    expect(await balance(sim, 'BTC')).toEqual(before);
    expect(await openLists(sim)).toEqual([]);
    const again = await signed(sim, 'DELETE', '/api/v3/orderList', { symbol: 'BTCUSDT', orderListId: String(placed.orderListId) });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ code: -2011, msg: 'Order list does not exist.' });
    const unknown = await signed(sim, 'GET', '/api/v3/orderList', { orderListId: '999' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ code: -2011, msg: 'Order list does not exist.' });

    // The listClientOrderId is free again once the list is done; cancelling one leg ends the list.
    const second = (await sellOco(sim)).body as unknown as ListJson;
    expect(second.orderListId).toBeGreaterThan(placed.orderListId);
    const leg = await signed(sim, 'DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'sl1' });
    expect(leg.status).toBe(200);
    expect(leg.body).toMatchObject({ status: 'CANCELED', orderListId: second.orderListId });
    expect(await list(sim, 'list1')).toMatchObject({ orderListId: second.orderListId, listOrderStatus: 'ALL_DONE' });
    expect((await order(sim, 'tp1')).status).toBe('CANCELED');
    expect(await balance(sim, 'BTC')).toEqual(before);
    const all = (await signed(sim, 'GET', '/api/v3/allOrderList', {})).body as unknown as ListJson[];
    expect(all.map((l) => l.orderListId)).toEqual([placed.orderListId, second.orderListId]);
  });

  it('an invalid leg creates nothing', async () => {
    sim = await startSim();
    await price(sim, '64000');
    const btc0 = await balance(sim, 'BTC');
    const cases: [Record<string, string>, { code: number; msg?: string }][] = [
      [{ belowPrice: '61900.001' }, { code: -1013, msg: 'Filter failure: PRICE_FILTER' }],
      [{ abovePrice: '66000.001' }, { code: -1013, msg: 'Filter failure: PRICE_FILTER' }],
      [{ quantity: '0.000015' }, { code: -1013, msg: 'Filter failure: LOT_SIZE' }],
      [{ quantity: '0.00001' }, { code: -1013, msg: 'Filter failure: NOTIONAL' }],
      [{ quantity: '1' }, { code: -2010, msg: 'Account has insufficient balance for requested action.' }],
      [{ belowStopPrice: '64500.00' }, { code: -2010 }], // stop above the last price
      [{ abovePrice: '63000.00' }, { code: -2010 }], // take-profit below the last price
      [{ belowTimeInForce: 'XYZ' }, { code: -1115 }],
      [{ belowClientOrderId: 'tp1' }, { code: -2010, msg: 'Duplicate order sent.' }],
      [{ aboveType: 'STOP_LOSS' }, { code: -1013 }],
      [{ belowType: 'LIMIT' }, { code: -1013 }],
      [{ listClientOrderId: 'bad id!' }, { code: -1100 }],
    ];
    for (const [extra, want] of cases) {
      const r = await sellOco(sim, extra);
      expect(r.status, JSON.stringify(extra)).toBe(400);
      expect(r.body, JSON.stringify(extra)).toMatchObject(want);
    }
    // Errors name the leg's own parameter.
    const noTif = await signed(sim, 'POST', '/api/v3/orderList/oco', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.01',
      aboveType: 'LIMIT_MAKER',
      abovePrice: '66000',
      belowType: 'STOP_LOSS_LIMIT',
      belowStopPrice: '62000',
      belowPrice: '61900',
    });
    expect(noTif.body).toMatchObject({ code: -1102, msg: "Mandatory parameter 'belowTimeInForce' was not sent, was empty/null, or malformed." });
    expect(await openOrders(sim)).toEqual([]);
    expect((await signed(sim, 'GET', '/api/v3/allOrders', { symbol: 'BTCUSDT' })).body).toEqual([]);
    expect((await signed(sim, 'GET', '/api/v3/allOrderList', {})).body).toEqual([]);
    expect(await balance(sim, 'BTC')).toEqual(btc0);
  });

  it('accepts the legacy POST /api/v3/order/oco form (SELL and BUY)', async () => {
    sim = await startSim();
    await price(sim, '64000');
    const legacy = await signed(sim, 'POST', '/api/v3/order/oco', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.01',
      price: '66000.00',
      stopPrice: '62000.00',
      stopLimitPrice: '61900.00',
      stopLimitTimeInForce: 'GTC',
      listClientOrderId: 'legacy1',
      limitClientOrderId: 'lim1',
      stopClientOrderId: 'stop1',
    });
    expect(legacy.status).toBe(200);
    expect(legacy.headers.get('x-mbx-order-count-10s')).toBe('2');
    expect(legacy.body).toMatchObject({ contingencyType: 'OCO', listStatusType: 'EXEC_STARTED', listOrderStatus: 'EXECUTING', listClientOrderId: 'legacy1' });
    expect((legacy.body as unknown as ListJson).orderReports!.map((o) => [o.clientOrderId, o.type])).toEqual([
      ['lim1', 'LIMIT_MAKER'],
      ['stop1', 'STOP_LOSS_LIMIT'],
    ]);
    expect((await signed(sim, 'GET', '/api/v3/order/oco', {})).status).not.toBe(200);
    const buy = await signed(sim, 'POST', '/api/v3/order/oco', {
      symbol: 'BTCUSDT',
      side: 'BUY',
      quantity: '0.01',
      price: '62000.00',
      stopPrice: '65000.00',
      listClientOrderId: 'legacy2',
      limitClientOrderId: 'blim',
      stopClientOrderId: 'bstop',
    });
    expect(buy.status).toBe(200);
    expect((buy.body as unknown as ListJson).orderReports!.map((o) => [o.clientOrderId, o.type, o.side])).toEqual([
      ['bstop', 'STOP_LOSS', 'BUY'],
      ['blim', 'LIMIT_MAKER', 'BUY'],
    ]);
    // Legacy errors name the legacy parameters.
    const bad = await signed(sim, 'POST', '/api/v3/order/oco', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.01',
      price: '66000.00',
      stopPrice: '62000.00',
      stopLimitPrice: '61900.00',
      listClientOrderId: 'legacy3',
    });
    expect(bad.body).toMatchObject({ code: -1102, msg: "Mandatory parameter 'stopLimitTimeInForce' was not sent, was empty/null, or malformed." });
    expect(await openLists(sim)).toHaveLength(2);
  });

  it('a trailing stop leg follows the price up and triggers; the take-profit expires', async () => {
    sim = await startSim();
    await price(sim, '64000');
    const ok = await signed(sim, 'POST', '/api/v3/orderList/oco', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.01',
      listClientOrderId: 'trail',
      aboveType: 'LIMIT_MAKER',
      abovePrice: '70000.00',
      aboveClientOrderId: 'ttp',
      belowType: 'STOP_LOSS',
      belowTrailingDelta: '100',
      belowClientOrderId: 'tsl',
    });
    expect(ok.status).toBe(200);
    await price(sim, '66000');
    await price(sim, '65500'); // -0.76 % from the best: holds
    expect(await order(sim, 'tsl')).toMatchObject({ status: 'NEW', trailingDelta: 100 });
    await price(sim, '65200'); // -1.2 %: triggers
    expect((await order(sim, 'tsl')).status).toBe('FILLED');
    expect((await order(sim, 'ttp')).status).toBe('EXPIRED');
  });

  it('a single trailing stop (not in a list) keeps orderListId -1', async () => {
    sim = await startSim();
    await price(sim, '64000');
    const r = await signed(sim, 'POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      type: 'STOP_LOSS',
      quantity: '0.01',
      trailingDelta: '100',
      newClientOrderId: 'trail1',
    });
    expect(r.body).toMatchObject({ orderListId: -1 });
    await price(sim, '66000');
    await price(sim, '65200');
    expect(await order(sim, 'trail1')).toMatchObject({ status: 'FILLED', orderListId: -1 });
  });

  it('keeps order lists across snapshot/restore and a restart from the state file', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'sim-oco-')), 'state.json');
    sim = await startSim({ stateFile });
    await price(sim, '64000');
    const placed = (await sellOco(sim)).body as unknown as ListJson;
    const snap = sim.exchange.snapshot();
    expect(snap.lists).toHaveLength(1);
    sim.exchange.restore(JSON.parse(JSON.stringify(snap)) as typeof snap);
    expect(await list(sim, 'list1')).toMatchObject({ orderListId: placed.orderListId, listOrderStatus: 'EXECUTING' });
    await sim.close();
    sim = await startSim({ stateFile });
    expect(await list(sim, 'list1')).toMatchObject({ orderListId: placed.orderListId, listOrderStatus: 'EXECUTING', orders: placed.orders });
    expect((await openOrders(sim)).map((o) => o.orderListId)).toEqual([placed.orderListId, placed.orderListId]);
    expect((await balance(sim, 'BTC')).locked).toBe('0.01000000');
    // The restored list still behaves as one: the take-profit fills, the stop expires.
    await price(sim, '66500');
    expect((await order(sim, 'tp1')).status).toBe('FILLED');
    expect((await order(sim, 'sl1')).status).toBe('EXPIRED');
    expect((await balance(sim, 'BTC')).locked).toBe('0.00000000');
    // New lists continue the id sequence.
    const next = (
      await sellOco(sim, {
        listClientOrderId: 'list2',
        aboveClientOrderId: 'tp2',
        belowClientOrderId: 'sl2',
        abovePrice: '68000.00',
        belowStopPrice: '65000.00',
        belowPrice: '64900.00',
      })
    ).body as unknown as ListJson;
    expect(next.orderListId).toBe(placed.orderListId + 1);
  });

  it('fault injections of POST /api/v3/order apply to POST /api/v3/orderList/oco', async () => {
    sim = await startSim();
    await price(sim, '64000');
    const route = 'POST /api/v3/orderList/oco';
    await admin(sim, 'POST', '/admin/faults', { kind: 'http_5xx', once: true, execute: true, route, status: 503 });
    const five = await sellOco(sim);
    expect(five.status).toBe(503);
    expect((await list(sim, 'list1')).listOrderStatus).toBe('EXECUTING'); // executed anyway
    await admin(sim, 'POST', '/admin/faults', { kind: 'error_1007', once: true, execute: false, route });
    const e = await sellOco(sim, { listClientOrderId: 'list2', aboveClientOrderId: 'tp2', belowClientOrderId: 'sl2' });
    expect(e.status).toBe(500);
    expect(e.body).toMatchObject({ code: -1007 });
    expect((await signed(sim, 'GET', '/api/v3/orderList', { origClientOrderId: 'list2' })).body).toMatchObject({ code: -2011 });
    await admin(sim, 'POST', '/admin/faults', { kind: 'drop_response_after_execute', once: true, route });
    await expect(sellOco(sim, { listClientOrderId: 'list3', aboveClientOrderId: 'tp3', belowClientOrderId: 'sl3' })).rejects.toThrow();
    expect((await list(sim, 'list3')).listOrderStatus).toBe('EXECUTING');
    expect(await openLists(sim)).toHaveLength(2);
  });

  it('weights: orderList/oco 1, DELETE orderList 1, GET orderList 4, openOrderList 6', () => {
    expect(WEIGHTS['POST /api/v3/orderList/oco']).toBe(1);
    expect(WEIGHTS['POST /api/v3/order/oco']).toBe(1);
    expect(WEIGHTS['DELETE /api/v3/orderList']).toBe(1);
    expect(WEIGHTS['GET /api/v3/orderList']).toBe(4);
    expect(WEIGHTS['GET /api/v3/openOrderList']).toBe(6);
  });

  it('user data stream: leg executionReports carry the list id (g); listStatus on start and end', async () => {
    sim = await startSim();
    await price(sim, '64000');
    const ws = new WebSocket(`${sim.ws}/ws-api/v3`);
    const events: Record<string, unknown>[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { event?: Record<string, unknown> };
      if (m.event) events.push(m.event);
    });
    await new Promise((r) => ws.once('open', r));
    const params: Record<string, string | number> = { apiKey: KEY.apiKey, timestamp: Date.now(), recvWindow: 5000 };
    const payload = Object.keys(params)
      .sort()
      .map((k) => `${k}=${String(params[k])}`)
      .join('&');
    const subscribed = new Promise((r) => ws.once('message', r));
    ws.send(
      JSON.stringify({
        id: 1,
        method: 'userDataStream.subscribe.signature',
        params: { ...params, signature: createHmac('sha256', KEY.secretKey).update(payload).digest('hex') },
      }),
    );
    await subscribed;
    const placed = (await sellOco(sim)).body as unknown as ListJson;
    const id = placed.orderListId;
    await price(sim, '66500');
    await new Promise((r) => setTimeout(r, 100));
    ws.close();
    const reports = events.filter((e) => e['e'] === 'executionReport');
    expect(reports.map((e) => [e['c'], e['x'], e['X'], e['g']])).toEqual([
      ['tp1', 'NEW', 'NEW', id],
      ['sl1', 'NEW', 'NEW', id],
      ['tp1', 'TRADE', 'FILLED', id],
      ['sl1', 'EXPIRED', 'EXPIRED', id],
    ]);
    const statuses = events.filter((e) => e['e'] === 'listStatus');
    expect(statuses).toHaveLength(2);
    const O = placed.orders.map((o) => ({ s: 'BTCUSDT', i: o.orderId, c: o.clientOrderId }));
    expect(statuses[0]).toMatchObject({ s: 'BTCUSDT', g: id, c: 'OCO', l: 'EXEC_STARTED', L: 'EXECUTING', r: 'NONE', C: 'list1', O });
    expect(statuses[1]).toMatchObject({ g: id, l: 'ALL_DONE', L: 'ALL_DONE', C: 'list1', O });
    expect(typeof statuses[1]!['T']).toBe('number');
    // Order: the list starts after both legs are NEW, and ends after the last leg's report.
    const kinds = events
      .filter((e) => e['e'] !== 'outboundAccountPosition')
      .map((e) => (e['e'] === 'listStatus' ? `list:${String(e['l'])}` : `${String(e['c'])}:${String(e['x'])}`));
    expect(kinds).toEqual(['tp1:NEW', 'sl1:NEW', 'list:EXEC_STARTED', 'tp1:TRADE', 'sl1:EXPIRED', 'list:ALL_DONE']);
  });
});
