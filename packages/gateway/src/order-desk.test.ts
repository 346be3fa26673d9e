import { describe, expect, it } from 'vitest';
import { clientOrderIdFor, type JsonObject, type NewOco, type NewOrder, type ReasonCode, type StandingQuarantine } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { createClockEstimator } from './clock.js';
import { OrderDesk, QUARANTINE_AFTER } from './order-desk.js';
import type { RestOutcome } from './outcome.js';
import { createRateGovernor } from './rate-limits.js';
import type { RestClient } from './rest-client.js';
import type { Params } from './signing.js';
import { VenueSession } from './venue-session.js';

const exchangeCfg = (symbols: string[]) => {
  const r = parseConfig({ exchange: { symbols } });
  if (!r.ok) throw new Error('config');
  return r.config.exchange;
};
const cfg = exchangeCfg(['BTCUSDT']);
const ok = (body: unknown): RestOutcome => ({ kind: 'OK', status: 200, body, headers: {} });
const symbolInfo = (symbol: string, status: string) => ({
  symbol,
  status,
  baseAsset: symbol.replace(/USDT$/, ''),
  quoteAsset: 'USDT',
  baseAssetPrecision: 8,
  quoteAssetPrecision: 8,
  orderTypes: ['LIMIT', 'MARKET', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
  ocoAllowed: true,
  allowTrailingStop: true,
  cancelReplaceAllowed: true,
  permissions: ['SPOT'],
  filters: [
    { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
    { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
    { filterType: 'NOTIONAL', minNotional: '5.00000000', applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
  ],
});
const info = (statuses: Record<string, string>) => ({
  timezone: 'UTC',
  serverTime: 1,
  exchangeFilters: [],
  rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 }],
  symbols: Object.entries(statuses).map(([symbol, status]) => symbolInfo(symbol, status)),
});
const FILLED = {
  symbol: 'BTCUSDT',
  orderId: 7,
  orderListId: -1,
  clientOrderId: 'vgeX',
  transactTime: 1700000000000,
  price: '64000.00000000',
  origQty: '0.00100000',
  executedQty: '0.00100000',
  cummulativeQuoteQty: '64.00000000',
  status: 'FILLED',
  timeInForce: 'GTC',
  type: 'LIMIT',
  side: 'BUY',
  fills: [{ price: '64000.00000000', qty: '0.00100000', commission: '0.00000100', commissionAsset: 'BTC', tradeId: 99 }],
};

async function desk(
  signed: (method: string, path: string, params: Params) => RestOutcome,
  now: () => number = Date.now,
  symbols: string[] = ['BTCUSDT'],
  restored: readonly StandingQuarantine[] = [],
) {
  const calls: { method: string; path: string; params: Params }[] = [];
  const reasons = new Map<ReasonCode, JsonObject>();
  const events: { type: string; payload: JsonObject; reason?: ReasonCode }[] = [];
  const broadcasts: (readonly string[])[] = [];
  const statuses: Record<string, string> = Object.fromEntries(symbols.map((s) => [s, 'TRADING']));
  let infoLoads = 0;
  let avgLoads = 0;
  const venue = { infoDown: false };
  const rest: RestClient = {
    publicGet: async (path) => {
      if (path === '/api/v3/exchangeInfo') return (infoLoads++, venue.infoDown ? { kind: 'UNKNOWN', reason: 'HTTP 503' } : ok(info(statuses)));
      if (path === '/api/v3/avgPrice') return (avgLoads++, ok({ mins: 5, price: '64000.00' }));
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
  const session = new VenueSession({
    rest,
    clock: createClockEstimator({ driftMaxMs: 500 }),
    governor: createRateGovernor([]),
    cfg: symbols.length === 1 && symbols[0] === 'BTCUSDT' ? cfg : exchangeCfg(symbols),
    now: Date.now,
    reason,
    event: () => {},
  });
  await session.refreshFilters();
  const d = new OrderDesk({
    session,
    now,
    reason,
    event: (type, payload, r) => void events.push({ type, payload, ...(r ? { reason: r } : {}) }),
    onQuarantine: (q) => void broadcasts.push(q),
    restored,
  });
  return { d, session, calls, reasons, events, broadcasts, statuses, venue, infoLoads: () => infoLoads, avgLoads: () => avgLoads };
}

const order = (o: Partial<NewOrder> = {}): NewOrder => ({
  symbol: 'BTCUSDT',
  side: 'BUY',
  type: 'LIMIT',
  client_order_id: 'vgeX',
  quantity: '0.001',
  price: '64000.00',
  ...o,
});

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
    expect(out).toMatchObject({
      kind: 'OK',
      body: { order_id: 7, status: 'FILLED', executed_qty: '0.00100000', fills: [{ commission_asset: 'BTC', trade_id: 99 }] },
    });
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]!.params).toMatchObject({
      symbol: 'BTCUSDT',
      quantity: '0.001',
      price: '64000.00',
      timeInForce: 'GTC',
      newClientOrderId: 'vgeX',
      newOrderRespType: 'FULL',
    });
  });

  it('keeps the average price warm ahead of its TTL, off the order path', async () => {
    let t = 1_000_000;
    const h = await desk(
      () => ok(FILLED),
      () => t,
    );
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

  it('reloads rules at once when a test order is refused by a filter ("Market is closed." on a halt), as a real order would', async () => {
    const h = await desk(() => ({ kind: 'REJECTED', status: 400, code: -1013, msg: 'Market is closed.' }));
    const loadsBefore = h.infoLoads();
    expect(await h.d.test(order())).toMatchObject({ kind: 'REJECTED', code: -1013 });
    expect(h.infoLoads()).toBe(loadsBefore + 1);
  });

  it('maps the account, and refuses to guess on a malformed one', async () => {
    const good = await desk(() => ok({ canTrade: true, balances: [{ asset: 'USDT', free: '100.00000000', locked: '0.00000000' }] }));
    expect(await good.d.account()).toEqual({
      kind: 'OK',
      body: { can_trade: true, balances: [{ asset: 'USDT', free: '100.00000000', locked: '0.00000000' }] },
    });
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
    for (const bad of [
      { ...FILLED, orderId: 2 ** 53 + 2 },
      { ...FILLED, price: `1.${'0'.repeat(80)}` },
      { ...FILLED, fills: [{ ...FILLED.fills[0], tradeId: 1e300 }] },
    ]) {
      expect((await (await desk(() => ok(bad))).d.place(order())).kind).toBe('UNKNOWN');
    }
  });

  it('an order list reply about another list, or with no orders, is UNKNOWN', async () => {
    const list = {
      orderListId: 3,
      contingencyType: 'OCO',
      listStatusType: 'EXEC_STARTED',
      listOrderStatus: 'EXECUTING',
      listClientOrderId: 'vglA',
      symbol: 'BTCUSDT',
      orders: [{ orderId: 8, clientOrderId: 'vglAa' }],
    };
    expect((await (await desk(() => ok(list))).d.queryList('vglA')).kind).toBe('OK');
    expect((await (await desk(() => ok(list))).d.queryList('vglB')).kind).toBe('UNKNOWN');
    expect((await (await desk(() => ok({ ...list, orders: [] }))).d.queryList('vglA')).kind).toBe('UNKNOWN');
  });
});

describe('OrderDesk: a well-formed reply about another order or list confirms nothing (found by a hostile-venue probe)', () => {
  const cancelled = (over: Record<string, unknown> = {}) => ({ ...FILLED, origClientOrderId: 'vgeX', clientOrderId: 'cancelX1', status: 'CANCELED', ...over });
  const listReply = (over: Record<string, unknown> = {}) => ({
    orderListId: 3,
    contingencyType: 'OCO',
    listStatusType: 'ALL_DONE',
    listOrderStatus: 'ALL_DONE',
    listClientOrderId: 'vglA',
    symbol: 'BTCUSDT',
    orders: [
      { symbol: 'BTCUSDT', orderId: 8, clientOrderId: 'vgtA' },
      { symbol: 'BTCUSDT', orderId: 9, clientOrderId: 'vgsA' },
    ],
    ...over,
  });
  const ocoA: NewOco = {
    symbol: 'BTCUSDT',
    side: 'SELL',
    quantity: '0.001',
    list_client_order_id: 'vglA',
    above: { type: 'LIMIT_MAKER', client_order_id: 'vgtA', price: '66000.00' },
    below: { type: 'STOP_LOSS_LIMIT', client_order_id: 'vgsA', price: '62000.00', stop_price: '62100.00', time_in_force: 'GTC' },
  };

  it('a cancel is OK only for a report of the order it named (origClientOrderId and symbol); another order or symbol is UNKNOWN', async () => {
    expect(await (await desk(() => ok(cancelled()))).d.cancel('BTCUSDT', 'vgeX')).toMatchObject({
      kind: 'OK',
      body: { client_order_id: 'vgeX', status: 'CANCELED' },
    });
    for (const other of [
      cancelled({ origClientOrderId: 'vgeSOMEONEELSE' }),
      cancelled({ symbol: 'ETHUSDT' }),
      { ...FILLED, clientOrderId: 'vgeOTHER', status: 'CANCELED' },
    ]) {
      expect((await (await desk(() => ok(other))).d.cancel('BTCUSDT', 'vgeX')).kind).toBe('UNKNOWN');
    }
  });

  it('a placement reply that contradicts the order (its side) or itself (executed above the ordered quantity, fills above the executed) is UNKNOWN', async () => {
    expect((await (await desk(() => ok(FILLED))).d.place(order())).kind).toBe('OK');
    for (const bad of [
      { ...FILLED, side: 'SELL' },
      { ...FILLED, executedQty: '5.00000000' },
      { ...FILLED, fills: [FILLED.fills[0], { ...FILLED.fills[0], tradeId: 100 }] },
    ]) {
      expect((await (await desk(() => ok(bad))).d.place(order())).kind).toBe('UNKNOWN');
    }
  });

  it('an OCO placement is OK only with our list id, our symbol and exactly our two legs', async () => {
    expect((await (await desk(() => ok(listReply({ listStatusType: 'EXEC_STARTED', listOrderStatus: 'EXECUTING' })))).d.placeOco(ocoA)).kind).toBe('OK');
    for (const other of [
      listReply({ symbol: 'ETHUSDT' }),
      listReply({
        orders: [
          { symbol: 'BTCUSDT', orderId: 8, clientOrderId: 'foreign1' },
          { symbol: 'BTCUSDT', orderId: 9, clientOrderId: 'foreign2' },
        ],
      }),
      listReply({ orders: [{ symbol: 'BTCUSDT', orderId: 8, clientOrderId: 'vgtA' }] }),
      listReply({
        orders: [
          { symbol: 'ETHUSDT', orderId: 8, clientOrderId: 'vgtA' },
          { symbol: 'BTCUSDT', orderId: 9, clientOrderId: 'vgsA' },
        ],
      }),
    ]) {
      expect((await (await desk(() => ok(other))).d.placeOco(ocoA)).kind).toBe('UNKNOWN');
    }
  });

  it('a list cancel or query about another symbol is UNKNOWN', async () => {
    expect((await (await desk(() => ok(listReply()))).d.cancelList('BTCUSDT', 'vglA')).kind).toBe('OK');
    expect((await (await desk(() => ok(listReply({ symbol: 'ETHUSDT' })))).d.cancelList('BTCUSDT', 'vglA')).kind).toBe('UNKNOWN');
    // A leg's symbol that is not a string is not understood (String() of such an object throws).
    const hostile = listReply({
      orders: [
        { symbol: { toString: 1 }, orderId: 8, clientOrderId: 'vgtA' },
        { symbol: 'BTCUSDT', orderId: 9, clientOrderId: 'vgsA' },
      ],
    });
    expect((await (await desk(() => ok(hostile))).d.cancelList('BTCUSDT', 'vglA')).kind).toBe('UNKNOWN');
  });

  it('a cancel-replace whose cancelled half is another order, or whose placed half is not the new order, is UNKNOWN', async () => {
    const replace = (cancelResponse: unknown, newOrderResponse: unknown) => async () =>
      (await desk(() => ok({ cancelResult: 'SUCCESS', newOrderResult: 'SUCCESS', cancelResponse, newOrderResponse }))).d.cancelReplace({
        symbol: 'BTCUSDT',
        cancel_client_order_id: 'vgeX',
        mode: 'STOP_ON_FAILURE',
        cancel_restrictions: 'ONLY_NEW',
        order: order({ client_order_id: 'vgeY' }),
      });
    const newY = { ...FILLED, clientOrderId: 'vgeY', status: 'NEW', executedQty: '0.00000000', cummulativeQuoteQty: '0.00000000', fills: [] };
    expect(await (await replace(cancelled(), newY))()).toMatchObject({ kind: 'OK', body: { result: 'REPLACED' } });
    expect((await (await replace(cancelled({ origClientOrderId: 'vgeOTHER' }), newY))()).kind).toBe('UNKNOWN');
    expect((await (await replace(cancelled(), { ...newY, clientOrderId: 'vgeZZZ' }))()).kind).toBe('UNKNOWN');
    expect((await (await replace(cancelled(), { ...newY, symbol: 'ETHUSDT' }))()).kind).toBe('UNKNOWN');
  });
});

describe('OrderDesk: quarantine blocks new entries only, and is lifted when its cause clears', () => {
  const CLEAR_MS = cfg.quarantine_clear_ms;
  const REJECT: RestOutcome = { kind: 'REJECTED', status: 400, code: -1013, msg: 'Filter failure: PRICE_FILTER' };
  const FAILURE_THEN_OK =
    (failures: { n: number }) =>
    (_m: string, path: string, params: Params): RestOutcome => {
      if (failures.n > 0) return (failures.n--, REJECT);
      if (path === '/api/v3/orderList/oco')
        return ok({
          orderListId: 3,
          contingencyType: 'OCO',
          listStatusType: 'EXEC_STARTED',
          listOrderStatus: 'EXECUTING',
          listClientOrderId: params['listClientOrderId'],
          symbol: 'BTCUSDT',
          orders: [
            { orderId: 8, clientOrderId: params['aboveClientOrderId'] },
            { orderId: 9, clientOrderId: params['belowClientOrderId'] },
          ],
        });
      const id = (params['newClientOrderId'] ?? params['origClientOrderId']) as string;
      return ok({
        ...FILLED,
        clientOrderId: id,
        side: params['side'] ?? 'SELL',
        type: params['type'] ?? 'LIMIT',
        status: path === '/api/v3/order' && params['origClientOrderId'] ? 'CANCELED' : 'NEW',
      });
    };
  const id = (leg: Parameters<typeof clientOrderIdFor>[1], n = 1) => clientOrderIdFor(`oi_q${n}`, leg);
  const entry = (n = 1): NewOrder => order({ client_order_id: id('entry', n) });
  const list = clientOrderIdFor('oi_list', 'list');
  const oco: NewOco = {
    symbol: 'BTCUSDT',
    side: 'SELL',
    quantity: '0.001',
    list_client_order_id: list,
    above: { type: 'LIMIT_MAKER', client_order_id: `vgt${list.slice(3)}`, price: '66000.00' },
    below: { type: 'STOP_LOSS_LIMIT', client_order_id: `vgs${list.slice(3)}`, price: '62000.00', stop_price: '62100.00', time_in_force: 'GTC' },
  };
  const trailing: NewOrder = { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', client_order_id: id('trailing'), quantity: '0.001', trailing_delta: 100 };
  const exit: NewOrder = { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', client_order_id: id('close'), quantity: '0.001' };

  /** A desk whose first three order calls are filter rejections: BTCUSDT quarantined at `t`. */
  async function quarantinedDesk(clock: { t: number }) {
    const h = await desk(FAILURE_THEN_OK({ n: QUARANTINE_AFTER.rejects }), () => clock.t);
    for (let i = 0; i < QUARANTINE_AFTER.rejects; i++) expect(await h.d.place(entry(100 + i))).toMatchObject({ kind: 'REJECTED', code: -1013 });
    expect(h.d.quarantined).toEqual(['BTCUSDT']);
    return h;
  }

  it('a quarantined symbol refuses entries (a BUY, an entry id, an id not ours, a cancel-replace to an entry) without a venue call', async () => {
    const h = await quarantinedDesk({ t: 1_000_000 });
    const calls = h.calls.length;
    for (const o of [
      entry(),
      order({ client_order_id: id('close') }),
      order({ side: 'SELL', client_order_id: 'vgtest' }),
      order({ side: 'SELL', client_order_id: id('entry', 2) }),
    ]) {
      expect(await h.d.place(o)).toMatchObject({ kind: 'NOT_SENT', cause: 'SYMBOL_QUARANTINED' });
    }
    expect(
      await h.d.cancelReplace({
        symbol: 'BTCUSDT',
        cancel_client_order_id: id('entry', 3),
        mode: 'STOP_ON_FAILURE',
        cancel_restrictions: 'ONLY_NEW',
        order: entry(4),
      }),
    ).toMatchObject({ kind: 'NOT_SENT', cause: 'SYMBOL_QUARANTINED' });
    expect(h.calls.length).toBe(calls);
  });

  it('a quarantined symbol still sends a protective OCO, a trailing stop, a market exit, a cancel and a list cancel to the venue', async () => {
    const h = await quarantinedDesk({ t: 1_000_000 });
    const calls = h.calls.length;
    expect((await h.d.placeOco(oco)).kind).toBe('OK');
    expect((await h.d.place(trailing)).kind).toBe('OK');
    expect((await h.d.place(exit)).kind).toBe('OK');
    expect((await h.d.cancel('BTCUSDT', id('entry', 5))).kind).toBe('OK');
    await h.d.cancelList('BTCUSDT', list);
    expect(h.calls.slice(calls).map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /api/v3/orderList/oco',
      'POST /api/v3/order',
      'POST /api/v3/order',
      'DELETE /api/v3/order',
      'DELETE /api/v3/orderList',
    ]);
    expect(h.d.quarantined).toEqual(['BTCUSDT']);
  });

  it('a symbol not TRADING is quarantined (audited, broadcast); an entry is refused, protection is left to the venue', async () => {
    const h = await desk(FAILURE_THEN_OK({ n: 0 }), () => 1_000_000);
    h.statuses['BTCUSDT'] = 'BREAK';
    await h.session.refreshFilters();
    expect(h.d.quarantined).toEqual(['BTCUSDT']);
    expect(h.events).toEqual([
      {
        type: 'SYMBOL_QUARANTINE_IMPOSED',
        reason: 'SYMBOL_QUARANTINED',
        payload: expect.objectContaining({ symbol: 'BTCUSDT', cause: { kind: 'STATUS_NOT_TRADING', status: 'BREAK' } }),
      },
    ]);
    expect(h.broadcasts).toEqual([['BTCUSDT']]);
    expect(h.reasons.get('SYMBOL_QUARANTINED')).toMatchObject({ symbols: ['BTCUSDT'] });
    expect(await h.d.place(entry())).toMatchObject({ kind: 'NOT_SENT', cause: 'SYMBOL_QUARANTINED' });
    expect(h.calls).toEqual([]);
    expect((await h.d.placeOco(oco)).kind).toBe('OK');
    expect((await h.d.place(exit)).kind).toBe('OK');
    expect(h.calls).toHaveLength(2);
  });

  it('is lifted once rules reloaded after a clean window say TRADING: audited with what cleared it, the reason cleared, broadcast, entries pass again', async () => {
    const clock = { t: 1_000_000 };
    const h = await quarantinedDesk(clock);
    const quarantinedAt = clock.t;
    expect(h.events.map((e) => e.type)).toEqual(['SYMBOL_QUARANTINE_IMPOSED']);
    expect(h.events[0]!.payload).toMatchObject({
      symbol: 'BTCUSDT',
      cause: { kind: 'FILTER_REJECTS', rejects: QUARANTINE_AFTER.rejects, last_msg: 'Filter failure: PRICE_FILTER' },
    });
    // Rules refreshed TRADING inside the window: not yet.
    clock.t += CLEAR_MS - 1;
    await h.session.refreshFilters();
    await h.d.reviewQuarantine();
    expect(h.d.quarantined).toEqual(['BTCUSDT']);
    const loads = h.infoLoads();
    // The window is over: the review reloads the rules itself and lifts on them.
    clock.t += 1;
    await h.d.reviewQuarantine();
    expect(h.infoLoads()).toBe(loads + 1);
    expect(h.d.quarantined).toEqual([]);
    expect(h.events.map((e) => e.type)).toEqual(['SYMBOL_QUARANTINE_IMPOSED', 'SYMBOL_QUARANTINE_LIFTED']);
    expect(h.events[1]!.payload).toMatchObject({
      symbol: 'BTCUSDT',
      cause: { kind: 'FILTER_REJECTS' },
      since_ms: quarantinedAt,
      cleared_by: {
        status: 'TRADING',
        rules_refreshed_ms: clock.t,
        clean_ms: CLEAR_MS,
        quarantine_clear_ms: CLEAR_MS,
        last_bad: 'filter reject: Filter failure: PRICE_FILTER',
      },
      quarantined: [],
    });
    expect(h.reasons.has('SYMBOL_QUARANTINED')).toBe(false);
    expect(h.broadcasts).toEqual([['BTCUSDT'], []]);
    expect((await h.d.place(entry(9))).kind).toBe('OK');
  });

  it('FILTER_REJECT is cleared once no filter rejection is left within the quarantine window, not before', async () => {
    const clock = { t: 1_000_000 };
    const h = await quarantinedDesk(clock);
    expect(h.reasons.has('FILTER_REJECT')).toBe(true);
    clock.t += QUARANTINE_AFTER.windowMs - 1;
    await h.d.reviewQuarantine();
    expect(h.reasons.has('FILTER_REJECT')).toBe(true);
    clock.t += QUARANTINE_AFTER.windowMs;
    await h.d.reviewQuarantine();
    expect(h.reasons.has('FILTER_REJECT')).toBe(false);
  });

  it('is not lifted while filter rejects continue, nor while the rules say not TRADING', async () => {
    const clock = { t: 1_000_000 };
    const failures: { n: number } = { n: QUARANTINE_AFTER.rejects };
    const h = await desk(FAILURE_THEN_OK(failures), () => clock.t);
    for (let i = 0; i < QUARANTINE_AFTER.rejects; i++) await h.d.place(entry(100 + i));
    expect(h.d.quarantined).toEqual(['BTCUSDT']);
    // A protective order rejected by a filter, within the window: it starts again from there.
    clock.t += CLEAR_MS / 2;
    failures.n = 1;
    expect(await h.d.placeOco(oco)).toMatchObject({ kind: 'REJECTED', code: -1013 });
    clock.t += CLEAR_MS / 2;
    await h.d.reviewQuarantine();
    await h.session.refreshFilters();
    expect(h.d.quarantined).toEqual(['BTCUSDT']);
    // Clean since, but the venue now says BREAK: renewed, not lifted.
    clock.t += CLEAR_MS / 2;
    h.statuses['BTCUSDT'] = 'BREAK';
    await h.d.reviewQuarantine();
    expect(h.d.quarantined).toEqual(['BTCUSDT']);
    // Each fresh sign of the cause is audited (a restart restarts the clean window from it).
    expect(h.events.map((e) => e.type)).toEqual(['SYMBOL_QUARANTINE_IMPOSED', 'SYMBOL_QUARANTINE_RENEWED', 'SYMBOL_QUARANTINE_RENEWED']);
    expect(h.events.at(-1)).toMatchObject({
      payload: { symbol: 'BTCUSDT', last_bad_ms: clock.t, last_bad: 'status BREAK', cause: { kind: 'FILTER_REJECTS' } },
    });
    // TRADING again, and one clean window after the last BREAK seen: lifted.
    h.statuses['BTCUSDT'] = 'TRADING';
    clock.t += CLEAR_MS;
    await h.d.reviewQuarantine();
    expect(h.d.quarantined).toEqual([]);
    expect(h.events.at(-1)).toMatchObject({ type: 'SYMBOL_QUARANTINE_LIFTED', payload: { cleared_by: { last_bad: 'status BREAK' } } });
  });

  it('stays quarantined while exchangeInfo cannot be reloaded, asking again only after a pause, and lifts once it can', async () => {
    const clock = { t: 1_000_000 };
    const h = await quarantinedDesk(clock);
    h.venue.infoDown = true;
    clock.t += CLEAR_MS;
    const loads = h.infoLoads();
    await h.d.reviewQuarantine();
    await h.d.reviewQuarantine();
    clock.t += 1_000;
    await h.d.reviewQuarantine();
    expect(h.infoLoads()).toBe(loads + 1);
    expect(h.d.quarantined).toEqual(['BTCUSDT']);
    h.venue.infoDown = false;
    clock.t += Math.min(CLEAR_MS, 60_000);
    await h.d.reviewQuarantine();
    expect(h.infoLoads()).toBe(loads + 2);
    expect(h.d.quarantined).toEqual([]);
  });

  it('keeps the reason listing the symbols still quarantined, and clears it with the last one', async () => {
    const clock = { t: 1_000_000 };
    const h = await desk(FAILURE_THEN_OK({ n: QUARANTINE_AFTER.rejects }), () => clock.t, ['BTCUSDT', 'ETHUSDT']);
    for (let i = 0; i < QUARANTINE_AFTER.rejects; i++) await h.d.place(entry(100 + i));
    clock.t += CLEAR_MS / 2;
    h.statuses['ETHUSDT'] = 'HALT';
    await h.session.refreshFilters();
    expect(h.reasons.get('SYMBOL_QUARANTINED')).toMatchObject({ symbols: ['BTCUSDT', 'ETHUSDT'], causes: { ETHUSDT: 'status HALT' } });
    h.statuses['ETHUSDT'] = 'TRADING';
    clock.t += CLEAR_MS / 2;
    await h.d.reviewQuarantine();
    expect(h.reasons.get('SYMBOL_QUARANTINED')).toMatchObject({ symbols: ['ETHUSDT'] });
    expect(h.broadcasts.at(-1)).toEqual(['ETHUSDT']);
    clock.t += CLEAR_MS / 2;
    await h.d.reviewQuarantine();
    expect(h.d.quarantined).toEqual([]);
    expect(h.reasons.has('SYMBOL_QUARANTINED')).toBe(false);
  });
});

describe('OrderDesk: a quarantine restored at start (it survived a restart)', () => {
  const CLEAR_MS = cfg.quarantine_clear_ms;
  const id = (leg: Parameters<typeof clientOrderIdFor>[1], n = 1) => clientOrderIdFor(`oi_r${n}`, leg);
  const entry = (n = 1): NewOrder => order({ client_order_id: id('entry', n) });
  const exit: NewOrder = { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', client_order_id: id('close'), quantity: '0.001' };
  const stop: NewOrder = { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', client_order_id: id('stop'), quantity: '0.001', stop_price: '60000.00' };
  // The venue echoes the order sent, accepted.
  const accept = (_m: string, _p: string, params: Params): RestOutcome =>
    ok({ ...FILLED, clientOrderId: params['newClientOrderId'], side: params['side'], type: params['type'], status: 'NEW' });
  const standing = (lastBadMs: number): StandingQuarantine => ({
    symbol: 'BTCUSDT',
    cause: { kind: 'FILTER_REJECTS', rejects: 3, window_ms: QUARANTINE_AFTER.windowMs, last_msg: 'Filter failure: LOT_SIZE' },
    since_ms: lastBadMs - 5_000,
    last_bad_ms: lastBadMs,
    last_bad: 'filter reject: Filter failure: LOT_SIZE',
  });

  it('holds a restored FILTER_REJECTS quarantine from the start: audited as restored, SYMBOL_QUARANTINED raised, the engine told', async () => {
    const clock = { t: 2_000_000 };
    const h = await desk(accept, () => clock.t, ['BTCUSDT'], [standing(clock.t - 1_000)]);
    expect(h.d.quarantined).toEqual(['BTCUSDT']);
    expect(h.events).toEqual([
      {
        type: 'SYMBOL_QUARANTINE_IMPOSED',
        reason: 'SYMBOL_QUARANTINED',
        payload: expect.objectContaining({
          symbol: 'BTCUSDT',
          restored: true,
          since_ms: clock.t - 6_000,
          last_bad_ms: clock.t - 1_000,
          cause: expect.objectContaining({ kind: 'FILTER_REJECTS' }),
        }),
      },
    ]);
    expect(h.reasons.get('SYMBOL_QUARANTINED')).toMatchObject({ symbols: ['BTCUSDT'] });
    expect(h.broadcasts).toEqual([['BTCUSDT']]);
  });

  it('a restored quarantine refuses entries with SYMBOL_QUARANTINED without a venue call, and still sends a stop and a market exit', async () => {
    const clock = { t: 2_000_000 };
    const h = await desk(accept, () => clock.t, ['BTCUSDT'], [standing(clock.t)]);
    expect(await h.d.place(entry())).toMatchObject({ kind: 'NOT_SENT', cause: 'SYMBOL_QUARANTINED' });
    expect(h.calls).toEqual([]);
    expect((await h.d.place(stop)).kind).toBe('OK');
    expect((await h.d.place(exit)).kind).toBe('OK');
    expect(h.calls.map((c) => c.params['newClientOrderId'])).toEqual([stop.client_order_id, exit.client_order_id]);
  });

  it('a restored quarantine is lifted only by rules loaded one clean window after the restored last_bad_ms that say TRADING', async () => {
    const clock = { t: 2_000_000 };
    const lastBad = clock.t - CLEAR_MS / 2;
    const h = await desk(accept, () => clock.t, ['BTCUSDT'], [standing(lastBad)]);
    // Fresh TRADING rules at once (a restart reloads them): the window from last_bad_ms is not over.
    await h.session.refreshFilters();
    await h.d.reviewQuarantine();
    expect(h.d.quarantined).toEqual(['BTCUSDT']);
    clock.t = lastBad + CLEAR_MS - 1;
    await h.session.refreshFilters();
    await h.d.reviewQuarantine();
    expect(h.d.quarantined).toEqual(['BTCUSDT']);
    // The window is over, but the venue says BREAK: renewed, not lifted.
    clock.t = lastBad + CLEAR_MS;
    h.statuses['BTCUSDT'] = 'BREAK';
    await h.d.reviewQuarantine();
    expect(h.d.quarantined).toEqual(['BTCUSDT']);
    // TRADING again, one clean window after that BREAK: lifted, audited, announced.
    h.statuses['BTCUSDT'] = 'TRADING';
    clock.t += CLEAR_MS;
    await h.d.reviewQuarantine();
    expect(h.d.quarantined).toEqual([]);
    expect(h.events.at(-1)).toMatchObject({ type: 'SYMBOL_QUARANTINE_LIFTED', payload: { symbol: 'BTCUSDT', since_ms: lastBad - 5_000 } });
    expect(h.reasons.has('SYMBOL_QUARANTINED')).toBe(false);
    expect(h.broadcasts.at(-1)).toEqual([]);
    expect((await h.d.place(entry(2))).kind).toBe('OK');
  });

  it('a restored quarantine of a symbol no longer configured is not held', async () => {
    const h = await desk(accept, Date.now, ['BTCUSDT'], [{ ...standing(Date.now()), symbol: 'XRPUSDT' }]);
    expect(h.d.quarantined).toEqual([]);
    expect(h.events).toEqual([]);
  });
});
