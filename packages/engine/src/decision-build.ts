import { decisionBody, decisionIdOf, type Decision, type DecisionIds, type SymbolRules } from '@vigil/contracts';
import { cmpExact, divTruncExact, mulExact, parseExact, plainExact, pow10, quantizePrice, quantizeQty, roundExact, type Exact } from '@vigil/core';
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

const BPS = 10_000n;

/** A proposal's bps as an exact decimal: integers (as the strategy rounds them), or a plain decimal. */
function bpsOf(n: number): Exact | undefined {
  return Number.isSafeInteger(n) ? { n: BigInt(n), s: 0 } : parseExact(String(n));
}

/** x * (10000 + bps) / 10000, truncated toward zero to 12 decimals (as the venue's 8 leave room for). */
function scaleByBps(x: Exact, bps: Exact): Exact {
  const factor = { n: BPS * pow10(bps.s) + bps.n, s: bps.s };
  const p = mulExact(x, factor);
  return truncate12({ n: p.n, s: p.s + 4 });
}

const truncate12 = (x: Exact): Exact => roundExact(x, 12, x.n < 0n ? 'up' : 'down');

const negate = (x: Exact): Exact => ({ n: -x.n, s: x.s });

export function buildDecision(i: BuildInput): BuildResult {
  const p = i.proposal;
  const entry = parseExact(p.entry_price);
  if (!entry || entry.n <= 0n) return { ok: false, why: `entry price ${p.entry_price} is not a positive decimal` };
  const offBps = bpsOf(p.entry_offset_bps);
  const stopBps = bpsOf(p.stop_bps);
  const tpBps = bpsOf(p.take_profit_bps);
  if (!offBps || !stopBps || !tpBps) return { ok: false, why: `bps ${p.entry_offset_bps}/${p.stop_bps}/${p.take_profit_bps} are not plain decimals` };
  const eq = quantizePrice(plainExact(scaleByBps(entry, negate(offBps))), i.rules, 'down');
  if (!eq.ok) return { ok: false, why: `entry price: ${eq.reason}` };
  const e = parseExact(eq.value);
  if (!e || e.n <= 0n) return { ok: false, why: `entry price ${eq.value} is not positive` };
  // A long's stop rounds down (never closer than asked), its take-profit rounds down (closer).
  const sq = quantizePrice(plainExact(scaleByBps(e, negate(stopBps))), i.rules, 'down');
  if (!sq.ok) return { ok: false, why: `stop price: ${sq.reason}` };
  const tq = quantizePrice(plainExact(scaleByBps(e, tpBps)), i.rules, 'down');
  if (!tq.ok) return { ok: false, why: `take-profit price: ${tq.reason}` };
  const notional = parseExact(p.quote_notional);
  if (!notional || notional.n <= 0n) return { ok: false, why: `notional ${p.quote_notional} is not positive` };
  // Venue steps have at most 8 decimals: 12 keep the rounding exact while staying a short string.
  const qq = quantizeQty(plainExact(divTruncExact(notional, e, 12)), i.rules);
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
  // The id is the hash of this very body: checking it again would only hash the same bytes twice.
  const decision: Decision = { ids: { ...i.ids, decision_id: decisionIdOf(body) }, ...body };
  const v = checkShape(decision);
  return v === null ? { ok: true, decision } : { ok: false, why: v };
}

/** Schema plus invariants; null when valid. Used again after an applied MODIFY. */
export function checkDecision(d: Decision): string | null {
  if (!validDecision(d)) return `schema: ${ajvErrorsText(validDecision.errors)}`;
  if (d.ids.decision_id !== decisionIdOf(decisionBody(d))) return 'decision_id is not the hash of the decision';
  return invariants(d);
}

function checkShape(d: Decision): string | null {
  if (!validDecision(d)) return `schema: ${ajvErrorsText(validDecision.errors)}`;
  return invariants(d);
}

/** What the schema cannot express, on a decision the schema accepted. */
function invariants(d: Decision): string | null {
  const q = parseExact(d.quantity);
  const maxQ = parseExact(d.constraints.max_quantity);
  const maxN = parseExact(d.constraints.max_notional);
  const stop = parseExact(d.stop_price);
  const entry = d.entry_price === null ? null : parseExact(d.entry_price);
  const tp = d.take_profit_price === null ? null : parseExact(d.take_profit_price);
  if (!q || !maxQ || !maxN || !stop || entry === undefined || tp === undefined) return 'a price or quantity is not a plain decimal';
  if (q.n <= 0n) return 'quantity must be positive';
  if (cmpExact(q, maxQ) > 0) return `quantity ${d.quantity} above max_quantity ${d.constraints.max_quantity}`;
  if (entry !== null) {
    const n = mulExact(q, entry);
    if (cmpExact(n, maxN) > 0) return `notional ${plainExact(n)} above max_notional ${d.constraints.max_notional}`;
    if (d.side === 'BUY' && !(cmpExact(stop, entry) < 0 && (tp === null || cmpExact(tp, entry) > 0))) return 'a long needs stop < entry < take-profit';
    if (d.side === 'SELL' && !(cmpExact(stop, entry) > 0 && (tp === null || cmpExact(tp, entry) < 0))) return 'a short needs take-profit < entry < stop';
  }
  if (d.entry_type === 'MARKET' && d.entry_price !== null) return 'a MARKET entry carries no price';
  if (d.entry_type !== 'MARKET' && d.entry_price === null) return `a ${d.entry_type} entry needs a price`;
  return null;
}
