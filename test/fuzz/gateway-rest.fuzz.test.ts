import fc from 'fast-check';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientOrderIdFor, newIntentId, type EventEnvelope, type JsonObject, type NewOrder, type OrderReport, type ReasonCode, type VenueOutcome } from '@vigil/contracts';
import { isDecimalString } from '@vigil/core';
import { parseConfig } from '@vigil/runtime';
import { createClockEstimator } from '../../packages/gateway/src/clock.js';
import { OrderDesk } from '../../packages/gateway/src/order-desk.js';
import { BINANCE_CODE_CLASS } from '../../packages/gateway/src/outcome.js';
import { createRateGovernor } from '../../packages/gateway/src/rate-limits.js';
import { createRestClient } from '../../packages/gateway/src/rest-client.js';
import { VenueSession } from '../../packages/gateway/src/venue-session.js';
import { IntentBook } from '../../packages/engine/src/intents.js';
import { INFO, bodyText, fcOpts, isCatalogued, weird } from './arbitraries.js';

/**
 * The real gateway REST stack (got client, classification, session, order desk) against a local
 * HTTP server on 127.0.0.1 that answers the route under test with fuzzed replies: a status, a body
 * (mutated valid reply, hostile JSON, truncated, not JSON) and headers, or a connection cut in the
 * middle of the body. Nothing may throw; an order call is never "failed" without proof; an OK is a
 * complete, exact report of the very order we sent; an intent advances to CONFIRMED only on that.
 */
type Reply = { readonly status: number; readonly body: string; readonly headers: Record<string, string>; readonly cut: boolean };
const routes = new Map<string, Reply>();
let server: http.Server;
let base = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const r = routes.get(`${req.method} ${path}`);
    if (!r) {
      const fixed: Record<string, unknown> = { '/api/v3/exchangeInfo': INFO, '/api/v3/avgPrice': { mins: 5, price: '64000.00' }, '/api/v3/openOrders': [], '/api/v3/time': { serverTime: Date.now() } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fixed[path] ?? {}));
      return;
    }
    if (r.cut) {
      // Headers promise more than arrives: the body is cut and the socket destroyed.
      res.writeHead(r.status, { 'content-type': 'application/json', 'content-length': String(r.body.length + 100) });
      res.write(r.body.slice(0, Math.floor(r.body.length / 2)));
      setImmediate(() => res.socket?.destroy());
      return;
    }
    res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers }).end(r.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

const cfg = (() => {
  const r = parseConfig({ exchange: { symbols: ['BTCUSDT'] } });
  if (!r.ok) throw new Error('config');
  return r.config.exchange;
})();

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const r of opened.splice(0)) r.close();
});

/** A fresh stack per run: the governor learns from fuzzed headers and must not leak into the next run. */
async function stack() {
  for (const r of opened.splice(0)) r.close();
  const reasons: ReasonCode[] = [];
  const events: string[] = [];
  const rest = createRestClient({
    baseUrl: base, apiKey: 'fuzzkey0000000000000000000000001', secret: 'fuzzsecret00000000000000000000001', recvWindowMs: 5000, readTimeoutMs: 2000, orderTimeoutMs: 2000,
    clock: { localNow: Date.now, exchangeNow: (t) => t }, governor: createRateGovernor([]), sleep: async () => {},
  });
  opened.push(rest);
  const reason = (code: ReasonCode, _on: boolean, _d: JsonObject): void => void reasons.push(code);
  const session = new VenueSession({ rest, clock: createClockEstimator({ driftMaxMs: 500 }), governor: createRateGovernor([]), cfg, now: Date.now, reason, event: (type, _p, r) => void events.push(r ? `${type}:${r}` : type) });
  routes.clear();
  expect(await session.refreshFilters()).toBe(true);
  const desk = new OrderDesk({ session, now: Date.now, reason });
  return { rest, session, desk, reasons, events };
}

/** Any value as header text; String() throws on objects without a prototype or with own toString keys. */
const asText = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined'));

// 1xx is left out: node treats it as informational and the client waits for a final status until its timeout.
const statusArb = fc.oneof({ weight: 5, arbitrary: fc.constant(200) }, { weight: 3, arbitrary: fc.constantFrom(400, 401, 403, 404, 409, 418, 429, 500, 502, 503, 504, 201, 204, 302) }, { weight: 1, arbitrary: fc.integer({ min: 200, max: 599 }) });
const headersArb = fc.dictionary(fc.constantFrom('retry-after', 'x-mbx-used-weight-1m', 'x-mbx-order-count-10s', 'x-mbx-order-count-1d'), fc.oneof(fc.nat().map(String), fc.string({ maxLength: 10 }), weird.map(asText)).map((v) => v.replace(/[^\x20-\x7e]/g, '').slice(0, 200)), { maxKeys: 3 });
const replyArb = (valid: unknown): fc.Arbitrary<Reply> => fc.record({ status: statusArb, body: bodyText(valid), headers: headersArb, cut: fc.nat({ max: 9 }).map((n) => n < 2) });

const errorCode = (body: string): number | undefined => {
  try {
    const v = JSON.parse(body) as { code?: unknown };
    return typeof v?.code === 'number' ? v.code : undefined;
  } catch {
    return undefined;
  }
};

function expectExactReport(o: OrderReport): void {
  expect(Number.isSafeInteger(o.order_id)).toBe(true);
  for (const v of [o.price, o.orig_qty, o.executed_qty, o.cummulative_quote_qty, ...(o.stop_price === null ? [] : [o.stop_price])]) expect(isDecimalString(v), `decimal ${v.slice(0, 40)}`).toBe(true);
  for (const f of o.fills) for (const v of [f.price, f.qty, f.commission]) expect(isDecimalString(v), `fill decimal ${v.slice(0, 40)}`).toBe(true);
}

/** Fail-closed rules every venue outcome obeys, whichever route produced it. */
function expectOutcome<T>(out: VenueOutcome<T>, reply: Reply, kind: 'order' | 'read', earlier?: Reply): void {
  // A 429/418 or used-weight headers on an earlier reply may hold this call back locally: proven unsent.
  if (out.kind === 'NOT_SENT' && earlier) {
    expect(['REST_THROTTLED', 'RATE_LIMIT', 'IP_BANNED']).toContain(out.cause);
    return;
  }
  // The server was reached: "nothing left this process" would be a lie.
  expect(['OK', 'UNKNOWN', 'REJECTED', 'THROTTLED']).toContain(out.kind);
  if (reply.cut) expect(out.kind).toBe('UNKNOWN');
  if (out.kind === 'OK') expect(reply.status >= 200 && reply.status < 300).toBe(true);
  if (out.kind === 'REJECTED' && kind === 'order') {
    expect(reply.status >= 400 && reply.status < 500).toBe(true);
    expect((BINANCE_CODE_CLASS as Record<number, string>)[out.code]).toBe('REJECTED');
    expect(errorCode(reply.body)).toBe(out.code);
  }
  if (out.kind === 'UNKNOWN') expect(out.reason.length).toBeGreaterThan(0);
}

const FILLED = (coid: string) => ({
  symbol: 'BTCUSDT', orderId: 7, orderListId: -1, clientOrderId: coid, transactTime: 1_700_000_000_000, price: '64000.00000000', origQty: '0.00100000',
  executedQty: '0.00100000', cummulativeQuoteQty: '64.00000000', status: 'FILLED', timeInForce: 'GTC', type: 'LIMIT', side: 'BUY',
  fills: [{ price: '64000.00000000', qty: '0.00100000', commission: '0.00000100', commissionAsset: 'BTC', tradeId: 99 }],
});
const LIST = (lcoid: string) => ({
  orderListId: 3, contingencyType: 'OCO', listStatusType: 'EXEC_STARTED', listOrderStatus: 'EXECUTING', listClientOrderId: lcoid, transactionTime: 1, symbol: 'BTCUSDT',
  orders: [{ symbol: 'BTCUSDT', orderId: 8, clientOrderId: `${lcoid}a` }, { symbol: 'BTCUSDT', orderId: 9, clientOrderId: `${lcoid}b` }],
});
const ACCOUNT = { canTrade: true, canWithdraw: false, balances: [{ asset: 'USDT', free: '1000.00000000', locked: '0.00000000' }, { asset: 'BTC', free: '0.01000000', locked: '0.00000000' }] };

describe('fuzz: gateway REST replies against a misbehaving local server', () => {
  it('POST /api/v3/order: outcome is exact or UNKNOWN/REJECTED with proof; the intent is CONFIRMED only on an exact report of our order', async () => {
    const book = new IntentBook({ now: Date.now, make: (type, payload) => ({ event_type: type, payload }) as unknown as EventEnvelope, commit: async () => ({}), record: () => undefined });
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.boolean(), async (seedNat, foreign) => {
        const { desk, reasons } = await stack();
        const intent = await book.create('ENTRY', 'BTCUSDT', 'BUY', 'entry', {}, {});
        // Sometimes the reply is a well-formed report of someone else's order.
        const valid = FILLED(foreign ? clientOrderIdFor(newIntentId(seedNat), 'entry') : intent.client_order_id);
        const reply = fc.sample(replyArb(valid), { numRuns: 1, seed: seedNat })[0]!;
        routes.set('POST /api/v3/order', reply);
        const order: NewOrder = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', client_order_id: intent.client_order_id, quantity: '0.00100', price: '64000.00', time_in_force: 'GTC' };
        const out = await desk.place(order, { avg_price: '64000.00', open_orders: 0, open_algo_orders: 0 });
        expectOutcome(out, reply, 'order');
        if (out.kind === 'OK') {
          expect(out.body.client_order_id).toBe(intent.client_order_id);
          expect(out.body.symbol).toBe('BTCUSDT');
          expectExactReport(out.body);
        }
        // The engine's mapping (trader.onOrderOutcome): only OK confirms; UNKNOWN waits for a query.
        book.transition(intent, out.kind === 'OK' ? 'CONFIRMED' : out.kind === 'UNKNOWN' ? 'SENT_UNKNOWN' : 'FAILED_TERMINAL', null);
        if (intent.state === 'CONFIRMED') expect(out.kind === 'OK' && out.body.client_order_id === order.client_order_id).toBe(true);
        for (const r of reasons) expect(isCatalogued(r)).toBe(true);
      }),
      fcOpts(400),
    );
  });

  it('GET /api/v3/order (the query that resolves SENT_UNKNOWN): OK only for the clientOrderId asked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.boolean(), async (seedNat, foreign) => {
        const { desk } = await stack();
        const coid = clientOrderIdFor(newIntentId(1_700_000_000_000 + seedNat), 'entry');
        const reply = fc.sample(replyArb(FILLED(foreign ? `${coid}x` : coid)), { numRuns: 1, seed: seedNat })[0]!;
        routes.set('GET /api/v3/order', reply);
        const out = await desk.query('BTCUSDT', coid);
        expectOutcome(out, reply, 'read');
        if (out.kind === 'OK') {
          expect(out.body.client_order_id).toBe(coid);
          expectExactReport(out.body);
        }
      }),
      fcOpts(250),
    );
  });

  it('GET /api/v3/openOrders and /api/v3/account: complete exact lists, or not understood', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), async (seedNat) => {
        const { desk } = await stack();
        const open = fc.sample(replyArb([FILLED('vgA'), { ...FILLED('vgB'), status: 'NEW', type: 'STOP_LOSS_LIMIT', stopPrice: '63000.00' }]), { numRuns: 1, seed: seedNat })[0]!;
        const acct = fc.sample(replyArb(ACCOUNT), { numRuns: 1, seed: seedNat + 1 })[0]!;
        routes.set('GET /api/v3/openOrders', open);
        routes.set('GET /api/v3/account', acct);
        const o = await desk.openOrders('BTCUSDT');
        expectOutcome(o, open, 'read');
        if (o.kind === 'OK') for (const r of o.body) expectExactReport(r);
        const a = await desk.account();
        expectOutcome(a, acct, 'read', open);
        if (a.kind === 'OK') for (const b of a.body.balances) expect(isDecimalString(b.free) && isDecimalString(b.locked)).toBe(true);
      }),
      fcOpts(250),
    );
  });

  it('order lists (POST /api/v3/orderList/oco, GET /api/v3/orderList, GET /api/v3/openOrderList): never half a list', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), async (seedNat) => {
        const { desk } = await stack();
        const lcoid = `vgL${seedNat}`;
        const q = fc.sample(replyArb(LIST(lcoid)), { numRuns: 1, seed: seedNat })[0]!;
        const all = fc.sample(replyArb([LIST(lcoid)]), { numRuns: 1, seed: seedNat + 1 })[0]!;
        routes.set('GET /api/v3/orderList', q);
        routes.set('GET /api/v3/openOrderList', all);
        const one = await desk.queryList(lcoid);
        expectOutcome(one, q, 'read');
        const many = await desk.openLists();
        expectOutcome(many, all, 'read', q);
        for (const l of [...(one.kind === 'OK' ? [one.body] : []), ...(many.kind === 'OK' ? many.body : [])]) {
          expect(l.orders.length).toBeGreaterThan(0);
          for (const x of l.orders) expect(Number.isSafeInteger(x.order_id) && typeof x.client_order_id === 'string').toBe(true);
          expect(Number.isSafeInteger(l.order_list_id)).toBe(true);
        }
      }),
      fcOpts(250),
    );
  });

  it('exchangeInfo refresh: new complete rules or the previous ones kept (never half-parsed), the failure recorded with a catalogued code', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), async (seedNat) => {
        const { session, events, reasons } = await stack();
        const before = session.rules;
        const reply = fc.sample(replyArb(INFO), { numRuns: 1, seed: seedNat })[0]!;
        routes.set('GET /api/v3/exchangeInfo', reply);
        const ok = await session.refreshFilters();
        if (!ok) expect(session.rules).toBe(before);
        else {
          const r = session.rules.get('BTCUSDT');
          if (r) for (const f of Object.values(r.filters)) for (const [k, v] of Object.entries(f as Record<string, unknown>)) if (k !== 'filterType') expect(v).not.toBeUndefined();
        }
        for (const e of events) {
          const code = e.split(':')[1];
          if (code) expect(isCatalogued(code)).toBe(true);
        }
        for (const r of reasons) expect(isCatalogued(r)).toBe(true);
      }),
      fcOpts(250),
    );
  });
});
