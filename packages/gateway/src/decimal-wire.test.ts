import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantizePrice, quantizeQty } from '@vigil/core';
import type { NewOrder } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { createClockEstimator } from './clock.js';
import { OrderDesk } from './order-desk.js';
import { createRateGovernor } from './rate-limits.js';
import { createRestClient, type RestClient } from './rest-client.js';
import { VenueSession } from './venue-session.js';

/**
 * No JavaScript number between the quantizer and the wire: for prices and quantities with more
 * significant digits than a double holds, the price/quantity/stopPrice values in the query string
 * the gateway actually sends (read by a real HTTP peer) are the quantized decimal strings, digit
 * for digit, trailing zeros included. The simulator cannot serve such symbols (8 decimals, prices
 * up to 1e6 are all double-exact), so a small venue stand-in publishes the rules and records what
 * arrives; everything on our side is the production path (OrderDesk -> VenueSession -> RestClient).
 */

const TICK = '0.00000001';
const INFO = {
  timezone: 'UTC',
  serverTime: 1,
  exchangeFilters: [],
  rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 1_000_000 }],
  symbols: [
    {
      symbol: 'BIGUSDT',
      status: 'TRADING',
      baseAsset: 'BIG',
      quoteAsset: 'USDT',
      baseAssetPrecision: 8,
      quoteAssetPrecision: 8,
      orderTypes: ['LIMIT', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
      ocoAllowed: true,
      icebergAllowed: false,
      permissions: ['SPOT'],
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: TICK, maxPrice: '100000000000000.00000000', tickSize: TICK },
        { filterType: 'LOT_SIZE', minQty: TICK, maxQty: '100000000000000.00000000', stepSize: TICK },
      ],
    },
  ],
};

let server: Server;
let base = '';
const received: URLSearchParams[] = [];
let rest: RestClient;
let desk: OrderDesk;
let session: VenueSession;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (body: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => {
      if (url.pathname === '/api/v3/time') return send({ serverTime: Date.now() });
      if (url.pathname === '/api/v3/exchangeInfo') return send(INFO);
      if (url.pathname === '/api/v3/avgPrice') return send({ mins: 5, price: '1.00000000' });
      if (req.method === 'POST' && url.pathname === '/api/v3/order') {
        const p = new URLSearchParams(url.search);
        received.push(p);
        return send({
          symbol: p.get('symbol'),
          orderId: received.length,
          orderListId: -1,
          clientOrderId: p.get('newClientOrderId'),
          transactTime: Date.now(),
          price: p.get('price'),
          origQty: p.get('quantity'),
          executedQty: '0',
          cummulativeQuoteQty: '0',
          status: 'NEW',
          timeInForce: 'GTC',
          type: p.get('type'),
          side: p.get('side'),
          fills: [],
        });
      }
      res.writeHead(404);
      res.end('{"code":-1000,"msg":"Unknown endpoint."}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cfg = (() => {
    const r = parseConfig({ exchange: { rest_base_url: base, symbols: ['BIGUSDT'] } });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.config.exchange;
  })();
  const clock = createClockEstimator({ driftMaxMs: cfg.clock_drift_max_ms_live });
  const governor = createRateGovernor([]);
  rest = createRestClient({
    baseUrl: base,
    apiKey: 'wire-test-key-0123456789',
    secret: 'wire-test-secret-0123456789',
    recvWindowMs: 5000,
    readTimeoutMs: 2000,
    orderTimeoutMs: 2000,
    clock: { localNow: Date.now, exchangeNow: (t) => clock.exchangeNow(t) },
    governor,
  });
  session = new VenueSession({ rest, clock, governor, cfg, now: Date.now, reason: () => {}, event: () => {} });
  expect(await session.syncClock(3)).toBe(true);
  expect(await session.refreshFilters()).toBe(true);
  desk = new OrderDesk({ session, now: Date.now, reason: () => {} });
});

afterAll(async () => {
  rest.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const arbRaw = fc
  .record({ int: fc.bigInt({ min: 0n, max: 10n ** 13n }), frac: fc.bigInt({ min: 0n, max: 10n ** 14n - 1n }) })
  .map(({ int, frac }) => `${int}.${frac.toString().padStart(14, '0')}`);

describe('decimals on the wire', () => {
  it('price, quantity and stopPrice leave exactly as quantized, never through a Number', async () => {
    let notDoubleExact = 0;
    let sent = 0;
    let cid = 0;
    await fc.assert(
      fc.asyncProperty(
        arbRaw,
        arbRaw,
        arbRaw,
        fc.constantFrom('LIMIT' as const, 'STOP_LOSS_LIMIT' as const),
        fc.constantFrom('down' as const, 'up' as const, 'nearest' as const),
        async (rawPrice, rawQty, rawStop, type, mode) => {
          const rules = session.rules.get('BIGUSDT')!;
          const p = quantizePrice(rawPrice, rules, mode);
          const q = quantizeQty(rawQty, rules);
          const sp = quantizePrice(rawStop, rules, mode);
          if (!p.ok || !q.ok || !sp.ok) return;
          const order: NewOrder = {
            symbol: 'BIGUSDT',
            side: 'SELL',
            type,
            client_order_id: `wire${cid++}`,
            quantity: q.value,
            price: p.value,
            ...(type === 'LIMIT' ? {} : { stop_price: sp.value }),
          };
          const before = received.length;
          const out = await desk.place(order, { open_orders: 0, open_algo_orders: 0 });
          expect(out.kind).toBe('OK');
          expect(received.length).toBe(before + 1);
          const wire = received[received.length - 1]!;
          expect(wire.get('price')).toBe(p.value);
          expect(wire.get('quantity')).toBe(q.value);
          expect(wire.get('stopPrice')).toBe(type === 'LIMIT' ? null : sp.value);
          sent++;
          for (const v of [p.value, q.value]) if (Number(v).toFixed(8) !== v) notDoubleExact++;
        },
      ),
      { numRuns: 200 },
    );
    // Most values carried more digits than a double: any float on the way would have shown.
    expect(sent).toBeGreaterThan(150);
    expect(notDoubleExact / (2 * sent)).toBeGreaterThan(0.5);
  });
});
