import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { REPLY_TOO_LARGE } from './http-transport.js';
import { createRateGovernor, type RateGovernor } from './rate-limits.js';
import { createRestClient, type ResponseInfo, type RestClient } from './rest-client.js';
import { hmacSha256Hex } from './signing.js';

const API_KEY = 'test-api-key-0123456789abcdef';
const SECRET = 'test-secret-fedcba9876543210';

type Peer = { url: string; requests: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }>; server: Server };
const open: Server[] = [];
const clients: RestClient[] = [];

async function peer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Peer> {
  const requests: Peer['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => handler(req, res));
  });
  open.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(
    open.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          s.closeAllConnections();
          s.close(() => r());
        }),
    ),
  );
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

function client(
  baseUrl: string,
  extra: { governor?: RateGovernor; infos?: ResponseInfo[]; synced?: boolean; maxReplyBytes?: number; orderTimeoutMs?: number } = {},
): RestClient {
  let local = 1_700_000_000_000;
  const c = createRestClient({
    baseUrl,
    apiKey: API_KEY,
    secret: SECRET,
    recvWindowMs: 5000,
    readTimeoutMs: 2000,
    orderTimeoutMs: extra.orderTimeoutMs ?? 300,
    clock: { localNow: () => (local += 1), exchangeNow: (t) => (extra.synced === false ? undefined : t + 250) },
    governor: extra.governor ?? createRateGovernor([]),
    onResponse: (i) => extra.infos?.push(i),
    sleep: async () => {},
    random: () => 0.5,
    ...(extra.maxReplyBytes === undefined ? {} : { maxReplyBytes: extra.maxReplyBytes }),
  });
  clients.push(c);
  return c;
}

const ORDER = {
  symbol: 'BTCUSDT',
  side: 'BUY',
  type: 'LIMIT',
  timeInForce: 'GTC',
  quantity: '0.00100',
  price: '60000.00',
  newClientOrderId: 'vigil-1',
} as const;
const placeOrder = (c: RestClient) => c.signed('POST', '/api/v3/order', ORDER, { weight: 1, kind: 'order' });

describe('rest client: normal replies', () => {
  it('(a) signs exactly what it sends, with the API key header, and returns OK', async () => {
    const p = await peer((_req, res) =>
      json(res, 200, { orderId: 7, clientOrderId: 'vigil-1' }, { 'x-mbx-used-weight-1m': '12', 'x-mbx-order-count-10s': '1' }),
    );
    const gov = createRateGovernor([{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 }]);
    const out = await placeOrder(client(p.url, { governor: gov }));
    expect(out).toMatchObject({ kind: 'OK', status: 200, body: { orderId: 7 } });
    expect(p.requests).toHaveLength(1);
    const req = p.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers['x-mbx-apikey']).toBe(API_KEY);
    const query = req.url.slice(req.url.indexOf('?') + 1);
    const [signedPart, sig] = query.split('&signature=') as [string, string];
    expect(signedPart).toMatch(
      /^symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.00100&price=60000.00&newClientOrderId=vigil-1&recvWindow=5000&timestamp=\d+$/,
    );
    expect(sig).toBe(hmacSha256Hex(signedPart, SECRET));
    expect(Number(/timestamp=(\d+)/.exec(signedPart)![1])).toBeGreaterThan(1_700_000_000_250);
    expect(gov.snapshot(Date.now()).used_weight_pct).not.toBeNull();
  });
  it('publicGet sends no key and no signature', async () => {
    const p = await peer((_req, res) => json(res, 200, { serverTime: 1 }));
    const out = await client(p.url).publicGet('/api/v3/time', {}, 1);
    expect(out).toMatchObject({ kind: 'OK', body: { serverTime: 1 } });
    expect(p.requests[0]!.headers['x-mbx-apikey']).toBeUndefined();
    expect(p.requests[0]!.url).toBe('/api/v3/time');
  });
});

describe('rest client: transport', () => {
  it('asks for compression and decodes a gzip reply', async () => {
    const p = await peer((_req, res) => {
      const body = gzipSync(JSON.stringify({ orderId: 7, clientOrderId: 'vigil-1' }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) });
      res.end(body);
    });
    expect(await placeOrder(client(p.url))).toMatchObject({ kind: 'OK', body: { orderId: 7 } });
    expect(p.requests[0]!.headers['accept-encoding']).toContain('gzip');
  });
  it('a reply cut off mid-body on an order -> UNKNOWN, sent once', async () => {
    const p = await peer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"orderId": 7,');
      setTimeout(() => req.socket.destroy(), 5);
    });
    const out = await placeOrder(client(p.url));
    expect(out).toMatchObject({ kind: 'UNKNOWN' });
    expect(p.requests).toHaveLength(1);
  });
  it('a corrupt gzip body on an order -> UNKNOWN', async () => {
    const p = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end('not gzip at all');
    });
    expect(await placeOrder(client(p.url))).toMatchObject({ kind: 'UNKNOWN' });
  });
  it('a reply body over the bound on an order -> UNKNOWN naming ERR_REPLY_TOO_LARGE, sent once (the body is not collected past the bound)', async () => {
    const p = await peer((_req, res) => {
      res.on('error', () => undefined); // the client hangs up mid-body
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.alloc(1024 * 1024, 0x20));
    });
    const out = await placeOrder(client(p.url, { maxReplyBytes: 64 * 1024, orderTimeoutMs: 10_000 }));
    expect(out).toMatchObject({ kind: 'UNKNOWN' });
    expect(out.kind === 'UNKNOWN' && out.reason).toContain(REPLY_TOO_LARGE);
    expect(p.requests).toHaveLength(1);
  });
  it('a gzip reply that decodes past the bound (a bomb of a few KB) -> UNKNOWN naming ERR_REPLY_TOO_LARGE', async () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const p = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
      res.end(bomb);
    });
    const out = await placeOrder(client(p.url, { maxReplyBytes: 1024 * 1024, orderTimeoutMs: 10_000 }));
    expect(out).toMatchObject({ kind: 'UNKNOWN' });
    expect(out.kind === 'UNKNOWN' && out.reason).toContain(REPLY_TOO_LARGE);
    expect(p.requests).toHaveLength(1);
  });
  it('reuses one keep-alive connection across calls', async () => {
    const p = await peer((_req, res) => json(res, 200, { serverTime: 1 }));
    const sockets = new Set<unknown>();
    p.server.on('connection', (s) => sockets.add(s));
    const c = client(p.url);
    for (let i = 0; i < 3; i++) expect(await c.publicGet('/api/v3/time', {}, 1)).toMatchObject({ kind: 'OK' });
    expect(sockets.size).toBe(1);
  });
});

describe('rest client: an order is sent exactly once whatever goes wrong', () => {
  it('(b) HTTP 500 -> UNKNOWN', async () => {
    const p = await peer((_req, res) => json(res, 500, { code: -1000, msg: 'internal' }));
    expect(await placeOrder(client(p.url))).toMatchObject({ kind: 'UNKNOWN' });
    expect(p.requests).toHaveLength(1);
  });
  it('(c) -1007 backend timeout -> UNKNOWN', async () => {
    const p = await peer((_req, res) =>
      json(res, 408, { code: -1007, msg: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.' }),
    );
    expect(await placeOrder(client(p.url))).toMatchObject({ kind: 'UNKNOWN' });
    expect(p.requests).toHaveLength(1);
  });
  it('(d) accepted and never answered -> UNKNOWN after the order timeout', async () => {
    const p = await peer(() => {});
    const out = await placeOrder(client(p.url));
    expect(out).toMatchObject({ kind: 'UNKNOWN' });
    expect(out.kind === 'UNKNOWN' && out.reason).toContain('ETIMEDOUT');
    expect(p.requests).toHaveLength(1);
  });
  it('(e) socket destroyed after the request was read -> UNKNOWN', async () => {
    const p = await peer((req) => req.socket.destroy());
    const out = await placeOrder(client(p.url));
    expect(out).toMatchObject({ kind: 'UNKNOWN' });
    expect(p.requests).toHaveLength(1);
  });
  it('(f) closed port -> NETWORK_BEFORE_SEND', async () => {
    const out = await placeOrder(client(await closedPortUrl()));
    expect(out).toMatchObject({ kind: 'NETWORK_BEFORE_SEND' });
    expect(out.kind === 'NETWORK_BEFORE_SEND' && out.reason).toContain('ECONNREFUSED');
  });
  it('(g) 429 with Retry-After -> THROTTLED, governor backs off, next call not sent', async () => {
    const p = await peer((_req, res) => json(res, 429, { code: -1003, msg: 'Too much request weight used' }, { 'retry-after': '30' }));
    const gov = createRateGovernor([]);
    const c = client(p.url, { governor: gov });
    expect(await placeOrder(c)).toEqual({ kind: 'THROTTLED', status: 429, retryAfterMs: 30_000 });
    expect(await placeOrder(c)).toMatchObject({ kind: 'NOT_SENT', cause: 'RATE_LIMIT' });
    expect(p.requests).toHaveLength(1);
  });
  it('(g) 418 -> THROTTLED and BANNED', async () => {
    const p = await peer((_req, res) => json(res, 418, { code: -1003, msg: 'IP banned' }, { 'retry-after': '120' }));
    const gov = createRateGovernor([]);
    const c = client(p.url, { governor: gov });
    expect(await placeOrder(c)).toEqual({ kind: 'THROTTLED', status: 418, retryAfterMs: 120_000 });
    expect(gov.snapshot(1_700_000_000_100).state).toBe('BANNED');
    expect(await c.publicGet('/api/v3/time', {}, 1)).toMatchObject({ kind: 'NOT_SENT', cause: 'IP_BANNED' });
    expect(p.requests).toHaveLength(1);
  });
  it('(h) 400 -1013 -> REJECTED with the filter message', async () => {
    const p = await peer((_req, res) => json(res, 400, { code: -1013, msg: 'Filter failure: LOT_SIZE' }));
    expect(await placeOrder(client(p.url))).toEqual({ kind: 'REJECTED', code: -1013, msg: 'Filter failure: LOT_SIZE', status: 400 });
    expect(p.requests).toHaveLength(1);
  });
  it('-1021 is returned as REJECTED, not retried', async () => {
    const p = await peer((_req, res) => json(res, 400, { code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' }));
    expect(await placeOrder(client(p.url))).toMatchObject({ kind: 'REJECTED', code: -1021 });
    expect(p.requests).toHaveLength(1);
  });
  it('a cancel (DELETE, kind order) is not retried on 5xx either', async () => {
    const p = await peer((_req, res) => json(res, 503, {}));
    expect(
      await client(p.url).signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'vigil-1' }, { weight: 1, kind: 'order', newOrders: 0 }),
    ).toMatchObject({ kind: 'UNKNOWN' });
    expect(p.requests).toHaveLength(1);
  });
  it('an unparseable 200 on an order -> UNKNOWN', async () => {
    const p = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"orderId": 7,');
    });
    expect(await placeOrder(client(p.url))).toMatchObject({ kind: 'UNKNOWN' });
    expect(p.requests).toHaveLength(1);
  });
});

describe('rest client: reads', () => {
  it('retry at most twice on 5xx, re-signed each time', async () => {
    const p = await peer((_req, res) => json(res, 502, {}));
    const infos: ResponseInfo[] = [];
    const out = await client(p.url, { infos }).signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'vigil-1' }, { weight: 4, kind: 'read' });
    expect(out).toMatchObject({ kind: 'UNKNOWN' });
    expect(p.requests).toHaveLength(3);
    expect(new Set(p.requests.map((r) => r.url)).size).toBe(3);
    expect(infos.map((i) => i.attempt)).toEqual([0, 1, 2]);
  });
  it('retry after NETWORK_BEFORE_SEND, then give up', async () => {
    const infos: ResponseInfo[] = [];
    const out = await client(await closedPortUrl(), { infos }).publicGet('/api/v3/time', {}, 1);
    expect(out).toMatchObject({ kind: 'NETWORK_BEFORE_SEND' });
    expect(infos).toHaveLength(3);
  });
  it('do not retry a definitive rejection', async () => {
    const p = await peer((_req, res) => json(res, 400, { code: -2013, msg: 'Order does not exist.' }));
    expect(await client(p.url).signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'x' }, { weight: 4, kind: 'read' })).toMatchObject({
      kind: 'REJECTED',
      code: -2013,
    });
    expect(p.requests).toHaveLength(1);
  });
});

describe('rest client: refusals before I/O', () => {
  it('no signed request without a synced clock', async () => {
    const p = await peer((_req, res) => json(res, 200, {}));
    expect(await placeOrder(client(p.url, { synced: false }))).toMatchObject({ kind: 'NOT_SENT', cause: 'CLOCK_UNSYNCED' });
    expect(p.requests).toHaveLength(0);
  });
  it('the governor margin holds requests back', async () => {
    const p = await peer((_req, res) => json(res, 200, {}));
    const gov = createRateGovernor([{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 10 }]);
    const c = client(p.url, { governor: gov });
    expect(await c.publicGet('/api/v3/exchangeInfo', {}, 9)).toMatchObject({ kind: 'OK' });
    expect(await c.publicGet('/api/v3/exchangeInfo', {}, 9)).toMatchObject({ kind: 'NOT_SENT', cause: 'REST_THROTTLED' });
    expect(p.requests).toHaveLength(1);
  });
  it('never leaks the secret, the API key or the signature in outcome text', async () => {
    const p = await peer((req) => req.socket.destroy());
    const out = await placeOrder(client(p.url));
    const text = JSON.stringify(out);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/signature=[0-9a-f]{64}/);
  });
});
