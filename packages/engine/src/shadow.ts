import { Dec } from '@vigil/core';
import type { Decision } from '@vigil/contracts';

/**
 * Shadow record of the AI gate: for every entry the gate blocked or modified, what the original
 * decision would have done once the market moved: WIN (take-profit reached first), LOSS (stop
 * reached first) or OPEN (neither within the horizon; marked to the bid), in bps of the entry.
 * A long is assumed filled at its entry price as soon as the ask is at or below it (LIMIT at the
 * ask: at once). Commissions are not included: the figure judges the gate's call, not the fees.
 */
export interface ShadowOutcome {
  readonly decision: Decision;
  readonly verdict: 'BLOCK' | 'MODIFY';
  readonly outcome: 'WIN' | 'LOSS' | 'OPEN' | 'NOT_FILLED';
  readonly pnl_bps: number;
  readonly held_ms: number;
}

interface Open {
  readonly decision: Decision;
  readonly verdict: 'BLOCK' | 'MODIFY';
  readonly since: number;
  filled: boolean;
}

export class ShadowBook {
  private readonly open: Open[] = [];

  constructor(
    private readonly horizonMs: number,
    private readonly max = 200,
  ) {}

  add(decision: Decision, verdict: 'BLOCK' | 'MODIFY', now: number): void {
    if (decision.side !== 'BUY' || decision.entry_price === null) return;
    this.open.push({ decision, verdict, since: now, filled: false });
    if (this.open.length > this.max) this.open.shift();
  }

  /** Feeds a quote; returns the shadows it resolved. */
  onQuote(symbol: string, bid: string, ask: string, now: number): ShadowOutcome[] {
    const done: ShadowOutcome[] = [];
    for (let i = this.open.length - 1; i >= 0; i--) {
      const o = this.open[i]!;
      if (o.decision.symbol !== symbol) continue;
      const d = o.decision;
      const entry = new Dec(d.entry_price!);
      if (!o.filled && new Dec(ask).lte(entry)) o.filled = true;
      const expired = now - o.since >= this.horizonMs;
      let outcome: ShadowOutcome['outcome'] | null = null;
      let exit: Dec | null = null;
      if (o.filled && new Dec(bid).lte(d.stop_price)) [outcome, exit] = ['LOSS', new Dec(d.stop_price)];
      else if (o.filled && d.take_profit_price !== null && new Dec(bid).gte(d.take_profit_price)) [outcome, exit] = ['WIN', new Dec(d.take_profit_price)];
      else if (expired) [outcome, exit] = o.filled ? ['OPEN', new Dec(bid)] : ['NOT_FILLED', entry];
      if (outcome === null || exit === null) continue;
      this.open.splice(i, 1);
      done.push({ decision: d, verdict: o.verdict, outcome, pnl_bps: Number(exit.minus(entry).div(entry).mul(10_000).toFixed(2)), held_ms: now - o.since });
    }
    return done;
  }

  get pending(): number {
    return this.open.length;
  }
}
