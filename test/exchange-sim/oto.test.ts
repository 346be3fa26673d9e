import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, signed, startSim, until, userStream } from './helpers.js';

/**
 * OTO and OTOCO order lists as Binance serves them (rest-api.md "New Order list - OTO (TRADE)",
 * "New Order list - OTOCO (TRADE)"): the working order on the book at once, the pending legs
 * PENDING_NEW until it is fully filled, then NEW; listStatus (contingency OTO) and executionReports
 * on the user data stream.
 */
let sim: ExchangeSim | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

type OrderJson = {
  orderId: number;
  orderListId: number;
  clientOrderId: string;
  status: string;
  type: string;
  side: string;
  workingTime: number;
  isWorking?: boolean;
};
type ListJson = {
  orderListId: number;
  contingencyType: string;
  listStatusType: string;
  listOrderStatus: string;
  orders: { orderId: number; clientOrderId: string }[];
  orderReports?: OrderJson[];
};
type Bal = { asset: string; free: string; locked: string };

const order = async (s: ExchangeSim, cid: string) =>
  (await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: cid })).body as unknown as OrderJson;
const list = async (s: ExchangeSim, lcid: string) => (await signed(s, 'GET', '/api/v3/orderList', { origClientOrderId: lcid })).body as unknown as ListJson;
const balance = async (s: ExchangeSim, asset: string): Promise<Bal> =>
  ((await signed(s, 'GET', '/api/v3/account', {})).body['balances'] as Bal[]).find((b) => b.asset === asset)!;
const price = (s: ExchangeSim, p: string) => admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: p });

/** At a last price of 64000: a working BUY LIMIT at 63000, then a pending SELL LIMIT_MAKER at 66000. */
function buyThenTakeProfit(s: ExchangeSim, extra: Record<string, string> = {}) {
  return signed(s, 'POST', '/api/v3/orderList/oto', {
    symbol: 'BTCUSDT',
    listClientOrderId: 'oto1',
    workingType: 'LIMIT',
    workingSide: 'BUY',
    workingPrice: '63000.00',
    workingQuantity: '0.01',
    workingTimeInForce: 'GTC',
    workingClientOrderId: 'w1',
    pendingType: 'LIMIT_MAKER',
    pendingSide: 'SELL',
    pendingPrice: '66000.00',
    pendingQuantity: '0.01',
    pendingClientOrderId: 'p1',
    newOrderRespType: 'RESULT',
    ...extra,
  });
}

/** At 64000: a working BUY LIMIT at 63000, then a pending SELL pair: LIMIT_MAKER 66000 above, STOP_LOSS 61000 below. */
function buyThenBracket(s: ExchangeSim, extra: Record<string, string> = {}) {
  return signed(s, 'POST', '/api/v3/orderList/otoco', {
    symbol: 'BTCUSDT',
    listClientOrderId: 'otoco1',
    workingType: 'LIMIT',
    workingSide: 'BUY',
    workingPrice: '63000.00',
    workingQuantity: '0.01',
    workingTimeInForce: 'GTC',
    workingClientOrderId: 'w2',
    pendingSide: 'SELL',
    pendingQuantity: '0.01',
    pendingAboveType: 'LIMIT_MAKER',
    pendingAbovePrice: '66000.00',
    pendingAboveClientOrderId: 'tp2',
    pendingBelowType: 'STOP_LOSS',
    pendingBelowStopPrice: '61000.00',
    pendingBelowClientOrderId: 'sl2',
    newOrderRespType: 'RESULT',
    ...extra,
  });
}

async function up(): Promise<ExchangeSim> {
  const s = (sim = await startSim());
  await admin(s, 'POST', '/admin/market', { paused: true });
  await price(s, '64000.00');
  return s;
}

describe('exchange-sim OTO order lists', () => {
  it('placement: contingencyType OTO, the working order NEW and working, the pending order PENDING_NEW with workingTime -1; both listed open', async () => {
    const s = await up();
    const r = await buyThenTakeProfit(s);
    expect(r.status).toBe(200);
    const body = r.body as unknown as ListJson;
    expect(body).toMatchObject({ contingencyType: 'OTO', listStatusType: 'EXEC_STARTED', listOrderStatus: 'EXECUTING' });
    expect(body.orders.map((o) => o.clientOrderId)).toEqual(['w1', 'p1']);
    expect(body.orderReports!.map((o) => [o.clientOrderId, o.status, o.type, o.side])).toEqual([
      ['w1', 'NEW', 'LIMIT', 'BUY'],
      ['p1', 'PENDING_NEW', 'LIMIT_MAKER', 'SELL'],
    ]);
    expect(body.orderReports![0]!.workingTime).toBeGreaterThan(0);
    expect(body.orderReports![1]!.workingTime).toBe(-1);
    expect(await order(s, 'p1')).toMatchObject({ status: 'PENDING_NEW', isWorking: false, workingTime: -1 });
    const open = (await signed(s, 'GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' })).body as unknown as OrderJson[];
    expect(open.map((o) => `${o.clientOrderId}:${o.status}`).sort()).toEqual(['p1:PENDING_NEW', 'w1:NEW']);
    // Only the working order locks: 0.01 * 63000 USDT; the pending SELL locks no BTC yet.
    expect(await balance(s, 'USDT')).toMatchObject({ locked: '630.00000000' });
    expect(await balance(s, 'BTC')).toMatchObject({ locked: '0.00000000' });
    // A pending order is not on the book: the price through 66000 does not fill it.
    await price(s, '67000.00');
    expect(await order(s, 'p1')).toMatchObject({ status: 'PENDING_NEW' });
  });

  it('the working order fully filled puts the pending order on the book (NEW, its own lock) and the OTO list is ALL_DONE; the pending order then trades', async () => {
    const s = await up();
    await buyThenTakeProfit(s);
    await price(s, '62900.00');
    expect(await order(s, 'w1')).toMatchObject({ status: 'FILLED' });
    const p = await order(s, 'p1');
    expect(p).toMatchObject({ status: 'NEW', isWorking: true });
    expect(p.workingTime).toBeGreaterThan(0);
    expect(await list(s, 'oto1')).toMatchObject({ contingencyType: 'OTO', listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE' });
    expect(await balance(s, 'BTC')).toMatchObject({ locked: '0.01000000' });
    await price(s, '66100.00');
    expect(await order(s, 'p1')).toMatchObject({ status: 'FILLED' });
  });

  it('a working order that fills at placement: the reply still shows the pending order PENDING_NEW; a query shows it NEW', async () => {
    const s = await up();
    const r = await buyThenTakeProfit(s, { workingPrice: '64500.00' });
    const body = r.body as unknown as ListJson;
    expect(body.orderReports!.map((o) => `${o.clientOrderId}:${o.status}`)).toEqual(['w1:FILLED', 'p1:PENDING_NEW']);
    expect(await order(s, 'p1')).toMatchObject({ status: 'NEW' });
  });

  it('cancelling the working order cancels the pending order and ends the list; an expiring working order (IOC) expires it', async () => {
    const s = await up();
    await buyThenTakeProfit(s);
    const c = await signed(s, 'DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'w1' });
    expect(c.status).toBe(200);
    expect(await order(s, 'p1')).toMatchObject({ status: 'CANCELED' });
    expect(await list(s, 'oto1')).toMatchObject({ listOrderStatus: 'ALL_DONE' });
    expect(await balance(s, 'USDT')).toMatchObject({ locked: '0.00000000' });

    await buyThenTakeProfit(s, { listClientOrderId: 'oto2', workingClientOrderId: 'w3', pendingClientOrderId: 'p3', workingTimeInForce: 'IOC' });
    expect(await order(s, 'w3')).toMatchObject({ status: 'EXPIRED' });
    expect(await order(s, 'p3')).toMatchObject({ status: 'EXPIRED' });
    expect(await list(s, 'oto2')).toMatchObject({ listOrderStatus: 'ALL_DONE' });
  });

  it('a pending order the balance cannot cover when the working order fills is refused by the matching engine: EXPIRED, the list ALL_DONE', async () => {
    const s = await up();
    await admin(s, 'POST', '/admin/balance', { apiKey: 'simtestkey0000000000000000000001', asset: 'BTC', free: '0' });
    // A pending SELL of 0.02 after a working BUY of 0.01 (less the fee): not enough BTC.
    await buyThenTakeProfit(s, { pendingQuantity: '0.02' });
    await price(s, '62900.00');
    expect(await order(s, 'w1')).toMatchObject({ status: 'FILLED' });
    expect(await order(s, 'p1')).toMatchObject({ status: 'EXPIRED' });
    expect(await list(s, 'oto1')).toMatchObject({ listOrderStatus: 'ALL_DONE' });
  });

  it('refusals name the request parameters: a MARKET working order (-1116), a missing pendingType (-1102), a pending price off the tick (-1013)', async () => {
    const s = await up();
    expect((await buyThenTakeProfit(s, { workingType: 'MARKET' })).body).toMatchObject({ code: -1116 });
    const noType = await signed(s, 'POST', '/api/v3/orderList/oto', {
      symbol: 'BTCUSDT',
      workingType: 'LIMIT',
      workingSide: 'BUY',
      workingPrice: '63000',
      workingQuantity: '0.01',
      pendingSide: 'SELL',
      pendingQuantity: '0.01',
    });
    expect(noType.body).toMatchObject({ code: -1102, msg: expect.stringContaining("'pendingType'") });
    expect((await buyThenTakeProfit(s, { pendingPrice: '66000.001' })).body).toMatchObject({ code: -1013 });
    expect((await buyThenTakeProfit(s, { pendingTimeInForce: 'XYZ', pendingType: 'LIMIT' })).body).toMatchObject({ code: -1115 });
    // Nothing was placed by the refused requests.
    expect((await signed(s, 'GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' })).body).toEqual([]);
  });

  it('user data stream: executionReports NEW (working) and NEW/PENDING_NEW (pending), listStatus c=OTO; on the fill the pending order NEW and listStatus ALL_DONE', async () => {
    const s = await up();
    const us = await userStream(s);
    try {
      await buyThenTakeProfit(s);
      await until('placement events', () => us.events.some((e) => e['e'] === 'listStatus'));
      const reports = () =>
        us.events.filter((e) => e['e'] === 'executionReport').map((e) => `${String(e['c'])}:${String(e['x'])}:${String(e['X'])}:${String(e['g'])}`);
      const lists = () => us.events.filter((e) => e['e'] === 'listStatus').map((e) => `${String(e['c'])}:${String(e['l'])}:${String(e['L'])}`);
      expect(reports()).toEqual(['w1:NEW:NEW:1', 'p1:NEW:PENDING_NEW:1']);
      expect(us.events.find((e) => e['e'] === 'executionReport' && e['c'] === 'p1')).toMatchObject({ w: false });
      expect(lists()).toEqual(['OTO:EXEC_STARTED:EXECUTING']);
      await price(s, '62900.00');
      await until('activation events', () => lists().length >= 2);
      expect(reports().slice(2)).toEqual(['w1:TRADE:FILLED:1', 'p1:NEW:NEW:1']);
      expect(us.events.filter((e) => e['e'] === 'executionReport' && e['c'] === 'p1').at(-1)).toMatchObject({ w: true });
      expect(lists()).toEqual(['OTO:EXEC_STARTED:EXECUTING', 'OTO:ALL_DONE:ALL_DONE']);
    } finally {
      us.close();
    }
  });
});

describe('exchange-sim OTO lists across a restart', () => {
  it('an OTOCO with its legs PENDING_NEW survives a restart from the state file: still pending, still a list, and the working fill then puts the pair on the book', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'sim-oto-')), 'state.json');
    sim = await startSim({ stateFile });
    await admin(sim, 'POST', '/admin/market', { paused: true });
    await price(sim, '64000.00');
    await buyThenBracket(sim);
    await sim.close();
    const s = (sim = await startSim({ stateFile }));
    await admin(s, 'POST', '/admin/market', { paused: true });
    expect(await list(s, 'otoco1')).toMatchObject({ contingencyType: 'OTO', listOrderStatus: 'EXECUTING' });
    expect(await order(s, 'tp2')).toMatchObject({ status: 'PENDING_NEW' });
    await price(s, '62900.00');
    expect(await order(s, 'w2')).toMatchObject({ status: 'FILLED' });
    expect(await order(s, 'tp2')).toMatchObject({ status: 'NEW' });
    expect(await order(s, 'sl2')).toMatchObject({ status: 'NEW' });
    expect(await balance(s, 'BTC')).toMatchObject({ locked: '0.01000000' });
  });
});

describe('exchange-sim OTOCO order lists', () => {
  it('placement: three legs, both pending legs PENDING_NEW; the list reports contingencyType OTO, as Binance does', async () => {
    const s = await up();
    const r = await buyThenBracket(s);
    expect(r.status).toBe(200);
    const body = r.body as unknown as ListJson;
    expect(body.contingencyType).toBe('OTO');
    expect(body.orderReports!.map((o) => `${o.clientOrderId}:${o.status}:${o.type}`)).toEqual([
      'w2:NEW:LIMIT',
      'tp2:PENDING_NEW:LIMIT_MAKER',
      'sl2:PENDING_NEW:STOP_LOSS',
    ]);
  });

  it('the working order filled: the pair goes on the book (one shared lock), the list stays EXECUTING until a leg executes; then the other leg EXPIRES and the list is ALL_DONE', async () => {
    const s = await up();
    await buyThenBracket(s);
    await price(s, '62900.00');
    expect(await order(s, 'w2')).toMatchObject({ status: 'FILLED' });
    expect(await order(s, 'tp2')).toMatchObject({ status: 'NEW' });
    expect(await order(s, 'sl2')).toMatchObject({ status: 'NEW', isWorking: false });
    expect(await list(s, 'otoco1')).toMatchObject({ listOrderStatus: 'EXECUTING' });
    expect(await balance(s, 'BTC')).toMatchObject({ locked: '0.01000000' });
    await price(s, '60900.00');
    expect(await order(s, 'sl2')).toMatchObject({ status: 'FILLED' });
    expect(await order(s, 'tp2')).toMatchObject({ status: 'EXPIRED' });
    expect(await list(s, 'otoco1')).toMatchObject({ listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE' });
    expect(await balance(s, 'BTC')).toMatchObject({ locked: '0.00000000' });
  });

  it('the pending pair follows the OCO rules at placement: a SELL pair whose stop is above the last price is refused (-2010), a bad leg names its pendingBelow parameter', async () => {
    const s = await up();
    expect((await buyThenBracket(s, { pendingBelowStopPrice: '65000.00' })).body).toMatchObject({
      code: -2010,
      msg: expect.stringContaining('relationship of the prices'),
    });
    expect((await buyThenBracket(s, { pendingBelowType: 'STOP_LOSS_LIMIT', pendingBelowPrice: '60900.00' })).body).toMatchObject({
      code: -1102,
      msg: expect.stringContaining("'pendingBelowTimeInForce'"),
    });
  });

  it('exchangeInfo says otoAllowed: true, and the OTO/OTOCO placements count 2 and 3 orders', async () => {
    const s = await up();
    const info = (await (await fetch(`${s.rest}/api/v3/exchangeInfo?symbol=BTCUSDT`)).json()) as { symbols: { otoAllowed: boolean }[] };
    expect(info.symbols[0]!.otoAllowed).toBe(true);
    const a = await buyThenTakeProfit(s);
    expect(a.headers.get('x-mbx-order-count-10s')).toBe('2');
    const b = await buyThenBracket(s);
    expect(b.headers.get('x-mbx-order-count-10s')).toBe('5');
  });
});
