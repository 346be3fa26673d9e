import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import type { JsonObject, ReasonCode, UserEvent } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { UserStream } from './user-stream.js';

/**
 * The user stream against a WebSocket API that answers as a broken or hostile venue would (found by
 * a probe: a refusal whose fields were objects killed the gateway thread; signed quantities reached
 * the ledger; a subscription that never answered left the stream waiting with nothing raised).
 */
const servers: WebSocketServer[] = [];
const streams: UserStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.stop();
  await Promise.all(servers.splice(0).map((w) => new Promise<void>((r) => w.close(() => r()))));
});

type Answer = (ws: ServerSocket, req: { id: string; method: string }) => void;

async function setup(answer: Answer) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  const sockets: ServerSocket[] = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (raw) => answer(ws, JSON.parse(raw.toString()) as { id: string; method: string }));
  });
  const r = parseConfig({
    exchange: {
      ws_api_url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      ws_stale_ms: 300,
      ws_reconnect_backoff_initial_ms: 20,
      ws_reconnect_backoff_max_ms: 40,
    },
  });
  if (!r.ok) throw new Error('config');
  const reasons = new Map<ReasonCode, JsonObject>();
  const events: UserEvent[] = [];
  const gaps: string[] = [];
  const s = new UserStream({
    cfg: r.config.exchange,
    apiKey: 'probe-api-key-0123456789',
    secret: 'probe-secret-0123456789',
    exchangeNow: () => Date.now(),
    reason: (c, on, d) => void (on ? reasons.set(c, d) : reasons.delete(c)),
    onEvent: (e) => events.push(e),
    onGap: (w) => gaps.push(w),
  });
  streams.push(s);
  s.start();
  return { s, reasons, events, gaps, sockets };
}

const until = async (what: string, fn: () => boolean, ms = 4000): Promise<void> => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

const ok: Answer = (ws, req) => ws.send(JSON.stringify({ id: req.id, status: 200, result: {} }));

const report = (over: Record<string, unknown>): string =>
  JSON.stringify({
    event: {
      e: 'executionReport',
      E: 1,
      s: 'BTCUSDT',
      c: 'vgeprobe0000000000000000000000000000',
      S: 'BUY',
      o: 'LIMIT',
      q: '0.01000000',
      p: '64000.00',
      x: 'TRADE',
      X: 'PARTIALLY_FILLED',
      i: 7,
      l: '0.00100000',
      z: '0.00100000',
      L: '64000.00',
      n: '0.00000100',
      N: 'BTC',
      T: 2,
      t: 99,
      Z: '64.00',
      ...over,
    },
  });

describe('user stream: hostile answers and frames', () => {
  it('a refusal whose error code and msg are objects (no usable toString) is read as no code: USER_STREAM_UNSTABLE, no throw, a new connection', async () => {
    const h = await setup((ws, req) => ws.send(JSON.stringify({ id: req.id, status: 400, error: { code: { toString: 1 }, msg: { toString: 1 } } })));
    await until('a second connection', () => h.sockets.length >= 2);
    expect(h.reasons.get('USER_STREAM_UNSTABLE')).toMatchObject({ code: 0, msg: '' });
  });

  it('no answer to the subscription within ws_stale_ms: USER_STREAM_UNSTABLE naming it, a gap, a new connection', async () => {
    const h = await setup(() => undefined);
    await until('a second connection', () => h.sockets.length >= 2);
    expect(String(h.reasons.get('USER_STREAM_UNSTABLE')?.['why'])).toMatch(/no answer to userDataStream\.subscribe\.signature within 300 ms/);
    expect(h.gaps.some((g) => g.startsWith('no answer'))).toBe(true);
  });

  it('a status frame with another id is no answer; once subscribed, a stray 400 does not tear the subscription down', async () => {
    const h = await setup((ws, req) => {
      ws.send(JSON.stringify({ id: 'someone-else', status: 200, result: {} }));
      setTimeout(() => ok(ws, req), 30);
    });
    await until('subscribed', () => h.s.state === 'SUBSCRIBED');
    expect(h.gaps).toEqual(['start']);
    h.sockets[0]!.send(JSON.stringify({ id: 'x', status: 400, error: { code: -1099, msg: 'stray' } }));
    h.sockets[0]!.send(JSON.stringify({ id: 'y', status: 200, result: {} }));
    await new Promise((r) => setTimeout(r, 100));
    expect(h.s.state).toBe('SUBSCRIBED');
    expect(h.gaps).toEqual(['start']);
    expect(h.sockets).toHaveLength(1);
    expect(h.reasons.has('USER_STREAM_UNSTABLE')).toBe(false);
  });

  it('executionReports with a signed quantity, price or commission, a commission in no asset, a fill above the cumulative or the cumulative above the order, or a TRADE without its id are not passed on; each naming our order is a gap', async () => {
    const h = await setup(ok);
    await until('subscribed', () => h.s.state === 'SUBSCRIBED');
    const bad = [
      { l: '-0.02' },
      { q: '-1', p: '-64000' },
      { L: '-64000.00' },
      { n: '-0.5' },
      { N: null },
      { l: '0.05', z: '0.00100000' },
      { z: '0.05' },
      { t: undefined },
    ];
    for (const b of bad) h.sockets[0]!.send(report(b));
    h.sockets[0]!.send(report({}));
    await until('the good report', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ kind: 'order', last_qty: '0.00100000', commission: '0.00000100' });
    expect(h.gaps.filter((g) => g.includes('not understood'))).toHaveLength(bad.length);
  });

  it('a negative balance in outboundAccountPosition is not passed on; a negative balanceUpdate delta (a withdrawal) is, "--1" is not', async () => {
    const h = await setup(ok);
    await until('subscribed', () => h.s.state === 'SUBSCRIBED');
    const ws = h.sockets[0]!;
    ws.send(JSON.stringify({ event: { e: 'outboundAccountPosition', E: 1, B: [{ a: 'BTC', f: '-5', l: '0' }] } }));
    ws.send(JSON.stringify({ event: { e: 'balanceUpdate', E: 1, a: 'USDT', d: '--1', T: 1 } }));
    ws.send(JSON.stringify({ event: { e: 'balanceUpdate', E: 1, a: 'USDT', d: '-10.5', T: 2 } }));
    await until('the withdrawal', () => h.events.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.events).toEqual([{ kind: 'balance_delta', asset: 'USDT', delta: '-10.5', ts_ms: 2 }]);
  });
});
