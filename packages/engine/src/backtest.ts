import type { RiskConfig, StrategyConfig } from '@vigil/contracts';
import type { Bar } from './bars.js';
import { estimateCost, judgeCost } from './cost-model.js';
import { ChurnCounter } from './churn.js';
import { riskVerdict } from './risk.js';
import { breakoutStrategy, type MarketSnapshot } from './strategy.js';

/**
 * Event-driven backtest of the engine's own strategy and cost model over recorded bars (the same
 * code Live runs; the AI gate and the venue are not in the loop). Rules that keep it honest:
 * - the strategy at bar i sees bars 0..i only (closed bars), and the entry fills at bar i+1's
 *   OPEN plus half the spread plus slippage: never at a price the market had before the decision;
 * - a stop fills at the worse of the stop and the bar's open (gaps), minus slippage; a take-profit
 *   fills at its price (a resting limit); when one bar touches both, the stop is assumed first;
 * - taker commission on entries and stops, maker on take-profits; one position at a time;
 * - with `risk`, every entry passes the Live risk verdict (daily loss and drawdown per UTC day,
 *   churn windows) on the backtest's own clock.
 * Numbers here are floats: nothing leaves for a venue.
 */
export interface BacktestBar extends Bar {
  readonly volume: number;
}

export interface BacktestParams {
  readonly strategy: StrategyConfig;
  /** The Live risk rules (daily loss and drawdown, exposure caps, churn) applied to every entry. */
  readonly risk?: RiskConfig;
  readonly spread_bps: number;
  readonly initial_quote: number;
}

export interface BacktestTrade {
  readonly entry_ts: number;
  readonly exit_ts: number;
  readonly entry: number;
  readonly exit: number;
  readonly qty: number;
  readonly pnl: number;
  readonly fees: number;
  readonly reason: 'STOP' | 'TAKE_PROFIT' | 'END';
}

export interface BacktestResult {
  readonly trades: readonly BacktestTrade[];
  readonly equity: readonly { readonly ts: number; readonly equity: number }[];
  readonly metrics: {
    readonly return_pct: number;
    readonly sharpe: number;
    readonly sortino: number;
    readonly max_drawdown_pct: number;
    readonly win_rate: number;
    readonly trades: number;
    readonly fees: number;
    readonly exposure: number;
    readonly blocked_edge: number;
    readonly blocked_cost: number;
    readonly blocked_risk: number;
  };
}

export function runBacktest(bars: readonly BacktestBar[], p: BacktestParams): BacktestResult {
  const s = p.strategy;
  const strat = breakoutStrategy(s, null);
  const half = p.spread_bps / 2 / 10_000;
  const slip = s.slippage_bps / 10_000;
  const taker = s.taker_fee_bps / 10_000;
  const maker = s.maker_fee_bps / 10_000;
  let cash = p.initial_quote;
  let pos: { qty: number; entry: number; stop: number; tp: number; ts: number; fees: number } | null = null;
  let pending: { stopBps: number; tpBps: number } | null = null;
  const trades: BacktestTrade[] = [];
  const equity: { ts: number; equity: number }[] = [];
  let inPosition = 0;
  let blockedEdge = 0;
  let blockedCost = 0;
  let blockedRisk = 0;
  let clock = 0;
  const churn = new ChurnCounter(() => clock);
  const dayPnl = new Map<string, number>();
  const dayPeak = new Map<string, number>();
  let lastExit = -Infinity;
  const window = strat.warmupBars + 2;

  const close = (ts: number, price: number, reason: BacktestTrade['reason'], feeRate: number): void => {
    const o = pos!;
    const fee = o.qty * price * feeRate;
    cash += o.qty * price - fee;
    const fees = o.fees + fee;
    const pnl = o.qty * (price - o.entry) - fees;
    trades.push({ entry_ts: o.ts, exit_ts: ts, entry: o.entry, exit: price, qty: o.qty, pnl, fees, reason });
    const day = new Date(ts).toISOString().slice(0, 10);
    const d = (dayPnl.get(day) ?? 0) + pnl;
    dayPnl.set(day, d);
    dayPeak.set(day, Math.max(dayPeak.get(day) ?? 0, d));
    if (p.risk) churn.record('BT', 'cancel');
    pos = null;
    lastExit = ts;
  };

  for (let i = 0; i < bars.length; i++) {
    const b = bars[i]!;
    clock = b.start_ms;
    // 1. A decision taken at the previous close fills at this bar's open (ask + slippage).
    if (pending && !pos) {
      const px = b.open * (1 + half + slip);
      const qty = Math.floor((Number(s.order_quote_notional) / px) * 1e8) / 1e8;
      if (qty > 0 && qty * px * (1 + taker) <= cash) {
        const fee = qty * px * taker;
        cash -= qty * px + fee;
        pos = { qty, entry: px, stop: px * (1 - pending.stopBps / 10_000), tp: px * (1 + pending.tpBps / 10_000), ts: b.start_ms, fees: fee };
      }
      pending = null;
    }
    // 2. Protection against this bar's range.
    if (pos) {
      inPosition++;
      if (b.low <= pos.stop) close(b.start_ms, Math.min(pos.stop, b.open) * (1 - half - slip), 'STOP', taker);
      else if (b.high >= pos.tp) close(b.start_ms, pos.tp, 'TAKE_PROFIT', maker);
    }
    // 3. The strategy on the bars closed so far (0..i), never later ones.
    if (!pos && !pending && b.start_ms - lastExit >= s.cooldown_ms) {
      const seen = bars.slice(Math.max(0, i + 1 - window), i + 1);
      const bid = b.close * (1 - half);
      const ask = b.close * (1 + half);
      const snap: MarketSnapshot = {
        snapshot_id: `bt_${i}`,
        snapshot_hash: '',
        ts_ms: b.start_ms,
        symbol: 'BT',
        bid: bid.toFixed(8),
        ask: ask.toFixed(8),
        quote_age_ms: 0,
        bars: seen,
      };
      const r = strat.propose(snap);
      if (r.kind === 'PROPOSAL') {
        const cost = estimateCost(s, snap.bid, snap.ask);
        const v = judgeCost(s, r.proposal.expected_edge_bps, cost);
        const day = new Date(b.start_ms).toISOString().slice(0, 10);
        const rv = p.risk
          ? riskVerdict(p.risk, churn, {
              symbol: 'BT',
              notional: s.order_quote_notional,
              kill_switch: 'OFF',
              day_pnl: (dayPnl.get(day) ?? 0).toFixed(8),
              day_peak_pnl: (dayPeak.get(day) ?? 0).toFixed(8),
              exposure_total: '0',
              exposure_symbol: '0',
              has_position: false,
              open_orders: 0,
              quarantined: false,
              unresolved_unknown: false,
              pending_entry: false,
            })
          : { ok: true };
        if (v.ok && !rv.ok) blockedRisk++;
        else if (v.ok) {
          pending = { stopBps: r.proposal.stop_bps, tpBps: r.proposal.take_profit_bps };
          if (p.risk) churn.record('BT', 'new');
        } else if (v.code === 'EDGE_TOO_LOW') blockedEdge++;
        else blockedCost++;
      }
    }
    equity.push({ ts: b.start_ms, equity: cash + (pos ? pos.qty * b.close : 0) });
  }
  const last = bars[bars.length - 1];
  if (pos && last) {
    close(last.start_ms, last.close * (1 - half - slip), 'END', taker);
    equity[equity.length - 1] = { ts: last.start_ms, equity: cash };
  }
  return {
    trades,
    equity,
    metrics: metrics(equity, trades, p.initial_quote, inPosition / Math.max(1, bars.length), blockedEdge, blockedCost, blockedRisk, bars),
  };
}

function metrics(
  eq: readonly { equity: number }[],
  trades: readonly BacktestTrade[],
  start: number,
  exposure: number,
  blockedEdge: number,
  blockedCost: number,
  blockedRisk: number,
  bars: readonly BacktestBar[],
): BacktestResult['metrics'] {
  const rets: number[] = [];
  for (let i = 1; i < eq.length; i++) rets.push(eq[i]!.equity / eq[i - 1]!.equity - 1);
  const mean = rets.length ? rets.reduce((a, b) => a + b, 0) / rets.length : 0;
  const sd = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rets.length - 1));
  const down = Math.sqrt(rets.filter((r) => r < 0).reduce((a, b) => a + b ** 2, 0) / Math.max(1, rets.length));
  // Annualize by the bar width (from the data), so minute and hour bars compare.
  const barMs = bars.length > 1 ? (bars[bars.length - 1]!.start_ms - bars[0]!.start_ms) / (bars.length - 1) : 60_000;
  const perYear = Math.sqrt((365 * 24 * 3_600_000) / Math.max(1, barMs));
  let peak = start;
  let mdd = 0;
  for (const e of eq) {
    peak = Math.max(peak, e.equity);
    mdd = Math.max(mdd, (peak - e.equity) / peak);
  }
  const end = eq[eq.length - 1]?.equity ?? start;
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return {
    return_pct: r2((end / start - 1) * 100),
    sharpe: sd > 0 ? r2((mean / sd) * perYear) : 0,
    sortino: down > 0 ? r2((mean / down) * perYear) : 0,
    max_drawdown_pct: r2(mdd * 100),
    win_rate: trades.length ? r2(trades.filter((t) => t.pnl > 0).length / trades.length) : 0,
    trades: trades.length,
    fees: r2(trades.reduce((a, t) => a + t.fees, 0)),
    exposure: r2(exposure),
    blocked_edge: blockedEdge,
    blocked_cost: blockedCost,
    blocked_risk: blockedRisk,
  };
}

/**
 * Binance public-data kline CSV (open_time, open, high, low, close, volume, close_time, ...), with
 * or without a header; open_time in ms or (newer spot files) µs. Bad rows are errors with a line
 * number, never skipped silently.
 */
export function parseKlineCsv(text: string): BacktestBar[] {
  const out: BacktestBar[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || /^open_time|^[a-z]/i.test(line)) continue;
    const f = line.split(',');
    const nums = f.slice(0, 6).map(Number);
    if (f.length < 6 || nums.some((x) => !Number.isFinite(x)))
      throw new Error(`kline CSV line ${n + 1}: expected open_time,open,high,low,close,volume numbers`);
    const [t, o, h, l, c, v] = nums as [number, number, number, number, number, number];
    if (!(h >= Math.max(o, c) && l <= Math.min(o, c) && l > 0)) throw new Error(`kline CSV line ${n + 1}: high/low inconsistent with open/close`);
    const ms = t > 1e14 ? Math.floor(t / 1000) : t;
    if (out.length && ms <= out[out.length - 1]!.start_ms) throw new Error(`kline CSV line ${n + 1}: open_time not increasing`);
    out.push({ start_ms: ms, open: o, high: h, low: l, close: c, volume: v });
  }
  return out;
}

/** Seeded synthetic klines in the same CSV layout (for fixtures and experiments without data). */
export function syntheticKlineCsv(o: {
  readonly seed: number;
  readonly bars: number;
  readonly start_ms: number;
  readonly bar_ms: number;
  readonly price: number;
  readonly vol_bps: number;
}): string {
  let x = o.seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) % 1_000_000) / 1_000_000;
  };
  const rows: string[] = [];
  let p = o.price;
  for (let i = 0; i < o.bars; i++) {
    const open = p;
    let hi = open;
    let lo = open;
    for (let k = 0; k < 4; k++) {
      p = p * (1 + ((rnd() - 0.5) * 2 * o.vol_bps) / 10_000);
      hi = Math.max(hi, p);
      lo = Math.min(lo, p);
    }
    const t = o.start_ms + i * o.bar_ms;
    rows.push([t, open.toFixed(2), hi.toFixed(2), lo.toFixed(2), p.toFixed(2), (rnd() * 10).toFixed(4), t + o.bar_ms - 1, '0', '0', '0', '0', '0'].join(','));
  }
  return `${rows.join('\n')}\n`;
}
