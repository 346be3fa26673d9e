import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { REASON_CODES, type JsonObject, type ReasonCode, type UserEvent } from '@vigil/contracts';
import { createExchangeSim, type ExchangeSim, type SimOptions } from '../../apps/exchange-sim/src/index.js';
import { SIM_KEY, SIM_SEED } from '../integration/harness.js';
import { createRateGovernor } from '../../packages/gateway/src/rate-limits.js';
import { createRestClient } from '../../packages/gateway/src/rest-client.js';
import { UserStream } from '../../packages/gateway/src/user-stream.js';
import { signed } from '../exchange-sim/helpers.js';
import { gatewayOn } from './gateway-harness.js';

/**
 * The gateway against what the REAL Binance Spot API sends (issue 18), over real sockets to the
 * simulator made as strict and as wide as the venue: a wide exchangeInfo, statuses and events a
 * client does not model, the two 429 classes, the reference-price rule and signature refusals.
 */
let sim: ExchangeSim | null = null;
const sims: ExchangeSim[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  for (const s of sims.splice(0)) await s.close();
  await sim?.close();
  sim = null;
});

async function gateway(simOpts: Partial<SimOptions> = {}, exchange: Record<string, unknown> = {}) {
  const s = await createExchangeSim({ keys: [{ ...SIM_KEY }], seed: SIM_SEED, tickMs: 100, ...simOpts });
  sims.push(s);
  const g = await gatewayOn(s, { order_timeout_ms: 1500, rest_timeout_ms: 1500, ...exchange });
  cleanups.push(() => g.rest.close());
  return { ...g, sim: s };
}

describe('exchangeInfo as wide as the live venue', () => {
  it('loads the configured symbols from a reply listing 3000 more (non-ASCII names, CONNECTIONS limits, unknown filters, statuses and fields)', async () => {
    const g = await gateway({ extraSymbols: 3000 });
    expect([...g.session.rules.keys()].sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(g.session.rules.get('BTCUSDT')?.filters.LOT_SIZE?.stepSize).toBe('0.00001000');
    // The limits we count were taken, the CONNECTIONS entry skipped.
    expect(g.governor.snapshot(Date.now()).used_weight_pct).not.toBeNull();
  });

  it('asks only for the configured symbols (symbols=[...]), as Binance recommends', async () => {
    const g = await gateway({ extraSymbols: 3000 });
    const listing = (await g.admin('GET', '/admin/exchange-info')) as { lastQuery: string };
    expect(new URLSearchParams(listing.lastQuery).get('symbols')).toBe('["BTCUSDT","ETHUSDT"]');
  });

  it('a configured symbol the venue does not list (-1121 for the whole request): asked symbol by symbol, the others still get rules, the missing one is quarantined', async () => {
    const g = await gateway({ extraSymbols: 100 }, { symbols: ['BTCUSDT', 'ETHUSDT', 'GONEUSDT'] });
    expect([...g.session.rules.keys()].sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(g.desk.quarantined).toEqual(['GONEUSDT']);
    expect(g.reasons.get('SYMBOL_NOT_TRADING')).toMatchObject({ symbols: ['GONEUSDT'], statuses: { GONEUSDT: 'MISSING' } });
    // Asked symbol by symbol after the -1121, never for the whole listing (thousands of symbols).
    const listing = (await g.admin('GET', '/admin/exchange-info')) as { lastQuery: string };
    expect(new URLSearchParams(listing.lastQuery).get('symbol')).toBe('GONEUSDT');
  });

  it('the simulator answers symbol= and symbols= like Binance: only those, -1121 for one not listed', async () => {
    sim = await createExchangeSim({ keys: [{ ...SIM_KEY }], seed: SIM_SEED, tickMs: 100, extraSymbols: 50 });
    const get = async (q: string) => {
      const r = await fetch(`${sim!.rest}/api/v3/exchangeInfo${q}`);
      return { status: r.status, body: (await r.json()) as { symbols?: { symbol: string }[]; code?: number; rateLimits?: { rateLimitType: string }[] } };
    };
    const all = await get('');
    expect(all.body.symbols).toHaveLength(53);
    expect(all.body.symbols!.some((s) => [...s.symbol].some((c) => c.charCodeAt(0) > 0x7f))).toBe(true);
    expect(all.body.rateLimits!.map((l) => l.rateLimitType)).toContain('CONNECTIONS');
    expect((await get(`?symbols=${encodeURIComponent('["ETHUSDT","BTCUSDT"]')}`)).body.symbols!.map((s) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect((await get('?symbol=BNBUSDT')).body.symbols!.map((s) => s.symbol)).toEqual(['BNBUSDT']);
    expect(await get(`?symbols=${encodeURIComponent('["BTCUSDT","NOPE"]')}`)).toMatchObject({ status: 400, body: { code: -1121 } });
    expect(await get('?symbol=NOPE')).toMatchObject({ status: 400, body: { code: -1121 } });
  });
});

describe('the two 429 classes and the 418 ban', () => {
  const order = (cid: string) => ({
    symbol: 'BTCUSDT',
    side: 'BUY' as const,
    type: 'LIMIT' as const,
    client_order_id: cid,
    quantity: '0.0001',
    price: '60000.00',
    time_in_force: 'GTC' as const,
  });

  it('-1015 (too many new orders, counted per account): new orders wait for its Retry-After; cancels and reads still go out; ORDER_RATE_LIMITED, not RATE_LIMIT', async () => {
    const g = await gateway();
    expect((await g.desk.place(order('vgemine1'))).kind).toBe('OK');
    // Another client on the same account uses up the venue's new-order count (50 per 10 s).
    const other = createRestClient({
      baseUrl: g.sim.rest,
      apiKey: SIM_KEY.apiKey,
      secret: SIM_KEY.secretKey,
      recvWindowMs: 5000,
      readTimeoutMs: 1500,
      orderTimeoutMs: 1500,
      clock: { localNow: Date.now, exchangeNow: (t) => g.clock.exchangeNow(t) },
      governor: createRateGovernor([]),
    });
    cleanups.push(() => other.close());
    for (let i = 0; i < 49; i++)
      await other.signed(
        'POST',
        '/api/v3/order',
        { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.0001', price: '50000.00', newClientOrderId: `other${i}` },
        { weight: 1, kind: 'order' },
      );
    const refused = await g.desk.place(order('vgemine2'));
    expect(refused).toMatchObject({ kind: 'THROTTLED', status: 429 });
    const wait = (refused as { retry_after_ms: number }).retry_after_ms;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(10_000);
    // Held here now: the next new order is not sent at all.
    expect(await g.desk.place(order('vgemine3'))).toMatchObject({ kind: 'NOT_SENT', cause: 'ORDER_RATE_LIMITED' });
    // A cancel and the reads are not new orders.
    expect(await g.desk.cancel('BTCUSDT', 'vgemine1')).toMatchObject({ kind: 'OK', body: { status: 'CANCELED' } });
    expect((await g.desk.openOrders('BTCUSDT')).kind).toBe('OK');
    expect((await g.desk.query('BTCUSDT', 'vgemine1')).kind).toBe('OK');
    g.session.checkFreshness();
    expect(g.reasons.has('ORDER_RATE_LIMITED')).toBe(true);
    expect(g.reasons.has('RATE_LIMIT')).toBe(false);
    const state = (await g.admin('GET', '/admin/state')) as { orders: { clientOrderId: string }[] };
    expect(state.orders.some((o) => o.clientOrderId === 'vgemine3')).toBe(false);
  });

  it('an IP-weight 429 (-1003) holds everything for its whole Retry-After, even beyond the back-off cap; a 418 bans until its Retry-After', async () => {
    const g = await gateway();
    // 400 s: longer than the governor's 300 s cap on its own doubling.
    await g.admin('POST', '/admin/faults', { kind: 'rate_limit_429', route: 'GET /api/v3/openOrders', once: true, ms: 400_000 });
    const t0 = Date.now();
    expect(await g.desk.openOrders('BTCUSDT')).toMatchObject({ kind: 'THROTTLED', status: 429, retry_after_ms: 400_000 });
    expect(g.governor.snapshot(Date.now()).blocked_until_ms).toBeGreaterThanOrEqual(t0 + 399_000);
    expect(await g.desk.cancel('BTCUSDT', 'vgeany')).toMatchObject({ kind: 'NOT_SENT', cause: 'RATE_LIMIT' });
    g.session.checkFreshness();
    expect(g.reasons.has('RATE_LIMIT')).toBe(true);
    expect(g.reasons.has('ORDER_RATE_LIMITED')).toBe(false);

    const h = await gateway();
    await h.admin('POST', '/admin/faults', { kind: 'ban_418', once: true });
    expect(await h.desk.openOrders('BTCUSDT')).toMatchObject({ kind: 'THROTTLED', status: 418, retry_after_ms: 120_000 });
    h.session.checkFreshness();
    expect(h.reasons.has('IP_BANNED')).toBe(true);
    expect(await h.desk.cancel('BTCUSDT', 'vgeany')).toMatchObject({ kind: 'NOT_SENT', cause: 'IP_BANNED' });
  });
});

describe('a 418 ban lasts what its Retry-After says', () => {
  it("the simulator's 418 carries the ban's Retry-After (here 600 s), and the gateway holds every request, reads and cancels too, for all of it", async () => {
    const g = await gateway();
    await g.admin('POST', '/admin/faults', { kind: 'ban_418', once: true, ms: 600_000 });
    const raw = await fetch(`${g.sim.rest}/api/v3/time`);
    expect(raw.status).toBe(418);
    expect(raw.headers.get('retry-after')).toBe('600');
    const t0 = Date.now();
    expect(await g.desk.openOrders('BTCUSDT')).toMatchObject({ kind: 'THROTTLED', status: 418, retry_after_ms: 600_000 });
    expect(g.governor.snapshot(Date.now())).toMatchObject({ state: 'BANNED' });
    expect(g.governor.snapshot(Date.now()).blocked_until_ms).toBeGreaterThanOrEqual(t0 + 599_000);
    expect(await g.desk.cancel('BTCUSDT', 'vgeany')).toMatchObject({ kind: 'NOT_SENT', cause: 'IP_BANNED' });
  });
});

describe('signatures: -1022 and Ed25519 keys', () => {
  const ctx = { avg_price: '64000', open_orders: 0, open_algo_orders: 0 };
  const order = (cid: string) => ({
    symbol: 'BTCUSDT',
    side: 'BUY' as const,
    type: 'LIMIT' as const,
    client_order_id: cid,
    quantity: '0.0001',
    price: '60000.00',
    time_in_force: 'GTC' as const,
  });

  it('-1022 on an order placement: REJECTED (the venue refused before acting), SIGNATURE_REJECTED raised (PAUSE), nothing placed', async () => {
    const g = await gateway({ keys: [{ ...SIM_KEY, secretKey: 'not-the-secret-the-bot-holds-000001' }] });
    const out = await g.desk.place(order('vgesig1'), ctx);
    expect(out).toMatchObject({ kind: 'REJECTED', code: -1022 });
    expect(g.reasons.get('SIGNATURE_REJECTED')).toMatchObject({ code: -1022, path: '/api/v3/order', key_type: 'hmac' });
    expect(REASON_CODES.SIGNATURE_REJECTED.forces).toBe('PAUSE');
    const state = (await g.admin('GET', '/admin/state')) as { orders: unknown[] };
    expect(state.orders).toEqual([]);
  });

  it('exchange.api_key_type ed25519: REST orders signed with the PEM key are verified by the simulator; a different key is -1022', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const edKey = {
      apiKey: 'edkey0000000000000000000000000000001',
      secretKey: '',
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      canTrade: true,
      enableWithdrawals: false,
      ipRestrict: true,
    };
    const g = await gateway({ keys: [edKey] });
    // gatewayOn signs by the config's key type: a fresh session on this key.
    const e = await gatewayOn(g.sim, { api_key_type: 'ed25519' }, { apiKey: edKey.apiKey, secret: pem });
    cleanups.push(() => e.rest.close());
    expect(await e.desk.place(order('vgeed1'), ctx)).toMatchObject({ kind: 'OK', body: { client_order_id: 'vgeed1', status: 'NEW' } });
    expect(await e.desk.cancel('BTCUSDT', 'vgeed1')).toMatchObject({ kind: 'OK', body: { status: 'CANCELED' } });
    const other = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const wrong = await gatewayOn(g.sim, { api_key_type: 'ed25519' }, { apiKey: edKey.apiKey, secret: other });
    cleanups.push(() => wrong.rest.close());
    expect(await wrong.desk.place(order('vgeed2'), ctx)).toMatchObject({ kind: 'REJECTED', code: -1022 });
    expect(wrong.reasons.get('SIGNATURE_REJECTED')).toMatchObject({ key_type: 'ed25519' });
  });

  it('exchange.api_key_type ed25519: the user stream logs on (session.logon) and subscribes; the HMAC flow on that key is refused with -1022', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const edKey = {
      apiKey: 'edkey0000000000000000000000000000002',
      secretKey: '',
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      canTrade: true,
      enableWithdrawals: false,
      ipRestrict: true,
    };
    const g = await gateway({ keys: [edKey] });
    const stream = (keyType: 'hmac' | 'ed25519', secret: string) => {
      const reasons = new Map<ReasonCode, JsonObject>();
      const events: UserEvent[] = [];
      const us = new UserStream({
        cfg: g.ex,
        apiKey: edKey.apiKey,
        secret,
        keyType,
        exchangeNow: () => g.clock.exchangeNow(Date.now()),
        reason: (c, on, d) => void (on ? reasons.set(c, d) : reasons.delete(c)),
        onEvent: (e) => events.push(e),
        onGap: () => undefined,
      });
      cleanups.push(() => us.stop());
      us.start();
      return { us, reasons, events };
    };
    const ok = stream('ed25519', pem);
    await until('subscribed by session.logon', () => ok.us.state === 'SUBSCRIBED');
    const e = await gatewayOn(g.sim, { api_key_type: 'ed25519' }, { apiKey: edKey.apiKey, secret: pem });
    cleanups.push(() => e.rest.close());
    await e.desk.place(order('vgeedus1'), ctx);
    await until('the order event on the logged-on stream', () => ok.events.some((x) => x.kind === 'order' && x.client_order_id === 'vgeedus1'));
    const hmac = stream('hmac', 'whatever-secret');
    await until('refused', () => hmac.reasons.has('SIGNATURE_REJECTED'));
    expect(hmac.us.state).not.toBe('SUBSCRIBED');
  });
});

async function until(what: string, fn: () => boolean): Promise<void> {
  const end = Date.now() + 4000;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('PERCENT_PRICE_BY_SIDE against the reference price (Binance, 2026-05-08)', () => {
  const buy = (cid: string, price: string) => ({
    symbol: 'BTCUSDT',
    side: 'BUY' as const,
    type: 'LIMIT' as const,
    client_order_id: cid,
    quantity: '0.0001',
    price,
    time_in_force: 'GTC' as const,
  });
  const pin = async (g: { admin: (m: string, p: string, b?: unknown) => Promise<unknown> }) => {
    await g.admin('POST', '/admin/market', { paused: true });
    await g.admin('POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000' });
  };

  it('the simulator judges the band against the reference price when the symbol has one, avgPrice otherwise; GET /api/v3/referencePrice reads it (-2043 when never set)', async () => {
    const g = await gateway();
    await pin(g);
    // About 30 USDT either way: above NOTIONAL's minimum, so only the band decides.
    const test = (price: string) =>
      g.rest.signed(
        'POST',
        '/api/v3/order/test',
        { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: Number(price) > 100_000 ? '0.0001' : '0.001', price },
        { weight: 1, kind: 'read' },
      );
    const ref = () => g.rest.publicGet('/api/v3/referencePrice', { symbol: 'BTCUSDT' }, 2);
    expect(await ref()).toMatchObject({ kind: 'REJECTED', code: -2043 });
    expect(await test('330000.00')).toMatchObject({ kind: 'REJECTED', code: -1013, msg: 'Filter failure: PERCENT_PRICE_BY_SIDE' });
    await g.admin('POST', '/admin/reference-price', { symbol: 'BTCUSDT', price: '200000' });
    expect(await ref()).toMatchObject({ kind: 'OK', body: { symbol: 'BTCUSDT', referencePrice: '200000.00000000' } });
    expect((await test('330000.00')).kind).toBe('OK');
    expect(await test('30000.00')).toMatchObject({ kind: 'REJECTED', code: -1013, msg: 'Filter failure: PERCENT_PRICE_BY_SIDE' });
    await g.admin('POST', '/admin/reference-price', { symbol: 'BTCUSDT', price: null });
    expect(await ref()).toMatchObject({ kind: 'OK', body: { referencePrice: null } });
    expect((await test('30000.00')).kind).toBe('OK');
  });

  it('the local pre-check is never stricter than the venue: a price inside the reference-price band but outside avgPrice x multiplier reaches the venue and is placed', async () => {
    const g = await gateway();
    await pin(g);
    await g.admin('POST', '/admin/reference-price', { symbol: 'BTCUSDT', price: '200000' });
    // 330000 > 5 x avgPrice 64000: the old local rule refused it; the venue's band (5 x 200000) takes it.
    const out = await g.desk.place(buy('vgeref1', '330000.00'), { open_orders: 0, open_algo_orders: 0 });
    expect(out.kind).toBe('OK');
  });

  it('a reference price the gateway cannot read: the percent-price check is left to the venue (sent, not refused locally)', async () => {
    const g = await gateway();
    await pin(g);
    await g.admin('POST', '/admin/reference-price', { symbol: 'BTCUSDT', price: '200000' });
    await g.admin('POST', '/admin/faults', { kind: 'http_5xx', route: 'GET /api/v3/referencePrice', status: 503 });
    expect((await g.desk.place(buy('vgeref2', '330000.00'), { open_orders: 0, open_algo_orders: 0 })).kind).toBe('OK');
  });

  it('-1013 PERCENT_PRICE_BY_SIDE rejections (the band moved) do not quarantine the symbol; other filter rejections still do', async () => {
    const g = await gateway();
    await g.admin('POST', '/admin/faults', { kind: 'reject', route: 'POST /api/v3/order', code: -1013, msg: 'Filter failure: PERCENT_PRICE_BY_SIDE' });
    for (let i = 0; i < 4; i++)
      expect(await g.desk.place(buy(`vgeband${i}`, '60000.00'), { open_orders: 0, open_algo_orders: 0 })).toMatchObject({ kind: 'REJECTED', code: -1013 });
    expect(g.desk.quarantined).toEqual([]);
    expect(g.reasons.get('FILTER_REJECT')).toMatchObject({ symbol: 'BTCUSDT', counts_towards_quarantine: false });
    await g.admin('DELETE', '/admin/faults');
    await g.admin('POST', '/admin/faults', { kind: 'reject', route: 'POST /api/v3/order', code: -1013, msg: 'Filter failure: LOT_SIZE' });
    for (let i = 0; i < 3; i++) await g.desk.place(buy(`vgelot${i}`, '60000.00'), { open_orders: 0, open_algo_orders: 0 });
    expect(g.desk.quarantined).toEqual(['BTCUSDT']);
  });
});

describe('statuses and events the gateway does not model', () => {
  const foreign = (cid: string, status: string, type: string, orderId: number) => ({
    symbol: 'BTCUSDT',
    orderId,
    orderListId: 7,
    clientOrderId: cid,
    price: '50000.00000000',
    origQty: '0.00100000',
    executedQty: '0.00000000',
    cummulativeQuoteQty: '0.00000000',
    status,
    timeInForce: 'GTC',
    type,
    side: 'BUY',
    stopPrice: '0.00000000',
    time: 1,
    updateTime: 1,
    isWorking: false,
    workingTime: -1,
    origQuoteOrderQty: '0.00000000',
    selfTradePreventionMode: 'EXPIRE_MAKER',
    expiryReason: 'NONE',
    futureField: { a: 1 },
  });
  const buy = (cid: string) => ({
    symbol: 'BTCUSDT',
    side: 'BUY' as const,
    type: 'LIMIT' as const,
    client_order_id: cid,
    quantity: '0.0001',
    price: '60000.00',
    time_in_force: 'GTC' as const,
  });

  it("someone else's open orders in PENDING_NEW, or in a status and type not yet known, do not blind openOrders nor block the symbol", async () => {
    const g = await gateway();
    await g.admin('POST', '/admin/open-orders-extra', { apiKey: SIM_KEY.apiKey, order: foreign('web_oto_leg', 'PENDING_NEW', 'LIMIT', 900001) });
    await g.admin('POST', '/admin/open-orders-extra', { apiKey: SIM_KEY.apiKey, order: foreign('app_future', 'FUTURE_STATUS', 'PEGGED_FUTURE', 900002) });
    const open = await g.desk.openOrders('BTCUSDT');
    expect(open.kind).toBe('OK');
    const body = (open as unknown as { body: readonly Record<string, unknown>[] }).body;
    expect(body.find((o) => o['client_order_id'] === 'web_oto_leg')).toMatchObject({ status: 'PENDING_NEW' });
    expect(body.find((o) => o['client_order_id'] === 'app_future')).toMatchObject({
      status: 'NEW',
      type: 'LIMIT',
      unrecognised: { status: 'FUTURE_STATUS', type: 'PEGGED_FUTURE' },
    });
    // The desk counts them (MAX_NUM_ORDERS) from openOrders and still sends our order.
    expect(await g.desk.place(buy('vgeopen1'))).toMatchObject({ kind: 'OK', body: { status: 'NEW' } });
  });

  it('an order of ours in a status not yet known fails closed: openOrders is UNKNOWN and no new order is sent on the symbol without context', async () => {
    const g = await gateway();
    await g.admin('POST', '/admin/open-orders-extra', { apiKey: SIM_KEY.apiKey, order: foreign('vgeours1', 'FUTURE_STATUS', 'LIMIT', 900003) });
    expect(await g.desk.openOrders('BTCUSDT')).toMatchObject({ kind: 'UNKNOWN', reason: expect.stringContaining('vgeours1') });
    expect(await g.desk.place(buy('vgeopen2'))).toMatchObject({ kind: 'NOT_SENT', cause: 'NO_CONTEXT' });
  });

  describe('user stream', () => {
    const stream = (g: Awaited<ReturnType<typeof gateway>>) => {
      const reasons = new Map<ReasonCode, JsonObject>();
      const events: UserEvent[] = [];
      const gaps: string[] = [];
      const us = new UserStream({
        cfg: g.ex,
        apiKey: SIM_KEY.apiKey,
        secret: SIM_KEY.secretKey,
        exchangeNow: () => g.clock.exchangeNow(Date.now()),
        reason: (c, on, d) => void (on ? reasons.set(c, d) : reasons.delete(c)),
        onEvent: (e) => events.push(e),
        onGap: (w) => gaps.push(w),
      });
      cleanups.push(() => us.stop());
      us.start();
      return { us, reasons, events, gaps };
    };
    const push = (g: Awaited<ReturnType<typeof gateway>>, event: Record<string, unknown>) =>
      g.admin('POST', '/admin/user-stream/push', { apiKey: SIM_KEY.apiKey, event });

    it('listStatus, balanceUpdate and externalLockUpdate are forwarded as typed events; externalLockUpdate also asks for a REST reconcile', async () => {
      const g = await gateway({}, { ws_reconnect_backoff_initial_ms: 20, ws_reconnect_backoff_max_ms: 80 });
      const s = stream(g);
      await until('subscribed', () => s.us.state === 'SUBSCRIBED');
      await push(g, {
        e: 'listStatus',
        E: 1,
        s: 'BTCUSDT',
        g: 12,
        c: 'OTO',
        l: 'EXEC_STARTED',
        L: 'EXECUTING',
        r: 'NONE',
        C: 'web_list',
        T: 2,
        O: [
          { s: 'BTCUSDT', i: 5, c: 'web_a' },
          { s: 'BTCUSDT', i: 6, c: 'web_b' },
        ],
      });
      await push(g, { e: 'balanceUpdate', E: 3, a: 'USDT', d: '-25.50000000', T: 4 });
      await push(g, { e: 'externalLockUpdate', E: 5, a: 'BTC', d: '0.00100000', T: 6 });
      await until('three events', () => s.events.length >= 3);
      expect(s.events).toEqual([
        {
          kind: 'list_status',
          symbol: 'BTCUSDT',
          order_list_id: 12,
          list_client_order_id: 'web_list',
          contingency_type: 'OTO',
          list_status_type: 'EXEC_STARTED',
          list_order_status: 'EXECUTING',
          list_reject_reason: 'NONE',
          orders: [
            { order_id: 5, client_order_id: 'web_a' },
            { order_id: 6, client_order_id: 'web_b' },
          ],
          ts_ms: 2,
        },
        { kind: 'balance_delta', asset: 'USDT', delta: '-25.50000000', ts_ms: 4 },
        { kind: 'external_lock', asset: 'BTC', delta: '0.00100000', ts_ms: 6 },
      ]);
      expect(s.gaps).toEqual(['start', 'externalLockUpdate']);
      expect(s.us.badFrames).toBe(0);
    });

    it("an executionReport of ours in a status not yet known is not passed on as a fact: a gap (reconcile over REST) instead; someone else's is passed on", async () => {
      const g = await gateway({}, { ws_reconnect_backoff_initial_ms: 20, ws_reconnect_backoff_max_ms: 80 });
      const s = stream(g);
      await until('subscribed', () => s.us.state === 'SUBSCRIBED');
      const report = (c: string, X: string) => ({
        e: 'executionReport',
        E: 1,
        s: 'BTCUSDT',
        c,
        C: '',
        S: 'BUY',
        o: 'LIMIT',
        f: 'GTC',
        q: '0.001',
        p: '60000',
        P: '0',
        x: 'NEW',
        X,
        r: 'NONE',
        i: 77,
        l: '0',
        z: '0',
        L: '0',
        n: '0',
        N: null,
        T: 2,
        t: -1,
        Z: '0',
      });
      await push(g, report('vgefuture1', 'FUTURE_STATUS'));
      await push(g, report('web_order', 'FUTURE_STATUS'));
      await push(g, report('vgepending', 'PENDING_NEW'));
      await until('events', () => s.events.length >= 2);
      expect(s.gaps).toEqual(['start', expect.stringContaining('vgefuture1')]);
      expect(s.events.map((e) => (e.kind === 'order' ? `${e.client_order_id}:${e.status}` : e.kind))).toEqual([
        'web_order:FUTURE_STATUS',
        'vgepending:PENDING_NEW',
      ]);
    });

    it("an operator's own OTO on the same account (placed on the venue, not by us): PENDING_NEW legs and listStatus c=OTO are passed on, openOrders lists the pending leg, the symbol stays tradable", async () => {
      const g = await gateway({}, { ws_reconnect_backoff_initial_ms: 20, ws_reconnect_backoff_max_ms: 80 });
      const s = stream(g);
      await until('subscribed', () => s.us.state === 'SUBSCRIBED');
      await g.admin('POST', '/admin/market', { paused: true });
      await g.admin('POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000.00' });
      const creds = { key: SIM_KEY.apiKey, secret: SIM_KEY.secretKey };
      const placed = await signed(
        g.sim,
        'POST',
        '/api/v3/orderList/oto',
        {
          symbol: 'BTCUSDT',
          listClientOrderId: 'web_oto',
          workingType: 'LIMIT',
          workingSide: 'BUY',
          workingPrice: '63000.00',
          workingQuantity: '0.001',
          workingTimeInForce: 'GTC',
          workingClientOrderId: 'web_oto_w',
          pendingType: 'LIMIT_MAKER',
          pendingSide: 'SELL',
          pendingPrice: '66000.00',
          pendingQuantity: '0.001',
          pendingClientOrderId: 'web_oto_p',
        },
        creds,
      );
      expect(placed.status).toBe(200);
      await until('the placement events', () => s.events.some((e) => e.kind === 'list_status'));
      const orderEvents = () => s.events.flatMap((e) => (e.kind === 'order' ? [`${e.client_order_id}:${e.exec_type}:${e.status}`] : []));
      expect(orderEvents()).toEqual(['web_oto_w:NEW:NEW', 'web_oto_p:NEW:PENDING_NEW']);
      expect(s.events.find((e) => e.kind === 'list_status')).toMatchObject({
        contingency_type: 'OTO',
        list_status_type: 'EXEC_STARTED',
        list_client_order_id: 'web_oto',
      });
      const open = await g.desk.openOrders('BTCUSDT');
      expect(open.kind).toBe('OK');
      const body = (open as unknown as { body: readonly Record<string, unknown>[] }).body;
      expect(body.map((o) => `${String(o['client_order_id'])}:${String(o['status'])}`).sort()).toEqual(['web_oto_p:PENDING_NEW', 'web_oto_w:NEW']);
      // Our own order on the same symbol is still sent, the OTO's legs counted as open orders.
      expect(await g.desk.place(buy('vgebesideoto'))).toMatchObject({ kind: 'OK', body: { status: 'NEW' } });
      // The working order fills: the pending leg goes on the book, the OTO list ends.
      await g.admin('POST', '/admin/price', { symbol: 'BTCUSDT', price: '62900.00' });
      await until('the activation', () => orderEvents().includes('web_oto_p:NEW:NEW'));
      await until('the list done', () => s.events.some((e) => e.kind === 'list_status' && e.list_order_status === 'ALL_DONE'));
      // Nothing above was a gap (only the subscription's own), nor a frame the gateway could not read.
      expect(s.gaps).toEqual(['start']);
      expect(s.us.badFrames).toBe(0);
      expect(g.desk.quarantined).toEqual([]);
    });

    it('serverShutdown: a new connection subscribes before the server cuts the old one; no USER_STREAM_UNSTABLE, events keep coming', async () => {
      const g = await gateway({}, { ws_reconnect_backoff_initial_ms: 20, ws_reconnect_backoff_max_ms: 80 });
      const s = stream(g);
      await until('subscribed', () => s.us.state === 'SUBSCRIBED');
      await g.admin('POST', '/admin/user-stream/shutdown', { closeAfterMs: 800 });
      await until('resubscribed on a new connection', () => s.gaps.includes('serverShutdown'));
      await new Promise((r) => setTimeout(r, 1000)); // past the cut of the old connection
      expect(s.reasons.has('USER_STREAM_UNSTABLE')).toBe(false);
      expect(s.us.state).toBe('SUBSCRIBED');
      await g.desk.place(buy('vgeaftercut'), { open_orders: 0, open_algo_orders: 0 });
      await until('the order event on the new connection', () => s.events.some((e) => e.kind === 'order' && e.client_order_id === 'vgeaftercut'));
    });

    it('a connection older than ws_max_connection_ms is handed over to a new one before the venue cuts it at 24 h: no USER_STREAM_UNSTABLE, events keep coming', async () => {
      const g = await gateway({}, { ws_max_connection_ms: 1000, ws_reconnect_backoff_initial_ms: 20, ws_reconnect_backoff_max_ms: 80 });
      const s = stream(g);
      await until('subscribed', () => s.us.state === 'SUBSCRIBED');
      await until('handed over at its age', () => s.gaps.includes('planned reconnect before the 24 h limit'));
      expect(s.reasons.has('USER_STREAM_UNSTABLE')).toBe(false);
      await until('subscribed again', () => s.us.state === 'SUBSCRIBED');
      await g.desk.place(buy('vgeafterage'), { open_orders: 0, open_algo_orders: 0 });
      await until('the order event on the new connection', () => s.events.some((e) => e.kind === 'order' && e.client_order_id === 'vgeafterage'));
    });
  });
});
