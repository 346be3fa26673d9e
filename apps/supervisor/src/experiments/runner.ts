import type { Decision, EngineConfig, RiskConfig, StrategyConfig, SymbolRules } from '@vigil/contracts';
import {
  classifyHolding,
  Dec,
  EMPTY_LIFECYCLE,
  quantizePrice,
  quantizeQty,
  step,
  TICK_PHASES,
  type Holding,
  type LifecycleCommand,
  type LifecycleConfig,
  type LifecycleEntry,
  type LifecycleFacts,
  type LifecycleInput,
  type LifecycleState,
} from '@vigil/core';
import { breakoutStrategy, buildDecision, ChurnCounter, estimateCost, judgeCost, lifecycleConfig, riskVerdict, type Bar } from '@vigil/engine/offline';
import {
  barPath,
  commissionOf,
  filterFailure,
  fmt,
  fx,
  limitOnPath,
  marketOnPath,
  mul,
  pathTouches,
  sellOcoOnPath,
  sellTrailingOnPath,
  specFromRules,
  touchAround,
  trailStart,
  type FilterOrder,
  type Fx,
  type PathFill,
  type Touch,
} from '@vigil/matching';
import { BAR_FIELDS, F } from './klines.js';

/**
 * One experiment run: Live's decision code over historical bars against the venue's matching
 * rules (@vigil/matching). Per bar close, as the engine's cycle does: the strategy on the closed
 * bars, the cost model, the decision builder (exact decimals, the symbol's filters), the AI gate
 * (a recorded verdict: see GateVerdicts), the Live risk verdict with its churn counter, then the
 * entry; and the slot's management as the trader runs it: the pure lifecycle step (core/
 * lifecycle.ts) phase by phase (TICK_PHASES), its commands carried out against the matched venue
 * and their outcomes fed back as the trader feeds them.
 *
 * Time: a bar is replayed as four points (open, low, high, close; matching/bars.ts), bar_ms/3
 * apart. A management pass runs at every point where the venue reported something, and at the
 * close; the decision at the close. Orders placed at a point meet that point's book at once (as
 * Live's do: the venue answers at once), and the following points after.
 *
 * Where the time goes: most bars change nothing (flat with no breakout, or protected with neither
 * leg in reach). Those are recognised with number comparisons on exact 1e-8 integers and skip the
 * decimal work and the step entirely; the step is only skipped where it would return nothing but
 * a CHECK_PROTECTION poll of an unchanged protection (see `quiet` below).
 */
export type GateVerdicts =
  /** Every decision that reaches the gate is allowed unchanged (the gate assumed to approve). */
  | { readonly kind: 'ALLOW_ALL' }
  /** Verdicts recorded by decision_id; a decision without one is blocked (fail closed, as Live blocks on any doubt). */
  | { readonly kind: 'RECORDED'; readonly verdicts: Readonly<Record<string, 'ALLOW' | 'BLOCK'>> };

export interface RunParams {
  readonly symbol: string;
  readonly strategy: StrategyConfig;
  readonly risk: RiskConfig;
  readonly engine: EngineConfig;
  readonly rules: SymbolRules;
  readonly spread_bps: number;
  readonly initial_quote: string;
  readonly gate: GateVerdicts;
  /** Keep every step's input and commands (the comparison test; costs memory). */
  readonly record?: boolean;
  /** At most this many equity points in the result (min/max-preserving sampling is the report's job). */
  readonly equity_points?: number;
}

export interface StepRecord {
  readonly state: LifecycleState;
  readonly input: LifecycleInput;
  readonly commands: readonly LifecycleCommand[];
}

export interface RunTrade {
  readonly entry_ts: number;
  readonly exit_ts: number;
  readonly entry: string;
  readonly exit: string;
  readonly qty: string;
  readonly pnl: number;
  readonly fees: number;
  readonly reason: 'STOP' | 'TAKE_PROFIT' | 'TRAILING' | 'CLOSE' | 'END';
}

export interface RunMetrics {
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
  readonly blocked_build: number;
  readonly blocked_gate: number;
  readonly blocked_risk: number;
  readonly steps: number;
  readonly bars: number;
}

export interface RunResult {
  readonly metrics: RunMetrics;
  readonly equity: readonly { readonly ts: number; readonly equity: number; readonly drawdown_pct: number }[];
  readonly trades: readonly RunTrade[];
  readonly decisions: readonly { readonly bar: number; readonly decision: Decision }[];
  readonly steps: readonly StepRecord[];
  readonly config: LifecycleConfig;
}

const SCALE = 1e8;

export function runExperiment(data: Float64Array, from: number, to: number, p: RunParams): RunResult {
  const s = p.strategy;
  const cfg = lifecycleConfig(p.engine, s.requote_mode);
  const strat = breakoutStrategy(s, p.engine.trailing_enabled ? p.engine.trailing_activate_bps : null);
  const spec = specFromRules(p.rules);
  const tick = spec.tickSize;
  const tickNum = Number(tick);
  const barMs = s.bar_ms;
  const makerBps = BigInt(s.maker_fee_bps);
  const takerBps = BigInt(s.taker_fee_bps);
  const record = p.record === true;
  const steps: StepRecord[] = [];
  const decisions: { bar: number; decision: Decision }[] = [];
  const trades: RunTrade[] = [];

  // Account and venue (exact).
  let cash = fx(p.initial_quote);
  let base = 0n;
  let locked = 0n; // base held by a triggered stop leg still resting
  let cost = 0n; // quote paid for the base held (for avg price and P&L)
  let feesQuote = 0;
  let holding = 'NONE' as Holding;
  let tradesPending = false;
  let lastAction = -Infinity;
  let clock = 0;
  const churn = new ChurnCounter(() => clock);
  const dayPnl = new Map<number, Fx>();
  const dayPeak = new Map<number, Fx>();
  let openTrade = null as { ts: number; price: Fx; qty: Fx; cost: Fx; fees: number } | null;

  // The slot as the pure step sees it, and the venue's orders behind it.
  let state: LifecycleState = EMPTY_LIFECYCLE;
  type VenueEntry = { coid: string; price: Fx; qty: Fx; executed: Fx; status: string };
  // Declared wider than their initial values: the closures below assign them.
  let entryOrder = null as VenueEntry | null;
  let successorOrder = null as VenueEntry | null;
  let requote = null as { decision: Decision; left: number } | null;
  let entryDecision = null as { decision: Decision; left: number } | null;
  let oco = null as { tp: Fx; stop: Fx; stopLimit: Fx; qty: Fx; done: boolean } | null;
  // A triggered stop-limit leg whose limit the bid has not reached: its list is done, it still rests.
  let restingExit = null as { limit: Fx; qty: Fx } | null;
  let trail = null as { ref: Fx; delta: number; qty: Fx; done: boolean } | null;
  let seq = 0;
  const coid = (): string => `x${++seq}`;

  let blockedEdge = 0;
  let blockedCost = 0;
  let blockedBuild = 0;
  let blockedGate = 0;
  let blockedRisk = 0;
  let stepCount = 0;

  const doStep = (input: LifecycleInput): readonly LifecycleCommand[] => {
    const out = step(state, input, cfg);
    stepCount++;
    if (record) steps.push({ state, input, commands: out.commands });
    state = out.state;
    for (const c of out.commands) {
      if (c.kind === 'LEARN_FILLS') tradesPending = true;
      if (c.kind === 'ENTRY_ENDED') {
        // The slot moves to the successor (a cancelReplace's new entry) or to none.
        if (c.requote && entryDecision) requote = { ...entryDecision };
        entryOrder = c.next !== null && successorOrder?.coid === c.next ? successorOrder : null;
        successorOrder = null;
        if (entryOrder === null) entryDecision = null;
      }
    }
    return out.commands;
  };

  const day = (ts: number): number => Math.floor(ts / 86_400_000);
  const addPnl = (ts: number, pnl: Fx): void => {
    const d = day(ts);
    const v = (dayPnl.get(d) ?? 0n) + pnl;
    dayPnl.set(d, v);
    const peak = dayPeak.get(d) ?? 0n;
    if (v > peak) dayPeak.set(d, v);
  };

  // The holding and its average price change only with a fill: judged (exactly) then, read by every phase.
  let avg = '0';
  const setHolding = (): void => {
    holding = base === 0n ? 'NONE' : classifyHolding(fmt(base), p.rules);
    // cost / base rounded down to 8 places, in integers (both are 8-place fixed point): exact.
    avg = base > 0n ? fmt((cost * 100_000_000n) / base) : '0';
  };

  /** A fill of ours: the account moves exactly (commission as the venue charges it). */
  const onFill = (side: 'BUY' | 'SELL', f: PathFill, qty: Fx, ts: number, reason: RunTrade['reason']): void => {
    const quote = mul(f.price, qty);
    const commission = commissionOf(side, qty, quote, f.maker ? makerBps : takerBps);
    if (side === 'BUY') {
      cash -= quote;
      base += qty - commission;
      cost += quote;
      const feeQ = Number(mul(commission, f.price)) / SCALE;
      feesQuote += feeQ;
      openTrade = openTrade
        ? { ...openTrade, qty: openTrade.qty + qty - commission, cost: openTrade.cost + quote, fees: openTrade.fees + feeQ }
        : { ts, price: f.price, qty: qty - commission, cost: quote, fees: feeQ };
    } else {
      // The cost of what is sold includes what the entry's commission took from the base.
      const share = base > 0n ? (cost * qty) / base : 0n;
      cash += quote - commission;
      base -= qty;
      cost -= share;
      feesQuote += Number(commission) / SCALE;
      const pnl = quote - commission - share;
      addPnl(ts, pnl);
      setHolding();
      if (openTrade) {
        trades.push({
          entry_ts: openTrade.ts,
          exit_ts: ts,
          entry: fmt(openTrade.price),
          exit: fmt(f.price),
          qty: fmt(qty),
          pnl: Number(pnl) / SCALE,
          fees: openTrade.fees + Number(commission) / SCALE,
          reason,
        });
        // What is left is commission dust (not a position) or the rest of a partly sold one.
        openTrade = holding === 'TRADABLE' ? { ...openTrade, fees: 0 } : null;
      }
      if (base === 0n) cost = 0n;
      return;
    }
    setHolding();
  };

  const quoteOf = (t: Touch): { bid: string; ask: string } => ({ bid: fmt(t.bid), ask: fmt(t.ask) });

  const facts = (now: number, t: Touch): LifecycleFacts => ({
    now,
    holding,
    halted: null,
    frozen: false,
    trades_pending: tradesPending,
    quote: quoteOf(t),
    avg_price: avg,
    rules: p.rules,
    swap_allowed: true,
  });

  const filterOk = (o: FilterOrder, t: Touch, last: Fx): boolean => filterFailure(spec, o, { bid: t.bid, ask: t.ask, avg: last }) === null;

  const entryView = (id: string, d: Decision, left: number, now: number): LifecycleEntry => ({
    coid: id,
    intent: 'CONFIRMED',
    status: 'NEW',
    cancel_pending: false,
    deadline_ms: now + d.constraints.ttl_ms,
    last_query_ms: now,
    has_decision: true,
    requotes_left: left,
    filled_qty: '0',
    cancel_why: null,
    successor: null,
  });

  /** Places an entry LIMIT BUY at point `t`; the venue's answer is reported to the step as the trader reports it. */
  const placeEntry = (d: Decision, price: string, left: number, now: number, t: Touch, last: Fx, kind: 'new' | 'replace'): void => {
    const qty = fx(d.quantity);
    const px = fx(price);
    churn.record(p.symbol, kind);
    lastAction = now;
    const id = coid();
    if (
      !filterOk({ side: 'BUY', type: 'LIMIT', quantity: qty, quoteOrderQty: null, price: px, stopPrice: null, trailingDelta: null }, t, last) ||
      mul(qty, px) > cash
    ) {
      // REJECTED: the intent is FAILED_TERMINAL, nothing works on the slot.
      state = { ...state, entry: null, plan: null };
      return;
    }
    state = {
      ...state,
      entry: entryView(id, d, left, now),
      plan: { stop_price: d.stop_price, take_profit_price: d.take_profit_price, trailing_delta_bps: d.trailing_delta_bps },
    };
    entryOrder = { coid: id, price: px, qty, executed: 0n, status: 'NEW' };
    entryDecision = { decision: d, left };
    const fill = limitOnPath('BUY', px, qty, [t], 0, true);
    if (fill) fillEntry(fill, now);
    else report(now);
  };

  const fillEntry = (f: PathFill, now: number): void => {
    const e = entryOrder;
    if (!e) return;
    onFill('BUY', f, e.qty - e.executed, now, 'END');
    e.executed = e.qty;
    e.status = 'FILLED';
    report(now);
  };

  const report = (now: number): void => {
    const e = entryOrder;
    if (!e) return;
    doStep({ kind: 'ENTRY_REPORT', coid: e.coid, status: e.status, executed_qty: fmt(e.executed), ts_ms: now, flat: base === 0n });
  };

  const requoteTerms = (d: Decision, left: number, t: Touch): { price: string; left: number } | null => {
    const reviewed = d.entry_price ?? fmt(t.ask);
    const q = quantizePrice(Dec.min(fmt(t.ask), reviewed).toFixed(), p.rules, 'down');
    return q.ok ? { price: q.value, left: left - 1 } : null;
  };

  const protectableQty = (): string | null => {
    const q = quantizeQty(fmt(base - locked), p.rules);
    return base - locked > 0n && q.ok ? q.value : null;
  };

  /** Carries out one command as trader.run() does, against the matched venue. */
  const run = (c: LifecycleCommand, now: number, t: Touch, last: Fx): void => {
    switch (c.kind) {
      case 'SYNC_TRADES':
        tradesPending = false; // every fill is already in the account (exact fills, no sync gap offline)
        return;
      case 'QUERY_ENTRY':
        return report(now);
      case 'CANCEL_ENTRY': {
        const e = entryOrder;
        if (!e || !state.entry) return;
        churn.record(p.symbol, 'cancel');
        state = { ...state, entry: { ...state.entry, cancel_pending: true, cancel_why: c.why } };
        if (e.status === 'NEW' || e.status === 'PARTIALLY_FILLED') e.status = 'CANCELED';
        return report(now);
      }
      case 'REPLACE_ENTRY': {
        const e = entryOrder;
        const d = entryDecision;
        if (!e || !d || !state.entry) return;
        const terms = requoteTerms(d.decision, d.left, t);
        if (!terms) return;
        const id = coid();
        churn.record(p.symbol, 'replace');
        lastAction = now;
        successorOrder = { coid: id, price: fx(terms.price), qty: fx(d.decision.quantity), executed: 0n, status: 'NEW' };
        state = { ...state, entry: { ...state.entry, cancel_pending: true, cancel_why: 'ttl', successor: entryView(id, d.decision, terms.left, now) } };
        e.status = 'CANCELED';
        report(now); // the cancelled entry ends; its successor takes the slot
        entryDecision = { decision: d.decision, left: terms.left };
        const fill = limitOnPath('BUY', fx(terms.price), fx(d.decision.quantity), [t], 0, true);
        if (fill) fillEntry(fill, now);
        return;
      }
      case 'REQUOTE': {
        const rq = requote;
        requote = null;
        if (!rq) return;
        const terms = requoteTerms(rq.decision, rq.left, t);
        if (terms) placeEntry(rq.decision, terms.price, terms.left, now, t, last, 'replace');
        return;
      }
      case 'DROP_REQUOTE':
        requote = null;
        return;
      case 'CHECK_PROTECTION':
        if ((oco && oco.done) || (trail && trail.done)) {
          oco = null;
          trail = null;
          doStep({ kind: 'PROTECTION_ENDED', now });
          lastAction = now;
        }
        return;
      case 'DROP_PROTECTION':
        churn.record(p.symbol, 'cancel');
        oco = null;
        trail = null;
        if (restingExit === null) locked = 0n; // a triggered leg still resting keeps its base
        state = { ...state, protection: null, resize: false, unprotected_since: state.unprotected_since ?? now };
        tradesPending = true;
        return;
      case 'DUST_CLEARED':
        return;
      case 'PROTECT': {
        const qty = protectableQty();
        if (qty === null) {
          doStep({ kind: 'ATTEMPT_FAILED', now });
          return;
        }
        const q = fx(qty);
        const tp = fx(c.take_profit_price);
        const sp = fx(c.stop_price);
        const sl = fx(c.stop_limit_price);
        state = { ...state, protection: { kind: 'OCO', active: false, intent: 'CREATED', last_query_ms: now } };
        churn.record(p.symbol, 'new');
        const ok =
          filterOk({ side: 'SELL', type: 'LIMIT_MAKER', quantity: q, quoteOrderQty: null, price: tp, stopPrice: null, trailingDelta: null }, t, last) &&
          filterOk({ side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: q, quoteOrderQty: null, price: sl, stopPrice: sp, trailingDelta: null }, t, last) &&
          // The list's price relationship against the last price (the simulator's -2010 rule).
          tp > last &&
          sp < last;
        if (!ok) {
          doStep({ kind: 'PROTECTION_FAILED', now });
          return;
        }
        oco = { tp, stop: sp, stopLimit: sl, qty: q, done: false };
        doStep({ kind: 'PROTECTION_CONFIRMED', now });
        return;
      }
      case 'CLOSE_SAFELY': {
        if (state.close_pending) return;
        const q = quantizeQty(fmt(base - locked > 0n ? base - locked : 0n), p.rules, { market: true });
        if (!q.ok) return; // PROTECTION_MISSING in Live: nothing can be sold
        churn.record(p.symbol, 'new');
        onFill('SELL', marketOnPath('SELL', [t], 0), fx(q.value), now, 'CLOSE');
        // The MARKET exit filled at once: the slot is closed, its fills to be learned.
        state = { ...state, close_pending: false, protect_failures: 0, unprotected_since: null };
        lastAction = now;
        tradesPending = true;
        return;
      }
      case 'SWAP_TO_TRAILING': {
        const o = oco;
        if (!o || o.done) return;
        if (
          !filterOk(
            { side: 'SELL', type: 'STOP_LOSS', quantity: o.qty, quoteOrderQty: null, price: null, stopPrice: null, trailingDelta: c.trailing_delta_bps },
            t,
            last,
          )
        ) {
          state = { ...state, swap_failed: true };
          return;
        }
        churn.record(p.symbol, 'replace');
        oco = null;
        trail = { ref: trailStart('SELL', t.bid, t.ask), delta: c.trailing_delta_bps, qty: o.qty, done: false };
        state = { ...state, protection: { kind: 'TRAILING', active: true, intent: 'CONFIRMED', last_query_ms: now }, unprotected_since: null };
        return;
      }
      case 'LEARN_FILLS':
      case 'ENTRY_ENDED':
        return; // applied with the state (doStep)
      default: {
        const never: never = c;
        throw new Error(`lifecycle command ${JSON.stringify(never)}`);
      }
    }
  };

  /** One management pass, as trader.manageSlot(): every phase in order, facts re-read between them. */
  const pass = (now: number, t: Touch, last: Fx): void => {
    clock = now;
    for (const phase of TICK_PHASES) {
      const commands = doStep({ kind: 'TICK', phase, facts: facts(now, t) });
      for (const c of commands) run(c, now, t, last);
    }
  };

  /** Standing orders against points `from..` of the bar: the first point where the venue reports something. */
  const matchFrom = (touches: readonly Touch[], k0: number, ts: (k: number) => number): number | null => {
    if (entryOrder && entryOrder.status === 'NEW') {
      const f = limitOnPath('BUY', entryOrder.price, entryOrder.qty, touches, k0, false);
      if (f) {
        clock = ts(f.at);
        fillEntry(f, ts(f.at));
        return f.at;
      }
    }
    if (restingExit) {
      const f = limitOnPath('SELL', restingExit.limit, restingExit.qty, touches, k0, false);
      if (f) {
        const q = restingExit.qty;
        locked = 0n;
        restingExit = null;
        onFill('SELL', f, q, ts(f.at), 'STOP');
        return f.at;
      }
    }
    if (oco && !oco.done) {
      const r = sellOcoOnPath({ takeProfit: oco.tp, stopPrice: oco.stop, stopLimit: oco.stopLimit }, oco.qty, touches, k0);
      if (r.kind === 'TAKE_PROFIT' || r.kind === 'STOP') {
        oco.done = true;
        onFill('SELL', r.fill, oco.qty, ts(r.fill.at), r.kind === 'STOP' ? 'STOP' : 'TAKE_PROFIT');
        return r.fill.at;
      }
      if (r.kind === 'STOP_RESTING') {
        // The list is done (take-profit expired); the stop leg rests with the base locked.
        oco.done = true;
        restingExit = { limit: oco.stopLimit, qty: oco.qty };
        locked = oco.qty;
        return r.at;
      }
    }
    if (trail && !trail.done) {
      const r = sellTrailingOnPath(trail.ref, trail.delta, tick, touches, k0);
      trail.ref = r.ref;
      if (r.fill) {
        trail.done = true;
        onFill('SELL', r.fill, trail.qty, ts(r.fill.at), 'TRAILING');
        return r.fill.at;
      }
    }
    return null;
  };

  // Bars as the strategy reads them (numbers), built only for a proposal's window.
  const warm = strat.warmupBars;
  const barAt = (i: number): Bar => {
    const o = i * BAR_FIELDS;
    return { start_ms: data[o + F.t] ?? 0, open: data[o + F.open] ?? 0, high: data[o + F.high] ?? 0, low: data[o + F.low] ?? 0, close: data[o + F.close] ?? 0 };
  };

  /** The engine's cycle for this bar's close: strategy, cost, decision, gate, risk, entry, then a pass. */
  const decide = (i: number, now: number, t: Touch, last: Fx): void => {
    const lo = Math.max(from, i + 1 - (warm + 1));
    const window: Bar[] = [];
    for (let j = lo; j <= i; j++) window.push(barAt(j));
    const q = quoteOf(t);
    const snap = { snapshot_id: `bar${i}`, snapshot_hash: '', ts_ms: now, symbol: p.symbol, bid: q.bid, ask: q.ask, quote_age_ms: 0, bars: window };
    const res = strat.propose(snap);
    if (res.kind === 'NONE') return;
    const prop = res.proposal;
    const c = estimateCost(s, snap.bid, snap.ask);
    const built = buildDecision({
      proposal: prop,
      rules: p.rules,
      ids: { run_id: 'experiment', cycle_id: i, snapshot_id: snap.snapshot_id },
      ttl_ms: s.entry_ttl_ms,
      max_requotes: s.max_requotes,
      max_notional: p.risk.max_exposure_quote_per_symbol,
      expected_cost_bps: c.total_bps,
    });
    if (!built.ok) {
      blockedBuild++;
      return;
    }
    const d = built.decision;
    const cv = judgeCost(s, d.expected_edge_bps, c);
    if (!cv.ok) {
      if (cv.code === 'EDGE_TOO_LOW') blockedEdge++;
      else blockedCost++;
      return;
    }
    if (p.gate.kind === 'RECORDED' && p.gate.verdicts[d.ids.decision_id] !== 'ALLOW') {
      blockedGate++;
      return;
    }
    const dd = day(now);
    const dayTotal = dayPnl.get(dd) ?? 0n;
    const rv = riskVerdict(p.risk, churn, {
      symbol: p.symbol,
      notional: new Dec(d.quantity).mul(d.entry_price ?? snap.ask).toFixed(8),
      kill_switch: 'OFF',
      day_pnl: fmt(dayTotal),
      day_peak_pnl: fmt(dayPeak.get(dd) ?? dayTotal),
      exposure_total: '0',
      exposure_symbol: '0',
      has_position: holding === 'TRADABLE',
      open_orders: 0,
      quarantined: false,
      unresolved_unknown: false,
      pending_entry: state.entry !== null,
    });
    if (!rv.ok) {
      blockedRisk++;
      return;
    }
    decisions.push({ bar: i, decision: d });
    placeEntry(d, d.entry_price ?? snap.ask, d.constraints.max_requotes, now, t, last, 'new');
    pass(now, t, last); // the engine manages right after an entry (protects a fill at once)
  };

  // Equity and its statistics, online (one pass, no per-bar arrays).
  const n = Math.max(0, to - from);
  const every = Math.max(1, Math.ceil(n / Math.max(2, p.equity_points ?? 400)));
  const equity: { ts: number; equity: number; drawdown_pct: number }[] = [];
  const start = Number(cash) / SCALE;
  let prevEq = start;
  let peak = start;
  let mdd = 0;
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let down = 0;
  let inPosition = 0;
  const spreadFrac = p.spread_bps / 20_000;
  // The breakout channel (the strategy's own first test), as a running check over the highs' numbers:
  // the highest high of the `lookback` bars before bar i, from a monotonic queue of bar indices
  // (highs decreasing from the front), O(1) a bar instead of re-reading the whole window: the
  // same maximum over the same bars.
  const lookback = s.lookback_bars;
  const highOf = (j: number): number => data[j * BAR_FIELDS + F.high] ?? 0;
  const queue = new Int32Array(lookback + 1);
  let qHead = 0;
  let qSize = 0;
  let qNext = -1; // the next bar index to enter the window
  const channelHigh = (i: number): number => {
    const first = i - lookback;
    if (qNext < first) {
      qSize = 0; // every queued bar has left the window
      qNext = first;
    }
    while (qSize > 0 && (queue[qHead] ?? 0) < first) {
      qHead = (qHead + 1) % queue.length;
      qSize--;
    }
    for (; qNext < i; qNext++) {
      const h = highOf(qNext);
      while (qSize > 0 && highOf(queue[(qHead + qSize - 1) % queue.length] ?? 0) <= h) qSize--;
      queue[(qHead + qSize) % queue.length] = qNext;
      qSize++;
    }
    return qSize > 0 ? highOf(queue[qHead] ?? 0) : -Infinity;
  };

  // One bar, in its own function, so that the JIT optimizes a per-bar function rather than
  // on-stack-replacing runExperiment with its closures inlined (NOTES-exp2.md).
  const onBar = (i: number): void => {
    const o = i * BAR_FIELDS;
    const t0 = data[o + F.t] ?? 0;
    const hiFx = data[o + F.highFx] ?? 0;
    const loFx = data[o + F.lowFx] ?? 0;
    const closeNum = data[o + F.close] ?? 0;
    const idle =
      state.entry === null &&
      state.protection === null &&
      !state.close_pending &&
      !state.requote_pending &&
      state.unprotected_since === null &&
      !tradesPending &&
      holding !== 'TRADABLE' &&
      oco === null &&
      restingExit === null &&
      trail === null;
    // What this bar needs: venue matching (an order within reach of the bar's range) and a
    // management pass. A protected slot with nothing else in flight needs neither unless a leg, the
    // trailing stop or the swap threshold is within reach: number comparisons on exact integers
    // with a margin of the half spread and two ticks, so nothing reachable is ever skipped.
    let match = !idle;
    let manage = !idle;
    if (!idle && state.protection?.active && state.entry === null && !state.close_pending && state.unprotected_since === null && !tradesPending) {
      const margin = hiFx * spreadFrac + 2 * tickNum;
      let legs = true;
      if (oco) legs = oco.done || loFx <= Number(oco.stop) + margin || hiFx >= Number(oco.tp);
      else if (trail) legs = trail.done || hiFx > Number(trail.ref) || loFx <= (Number(trail.ref) * (10_000 - trail.delta)) / 10_000 + margin;
      const swap =
        cfg.trailing_enabled &&
        oco !== null &&
        !state.swap_failed &&
        !!state.plan?.trailing_delta_bps &&
        p.rules.allowTrailingStop &&
        base > 0n &&
        hiFx >= (Number(cost) / Number(base)) * SCALE * (1 + cfg.trailing_activate_bps / 10_000) - margin;
      match = legs;
      // A trailing stop that only follows a new high reports nothing: no pass for it.
      manage = swap || (oco !== null && oco.done) || (trail !== null && trail.done);
    }
    if (match) {
      const path = barPath(BigInt(data[o + F.openFx] ?? 0), BigInt(hiFx), BigInt(loFx), BigInt(data[o + F.closeFx] ?? 0));
      const touches = pathTouches(path, p.spread_bps, tick);
      const ts = (k: number): number => t0 + Math.round((k * barMs) / 3);
      // Each report is managed at its point; what that pass places meets the same point's book and
      // the rest of the bar (matching from the point again: orders already done are skipped).
      let k = 0;
      for (let guard = 0; guard < 8; guard++) {
        const at = matchFrom(touches, k, ts);
        if (at === null) break;
        manage = true;
        const tk = touches[at];
        const last = path[at];
        if (at >= 3 || tk === undefined || last === undefined) break; // the close: the pass below
        pass(ts(at), tk, last);
        k = at;
      }
    }
    const closeFx = data[o + F.closeFx] ?? 0;
    const now = t0 + barMs;
    if (manage) {
      const c = BigInt(closeFx);
      pass(now, touchAround(c, p.spread_bps, tick), c);
    }
    // The engine's cycle: only a flat slot with nothing in flight, past its cooldown, considers an entry.
    const flatIdle =
      state.entry === null &&
      state.protection === null &&
      !state.close_pending &&
      !state.requote_pending &&
      holding !== 'TRADABLE' &&
      oco === null &&
      restingExit === null &&
      trail === null;
    if (flatIdle && i + 1 - from >= warm && now - lastAction >= s.cooldown_ms) {
      if (closeNum > channelHigh(i)) {
        clock = now;
        const c = BigInt(closeFx);
        decide(i, now, touchAround(c, p.spread_bps, tick), c);
      }
    }
    if (holding === 'TRADABLE') inPosition++;
    const eq = Number(cash) / SCALE + (Number(base) / SCALE) * closeNum;
    if (i > from) {
      const r = eq / prevEq - 1;
      count++;
      const dlt = r - mean;
      mean += dlt / count;
      m2 += dlt * (r - mean);
      if (r < 0) down += r * r;
    }
    prevEq = eq;
    if (eq > peak) peak = eq;
    const dd = peak > 0 ? (peak - eq) / peak : 0;
    if (dd > mdd) mdd = dd;
    if ((i - from) % every === 0 || i === to - 1) equity.push({ ts: t0, equity: Math.round(eq * 100) / 100, drawdown_pct: -Math.round(dd * 10_000) / 100 });
  };
  for (let i = from; i < to; i++) onBar(i);

  const lastClose = to > from ? (data[(to - 1) * BAR_FIELDS + F.close] ?? 0) : 0;
  const end = Number(cash) / SCALE + (Number(base) / SCALE) * lastClose;
  if (openTrade !== null && to > from) {
    const ot: { ts: number; price: Fx; qty: Fx; cost: Fx; fees: number } = openTrade;
    trades.push({
      entry_ts: ot.ts,
      exit_ts: data[(to - 1) * BAR_FIELDS + F.t] ?? 0,
      entry: fmt(ot.price),
      exit: String(lastClose),
      qty: fmt(ot.qty),
      pnl: (Number(ot.qty) / SCALE) * lastClose - Number(ot.cost) / SCALE,
      fees: ot.fees,
      reason: 'END',
    });
  }
  const sd = Math.sqrt(m2 / Math.max(1, count - 1));
  const dsd = Math.sqrt(down / Math.max(1, count));
  const perYear = Math.sqrt((365 * 24 * 3_600_000) / Math.max(1, barMs));
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return {
    metrics: {
      return_pct: r2((end / start - 1) * 100),
      sharpe: sd > 0 ? r2((mean / sd) * perYear) : 0,
      sortino: dsd > 0 ? r2((mean / dsd) * perYear) : 0,
      max_drawdown_pct: r2(mdd * 100),
      win_rate: trades.length ? r2(trades.filter((x) => x.pnl > 0).length / trades.length) : 0,
      trades: trades.length,
      fees: r2(feesQuote),
      exposure: r2(inPosition / Math.max(1, n)),
      blocked_edge: blockedEdge,
      blocked_cost: blockedCost,
      blocked_build: blockedBuild,
      blocked_gate: blockedGate,
      blocked_risk: blockedRisk,
      steps: stepCount,
      bars: n,
    },
    equity,
    trades,
    decisions,
    steps,
    config: cfg,
  };
}
