import type { RiskConfig, StrategyConfig } from '@vigil/contracts';
import { runBacktest, type BacktestBar, type BacktestResult } from '@vigil/engine/backtest';

/**
 * One piscina task: a parameter set over a slice of one data set. The bars arrive as a shared
 * Float64Array (6 numbers per bar: start, open, high, low, close, volume), parsed once by the
 * caller: no copy per task, no parse per thread.
 */
export interface ExperimentTask {
  readonly bars: Float64Array;
  readonly from: number;
  readonly to: number;
  readonly strategy: StrategyConfig;
  readonly risk: RiskConfig;
  readonly spread_bps: number;
  readonly initial_quote: number;
}

export const BAR_FIELDS = 6;

export function packBars(bars: readonly BacktestBar[]): Float64Array {
  const a = new Float64Array(new SharedArrayBuffer(bars.length * BAR_FIELDS * 8));
  bars.forEach((b, i) => a.set([b.start_ms, b.open, b.high, b.low, b.close, b.volume], i * BAR_FIELDS));
  return a;
}

function unpack(a: Float64Array, from: number, to: number): BacktestBar[] {
  const out: BacktestBar[] = [];
  for (let i = from; i < to; i++) {
    const o = i * BAR_FIELDS;
    out.push({ start_ms: a[o]!, open: a[o + 1]!, high: a[o + 2]!, low: a[o + 3]!, close: a[o + 4]!, volume: a[o + 5]! });
  }
  return out;
}

export default function run(t: ExperimentTask): BacktestResult['metrics'] & { readonly equity_end: number } {
  const r = runBacktest(unpack(t.bars, t.from, t.to), { strategy: t.strategy, risk: t.risk, spread_bps: t.spread_bps, initial_quote: t.initial_quote });
  return { ...r.metrics, equity_end: r.equity[r.equity.length - 1]?.equity ?? t.initial_quote };
}
