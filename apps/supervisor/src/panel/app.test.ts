import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { registerSecret } from '@vigil/core';
import { createPanelApp } from './app.js';
import { PANEL_MAX_CONNECTIONS, startPanel } from './server.js';

const source = { status: () => ({ mode: 'PAUSE', run_id: 'run_t' }), health: () => ({ mode: 'PAUSE' }) };
const app = createPanelApp(source, () => 8787);
const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers: { host: '127.0.0.1:8787', ...headers } });

describe('panel app', () => {
  it('mounts GET routes only (enumerated from the app itself)', () => {
    const methods = new Set(app.routes.map((r) => r.method));
    // `ALL` is the guard middleware (app.use), which refuses every non-GET method before routing.
    expect([...methods].filter((m) => m !== 'ALL')).toEqual(['GET']);
  });

  it('mounts every section the dashboard reads, and its assets', () => {
    const paths = new Set(app.routes.filter((r) => r.method === 'GET').map((r) => r.path));
    for (const p of [
      '/dashboard',
      '/api/status',
      '/api/health',
      '/api/alerts',
      '/api/signals',
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
      '/assets/dashboard.js',
      '/assets/charts.js',
      '/assets/dashboard.css',
    ]) {
      expect(paths.has(p), p).toBe(true);
    }
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('answers %s with 405 on every mounted path (enumerated from the app) and on unknown ones', async (method) => {
    const mounted = app.routes.filter((r) => r.method === 'GET').map((r) => r.path);
    expect(mounted.length).toBeGreaterThan(15);
    for (const path of [...mounted, '/api/anything']) {
      const r = await app.request(path, { method, headers: { host: '127.0.0.1:8787' } });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('serves the dashboard with a strict CSP and no inline script', async () => {
    const r = await get('/dashboard');
    expect(r.status).toBe(200);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    const html = await r.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).toContain('src="/assets/dashboard.js"');
  });

  it.each([
    ['evil.example:8787', 403],
    ['127.0.0.1:9999', 403],
    ['localhost:8787', 200],
    ['[::1]:8787', 200],
    ['127.0.0.1.nip.io:8787', 403],
  ])('Host %s -> %i', async (host, status) => {
    expect((await app.request('/api/status', { headers: { host } })).status).toBe(status);
  });

  it('refuses a foreign Host on every mounted route', async () => {
    for (const r of app.routes.filter((x) => x.method === 'GET')) {
      const res = await app.request(r.path, { headers: { host: 'attacker.example:8787' } });
      expect(res.status, r.path).toBe(403);
    }
  });

  it('serves the chart and dashboard scripts as files, with a JavaScript type', async () => {
    for (const f of ['dashboard.js', 'charts.js']) {
      const r = await get(`/assets/${f}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('text/javascript');
      // Offline by construction: no script or stylesheet from anywhere but this process.
      expect(await r.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    }
    const html = await (await get('/dashboard')).text();
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('refuses cross-site requests by Origin or Sec-Fetch-Site', async () => {
    expect((await get('/api/status', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await get('/api/status', { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await get('/api/status', { origin: 'http://127.0.0.1:8787', 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('refusals (405, foreign Host, cross-site) carry the same security headers as served pages', async () => {
    for (const res of [
      await app.request('/api/status', { method: 'POST', headers: { host: '127.0.0.1:8787' } }),
      await app.request('/dashboard', { headers: { host: 'evil.example' } }),
      await get('/api/status', { 'sec-fetch-site': 'cross-site' }),
    ]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('live-update streams: at most maxStreams open at once (503 PANEL_STREAMS_FULL past it, a slot freed when one closes), and one status serialization shared by the streams that wake together', async () => {
    let calls = 0;
    const counted = createPanelApp({ status: () => (calls++, { mode: 'NORMAL' }), health: () => ({}) }, () => 8787, { maxStreams: 3, now: () => 1000 });
    const open = () => {
      const ac = new AbortController();
      return { ac, res: counted.request('/api/stream', { headers: { host: '127.0.0.1:8787' }, signal: ac.signal }) };
    };
    const held = [open(), open(), open()];
    const first = await Promise.all(held.map(async (h) => (await h.res).status));
    expect(first).toEqual([200, 200, 200]);
    // Each stream's first frame is out: one status() call served all three (the clock stands still).
    const readers = await Promise.all(held.map(async (h) => (await h.res).body!.getReader()));
    for (const r of readers) expect(new TextDecoder().decode((await r.read()).value)).toContain('"mode":"NORMAL"');
    expect(calls).toBe(1);
    const refused = await open().res;
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: 'PANEL_STREAMS_FULL' });
    held[0]!.ac.abort();
    await readers[0]!.cancel().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
    const again = open();
    expect((await again.res).status).toBe(200);
    for (const h of [...held.slice(1), again]) h.ac.abort();
    for (const r of readers.slice(1)) await r.cancel().catch(() => undefined);
  });

  it('every answer passes the redactor: a reason detail quoting a registered secret or a signed query string is shown [REDACTED] in /api/status and the stream', async () => {
    registerSecret('PRBpanelCanary0123456789');
    const leaky = {
      status: () => ({
        mode: 'DEGRADE',
        reasons: [{ code: 'USER_STREAM_DOWN', detail: { why: 'logon refused: apiKey PRBpanelCanary0123456789 signature=0a1b2c3d4e5f' } }],
      }),
      health: () => ({}),
    };
    const a = createPanelApp(leaky, () => 8787);
    const body = await (await a.request('/api/status', { headers: { host: '127.0.0.1:8787' } })).text();
    expect(body).not.toContain('PRBpanelCanary');
    expect(body).not.toContain('0a1b2c3d4e5f');
    expect(body).toContain('[REDACTED]');
    const ac = new AbortController();
    const res = await a.request('/api/stream', { headers: { host: '127.0.0.1:8787' }, signal: ac.signal });
    const reader = res.body!.getReader();
    const frame = new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    await reader.cancel().catch(() => undefined);
    expect(frame).not.toContain('PRBpanelCanary');
    expect(frame).toContain('[REDACTED]');
  });

  it('serves JSON status', async () => {
    const r = await get('/api/status');
    expect(await r.json()).toEqual({ mode: 'PAUSE', run_id: 'run_t' });
  });
});

describe('panel server', () => {
  it('refuses a non-loopback bind', async () => {
    await expect(startPanel(source, '0.0.0.0', 0)).rejects.toMatchObject({ code: 'PANEL_BIND_REFUSED' });
  });
  it('refuses a foreign Host over a real socket (DNS rebinding), answers loopback', async () => {
    const p = await startPanel(source, '127.0.0.1', 0);
    try {
      const status = (host: string): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port: p.port, path: '/api/status', method: 'GET', headers: { host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
      expect(await status('rebind.example:' + p.port)).toBe(403);
      expect(await status('127.0.0.1:' + p.port)).toBe(200);
      const del = await fetch(`${p.url}/api/status`, { method: 'DELETE' });
      expect(del.status).toBe(405);
    } finally {
      await p.close();
    }
  });
  it.each(['0.0.0.0', '::', '192.168.1.10', 'example.com'])('refuses to bind %s', async (host) => {
    await expect(startPanel(source, host, 0)).rejects.toMatchObject({ code: 'PANEL_BIND_REFUSED' });
  });
  it('drops a connection past PANEL_MAX_CONNECTIONS on accept', async () => {
    const p = await startPanel(source, '127.0.0.1', 0);
    try {
      // A connection past the bound is dropped on accept: open the bound's worth, then one more.
      const { connect } = await import('node:net');
      const socks = await Promise.all(
        Array.from(
          { length: PANEL_MAX_CONNECTIONS },
          () =>
            new Promise<import('node:net').Socket>((r) => {
              const s = connect(p.port, '127.0.0.1', () => r(s));
            }),
        ),
      );
      const extra = connect(p.port, '127.0.0.1');
      const closed = await new Promise<boolean>((r) => {
        extra.on('close', () => r(true));
        extra.on('error', () => r(true));
        setTimeout(() => r(false), 3000);
      });
      expect(closed).toBe(true);
      for (const s of socks) s.destroy();
    } finally {
      await p.close();
    }
  });
  it('binds loopback and answers over a real socket', async () => {
    const p = await startPanel(source, '127.0.0.1', 0);
    try {
      const r = await fetch(`${p.url}/api/health`);
      expect(r.status).toBe(200);
    } finally {
      await p.close();
    }
  });
});
