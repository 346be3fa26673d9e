import WebSocket from 'ws';
import { MAX_WS_FRAME_BYTES } from './market-stream.js';
import { backoffMs, Dec, isDecimalString, isUnsignedDecimal } from '@vigil/core';
import { isOwnClientOrderId, ORDER_STATUSES, ORDER_TYPES, type ExchangeConfig, type JsonObject, type ReasonCode, type UserEvent } from '@vigil/contracts';
import { ed25519Base64, hmacSha256Hex } from './signing.js';

/**
 * The user data stream through the WebSocket API (the mechanism Binance documents now):
 * `userDataStream.subscribe.signature` with HMAC over the sorted params, then executionReport and
 * outboundAccountPosition events, normalized. Any loss (close, error, eventStreamTerminated) is a
 * gap: the engine must reconcile over REST, and the stream is DEGRADE-unstable until resubscribed.
 */
export interface UserStreamDeps {
  readonly cfg: ExchangeConfig;
  readonly apiKey: string;
  /** The HMAC secret, or with keyType ed25519 the private key in PEM. */
  readonly secret: string;
  /**
   * hmac (default): one `userDataStream.subscribe.signature`. ed25519: `session.logon` signed with
   * the key, then `userDataStream.subscribe` on the authenticated session (Binance's way for
   * Ed25519 keys; session.logon takes no other key type).
   */
  readonly keyType?: 'hmac' | 'ed25519';
  readonly exchangeNow: () => number | undefined;
  readonly reason: (code: ReasonCode, on: boolean, detail: JsonObject) => void;
  readonly onEvent: (e: UserEvent) => void;
  readonly onGap: (why: string) => void;
  /** The venue confirmed a subscription (the silence watch starts owing changes from here). */
  readonly onSubscribed?: () => void;
  /** The connection or subscription was lost (before the reconnect is scheduled). */
  readonly onLost?: () => void;
  readonly random?: () => number;
}

export type UserStreamState = 'STOPPED' | 'CONNECTING' | 'SUBSCRIBED' | 'RECONNECTING';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isSafeInteger(v);

export class UserStream {
  state: UserStreamState = 'STOPPED';
  badFrames = 0;
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retry: NodeJS.Timeout | null = null;
  private stopped = true;
  private nextId = 1;

  constructor(private readonly d: UserStreamDeps) {}

  start(): void {
    this.stopped = false;
    this.connect('start');
  }

  stop(): void {
    this.stopped = true;
    this.disarmAge();
    this.retiring?.removeAllListeners();
    this.retiring?.on('error', () => {});
    this.retiring?.terminate();
    this.retiring = null;
    if (this.retry) clearTimeout(this.retry);
    this.answered();
    this.ws?.removeAllListeners();
    this.ws?.on('error', () => {});
    this.ws?.terminate();
    this.ws = null;
    this.state = 'STOPPED';
  }

  /**
   * A fresh connection and subscription while the current one looks alive but is silent: the old
   * socket is dropped without raising USER_STREAM_UNSTABLE (USER_STREAM_SILENT already stands).
   */
  resubscribe(why: string): void {
    if (this.stopped) return;
    this.disarmAge();
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const old = this.ws;
    this.ws = null;
    this.answered();
    old?.removeAllListeners();
    old?.on('error', () => {});
    old?.terminate();
    this.state = 'RECONNECTING';
    this.connect(why);
  }

  private connect(why: string): void {
    if (this.stopped) return;
    // During a serverShutdown handover the old connection still delivers: still SUBSCRIBED.
    if (!this.retiring) this.state = this.state === 'STOPPED' ? 'CONNECTING' : 'RECONNECTING';
    const ws = new WebSocket(this.d.cfg.ws_api_url, { handshakeTimeout: this.d.cfg.ws_stale_ms, maxPayload: MAX_WS_FRAME_BYTES });
    this.ws = ws;
    ws.on('open', () => this.subscribe(ws, why));
    ws.on('message', (data) => this.receive(ws, data));
    ws.on('close', (code) => this.lost(ws, `closed (${code})`));
    ws.on('error', (e) => this.lost(ws, `error: ${e.message}`));
  }

  private subscribe(ws: WebSocket, why: string): void {
    const ts = this.d.exchangeNow();
    if (ts === undefined) return this.lost(ws, 'clock not synced: cannot sign the subscription');
    const params: Record<string, string | number> = { apiKey: this.d.apiKey, recvWindow: this.d.cfg.time_sync_recv_window_ms, timestamp: ts };
    const payload = Object.keys(params)
      .sort()
      .map((k) => `${k}=${String(params[k])}`)
      .join('&');
    this.pendingWhy = why;
    if (this.d.keyType === 'ed25519') {
      let signature: string;
      try {
        signature = ed25519Base64(payload, this.d.secret);
      } catch {
        return this.lost(ws, 'ed25519 private key unreadable: cannot sign session.logon');
      }
      this.loggingOn = true;
      this.request(ws, { id: `logon-${this.nextId++}`, method: 'session.logon', params: { ...params, signature } });
      return;
    }
    this.request(ws, {
      id: `sub-${this.nextId++}`,
      method: 'userDataStream.subscribe.signature',
      params: { ...params, signature: hmacSha256Hex(payload, this.d.secret) },
    });
  }

  /** Between session.logon and its answer: the next 200 is the logon's, then subscribe. */
  private loggingOn = false;

  /**
   * The request whose answer is due (logon or subscribe), with its deadline. Only a status frame
   * with that id, on the current connection, is an answer: a 200 with another id had made the stream
   * SUBSCRIBED, and a stray 400 had torn a live subscription down. No answer within ws_stale_ms is a
   * loss (USER_STREAM_UNSTABLE, reconnect): before, the stream could wait for ever with nothing raised.
   */
  private awaiting: { readonly id: string; readonly timer: NodeJS.Timeout } | null = null;

  private request(ws: WebSocket, body: { readonly id: string; readonly method: string; readonly params?: Record<string, string | number> }): void {
    this.answered();
    const timer = setTimeout(() => {
      this.awaiting = null;
      this.lost(ws, `no answer to ${body.method} within ${this.d.cfg.ws_stale_ms} ms`);
    }, this.d.cfg.ws_stale_ms);
    this.awaiting = { id: body.id, timer };
    ws.send(JSON.stringify(body));
  }

  private answered(): void {
    if (this.awaiting) clearTimeout(this.awaiting.timer);
    this.awaiting = null;
  }

  private pendingWhy = 'start';

  /**
   * An executionReport that cannot be booked: counted, and when it names one of our orders, a gap,
   * so the engine learns that order's state over REST instead of never.
   */
  private notUnderstood(ev: Record<string, unknown>, what: string): void {
    this.badFrames++;
    const c = typeof ev['c'] === 'string' ? ev['c'] : '';
    const cc = typeof ev['C'] === 'string' ? ev['C'] : '';
    const own = [c, cc].find((x) => x !== '' && isOwnClientOrderId(x));
    if (own !== undefined) this.d.onGap(`executionReport of ${own.slice(0, 40)} not understood (${what})`);
  }

  private receive(ws: WebSocket, data: WebSocket.RawData): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      this.badFrames++;
      return;
    }
    // `'status' in 0` throws: a frame that is not an object must be counted here, not crash the worker.
    if (!isObject(parsed)) {
      this.badFrames++;
      return;
    }
    const m = parsed;
    if ('status' in m) {
      if (ws !== this.ws || this.awaiting === null || m['id'] !== this.awaiting.id) {
        this.badFrames++;
        return;
      }
      this.answered();
      if (m['status'] === 200 && this.loggingOn) {
        this.loggingOn = false;
        this.request(ws, { id: `sub-${this.nextId++}`, method: 'userDataStream.subscribe' });
        return;
      }
      this.loggingOn = false;
      if (m['status'] === 200) {
        this.attempt = 0;
        this.state = 'SUBSCRIBED';
        this.armAge(ws);
        if (this.retiring) {
          const old = this.retiring;
          this.retiring = null;
          old.removeAllListeners();
          old.on('error', () => {});
          old.close();
        }
        this.d.reason('USER_STREAM_UNSTABLE', false, {});
        this.d.reason('USER_STREAM_TERMINATED', false, {});
        this.d.onSubscribed?.();
        this.d.onGap(this.pendingWhy);
      } else {
        // Read as typed or not at all: String() of a parsed object whose toString is not a function
        // throws, and a throw here took the gateway thread down (a hostile-frame probe).
        const err = isObject(m['error']) ? m['error'] : {};
        const code = typeof err['code'] === 'number' && Number.isInteger(err['code']) ? err['code'] : 0;
        const msg = typeof err['msg'] === 'string' ? err['msg'].slice(0, 500) : '';
        // The key or its type is wrong: the operator's to fix, as for a REST -1022.
        if (code === -1022) this.d.reason('SIGNATURE_REJECTED', true, { code: -1022, msg, key_type: this.d.keyType ?? 'hmac', path: 'ws-api' });
        this.lost(ws, `subscription refused (${code === 0 ? 'no error code' : code})`, { code, msg });
      }
      return;
    }
    const ev = m['event'];
    if (!isObject(ev) || typeof ev['e'] !== 'string') {
      this.badFrames++;
      return;
    }
    switch (ev['e']) {
      case 'executionReport': {
        // Prices, quantities and the commission are never negative: a sign here would move a
        // position the wrong way in the ledger.
        const dec = ['p', 'q', 'l', 'L', 'z', 'Z'].every((k) => isUnsignedDecimal(ev[k]));
        const commission = ev['n'] === undefined || ev['n'] === null ? null : ev['n'];
        const optional =
          (commission === null || isUnsignedDecimal(commission)) &&
          // A commission charged in no asset cannot be taken off any balance: not understood.
          (commission === null || new Dec(commission as string).isZero() || (typeof ev['N'] === 'string' && ev['N'] !== '')) &&
          (ev['t'] === undefined || isId(ev['t'])) &&
          (ev['T'] === undefined || isId(ev['T']));
        // A side we cannot read is not a BUY: the whole event is not understood.
        // Order type, status and execution type are names: anything else is not understood (and
        // String() of a parsed object whose own toString is not a function would throw).
        const names = ['o', 'X', 'x'].every((k) => typeof ev[k] === 'string' && ev[k] !== '');
        if (
          !dec ||
          !optional ||
          !names ||
          typeof ev['s'] !== 'string' ||
          typeof ev['c'] !== 'string' ||
          !isId(ev['i']) ||
          (ev['S'] !== 'BUY' && ev['S'] !== 'SELL')
        ) {
          this.notUnderstood(ev, 'fields');
          return;
        }
        // Quantities that contradict each other (this fill above the order's cumulative fill, or that
        // above the order's quantity when it has one) are not a report we can book.
        const q = new Dec(ev['q'] as string);
        const z = new Dec(ev['z'] as string);
        if (new Dec(ev['l'] as string).gt(z) || (!q.isZero() && z.gt(q))) {
          this.notUnderstood(ev, 'quantities');
          return;
        }
        // A trade without its id cannot be deduplicated against the REST trade list: not booked here.
        if (ev['x'] === 'TRADE' && !isId(ev['t'])) {
          this.notUnderstood(ev, 'a TRADE without its trade id');
          return;
        }
        // An order of ours in a status or type this build does not model: not passed on as a
        // fact. Its state is for REST to settle (the gap makes the engine reconcile and query).
        const cid = ev['x'] === 'CANCELED' && typeof ev['C'] === 'string' && ev['C'] !== '' ? ev['C'] : ev['c'];
        if (
          isOwnClientOrderId(cid) &&
          (!(ORDER_STATUSES as readonly string[]).includes(ev['X'] as string) || !(ORDER_TYPES as readonly string[]).includes(ev['o'] as string))
        ) {
          this.d.onGap(`executionReport of ${cid} not understood (X=${String(ev['X'])}, o=${String(ev['o'])})`);
          return;
        }
        this.d.onEvent({
          kind: 'order',
          symbol: ev['s'],
          // A cancel's report names the cancel in `c` and the order in `C` (empty otherwise).
          client_order_id: ev['x'] === 'CANCELED' && typeof ev['C'] === 'string' && ev['C'] !== '' ? ev['C'] : ev['c'],
          order_id: ev['i'],
          side: ev['S'],
          type: ev['o'] as string,
          status: ev['X'] as string,
          exec_type: ev['x'] as string,
          price: ev['p'] as string,
          orig_qty: ev['q'] as string,
          last_qty: ev['l'] as string,
          last_price: ev['L'] as string,
          cum_qty: ev['z'] as string,
          cum_quote: ev['Z'] as string,
          commission: isDecimalString(ev['n']) ? ev['n'] : '0',
          commission_asset: typeof ev['N'] === 'string' ? ev['N'] : null,
          trade_id: isId(ev['t']) ? ev['t'] : -1,
          ts_ms: isId(ev['T']) ? ev['T'] : Date.now(),
        });
        return;
      }
      case 'outboundAccountPosition': {
        const b: unknown = ev['B'];
        // All balances readable or none taken: String(undefined) is not a balance.
        if (
          !Array.isArray(b) ||
          !b.every((x) => isObject(x) && typeof x['a'] === 'string' && x['a'] !== '' && isUnsignedDecimal(x['f']) && isUnsignedDecimal(x['l']))
        ) {
          this.badFrames++;
          return;
        }
        const rows = b as Record<string, string>[];
        this.d.onEvent({
          kind: 'balances',
          ts_ms: isId(ev['E']) ? ev['E'] : Date.now(),
          balances: rows.map((x) => ({ asset: x['a']!, free: x['f']!, locked: x['l']! })),
        });
        return;
      }
      case 'listStatus': {
        const orders: unknown = ev['O'];
        const legs =
          Array.isArray(orders) && orders.every((x) => isObject(x) && isId(x['i']) && typeof x['c'] === 'string')
            ? (orders as Record<string, unknown>[])
            : null;
        const names = ['s', 'C', 'c', 'l', 'L'].every((k) => typeof ev[k] === 'string' && ev[k] !== '');
        if (!legs || !names || !isId(ev['g'])) {
          this.badFrames++;
          return;
        }
        // Forwarded and audited; list state is still settled by the legs' reports and REST.
        this.d.onEvent({
          kind: 'list_status',
          symbol: ev['s'] as string,
          order_list_id: ev['g'],
          list_client_order_id: ev['C'] as string,
          contingency_type: ev['c'] as string,
          list_status_type: ev['l'] as string,
          list_order_status: ev['L'] as string,
          list_reject_reason: typeof ev['r'] === 'string' ? ev['r'] : 'NONE',
          orders: legs.map((x) => ({ order_id: x['i'] as number, client_order_id: x['c'] as string })),
          ts_ms: isId(ev['T']) ? ev['T'] : isId(ev['E']) ? ev['E'] : Date.now(),
        });
        return;
      }
      case 'balanceUpdate':
      case 'externalLockUpdate': {
        // Both carry an asset and a signed delta; a delta that is not a decimal is not understood.
        const delta = ev['d'];
        if (typeof ev['a'] !== 'string' || ev['a'] === '' || typeof delta !== 'string' || !isDecimalString(delta)) {
          this.badFrames++;
          return;
        }
        const ts = isId(ev['T']) ? ev['T'] : isId(ev['E']) ? ev['E'] : Date.now();
        this.d.onEvent({ kind: ev['e'] === 'balanceUpdate' ? 'balance_delta' : 'external_lock', asset: ev['a'], delta, ts_ms: ts });
        // Funds moved or locked outside the bot: what it may use is known again only over REST.
        if (ev['e'] === 'externalLockUpdate') this.d.onGap('externalLockUpdate');
        return;
      }
      case 'serverShutdown':
        // The server leaves in about 10 minutes: subscribe on a new connection now, then drop
        // this one, so no event falls between the two (not a loss: no USER_STREAM_UNSTABLE).
        this.handover(ws, 'serverShutdown');
        return;
      case 'eventStreamTerminated':
        this.d.reason('USER_STREAM_TERMINATED', true, { ts_ms: typeof ev['E'] === 'number' ? ev['E'] : null });
        this.lost(ws, 'eventStreamTerminated');
        return;
      default:
        return;
    }
  }

  /**
   * serverShutdown: a second connection subscribes while the first still delivers; once the new
   * subscription is confirmed the old connection is closed. If the new one fails, the usual loss
   * path (gap, back-off, USER_STREAM_UNSTABLE) takes over from there.
   */
  private handover(old: WebSocket, why: string): void {
    if (old !== this.ws || this.stopped || this.retiring) return;
    this.disarmAge();
    this.retiring = old;
    old.removeAllListeners('close');
    old.removeAllListeners('error');
    old.on('error', () => {});
    // Until the new subscription answers, the old connection's events still count; its close is
    // no longer a loss (the replacement is under way).
    old.on('close', () => {
      if (this.retiring === old) this.retiring = null;
    });
    this.connect(why);
  }

  /** The connection being replaced after a serverShutdown, closed once its successor subscribed. */
  private retiring: WebSocket | null = null;

  /**
   * Binance closes a WebSocket API connection at 24 h: before that (ws_max_connection_ms after the
   * subscription), the same handover as a serverShutdown, so the daily cut is neither a gap nor a
   * USER_STREAM_UNSTABLE (it had been both, once a day).
   */
  private ageTimer: NodeJS.Timeout | null = null;

  private armAge(ws: WebSocket): void {
    this.disarmAge();
    this.ageTimer = setTimeout(() => {
      this.ageTimer = null;
      if (this.ws === ws && this.state === 'SUBSCRIBED') this.handover(ws, 'planned reconnect before the 24 h limit');
    }, this.d.cfg.ws_max_connection_ms);
    this.ageTimer.unref();
  }

  private disarmAge(): void {
    if (this.ageTimer) clearTimeout(this.ageTimer);
    this.ageTimer = null;
  }

  private lost(ws: WebSocket, why: string, extra: JsonObject = {}): void {
    if (ws !== this.ws || this.stopped) return;
    this.disarmAge();
    this.answered();
    this.loggingOn = false;
    ws.removeAllListeners();
    ws.on('error', () => {});
    ws.terminate();
    this.ws = null;
    this.d.onLost?.();
    this.d.reason('USER_STREAM_UNSTABLE', true, { why, ...extra });
    this.d.onGap(why);
    const delay = backoffMs(this.attempt++, this.d.cfg.ws_reconnect_backoff_initial_ms, this.d.cfg.ws_reconnect_backoff_max_ms, this.d.random);
    this.state = 'RECONNECTING';
    this.retry = setTimeout(() => this.connect(why), delay);
  }
}
