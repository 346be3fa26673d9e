/**
 * The outcome of one REST call, as a closed union the engine cannot confuse. The single rule that
 * matters: only a reply that proves the request was not executed may become REJECTED; anything
 * that may have reached the matching engine without a definitive answer is UNKNOWN, and an order
 * that is UNKNOWN is resolved only by querying its clientOrderId. NETWORK_BEFORE_SEND is reserved
 * for failures where no byte of the request can have left this process.
 */

export type HeaderMap = Readonly<Record<string, string | undefined>>;

/**
 * An error body's `data` (Binance sends it with -2021/-2022: what each half of a cancel-replace
 * did), kept with the code it came with so the caller can read it. Absent for every other error.
 */
export type ErrorData = { readonly code: number; readonly data: unknown };

export type RestOutcome =
  | { readonly kind: 'OK'; readonly status: number; readonly body: unknown; readonly headers: HeaderMap }
  | { readonly kind: 'REJECTED'; readonly code: number; readonly msg: string; readonly status: number; readonly errorData?: ErrorData }
  | { readonly kind: 'UNKNOWN'; readonly reason: string; readonly errorData?: ErrorData }
  | { readonly kind: 'THROTTLED'; readonly status: 429 | 418; readonly retryAfterMs: number }
  | { readonly kind: 'NETWORK_BEFORE_SEND'; readonly reason: string }
  | { readonly kind: 'NOT_SENT'; readonly cause: NotSentCause; readonly waitMs: number | null; readonly detail: string };

/**
 * Refused by this process before any I/O (local governor margin, a 429/418 still in force, clock
 * not synced, no credentials). Like NETWORK_BEFORE_SEND it proves nothing reached the venue;
 * unlike it, nothing was even attempted. Never produced by `classify`.
 */
export type NotSentCause = 'REST_THROTTLED' | 'RATE_LIMIT' | 'IP_BANNED' | 'CLOCK_UNSYNCED' | 'NO_CREDENTIALS' | 'ORDER_RATE_LIMITED';

export type OutcomeKind = RestOutcome['kind'];
export type CallKind = 'read' | 'order';

export type CodeClass = 'REJECTED' | 'UNKNOWN';

/**
 * Binance error codes and what each proves about execution. Codes not listed are UNKNOWN on an
 * order call (never guess "failed") and REJECTED on a read (a read has no side effect to lose).
 * -1000/-1001/-1006/-1007/-1008 do not prove the request missed the matching engine; -2021 means
 * one half of a cancel-replace happened.
 */
export const BINANCE_CODE_CLASS = {
  [-1000]: 'UNKNOWN',
  [-1001]: 'UNKNOWN',
  [-1002]: 'REJECTED',
  [-1003]: 'REJECTED',
  [-1006]: 'UNKNOWN',
  [-1007]: 'UNKNOWN',
  [-1008]: 'UNKNOWN',
  [-1010]: 'REJECTED',
  [-1013]: 'REJECTED',
  [-1014]: 'REJECTED',
  [-1015]: 'REJECTED',
  [-1016]: 'REJECTED',
  [-1020]: 'REJECTED',
  [-1021]: 'REJECTED',
  [-1022]: 'REJECTED',
  [-1100]: 'REJECTED',
  [-1101]: 'REJECTED',
  [-1102]: 'REJECTED',
  [-1103]: 'REJECTED',
  [-1104]: 'REJECTED',
  [-1105]: 'REJECTED',
  [-1106]: 'REJECTED',
  [-1108]: 'REJECTED',
  [-1111]: 'REJECTED',
  [-1112]: 'REJECTED',
  [-1114]: 'REJECTED',
  [-1115]: 'REJECTED',
  [-1116]: 'REJECTED',
  [-1117]: 'REJECTED',
  [-1118]: 'REJECTED',
  [-1119]: 'REJECTED',
  [-1120]: 'REJECTED',
  [-1121]: 'REJECTED',
  [-1122]: 'REJECTED',
  [-1125]: 'REJECTED',
  [-1127]: 'REJECTED',
  [-1128]: 'REJECTED',
  [-1130]: 'REJECTED',
  [-1131]: 'REJECTED',
  [-1134]: 'REJECTED',
  [-1135]: 'REJECTED',
  [-1145]: 'REJECTED',
  [-1158]: 'REJECTED',
  [-1160]: 'REJECTED',
  [-1165]: 'REJECTED',
  [-1166]: 'REJECTED',
  [-1168]: 'REJECTED',
  [-1196]: 'REJECTED',
  [-1197]: 'REJECTED',
  [-1198]: 'REJECTED',
  [-1199]: 'REJECTED',
  [-2010]: 'REJECTED',
  [-2011]: 'REJECTED',
  [-2013]: 'REJECTED',
  [-2014]: 'REJECTED',
  [-2015]: 'REJECTED',
  [-2016]: 'REJECTED',
  [-2021]: 'UNKNOWN',
  [-2022]: 'REJECTED',
  [-2026]: 'REJECTED',
} as const satisfies Record<number, CodeClass>;

export function codeClass(code: number): CodeClass | undefined {
  return (BINANCE_CODE_CLASS as Readonly<Record<number, CodeClass>>)[code];
}

/** Used when 429/418 arrive without a usable Retry-After: 418 bans start at 2 minutes. */
export const DEFAULT_RETRY_AFTER_MS = { 429: 5_000, 418: 120_000 } as const;

export type ParsedBody = { readonly parsed: true; readonly value: unknown } | { readonly parsed: false; readonly raw: string };

export type ClassifyInput =
  | {
      readonly phase: 'transport';
      readonly callKind: CallKind;
      /** Could any byte of the request have left this process? Decide with `mayHaveBeenWritten`. */
      readonly written: boolean;
      readonly transportCode: string;
      readonly detail?: string;
    }
  | {
      readonly phase: 'response';
      readonly callKind: CallKind;
      readonly status: number;
      readonly body: ParsedBody;
      readonly headers: HeaderMap;
      /** The local clock when the reply came (an HTTP-date Retry-After is read against it). */
      readonly nowMs?: number;
    };

export function classify(input: ClassifyInput): RestOutcome {
  if (input.phase === 'transport') {
    const reason = `${input.transportCode}${input.detail ? `: ${input.detail}` : ''}`;
    return input.written ? { kind: 'UNKNOWN', reason: `transport failure after send (${reason})` } : { kind: 'NETWORK_BEFORE_SEND', reason };
  }
  const { status, body, headers, callKind } = input;
  if (status === 429 || status === 418)
    return { kind: 'THROTTLED', status, retryAfterMs: parseRetryAfterMs(headers['retry-after'], input.nowMs) ?? DEFAULT_RETRY_AFTER_MS[status] };
  if (status >= 500) return { kind: 'UNKNOWN', reason: `HTTP ${status}${errorSuffix(body)}` };
  if (status >= 200 && status < 300) {
    if (!body.parsed) return { kind: 'UNKNOWN', reason: `HTTP ${status} with an unparseable body` };
    if (typeof body.value !== 'object' || body.value === null) return { kind: 'UNKNOWN', reason: `HTTP ${status} with a non-object body` };
    return { kind: 'OK', status, body: body.value, headers };
  }
  if (status >= 400) {
    const err = binanceError(body);
    if (!err)
      return callKind === 'order'
        ? { kind: 'UNKNOWN', reason: `HTTP ${status} without a Binance error body` }
        : { kind: 'REJECTED', code: 0, msg: `HTTP ${status} without a Binance error body`, status };
    const cls = codeClass(err.code) ?? (callKind === 'order' ? 'UNKNOWN' : 'REJECTED');
    const extra = err.data !== undefined ? { errorData: { code: err.code, data: err.data } } : {};
    return cls === 'REJECTED'
      ? { kind: 'REJECTED', code: err.code, msg: err.msg, status, ...extra }
      : { kind: 'UNKNOWN', reason: `HTTP ${status} code ${err.code}: ${err.msg}`, ...extra };
  }
  return { kind: 'UNKNOWN', reason: `unexpected HTTP ${status}` };
}

function binanceError(body: ParsedBody): { code: number; msg: string; data?: unknown } | undefined {
  if (!body.parsed || typeof body.value !== 'object' || body.value === null) return undefined;
  const v = body.value as Record<string, unknown>;
  if (typeof v['code'] !== 'number' || !Number.isInteger(v['code'])) return undefined;
  return { code: v['code'], msg: typeof v['msg'] === 'string' ? v['msg'] : '', ...(v['data'] !== undefined ? { data: v['data'] } : {}) };
}

function errorSuffix(body: ParsedBody): string {
  const err = binanceError(body);
  return err ? ` code ${err.code}: ${err.msg}` : '';
}

/** Binance's longest IP ban (its bans grow from 2 minutes to 3 days): no Retry-After is read as longer. */
export const MAX_RETRY_AFTER_MS = 3 * 24 * 3600 * 1000;

/** An HTTP-date in its one current form (RFC 9110 IMF-fixdate): Date.parse alone takes "-1" or "2.5" for days in 2001. */
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Retry-After in whole seconds (the only form Binance sends), or an IMF-fixdate read against
 * `nowMs`. Undefined when absent or when it says no wait at all (0, a date already past) or is not
 * one of these forms: the caller's default applies, so a 418 or 429 never means "go on at once".
 * At most MAX_RETRY_AFTER_MS.
 */
export function parseRetryAfterMs(value: string | undefined, nowMs?: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  let ms: number | undefined;
  if (/^\d{1,12}$/.test(v)) ms = Number(v) * 1000;
  else if (/^\d+$/.test(v))
    ms = MAX_RETRY_AFTER_MS; // more digits than any real wait: the longest ban
  else if (nowMs !== undefined && IMF_FIXDATE.test(v)) {
    const at = Date.parse(v);
    if (Number.isFinite(at)) ms = at - nowMs;
  }
  if (ms === undefined || !(ms > 0)) return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** Codes that only arise before a connection exists: name resolution and connect failures. */
export const PRE_SEND_CODES = [
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'ERR_INVALID_URL',
  'ERR_UNSUPPORTED_PROTOCOL',
] as const;

export type TransportEvidence = {
  readonly code: string;
  /** The socket lifecycle was observed (the transport watched connect, write and response). */
  readonly observed: boolean;
  /** The connection could carry the request: TCP connected (http) or TLS done (https), or a reused socket. */
  readonly connectionReady: boolean;
  /** The request finished writing to the socket. */
  readonly uploaded: boolean;
};

/**
 * Fail-closed answer to "could the server have received this request?". A request cannot leave
 * before its connection is ready (node buffers writes until connect/TLS), so only a failure we
 * watched happen before that point, or a pre-connection error code without timings, is "not sent".
 */
export function mayHaveBeenWritten(e: TransportEvidence): boolean {
  if (e.uploaded || e.connectionReady) return true;
  if (e.observed) return false;
  return !(PRE_SEND_CODES as readonly string[]).includes(e.code);
}
