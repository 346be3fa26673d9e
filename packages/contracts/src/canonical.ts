import { createHash } from 'node:crypto';

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
          s += (i > 0 ? ',' : '') + (x === undefined ? 'null' : write(x, depth + 1));
        }
        return `${s}]`;
      }
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      let s = '{';
      let first = true;
      for (const k of keys) {
        const x = obj[k];
        if (x === undefined) continue;
        s += `${first ? '' : ','}${JSON.stringify(k)}:${write(x, depth + 1)}`;
        first = false;
      }
      return `${s}}`;
    }
    default:
      throw new CanonicalJsonError(`unsupported type ${typeof v}`);
  }
}

export function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

/** sha256 of the canonical JSON of a value: snapshot_hash, input_hash, decision_id all use this. */
export function hashCanonical(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

export const snapshotHash = (snapshot: unknown): string => hashCanonical(snapshot);
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
