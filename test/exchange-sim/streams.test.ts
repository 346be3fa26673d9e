import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createExchangeSim, type ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, KEY, signed, startSim, until, userStream } from './helpers.js';

/** Market streams beyond bookTicker, balanceUpdate and the connection lifetime, over real sockets. */
let sim: ExchangeSim | null = null;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const w of sockets.splice(0)) w.terminate();
  await sim?.close();
  sim = null;
});

type Frame = Record<string, unknown>;
async function listen(url: string): Promise<{ frames: Frame[]; ws: WebSocket }> {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const frames: Frame[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Frame));
  await new Promise((r) => ws.once('open', r));
  return { frames, ws };
}
const tick = (s: ExchangeSim, n = 1) => admin(s, 'POST', '/admin/tick', { n });

describe('exchange-sim market streams', () => {
  it('raw trade and aggTrade frames with Binance field names, one per print, user fills included', async () => {
    const s = (sim = await startSim());
    const trade = await listen(`${s.ws}/ws/btcusdt@trade`);
    const agg = await listen(`${s.ws}/ws/btcusdt@aggTrade`);
    await tick(s, 3);
    await signed(s, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01' });
    await until('4 trades', () => trade.frames.length >= 4 && agg.frames.length >= 4);
    for (const f of trade.frames) {
      expect(Object.keys(f).sort()).toEqual(['E', 'M', 'T', 'e', 'm', 'p', 'q', 's', 't']);
      expect(f).toMatchObject({ e: 'trade', s: 'BTCUSDT', p: expect.stringMatching(/^\d+\.\d{8}$/), q: expect.stringMatching(/^\d+\.\d{8}$/) });
    }
    const ids = trade.frames.map((f) => f['t'] as number);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    // The user's MARKET SELL took the bids: the buyer was the maker.
    expect(trade.frames.at(-1)).toMatchObject({ q: '0.01000000', m: true });
    expect(agg.frames.at(-1)).toMatchObject({ e: 'aggTrade', s: 'BTCUSDT', a: ids.at(-1), f: ids.at(-1), l: ids.at(-1), q: '0.01000000', m: true });
    expect(trade.frames.filter((f) => f['s'] !== 'BTCUSDT')).toEqual([]);
  });

  it('combined stream: kline_1m with bar fields (x false while open), depth5 partial book, bookTicker; names echoed as subscribed', async () => {
    const s = (sim = await startSim());
    await admin(s, 'POST', '/admin/liquidity', { symbol: 'ETHUSDT', qty: '1.5', levels: 7 });
    const c = await listen(`${s.ws}/stream?streams=ethusdt@kline_1m/ethusdt@depth5/ethusdt@depth10@100ms/ethusdt@bookTicker`);
    await tick(s, 2);
    await until('frames of every stream', () => new Set(c.frames.map((f) => f['stream'])).size === 4);
    const by = (name: string) => c.frames.filter((f) => f['stream'] === name).map((f) => f['data'] as Frame);
    const k = by('ethusdt@kline_1m').at(-1)!;
    expect(k).toMatchObject({ e: 'kline', s: 'ETHUSDT' });
    const bar = k['k'] as Frame;
    expect(Object.keys(bar).sort()).toEqual(['B', 'L', 'Q', 'T', 'V', 'c', 'f', 'h', 'i', 'l', 'n', 'o', 'q', 's', 't', 'v', 'x']);
    expect(bar).toMatchObject({ i: '1m', s: 'ETHUSDT', x: false });
    expect((bar['t'] as number) % 60_000).toBe(0);
    expect(bar['T']).toBe((bar['t'] as number) + 59_999);
    expect(Number(bar['h'])).toBeGreaterThanOrEqual(Number(bar['l']));
    expect(bar['n']).toBeGreaterThanOrEqual(2); // the two ticks' prints
    const d5 = by('ethusdt@depth5').at(-1)!;
    expect(Object.keys(d5).sort()).toEqual(['asks', 'bids', 'lastUpdateId']);
    expect((d5['bids'] as string[][]).length).toBe(5);
    expect((d5['asks'] as string[][])[0]).toEqual([expect.stringMatching(/^\d+\.\d{8}$/), '1.50000000']);
    expect((by('ethusdt@depth10@100ms').at(-1)!['asks'] as unknown[]).length).toBe(7);
    const bt = by('ethusdt@bookTicker').at(-1)!;
    expect(bt['a']).toBe((d5['asks'] as string[][])[0]![0]);
    // REST klines come from the same bars.
    const rest = (await (await fetch(`${s.rest}/api/v3/klines?symbol=ETHUSDT&interval=1m&limit=1`)).json()) as unknown[][];
    expect(rest[0]![0]).toBe(bar['t']);
    expect(await (await fetch(`${s.rest}/api/v3/klines?symbol=ETHUSDT&interval=7m`)).json()).toEqual({ code: -1120, msg: 'Invalid interval.' });
    expect(await (await fetch(`${s.rest}/api/v3/klines?symbol=ETHUSDT`)).json()).toMatchObject({ code: -1102 });
  });

  it('a bar is sent once more with x true when its interval ends, and the next opens at its close', async () => {
    const s = (sim = await startSim());
    const k = await listen(`${s.ws}/ws/bnbusdt@kline_1s`);
    const closed = await until(
      'a closed 1s bar',
      async () => {
        await tick(s);
        return k.frames.map((f) => f['k'] as Frame).find((b) => b['x'] === true);
      },
      10_000,
    );
    expect(closed).toMatchObject({ i: '1s', s: 'BNBUSDT', x: true });
    const next = await until('the next bar', async () => {
      await tick(s);
      return k.frames.map((f) => f['k'] as Frame).find((b) => (b['t'] as number) > (closed['t'] as number));
    });
    expect(next['t']).toBeGreaterThan(closed['T'] as number);
    expect(next['o']).toBe(closed['c']);
  });

  it('live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS on a bare /ws connection', async () => {
    const s = (sim = await startSim());
    const c = await listen(`${s.ws}/ws`);
    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@bookTicker'], id: 1 }));
    await until('ack', () => c.frames.find((f) => f['id'] === 1));
    expect(c.frames[0]).toEqual({ result: null, id: 1 });
    c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 2 }));
    expect(await until('list', () => c.frames.find((f) => f['id'] === 2))).toEqual({ result: ['btcusdt@bookTicker'], id: 2 });
    await tick(s);
    await until('a book frame', () => c.frames.find((f) => f['s'] === 'BTCUSDT'));
    c.ws.send(JSON.stringify({ method: 'UNSUBSCRIBE', params: ['btcusdt@bookTicker'], id: 3 }));
    await until('unsubscribed', () => c.frames.find((f) => f['id'] === 3));
    const n = c.frames.length;
    await tick(s);
    c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 4 }));
    await until('list', () => c.frames.find((f) => f['id'] === 4));
    expect(c.frames.slice(n)).toEqual([{ result: [], id: 4 }]);
  });

  it('balanceUpdate on the user stream when an admin edit changes a balance, then the position', async () => {
    const s = (sim = await startSim());
    const us = await userStream(s);
    await admin(s, 'POST', '/admin/balance', { apiKey: KEY.apiKey, asset: 'USDT', free: '10250.5' });
    await admin(s, 'POST', '/admin/balance', { apiKey: KEY.apiKey, asset: 'USDT', free: '10250.5' }); // no change: no event
    await admin(s, 'POST', '/admin/balance', { apiKey: KEY.apiKey, asset: 'BTC', free: '0.25' });
    await until('two updates', () => us.events.filter((e) => e['e'] === 'balanceUpdate').length >= 2);
    us.close();
    const ups = us.events.filter((e) => e['e'] === 'balanceUpdate');
    expect(ups.map((e) => [e['a'], e['d']])).toEqual([
      ['USDT', '250.50000000'],
      ['BTC', '-0.25000000'],
    ]);
    expect(typeof ups[0]!['T']).toBe('number');
    const pos = us.events.filter((e) => e['e'] === 'outboundAccountPosition');
    expect(pos[0]).toMatchObject({ B: [{ a: 'USDT', f: '10250.50000000', l: '0.00000000' }] });
  });

  it('serverShutdown when the venue goes down, raw and combined', async () => {
    const s = await startSim();
    const raw = await listen(`${s.ws}/ws/btcusdt@trade`);
    const comb = await listen(`${s.ws}/stream?streams=btcusdt@trade`);
    const codes = [raw, comb].map((c) => new Promise<number>((r) => c.ws.on('close', (code) => r(code))));
    await s.close();
    expect(await Promise.all(codes)).toEqual([1001, 1001]);
    expect(raw.frames).toEqual([{ e: 'serverShutdown', E: expect.any(Number) }]);
    expect(comb.frames).toEqual([{ stream: '!serverShutdown', data: { e: 'serverShutdown', E: expect.any(Number) } }]);
  });

  it('closes market and WebSocket-API connections that reach the configured lifetime', async () => {
    const s = (sim = await createExchangeSim({ keys: [{ ...KEY }], seed: 3, tickMs: 60_000, wsLifetimeMs: 300 }));
    const closes = [`${s.ws}/ws/btcusdt@trade`, `${s.ws}/ws-api/v3`].map(
      (url) =>
        new Promise<[number, string]>((resolve) => {
          const ws = new WebSocket(url);
          sockets.push(ws);
          ws.on('close', (code, reason) => resolve([code, reason.toString()]));
        }),
    );
    expect(await Promise.all(closes)).toEqual([
      [1000, 'connection lifetime reached'],
      [1000, 'connection lifetime reached'],
    ]);
  });
});
