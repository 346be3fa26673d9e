import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, signed, startSim } from './helpers.js';

let sim: ExchangeSim | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});
const up = async () => (sim = await startSim());
const order = (s: ExchangeSim, cid: string) =>
  signed(s, 'POST', '/api/v3/order', {
    symbol: 'BTCUSDT',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    quantity: '0.001',
    price: '60000',
    newClientOrderId: cid,
  });

describe('exchange-sim faults, seen from an ordinary client', () => {
  it('drop_response_after_execute: the client gets a socket error, yet the order exists', async () => {
    const s = await up();
    await admin(s, 'POST', '/admin/faults', { kind: 'drop_response_after_execute', once: true, route: 'POST /api/v3/order' });
    await expect(order(s, 'lost1')).rejects.toThrow();
    expect((await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'lost1' })).body).toMatchObject({
      status: 'NEW',
      clientOrderId: 'lost1',
    });
    const log = (await admin(s, 'GET', '/admin/faults/log')) as { log: { kind: string }[] };
    expect(log.log.map((l) => l.kind)).toEqual(['drop_response_after_execute']);
  });

  it('-1007 and 5xx, with and without execution', async () => {
    const s = await up();
    await admin(s, 'POST', '/admin/faults', { kind: 'error_1007', once: true, execute: true });
    const r = await order(s, 'u1007');
    expect(r.status).toBe(500);
    expect(r.body).toMatchObject({ code: -1007 });
    expect((await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'u1007' })).body).toMatchObject({ status: 'NEW' });
    await admin(s, 'POST', '/admin/faults', { kind: 'http_5xx', once: true, execute: false, status: 502 });
    expect((await order(s, 'u5xx')).status).toBe(502);
    expect((await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'u5xx' })).body).toMatchObject({ code: -2013 });
  });

  it('query_not_found: a just-placed order is briefly reported absent', async () => {
    const s = await up();
    await admin(s, 'POST', '/admin/faults', { kind: 'query_not_found', ms: 60_000 });
    await order(s, 'lag1');
    expect((await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'lag1' })).body).toMatchObject({ code: -2013 });
    await admin(s, 'DELETE', '/admin/faults');
    expect((await signed(s, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'lag1' })).body).toMatchObject({ status: 'NEW' });
  });

  it('429 with Retry-After, then 418 for a client that keeps going', async () => {
    const s = await up();
    await admin(s, 'POST', '/admin/faults', { kind: 'rate_limit_429', once: true, ms: 30_000 });
    const first = await fetch(`${s.rest}/api/v3/time`);
    expect(first.status).toBe(429);
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await first.json()) as { code: number }).code).toBe(-1003);
    let last = 0;
    for (let i = 0; i < 5; i++) last = (await fetch(`${s.rest}/api/v3/time`)).status;
    expect(last).toBe(418);
  });

  it('clock skew makes signed requests fail with -1021', async () => {
    const s = await up();
    await admin(s, 'POST', '/admin/faults', { kind: 'clock_skew', ms: -20_000 });
    expect((await signed(s, 'GET', '/api/v3/account', {})).body).toMatchObject({ code: -1021 });
  });

  it('symbol status change: a halted symbol refuses orders and says so in exchangeInfo', async () => {
    const s = await up();
    await admin(s, 'POST', '/admin/symbol', { symbol: 'BTCUSDT', status: 'HALT' });
    const info = (await (await fetch(`${s.rest}/api/v3/exchangeInfo?symbol=BTCUSDT`)).json()) as { symbols: { status: string }[] };
    expect(info.symbols[0]!.status).toBe('HALT');
    expect((await order(s, 'halted')).body).toMatchObject({ code: -1013 });
  });

  it('market streams: combined bookTicker frames, then a silent stall, then a disconnect', async () => {
    const s = await up();
    const ws = new WebSocket(`${s.ws}/stream?streams=btcusdt@bookTicker`);
    const frames: { stream: string; data: { s: string; b: string } }[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as (typeof frames)[number]));
    await new Promise((r) => ws.once('open', r));
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '65000' });
    await new Promise((r) => setTimeout(r, 50));
    expect(frames.at(-1)).toMatchObject({ stream: 'btcusdt@bookTicker', data: { s: 'BTCUSDT' } });
    await admin(s, 'POST', '/admin/faults', { kind: 'ws_stall' });
    const n = frames.length;
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '65100' });
    await new Promise((r) => setTimeout(r, 50));
    expect(frames.length).toBe(n);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    await admin(s, 'DELETE', '/admin/faults');
    await admin(s, 'POST', '/admin/faults', { kind: 'ws_disconnect', once: true });
    const closed = new Promise((r) => ws.once('close', r));
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '65200' });
    await closed;
  });
});
