import { decisionBody, decisionIdOf, type AIGateModify, type Decision } from '@vigil/contracts';
import { parseDecimal, type Dec } from './decimal.js';
import { quantizePrice, quantizeQty, type SymbolRules } from './filters.js';

/**
 * Local, absolute enforcement of an AI gate MODIFY: it is applied only if every changed field
 * reduces risk. Invariants of an applied MODIFY (property-tested):
 * - quantity never grows; it stays above zero;
 * - the stop only moves toward the entry (tighter), never away;
 * - the entry price only moves away from the market side we take (less aggressive), never on a
 *   MARKET entry; the take-profit only moves toward the entry;
 * - TTL never shortens, max requotes never grow;
 * - symbol, side, intent, constraints and ids are never touched (any other key = invalid);
 * - values are re-quantized in the safe direction, and decision_id is recomputed.
 */
export const MODIFY_FIELDS = ['quantity', 'stop_price', 'take_profit_price', 'entry_price', 'ttl_ms', 'max_requotes'] as const;

export type ModifyResult =
  | { readonly ok: true; readonly decision: Decision; readonly changed: readonly string[] }
  | { readonly ok: false; readonly code: 'AIGATE_MODIFY_INVALID'; readonly why: string };

const invalid = (why: string): ModifyResult => ({ ok: false, code: 'AIGATE_MODIFY_INVALID', why });

export function applyModify(d: Decision, modify: unknown, rules: SymbolRules | null): ModifyResult {
  if (typeof modify !== 'object' || modify === null || Array.isArray(modify)) return invalid('modify must be an object');
  const m = modify as Record<string, unknown>;
  for (const k of Object.keys(m)) {
    if (!(MODIFY_FIELDS as readonly string[]).includes(k)) return invalid(`modify touches ${k}, which the gate may not change`);
  }
  const get = (k: (typeof MODIFY_FIELDS)[number]): unknown => (m[k] === undefined ? null : m[k]);
  const long = d.side === 'BUY';
  const changed: string[] = [];
  let quantity = d.quantity;
  let stop = d.stop_price;
  let tp = d.take_profit_price;
  let entry = d.entry_price;
  let ttl = d.constraints.ttl_ms;
  let requotes = d.constraints.max_requotes;

  const dec = (k: string, v: unknown): Dec | string => {
    const x = parseDecimal(v);
    return x && x.gt(0) ? x : `${k} must be a positive decimal string`;
  };

  const q = get('quantity');
  if (q !== null) {
    const x = dec('quantity', q);
    if (typeof x === 'string') return invalid(x);
    if (x.gt(parseDecimal(d.quantity)!)) return invalid(`quantity ${String(q)} is larger than ${d.quantity}`);
    const r = rules ? quantizeQty(x.toFixed(), rules, { market: d.entry_type === 'MARKET' }) : { ok: true as const, value: x.toFixed() };
    if (!r.ok) return invalid(`quantity ${String(q)} cannot be traded: ${r.reason}`);
    if (!sameDecimal(r.value, d.quantity)) {
      quantity = r.value;
      changed.push('quantity');
    }
  }

  const e = get('entry_price');
  if (e !== null) {
    if (d.entry_type === 'MARKET' || d.entry_price === null) return invalid('a MARKET entry has no price to change');
    const x = dec('entry_price', e);
    if (typeof x === 'string') return invalid(x);
    const old = parseDecimal(d.entry_price)!;
    if (long ? x.gt(old) : x.lt(old)) return invalid(`entry ${String(e)} is more aggressive than ${d.entry_price}`);
    const r = rules ? quantizePrice(x.toFixed(), rules, long ? 'down' : 'up') : { ok: true as const, value: x.toFixed() };
    if (!r.ok) return invalid(`entry ${String(e)}: ${r.reason}`);
    if (!sameDecimal(r.value, d.entry_price)) {
      entry = r.value;
      changed.push('entry_price');
    }
  }

  const s = get('stop_price');
  if (s !== null) {
    const x = dec('stop_price', s);
    if (typeof x === 'string') return invalid(x);
    const old = parseDecimal(d.stop_price)!;
    if (long ? x.lt(old) : x.gt(old)) return invalid(`stop ${String(s)} is looser than ${d.stop_price}`);
    const r = rules ? quantizePrice(x.toFixed(), rules, long ? 'up' : 'down') : { ok: true as const, value: x.toFixed() };
    if (!r.ok) return invalid(`stop ${String(s)}: ${r.reason}`);
    if (!sameDecimal(r.value, d.stop_price)) {
      stop = r.value;
      changed.push('stop_price');
    }
  }

  const t = get('take_profit_price');
  if (t !== null) {
    const x = dec('take_profit_price', t);
    if (typeof x === 'string') return invalid(x);
    if (d.take_profit_price !== null) {
      const old = parseDecimal(d.take_profit_price)!;
      if (long ? x.gt(old) : x.lt(old)) return invalid(`take-profit ${String(t)} is further than ${d.take_profit_price}`);
    }
    const r = rules ? quantizePrice(x.toFixed(), rules, long ? 'down' : 'up') : { ok: true as const, value: x.toFixed() };
    if (!r.ok) return invalid(`take-profit ${String(t)}: ${r.reason}`);
    if (!sameDecimal(r.value, d.take_profit_price)) {
      tp = r.value;
      changed.push('take_profit_price');
    }
  }

  const ttlIn = get('ttl_ms');
  if (ttlIn !== null) {
    if (typeof ttlIn !== 'number' || !Number.isInteger(ttlIn) || ttlIn < d.constraints.ttl_ms) return invalid(`ttl_ms ${String(ttlIn)} is shorter than ${d.constraints.ttl_ms}`);
    if (ttlIn !== ttl) changed.push('ttl_ms');
    ttl = ttlIn;
  }
  const rq = get('max_requotes');
  if (rq !== null) {
    if (typeof rq !== 'number' || !Number.isInteger(rq) || rq < 0 || rq > d.constraints.max_requotes) return invalid(`max_requotes ${String(rq)} is more than ${d.constraints.max_requotes}`);
    if (rq !== requotes) changed.push('max_requotes');
    requotes = rq;
  }

  // The geometry must still hold: stop on the losing side of the entry, take-profit on the winning side.
  const ref = parseDecimal(entry ?? null);
  const st = parseDecimal(stop)!;
  const tpd = parseDecimal(tp ?? null);
  if (ref && (long ? !st.lt(ref) : !st.gt(ref))) return invalid(`stop ${stop} would not be on the losing side of entry ${entry ?? ''}`);
  if (tpd && (long ? !tpd.gt(ref ?? st) : !tpd.lt(ref ?? st))) return invalid(`take-profit ${tp ?? ''} would not be on the winning side`);

  if (changed.length === 0) return { ok: true, decision: d, changed };
  const next: Decision = {
    ...d,
    quantity,
    entry_price: entry,
    stop_price: stop,
    take_profit_price: tp,
    constraints: { ...d.constraints, ttl_ms: ttl, max_requotes: requotes },
  };
  const withId: Decision = { ...next, ids: { ...d.ids, decision_id: decisionIdOf(decisionBody(next)) } };
  return { ok: true, decision: withId, changed };
}

function sameDecimal(a: string, b: string | null): boolean {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  return x !== undefined && y !== undefined && x.eq(y);
}

export type { AIGateModify };
