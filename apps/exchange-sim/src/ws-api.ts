import type { WebSocket } from 'ws';
import { checkTimestamp, verifySignature } from './auth.js';
import { fmt } from './decimal.js';
import { isWorking, type Exchange, type Fill, type ListEvent, type Order } from './exchange.js';

/**
 * The WebSocket API's user data stream, as Binance now offers it: a client on /ws-api/v3 sends
 * `userDataStream.subscribe.signature` (HMAC over its sorted params) and then receives
 * `{subscriptionId, event}` frames: executionReport (with the order list id `g`, -1 outside a
 * list), listStatus (an order list started or ended), outboundAccountPosition,
 * eventStreamTerminated.
 */
interface Subscription {
  readonly id: number;
  readonly apiKey: string;
  readonly ws: WebSocket;
}

export class WsApi {
  private readonly subs = new Set<Subscription>();
  private nextId = 0;
  /** executionReport `I` (Execution Id): one per report sent. */
  private nextExecutionId = 1;

  constructor(
    private readonly ex: Exchange,
    private readonly now: () => number,
    /** The user_stream_silent fault: events are dropped, the connection and subscription stay. */
    private readonly silent: () => boolean = () => false,
  ) {
    ex.listeners.push((o, fill) => this.onOrder(o, fill));
    ex.listListeners.push((e) => this.onList(e));
    ex.balanceListeners.push((apiKey, asset, delta, time) => this.onBalance(apiKey, asset, delta, time));
  }

  /** An admin balance edit stands for a deposit or withdrawal: balanceUpdate, then the new position. */
  private onBalance(apiKey: string, asset: string, delta: bigint, time: number): void {
    const subs = [...this.subs].filter((s) => s.apiKey === apiKey);
    if (subs.length === 0 || this.silent()) return;
    const now = this.now();
    const b = this.ex.balance(apiKey, asset);
    for (const s of subs) {
      s.ws.send(JSON.stringify({ subscriptionId: s.id, event: { e: 'balanceUpdate', E: now, a: asset, d: fmt(delta), T: time } }));
      s.ws.send(
        JSON.stringify({ subscriptionId: s.id, event: { e: 'outboundAccountPosition', E: now, u: time, B: [{ a: asset, f: fmt(b.free), l: fmt(b.locked) }] } }),
      );
    }
  }

  private subscribe(ws: WebSocket, apiKey: string): number {
    const sub: Subscription = { id: this.nextId++, apiKey, ws };
    this.subs.add(sub);
    ws.on('close', () => this.subs.delete(sub));
    return sub.id;
  }

  attach(ws: WebSocket): void {
    // The API key session.logon authenticated on this connection, if any.
    let logged: string | null = null;
    const connectedSince = this.now();
    this.conns.add(ws);
    ws.on('close', () => this.conns.delete(ws));
    ws.on('message', (data) => {
      let req: { id?: unknown; method?: unknown; params?: Record<string, unknown> };
      try {
        req = JSON.parse(data.toString()) as typeof req;
      } catch {
        ws.send(JSON.stringify({ id: null, status: 400, error: { code: -1000, msg: 'Malformed request.' } }));
        return;
      }
      const id = req.id ?? null;
      const reply = (status: number, body: Record<string, unknown>): void => void ws.send(JSON.stringify({ id, status, ...body }));
      switch (req.method) {
        case 'session.logon':
        case 'userDataStream.subscribe.signature': {
          const p = (req.params ?? {}) as Record<string, string | number>;
          const key = this.ex.keys.get(String(p['apiKey'] ?? ''));
          if (!key) return reply(401, { error: { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' } });
          const { signature, ...rest } = p;
          const payload = Object.keys(rest)
            .sort()
            .map((k) => `${k}=${String(rest[k])}`)
            .join('&');
          if (typeof signature !== 'string' || !verifySignature(key, payload, signature))
            return reply(400, { error: { code: -1022, msg: 'Signature for this request is not valid.' } });
          // The same timing rule as REST: a timestamp 1000 ms or more ahead is refused too.
          const timing = checkTimestamp(p['timestamp'], p['recvWindow'], this.now());
          if (timing) return reply(timing.http, { error: { code: timing.code, msg: timing.msg } });
          if (req.method === 'session.logon') {
            // Binance: session.logon takes Ed25519 keys only.
            if (key.publicKeyPem === undefined)
              return reply(400, { error: { code: -1022, msg: 'Signature for this request is not valid. session.logon requires an Ed25519 API key.' } });
            logged = key.apiKey;
            return reply(200, {
              result: {
                apiKey: key.apiKey,
                authorizedSince: this.now(),
                connectedSince,
                returnRateLimits: false,
                serverTime: this.now(),
                userDataStream: false,
              },
            });
          }
          return reply(200, { result: { subscriptionId: this.subscribe(ws, key.apiKey) } });
        }
        case 'userDataStream.subscribe':
          // On a session authenticated by session.logon only.
          if (logged === null) return reply(401, { error: { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' } });
          return reply(200, { result: { subscriptionId: this.subscribe(ws, logged) } });
        case 'userDataStream.unsubscribe':
          for (const s of [...this.subs]) if (s.ws === ws) this.subs.delete(s);
          return reply(200, { result: {} });
        case 'ping':
          return reply(200, { result: {} });
        default:
          return reply(400, { error: { code: -1100, msg: `Unknown method ${String(req.method)}.` } });
      }
    });
  }

  /**
   * Admin: serverShutdown (Binance, 2026-05) on every WebSocket API connection, then, after
   * `closeAfterMs` (Binance: about 10 minutes), the connections it was sent on are closed.
   */
  shutdown(closeAfterMs: number): number {
    const conns = [...this.conns];
    for (const ws of conns) ws.send(JSON.stringify({ event: { e: 'serverShutdown', E: this.now() } }));
    setTimeout(() => {
      for (const ws of conns) ws.close(1001, 'server shutdown');
    }, closeAfterMs).unref();
    return conns.length;
  }

  private readonly conns = new Set<WebSocket>();

  /** Admin: a raw event to every subscription of a key; returns how many got it. */
  push(apiKey: string, event: Record<string, unknown>): number {
    const subs = [...this.subs].filter((s) => s.apiKey === apiKey);
    for (const s of subs) s.ws.send(JSON.stringify({ subscriptionId: s.id, event }));
    return subs.length;
  }

  /** Admin fault: the venue ends every subscription, as Binance does on its side. */
  terminate(): void {
    for (const s of this.subs) s.ws.send(JSON.stringify({ subscriptionId: s.id, event: { e: 'eventStreamTerminated', E: this.now() } }));
    this.subs.clear();
  }

  /** listStatus: sent when a list starts (EXEC_STARTED/EXECUTING) and when it ends (ALL_DONE). */
  private onList(e: ListEvent): void {
    const subs = [...this.subs].filter((s) => s.apiKey === e.list.apiKey);
    if (subs.length === 0 || this.silent()) return;
    const event = {
      e: 'listStatus',
      E: this.now(),
      s: e.list.symbol,
      g: e.list.orderListId,
      c: e.list.contingencyType,
      l: e.listStatusType,
      L: e.listOrderStatus,
      r: 'NONE',
      C: e.list.listClientOrderId,
      T: e.time,
      O: e.list.orderIds.map((id) => {
        const o = this.ex.orders.get(id)!;
        return { s: o.symbol, i: o.orderId, c: o.clientOrderId };
      }),
    };
    for (const s of subs) s.ws.send(JSON.stringify({ subscriptionId: s.id, event }));
  }

  private onOrder(o: Order, fill: Fill | null): void {
    const subs = [...this.subs].filter((s) => s.apiKey === o.apiKey);
    if (subs.length === 0 || this.silent()) return;
    const now = this.now();
    const x = fill
      ? 'TRADE'
      : o.status === 'CANCELED'
        ? 'CANCELED'
        : o.status === 'EXPIRED'
          ? 'EXPIRED'
          : o.status === 'EXPIRED_IN_MATCH'
            ? 'TRADE_PREVENTION'
            : 'NEW';
    // A cancel's report carries the cancel's own id in `c` and the order's in `C` (as Binance).
    const cancelled = x === 'CANCELED' && o.cancelClientOrderId !== undefined;
    const report = {
      e: 'executionReport',
      E: now,
      s: o.symbol,
      c: cancelled ? o.cancelClientOrderId : o.clientOrderId,
      C: cancelled ? o.clientOrderId : '',
      S: o.side,
      o: o.type,
      f: o.timeInForce ?? 'GTC',
      q: fmt(o.origQty),
      p: fmt(o.price),
      P: fmt(o.stopPrice),
      F: '0.00000000',
      g: o.orderListId,
      x,
      X: o.status,
      r: 'NONE',
      i: o.orderId,
      l: fill ? fmt(fill.qty) : '0.00000000',
      z: fmt(o.executedQty),
      L: fill ? fmt(fill.price) : '0.00000000',
      n: fill ? fmt(fill.commission) : '0',
      N: fill ? fill.commissionAsset : null,
      T: o.updateTime,
      t: fill ? fill.tradeId : -1,
      I: this.nextExecutionId++,
      m: fill ? fill.maker : false,
      M: false,
      Z: fmt(o.cumQuote),
      Y: fill ? fmt((fill.price * fill.qty) / 100_000_000n) : '0.00000000',
      Q: '0.00000000',
      // Working on the book: not a pending OTO leg, not an untriggered stop (W: since when).
      w: isWorking(o) && o.triggered,
      O: o.time,
      ...(o.triggered && o.status !== 'PENDING_NEW' ? { W: o.workingTime ?? o.time } : {}),
      V: o.stpMode ?? 'EXPIRE_MAKER',
      // Self-trade prevention (user-data-stream.md): preventedMatchId, preventedQuantity, last
      // prevented quantity, the counter order; tradeGroupId -1 (no trade group here).
      ...(x === 'TRADE_PREVENTION' && o.preventedMatchId !== undefined
        ? {
            v: o.preventedMatchId,
            A: fmt(o.preventedQuantity ?? 0n),
            B: fmt(o.preventedQuantity ?? 0n),
            u: -1,
            U: o.counterOrderId ?? -1,
            Cs: o.symbol,
          }
        : {}),
    };
    const balances = [...(this.ex.balances.get(o.apiKey) ?? new Map())].map(([a, b]) => ({ a, f: fmt(b.free), l: fmt(b.locked) }));
    for (const s of subs) {
      s.ws.send(JSON.stringify({ subscriptionId: s.id, event: report }));
      s.ws.send(JSON.stringify({ subscriptionId: s.id, event: { e: 'outboundAccountPosition', E: now, u: now, B: balances } }));
    }
  }
}
