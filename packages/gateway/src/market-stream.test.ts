import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import type { JsonObject, ReasonCode } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { MAX_WS_FRAME_BYTES, MarketStream, type BookTick } from './market-stream.js';

/**
 * Against a real WebSocket server on loopback that misbehaves on command (the venue's stream faults
 * are also exercised against apps/exchange-sim). Clocks are real but bounds are small.
 */
const servers: WebSocketServer[] = [];
const streams: MarketStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.stop();
  for (const w of servers.splice(0)) await new Promise((r) => w.close(r));
});

async function setup(opts: { silent?: boolean; staleMs?: number } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as AddressInfo).port;
  const clients: ServerSocket[] = [];
  const paths: string[] = [];
  wss.on('connection', (ws, req) => {
    clients.push(ws);
    paths.push(req.url ?? '');
    if (!opts.silent) ws.send(JSON.stringify({ stream: 'btcusdt@bookTicker', data: { u: 1, s: 'BTCUSDT', b: '64000.10', B: '1.5', a: '64000.20', A: '2' } }));
  });
  const r = parseConfig({
    exchange: {
      ws_market_url: `ws://127.0.0.1:${port}`,
      symbols: ['BTCUSDT', 'ETHUSDT'],
      ws_stale_ms: opts.staleMs ?? 300,
      ws_reconnect_backoff_initial_ms: 10,
      ws_reconnect_backoff_max_ms: 40,
      ws_reconnects_per_min_unstable: 2,
    },
  });
  if (!r.ok) throw new Error('config');
  const reasons = new Map<ReasonCode, JsonObject>();
  // Every raise and clear in order: a reason raised and cleared quickly is still seen.
  const history: { code: ReasonCode; on: boolean; detail: JsonObject }[] = [];
  const ticks: BookTick[] = [];
  const gaps: string[] = [];
  const s = new MarketStream({
    cfg: r.config.exchange,
    now: Date.now,
    reason: (code, on, detail) => {
      history.push({ code, on, detail });
      return on ? reasons.set(code, detail) : reasons.delete(code);
    },
    onTick: (t) => ticks.push(t),
    onGap: (why) => gaps.push(why),
    random: () => 0.5,
  });
  streams.push(s);
  return { s, reasons, history, ticks, gaps, clients, paths };
}

const until = async (what: string, fn: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('MarketStream', () => {
  it('serverShutdown (bare or combined): reconnects on a new connection at once, not counted as a bad frame', async () => {
    const h = await setup();
    h.s.start();
    await until('a tick', () => h.ticks.length === 1);
    h.clients[0]!.send(JSON.stringify({ e: 'serverShutdown', E: 1 }));
    await until('second connection', () => h.clients.length === 2 && h.ticks.length === 2);
    h.clients[1]!.send(JSON.stringify({ stream: 'x', data: { e: 'serverShutdown', E: 2 } }));
    await until('third connection', () => h.clients.length === 3 && h.ticks.length === 3);
    expect(h.s.badFrames).toBe(0);
  });

  it('subscribes to the combined bookTicker streams and delivers typed ticks with decimal strings', async () => {
    const h = await setup();
    h.s.start();
    await until('a tick', () => h.ticks.length === 1);
    expect(h.paths[0]).toBe('/stream?streams=btcusdt@bookTicker/ethusdt@bookTicker');
    expect(h.ticks[0]).toMatchObject({ symbol: 'BTCUSDT', bid: '64000.10', ask: '64000.20', update_id: 1 });
    expect(h.gaps).toEqual(['start']);
  });

  it('counts and drops malformed frames without failing', async () => {
    const h = await setup();
    h.s.start();
    await until('connected', () => h.clients.length === 1 && h.ticks.length === 1);
    const c = h.clients[0]!;
    c.send('not json');
    c.send(JSON.stringify({ stream: 'x', data: { u: 2, s: 'BTCUSDT', b: 64000.1, B: '1', a: '1', A: '1' } }));
    c.send(JSON.stringify({ result: null, id: 1 }));
    c.send(JSON.stringify({ stream: 'btcusdt@bookTicker', data: { u: 3, s: 'BTCUSDT', b: '1.0', B: '1', a: '2.0', A: '1' } }));
    await until('the good tick', () => h.ticks.length === 2);
    expect(h.s.badFrames).toBe(3);
  });

  it('a frame larger than MAX_WS_FRAME_BYTES is not taken: the connection is dropped (1009), the stream reconnects and reports a gap, the next tick is delivered', async () => {
    // Not stale while 4 MiB crosses a loaded machine: the frame's size must be what drops it.
    const h = await setup({ staleMs: 10_000 });
    h.s.start();
    await until('connected', () => h.clients.length === 1 && h.ticks.length === 1);
    const c = h.clients[0]!;
    c.on('error', () => undefined);
    c.send(JSON.stringify({ stream: 'btcusdt@bookTicker', data: { pad: 'x'.repeat(MAX_WS_FRAME_BYTES) } }));
    await until('reconnected', () => h.clients.length === 2 && h.s.state === 'CONNECTED' && h.ticks.length === 2, 10_000);
    expect(h.gaps[1]).toMatch(/1009|Max payload/i);
  });

  it('raises WS_DISCONNECTED when the venue drops the connection, reconnects, clears it and reports a gap', async () => {
    const h = await setup();
    h.s.start();
    await until('connected', () => h.clients.length === 1 && h.s.state === 'CONNECTED');
    const mark = h.history.length;
    h.clients[0]!.terminate();
    await until('reconnected', () => h.clients.length === 2 && h.s.state === 'CONNECTED' && h.gaps.length === 2);
    const after = h.history.slice(mark).filter((x) => x.code === 'WS_DISCONNECTED');
    // Raised (with why and where) when the venue dropped us, then cleared by the reconnection.
    const raised = after.findIndex((x) => x.on);
    expect(raised).toBeGreaterThanOrEqual(0);
    expect(after[raised]!.detail).toMatchObject({ why: expect.stringMatching(/closed|error/), url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:/) });
    expect(after.slice(raised + 1).some((x) => !x.on)).toBe(true);
    expect(h.reasons.has('WS_DISCONNECTED')).toBe(false);
    expect(h.gaps[1]).toMatch(/closed|error/);
  });

  it('drops and counts quotes nothing may be priced on: a crossed book, a zero price, a symbol not subscribed or spelt otherwise, an update id below the last; the same id again is taken', async () => {
    const h = await setup();
    h.s.start();
    await until('connected', () => h.clients.length === 1 && h.ticks.length === 1);
    const tick = (data: Record<string, unknown>) =>
      h.clients[0]!.send(
        JSON.stringify({ stream: 'btcusdt@bookTicker', data: { u: 200, s: 'BTCUSDT', b: '64000.10', B: '1', a: '64000.20', A: '1', ...data } }),
      );
    tick({ u: 300 });
    await until('u 300', () => h.ticks.length === 2);
    const before = h.s.badFrames;
    for (const bad of [{ b: '65000.00', a: '64000.00' }, { b: '0', a: '0' }, { s: 'DOGEUSDT' }, { s: 'btcusdt' }, { u: 250 }]) tick({ u: 301, ...bad });
    tick({ u: 300 });
    tick({ u: 302, b: '64000.30', a: '64000.40' });
    await until('u 302', () => h.ticks.some((t) => t.update_id === 302));
    expect(h.ticks.map((t) => t.update_id)).toEqual([1, 300, 300, 302]);
    expect(h.s.badFrames - before).toBe(5);
  });

  it("frames that carry no usable quote are no sign of life: only garbage and others' symbols arriving, WS_STALE is raised and the stream reconnects", async () => {
    const h = await setup();
    h.s.start();
    await until('connected', () => h.clients.length === 1 && h.ticks.length === 1);
    const c = h.clients[0]!;
    const noise = setInterval(() => {
      c.send('x');
      c.send(JSON.stringify({ stream: 'dogeusdt@bookTicker', data: { u: 5, s: 'DOGEUSDT', b: '0.1', B: '1', a: '0.2', A: '1' } }));
    }, 50);
    try {
      await until('stale and reconnected', () => h.history.some((x) => x.code === 'WS_STALE' && x.on) && h.clients.length >= 2, 5000);
    } finally {
      clearInterval(noise);
    }
  });

  it('treats a silent stream as stale: WS_STALE, drop, reconnect', async () => {
    const h = await setup({ silent: true });
    h.s.start();
    await until('stale', () => h.reasons.has('WS_STALE'), 3000);
    expect(h.reasons.get('WS_STALE')).toMatchObject({ ws_stale_ms: 300 });
    await until('reconnected', () => h.clients.length >= 2);
  });

  it('stops cleanly while its connection is still in the handshake (seen as an uncaught error under load)', async () => {
    // A TCP server that accepts and never answers the upgrade: the socket stays CONNECTING.
    const tcp = createServer(() => {});
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    const port = (tcp.address() as AddressInfo).port;
    const r = parseConfig({ exchange: { ws_market_url: `ws://127.0.0.1:${port}`, symbols: ['BTCUSDT'] } });
    if (!r.ok) throw new Error('config');
    const s = new MarketStream({ cfg: r.config.exchange, now: Date.now, reason: () => {}, onTick: () => {}, onGap: () => {}, random: () => 0.5 });
    try {
      s.start();
      await new Promise((res) => setTimeout(res, 50));
      s.stop();
      // The abort's 'error' arrives on a later turn: it must find a listener.
      await new Promise((res) => setTimeout(res, 100));
      expect(s.state).toBe('STOPPED');
    } finally {
      tcp.close();
    }
  });

  it('raises WS_UNSTABLE when it reconnects too often within a minute', async () => {
    const h = await setup();
    h.s.start();
    for (let i = 1; i <= 3; i++) {
      await until(`connection ${i}`, () => h.clients.length === i && h.s.state === 'CONNECTED');
      h.clients[i - 1]!.terminate();
    }
    await until('unstable', () => h.reasons.has('WS_UNSTABLE'));
    expect(h.reasons.get('WS_UNSTABLE')).toMatchObject({ limit: 2 });
  });
});
