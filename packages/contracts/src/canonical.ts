import * as crypto from 'node:crypto';

export class CanonicalJsonError extends Error {
  readonly code = 'CANONICAL_JSON_UNSUPPORTED';
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit order, no whitespace, `undefined` members
 * omitted, arrays kept in order. Non-finite numbers, bigint, functions and symbols are refused:
 * a hash over a value that JSON cannot carry faithfully would not be reproducible.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

function write(v: unknown, depth: number): string {
  if (depth > 64) throw new CanonicalJsonError('nesting deeper than 64');
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new CanonicalJsonError(`non-finite number ${String(v)}`);
      return JSON.stringify(v);
    case 'object': {
      // Plain loops and one string: every audit event passes through here on its producer's thread.
      if (Array.isArray(v)) {
        let s = '[';
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          if (i > 0) s += ',';
          s += x === undefined ? 'null' : write(x, depth + 1);
        }
        return `${s}]`;
      }
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj);
      if (keys.length > 1) keys.sort();
      let s = '{';
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        const x = obj[k];
        if (x === undefined) continue;
        if (!first) s += ',';
        s += quotedKey(k);
        s += ':';
        s += write(x, depth + 1);
        first = false;
      }
      return `${s}}`;
    }
    default:
      throw new CanonicalJsonError(`unsupported type ${typeof v}`);
  }
}

/**
 * Object keys quoted once: the same few hundred keys recur in every payload, and quoting each anew
 * was a quarter of a snapshot's canonical form. Bounded: only short keys, and keys from foreign data
 * (venue or AI replies) stop being remembered once it is full.
 */
const QUOTED = new Map<string, string>();
const QUOTED_MAX = 4096;

function quotedKey(k: string): string {
  let q = QUOTED.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (k.length <= 64 && QUOTED.size < QUOTED_MAX) QUOTED.set(k, q);
  }
  return q;
}

/** One-shot sha256 (node >= 20.12): half the cost of a Hash object for a short input. */
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

export const sha256Hex: (data: string) => string = oneShot
  ? (data) => oneShot('sha256', data, 'hex')
  : (data) => crypto.createHash('sha256').update(data, 'utf8').digest('hex');

/** sha256 of the canonical JSON of a value: snapshot_hash, input_hash, decision_id all use this. */
export function hashCanonical(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

export const snapshotHash = (snapshot: unknown): string => sha256Hex(snapshotCanonical(snapshot));

type BarText = { open: number; high: number; low: number; close: number; text: string };
/** Bar texts by start time, checked against all four prices on every use (a text is only reused for equal prices). */
const BAR_TEXTS = new Map<number, BarText[]>();
const BAR_TEXTS_MAX = 8192;

/**
 * canonicalJson of a snapshot body ({ask, bars, bid, quote_age_ms, symbol, ts_ms}, bars of
 * {close, high, low, open, start_ms}), with each bar's text reused while its prices are unchanged:
 * consecutive snapshots share all their bars but one, and formatting their numbers was most of the
 * hash (each cycle live, each recorded cycle in replay). Any other shape goes through canonicalJson;
 * the result is the same text either way (property-tested).
 */
export function snapshotCanonical(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return canonicalJson(body);
  const b = body as Record<string, unknown>;
  const { ask, bid, symbol, quote_age_ms: age, ts_ms: ts, bars } = b;
  if (
    Object.keys(b).length !== 6 ||
    typeof ask !== 'string' ||
    typeof bid !== 'string' ||
    typeof symbol !== 'string' ||
    typeof age !== 'number' ||
    !Number.isFinite(age) ||
    typeof ts !== 'number' ||
    !Number.isFinite(ts) ||
    !Array.isArray(bars)
  )
    return canonicalJson(body);
  let s = `{"ask":${JSON.stringify(ask)},"bars":[`;
  for (let i = 0; i < bars.length; i++) {
    const t = barText(bars[i]);
    if (t === null) return canonicalJson(body);
    if (i > 0) s += ',';
    s += t;
  }
  return `${s}],"bid":${JSON.stringify(bid)},"quote_age_ms":${JSON.stringify(age)},"symbol":${JSON.stringify(symbol)},"ts_ms":${JSON.stringify(ts)}}`;
}

function barText(x: unknown): string | null {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return null;
  const r = x as Record<string, unknown>;
  const { open, high, low, close, start_ms: start } = r;
  if (
    typeof open !== 'number' ||
    typeof high !== 'number' ||
    typeof low !== 'number' ||
    typeof close !== 'number' ||
    typeof start !== 'number' ||
    !Number.isFinite(open) ||
    !Number.isFinite(high) ||
    !Number.isFinite(low) ||
    !Number.isFinite(close) ||
    !Number.isFinite(start) ||
    Object.keys(r).length !== 5
  )
    return null;
  // A few bars per start time: symbols share bar times, and each keeps its own prices.
  let bucket = BAR_TEXTS.get(start);
  if (bucket) for (const h of bucket) if (h.open === open && h.high === high && h.low === low && h.close === close) return h.text;
  const text = `{"close":${JSON.stringify(close)},"high":${JSON.stringify(high)},"low":${JSON.stringify(low)},"open":${JSON.stringify(open)},"start_ms":${JSON.stringify(start)}}`;
  if (!bucket) {
    if (BAR_TEXTS.size >= BAR_TEXTS_MAX) BAR_TEXTS.clear();
    BAR_TEXTS.set(start, (bucket = []));
  }
  if (bucket.length >= 4) bucket.shift();
  bucket.push({ open, high, low, close, text });
  return text;
}
export const inputHash = (payload: unknown): string => hashCanonical(payload);
/** decision_id: "dec_" + the first 32 hex of the hash of the canonical decision (ids excluded by the caller). */
export const decisionIdOf = (canonicalDecision: unknown): string => `dec_${hashCanonical(canonicalDecision).slice(0, 32)}`;

/**
 * Canonical JSON of an event envelope given the canonical JSON of its payload: the same string
 * canonicalJson(envelope) produces, built without serializing the payload twice (the audit
 * writer's hot path hashes every event).
 */
export function canonicalEnvelope(
  ev: {
    readonly cycle_id: number | null;
    readonly decision_id: string | null;
    readonly event_id: string;
    readonly event_type: string;
    readonly order_intent_id: string | null;
    readonly reason_code: string | null;
    readonly run_id: string;
    readonly severity: string;
    readonly snapshot_id: string | null;
    readonly source: string;
    readonly stage: string | null;
    readonly ts_ms: number;
  },
  payloadJson: string,
): string {
  const j = (v: string | number | null): string => (v === null ? 'null' : JSON.stringify(v));
  return (
    `{"cycle_id":${j(ev.cycle_id)},"decision_id":${j(ev.decision_id)},"event_id":${j(ev.event_id)},` +
    `"event_type":${j(ev.event_type)},"order_intent_id":${j(ev.order_intent_id)},"payload":${payloadJson},` +
    `"reason_code":${j(ev.reason_code)},"run_id":${j(ev.run_id)},"severity":${j(ev.severity)},` +
    `"snapshot_id":${j(ev.snapshot_id)},"source":${j(ev.source)},"stage":${j(ev.stage)},"ts_ms":${j(ev.ts_ms)}}`
  );
}
