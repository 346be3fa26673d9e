import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, KEY, signed, startSim, until, userStream } from './helpers.js';

let sim: ExchangeSim | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});
const up = async (o: Parameters<typeof startSim>[0] = {}) => (sim = await startSim(o));

describe('exchange-sim REST contract', () => {
  it('serves public endpoints with Binance shapes and weight headers', async () => {
    const s = await up();
    const time = await fetch(`${s.rest}/api/v3/time`);
    expect(time.headers.get('x-mbx-used-weight-1m')).toBe('1');
    expect(typeof ((await time.json()) as { serverTime: number }).serverTime).toBe('number');
    const info = (await (await fetch(`${s.rest}/api/v3/exchangeInfo`)).json()) as {
      symbols: { symbol: string; filters: { filterType: string }[] }[];
      rateLimits: unknown[];
    };
    expect(info.symbols.map((x) => x.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'BNBUSDT']);
    expect(info.symbols[0]!.filters.map((f) => f.filterType)).toEqual(
      expect.arrayContaining([
        'PRICE_FILTER',
        'LOT_SIZE',
        'MARKET_LOT_SIZE',
        'NOTIONAL',
        'PERCENT_PRICE_BY_SIDE',
        'MAX_NUM_ORDERS',
        'MAX_NUM_ALGO_ORDERS',
        'TRAILING_DELTA',
      ]),
    );
    expect(info.rateLimits).toContainEqual({ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 });
    const bt = (await (await fetch(`${s.rest}/api/v3/ticker/bookTicker?symbol=BTCUSDT`)).json()) as Record<string, string>;
    expect(bt['bidPrice']).toMatch(/^\d+\.\d{8}$/);
    expect((await fetch(`${s.rest}/api/v3/ticker/price?symbol=NOPE`)).status).toBe(400);
  });

  it('authenticates: good signature, bad signature -1022, unknown key -2015, old timestamp -1021', async () => {
    const s = await up();
    expect((await signed(s, 'GET', '/api/v3/account', {})).status).toBe(200);
    expect((await signed(s, 'GET', '/api/v3/account', {}, { secret: 'wrong' })).body).toMatchObject({ code: -1022 });
    expect((await signed(s, 'GET', '/api/v3/account', {}, { key: 'nobody' })).body).toMatchObject({ code: -2015 });
    expect((await signed(s, 'GET', '/api/v3/account', {}, { ts: Date.now() - 60_000 })).body).toMatchObject({ code: -1021 });
    expect((await signed(s, 'GET', '/api/v3/account', {}, { ts: Date.now() + 5_000 })).body).toMatchObject({ code: -1021 });
    expect((await signed(s, 'GET', '/sapi/v1/account/apiRestrictions', {})).body).toMatchObject({ enableWithdrawals: false, ipRestrict: true });
  });

  it('enforces filters with Binance codes, duplicates and balance', async () => {
    const s = await up();
    const place = (p: Record<string, string>) =>
      signed(s, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', ...p });
    expect((await place({ quantity: '0.001', price: '60000.000000001' })).body).toMatchObject({ code: -1111 });
    expect((await place({ quantity: '0.001', price: '60000.001' })).body).toMatchObject({ code: -1013, msg: 'Filter failure: PRICE_FILTER' });
    expect((await place({ quantity: '0.000015', price: '60000' })).body).toMatchObject({ code: -1013, msg: 'Filter failure: LOT_SIZE' });
    expect((await place({ quantity: '0.00001', price: '60000' })).body).toMatchObject({ code: -1013, msg: 'Filter failure: NOTIONAL' });
    expect((await place({ quantity: '0.001', price: '1000000.01' })).body).toMatchObject({ code: -1013, msg: 'Filter failure: PRICE_FILTER' });
    expect((await place({ quantity: '0.01', price: '1000' })).body).toMatchObject({ code: -1013, msg: 'Filter failure: PERCENT_PRICE_BY_SIDE' });
    expect((await place({ quantity: '1', price: '60000' })).body).toMatchObject({ code: -2010, msg: 'Account has insufficient balance for requested action.' });
    expect((await place({ quantity: '0.001', price: '60000', newClientOrderId: 'dup1' })).status).toBe(200);
    expect((await place({ quantity: '0.001', price: '60000', newClientOrderId: 'dup1' })).body).toMatchObject({ code: -2010, msg: 'Duplicate order sent.' });
  });

  it('rests a LIMIT order, fills it when the market crosses, with balances and commission', async () => {
    const s = await up();
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000' });
    const r = await signed(s, 'POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.01',
      price: '63000',
      newClientOrderId: 'rest1',
    });
    expect(r.body).toMatchObject({ status: 'NEW', executedQty: '0.00000000', clientOrderId: 'rest1' });
    expect(r.headers.get('x-mbx-order-count-10s')).toBe('1');
    let acct = (await signed(s, 'GET', '/api/v3/account', {})).body as { balances: { asset: string; free: string; locked: string }[] };
    expect(acct.balances.find((b) => b.asset === 'USDT')).toEqual({ asset: 'USDT', free: '9370.00000000', locked: '630.00000000' });
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '62900' });
    const q = await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'rest1' });
    expect(q.body).toMatchObject({ status: 'FILLED', executedQty: '0.01000000', cummulativeQuoteQty: '630.00000000' });
    acct = (await signed(s, 'GET', '/api/v3/account', {})).body as typeof acct;
    expect(acct.balances.find((b) => b.asset === 'USDT')).toEqual({ asset: 'USDT', free: '9370.00000000', locked: '0.00000000' });
    expect(acct.balances.find((b) => b.asset === 'BTC')!.free).toBe('0.50999000'); // 0.5 + 0.01 - 0.1 % commission
    const trades = (await signed(s, 'GET', '/api/v3/myTrades', { symbol: 'BTCUSDT' })).body as unknown as { commission: string; isMaker: boolean }[];
    expect(trades).toEqual([expect.objectContaining({ commission: '0.00001000', isMaker: true })]);
  });

  it('fills MARKET orders at the touch, cancels, and answers -2013/-2011 for unknown orders', async () => {
    const s = await up();
    const m = await signed(s, 'POST', '/api/v3/order', { symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1', newOrderRespType: 'FULL' });
    expect(m.body).toMatchObject({ status: 'FILLED', executedQty: '0.10000000', fills: [expect.objectContaining({ commissionAsset: 'ETH' })] });
    const l = await signed(s, 'POST', '/api/v3/order', {
      symbol: 'ETHUSDT',
      side: 'SELL',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.1',
      price: '4000',
      newClientOrderId: 'c1',
    });
    expect(l.body).toMatchObject({ status: 'NEW' });
    expect(((await signed(s, 'GET', '/api/v3/openOrders', { symbol: 'ETHUSDT' })).body as unknown as unknown[]).length).toBe(1);
    expect((await signed(s, 'DELETE', '/api/v3/order', { symbol: 'ETHUSDT', origClientOrderId: 'c1' })).body).toMatchObject({ status: 'CANCELED' });
    expect((await signed(s, 'DELETE', '/api/v3/order', { symbol: 'ETHUSDT', origClientOrderId: 'c1' })).body).toMatchObject({ code: -2011 });
    expect((await signed(s, 'GET', '/api/v3/order', { symbol: 'ETHUSDT', origClientOrderId: 'never' })).body).toMatchObject({
      code: -2013,
      msg: 'Order does not exist.',
    });
  });

  it('a cancel names itself in clientOrderId and the order in origClientOrderId (REST and executionReport c/C)', async () => {
    const s = await up();
    const us = await userStream(s);
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000' });
    const id = (
      await signed(s, 'POST', '/api/v3/order', {
        symbol: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: '0.001',
        price: '60000',
        newClientOrderId: 'own1',
      })
    ).body['orderId'];
    expect((await signed(s, 'DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: String(id), origClientOrderId: 'other' })).body).toMatchObject({
      code: -2011,
    });
    expect((await signed(s, 'DELETE', '/api/v3/order', { symbol: 'BTCUSDT' })).body).toMatchObject({ code: -1102 });
    const c = await signed(s, 'DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'own1', newClientOrderId: 'cxl1' });
    expect(c.body).toMatchObject({ origClientOrderId: 'own1', clientOrderId: 'cxl1', orderId: id, status: 'CANCELED' });
    const ev = await until('cancel report', () => us.events.find((e) => e['e'] === 'executionReport' && e['x'] === 'CANCELED'));
    us.close();
    expect(ev).toMatchObject({ c: 'cxl1', C: 'own1', X: 'CANCELED', i: id });
  });

  it('persists orders and balances across a restart', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'sim-state-')), 'state.json');
    let s = await up({ stateFile });
    await signed(s, 'POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.001',
      price: '60000',
      newClientOrderId: 'keep',
    });
    await s.close();
    s = await up({ stateFile });
    expect((await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'keep' })).body).toMatchObject({
      status: 'NEW',
      price: '60000.00000000',
    });
    const acct = (await signed(s, 'GET', '/api/v3/account', {})).body as { balances: { asset: string; locked: string }[] };
    expect(acct.balances.find((b) => b.asset === 'USDT')!.locked).toBe('60.00000000');
    void KEY;
  });
});
