import fc from 'fast-check';
import { MessageChannel } from 'node:worker_threads';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_CHANNEL, CONTROL_CHANNEL, MARKET_CHANNEL, PROTOCOL_VERSION, type ChannelSpec } from '@vigil/contracts';
import { Endpoint, type Rejection } from '@vigil/runtime';
import type { PanelSource } from '../../apps/supervisor/src/panel/app.js';
import { startPanel, type PanelServer } from '../../apps/supervisor/src/panel/server.js';
import { supervisorPanelSource } from '../../apps/supervisor/src/status.js';
import { startSupervisor } from '../integration/harness.js';
import { fcOpts, isCatalogued, weird } from './arbitraries.js';

/**
 * Channel frames (real MessagePorts, structured clone) and panel requests (raw HTTP over real
 * sockets to the real panel server in front of a real supervisor), fuzzed: every bad frame is
 * counted and rejected with a CHANNEL_* code, never thrown; every panel answer is below 500, only
 * GET/HEAD with a loopback Host on the panel's port is served, and the panel only ever reads.
 */
const tick = () => new Promise((r) => setImmediate(r));

const frameArb = (spec: ChannelSpec): fc.Arbitrary<unknown> => {
  const types = [...Object.keys(spec.a.events), ...Object.keys(spec.a.requests), ...Object.keys(spec.b.events), 'nope', '__proto__', 'constructor', 'toString'];
  const body = fc.oneof(
    weird,
    fc.record({ type: fc.oneof(fc.constantFrom(...types), weird) }, { requiredKeys: [] }),
    fc
      .dictionary(fc.constantFrom('type', 'events', 'symbol', 'fault', 'sent_ts_ms', 'mode'), weird)
      .map((d) => ({ type: fc.sample(fc.constantFrom(...types), 1)[0], ...d })),
  );
  return fc.oneof(
    weird,
    fc.record(
      {
        v: fc.oneof(fc.constant(PROTOCOL_VERSION), weird),
        k: fc.oneof(fc.constantFrom('ev', 'req', 'res'), weird),
        id: fc.oneof(fc.nat(), weird),
        body,
        ok: fc.boolean(),
        error: weird,
      },
      { requiredKeys: ['v', 'k'] },
    ),
  );
};

describe('fuzz: channel frames (runtime/src/channel.ts)', () => {
  for (const spec of [CONTROL_CHANNEL, AUDIT_CHANNEL, MARKET_CHANNEL]) {
    it(`${spec.name}: malformed, unknown and wrong-version frames are counted and rejected with a catalogued code; handlers see only valid frames`, async () => {
      const { port1, port2 } = new MessageChannel();
      const rejects: Rejection[] = [];
      const seen: unknown[] = [];
      const handlerErrors: unknown[] = [];
      const handler = (i: unknown) => {
        seen.push(i);
        return {};
      };
      const ep = new Endpoint(port1, {
        spec,
        side: 'a',
        requestTimeoutMs: 100,
        onReject: (r) => rejects.push(r),
        onEvent: (e) => void seen.push(e),
        onHandlerError: (e) => void handlerErrors.push(e),
        onRequest: Object.fromEntries(Object.keys(spec.b.requests).map((k) => [k, handler])),
      });
      const replies: unknown[] = [];
      port2.on('message', (m) => replies.push(m));
      await fc.assert(
        fc.asyncProperty(fc.array(frameArb(spec), { minLength: 1, maxLength: 10 }), async (frames) => {
          const before = { rejects: ep.rejects, seen: seen.length };
          let posted = 0;
          for (const f of frames) {
            try {
              port2.postMessage(f);
              posted++;
            } catch {
              /* not cloneable: never reaches the endpoint */
            }
          }
          await tick();
          await tick();
          expect(ep.rejects - before.rejects + (seen.length - before.seen)).toBeLessThanOrEqual(posted);
          for (const r of rejects) expect(isCatalogued(r.code) && r.code.startsWith('CHANNEL_')).toBe(true);
          for (const s of seen.slice(before.seen)) expect(typeof (s as { type?: unknown }).type).toBe('string');
        }),
        fcOpts(200),
      );
      // Counted per code, equal to what was reported.
      expect(ep.rejects).toBe(rejects.length);
      expect(handlerErrors).toEqual([]);
      for (const r of replies as { v?: unknown; k?: unknown; ok?: unknown; error?: { code?: unknown } }[]) {
        expect(r.v).toBe(PROTOCOL_VERSION);
        if (r.ok === false) expect(typeof r.error?.code).toBe('string');
      }
      ep.close();
      port2.close();
    });
  }
});

/** One raw HTTP/1.1 exchange over a socket: the status (null when the server answered nothing) and the response head. */
function rawRequest(port: number, head: string): Promise<{ status: number | null; head: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let buf = '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const end = buf.indexOf('\r\n\r\n');
      const h = end >= 0 ? buf.slice(0, end) : buf;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(h);
      resolve({ status: m ? Number(m[1]) : null, head: h });
    };
    // A server that neither answers nor closes within 5 s is hung: that fails the property.
    const timer = setTimeout(() => {
      if (!done) {
        done = true;
        sock.destroy();
        reject(new Error(`no answer and no close within 5 s for:\n${head.slice(0, 300)}`));
      }
    }, 5000);
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      // The head is all the property needs (the SSE stream would never end by itself).
      if (buf.includes('\r\n\r\n')) finish();
    });
    sock.on('error', () => finish());
    sock.on('close', () => finish());
    sock.write(head, 'latin1');
  });
}

const READ_METHODS: readonly (keyof PanelSource)[] = [
  'status',
  'health',
  'alerts',
  'stages',
  'intents',
  'reconcile',
  'churn',
  'orders',
  'pnl',
  'gate',
  'charts',
  'metrics',
  'alertKeys',
  'signals',
  'storage',
];

describe('fuzz: panel over real HTTP (apps/supervisor/src/panel, a real supervisor behind it)', () => {
  let bot: Awaited<ReturnType<typeof startSupervisor>>;
  let source: ReturnType<typeof supervisorPanelSource>;
  let panel: PanelServer;
  const touched: string[] = [];
  beforeAll(async () => {
    bot = await startSupervisor();
    source = supervisorPanelSource(bot.sup, bot.runId, bot.varDir);
    // Every property the panel takes from its source is recorded: only the read methods may be.
    const watched = new Proxy(source, {
      get: (t, k, r) => {
        if (typeof k === 'string' && !(READ_METHODS as readonly string[]).includes(k)) touched.push(k);
        return Reflect.get(t, k, r);
      },
    });
    panel = await startPanel(watched, '127.0.0.1', 0);
  }, 60_000);
  afterAll(async () => {
    await panel?.close();
    source?.close();
    await bot?.stop();
  });

  it('random methods, targets, Host/Origin headers, queries and huge headers: never a 5xx or a hang; 2xx only for GET/HEAD with a loopback Host on our port; every other method refused', async () => {
    const port = panel.port;
    const clean = (x: string) => x.replace(/[^\x21-\x7e]/g, '');
    const method = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('GET', 'HEAD') },
      { weight: 3, arbitrary: fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT', 'PROPFIND', 'MKCOL', 'get', 'G-ET') },
      {
        weight: 1,
        arbitrary: fc
          .string({ minLength: 1, maxLength: 8 })
          .map(clean)
          .filter((x) => x.length > 0),
      },
    );
    const segment = fc.oneof(
      fc.constantFrom(
        'api',
        'status',
        'health',
        'alerts',
        'stages',
        'intents',
        'reconcile',
        'churn',
        'orders',
        'pnl',
        'gate',
        'charts',
        'metrics',
        'stream',
        'dashboard',
        'assets',
        'dashboard.js',
        '..',
        '.',
        '%2e%2e',
        '%',
        '%zz',
        '%00',
        '',
        'ack',
        'kill',
        'resume',
      ),
      fc.string({ maxLength: 8 }).map(encodeURIComponent),
    );
    const path = fc.array(segment, { maxLength: 4 }).map((x) => `/${x.join('/')}`);
    const query = fc.option(
      fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 8 })).map((d) => `?${new URLSearchParams(d).toString()}`),
      { nil: '' },
    );
    const route = fc.constantFrom(
      '/',
      '/dashboard',
      '/api/status',
      '/api/health',
      '/api/alerts',
      '/api/stages',
      '/api/intents',
      '/api/reconcile',
      '/api/churn',
      '/api/orders',
      '/api/pnl',
      '/api/gate',
      '/api/charts',
      '/api/stream',
      '/metrics',
    );
    const target = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(route, query).map(([p, q]) => p + q) },
      { weight: 4, arbitrary: fc.tuple(path, query).map(([p, q]) => p + q) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('*', 'http://evil.example/api/status', `http://127.0.0.1:${port}/api/status`, '127.0.0.1:443', `/${'a'.repeat(20_000)}`),
      },
    );
    const good = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    const host = fc.option(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...good) },
        {
          weight: 3,
          arbitrary: fc.constantFrom(
            'evil.example',
            `evil.example:${port}`,
            '127.0.0.1:80',
            '127.0.0.1',
            `127.0.0.1.nip.io:${port}`,
            '',
            `:${port}`,
            '[::1',
            `LOCALHOST:${port}`,
            `127.0.0.2:${port}`,
            `0.0.0.0:${port}`,
          ),
        },
        { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map(clean) },
      ),
      { nil: undefined, freq: 10 },
    );
    const origin = fc.option(fc.constantFrom(`http://127.0.0.1:${port}`, 'http://evil.example', 'null', 'file://', `https://127.0.0.1:${port}`), {
      nil: undefined,
      freq: 3,
    });
    const site = fc.option(fc.constantFrom('same-origin', 'none', 'cross-site', 'same-site'), { nil: undefined, freq: 3 });
    // Headers beyond node's limit (16 KiB by default) and many small ones.
    const bulk = fc.oneof(
      { weight: 6, arbitrary: fc.constant('') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          `X-Big: ${'x'.repeat(64 * 1024)}\r\n`,
          Array.from({ length: 500 }, (_, i) => `X-H${i}: ${i}\r\n`).join(''),
          `Cookie: ${'c=1; '.repeat(5000)}\r\n`,
        ),
      },
    );
    const counts = { ok: 0, refusedMethod: 0, refusedHost: 0, other: 0 };
    await fc.assert(
      fc.asyncProperty(method, target, host, origin, site, bulk, async (m, t, h, o, si, b) => {
        const head = `${m} ${t} HTTP/1.1\r\n${h === undefined ? '' : `Host: ${h}\r\n`}${o === undefined ? '' : `Origin: ${o}\r\n`}${si === undefined ? '' : `Sec-Fetch-Site: ${si}\r\n`}${b}Connection: close\r\n\r\n`;
        const r = await rawRequest(port, head);
        const why = `${m} ${t.slice(0, 80)} host=${h} origin=${o} site=${si} bulk=${b.length} -> ${r.head.slice(0, 200)}`;
        const readMethod = m === 'GET' || m === 'HEAD';
        if (r.status === null) {
          // No answer at all only where node itself drops the connection: CONNECT (no handler).
          expect(m, why).toBe('CONNECT');
          return;
        }
        expect(r.status, why).toBeLessThan(500);
        if (!readMethod) {
          // Refused: by the panel (405) or already by node's HTTP parser (400, 414, 431).
          expect([400, 405, 414, 431], why).toContain(r.status);
          counts.refusedMethod++;
          return;
        }
        const hostOk = h !== undefined && good.includes(h);
        const crossSite = (o !== undefined && o !== `http://127.0.0.1:${port}`) || (si !== undefined && si !== 'same-origin' && si !== 'none');
        if (r.status >= 200 && r.status < 400) {
          expect(hostOk && !crossSite, why).toBe(true);
          if (r.status === 200) expect(r.head.toLowerCase(), why).toContain('x-content-type-options: nosniff');
          counts.ok++;
        } else if (!hostOk) {
          expect([400, 403, 414, 431], why).toContain(r.status);
          counts.refusedHost++;
        } else counts.other++;
      }),
      fcOpts(400),
    );
    console.log(`[measure] panel fuzz: ${JSON.stringify(counts)}`);
    // The generator reached both sides of each rule.
    expect(counts.ok).toBeGreaterThan(0);
    expect(counts.refusedMethod).toBeGreaterThan(0);
    expect(counts.refusedHost).toBeGreaterThan(0);
    // Still serving after all that, and nothing but reads was ever taken from the source.
    const after = await rawRequest(port, `GET /api/status HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(after.status).toBe(200);
    expect(touched).toEqual([]);
  }, 300_000);
});
