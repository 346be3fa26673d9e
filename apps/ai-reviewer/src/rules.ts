import type { AIGateModify, AIGateResult, AIGateReviewPayload } from '@vigil/contracts';

/**
 * The reviewer's rule set: small, documented, deterministic. It stands in for a language model in
 * the embedded default and the tests; the bot treats its answers exactly like a model's.
 */
export const REVIEW_RULES = {
  maxDataAgeMs: 5_000,
  maxSpreadBps: 15,
  /** Expected edge must be at least this multiple of the expected cost. */
  minEdgeToCost: 2,
  /** Above this volatility the size is halved. */
  highVolatilityBps: 80,
} as const;

const NO_CHANGE: AIGateModify = { quantity: null, stop_price: null, take_profit_price: null, entry_price: null, ttl_ms: null, max_requotes: null };

export function review(p: AIGateReviewPayload): AIGateResult {
  const m = p.market;
  const d = p.decision;
  if (m.data_age_ms > REVIEW_RULES.maxDataAgeMs) return block('AI_DATA_STALE', `market data is ${m.data_age_ms} ms old`);
  if (m.spread_bps > REVIEW_RULES.maxSpreadBps) return block('AI_SPREAD_WIDE', `spread ${m.spread_bps} bps > ${REVIEW_RULES.maxSpreadBps}`);
  if (d.expected_edge_bps < REVIEW_RULES.minEdgeToCost * d.expected_cost_bps)
    return block('AI_EDGE_THIN', `edge ${d.expected_edge_bps} bps < ${REVIEW_RULES.minEdgeToCost} x cost ${d.expected_cost_bps} bps`);
  if (m.volatility_bps > REVIEW_RULES.highVolatilityBps) {
    return {
      verdict: 'MODIFY',
      reasons: ['AI_VOLATILITY_HIGH'],
      modify: { ...NO_CHANGE, quantity: halve(d.quantity) },
      confidence: 0.7,
      notes: `volatility ${m.volatility_bps} bps: half size`,
    };
  }
  return { verdict: 'ALLOW', reasons: ['AI_OK'], modify: null, confidence: 0.8, notes: 'within the rules' };
}

function block(reason: string, notes: string): AIGateResult {
  return { verdict: 'BLOCK', reasons: [reason], modify: null, confidence: 0.9, notes };
}

/** Exact half of a decimal string (no binary floats on the way to a quantity). */
export function halve(q: string): string {
  const [int = '0', frac = ''] = q.split('.');
  const scale = frac.length + 1;
  const n = BigInt(int + frac.padEnd(scale, '0')) / 2n;
  const s = n.toString().padStart(scale + 1, '0');
  const out = `${s.slice(0, -scale)}.${s.slice(-scale)}`.replace(/\.?0+$/, '');
  return out === '' ? '0' : out;
}

export { NO_CHANGE };
