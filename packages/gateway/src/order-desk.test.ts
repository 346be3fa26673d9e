import { describe, expect, it } from 'vitest';
import type { JsonObject, NewOrder, ReasonCode } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { createClockEstimator } from './clock.js';
import { OrderDesk, QUARANTINE_AFTER } from './order-desk.js';
import type { RestOutcome } from './outcome.js';
import { createRateGovernor } from './rate-limits.js';
import type { RestClient } from './rest-client.js';
import type { Params } from './signing.js';
import { VenueSession } from './venue-session.js';

const cfg = (() => {
  const r = parseConfig({ exchange: { symbols: ['BTCUSDT'] } });
  if (!r.ok) throw new Error('config');
  return r.config.exchange;
})();
const ok = (body: unknown): RestOutcome => ({ kind: 'OK', status: 200, body, headers: {} });
const INFO = {
  timezone: 'UTC', serverTime: 1, exchangeFilters: [],
  rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 }],
  symbols: [{
    symbol: 'BTCUSDT', status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USDT', baseAssetPrecision: 8, quoteAssetPrecision: 8,
    orderTypes: ['LIMIT', 'MARKET', 'LIMIT_MAKER', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'], ocoAllowed: true, permissions: ['SPOT'],
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
      { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
      { filterType: 'NOTIONAL', minNotional: '5.00000000', applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
    ],
  }],
};
const FILLED = {
  symbol: 'BTCUSDT', orderId: 7, orderListId: -1, clientOrderId: 'vgeX', transactTime: 1700000000000, price: '64000.00000000', origQty: '0.00100000',
  executedQty: '0.00100000', cummulativeQuoteQty: '64.00000000', status: 'FILLED', timeInForce: 'GTC', type: 'LIMIT', side: 'BUY',
  fills: [{ price: '64000.00000000', qty: '0.00100000', commission: '0.00000100', commissionAsset: 'BTC', tradeId: 99 }],
};

async function desk(signed: (method: string, path: string, params: Params) => RestOutcome, now: () => number = Date.now) {
  const calls: { method: string; path: string; params: Params }[] = [];
  const reasons = new Map<ReasonCode, JsonObject>();
  let infoLoads = 0;
  let avgLoads = 0;
  const rest: RestClient = {
    publicGet: async (path) => {
      if (path === '/api/v3/exchangeInfo') return infoLoads++, ok(INFO);
      if (path === '/api/v3/avgPrice') return avgLoads++, ok({ mins: 5, price: '64000.00' });
      return ok({ serverTime: Date.now() });
    },
    signed: async (method, path, params) => {
      // Context lookups (open orders for MAX_NUM_ORDERS) are not order traffic.
      if (path === '/api/v3/openOrders') return ok([]);
      calls.push({ method, path, params });
      return signed(method, path, params);
    },
    close: () => {},
  };
  const reason = (code: ReasonCode, on: boolean, detail: JsonObject): void => void (on ? reasons.set(code, detail) : reasons.delete(code));
  const session = new VenueSession({ rest, clock: createClockEstimator({ driftMaxMs: 500 }), governor: createRateGovernor([]), cfg, now: Date.now, reason, event: () => {} });
  await session.refreshFilters();
  return { d: new OrderDesk({ session, now, reason }), calls, reasons, infoLoads: () => infoLoads, avgLoads: () => avgLoads };
}

const order = (o: Partial<NewOrder> = {}): NewOrder => ({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', client_order_id: 'vgeX', quantity: '0.001', price: '64000.00', ...o });

describe('OrderDesk', () => {
  it('refuses locally, without any venue call, an order the rules reject', async () => {
    const h = await desk(() => ok(FILLED));
    expect(await h.d.place(order({ quantity: '0.0000001' }))).toMatchObject({ kind: 'NOT_SENT', cause: 'LOCAL_VALIDATION' });
    expect(await h.d.place(order({ price: '64000.001' }))).toMatchObject({ kind: 'NOT_SENT', cause: 'LOCAL_VALIDATION' });
    expect(await h.d.place(order({ symbol: 'DOGEUSDT' }))).toMatchObject({ kind: 'NOT_SENT', cause: 'NO_RULES' });
    expect(h.calls).toEqual([]);
  });

  it('sends a valid order once, with strings as given, and maps the FULL reply', async () => {
    const h = await desk(() => ok(FILLED));
    const out = await h.d.place(order());
    expect(out).toMatchObject({ kind: 'OK', body: { order_id: 7, status: 'FILLED', executed_qty: '0.00100000', fills: [{ commission_asset: 'BTC', trade_id: 99 }] } });
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]!.params).toMatchObject({ symbol: 'BTCUSDT', quantity: '0.001', price: '64000.00', timeInForce: 'GTC', newClientOrderId: 'vgeX', newOrderRespType: 'FULL' });
  });

  it('keeps the average price warm ahead of its TTL, off the order path', async () => {
    let t = 1_000_000;
    const h = await desk(() => ok(FILLED), () => t);
    await h.d.place(order());
    expect(h.avgLoads()).toBe(1);
    t += 1_000; // fresh: no venue call
    await h.d.place(order());
    expect(h.avgLoads()).toBe(1);
    t += 2_000; // past half the TTL: served from the cache, refreshed behind the order
    await h.d.place(order());
    await new Promise((r) => setImmediate(r));
    expect(h.avgLoads()).toBe(2);
    t += 6_000; // past the TTL: the order waits for a fresh one
    await h.d.place(order());
    expect(h.avgLoads()).toBe(3);
  });

  it('never turns an unknown outcome into a failure, and never resends', async () => {
    for (const reply of [{ kind: 'UNKNOWN', reason: 'HTTP 503' } as RestOutcome, ok({ weird: true }), ok('<html>')]) {
      const h = await desk(() => reply);
      expect((await h.d.place(order())).kind).toBe('UNKNOWN');
      expect(h.calls).toHaveLength(1);
    }
  });

  it('answers query_order for an absent order with REJECTED -2013 (the input to NOT_FOUND handling)', async () => {
    const h = await desk(() => ({ kind: 'REJECTED', status: 400, code: -2013, msg: 'Order does not exist.' }));
    expect(await h.d.query('BTCUSDT', 'vgeX')).toEqual({ kind: 'REJECTED', code: -2013, msg: 'Order does not exist.' });
    expect(h.calls[0]).toMatchObject({ method: 'GET', path: '/api/v3/order', params: { origClientOrderId: 'vgeX' } });
  });

  it('reloads rules on a filter rejection and quarantines the symbol after repeated ones', async () => {
    const h = await desk(() => ({ kind: 'REJECTED', status: 400, code: -1013, msg: 'Filter failure: LOT_SIZE' }));
    const loadsBefore = h.infoLoads();
    for (let i = 0; i < QUARANTINE_AFTER.rejects; i++) expect((await h.d.place(order())).kind).toBe('REJECTED');
    expect(h.infoLoads()).toBe(loadsBefore + QUARANTINE_AFTER.rejects);
    expect(h.reasons.get('SYMBOL_QUARANTINED')).toMatchObject({ symbols: ['BTCUSDT'] });
    const calls = h.calls.length;
    expect(await h.d.place(order())).toMatchObject({ kind: 'NOT_SENT', cause: 'SYMBOL_QUARANTINED' });
    expect(h.calls.length).toBe(calls);
  });

  it('maps the account, and refuses to guess on a malformed one', async () => {
    const good = await desk(() => ok({ canTrade: true, balances: [{ asset: 'USDT', free: '100.00000000', locked: '0.00000000' }] }));
    expect(await good.d.account()).toEqual({ kind: 'OK', body: { can_trade: true, balances: [{ asset: 'USDT', free: '100.00000000', locked: '0.00000000' }] } });
    const bad = await desk(() => ok({ canTrade: true, balances: [{ asset: 'USDT', free: 100 }] }));
    expect((await bad.d.account()).kind).toBe('UNKNOWN');
  });
});

describe('OrderDesk: regressions found by test/fuzz/gateway-rest.fuzz.test.ts', () => {
  it('a well-formed report of another order neither confirms a placement nor resolves a query', async () => {
    const other = { ...FILLED, clientOrderId: 'vgeSOMEONEELSE' };
    const h = await desk(() => ok(other));
    expect(await h.d.place(order())).toMatchObject({ kind: 'UNKNOWN', reason: expect.stringContaining('vgeSOMEONEELSE') });
    expect((await h.d.query('BTCUSDT', 'vgeX')).kind).toBe('UNKNOWN');
    expect((await (await desk(() => ok({ ...FILLED, symbol: 'ETHUSDT' }))).d.query('BTCUSDT', 'vgeX')).kind).toBe('UNKNOWN');
    expect((await (await desk(() => ok(FILLED))).d.query('BTCUSDT', 'vgeX')).kind).toBe('OK');
  });

  it('ids beyond 2^53 and decimals longer than the core carries are not understood', async () => {
    for (const bad of [{ ...FILLED, orderId: 2 ** 53 + 2 }, { ...FILLED, price: `1.${'0'.repeat(80)}` }, { ...FILLED, fills: [{ ...FILLED.fills[0], tradeId: 1e300 }] }]) {
      expect((await (await desk(() => ok(bad))).d.place(order())).kind).toBe('UNKNOWN');
    }
  });

  it('an order list reply about another list, or with no orders, is UNKNOWN', async () => {
    const list = { orderListId: 3, contingencyType: 'OCO', listStatusType: 'EXEC_STARTED', listOrderStatus: 'EXECUTING', listClientOrderId: 'vglA', symbol: 'BTCUSDT', orders: [{ orderId: 8, clientOrderId: 'vglAa' }] };
    expect((await (await desk(() => ok(list))).d.queryList('vglA')).kind).toBe('OK');
    expect((await (await desk(() => ok(list))).d.queryList('vglB')).kind).toBe('UNKNOWN');
    expect((await (await desk(() => ok({ ...list, orders: [] }))).d.queryList('vglA')).kind).toBe('UNKNOWN');
  });
});
