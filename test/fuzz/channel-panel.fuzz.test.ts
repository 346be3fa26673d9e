import fc from 'fast-check';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { AUDIT_CHANNEL, CONTROL_CHANNEL, MARKET_CHANNEL, PROTOCOL_VERSION, type ChannelSpec } from '@vigil/contracts';
import { Endpoint, type Rejection } from '@vigil/runtime';
import { createPanelApp, type PanelSource } from '../../apps/supervisor/src/panel/app.js';
import { fcOpts, isCatalogued, weird } from './arbitraries.js';

/**
 * Channel frames (real MessagePorts, structured clone) and panel requests (the Hono app in
 * process), fuzzed: every bad frame is counted and rejected with a CHANNEL_* code, never thrown;
 * every panel answer is below 500, non-GET is 405, and nothing the panel reads can write.
 */
const tick = () => new Promise((r) => setImmediate(r));

const frameArb = (spec: ChannelSpec): fc.Arbitrary<unknown> => {
  const types = [...Object.keys(spec.a.events), ...Object.keys(spec.a.requests), ...Object.keys(spec.b.events), 'nope', '__proto__', 'constructor', 'toString'];
  const body = fc.oneof(weird, fc.record({ type: fc.oneof(fc.constantFrom(...types), weird) }, { requiredKeys: [] }), fc.dictionary(fc.constantFrom('type', 'events', 'symbol', 'fault', 'sent_ts_ms', 'mode'), weird).map((d) => ({ type: fc.sample(fc.constantFrom(...types), 1)[0], ...d })));
  return fc.oneof(
    weird,
    fc.record({ v: fc.oneof(fc.constant(PROTOCOL_VERSION), weird), k: fc.oneof(fc.constantFrom('ev', 'req', 'res'), weird), id: fc.oneof(fc.nat(), weird), body, ok: fc.boolean(), error: weird }, { requiredKeys: ['v', 'k'] }),
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
        spec, side: 'a', requestTimeoutMs: 100,
        onReject: (r) => rejects.push(r), onEvent: (e) => void seen.push(e), onHandlerError: (e) => void handlerErrors.push(e),
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

describe('fuzz: panel requests (apps/supervisor/src/panel/app.ts)', () => {
  it('random methods, paths, Host/Origin headers and queries: never a 5xx, never a write, 405 for anything but GET/HEAD', async () => {
    const reads: string[] = [];
    const writes: string[] = [];
    const READ = ['status', 'health', 'alerts', 'stages', 'intents', 'reconcile', 'churn', 'metrics'];
    const source = new Proxy({} as PanelSource, {
      get: (_t, k: string) => {
        if (!READ.includes(k)) {
          writes.push(k);
          return undefined;
        }
        return (..._a: unknown[]) => {
          reads.push(k);
          return k === 'metrics' ? Promise.resolve({ contentType: 'text/plain', body: 'x 1\n' }) : k === 'alerts' || k === 'stages' ? [] : { mode: 'PAUSE' };
        };
      },
    });
    const app = createPanelApp(source, () => 8787);
    const segment = fc.oneof(fc.constantFrom('api', 'status', 'health', 'alerts', 'stages', 'intents', 'reconcile', 'churn', 'metrics', 'dashboard', 'assets', 'dashboard.js', '..', '.', '%2e%2e', '%', '%zz', '%00', '', 'ack', 'kill'), fc.string({ maxLength: 8 }).map(encodeURIComponent));
    const path = fc.array(segment, { maxLength: 4 }).map((s) => `/${s.join('/')}`);
    const query = fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 8 })).map((d) => `?${new URLSearchParams(d).toString()}`), { nil: '' });
    const host = fc.oneof(fc.constantFrom('127.0.0.1:8787', 'localhost:8787', '[::1]:8787', 'evil.example', '127.0.0.1:80', '127.0.0.1', '127.0.0.1.nip.io:8787', '', ':8787', '[::1', 'LOCALHOST:8787'), fc.string({ maxLength: 20 }));
    const origin = fc.option(fc.oneof(fc.constantFrom('http://127.0.0.1:8787', 'http://evil.example', 'null', 'file://', 'http://localhost:8787', 'https://127.0.0.1:8787'), fc.string({ maxLength: 20 })), { nil: undefined });
    // CONNECT and TRACE cannot be built as a fetch Request (undici refuses them); node's server never routes CONNECT to the app.
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'MKCOL', 'get');
    await fc.assert(
      fc.asyncProperty(method, path, query, host, origin, fc.option(fc.constantFrom('same-origin', 'none', 'cross-site', 'same-site'), { nil: undefined }), async (m, p, q, h, o, site) => {
        // The SSE stream never ends by itself; the fuzz asks for it but stops reading at once.
        const ac = new AbortController();
        const headers: Record<string, string> = {};
        const clean = (s: string) => s.replace(/[^\x20-\x7e]/g, '');
        headers['host'] = clean(h);
        if (o !== undefined) headers['origin'] = clean(o);
        if (site !== undefined) headers['sec-fetch-site'] = site;
        let res: Response;
        try {
          res = await app.request(`http://127.0.0.1:8787${p}${q}`, { method: m, headers, signal: ac.signal });
        } catch (e) {
          throw new Error(`app.request threw for ${m} ${p}${q}: ${(e as Error).message}`);
        }
        expect(res.status, `${m} ${p}${q} host=${h}`).toBeLessThan(500);
        if (m.toUpperCase() !== 'GET' && m !== 'HEAD') expect(res.status).toBe(405);
        if (res.status === 200) expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        await res.body?.cancel();
        ac.abort();
      }),
      fcOpts(1500),
    );
    expect(writes).toEqual([]);
  });
});
