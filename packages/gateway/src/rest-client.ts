import { backoffMs } from '@vigil/core';
import { ACCEPT_ENCODING, createHttpTransport, type TransportEvidence } from './http-transport.js';
import { classify, mayHaveBeenWritten, type CallKind, type HeaderMap, type ParsedBody, type RestOutcome } from './outcome.js';
import type { RateGovernor } from './rate-limits.js';
import { buildQuery, buildSignedQuery, scrubUrl, type Params, type Signer } from './signing.js';

/**
 * REST transport to Binance Spot. Every call returns a RestOutcome; nothing is thrown across this
 * boundary for an expected failure.
 *
 * Contract:
 * - Order-changing calls (kind 'order') are sent at most once: no HTTP-layer retry, ever. A call
 *   whose fate is unknown comes back UNKNOWN and must be resolved by querying its clientOrderId.
 * - Reads (GET, kind 'read') are retried at most READ_RETRY.limit times, only after
 *   NETWORK_BEFORE_SEND or HTTP 5xx, re-admitted by the governor and re-signed each time.
 * - -1021 (timestamp outside recvWindow) is returned as REJECTED and not retried here: the gateway
 *   resyncs the clock once and retries once, then raises TIMESTAMP_REJECTED.
 * - Every call has an explicit total timeout (readTimeoutMs / orderTimeoutMs).
 * - Error text is scrubbed of signatures and the API key before it leaves this module.
 */

export const READ_RETRY = { limit: 2, initialMs: 200, maxMs: 1_000 } as const;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export type RestClock = {
  localNow(): number;
  /** Exchange time for a local instant, undefined while the offset is unknown. */
  exchangeNow(localNowMs: number): number | undefined;
};

export type ResponseInfo = {
  readonly method: HttpMethod;
  readonly path: string;
  readonly callKind: CallKind;
  readonly attempt: number;
  readonly status: number | null;
  readonly outcome: RestOutcome['kind'];
  readonly durationMs: number;
};

export type RestClientOptions = {
  readonly baseUrl: string;
  readonly apiKey?: string;
  /** HMAC secret (or Ed25519 PEM): signs only when no `signer` is given; always scrubbed from error text. */
  readonly secret?: string;
  readonly signer?: Signer;
  readonly recvWindowMs: number;
  readonly readTimeoutMs: number;
  readonly orderTimeoutMs: number;
  readonly clock: RestClock;
  readonly governor: RateGovernor;
  readonly onResponse?: (info: ResponseInfo) => void;
  /** A request the local governor held back (never sent): health counters. */
  readonly onNotSent?: (cause: 'REST_THROTTLED' | 'RATE_LIMIT' | 'IP_BANNED' | 'ORDER_RATE_LIMITED') => void;
  /** Injected so tests need not wait out the read back-off. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** The bound on a reply's size, received and decoded (default MAX_REPLY_BYTES). */
  readonly maxReplyBytes?: number;
};

export type SignedCallOptions = {
  readonly weight: number;
  readonly kind: CallKind;
  /** ORDERS count added (default 1 for 'order'); 0 for a cancel, 2 for an OCO. */ readonly newOrders?: number;
  /** A risk-reducing order (protection, exit): admitted into the ORDERS headroom entries may not use. */
  readonly protective?: boolean;
};

export type RestClient = {
  publicGet(path: string, params: Params, weight: number): Promise<RestOutcome>;
  signed(method: HttpMethod, path: string, params: Params, opts: SignedCallOptions): Promise<RestOutcome>;
  close(): void;
};

type Attempt = { outcome: RestOutcome; status: number | null };

export function createRestClient(o: RestClientOptions): RestClient {
  const transport = createHttpTransport(o.baseUrl, o.maxReplyBytes === undefined ? {} : { maxReplyBytes: o.maxReplyBytes });
  const signer: Signer | undefined = o.signer ?? (o.secret ? { kind: 'HMAC_SHA256', secret: o.secret } : undefined);
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const secretTexts = [o.apiKey, o.secret].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const publicHeaders: Record<string, string> = { accept: 'application/json', 'accept-encoding': ACCEPT_ENCODING, 'user-agent': 'vigil' };
  const keyHeaders: Record<string, string> = o.apiKey ? { ...publicHeaders, 'x-mbx-apikey': o.apiKey } : publicHeaders;

  const scrub = (s: string): string => {
    let out = scrubUrl(s);
    for (const t of secretTexts) out = out.split(t).join('[REDACTED]');
    return out;
  };

  const send = async (method: HttpMethod, path: string, query: string, callKind: CallKind, withKey: boolean): Promise<Attempt> => {
    const reply = await transport.send({
      method,
      pathAndQuery: query === '' ? path : `${path}?${query}`,
      headers: withKey ? keyHeaders : publicHeaders,
      timeoutMs: callKind === 'order' ? o.orderTimeoutMs : o.readTimeoutMs,
    });
    if (!reply.ok) return { outcome: scrubOutcome(transportOutcome(reply.code, reply.message, reply.evidence, callKind), scrub), status: null };
    const hdrs = normalizeHeaders(reply.headers);
    const body = parseBody(reply.body);
    const at = o.clock.localNow();
    o.governor.observe(reply.status, hdrs, at, errorCode(body));
    const outcome = classify({ phase: 'response', callKind, status: reply.status, body, headers: hdrs, nowMs: at });
    return { outcome: scrubOutcome(outcome, scrub), status: reply.status };
  };

  const run = async (
    method: HttpMethod,
    path: string,
    callKind: CallKind,
    weight: number,
    newOrders: number | undefined,
    protective: boolean,
    build: () => { query: string } | RestOutcome,
    withKey: boolean,
  ): Promise<RestOutcome> => {
    const retriable = method === 'GET' && callKind === 'read';
    for (let attempt = 0; ; attempt++) {
      const started = o.clock.localNow();
      const adm = o.governor.admit(callKind, weight, started, newOrders, protective);
      if (!adm.admit) {
        const cause =
          adm.cause === 'BANNED'
            ? 'IP_BANNED'
            : adm.cause === 'RATE_LIMITED'
              ? 'RATE_LIMIT'
              : adm.cause === 'ORDER_RATE_LIMITED'
                ? 'ORDER_RATE_LIMITED'
                : 'REST_THROTTLED';
        o.onNotSent?.(cause);
        return { kind: 'NOT_SENT', cause, waitMs: adm.waitMs, detail: adm.detail };
      }
      const built = build();
      if ('kind' in built) return built;
      const { outcome, status } = await send(method, path, built.query, callKind, withKey);
      o.onResponse?.({ method, path, callKind, attempt, status, outcome: outcome.kind, durationMs: o.clock.localNow() - started });
      const again =
        retriable && attempt < READ_RETRY.limit && (outcome.kind === 'NETWORK_BEFORE_SEND' || (outcome.kind === 'UNKNOWN' && status !== null && status >= 500));
      if (!again) return outcome;
      await sleep(backoffMs(attempt, READ_RETRY.initialMs, READ_RETRY.maxMs, o.random));
    }
  };

  return {
    publicGet: (path, params, weight) => run('GET', path, 'read', weight, 0, false, () => ({ query: buildQuery(params) }), false),
    signed: (method, path, params, opts) =>
      run(
        method,
        path,
        opts.kind,
        opts.weight,
        opts.newOrders,
        opts.protective ?? false,
        () => {
          if (!signer || !o.apiKey) return { kind: 'NOT_SENT', cause: 'NO_CREDENTIALS', waitMs: null, detail: 'no API key or signing key configured' };
          const ts = o.clock.exchangeNow(o.clock.localNow());
          if (ts === undefined) return { kind: 'NOT_SENT', cause: 'CLOCK_UNSYNCED', waitMs: null, detail: 'exchange clock offset unknown' };
          return { query: buildSignedQuery(params, { signer, timestampMs: ts, recvWindowMs: o.recvWindowMs }).signedQuery };
        },
        true,
      ),
    close: () => transport.close(),
  };
}

function normalizeHeaders(h: Readonly<Record<string, string | string[] | undefined>>): HeaderMap {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

/** The Binance error code of a body, when it is one ({code, msg}). */
function errorCode(body: ParsedBody): number | undefined {
  if (!body.parsed || typeof body.value !== 'object' || body.value === null) return undefined;
  const c = (body.value as { code?: unknown }).code;
  return typeof c === 'number' && Number.isInteger(c) ? c : undefined;
}

function parseBody(text: string): ParsedBody {
  try {
    return { parsed: true, value: JSON.parse(text) as unknown };
  } catch {
    return { parsed: false, raw: text.slice(0, 200) };
  }
}

function transportOutcome(code: string, message: string, ev: TransportEvidence, callKind: CallKind): RestOutcome {
  // We watched the whole lifecycle, so "not written" needs a failure before the connection was ready.
  const written = ev.responded || mayHaveBeenWritten({ code, observed: true, connectionReady: ev.connectionReady, uploaded: ev.uploaded });
  return classify({ phase: 'transport', callKind, written, transportCode: code, detail: message });
}

function scrubOutcome(out: RestOutcome, scrub: (s: string) => string): RestOutcome {
  switch (out.kind) {
    case 'UNKNOWN':
    case 'NETWORK_BEFORE_SEND':
      return { ...out, reason: scrub(out.reason) };
    case 'REJECTED':
      return { ...out, msg: scrub(out.msg) };
    case 'NOT_SENT':
      return { ...out, detail: scrub(out.detail) };
    case 'OK':
    case 'THROTTLED':
      return out;
    default: {
      const never: never = out;
      return never;
    }
  }
}
