import type { JsonObject, StrategyConfig } from '@vigil/contracts';
import { volatilityBps, type Bar } from './bars.js';

/**
 * What a strategy sees: one symbol's quote and closed bars at one moment, identified by
 * snapshot_id and hashed (snapshot_hash) so a decision can be traced to exactly its inputs. The
 * same shape is built offline from recorded bars, so experiments run the same code.
 */
export interface MarketSnapshot {
  readonly snapshot_id: string;
  readonly snapshot_hash: string;
  readonly ts_ms: number;
  readonly symbol: string;
  readonly bid: string;
  readonly ask: string;
  readonly quote_age_ms: number;
  readonly bars: readonly Bar[];
}

/** A strategy's proposal, before quantization and the Decision contract. Long-only (spot). */
export interface Proposal {
  readonly symbol: string;
  readonly side: 'BUY';
  readonly entry_type: 'LIMIT';
  /** Decimal string taken from the book, never computed in floating point. */
  readonly entry_price: string;
  /** The LIMIT goes this many bps below entry_price (0 = at it). */
  readonly entry_offset_bps: number;
  /** Distances from the entry in integer basis points (exact decimal prices derive from them). */
  readonly stop_bps: number;
  readonly take_profit_bps: number;
  readonly trailing_delta_bps: number | null;
  readonly quote_notional: string;
  readonly expected_edge_bps: number;
  readonly volatility_bps: number;
  readonly signal: JsonObject;
}

export type ProposeResult = { readonly kind: 'PROPOSAL'; readonly proposal: Proposal } | { readonly kind: 'NONE'; readonly why: string };

export interface Strategy {
  readonly name: string;
  /** Bars a snapshot needs before the strategy can say anything. */
  readonly warmupBars: number;
  propose(s: MarketSnapshot): ProposeResult;
}

/**
 * Baseline: channel breakout. Enter long when the mid closes above the highest high of the last
 * `lookback_bars` closed bars. The stop sits `stop_vol_mult` horizon standard deviations below
 * (volatility of bar returns scaled by sqrt(hold_bars), floored at min_stop_bps); take-profit at
 * `take_profit_r` times the stop distance. Expected edge is the R-multiple expectation under a
 * configured win-rate prior: R x (tp_r x p - (1 - p)). It is a baseline, not a forecast; its job
 * is to exercise the whole pipeline with honest, inspectable numbers.
 */
export function breakoutStrategy(cfg: StrategyConfig, trailingActivateBps: number | null): Strategy {
  const mult = Number(cfg.stop_vol_mult);
  const tpR = Number(cfg.take_profit_r);
  const p = Number(cfg.win_rate_prior);
  return {
    name: 'breakout',
    warmupBars: Math.max(cfg.lookback_bars, cfg.vol_bars) + 1,
    propose(s) {
      const bars = s.bars;
      if (bars.length < this.warmupBars) return { kind: 'NONE', why: `warming up: ${bars.length}/${this.warmupBars} bars` };
      const last = bars[bars.length - 1]!;
      const channel = bars.slice(bars.length - 1 - cfg.lookback_bars, bars.length - 1);
      const high = Math.max(...channel.map((b) => b.high));
      if (!(last.close > high)) return { kind: 'NONE', why: 'no breakout' };
      const vol = volatilityBps(bars, cfg.vol_bars);
      if (vol === null || vol <= 0) return { kind: 'NONE', why: 'no volatility estimate' };
      const horizonVol = vol * Math.sqrt(cfg.hold_bars);
      const stopBps = Math.max(cfg.min_stop_bps, Math.round(mult * horizonVol));
      const tpBps = Math.max(1, Math.round(stopBps * tpR));
      const edge = Math.round(stopBps * (tpR * p - (1 - p)) * 100) / 100;
      return {
        kind: 'PROPOSAL',
        proposal: {
          symbol: s.symbol,
          side: 'BUY',
          entry_type: 'LIMIT',
          entry_price: s.ask,
          entry_offset_bps: cfg.entry_offset_bps,
          stop_bps: stopBps,
          take_profit_bps: tpBps,
          trailing_delta_bps: trailingActivateBps === null ? null : Math.max(10, Math.min(2000, Math.round(stopBps / 2))),
          quote_notional: cfg.order_quote_notional,
          expected_edge_bps: edge,
          volatility_bps: Math.round(horizonVol * 100) / 100,
          signal: { channel_high: high, close: last.close, bar_vol_bps: Math.round(vol * 100) / 100, bars: bars.length },
        },
      };
    },
  };
}
