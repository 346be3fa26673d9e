import type { Decision, ReasonCode, RiskConfig } from '@vigil/contracts';
import { addExact, cmpExact, divTruncExact, EXACT_ZERO, exactOf, formatExact, maxExact, mulExact, subExact, type Exact } from '@vigil/core';
import type { ChurnCounter } from './churn.js';

/**
 * RISK_VERDICT: may this entry go out? Every rule is checked and every block is listed (an
 * operator sees the whole picture). Exposure and P&L arrive as exact decimal strings.
 * `near` gives each limit's use as a fraction (0..1+) for the panel's near-limit indicators.
 */
export interface RiskInputs {
  readonly symbol: string;
  readonly notional: string;
  readonly kill_switch: 'OFF' | 'ON' | 'CHECK_FAILED';
  /** Realized + unrealized P&L of the current UTC day, quote currency (negative = loss). */
  readonly day_pnl: string;
  /** Highest day_pnl seen today. */
  readonly day_peak_pnl: string;
  readonly exposure_total: string;
  readonly exposure_symbol: string;
  readonly has_position: boolean;
  readonly open_orders: number;
  readonly quarantined: boolean;
  readonly unresolved_unknown: boolean;
  readonly pending_entry: boolean;
  /**
   * The market as it stands at the verdict, after the AI gate's review, beside what the decision
   * assumed. Absent in records made before 2026-12-07 (nothing is checked then).
   */
  readonly market_now?: MarketNow;
}

/** The quote read right before the verdict and the decision's prices it is checked against. */
export interface MarketNow {
  readonly side: 'BUY' | 'SELL';
  readonly entry_type: 'LIMIT' | 'LIMIT_MAKER' | 'MARKET';
  readonly bid: string;
  readonly ask: string;
  /** The price the decision was priced at: its limit price, or the snapshot's touch for MARKET. */
  readonly reference_price: string;
  readonly stop_price: string;
  readonly take_profit_price: string | null;
  /** Edge above what the cost gate demanded (expected edge - cost - min edge), in bps: what a worse fill may spend. */
  readonly edge_margin_bps: number;
}

/** The re-check's inputs: the quote read now, and what the decision (priced on `snap`) assumed. */
export function marketNowOf(
  d: Pick<Decision, 'side' | 'entry_type' | 'entry_price' | 'stop_price' | 'take_profit_price' | 'expected_edge_bps' | 'expected_cost_bps'>,
  quote: { readonly bid: string; readonly ask: string },
  snap: { readonly bid: string; readonly ask: string },
  minEdgeBps: number,
): MarketNow {
  return {
    side: d.side,
    entry_type: d.entry_type,
    bid: quote.bid,
    ask: quote.ask,
    reference_price: d.entry_price ?? (d.side === 'BUY' ? snap.ask : snap.bid),
    stop_price: d.stop_price,
    take_profit_price: d.take_profit_price,
    edge_margin_bps: d.expected_edge_bps - d.expected_cost_bps - minEdgeBps,
  };
}

/**
 * Whether the entry still makes sense at the current quote. A review can take seconds; an entry
 * sent after the price crossed its stop fills and is sold at once (two fees and the spread for
 * nothing), one sent after its target was reached has no upside left, and a MARKET entry whose touch
 * moved against it by more than its edge margin no longer passes the cost gate it passed. A LIMIT
 * entry cannot fill worse than its price, so only the first two apply to it. Exact decimals.
 */
export function marketMovedWhy(m: MarketNow): string | null {
  const bid = exactOf(m.bid);
  const ask = exactOf(m.ask);
  const stop = exactOf(m.stop_price);
  const buy = m.side === 'BUY';
  // The side the position would be closed on: a long is sold at the bid, a short bought at the ask.
  const exitTouch = buy ? bid : ask;
  const entryTouch = buy ? ask : bid;
  if (buy ? cmpExact(exitTouch, stop) <= 0 : cmpExact(exitTouch, stop) >= 0)
    return `${buy ? 'bid' : 'ask'} ${formatExact(exitTouch, 8)} is past the stop ${m.stop_price}`;
  if (m.take_profit_price !== null) {
    const tp = exactOf(m.take_profit_price);
    if (buy ? cmpExact(entryTouch, tp) >= 0 : cmpExact(entryTouch, tp) <= 0)
      return `${buy ? 'ask' : 'bid'} ${formatExact(entryTouch, 8)} is past the target ${m.take_profit_price}`;
  }
  if (m.entry_type === 'MARKET') {
    const ref = exactOf(m.reference_price);
    // Adverse move in bps, compared without division: (touch - ref) * 10000 against margin * ref.
    const moved = buy ? subExact(entryTouch, ref) : subExact(ref, entryTouch);
    const margin = maxExact(EXACT_ZERO, exactOf(m.edge_margin_bps.toFixed(4)));
    if (cmpExact(mulExact(moved, exactOf('10000')), mulExact(margin, ref)) > 0)
      return `the touch moved ${formatExact(moved, 8)} against the entry, beyond its edge margin of ${m.edge_margin_bps} bps over ${m.reference_price}`;
  }
  return null;
}

export interface RiskVerdict {
  readonly ok: boolean;
  readonly blocks: readonly ReasonCode[];
  readonly near: Readonly<Record<string, number>>;
  /** Limits whose breach must also raise a mode reason (daily loss, drawdown, churn). */
  readonly raise: readonly ReasonCode[];
}

export function riskVerdict(cfg: RiskConfig, churn: Pick<ChurnCounter, 'count'>, i: RiskInputs): RiskVerdict {
  const blocks: ReasonCode[] = [];
  const raise: ReasonCode[] = [];
  // Exact decimals on scaled integers: the same values as decimal.js, a fraction of its work on
  // the entry path (docs/12_DECISIONS_LOG.md, 2026-12-07).
  const limit = exactOf(cfg.daily_loss_limit_quote);
  const maxTotal = exactOf(cfg.max_exposure_quote_total);
  const maxSymbol = exactOf(cfg.max_exposure_quote_per_symbol);
  const pnl = exactOf(i.day_pnl);
  const loss = maxExact(EXACT_ZERO, subExact(EXACT_ZERO, pnl));
  const drawdown = maxExact(EXACT_ZERO, subExact(exactOf(i.day_peak_pnl), pnl));
  const n = exactOf(i.notional);
  const total = addExact(exactOf(i.exposure_total), n);
  const sym = addExact(exactOf(i.exposure_symbol), n);
  const c10 = churn.count(i.symbol, 10_000);
  const c60 = churn.count(i.symbol, 60_000);
  if (i.kill_switch === 'ON') blocks.push('KILL_SWITCH_ACTIVE');
  if (i.kill_switch === 'CHECK_FAILED') blocks.push('KILL_SWITCH_CHECK_FAILED');
  if (cmpExact(loss, limit) >= 0) {
    blocks.push('RISK_DAILY_LOSS_LIMIT_HIT');
    raise.push('RISK_DAILY_LOSS_LIMIT_HIT');
  }
  if (cmpExact(drawdown, limit) >= 0) {
    blocks.push('RISK_DRAWDOWN_LIMIT_HIT');
    raise.push('RISK_DRAWDOWN_LIMIT_HIT');
  }
  if (cmpExact(total, maxTotal) > 0 || cmpExact(sym, maxSymbol) > 0) blocks.push('RISK_EXPOSURE_LIMIT_HIT');
  if (i.has_position || i.pending_entry) blocks.push('RISK_POSITION_EXISTS');
  if (i.open_orders + 1 > cfg.max_open_orders) blocks.push('RISK_MAX_OPEN_ORDERS');
  // The entry itself adds one action: refuse the one that would cross the window limit.
  if (c10.churn + 1 > cfg.churn_limit_10s || c60.churn + 1 > cfg.churn_limit_60s) {
    blocks.push('RISK_CHURN_LIMIT_HIT');
    raise.push('RISK_CHURN_LIMIT_HIT');
  }
  if (c10.replace >= cfg.cancel_replace_limit_10s || c60.replace >= cfg.cancel_replace_limit_60s) {
    blocks.push('RISK_CANCEL_REPLACE_LIMIT_HIT');
    raise.push('RISK_CANCEL_REPLACE_LIMIT_HIT');
  }
  if (i.quarantined) blocks.push('SYMBOL_QUARANTINED');
  if (i.unresolved_unknown) blocks.push('INTENT_SENT_UNKNOWN');
  if (i.market_now !== undefined && marketMovedWhy(i.market_now) !== null) blocks.push('RISK_MARKET_MOVED');
  // A limit's use to 4 decimals, truncated (as Dec's toFixed(4) under ROUND_DOWN).
  const frac = (a: Exact, b: Exact): number => (b.n === 0n ? 1 : Number(formatExact(divTruncExact(a, b, 4), 4)));
  return {
    ok: blocks.length === 0,
    blocks,
    raise,
    near: {
      daily_loss: frac(loss, limit),
      drawdown: frac(drawdown, limit),
      exposure_total: frac(total, maxTotal),
      exposure_symbol: frac(sym, maxSymbol),
      open_orders: (i.open_orders + 1) / cfg.max_open_orders,
      churn_10s: (c10.churn + 1) / cfg.churn_limit_10s,
      churn_60s: (c60.churn + 1) / cfg.churn_limit_60s,
      replace_10s: c10.replace / cfg.cancel_replace_limit_10s,
      replace_60s: c60.replace / cfg.cancel_replace_limit_60s,
    },
  };
}
