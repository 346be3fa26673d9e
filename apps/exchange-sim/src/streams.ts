import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { fmt, mul, type Fx } from './decimal.js';
import type { Exchange, TradePrint } from './exchange.js';
import type { Faults } from './faults.js';
import { depthLevels } from './rest.js';

/**
 * Market streams as Binance serves them: raw `/ws/<stream>` (and bare `/ws` with SUBSCRIBE) and
 * combined `/stream?streams=a/b` (`{stream, data}`), for `<symbol>@bookTicker`, `@trade`,
 * `@aggTrade`, `@kline_<interval>` and `@depth<5|10|20>[@100ms]`. Trades go out as they happen;
 * book, depth and kline frames once per tick. Klines are built from the tape (the market's prints
 * and the users' fills) and a bar is sent once more with `x: true` when its interval ends.
 */
export const KLINE_INTERVALS: Readonly<Record<string, number>> = {
  '1s': 1_000,
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '8h': 28_800_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
  '3d': 259_200_000,
};
const INTERVALS: readonly (readonly [string, number])[] = Object.entries(KLINE_INTERVALS);
/** Closed bars kept per symbol and interval for GET /api/v3/klines (1500: a day of 1-minute bars for the 24 h ticker). */
const KLINE_HISTORY = 1500;

export interface Bar {
  t: number;
  T: number;
  o: Fx;
  h: Fx;
  l: Fx;
  c: Fx;
  v: Fx;
  q: Fx;
  V: Fx;
  Q: Fx;
  n: number;
  f: number;
  L: number;
}

interface Sub {
  readonly ws: WebSocket;
  /** Lower-cased name -> the name as the client wrote it (combined frames echo it). */
  readonly streams: Map<string, string>;
  readonly combined: boolean;
  alive: boolean;
}

export interface StreamOptions {
  readonly pingMs: number;
  readonly now: () => number;
}

export class MarketStreams {
  private readonly subs = new Set<Sub>();
  /** symbol -> interval -> the open bar. */
  private readonly bars = new Map<string, Map<string, Bar>>();
  private readonly history = new Map<string, Bar[]>();
  private readonly pinger: NodeJS.Timeout;

  constructor(
    private readonly ex: Exchange,
    private readonly faults: Faults,
    private readonly o: StreamOptions,
  ) {
    ex.tradeListeners.push((t) => this.onTrade(t));
    // The venue pings; a client that did not pong by the next ping is dropped.
    this.pinger = setInterval(() => {
      for (const s of this.subs) {
        if (!s.alive) {
          s.ws.terminate();
          this.subs.delete(s);
          continue;
        }
        s.alive = false;
        s.ws.ping();
      }
    }, o.pingMs);
  }

  attach(ws: WebSocket, req: IncomingMessage): void {
    const u = new URL(req.url ?? '/', 'http://x');
    const combined = u.pathname === '/stream';
    const names = combined ? (u.searchParams.get('streams') ?? '').split('/') : [u.pathname.replace(/^\/ws\/?/, '')];
    const sub: Sub = { ws, streams: new Map(names.filter(Boolean).map((n) => [n.toLowerCase(), n])), combined, alive: true };
    this.subs.add(sub);
    ws.on('pong', () => (sub.alive = true));
    ws.on('close', () => this.subs.delete(sub));
    ws.on('error', () => this.subs.delete(sub));
    ws.on('message', (data) => this.control(sub, data.toString()));
  }

  /** SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS, answered `{result, id}`. */
  private control(sub: Sub, text: string): void {
    let m: { method?: unknown; params?: unknown; id?: unknown };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      sub.ws.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' } }));
      return;
    }
    const id = m.id ?? null;
    const params = Array.isArray(m.params) ? m.params.filter((x): x is string => typeof x === 'string') : [];
    if (m.method === 'SUBSCRIBE') for (const n of params) sub.streams.set(n.toLowerCase(), n);
    else if (m.method === 'UNSUBSCRIBE') for (const n of params) sub.streams.delete(n.toLowerCase());
    else if (m.method === 'LIST_SUBSCRIPTIONS') return void sub.ws.send(JSON.stringify({ result: [...sub.streams.values()], id }));
    else return void sub.ws.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: unknown method' }, id }));
    sub.ws.send(JSON.stringify({ result: null, id }));
  }

  /** Sends `data` on `stream` (lower-case) to every subscriber of it. */
  private send(stream: string, data: unknown): void {
    let raw: string | null = null;
    for (const s of this.subs) {
      const name = s.streams.get(stream);
      if (name === undefined) continue;
      if (s.combined) s.ws.send(JSON.stringify({ stream: name, data }));
      else s.ws.send((raw ??= JSON.stringify(data)));
    }
  }

  private wanted(stream: string): boolean {
    for (const s of this.subs) if (s.streams.has(stream)) return true;
    return false;
  }

  private onTrade(t: TradePrint): void {
    const quote = mul(t.qty, t.price);
    for (const [iv, ms] of INTERVALS) this.addToBar(t, quote, iv, ms);
    if (this.faults.peek('ws_stall')) return;
    const sym = t.symbol.toLowerCase();
    const E = this.o.now();
    const common = { s: t.symbol, p: fmt(t.price), q: fmt(t.qty), T: t.time, m: t.buyerMaker, M: true };
    if (this.wanted(`${sym}@trade`))
      this.send(`${sym}@trade`, { e: 'trade', E, s: t.symbol, t: t.id, p: common.p, q: common.q, T: t.time, m: t.buyerMaker, M: true });
    // One aggregate per print: every print here is one taker at one price.
    if (this.wanted(`${sym}@aggtrade`))
      this.send(`${sym}@aggtrade`, { e: 'aggTrade', E, s: t.symbol, a: t.id, p: common.p, q: common.q, f: t.id, l: t.id, T: t.time, m: t.buyerMaker, M: true });
  }

  private addToBar(t: TradePrint, quote: Fx, iv: string, ms: number): void {
    const bar = this.roll(t.symbol, iv, ms, t.time, t.price);
    if (t.price > bar.h) bar.h = t.price;
    if (t.price < bar.l) bar.l = t.price;
    bar.c = t.price;
    bar.v += t.qty;
    bar.q += quote;
    if (!t.buyerMaker) {
      bar.V += t.qty;
      bar.Q += quote;
    }
    if (bar.n === 0) bar.f = t.id;
    bar.L = t.id;
    bar.n++;
  }

  /** The open bar of `iv` at `time`: a bar whose interval ended is closed (sent with x) first. */
  private roll(symbol: string, iv: string, ms: number, time: number, fallback: Fx): Bar {
    let m = this.bars.get(symbol);
    if (!m) this.bars.set(symbol, (m = new Map()));
    let bar = m.get(iv);
    if (bar && time > bar.T) {
      this.closeBar(symbol, iv, bar);
      bar = undefined;
    }
    if (!bar) {
      const prevClose = this.history.get(`${symbol}/${iv}`)?.at(-1)?.c ?? fallback;
      const t0 = Math.floor(time / ms) * ms;
      bar = { t: t0, T: t0 + ms - 1, o: prevClose, h: prevClose, l: prevClose, c: prevClose, v: 0n, q: 0n, V: 0n, Q: 0n, n: 0, f: -1, L: -1 };
      m.set(iv, bar);
    }
    return bar;
  }

  private closeBar(symbol: string, iv: string, bar: Bar): void {
    const key = `${symbol}/${iv}`;
    const h = this.history.get(key) ?? [];
    h.push(bar);
    if (h.length > KLINE_HISTORY) h.splice(0, h.length - KLINE_HISTORY);
    this.history.set(key, h);
    if (!this.faults.peek('ws_stall')) this.sendKline(symbol, iv, bar, true);
  }

  private sendKline(symbol: string, iv: string, b: Bar, closed: boolean): void {
    const stream = `${symbol.toLowerCase()}@kline_${iv}`;
    if (!this.wanted(stream)) return;
    this.send(stream, { e: 'kline', E: this.o.now(), s: symbol, k: klineJson(symbol, iv, b, closed) });
  }

  /** Closed bars then the open one, oldest first, for GET /api/v3/klines. */
  klines(symbol: string, iv: string, now: number): Bar[] {
    const ms = KLINE_INTERVALS[iv];
    if (ms === undefined) return [];
    const open = this.roll(symbol, iv, ms, now, this.ex.books.get(symbol)!.last);
    return [...(this.history.get(`${symbol}/${iv}`) ?? []), open];
  }

  /** Once per tick: bookTicker, partial depth and the open klines of every symbol. */
  push(): void {
    if (this.faults.peek('ws_stall')) return; // connections open, nothing flows
    if (this.faults.take('ws_disconnect', 'WS', this.o.now())) {
      for (const s of this.subs) s.ws.terminate();
      this.subs.clear();
      return;
    }
    if (this.subs.size === 0) return;
    const now = this.o.now();
    for (const [symbol, b] of this.ex.books) {
      const sym = symbol.toLowerCase();
      this.send(`${sym}@bookticker`, { u: b.updateId, s: symbol, b: fmt(b.bid), B: fmt(b.bidQty), a: fmt(b.ask), A: fmt(b.askQty) });
      for (const n of [5, 10, 20]) {
        const data = (): unknown => ({ lastUpdateId: b.updateId, ...depthLevels(b, n) });
        for (const name of [`${sym}@depth${n}`, `${sym}@depth${n}@100ms`, `${sym}@depth${n}@1000ms`]) if (this.wanted(name)) this.send(name, data());
      }
      for (const [iv, ms] of INTERVALS) {
        const stream = `${sym}@kline_${iv}`;
        if (!this.wanted(stream)) continue;
        this.sendKline(symbol, iv, this.roll(symbol, iv, ms, now, b.last), false);
      }
    }
  }

  /** The venue going down: `serverShutdown` to every market connection, then they are closed. */
  async close(): Promise<void> {
    clearInterval(this.pinger);
    const data = { e: 'serverShutdown', E: this.o.now() };
    const closed = [...this.subs].map(
      (s) =>
        new Promise<void>((resolve) => {
          s.ws.once('close', () => resolve());
          s.ws.send(JSON.stringify(s.combined ? { stream: '!serverShutdown', data } : data));
          s.ws.close(1001, 'server shutdown');
        }),
    );
    // A client that does not answer the close is cut off shortly after.
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 200).unref())]);
    for (const s of this.subs) s.ws.terminate();
    this.subs.clear();
  }
}

export function klineJson(symbol: string, iv: string, b: Bar, closed: boolean): Record<string, unknown> {
  return {
    t: b.t,
    T: b.T,
    s: symbol,
    i: iv,
    f: b.f,
    L: b.L,
    o: fmt(b.o),
    c: fmt(b.c),
    h: fmt(b.h),
    l: fmt(b.l),
    v: fmt(b.v),
    n: b.n,
    x: closed,
    q: fmt(b.q),
    V: fmt(b.V),
    Q: fmt(b.Q),
    B: '0',
  };
}
