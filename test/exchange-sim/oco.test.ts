import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, signed, startSim } from './helpers.js';

let sim: ExchangeSim | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

const balance = async (s: ExchangeSim, asset: string) => {
  const r = await signed(s, 'GET', '/api/v3/account', {});
  return (r.body['balances'] as { asset: string; free: string; locked: string }[]).find((b) => b.asset === asset)!;
};

async function sellOco(s: ExchangeSim, extra: Record<string, string> = {}) {
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

describe('exchange-sim order lists (OCO)', () => {
  it('places both legs with one balance lock, lists them, and cancels the whole list', async () => {
    sim = await startSim();
    await admin(sim, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000' });
    const before = await balance(sim, 'BTC');
    const r = await sellOco(sim);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ contingencyType: 'OCO', listStatusType: 'EXEC_STARTED', listOrderStatus: 'EXECUTING', listClientOrderId: 'list1', symbol: 'BTCUSDT' });
    const id = r.body['orderListId'] as number;
    expect((r.body['orderReports'] as unknown[]).length).toBe(2);
    const after = await balance(sim, 'BTC');
    expect(Number(after.locked) - Number(before.locked)).toBeCloseTo(0.01, 8); // locked once, not twice
    const open = await signed(sim, 'GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' });
    expect((open.body as unknown as { orderListId: number }[]).map((o) => o.orderListId)).toEqual([id, id]);
    expect(((await signed(sim, 'GET', '/api/v3/openOrderList', {})).body as unknown as unknown[]).length).toBe(1);
    const dup = await sellOco(sim);
    expect(dup.body).toMatchObject({ code: -2010 });
    // Cancelling one leg cancels the list.
    const c = await signed(sim, 'DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'sl1' });
    expect(c.status).toBe(200);
    const q = await signed(sim, 'GET', '/api/v3/orderList', { origClientOrderId: 'list1' });
    expect(q.body).toMatchObject({ listOrderStatus: 'ALL_DONE' });
    expect((await signed(sim, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'tp1' })).body).toMatchObject({ status: 'CANCELED' });
    expect((await balance(sim, 'BTC')).locked).toBe(before.locked);
    expect((await signed(sim, 'DELETE', '/api/v3/orderList', { symbol: 'BTCUSDT', listClientOrderId: 'list1' })).body).toMatchObject({ code: -2011 });
  });

  it('take-profit fills -> stop EXPIRED; stop triggers -> take-profit EXPIRED; balances settle', async () => {
    sim = await startSim();
    await admin(sim, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000' });
    const btc0 = Number((await balance(sim, 'BTC')).free);
    await sellOco(sim);
    await admin(sim, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '66500' });
    expect((await signed(sim, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'tp1' })).body).toMatchObject({ status: 'FILLED' });
    expect((await signed(sim, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'sl1' })).body).toMatchObject({ status: 'EXPIRED' });
    expect((await signed(sim, 'GET', '/api/v3/orderList', { origClientOrderId: 'list1' })).body).toMatchObject({ listStatusType: 'ALL_DONE' });
    const b = await balance(sim, 'BTC');
    expect(Number(b.free)).toBeCloseTo(btc0 - 0.01, 8);
    expect(Number(b.locked)).toBe(0);

    await sellOco(sim, { listClientOrderId: 'list2', aboveClientOrderId: 'tp2', belowClientOrderId: 'sl2', abovePrice: '68000.00', belowStopPrice: '65000.00', belowPrice: '64000.00' });
    await admin(sim, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64900' });
    expect((await signed(sim, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'sl2' })).body).toMatchObject({ status: 'FILLED' });
    expect((await signed(sim, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'tp2' })).body).toMatchObject({ status: 'EXPIRED' });
    expect(Number((await balance(sim, 'BTC')).locked)).toBe(0);
  });

  it('creates nothing when a leg is invalid; accepts the legacy /order/oco form', async () => {
    sim = await startSim();
    await admin(sim, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000' });
    const bad = await sellOco(sim, { belowPrice: '61900.001' });
    expect(bad.body).toMatchObject({ code: -1013, msg: 'Filter failure: PRICE_FILTER' });
    const wrongSide = await sellOco(sim, { belowStopPrice: '64500.00' });
    expect(wrongSide.body).toMatchObject({ code: -1013 });
    expect(((await signed(sim, 'GET', '/api/v3/openOrders', {})).body as unknown as unknown[]).length).toBe(0);
    const legacy = await signed(sim, 'POST', '/api/v3/order/oco', { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', price: '66000.00', stopPrice: '62000.00', stopLimitPrice: '61900.00', stopLimitTimeInForce: 'GTC', listClientOrderId: 'legacy1' });
    expect(legacy.status).toBe(200);
    expect((legacy.body['orderReports'] as { type: string }[]).map((o) => o.type).sort()).toEqual(['LIMIT_MAKER', 'STOP_LOSS_LIMIT']);
  });

  it('a trailing stop follows the price up and sells delta BIPS below the best bid', async () => {
    sim = await startSim();
    await admin(sim, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000' });
    const r = await signed(sim, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', trailingDelta: '100', newClientOrderId: 'trail1' });
    expect(r.status).toBe(200);
    await admin(sim, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '66000' });
    await admin(sim, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '65500' }); // -0.76 %: holds
    expect((await signed(sim, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'trail1' })).body).toMatchObject({ status: 'NEW', trailingDelta: 100 });
    await admin(sim, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '65200' }); // -1.2 % from the best: triggers
    expect((await signed(sim, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'trail1' })).body).toMatchObject({ status: 'FILLED' });
  });

  it('keeps order lists across a snapshot/restore', async () => {
    sim = await startSim();
    await admin(sim, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000' });
    await sellOco(sim);
    const snap = sim.exchange.snapshot();
    expect(snap.lists).toHaveLength(1);
    sim.exchange.restore(JSON.parse(JSON.stringify(snap)));
    expect((await signed(sim, 'GET', '/api/v3/orderList', { origClientOrderId: 'list1' })).body).toMatchObject({ listOrderStatus: 'EXECUTING' });
  });
});
