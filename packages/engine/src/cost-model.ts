import type { StrategyConfig } from '@vigil/contracts';

/**
 * Round-trip cost of an entry, in basis points of notional: entry and exit commissions (taker on
 * both sides, the conservative case: a stop exits as taker), the spread paid crossing the book,
 * and a slippage estimate per side.
 */
export interface CostEstimate {
  readonly fees_bps: number;
  readonly spread_bps: number;
  readonly slippage_bps: number;
  readonly total_bps: number;
}

export function estimateCost(cfg: StrategyConfig, bid: string, ask: string): CostEstimate {
  const b = Number(bid);
  const a = Number(ask);
  const mid = (a + b) / 2;
  const spread = mid > 0 ? ((a - b) / mid) * 10_000 : Number.POSITIVE_INFINITY;
  const fees = 2 * cfg.taker_fee_bps;
  const slip = 2 * cfg.slippage_bps;
  const round = (x: number): number => Math.round(x * 100) / 100;
  return { fees_bps: fees, spread_bps: round(spread), slippage_bps: slip, total_bps: round(fees + spread + slip) };
}

export type CostVerdict = { readonly ok: true } | { readonly ok: false; readonly code: 'EDGE_TOO_LOW' | 'COST_TOO_HIGH'; readonly detail: string };

export function judgeCost(cfg: StrategyConfig, edgeBps: number, cost: CostEstimate): CostVerdict {
  if (cost.total_bps > cfg.max_cost_bps) return { ok: false, code: 'COST_TOO_HIGH', detail: `cost ${cost.total_bps} bps > max ${cfg.max_cost_bps}` };
  if (edgeBps < cost.total_bps + cfg.min_edge_bps)
    return { ok: false, code: 'EDGE_TOO_LOW', detail: `edge ${edgeBps} bps < cost ${cost.total_bps} + ${cfg.min_edge_bps}` };
  return { ok: true };
}
