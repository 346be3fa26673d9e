import type { MessagePort, TransferListItem } from 'node:worker_threads';
import { PROTOCOL_VERSION, type AnyDirection, type ChannelSpec, type DirectionSpec, type ReasonCode, type RequestBody, type WireError } from '@vigil/contracts';

export type RejectCode = Extract<ReasonCode, 'CHANNEL_MALFORMED' | 'CHANNEL_UNKNOWN_TYPE' | 'CHANNEL_VERSION_MISMATCH'>;

export interface Rejection {
  readonly channel: string;
  readonly code: RejectCode;
  readonly detail: string;
}

/** A failed request as the caller sees it: compared by code. */
export class ChannelError extends Error implements WireError {
  override readonly name = 'ChannelError';
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
  static from(e: WireError): ChannelError {
    return new ChannelError(e.code, e.message, e.retryable);
  }
}

export type RequestHandlers<R extends AnyDirection['requests']> = {
  readonly [K in keyof R]?: (input: R[K]['input']) => R[K]['output'] | Promise<R[K]['output']>;
};

export interface EndpointOptions<In extends AnyDirection> {
  readonly spec: ChannelSpec;
  /** Which side of the spec this endpoint is. */
  readonly side: 'a' | 'b';
  /** For counters and logs, e.g. "control:engine". */
  readonly label?: string;
  readonly requestTimeoutMs: number;
  readonly onEvent?: (ev: In['events']) => void;
  readonly onRequest?: RequestHandlers<In['requests']>;
  readonly onReject?: (r: Rejection) => void;
  /** A handler threw: never crashes the thread, but is reported. */
  readonly onHandlerError?: (err: unknown, type: string) => void;
  readonly onClose?: () => void;
}

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: ChannelError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One end of a typed MessagePort channel: events both ways, request/reply with a correlation id
 * and a timeout, and rejection (counted, reported, never thrown) of any frame that is malformed,
 * of an unknown type or of another protocol version.
 */
export class Endpoint<Out extends AnyDirection, In extends AnyDirection> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly incoming: DirectionSpec;
  private readonly label: string;
  private closed = false;
  readonly rejectCounts: Record<RejectCode, number> = {
    CHANNEL_MALFORMED: 0,
    CHANNEL_UNKNOWN_TYPE: 0,
    CHANNEL_VERSION_MISMATCH: 0,
  };

  constructor(
    private readonly port: MessagePort,
    private readonly opts: EndpointOptions<In>,
  ) {
    this.incoming = opts.side === 'a' ? opts.spec.b : opts.spec.a;
    this.label = opts.label ?? opts.spec.name;
    port.on('message', (m: unknown) => this.receive(m));
    port.on('messageerror', () => this.reject('CHANNEL_MALFORMED', 'message could not be deserialized'));
    port.on('close', () => this.shutdown('CHANNEL_CLOSED', 'the other end of the channel closed'));
  }

  get rejects(): number {
    const c = this.rejectCounts;
    return c.CHANNEL_MALFORMED + c.CHANNEL_UNKNOWN_TYPE + c.CHANNEL_VERSION_MISMATCH;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  emit(ev: Out['events'], transfer?: readonly TransferListItem[]): boolean {
    if (this.closed) return false;
    this.port.postMessage({ v: PROTOCOL_VERSION, k: 'ev', body: ev }, transfer);
    return true;
  }

  request<K extends keyof Out['requests'] & string>(
    type: K,
    input: Out['requests'][K]['input'],
    timeoutMs: number = this.opts.requestTimeoutMs,
  ): Promise<Out['requests'][K]['output']> {
    if (this.closed) return Promise.reject(new ChannelError('CHANNEL_CLOSED', `${this.label}: channel closed`, true));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // Timers run before the port's queue is read: when this thread's own loop was held up past
        // the deadline (a starved or paused process), the reply may be waiting in that queue. It
        // is read before setImmediate callbacks run; only a request still unanswered then timed out.
        setImmediate(() => {
          if (!this.pending.delete(id)) return;
          reject(new ChannelError('CHANNEL_REQUEST_TIMEOUT', `${this.label}: ${type} got no reply in ${timeoutMs} ms`, true));
        });
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.port.postMessage({ v: PROTOCOL_VERSION, k: 'req', id, body: { ...input, type } });
    });
  }

  /** Rejects every pending request and stops receiving. Idempotent. */
  close(): void {
    this.shutdown('CHANNEL_CLOSED', `${this.label}: closed locally`);
    this.port.close();
  }

  private shutdown(code: string, message: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ChannelError(code, message, true));
    }
    this.pending.clear();
    this.opts.onClose?.();
  }

  private receive(m: unknown): void {
    if (typeof m !== 'object' || m === null) return this.reject('CHANNEL_MALFORMED', 'frame is not an object');
    const f = m as Record<string, unknown>;
    if (f['v'] !== PROTOCOL_VERSION) return this.reject('CHANNEL_VERSION_MISMATCH', `frame version ${shown(f['v'])}, expected ${PROTOCOL_VERSION}`);
    switch (f['k']) {
      case 'ev':
        return this.receiveEvent(f['body']);
      case 'req':
        return this.receiveRequest(f['id'], f['body']);
      case 'res':
        return this.receiveReply(f);
      default:
        return this.reject('CHANNEL_MALFORMED', `unknown frame kind ${shown(f['k'])}`);
    }
  }

  private checkBody(table: DirectionSpec['events'], body: unknown, what: string): string | null | RejectCode {
    if (typeof body !== 'object' || body === null) return 'CHANNEL_MALFORMED';
    const type = (body as { type?: unknown }).type;
    if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(table, type)) {
      this.reject('CHANNEL_UNKNOWN_TYPE', `${what} type ${shown(type)}`);
      return 'CHANNEL_UNKNOWN_TYPE';
    }
    const check = table[type];
    const bad = check ? check(body as Record<string, unknown>) : null;
    if (bad !== null) {
      this.reject('CHANNEL_MALFORMED', `${what} ${type}: ${bad}`);
      return 'CHANNEL_MALFORMED';
    }
    return null;
  }

  private receiveEvent(body: unknown): void {
    if (typeof body !== 'object' || body === null) return this.reject('CHANNEL_MALFORMED', 'event body is not an object');
    if (this.checkBody(this.incoming.events, body, 'event') !== null) return;
    const handler = this.opts.onEvent;
    if (!handler) return;
    try {
      handler(body as In['events']);
    } catch (err) {
      this.opts.onHandlerError?.(err, (body as { type: string }).type);
    }
  }

  private receiveRequest(id: unknown, body: unknown): void {
    if (typeof id !== 'number' || !Number.isInteger(id)) return this.reject('CHANNEL_MALFORMED', 'request without integer id');
    if (typeof body !== 'object' || body === null) {
      this.reject('CHANNEL_MALFORMED', 'request body is not an object');
      return this.replyError(id, 'CHANNEL_MALFORMED', 'request body is not an object');
    }
    const bad = this.checkBody(this.incoming.requests, body, 'request');
    if (bad !== null) return this.replyError(id, bad, `request rejected: ${bad}`);
    const type = (body as RequestBody<In['requests']>).type;
    const handler = (this.opts.onRequest as Record<string, ((i: unknown) => unknown) | undefined> | undefined)?.[type];
    if (!handler) return this.replyError(id, 'UNSUPPORTED_REQUEST', `${this.label} does not handle ${type}`);
    let out: unknown;
    try {
      out = handler(body);
    } catch (err) {
      this.opts.onHandlerError?.(err, type);
      return this.replyError(id, codeOf(err), messageOf(err));
    }
    if (out instanceof Promise) {
      out.then(
        (v) => this.replyOk(id, v),
        (err: unknown) => {
          this.opts.onHandlerError?.(err, type);
          this.replyError(id, codeOf(err), messageOf(err));
        },
      );
    } else {
      this.replyOk(id, out);
    }
  }

  private receiveReply(f: Record<string, unknown>): void {
    const id = f['id'];
    if (typeof id !== 'number') return this.reject('CHANNEL_MALFORMED', 'reply without id');
    const p = this.pending.get(id);
    // A reply after its timeout is expected under load: the caller already gave up; not a rejection.
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (f['ok'] === true) return p.resolve(f['body']);
    const e = f['error'] as Partial<WireError> | undefined;
    p.reject(
      new ChannelError(typeof e?.code === 'string' ? e.code : 'UNKNOWN', typeof e?.message === 'string' ? e.message : 'request failed', e?.retryable === true),
    );
  }

  private replyOk(id: number, body: unknown): void {
    if (!this.closed) this.port.postMessage({ v: PROTOCOL_VERSION, k: 'res', id, ok: true, body });
  }

  private replyError(id: number, code: string, message: string): void {
    if (this.closed) return;
    const error: WireError = { name: 'ChannelError', code, message, retryable: false };
    this.port.postMessage({ v: PROTOCOL_VERSION, k: 'res', id, ok: false, error });
  }

  private reject(code: RejectCode, detail: string): void {
    this.rejectCounts[code]++;
    this.opts.onReject?.({ channel: this.label, code, detail });
  }
}

function codeOf(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'HANDLER_FAILED';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : shown(err);
}

/**
 * A foreign value as diagnostic text, without ever throwing: String() throws on an object whose
 * toString/valueOf are not callable (a frame field a peer filled with one must be rejected, not
 * kill the receiving thread). Bounded, so a huge value does not become a huge log line.
 */
export function shown(v: unknown): string {
  let t: string;
  try {
    t = typeof v === 'string' ? v : (JSON.stringify(v) ?? typeof v);
  } catch {
    t = typeof v;
  }
  return t.length > 80 ? `${t.slice(0, 80)}...` : t;
}
