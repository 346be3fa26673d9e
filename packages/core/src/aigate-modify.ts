import { decisionBody, decisionIdOf, type AIGateModify, type Decision } from '@vigil/contracts';
import { parseDecimal, type Dec } from './decimal.js';
import { quantizePrice, quantizeQty, type SymbolRules } from './filters.js';

/**
 * Local, absolute enforcement of an AI gate MODIFY: it is applied only if no field moves toward
 * more risk. The rules are the table MODIFY_RULES below, which docs/00_SOURCE_OF_TRUTH.md shows
 * verbatim (modifyDocTable; test/unit/modify-doc.test.ts fails when they disagree). Invariants of
 * an applied MODIFY (property-tested): every field obeys its row for the decision's side; values
 * are re-quantized in the safe direction; decision_id is recomputed; any key that is not a
 * mutable row of the table is invalid.
 */
export const MODIFY_FIELDS = ['quantity', 'stop_price', 'take_profit_price', 'entry_price', 'ttl_ms', 'max_requotes'] as const;
export type ModifyField = (typeof MODIFY_FIELDS)[number];

/** How a field may move, per side: not at all, only down (new <= original) or only up (new >= original). */
export type ModifyDirection = 'immutable' | 'not_higher' | 'not_lower';

export interface ModifyRule {
  /** A MODIFY key (mutable rows), or the Decision field it can never reach (immutable rows). */
  readonly field: string;
  readonly buy: ModifyDirection;
  readonly sell: ModifyDirection;
  readonly why: string;
}

/** The one table of what a MODIFY may do. The mutable rows are exactly MODIFY_FIELDS. */
export const MODIFY_RULES: readonly ModifyRule[] = [
  {
    field: 'quantity',
    buy: 'not_higher',
    sell: 'not_higher',
    why: 'Smaller size, smaller exposure. Stays > 0 and tradeable (quantized down to the lot step).',
  },
  {
    field: 'stop_price',
    buy: 'not_lower',
    sell: 'not_higher',
    why: 'Tighter stop: a smaller loss when hit. Stays on the losing side of the entry (quantized toward the entry).',
  },
  {
    field: 'take_profit_price',
    buy: 'not_higher',
    sell: 'not_lower',
    why: 'Take-profit not further: exits no later. Stays on the winning side; cannot be added to a decision that has none (that would change the protection shape).',
  },
  {
    field: 'entry_price',
    buy: 'not_higher',
    sell: 'not_lower',
    why: 'Less aggressive entry: a BUY pays no more, a SELL sells no lower. A MARKET entry has no price and keeps none.',
  },
  {
    field: 'ttl_ms',
    buy: 'not_higher',
    sell: 'not_higher',
    why: 'The entry rests no longer than proposed: the gate reviewed this snapshot, not the market long after it. Stays >= 1 ms.',
  },
  { field: 'max_requotes', buy: 'not_higher', sell: 'not_higher', why: 'No more re-quotes (churn, cancel-replace load) than proposed. Stays >= 0.' },
  { field: 'symbol', buy: 'immutable', sell: 'immutable', why: 'Another market is another decision.' },
  { field: 'side', buy: 'immutable', sell: 'immutable', why: 'The opposite trade is another decision.' },
  { field: 'intent', buy: 'immutable', sell: 'immutable', why: 'An entry stays an entry.' },
  { field: 'entry_type', buy: 'immutable', sell: 'immutable', why: "LIMIT/MARKET is the strategy's choice; only the price of a LIMIT may soften." },
  { field: 'trailing_delta_bps', buy: 'immutable', sell: 'immutable', why: 'Protection parameters come from the strategy and config.' },
  { field: 'expected_edge_bps', buy: 'immutable', sell: 'immutable', why: "The risk verdict judges the strategy's own estimate, never the reviewer's." },
  { field: 'expected_cost_bps', buy: 'immutable', sell: 'immutable', why: 'As expected_edge_bps.' },
  { field: 'constraints.max_quantity', buy: 'immutable', sell: 'immutable', why: 'Caps set by config and risk, not by the reviewer.' },
  { field: 'constraints.max_notional', buy: 'immutable', sell: 'immutable', why: 'As constraints.max_quantity.' },
  { field: 'ids', buy: 'immutable', sell: 'immutable', why: 'run_id, cycle_id, snapshot_id are kept; decision_id is recomputed locally from the new body.' },
];

const RULE_OF = new Map(MODIFY_RULES.map((r) => [r.field, r] as const));

const WORDS: Record<ModifyDirection, string> = { immutable: 'immutable', not_higher: 'new <= original', not_lower: 'new >= original' };

/** The docs/00 table, generated from MODIFY_RULES (so the document cannot drift from the code). */
export function modifyDocTable(): string {
  const rows = MODIFY_RULES.map((r) => `| \`${r.field}\` | ${WORDS[r.buy]} | ${WORDS[r.sell]} | ${r.why} |`);
  return ['| field | BUY (long) | SELL (short) | why |', '|---|---|---|---|', ...rows].join('\n');
}

/** Whether moving `field` from `old` to `next` obeys its row for the side (cmp = sign of next - old). */
function obeys(field: ModifyField, long: boolean, cmp: number): boolean {
  const rule = RULE_OF.get(field)!;
  const dir = long ? rule.buy : rule.sell;
  return dir === 'not_higher' ? cmp <= 0 : dir === 'not_lower' ? cmp >= 0 : cmp === 0;
}

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
    if (!obeys('quantity', long, x.cmp(parseDecimal(d.quantity)!))) return invalid(`quantity ${String(q)} is larger than ${d.quantity}`);
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
    if (!obeys('entry_price', long, x.cmp(old))) return invalid(`entry ${String(e)} is more aggressive than ${d.entry_price}`);
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
    if (!obeys('stop_price', long, x.cmp(old))) return invalid(`stop ${String(s)} is looser than ${d.stop_price}`);
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
    if (d.take_profit_price === null) return invalid('the decision has no take-profit; a MODIFY cannot add one');
    if (!obeys('take_profit_price', long, x.cmp(parseDecimal(d.take_profit_price)!)))
      return invalid(`take-profit ${String(t)} is further than ${d.take_profit_price}`);
    const r = rules ? quantizePrice(x.toFixed(), rules, long ? 'down' : 'up') : { ok: true as const, value: x.toFixed() };
    if (!r.ok) return invalid(`take-profit ${String(t)}: ${r.reason}`);
    if (!sameDecimal(r.value, d.take_profit_price)) {
      tp = r.value;
      changed.push('take_profit_price');
    }
  }

  const ttlIn = get('ttl_ms');
  if (ttlIn !== null) {
    if (typeof ttlIn !== 'number' || !Number.isSafeInteger(ttlIn) || ttlIn < 1) return invalid(`ttl_ms ${String(ttlIn)} must be a positive integer`);
    if (!obeys('ttl_ms', long, Math.sign(ttlIn - d.constraints.ttl_ms))) return invalid(`ttl_ms ${String(ttlIn)} is longer than ${d.constraints.ttl_ms}`);
    if (ttlIn !== ttl) changed.push('ttl_ms');
    ttl = ttlIn;
  }
  const rq = get('max_requotes');
  if (rq !== null) {
    if (typeof rq !== 'number' || !Number.isSafeInteger(rq) || rq < 0) return invalid(`max_requotes ${String(rq)} must be a non-negative integer`);
    if (!obeys('max_requotes', long, Math.sign(rq - d.constraints.max_requotes)))
      return invalid(`max_requotes ${String(rq)} is more than ${d.constraints.max_requotes}`);
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
