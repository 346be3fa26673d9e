import type { IntentState, RequoteMode, SymbolRules } from '@vigil/contracts';
import { Dec } from './decimal.js';
import { quantizePrice, quantizeQty } from './filters.js';

/**
 * The per-symbol position lifecycle as one pure step: `step(state, input, cfg) -> { state, commands }`.
 *
 * The state is plain data (one slot: the working entry, a pending re-quote, the protection, a
 * pending close, counters and back-off times). Inputs are a management tick (one phase of the pass,
 * with the facts read for it: the clock, the holding, the mode, the quote, the rules) and the
 * outcomes of protection. Commands say what the runner (engine/trader.ts) must do at the venue or
 * in the audit; the runner commits every order's intent before it leaves and feeds the outcomes
 * back. Nothing here does I/O, reads a clock or draws a random number.
 *
 * A management pass runs the tick phases in this order, re-reading the facts between them because
 * each phase's commands may change them: TRADES (learn exact fills) -> ENTRY (poll, cancel or
 * re-quote a working entry) -> REQUOTE -> CHECK (is standing protection still there?) -> POSITION
 * (protect, close, swap, or clear dust).
 *
 *   FLAT --entry placed--> ENTRY_WORKING --fill--> OPEN_UNPROTECTED --PROTECT ok--> PROTECTED(OCO)
 *     ^                        |  ttl/halt/partial: CANCEL_ENTRY            |  in profit, NORMAL: SWAP
 *     |                        v                                            v
 *     +------ no fill ------ ENDED        OPEN_UNPROTECTED <--failed-- PROTECTED(TRAILING)
 *     |                                      | failures >= max, price through a level: CLOSE_SAFELY
 *     +------------- exit filled / dust <----+----------------------- leg filled (ENDED -> LEARN_FILLS)
 *
 * Invariants (property-tested in lifecycle.test.ts over random states, facts and sequences):
 * - I1 Frozen (PAUSE_NEEDS_MANUAL): the POSITION phase places, cancels and swaps nothing.
 * - I2 Halted (PAUSE, kill switch, unconfirmed mode): no command adds risk. A confirmed working
 *   entry without a pending cancel gets CANCEL_ENTRY('halt'); a pending re-quote is dropped; no
 *   REPLACE_ENTRY, REQUOTE or SWAP.
 * - I3 Protection and exits are never blocked by the mode: the POSITION phase's PROTECT and
 *   CLOSE_SAFELY commands are the same whatever `halted` says (quarantine is not even an input).
 * - I4 No order while one is unresolved on the same leg: no PROTECT/CLOSE_SAFELY while an entry
 *   works, a close is pending, fills are being learned, or the protection's intent is CREATED or
 *   SENT_UNKNOWN; no second cancel while one is pending.
 * - I5 Nothing is protected, closed or swapped without a tradable holding (dust is cleared instead).
 * - I6 After protect_attempts_max failures the position is closed (CLOSE_SAFELY, critical), never
 *   protected again; every failure backs off (1 s doubling to 30 s) and nothing is placed before.
 * - I7 A PROTECT's stop-limit price is at or below its stop price, on the tick grid, and it is only
 *   issued while the bid is above the stop and the ask below the take-profit.
 * - I8 At most one venue command per phase.
 * - I9 A tradable position without standing protection is marked unprotected (unprotected_since
 *   <= now) from the first POSITION phase that sees it.
 * - I10 Reconcile never replaces protection: PROTECTION_ADOPTED changes nothing where the state
 *   holds one, keeps the state's own plan, and neither it nor PROTECTION_SEEN issues a command.
 */

export type Holding = 'NONE' | 'DUST' | 'TRADABLE';

/**
 * A position that can be traded. Commission dust below the lot step (what is left after the
 * protection sold the lot-rounded quantity) cannot be protected or sold, and is not a position.
 * Nor is a holding worth less at the bid than the venue's minimum order value for a market order
 * (NOTIONAL with applyMinToMarket, MIN_NOTIONAL with applyToMarket): the venue refuses both its
 * protection and its sale, and a "position" that can never be protected kept the whole bot in
 * PAUSE (a 1.26 USDT partial entry fill). Without a bid only the lot step is judged.
 */
export function classifyHolding(qty: string, rules: SymbolRules | null, bid: string | null = null): Holding {
  const q = new Dec(qty);
  if (q.isZero()) return 'NONE';
  if (rules === null) return 'TRADABLE';
  const lot = quantizeQty(q.toFixed(), rules);
  if (!lot.ok) return 'DUST';
  if (bid === null) return 'TRADABLE';
  const n = rules.filters.NOTIONAL;
  const m = rules.filters.MIN_NOTIONAL;
  const min = n?.applyMinToMarket ? n.minNotional : m?.applyToMarket ? m.minNotional : null;
  if (min === null) return 'TRADABLE';
  try {
    return new Dec(lot.value).mul(bid).lt(min) ? 'DUST' : 'TRADABLE';
  } catch {
    // A malformed minimum is not a reason to give a position up: the order checks refuse it.
    return 'TRADABLE';
  }
}

/** The order types the bot's protection and exits are made of: the OCO's two legs and the market exit. */
export const PROTECTION_ORDER_TYPES = ['LIMIT_MAKER', 'STOP_LOSS_LIMIT', 'MARKET'] as const;

/**
 * Why a position on this symbol could not be protected as the bot protects one, or null. An entry
 * on such a symbol is bought naked and then sold at market once the venue refuses its protection
 * (ocoAllowed false: bought, refused twice, dumped 0.76 % lower, again after every resume).
 */
export function protectionGap(r: SymbolRules): string | null {
  if (r.isSpotTradingAllowed === false) return 'spot trading is not allowed';
  if (r.permissions.length > 0 && !r.permissions.includes('SPOT')) return `permissions ${r.permissions.join(',').slice(0, 80)} do not include SPOT`;
  if (!r.ocoAllowed) return 'OCO orders are not allowed';
  const missing = PROTECTION_ORDER_TYPES.filter((t) => !r.orderTypes.includes(t));
  return missing.length > 0 ? `order types ${missing.join(', ')} not offered` : null;
}

export interface LifecyclePlan {
  readonly stop_price: string;
  readonly take_profit_price: string | null;
  readonly trailing_delta_bps: number | null;
}

export interface LifecycleEntry {
  /** The entry's clientOrderId: how the runner knows which of its orders the state names. */
  readonly coid: string;
  readonly intent: IntentState;
  /** The venue's order status as last learned ('CREATED' before any answer). */
  readonly status: string;
  readonly cancel_pending: boolean;
  readonly deadline_ms: number;
  readonly last_query_ms: number;
  /** A reviewed decision stands behind it (a re-quote needs one). */
  readonly has_decision: boolean;
  readonly requotes_left: number;
  readonly filled_qty: string;
  /** Why its pending cancel was sent (ttl, partial_fill, halt), or null. */
  readonly cancel_why: string | null;
  /**
   * The entry a cancelReplace of this one placed (or may have placed: its outcome can be unknown).
   * It takes the slot once this entry is seen CANCELED, unless it is known to have failed.
   */
  readonly successor: LifecycleEntry | null;
}

/** Order statuses after which an entry works no more. */
export const ENDED_STATUSES: ReadonlySet<string> = new Set(['FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'EXPIRED_IN_MATCH']);

export interface LifecycleProtection {
  readonly kind: 'OCO' | 'TRAILING';
  readonly active: boolean;
  readonly intent: IntentState;
  readonly last_query_ms: number;
}

export interface LifecycleState {
  readonly entry: LifecycleEntry | null;
  readonly requote_pending: boolean;
  readonly plan: LifecyclePlan | null;
  readonly protection: LifecycleProtection | null;
  readonly close_pending: boolean;
  /** Standing protection larger than an adopted position: cancelled, then re-protected. */
  readonly resize: boolean;
  readonly protect_failures: number;
  readonly failures_in_row: number;
  readonly retry_at_ms: number;
  readonly unprotected_since: number | null;
  readonly swap_failed: boolean;
  readonly swap_retry_at: number;
  readonly swap_deferrals: number;
}

export const EMPTY_LIFECYCLE: LifecycleState = {
  entry: null,
  requote_pending: false,
  plan: null,
  protection: null,
  close_pending: false,
  resize: false,
  protect_failures: 0,
  failures_in_row: 0,
  retry_at_ms: 0,
  unprotected_since: null,
  swap_failed: false,
  swap_retry_at: 0,
  swap_deferrals: 0,
};

/** What the runner read for one phase of a management pass. */
export interface LifecycleFacts {
  readonly now: number;
  readonly holding: Holding;
  /** Why nothing that adds risk may rest on the venue now (PAUSE, kill switch, unconfirmed mode), or null. */
  readonly halted: string | null;
  /** The position is the operator's to settle (PAUSE_NEEDS_MANUAL). */
  readonly frozen: boolean;
  /** Exact fills are still to be learned (myTrades) before anything is protected. */
  readonly trades_pending: boolean;
  readonly quote: { readonly bid: string; readonly ask: string } | null;
  readonly avg_price: string;
  readonly rules: SymbolRules | null;
  /** The mode allows a protection swap (NORMAL only). */
  readonly swap_allowed: boolean;
}

export interface LifecycleConfig {
  readonly intent_query_interval_ms: number;
  readonly protect_attempts_max: number;
  readonly stop_limit_offset_bps: number;
  readonly trailing_enabled: boolean;
  readonly trailing_activate_bps: number;
  readonly requote_mode: RequoteMode;
}

export type TickPhase = 'TRADES' | 'ENTRY' | 'REQUOTE' | 'CHECK' | 'POSITION';
export const TICK_PHASES: readonly TickPhase[] = ['TRADES', 'ENTRY', 'REQUOTE', 'CHECK', 'POSITION'];

/** Why a working entry is cancelled: its TTL ran out, part of it filled (the rest is not wanted), or entries are halted. */
export type CancelWhy = 'ttl' | 'partial_fill' | 'halt';

export type LifecycleInput =
  | { readonly kind: 'TICK'; readonly phase: TickPhase; readonly facts: LifecycleFacts }
  /** The protection's order (list) stands at the venue. */
  | { readonly kind: 'PROTECTION_CONFIRMED'; readonly now: number }
  /** The protection's placement definitively did not happen (refused, not sent, not found). */
  | { readonly kind: 'PROTECTION_FAILED'; readonly now: number }
  /** The protection ended at the venue (a leg filled, someone cancelled it, the list is done). */
  | { readonly kind: 'PROTECTION_ENDED'; readonly now: number }
  /** A swap step that changed nothing at the venue: the OCO stands, the swap is tried later. */
  | { readonly kind: 'SWAP_DEFERRED'; readonly now: number }
  /** Reconcile: the venue shows the protection the state holds standing (a remembered one, an unresolved placement). */
  | { readonly kind: 'PROTECTION_SEEN'; readonly now: number }
  /**
   * Reconcile: a protection of the bot's stands at the venue that the state does not hold (one
   * placed before a restart and confirmed then). Adopted only where the state holds none; `plan` is
   * read from its legs and used only when the state has no plan of its own.
   */
  | { readonly kind: 'PROTECTION_ADOPTED'; readonly now: number; readonly protection: 'OCO' | 'TRAILING'; readonly plan: LifecyclePlan | null }
  /** A protect or close attempt that could not go out (no balance answer, sizing): back off. */
  | { readonly kind: 'ATTEMPT_FAILED'; readonly now: number }
  /**
   * The venue's report of the working entry (a reply, a query or the user stream): its status and
   * cumulative filled quantity at `ts_ms`; `flat` says whether the bot holds none of the coin now.
   */
  | {
      readonly kind: 'ENTRY_REPORT';
      readonly coid: string;
      readonly status: string;
      readonly executed_qty: string;
      readonly ts_ms: number;
      readonly flat: boolean;
    };

export type LifecycleCommand =
  | { readonly kind: 'SYNC_TRADES' }
  | { readonly kind: 'QUERY_ENTRY' }
  | { readonly kind: 'CANCEL_ENTRY'; readonly why: CancelWhy }
  | { readonly kind: 'REPLACE_ENTRY' }
  | { readonly kind: 'REQUOTE' }
  | { readonly kind: 'DROP_REQUOTE'; readonly why: string }
  | { readonly kind: 'CHECK_PROTECTION' }
  | { readonly kind: 'DROP_PROTECTION'; readonly why: string }
  | { readonly kind: 'DUST_CLEARED' }
  | { readonly kind: 'PROTECT'; readonly stop_price: string; readonly stop_limit_price: string; readonly take_profit_price: string }
  | { readonly kind: 'CLOSE_SAFELY'; readonly why: string; readonly critical: boolean }
  | { readonly kind: 'SWAP_TO_TRAILING'; readonly trailing_delta_bps: number }
  | { readonly kind: 'LEARN_FILLS' }
  /** The entry ended: the runner moves the slot to its successor (or to none) and, when asked, keeps its decision for a re-quote. */
  | { readonly kind: 'ENTRY_ENDED'; readonly coid: string; readonly next: string | null; readonly requote: boolean };

/** Commands that send an order request (place, cancel, replace) to the venue. */
export const VENUE_COMMANDS: ReadonlySet<LifecycleCommand['kind']> = new Set([
  'CANCEL_ENTRY',
  'REPLACE_ENTRY',
  'REQUOTE',
  'DROP_PROTECTION',
  'PROTECT',
  'CLOSE_SAFELY',
  'SWAP_TO_TRAILING',
]);
/** Commands that add risk at the venue. */
export const RISK_COMMANDS: ReadonlySet<LifecycleCommand['kind']> = new Set(['REPLACE_ENTRY', 'REQUOTE', 'SWAP_TO_TRAILING']);

export interface StepResult {
  readonly state: LifecycleState;
  readonly commands: readonly LifecycleCommand[];
}

/** Standing protection is polled at most this often; user-stream events on its legs bring the check forward. */
export const PROTECTION_CHECK_MIN_MS = 2_000;
const BACKOFF_MAX_MS = 30_000;
const SWAP_DEFER_BASE_MS = 5_000;
const SWAP_DEFER_MAX_MS = 300_000;

export function step(state: LifecycleState, input: LifecycleInput, cfg: LifecycleConfig): StepResult {
  switch (input.kind) {
    case 'TICK':
      return tick(state, input.phase, input.facts, cfg);
    case 'PROTECTION_CONFIRMED':
      if (state.protection === null) return { state, commands: [] };
      return {
        state: {
          ...state,
          protection: { ...state.protection, active: true, intent: 'CONFIRMED' },
          unprotected_since: null,
          protect_failures: 0,
          failures_in_row: 0,
          retry_at_ms: 0,
        },
        commands: [],
      };
    case 'PROTECTION_FAILED':
      return {
        state: backoff(
          { ...state, protection: null, protect_failures: state.protect_failures + 1, unprotected_since: state.unprotected_since ?? input.now },
          input.now,
        ),
        commands: [],
      };
    case 'PROTECTION_ENDED':
      if (state.protection === null) return { state, commands: [] };
      return { state: { ...state, protection: null, swap_failed: false, swap_deferrals: 0, swap_retry_at: 0 }, commands: [{ kind: 'LEARN_FILLS' }] };
    case 'SWAP_DEFERRED': {
      const n = state.swap_deferrals + 1;
      return {
        state: { ...state, swap_deferrals: n, swap_retry_at: input.now + Math.min(SWAP_DEFER_MAX_MS, SWAP_DEFER_BASE_MS * 2 ** (n - 1)) },
        commands: [],
      };
    }
    case 'ATTEMPT_FAILED':
      return { state: backoff(state, input.now), commands: [] };
    case 'PROTECTION_SEEN':
      if (state.protection === null) return { state, commands: [] };
      return { state: { ...state, protection: { ...state.protection, active: true }, unprotected_since: null }, commands: [] };
    case 'PROTECTION_ADOPTED':
      // At most one protection per symbol: a second one is the operator's (EXTRA_PROTECTION_LIST).
      if (state.protection !== null) return { state, commands: [] };
      return {
        state: {
          ...state,
          protection: { kind: input.protection, active: true, intent: 'CONFIRMED', last_query_ms: 0 },
          plan: state.plan ?? input.plan,
          unprotected_since: null,
        },
        commands: [],
      };
    case 'ENTRY_REPORT':
      return entryReport(state, input);
  }
}

/**
 * A report of the working entry. Part filled: the filled part is unprotected from the first fill
 * on (not from when the entry ends). Ended: a cancelReplace's successor takes the slot when this
 * one was CANCELED, unless it is known not to exist; an unfilled entry cancelled at its TTL with
 * re-quotes left (and no successor) is re-quoted; a filled one has its exact fills learned before
 * anything is protected; an entry that ends with nothing filled and nothing held drops the plan.
 */
function entryReport(s: LifecycleState, r: Extract<LifecycleInput, { kind: 'ENTRY_REPORT' }>): StepResult {
  const e = s.entry;
  if (e === null || e.coid !== r.coid) return { state: s, commands: [] };
  const updated: LifecycleEntry = { ...e, status: r.status, filled_qty: r.executed_qty };
  if (!ENDED_STATUSES.has(r.status)) {
    return {
      state: { ...s, entry: updated, unprotected_since: r.status === 'PARTIALLY_FILLED' ? (s.unprotected_since ?? r.ts_ms) : s.unprotected_since },
      commands: [],
    };
  }
  const filled = !new Dec(r.executed_qty).isZero();
  const succ = e.successor;
  const next = r.status === 'CANCELED' && succ !== null && succ.intent !== 'FAILED_TERMINAL' && succ.intent !== 'NOT_FOUND' ? succ : null;
  const requote = !filled && r.status === 'CANCELED' && e.cancel_why === 'ttl' && e.has_decision && e.requotes_left > 0 && succ === null;
  let state: LifecycleState = { ...s, entry: next, requote_pending: requote || s.requote_pending };
  if (filled) state = { ...state, unprotected_since: s.unprotected_since ?? r.ts_ms };
  else if (next === null && r.flat) state = { ...state, plan: null };
  const commands: LifecycleCommand[] = [{ kind: 'ENTRY_ENDED', coid: e.coid, next: next?.coid ?? null, requote }];
  if (filled) commands.push({ kind: 'LEARN_FILLS' });
  return { state, commands };
}

/** Failed protect/close attempts back off (1 s doubling to 30 s) so a venue that refuses us is not hammered. */
function backoff(s: LifecycleState, now: number): LifecycleState {
  const n = s.failures_in_row + 1;
  return { ...s, failures_in_row: n, retry_at_ms: now + Math.min(BACKOFF_MAX_MS, 1000 * 2 ** (n - 1)) };
}

function tick(s: LifecycleState, phase: TickPhase, f: LifecycleFacts, cfg: LifecycleConfig): StepResult {
  const none = { state: s, commands: [] };
  switch (phase) {
    case 'TRADES':
      return f.trades_pending ? { state: s, commands: [{ kind: 'SYNC_TRADES' }] } : none;
    case 'ENTRY':
      return entryPhase(s, f, cfg);
    case 'REQUOTE':
      if (!s.requote_pending || s.entry !== null || f.holding === 'TRADABLE') return none;
      // In PAUSE or under the kill switch nothing that adds risk goes out.
      if (f.halted !== null) return { state: { ...s, requote_pending: false }, commands: [{ kind: 'DROP_REQUOTE', why: f.halted }] };
      return { state: { ...s, requote_pending: false }, commands: [{ kind: 'REQUOTE' }] };
    case 'CHECK': {
      const p = s.protection;
      if (p === null || !p.active || f.now - p.last_query_ms < Math.max(PROTECTION_CHECK_MIN_MS, cfg.intent_query_interval_ms)) return none;
      return { state: { ...s, protection: { ...p, last_query_ms: f.now } }, commands: [{ kind: 'CHECK_PROTECTION' }] };
    }
    case 'POSITION':
      return positionPhase(s, f, cfg);
  }
}

function entryPhase(s: LifecycleState, f: LifecycleFacts, cfg: LifecycleConfig): StepResult {
  const e = s.entry;
  if (e === null || e.intent !== 'CONFIRMED') return { state: s, commands: [] };
  const why: CancelWhy | null = e.cancel_pending ? null : f.halted !== null ? 'halt' : cancelDue(s, f);
  if (why === 'ttl' && replaceable(e, f, cfg)) return { state: s, commands: [{ kind: 'REPLACE_ENTRY' }] };
  if (why !== null) return { state: s, commands: [{ kind: 'CANCEL_ENTRY', why }] };
  if (f.now - e.last_query_ms < cfg.intent_query_interval_ms) return { state: s, commands: [] };
  return { state: { ...s, entry: { ...e, last_query_ms: f.now } }, commands: [{ kind: 'QUERY_ENTRY' }] };
}

/**
 * A partly filled entry is cancelled at once so that the filled part can be protected (the slot
 * protects only once no entry works); an unprotected fill on the slot counts as one too (an entry
 * replaced while it had just filled in part). Not while what it filled is still dust (below the
 * lot step or the venue's minimum order value): cancelled then, it would leave a holding that can be
 * neither protected nor sold, so the entry works on until it fills further or its TTL. Otherwise
 * the TTL decides.
 */
function cancelDue(s: LifecycleState, f: Pick<LifecycleFacts, 'now' | 'holding'>): CancelWhy | null {
  const e = s.entry!;
  if ((e.status === 'PARTIALLY_FILLED' || s.unprotected_since !== null) && f.holding !== 'DUST') return 'partial_fill';
  return f.now >= e.deadline_ms ? 'ttl' : null;
}

/** A due re-quote goes out as one cancelReplace: configured so, offered for the symbol, re-quotes left, nothing filled. */
function replaceable(e: LifecycleEntry, f: LifecycleFacts, cfg: LifecycleConfig): boolean {
  return (
    cfg.requote_mode === 'cancel_replace' &&
    f.rules?.cancelReplaceAllowed === true &&
    e.has_decision &&
    e.requotes_left > 0 &&
    e.status === 'NEW' &&
    new Dec(e.filled_qty).isZero() &&
    f.holding !== 'TRADABLE'
  );
}

function positionPhase(s: LifecycleState, f: LifecycleFacts, cfg: LifecycleConfig): StepResult {
  const none = { state: s, commands: [] };
  // A position the venue contradicts is the operator's to settle: nothing is placed on it.
  if (f.frozen) return none;
  if (s.resize) {
    if (s.protection?.active) return { state: s, commands: [{ kind: 'DROP_PROTECTION', why: 'protection no longer the size of the position' }] };
    s = { ...s, resize: false };
  }
  if (s.entry !== null || s.close_pending || f.trades_pending) return { state: s, commands: [] };
  if (f.holding !== 'TRADABLE') {
    let next = s;
    const commands: LifecycleCommand[] = [];
    if (s.unprotected_since !== null || s.protection !== null) {
      next = { ...next, unprotected_since: null, protection: s.protection && !s.protection.active ? null : s.protection };
      commands.push({ kind: 'DUST_CLEARED' });
    }
    if (next.protection === null && next.plan !== null) next = { ...next, plan: null };
    return { state: next, commands };
  }
  const p = s.protection;
  if (p === null || (!p.active && p.intent !== 'SENT_UNKNOWN' && p.intent !== 'CREATED')) {
    const marked = { ...s, unprotected_since: s.unprotected_since ?? f.now };
    if (f.now < s.retry_at_ms) return { state: marked, commands: [] };
    if (s.protect_failures >= cfg.protect_attempts_max)
      return { state: marked, commands: [{ kind: 'CLOSE_SAFELY', why: `protection failed ${s.protect_failures} times`, critical: true }] };
    const c = protectCommand(s.plan, f, cfg);
    return { state: marked, commands: c === null ? [] : [c] };
  }
  const delta = p.active && p.kind === 'OCO' ? swapDelta(s, f, cfg) : null;
  if (delta !== null) return { state: s, commands: [{ kind: 'SWAP_TO_TRAILING', trailing_delta_bps: delta }] };
  return { state: s, commands: [] };
}

/**
 * The protection of an unprotected position, priced from the book: an OCO (take-profit above, stop
 * below), or an exit at market when a resting OCO cannot be placed (price already through the stop
 * or beyond the take-profit, no plan, a stop-limit price off the grid). Null: no fresh quote or no
 * rules to price it with (MARKET_STATE_LOST past the bound).
 */
export function protectCommand(
  plan: LifecyclePlan | null,
  f: Pick<LifecycleFacts, 'quote' | 'rules'>,
  cfg: Pick<LifecycleConfig, 'stop_limit_offset_bps'>,
): LifecycleCommand | null {
  if (plan === null) return { kind: 'CLOSE_SAFELY', why: 'position without a protection plan', critical: true };
  const q = f.quote;
  if (f.rules === null || q === null) return null;
  if (new Dec(q.bid).lte(plan.stop_price)) return { kind: 'CLOSE_SAFELY', why: `bid ${q.bid} at or below stop ${plan.stop_price}`, critical: false };
  if (plan.take_profit_price === null || new Dec(q.ask).gte(plan.take_profit_price))
    return { kind: 'CLOSE_SAFELY', why: `take-profit ${plan.take_profit_price ?? 'none'} reached (ask ${q.ask})`, critical: false };
  // The plan was priced on the grid of its day; the venue's tick may have changed since (a refused
  // off-grid protection was retried unchanged and ended in a market sale). On today's grid: the stop
  // rounded down and the take-profit up, each away from the price, never tighter than planned.
  const stop = quantizePrice(plan.stop_price, f.rules, 'down');
  if (!stop.ok) return { kind: 'CLOSE_SAFELY', why: `stop price: ${stop.reason}`, critical: true };
  const tp = quantizePrice(plan.take_profit_price, f.rules, 'up');
  if (!tp.ok) return { kind: 'CLOSE_SAFELY', why: `take-profit price: ${tp.reason}`, critical: true };
  const raw = new Dec(stop.value)
    .mul(10_000 - cfg.stop_limit_offset_bps)
    .div(10_000)
    .toDecimalPlaces(12, Dec.ROUND_DOWN)
    .toFixed();
  const limit = quantizePrice(raw, f.rules, 'down');
  if (!limit.ok) return { kind: 'CLOSE_SAFELY', why: `stop limit price: ${limit.reason}`, critical: true };
  return { kind: 'PROTECT', stop_price: stop.value, stop_limit_price: limit.value, take_profit_price: tp.value };
}

/**
 * OCO -> trailing stop, with the plan's trailing delta: configured, offered, allowed by the mode,
 * not failed before, not deferred, and the price in profit by the activation margin. Null: not now.
 */
function swapDelta(s: LifecycleState, f: LifecycleFacts, cfg: LifecycleConfig): number | null {
  const delta = s.plan?.trailing_delta_bps ?? null;
  if (!cfg.trailing_enabled || !delta || s.swap_failed || f.now < s.swap_retry_at) return null;
  if (f.rules?.allowTrailingStop !== true || !f.swap_allowed || f.halted !== null || f.quote === null) return null;
  const avg = new Dec(f.avg_price);
  return avg.gt(0) && new Dec(f.quote.bid).gte(avg.mul(1 + cfg.trailing_activate_bps / 10_000)) ? delta : null;
}

/**
 * The pass's verdict over all slots: positions unprotected past the bound (PROTECTION_MISSING),
 * those with no fresh quote to price their protection (MARKET_STATE_LOST), and whether every slot
 * is protected or flat with nothing closing (PROTECTION_MISSING may clear).
 */
export function protectionVerdict(
  slots: readonly { readonly symbol: string; readonly unprotected_since: number | null; readonly close_pending: boolean; readonly has_quote: boolean }[],
  now: number,
  unprotectedMaxMs: number,
): { readonly missing: readonly string[]; readonly blind: readonly string[]; readonly all_clear: boolean } {
  const unprotected = slots.filter((s) => s.unprotected_since !== null && now - s.unprotected_since > unprotectedMaxMs);
  return {
    missing: unprotected.map((s) => s.symbol),
    blind: unprotected.filter((s) => !s.has_quote).map((s) => s.symbol),
    all_clear: slots.every((s) => s.unprotected_since === null && !s.close_pending),
  };
}
