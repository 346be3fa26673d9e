import type { AuditRow } from '@vigil/contracts';

/** The hash the first row of a chain links to. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON-quoted forms of the strings that repeat (enumerations, run ids): each quoted once. */
const quoted = new Map<string, string>();
function q(s: string | null): string {
  if (s === null) return 'null';
  let v = quoted.get(s);
  if (v === undefined) {
    v = JSON.stringify(s);
    if (quoted.size < 4096) quoted.set(s, v);
  }
  return v;
}
const qs = (s: string | null): string => (s === null ? 'null' : JSON.stringify(s));
const qn = (n: number | null): string => (n === null ? 'null' : JSON.stringify(n));

/**
 * canonicalEnvelope of a row, read straight from the tuple: the same string (a test holds them
 * equal), without building the envelope object first.
 */
export function canonicalRow(r: AuditRow, payloadJson: string): string {
  return (
    `{"cycle_id":${qn(r[4])},"decision_id":${qs(r[7])},"event_id":${qs(r[0])},"event_type":${q(r[9])},` +
    `"order_intent_id":${qs(r[8])},"payload":${payloadJson},"reason_code":${q(r[10])},"run_id":${q(r[2])},` +
    `"severity":${q(r[11])},"snapshot_id":${qs(r[6])},"source":${q(r[3])},"stage":${q(r[5])},"ts_ms":${qn(r[1])}}`
  );
}
