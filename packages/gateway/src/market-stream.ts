import WebSocket from 'ws';
import { backoffMs, Dec } from '@vigil/core';
import type { BookTick, ExchangeConfig, JsonObject, ReasonCode } from '@vigil/contracts';

/**
 * The largest WebSocket frame taken from the venue (market or user stream). Binance's frames are a
 * few KB at most; ws's own default (100 MiB) let one frame of a broken or hostile peer take the
 * gateway thread past its heap ceiling. A larger frame closes the connection (1009) and the stream
 * reconnects as after any loss.
 */
export const MAX_WS_FRAME_BYTES = 4 * 1024 * 1024;

/**
 * The combined market stream (bookTicker per symbol) with the operations rules' behaviour:
 * reconnect with backoff and jitter, stale detection (silence -> WS_STALE, drop, reconnect),
 * reconnects per minute (too many -> WS_UNSTABLE), a proactive reconnect before the venue's 24 h
 * limit, and a gap notice after every reconnect so the engine never acts on data from before it.
 * Malformed frames are counted and dropped, never thrown.
 */
export type { BookTick };

export interface MarketStreamDeps {
  readonly cfg: ExchangeConfig;
  readonly now: () => number;
  /** Sub-millisecond wall clock for tick receive times (latency tracing across threads). */
  readonly preciseNow?: () => number;
  readonly reason: (code: ReasonCode, on: boolean, detail: JsonObject) => void;
  readonly onTick: (t: BookTick) => void;
  /** After a (re)connect: everything before it may be stale or missing. */
  readonly onGap: (why: string) => void;
  readonly onState?: (state: StreamState, detail: JsonObject) => void;
  readonly random?: () => number;
}

export type StreamState = 'CONNECTING' | 'CONNECTED' | 'RECONNECTING' | 'STOPPED';

const DEC = /^[0-9]+(\.[0-9]+)?$/;
/** Unsigned and no longer than the core's DecimalString (64 chars): exact all the way to an order. */
const isPrice = (v: unknown): v is string => typeof v === 'string' && v.length <= 64 && DEC.test(v);

export class MarketStream {
  state: StreamState = 'STOPPED';
  badFrames = 0;
  messages = 0;
  private ws: WebSocket | null = null;
  private attempt = 0;
  private lastMessageAt = 0;
  private connectedAt = 0;
  private readonly reconnects: number[] = [];
  private timers: NodeJS.Timeout[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = true;

  /** The symbols this stream subscribes to, as the venue names them in `s`. */
  private readonly subscribed: ReadonlySet<string>;

  constructor(private readonly d: MarketStreamDeps) {
    this.subscribed = new Set(d.cfg.symbols);
  }

  url(): string {
    const streams = this.d.cfg.symbols.map((s) => `${s.toLowerCase()}@bookTicker`).join('/');
    return `${this.d.cfg.ws_market_url.replace(/\/+$/, '')}/stream?streams=${streams}`;
  }

  start(): void {
    this.stopped = false;
    this.connect('start');
    const check = Math.max(50, Math.floor(this.d.cfg.ws_stale_ms / 4));
    this.timers.push(setInterval(() => this.watch(), check));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.ws?.removeAllListeners();
    // terminate() of a socket still connecting emits 'error' later: unheard, it would kill the thread.
    this.ws?.on('error', () => {});
    this.ws?.terminate();
    this.ws = null;
    this.setState('STOPPED', {});
  }

  reconnectsLastMinute(): number {
    const now = this.d.now();
    return this.reconnects.filter((t) => now - t < 60_000).length;
  }

  private connect(why: string): void {
    if (this.stopped) return;
    this.setState(this.attempt === 0 && why === 'start' ? 'CONNECTING' : 'RECONNECTING', { why });
    const ws = new WebSocket(this.url(), { handshakeTimeout: this.d.cfg.ws_stale_ms, maxPayload: MAX_WS_FRAME_BYTES });
    this.ws = ws;
    ws.on('open', () => {
      this.attempt = 0;
      this.connectedAt = this.d.now();
      this.lastMessageAt = this.connectedAt;
      // Update ids are compared within a connection (a venue restarted behind the same URL may
      // count again from 1).
      this.lastUpdate = new Map();
      this.setState('CONNECTED', {});
      this.d.reason('WS_DISCONNECTED', false, {});
      this.d.onGap(why);
    });
    ws.on('message', (data) => this.receive(data));
    // The ws library answers server pings with pongs by itself; the venue drops us if we do not.
    ws.on('close', (code) => this.lost(ws, `closed (${code})`));
    ws.on('error', (e) => this.lost(ws, `error: ${e.message}`));
  }

  /** The last update id taken per symbol on this connection: an older one is a stale quote. */
  private lastUpdate = new Map<string, number>();

  private receive(data: WebSocket.RawData): void {
    const at = this.d.now();
    this.messages++;
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      this.badFrames++;
      return;
    }
    const d = (msg as { data?: Record<string, unknown> } | null)?.data;
    // serverShutdown (Binance, 2026-05; bare or in the combined wrapper): the server leaves in
    // about 10 minutes. Reconnect now, at a moment of our choosing, not at its cut.
    const e = (x: unknown): unknown => (typeof x === 'object' && x !== null ? (x as { e?: unknown }).e : undefined);
    if (e(msg) === 'serverShutdown' || e(d) === 'serverShutdown') {
      if (this.ws) this.lost(this.ws, 'serverShutdown: reconnect before the server cuts');
      return;
    }
    if (typeof d !== 'object' || d === null || typeof d['s'] !== 'string' || !Number.isSafeInteger(d['u']) || (d['u'] as number) < 0) {
      this.badFrames++;
      return;
    }
    const fields = ['b', 'B', 'a', 'A'] as const;
    if (!fields.every((k) => isPrice(d[k]))) {
      this.badFrames++;
      return;
    }
    // A quote the engine must not price anything on is dropped here: a symbol we did not subscribe
    // to (or spelt otherwise), a price of zero, a crossed book (its spread is negative, so the cost
    // gate saw a gain), or an update id below the last one taken (an old quote over a newer; the same
    // id again is the same book, as the simulator repeats it each tick).
    const symbol = d['s'] as string;
    const bid = new Dec(d['b'] as string);
    const ask = new Dec(d['a'] as string);
    const last = this.lastUpdate.get(symbol);
    if (!this.subscribed.has(symbol) || bid.lte(0) || ask.lte(0) || bid.gt(ask) || (last !== undefined && (d['u'] as number) < last)) {
      this.badFrames++;
      return;
    }
    this.lastUpdate.set(symbol, d['u'] as number);
    // Only a quote we can use is a sign of life: garbage or others' symbols kept WS_STALE away.
    this.lastMessageAt = at;
    this.d.onTick({
      symbol: d['s'] as string,
      update_id: d['u'] as number,
      bid: d['b'] as string,
      bid_qty: d['B'] as string,
      ask: d['a'] as string,
      ask_qty: d['A'] as string,
      recv_ts_ms: this.d.preciseNow?.() ?? this.lastMessageAt,
    });
    this.d.reason('WS_STALE', false, {});
  }

  private lost(ws: WebSocket, why: string): void {
    if (ws !== this.ws || this.stopped) return;
    ws.removeAllListeners();
    ws.on('error', () => {});
    ws.terminate();
    this.ws = null;
    this.d.reason('WS_DISCONNECTED', true, { why, url: this.d.cfg.ws_market_url });
    this.scheduleReconnect(why);
  }

  private scheduleReconnect(why: string): void {
    const now = this.d.now();
    this.reconnects.push(now);
    while (this.reconnects.length > 0 && now - this.reconnects[0]! > 60_000) this.reconnects.shift();
    const perMin = this.reconnects.length;
    this.d.reason('WS_UNSTABLE', perMin > this.d.cfg.ws_reconnects_per_min_unstable, {
      reconnects_per_min: perMin,
      limit: this.d.cfg.ws_reconnects_per_min_unstable,
    });
    const delay = backoffMs(this.attempt++, this.d.cfg.ws_reconnect_backoff_initial_ms, this.d.cfg.ws_reconnect_backoff_max_ms, this.d.random);
    this.setState('RECONNECTING', { why, delay_ms: delay, reconnects_per_min: perMin });
    this.retryTimer = setTimeout(() => this.connect(why), delay);
  }

  private watch(): void {
    if (this.stopped || !this.ws || this.state !== 'CONNECTED') {
      // Clear WS_UNSTABLE once the minute has calmed down, even while connected.
      return;
    }
    const now = this.d.now();
    const silent = now - this.lastMessageAt;
    if (silent > this.d.cfg.ws_stale_ms) {
      this.d.reason('WS_STALE', true, { silent_ms: silent, ws_stale_ms: this.d.cfg.ws_stale_ms });
      this.lost(this.ws, `stale for ${silent} ms`);
      return;
    }
    if (now - this.connectedAt > this.d.cfg.ws_max_connection_ms) {
      this.lost(this.ws, 'proactive reconnect before the 24 h limit');
      return;
    }
    const perMin = this.reconnectsLastMinute();
    if (perMin <= this.d.cfg.ws_reconnects_per_min_unstable) this.d.reason('WS_UNSTABLE', false, { reconnects_per_min: perMin });
  }

  private setState(s: StreamState, detail: JsonObject): void {
    if (s === this.state && s !== 'RECONNECTING') return;
    this.state = s;
    this.d.onState?.(s, detail);
  }
}
