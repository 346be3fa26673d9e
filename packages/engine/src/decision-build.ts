import { decisionBody, decisionIdOf, type Decision, type DecisionIds, type SymbolRules } from '@vigil/contracts';
import { Dec, parseDecimal, quantizePrice, quantizeQty } from '@vigil/core';
import { ajvErrorsText } from '@vigil/runtime';
import { DECISION_BUILD_VALIDATORS } from './decision-validators.js';
import type { Proposal } from './strategy.js';

/**
 * Turns a proposal into a Decision: every price and quantity quantized to the symbol's filters in
 * exact decimals (prices from the book's strings and integer bps, quantities rounded down), then
 * checked against the Decision JSON Schema and the invariants the schema cannot express. Nothing
 * downstream (gate, risk, execution) ever sees an unquantized or invalid decision.
 */
const validDecision = DECISION_BUILD_VALIDATORS.decision;

export type BuildResult = { readonly ok: true; readonly decision: Decision } | { readonly ok: false; readonly why: string };

export interface BuildInput {
  readonly proposal: Proposal;
  readonly rules: SymbolRules;
  readonly ids: Omit<DecisionIds, 'decision_id'>;
  readonly ttl_ms: number;
  readonly max_requotes: number;
  readonly max_notional: string;
  readonly expected_cost_bps: number;
}

const BPS = new Dec(10_000);

export function buildDecision(i: BuildInput): BuildResult {
  const p = i.proposal;
  const entry = parseDecimal(p.entry_price);
  if (!entry || entry.lte(0)) return { ok: false, why: `entry price ${p.entry_price} is not a positive decimal` };
  const offset = entry.mul(BPS.minus(p.entry_offset_bps)).div(BPS).toDecimalPlaces(12, Dec.ROUND_DOWN);
  const eq = quantizePrice(offset.toFixed(), i.rules, 'down');
  if (!eq.ok) return { ok: false, why: `entry price: ${eq.reason}` };
  const e = new Dec(eq.value);
  const stopRaw = e.mul(BPS.minus(p.stop_bps)).div(BPS).toDecimalPlaces(12, Dec.ROUND_DOWN);
  const tpRaw = e.mul(BPS.plus(p.take_profit_bps)).div(BPS).toDecimalPlaces(12, Dec.ROUND_DOWN);
  // A long's stop rounds down (never closer than asked), its take-profit rounds down (closer).
  const sq = quantizePrice(stopRaw.toFixed(), i.rules, 'down');
  if (!sq.ok) return { ok: false, why: `stop price: ${sq.reason}` };
  const tq = quantizePrice(tpRaw.toFixed(), i.rules, 'down');
  if (!tq.ok) return { ok: false, why: `take-profit price: ${tq.reason}` };
  const notional = parseDecimal(p.quote_notional);
  if (!notional || notional.lte(0)) return { ok: false, why: `notional ${p.quote_notional} is not positive` };
  // Venue steps have at most 8 decimals: 12 keep the rounding exact while staying a short string.
  const qq = quantizeQty(notional.div(e).toDecimalPlaces(12, Dec.ROUND_DOWN).toFixed(), i.rules);
  if (!qq.ok) return { ok: false, why: `quantity: ${qq.reason}` };
  const body: Omit<Decision, 'ids'> = {
    symbol: p.symbol,
    side: p.side,
    intent: 'ENTRY',
    quantity: qq.value,
    entry_type: p.entry_type,
    entry_price: eq.value,
    stop_price: sq.value,
    take_profit_price: tq.value,
    trailing_delta_bps: p.trailing_delta_bps,
    expected_edge_bps: p.expected_edge_bps,
    expected_cost_bps: i.expected_cost_bps,
    constraints: { max_quantity: qq.value, max_notional: i.max_notional, ttl_ms: i.ttl_ms, max_requotes: i.max_requotes },
  };
  const decision: Decision = { ids: { ...i.ids, decision_id: decisionIdOf(body) }, ...body };
  const v = checkDecision(decision);
  return v === null ? { ok: true, decision } : { ok: false, why: v };
}

/** Schema plus invariants; null when valid. Used again after an applied MODIFY. */
export function checkDecision(d: Decision): string | null {
  if (!validDecision(d)) return `schema: ${ajvErrorsText(validDecision.errors)}`;
  if (d.ids.decision_id !== decisionIdOf(decisionBody(d))) return 'decision_id is not the hash of the decision';
  const q = new Dec(d.quantity);
  if (q.lte(0)) return 'quantity must be positive';
  if (q.gt(d.constraints.max_quantity)) return `quantity ${d.quantity} above max_quantity ${d.constraints.max_quantity}`;
  const stop = new Dec(d.stop_price);
  const entry = d.entry_price === null ? null : new Dec(d.entry_price);
  const tp = d.take_profit_price === null ? null : new Dec(d.take_profit_price);
  if (entry !== null) {
    if (q.mul(entry).gt(d.constraints.max_notional)) return `notional ${q.mul(entry).toFixed()} above max_notional ${d.constraints.max_notional}`;
    if (d.side === 'BUY' && !(stop.lt(entry) && (tp === null || tp.gt(entry)))) return 'a long needs stop < entry < take-profit';
    if (d.side === 'SELL' && !(stop.gt(entry) && (tp === null || tp.lt(entry)))) return 'a short needs take-profit < entry < stop';
  }
  if (d.entry_type === 'MARKET' && d.entry_price !== null) return 'a MARKET entry carries no price';
  if (d.entry_type !== 'MARKET' && d.entry_price === null) return `a ${d.entry_type} entry needs a price`;
  return null;
}
