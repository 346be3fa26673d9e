import fc from 'fast-check';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientOrderIdFor, newIntentId, type JsonObject, type NewOrder, type OrderReport, type ReasonCode, type VenueOutcome } from '@vigil/contracts';
import { isDecimalString } from '@vigil/core';
import { parseConfig } from '@vigil/runtime';
import { createClockEstimator } from '../../packages/gateway/src/clock.js';
import { OrderDesk } from '../../packages/gateway/src/order-desk.js';
import { createRateGovernor } from '../../packages/gateway/src/rate-limits.js';
import { createRestClient } from '../../packages/gateway/src/rest-client.js';
import { VenueSession } from '../../packages/gateway/src/venue-session.js';
import { INFO, bodyText, fcOpts, isCatalogued, weird } from './arbitraries.js';

/**
 * The real gateway REST stack (got client, classification, session, order desk) against a local
 * HTTP server on 127.0.0.1 that answers the route under test with fuzzed replies: a status, a body
 * (mutated valid reply, hostile JSON, truncated, not JSON) and headers, or a connection cut in the
 * middle of the body. Nothing may throw; an order call is never "failed" without proof; an OK is a
 * complete, exact report of the very order we sent. The oracle is Binance's and docs/05's documented
 * meaning of a reply, not the gateway's own classification table.
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
      const fixed: Record<string, unknown> = {
        '/api/v3/exchangeInfo': INFO,
        '/api/v3/avgPrice': { mins: 5, price: '64000.00' },
        '/api/v3/openOrders': [],
        '/api/v3/time': { serverTime: Date.now() },
      };
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
    baseUrl: base,
    apiKey: 'fuzzkey0000000000000000000000001',
    secret: 'fuzzsecret00000000000000000000001',
    recvWindowMs: 5000,
    readTimeoutMs: 2000,
    orderTimeoutMs: 2000,
    clock: { localNow: Date.now, exchangeNow: (t) => t },
    governor: createRateGovernor([]),
    sleep: async () => {},
  });
  opened.push(rest);
  const reason = (code: ReasonCode, _on: boolean, _d: JsonObject): void => void reasons.push(code);
  const session = new VenueSession({
    rest,
    clock: createClockEstimator({ driftMaxMs: 500 }),
    governor: createRateGovernor([]),
    cfg,
    now: Date.now,
    reason,
    event: (type, _p, r) => void events.push(r ? `${type}:${r}` : type),
  });
  routes.clear();
  expect(await session.refreshFilters()).toBe(true);
  const desk = new OrderDesk({ session, now: Date.now, reason });
  return { rest, session, desk, reasons, events };
}

/** Any value as header text; String() throws on objects without a prototype or with own toString keys. */
const asText = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined'));

// 1xx is left out: node treats it as informational and the client waits for a final status until its timeout.
const statusArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant(200) },
  { weight: 3, arbitrary: fc.constantFrom(400, 401, 403, 404, 409, 418, 429, 500, 502, 503, 504, 201, 204, 302) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 599 }) },
);
const headersArb = fc.dictionary(
  fc.constantFrom('retry-after', 'x-mbx-used-weight-1m', 'x-mbx-order-count-10s', 'x-mbx-order-count-1d'),
  fc.oneof(fc.nat().map(String), fc.string({ maxLength: 10 }), weird.map(asText)).map((v) => v.replace(/[^\x20-\x7e]/g, '').slice(0, 200)),
  { maxKeys: 3 },
);
const replyArb = (valid: unknown): fc.Arbitrary<Reply> =>
  fc.record({ status: statusArb, body: bodyText(valid), headers: headersArb, cut: fc.nat({ max: 9 }).map((n) => n < 2) });
/** Well-formed Binance error replies (any status): the documented codes the oracle knows, and others. */
const errorReplyArb: fc.Arbitrary<Reply> = fc.record({
  status: fc.constantFrom(400, 400, 401, 403, 404, 409, 418, 429, 500, 503),
  body: fc
    .record({
      code: fc.oneof(fc.constantFrom(-1013, -2010, -1006, -1007, -1021, -1022, -2015, -1003), fc.integer({ min: -9999, max: 0 })),
      msg: fc.string({ maxLength: 40 }),
    })
    .map((b) => JSON.stringify(b)),
  headers: fc.constant({}),
  cut: fc.constant(false),
});
const orderReplyArb = (valid: unknown): fc.Arbitrary<Reply> => fc.oneof({ weight: 3, arbitrary: replyArb(valid) }, { weight: 1, arbitrary: errorReplyArb });

function expectExactReport(o: OrderReport): void {
  expect(Number.isSafeInteger(o.order_id)).toBe(true);
  for (const v of [o.price, o.orig_qty, o.executed_qty, o.cummulative_quote_qty, ...(o.stop_price === null ? [] : [o.stop_price])])
    expect(isDecimalString(v), `decimal ${v.slice(0, 40)}`).toBe(true);
  for (const f of o.fills) for (const v of [f.price, f.qty, f.commission]) expect(isDecimalString(v), `fill decimal ${v.slice(0, 40)}`).toBe(true);
}

/**
 * The oracle is the documented contract, not the gateway's own tables. Binance (General API
 * Information): 4XX is the sender's error (not executed), 429/418 are rate-limit refusals, and 5XX
 * "is NOT a failure: the execution status is UNKNOWN and could have been a success"; error codes
 * -1006 and -1007 say "execution status unknown". docs/05 (Order intents): REJECTED and THROTTLED
 * become FAILED_TERMINAL, so they need that proof; a timeout, reset, 5xx, -1007 or unreadable
 * reply is UNKNOWN (SENT_UNKNOWN, queried by clientOrderId).
 */
const DOC_UNKNOWN_CODES = new Set([-1006, -1007]);
/** Definitive rejections whose meaning the docs pin (filter failure, new order rejected). */
const DOC_DEFINITIVE = new Set([-1013, -2010]);

const errorBody = (body: string): { code: number; msg: string } | undefined => {
  try {
    const v = JSON.parse(body) as { code?: unknown; msg?: unknown };
    return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v.code === 'number'
      ? { code: v.code, msg: typeof v.msg === 'string' ? v.msg : '' }
      : undefined;
  } catch {
    return undefined;
  }
};

/** Fail-closed rules every venue outcome obeys, whichever route produced it. */
function expectOutcome<T>(out: VenueOutcome<T>, reply: Reply, kind: 'order' | 'read', earlier?: Reply): void {
  // A 429/418 or used-weight headers on an earlier reply may hold this call back locally: proven unsent.
  if (out.kind === 'NOT_SENT' && earlier) {
    expect(['REST_THROTTLED', 'RATE_LIMIT', 'IP_BANNED']).toContain(out.cause);
    return;
  }
  // The server was reached: "nothing left this process" would be a lie.
  expect(['OK', 'UNKNOWN', 'REJECTED', 'THROTTLED']).toContain(out.kind);
  if (out.kind === 'UNKNOWN') expect(out.reason.length).toBeGreaterThan(0);
  if (reply.cut) expect(out.kind).toBe('UNKNOWN');
  if (out.kind === 'OK') expect(reply.status >= 200 && reply.status < 300).toBe(true);
  const err = errorBody(reply.body);
  if (out.kind === 'REJECTED') {
    expect(reply.status >= 400 && reply.status < 500 && reply.status !== 429 && reply.status !== 418).toBe(true);
    // A read refused with a 4xx changed nothing, body or not (code 0 when there is none); an order
    // needs the venue's own error code as the proof that it was refused.
    const why = `${JSON.stringify(reply).slice(0, 300)} -> ${JSON.stringify(out).slice(0, 200)}`;
    if (kind === 'order' || err) expect(err?.code, why).toBe(out.code);
    else expect(out.code, why).toBe(0);
  }
  if (out.kind === 'THROTTLED') expect([429, 418]).toContain(reply.status);
  if (kind !== 'order') return;
  // An order placement that may have reached the venue is never a failure without proof.
  if (reply.cut || reply.status >= 500 || (reply.status >= 200 && reply.status < 300) || reply.status < 200 || (reply.status >= 300 && reply.status < 400))
    expect(['OK', 'UNKNOWN']).toContain(out.kind);
  if (err && DOC_UNKNOWN_CODES.has(err.code) && reply.status !== 429 && reply.status !== 418) expect(out.kind).toBe('UNKNOWN');
  if (out.kind === 'REJECTED') expect(DOC_UNKNOWN_CODES.has(out.code)).toBe(false);
  // ... and a documented definitive rejection is one: nothing to query, nothing blocked forever.
  if (!reply.cut && reply.status === 400 && err && DOC_DEFINITIVE.has(err.code)) expect(out).toMatchObject({ kind: 'REJECTED', code: err.code });
}

const FILLED = (coid: string) => ({
  symbol: 'BTCUSDT',
  orderId: 7,
  orderListId: -1,
  clientOrderId: coid,
  transactTime: 1_700_000_000_000,
  price: '64000.00000000',
  origQty: '0.00100000',
  executedQty: '0.00100000',
  cummulativeQuoteQty: '64.00000000',
  status: 'FILLED',
  timeInForce: 'GTC',
  type: 'LIMIT',
  side: 'BUY',
  fills: [{ price: '64000.00000000', qty: '0.00100000', commission: '0.00000100', commissionAsset: 'BTC', tradeId: 99 }],
});
const LIST = (lcoid: string) => ({
  orderListId: 3,
  contingencyType: 'OCO',
  listStatusType: 'EXEC_STARTED',
  listOrderStatus: 'EXECUTING',
  listClientOrderId: lcoid,
  transactionTime: 1,
  symbol: 'BTCUSDT',
  orders: [
    { symbol: 'BTCUSDT', orderId: 8, clientOrderId: `${lcoid}a` },
    { symbol: 'BTCUSDT', orderId: 9, clientOrderId: `${lcoid}b` },
  ],
});
const ACCOUNT = {
  canTrade: true,
  canWithdraw: false,
  balances: [
    { asset: 'USDT', free: '1000.00000000', locked: '0.00000000' },
    { asset: 'BTC', free: '0.01000000', locked: '0.00000000' },
  ],
};

describe('fuzz: gateway REST replies against a misbehaving local server', () => {
  it('POST /api/v3/order: OK only as an exact report of our order; REJECTED/THROTTLED only with documented proof; a 5xx, cut, garbled or -1006/-1007 reply is UNKNOWN', async () => {
    const seen = { OK: 0, UNKNOWN: 0, REJECTED: 0, THROTTLED: 0, NOT_SENT: 0 } as Record<string, number>;
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.boolean(), async (seedNat, foreign) => {
        const { desk, reasons } = await stack();
        const coid = clientOrderIdFor(newIntentId(1_700_000_000_000 + seedNat), 'entry');
        // Sometimes the reply is a well-formed report of someone else's order.
        const valid = FILLED(foreign ? clientOrderIdFor(newIntentId(seedNat), 'entry') : coid);
        const reply = fc.sample(orderReplyArb(valid), { numRuns: 1, seed: seedNat })[0]!;
        routes.set('POST /api/v3/order', reply);
        const order: NewOrder = {
          symbol: 'BTCUSDT',
          side: 'BUY',
          type: 'LIMIT',
          client_order_id: coid,
          quantity: '0.00100',
          price: '64000.00',
          time_in_force: 'GTC',
        };
        const out = await desk.place(order, { avg_price: '64000.00', open_orders: 0, open_algo_orders: 0 });
        seen[out.kind] = (seen[out.kind] ?? 0) + 1;
        expectOutcome(out, reply, 'order');
        if (out.kind === 'OK') {
          expect(out.body.client_order_id).toBe(coid);
          expect(out.body.symbol).toBe('BTCUSDT');
          expectExactReport(out.body);
        }
        for (const r of reasons) expect(isCatalogued(r)).toBe(true);
      }),
      fcOpts(400),
    );
    // The generator must reach each kind of answer, or the property above proves little.
    console.log(`[measure] gateway-rest fuzz: order placement outcomes ${JSON.stringify(seen)}`);
    expect(seen['OK']).toBeGreaterThan(0);
    expect(seen['UNKNOWN']).toBeGreaterThan(0);
    expect(seen['REJECTED']).toBeGreaterThan(0);
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
        const open = fc.sample(replyArb([FILLED('vgA'), { ...FILLED('vgB'), status: 'NEW', type: 'STOP_LOSS_LIMIT', stopPrice: '63000.00' }]), {
          numRuns: 1,
          seed: seedNat,
        })[0]!;
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
          if (r)
            for (const f of Object.values(r.filters))
              for (const [k, v] of Object.entries(f as Record<string, unknown>)) if (k !== 'filterType') expect(v).not.toBeUndefined();
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
