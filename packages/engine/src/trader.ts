import type { PayloadOf } from '@vigil/contracts';
import type {
  Correlation,
  EventEnvelope,
  Decision,
  EngineConfig,
  EventType,
  IntentState,
  JsonObject,
  CancelReplaceResult,
  NewOco,
  NewOrder,
  OrderListReport,
  OrderReport,
  OrderTrace,
  ReasonCode,
  RequoteMode,
  SymbolRules,
  TradeReport,
  UserEvent,
  VenueOutcome,
  AccountReport,
} from '@vigil/contracts';
import { isOwnClientOrderId, jsonObject, LATE_WATCH_MS, listIdOfLeg, listLegId, MY_TRADES_PAGE, orderRole } from '@vigil/contracts';
import {
  Dec,
  TICK_PHASES,
  classifyHolding,
  type Holding,
  judgeHoldings,
  protectionVerdict,
  quantizePrice,
  quantizeQty,
  splitTrades,
  step,
  protectCommand,
  intentAfter,
  replaceAfter,
  resolveAfterQuery,
  swapAfterCancel,
  swapAfterListQuery,
  swapAfterPlace,
  swapAfterValidate,
  type CancelWhy,
  type HoldingsVerdict,
  type LifecycleCommand,
  type LifecycleConfig,
  type LifecycleEntry,
  type LifecycleFacts,
  type LifecycleInput,
  type LifecyclePlan,
  type LifecycleState,
  type ManualChangePolicy,
  type StepResult,
  type TickPhase,
} from '@vigil/core';
import type { CrashHook } from '@vigil/runtime';

/** Precise epoch ms, comparable across threads: the latency trace's clock (OrderTrace.marks). */
const ORIGIN_MS = performance.timeOrigin;
const preciseNowMs = (): number => ORIGIN_MS + performance.now();
import { CappedMap, CappedSet } from './capped.js';
import type { ChurnCounter } from './churn.js';
import { IntentBook, type Intent } from './intents.js';
import { lifecycleConfig } from './lifecycle-config.js';
import type { Ledger } from './ledger.js';
import { venue, type VenueCall } from './venue.js';

/**
 * Execution, protection and the management path: what happens to money after RISK_VERDICT.
 * One slot per symbol (one position per symbol). The management tick always runs, whatever the
 * mode: it resolves unknown outcomes, cancels entries past their TTL, protects fills, notices
 * exits and swaps protection to a trailing stop, never leaving a position without protection.
 */
export interface ProtectionPlan {
  readonly stop_price: string;
  readonly take_profit_price: string | null;
  readonly trailing_delta_bps: number | null;
}

/** An entry order of ours on a slot: placed, or being placed. */
export interface WorkingEntry {
  intent: Intent;
  order_id: number | null;
  deadline_ms: number;
  status: string;
  cancel: Intent | null;
  filled_qty: string;
  decision: Decision | null;
  requotes_left: number;
  corr: Partial<Correlation>;
  /**
   * The entry a cancelReplace of this one placed (or may have placed: its outcome can be unknown).
   * It takes the slot once this entry is seen ended, unless it is known to have failed.
   */
  successor: WorkingEntry | null;
}

export interface Slot {
  readonly symbol: string;
  entry: WorkingEntry | null;
  /** An entry cancelled at its TTL without a fill, to be re-quoted (cancel + new) if still allowed. */
  requote: { decision: Decision; left: number; corr: Partial<Correlation> } | null;
  plan: ProtectionPlan | null;
  protection:
    | { kind: 'OCO'; intent: Intent; list_client_order_id: string; leg_ids: readonly string[]; qty: string; active: boolean; placed_ms: number }
    | { kind: 'TRAILING'; intent: Intent; client_order_id: string; qty: string; active: boolean; placed_ms: number }
    | null;
  protect_failures: number;
  /** Failed protect/close attempts back off (1 s doubling to 30 s) so a venue that refuses us is not hammered. */
  failures_in_row: number;
  retry_at_ms: number;
  unprotected_since: number | null;
  close: Intent | null;
  last_action_ms: number;
  /** The last protection swap's verdict; a failed swap keeps the old protection and pauses. */
  swap_failed: boolean;
  /** A swap step that changed nothing at the venue is tried again from here (back-off), without a PAUSE. */
  swap_retry_at: number;
  swap_deferrals: number;
}

export interface TraderDeps {
  readonly cfg: EngineConfig;
  readonly now: () => number;
  readonly call: () => VenueCall | null;
  readonly intents: IntentBook;
  readonly ledger: Ledger;
  readonly churn: ChurnCounter;
  readonly rules: (symbol: string) => SymbolRules | null;
  readonly quote: (symbol: string) => { readonly bid: string; readonly ask: string } | null;
  /**
   * Asked for a symbol whose position waits to be priced (unprotected) while quote() has nothing
   * fresh: the engine reads the book over REST, for quote() to answer from at a later pass.
   */
  readonly needQuote?: (symbol: string) => void;
  readonly event: <T extends EventType>(
    type: T,
    payload: PayloadOf<T>,
    opts?: { readonly reason?: ReasonCode | null; readonly corr?: Partial<Correlation> },
  ) => void;
  readonly reason: (code: ReasonCode, on: boolean, detail: JsonObject) => void;
  readonly orderTimeoutMs: number;
  /** Open orders at the venue on a symbol that are not the bot's (from the last reconcile). */
  readonly foreignOpen?: (symbol: string) => { readonly open: number; readonly algo: number };
  /** Whether a re-quote may go out now (entry permission and the churn limits); null = yes. */
  readonly mayRequote?: (symbol: string) => string | null;
  /** strategy.requote_mode; cancel_new when absent. */
  readonly requoteMode?: RequoteMode;
  /** Chaos-matrix crash points (disarmed unless live.fault_hooks_enabled and live.crash_point). */
  readonly crash?: CrashHook;
  /** Chaos matrix, point audit_storm: floods the audit writer; resolves once some critical rows are acknowledged. */
  readonly storm?: () => Promise<void> | undefined;
  /**
   * Why nothing that adds risk may rest on the venue now (PAUSE, the kill switch, a mode nobody
   * confirmed), or null. A working entry is cancelled at the next management pass.
   */
  readonly halted?: () => string | null;
  /** Whether a protection swap (OCO -> trailing) may start: only in NORMAL. */
  readonly swapAllowed?: () => boolean;
  /** engine.manual_change_policy; pause when absent. */
  readonly manualPolicy?: ManualChangePolicy;
  /** engine.reconcile_tolerance_steps (balance vs position). */
  readonly toleranceSteps?: number;
  /** A fill realized P&L (a sale): the day's P&L is sampled into the audit at once. */
  readonly onRealized?: () => void;
  /** Sees every lifecycle step with what it was given and what it returned (replay recording). */
  readonly recordStep?: (symbol: string, state: LifecycleState, input: LifecycleInput, out: StepResult) => void;
}

/** A difference between the venue and the bot's state, found while judging trades or balances. */
export interface TraderDiff {
  readonly kind: string;
  readonly symbol: string;
  readonly severity: 'WARN' | 'BAD';
  readonly detail: JsonObject;
}

/** The diff kind of a position the venue contradicts: sold by others, or short of the balance. */
export const changedKind = (why: 'SOLD_BY_OTHERS' | 'BALANCE_SHORT'): string =>
  why === 'SOLD_BY_OTHERS' ? 'POSITION_SOLD_OUTSIDE' : 'POSITION_EXCEEDS_BALANCE';

/** Pages of myTrades read in one sync at most (1000 rows each): beyond that the sync is incomplete. */
const MAX_TRADE_PAGES = 100;
/** Third-asset fees waiting for a price at most (the oldest are kept; more are left out, as before). */
const UNVALUED_FEES_KEPT = 1000;
/** How often and how many entries declared NOT_FOUND are asked about again (for LATE_WATCH_MS). */
const LATE_WATCH_EVERY_MS = 15_000;
const LATE_WATCH_KEPT = 100;
/** Order statuses in which an order can still trade (and holds what it would sell). */
const WORKING_STATUSES: ReadonlySet<string> = new Set(['NEW', 'PARTIALLY_FILLED', 'PENDING_NEW', 'PENDING_CANCEL']);
/** Order statuses of a leg that ended without its whole quantity filled. */
const LEG_ENDED_UNFILLED: ReadonlySet<string> = new Set(['EXPIRED', 'EXPIRED_IN_MATCH', 'CANCELED', 'REJECTED']);

const ORDER_TIMEOUT_SLACK_MS = 2_000;

/** Venue order (and list) ids remembered to attribute trades: months of orders, not all of them. */
export const ORDER_IDS_KEPT = 50_000;

export class Trader {
  readonly slots = new Map<string, Slot>();
  /**
   * Venue order id -> our clientOrderId, to attribute fills from myTrades. Capped: a trade of an
   * order older than the last ORDER_IDS_KEPT is judged not ours (fail closed: a foreign trade).
   */
  private readonly orderIds = new CappedMap<number, string>(ORDER_IDS_KEPT);
  /** Venue order list ids of our OCOs (a leg's trade names its list); capped like orderIds. */
  private readonly listIds = new CappedSet<number>(ORDER_IDS_KEPT);
  /** The last trade id judged per symbol: myTrades is paged from the one after it. */
  readonly lastTradeId = new Map<string, number>();
  /** Symbols whose position the venue contradicts, left to the operator (PAUSE_NEEDS_MANUAL): nothing is placed there. */
  readonly frozen = new Map<string, JsonObject>();

  constructor(private readonly d: TraderDeps) {
    this.lifecycleCfg = lifecycleConfig(d.cfg, d.requoteMode);
  }

  slot(symbol: string): Slot {
    let s = this.slots.get(symbol);
    if (!s) {
      s = {
        symbol,
        entry: null,
        requote: null,
        plan: null,
        protection: null,
        protect_failures: 0,
        failures_in_row: 0,
        retry_at_ms: 0,
        unprotected_since: null,
        close: null,
        last_action_ms: 0,
        swap_failed: false,
        swap_retry_at: 0,
        swap_deferrals: 0,
      };
      this.slots.set(symbol, s);
    }
    return s;
  }

  /** A symbol with anything in flight or a position: no new entry on it. */
  busy(symbol: string): boolean {
    const s = this.slots.get(symbol);
    if (!s) return false;
    return s.entry !== null || s.requote !== null || s.close !== null || s.protection !== null || this.hasPosition(symbol);
  }

  /**
   * A position that can be traded. Commission dust below the lot step (what is left after the
   * protection sold the lot-rounded quantity) cannot be protected or sold, and is not a position.
   */
  hasPosition(symbol: string): boolean {
    return this.holdingOf(symbol) === 'TRADABLE';
  }

  /** What the bot holds on the symbol: none, dust (below the lot step or the market minimum at the bid), or a position. */
  holdingOf(symbol: string): Holding {
    return classifyHolding(this.d.ledger.position(symbol).qty, this.d.rules(symbol), this.d.quote(symbol)?.bid ?? null);
  }

  openOrderCount(): number {
    let n = 0;
    for (const s of this.slots.values()) {
      if (s.entry) n++;
      if (s.protection?.active) n += s.protection.kind === 'OCO' ? 2 : 1;
    }
    return n;
  }

  /** Open orders on a symbol: ours (tracked) plus foreign ones (last reconcile). */
  openCounts(symbol: string): { open_orders: number; open_algo_orders: number } {
    const f = this.d.foreignOpen?.(symbol) ?? { open: 0, algo: 0 };
    const s = this.slots.get(symbol);
    let open = f.open;
    let algo = f.algo;
    if (s?.entry) open++;
    if (s?.protection) {
      open += s.protection.kind === 'OCO' ? 2 : 1;
      algo += 1;
    }
    return { open_orders: open, open_algo_orders: algo };
  }

  private get timeout(): number {
    return this.d.orderTimeoutMs + ORDER_TIMEOUT_SLACK_MS;
  }

  // --- EXECUTE ---------------------------------------------------------------------------------

  /**
   * Places an entry. The intent is committed to the audit before the request leaves; a failed
   * commit means nothing is sent. Returns the intent (null when the audit refused).
   */
  async enter(
    decision: Decision,
    corr: Partial<Correlation>,
    trace?: OrderTrace,
    requote?: RequoteTerms,
    alsoCommit: readonly EventEnvelope[] = [],
  ): Promise<Intent | null> {
    const s = this.slot(decision.symbol);
    const price = requote?.price ?? decision.entry_price;
    let intent: Intent;
    const commitReq = trace ? preciseNowMs() : 0;
    try {
      // `alsoCommit`: records that must be durable before this order leaves, in the same transaction.
      intent = await this.d.intents.create('ENTRY', decision.symbol, decision.side, 'entry', corr, entryDetail(decision, price, requote?.n), alsoCommit);
    } catch {
      return null; // no audit, no operation (the book closed the creation on record as never sent)
    }
    const commitAck = trace ? preciseNowMs() : 0;
    s.plan = { stop_price: decision.stop_price, take_profit_price: decision.take_profit_price, trailing_delta_bps: decision.trailing_delta_bps };
    s.entry = this.working(intent, decision, requote?.left ?? decision.constraints.max_requotes, corr);
    s.last_action_ms = this.d.now();
    this.d.churn.record(decision.symbol, requote ? 'replace' : 'new');
    this.d.crash?.('after_intent_commit', { client_order_id: intent.client_order_id });
    const storm = this.d.storm?.();
    const out = await venue(
      this.d.call(),
      'place_order',
      {
        order: entryOrder(decision, intent.client_order_id, price),
        ...(trace ? { trace: { ...trace, marks: { ...trace.marks, commit_req: commitReq, commit_ack: commitAck, order_req: preciseNowMs() } } } : {}),
        context: this.openCounts(decision.symbol),
      },
      this.timeout,
    );
    this.onOrderOutcome(intent, out);
    if (s.entry?.intent === intent && s.entry.status === 'NEW')
      this.d.crash?.('entry_working', { client_order_id: intent.client_order_id, price: price ?? null });
    if (storm) {
      await storm;
      this.d.crash?.('audit_storm', { client_order_id: intent.client_order_id, outcome: out.kind });
    }
    return intent;
  }

  private working(intent: Intent, decision: Decision, left: number, corr: Partial<Correlation>): WorkingEntry {
    return {
      intent,
      order_id: null,
      deadline_ms: this.d.now() + decision.constraints.ttl_ms,
      status: 'CREATED',
      cancel: null,
      filled_qty: '0',
      decision,
      requotes_left: left,
      corr,
      successor: null,
    };
  }

  /** Applies a place/cancel outcome to its intent (core/outcomes.ts intentAfter). UNKNOWN is never turned into a failure. */
  private onOrderOutcome(intent: Intent, out: VenueOutcome<OrderReport>): void {
    const state = intentAfter(out);
    switch (out.kind) {
      case 'OK':
        this.d.intents.transition(intent, state, null, { status: out.body.status, order_id: out.body.order_id });
        this.onReport(out.body, intent);
        return;
      case 'UNKNOWN':
        this.d.intents.transition(intent, state, 'INTENT_SENT_UNKNOWN', { why: out.reason });
        this.d.reason('INTENT_SENT_UNKNOWN', true, { symbol: intent.symbol, client_order_id: intent.client_order_id, why: out.reason });
        return;
      case 'REJECTED':
        this.d.intents.transition(intent, state, null, { code: out.code, msg: out.msg });
        this.onTerminal(intent, `venue rejected ${out.code}: ${out.msg}`);
        return;
      case 'THROTTLED':
        this.d.intents.transition(intent, state, 'RATE_LIMIT', { status: out.status, retry_after_ms: out.retry_after_ms });
        this.onTerminal(intent, `throttled ${out.status}`);
        return;
      case 'NETWORK_BEFORE_SEND':
        this.d.intents.transition(intent, state, null, { why: out.reason });
        this.onTerminal(intent, out.reason);
        return;
      case 'NOT_SENT':
        this.d.intents.transition(intent, state, null, { cause: out.cause, detail: out.detail });
        this.onTerminal(intent, `${out.cause}: ${out.detail}`);
        return;
    }
  }

  /** An intent that definitively did not happen. */
  private onTerminal(intent: Intent, why: string): void {
    const s = this.slot(intent.symbol);
    if (s.entry?.intent === intent) {
      s.entry = null;
      if (new Dec(this.d.ledger.position(intent.symbol).qty).isZero()) s.plan = null;
    } else if (s.entry?.cancel === intent) {
      s.entry.cancel = null;
    } else if (s.close === intent) {
      s.close = null;
      this.backoff(s);
      this.d.reason('PROTECTION_MISSING', true, { symbol: intent.symbol, why: `close failed: ${why}` });
    } else if (s.protection?.intent === intent) {
      this.stepSlot(s, { kind: 'PROTECTION_FAILED', now: this.d.now() });
      this.d.reason('PROTECTION_MISSING', true, { symbol: intent.symbol, why: `protection failed: ${why}`, failures: s.protect_failures });
    }
  }

  /** The intent an order belongs to: its own, or for an OCO leg the PROTECT intent of its list. */
  intentOf(clientOrderId: string): Intent | undefined {
    const list = listIdOfLeg(clientOrderId);
    return this.d.intents.byClientOrderId(clientOrderId) ?? (list ? this.d.intents.byClientOrderId(list) : undefined);
  }

  /** A venue report of one of our orders (reply, query or user stream). */
  onReport(r: OrderReport, intent: Intent | undefined = this.intentOf(r.client_order_id)): void {
    this.orderIds.set(r.order_id, r.client_order_id);
    this.d.event(
      'ORDER_UPDATED',
      {
        client_order_id: r.client_order_id,
        symbol: r.symbol,
        side: r.side,
        type: r.type,
        status: r.status,
        price: r.price,
        orig_qty: r.orig_qty,
        executed_qty: r.executed_qty,
        exchange_order_id: String(r.order_id),
      },
      { corr: intent?.corr ?? {} },
    );
    for (const f of r.fills) {
      if (f.trade_id === null) continue;
      this.fill(
        {
          symbol: r.symbol,
          side: r.side,
          price: f.price,
          qty: f.qty,
          commission: f.commission,
          commission_asset: f.commission_asset,
          trade_id: f.trade_id,
          ts_ms: r.ts_ms ?? this.d.now(),
        },
        intent,
        r.client_order_id,
      );
    }
    const s = this.slot(r.symbol);
    if (s.entry && (s.entry.intent === intent || s.entry.intent.client_order_id === r.client_order_id)) {
      s.entry.order_id = r.order_id;
      // The lifecycle step decides what the report means (core/lifecycle.ts entryReport).
      this.stepSlot(s, {
        kind: 'ENTRY_REPORT',
        coid: s.entry.intent.client_order_id,
        status: r.status,
        executed_qty: r.executed_qty,
        ts_ms: r.ts_ms ?? this.d.now(),
        flat: new Dec(this.d.ledger.position(r.symbol).qty).isZero(),
      });
    }
  }

  /** Symbols whose exact fills must be fetched (myTrades) before the next protection step. */
  readonly pendingTrades = new Set<string>();
  /** The earliest trade time to ask myTrades for, per symbol (a remembered entry's creation). */
  private readonly tradesSince = new Map<string, number>();

  tradesFrom(symbol: string, ms: number): void {
    this.tradesSince.set(symbol, Math.min(ms - 1_000, this.tradesSince.get(symbol) ?? Infinity));
  }

  /** Where a myTrades query for `symbol` starts: `fallback`, or earlier for a remembered entry. */
  tradesStart(symbol: string, fallback: number): number {
    return Math.max(0, Math.min(fallback, this.tradesSince.get(symbol) ?? Infinity));
  }

  private fill(
    f: { symbol: string; side: 'BUY' | 'SELL'; price: string; qty: string; commission: string; commission_asset: string; trade_id: number; ts_ms: number },
    intent: Intent | undefined,
    coid: string,
  ): void {
    const held = new Dec(this.d.ledger.position(f.symbol).qty);
    if (!this.d.ledger.apply(f)) return;
    // The bot sized every sale from its own position: selling more than it held means coins that
    // are not its own were sold. Nothing the bot can repair by itself.
    if (f.side === 'SELL' && new Dec(f.qty).gt(held))
      this.d.reason('PAUSE_NEEDS_MANUAL', true, {
        symbol: f.symbol,
        why: `sold ${f.qty} by ${coid} while the position held ${held.toFixed()}: coins the bot did not own were sold`,
        trade_id: String(f.trade_id),
      });
    // An entry that fills with no plan in its slot (declared NOT_FOUND, then executed late; or
    // learned after a restart) is protected by the plan its decision was approved with, not sold
    // as "a position without a protection plan".
    const slot = this.slots.get(f.symbol);
    // A buy into a protected position (an entry that filled after it was declared NOT_FOUND) leaves
    // the new coins outside the standing protection: it is replaced by one for the whole position.
    const rules = this.d.rules(f.symbol);
    if (f.side === 'BUY' && slot?.protection?.active && rules) {
      const whole = quantizeQty(this.d.ledger.position(f.symbol).qty, rules);
      if (whole.ok && new Dec(whole.value).gt(slot.protection.qty)) this.resize.add(f.symbol);
    }
    const stop = intent?.kind === 'ENTRY' ? intent.detail['stop_price'] : undefined;
    if (slot && slot.plan === null && typeof stop === 'string') {
      const tp = intent?.detail['take_profit_price'];
      slot.plan = { stop_price: stop, take_profit_price: typeof tp === 'string' ? tp : null, trailing_delta_bps: null };
    }
    this.d.event(
      'FILL_RECORDED',
      {
        client_order_id: coid,
        symbol: f.symbol,
        side: f.side,
        price: f.price,
        qty: f.qty,
        commission: f.commission,
        commission_asset: f.commission_asset,
        trade_id: String(f.trade_id),
      },
      { corr: intent?.corr ?? {} },
    );
    if (rules && f.commission_asset !== '' && f.commission_asset !== rules.baseAsset && f.commission_asset !== rules.quoteAsset && new Dec(f.commission).gt(0))
      this.chargeThirdFee({ symbol: f.symbol, asset: f.commission_asset, quote: rules.quoteAsset, amount: f.commission, ts_ms: f.ts_ms });
    this.positionEvent(f.symbol);
    // A sale realizes P&L: sampled at once, so a restart right after it restores the day's loss.
    if (f.side === 'SELL') this.d.onRealized?.();
  }

  /**
   * Commissions paid in a third asset (BNB, when the account pays fees with it) waiting for a price
   * in the quote asset. Counted as zero, they left every fee out of realized P&L and the daily loss
   * limit on such an account. Valued at once from a traded symbol's quote, else over REST at the
   * next management pass; bounded.
   */
  private readonly unvaluedFees: ThirdFee[] = [];

  private chargeThirdFee(fee: ThirdFee, bid?: string): void {
    const price = bid ?? this.d.quote(`${fee.asset}${fee.quote}`)?.bid;
    if (price === undefined) {
      if (this.unvaluedFees.length < UNVALUED_FEES_KEPT) this.unvaluedFees.push(fee);
      return;
    }
    this.d.ledger.chargeFee(fee.symbol, new Dec(fee.amount).mul(price).toFixed(8), fee.ts_ms);
  }

  /** Values the pending third-asset fees over REST (the bid of ASSET+QUOTE); a pair the venue does not list is reported and dropped. */
  private async valuePendingFees(): Promise<void> {
    // One ticker per pair per pass, however many fees wait on it.
    const asked = new Map<string, Awaited<ReturnType<typeof venue<'book_ticker'>>>>();
    for (const fee of this.unvaluedFees.splice(0)) {
      const pair = `${fee.asset}${fee.quote}`;
      const q = asked.get(pair) ?? (await venue(this.d.call(), 'book_ticker', { symbol: pair }));
      asked.set(pair, q);
      if (q.kind === 'OK') {
        this.chargeThirdFee(fee, q.body.bid);
        this.positionEvent(fee.symbol);
        this.d.onRealized?.();
      } else if (q.kind === 'REJECTED') {
        this.d.event('ALERT_RAISED', {
          source: 'engine',
          symbol: fee.symbol,
          detail: `${fee.symbol}: a fee of ${fee.amount} ${fee.asset} cannot be valued in ${fee.quote} (${pair}: ${q.code} ${q.msg}); P&L and the daily loss limit leave it out`,
        });
      } else this.unvaluedFees.push(fee);
    }
  }

  positionEvent(symbol: string): void {
    const p = this.d.ledger.position(symbol);
    const s = this.slot(symbol);
    this.d.event('POSITION_UPDATED', {
      symbol,
      qty: p.qty,
      avg_price: p.avg_price,
      realized: p.realized,
      fees_quote: p.fees_quote,
      opened_ms: p.opened_ms,
      protected: s.protection?.active === true,
      protection: s.protection?.kind ?? null,
      stop_price: s.plan?.stop_price ?? null,
      take_profit_price: s.plan?.take_profit_price ?? null,
      trailing_delta_bps: s.plan?.trailing_delta_bps ?? null,
      last_trade_id: this.lastTradeId.get(symbol) ?? null,
    });
  }

  /**
   * Learns the account's trades on a symbol since the last one judged, paged until complete
   * (however many): the bot's own fills are counted (an exit that filled while the bot was down makes
   * the position flat), and trades by others while the bot held the coin are judged against the
   * balance (judgeHoldings). The last trade id advances only over what was judged: not while an
   * order of ours on the symbol is unresolved (its trades would look foreign until its id is known),
   * nor past a change left to the operator. Returns the diffs found, or null when the venue did not
   * answer completely.
   */
  async syncTrades(symbol: string, fallbackStartMs: number, balance: AccountReport | null = null): Promise<TraderDiff[] | null> {
    const rows: TradeReport[] = [];
    let fromId = this.lastTradeId.has(symbol) ? this.lastTradeId.get(symbol)! + 1 : null;
    for (let page = 0; ; page++) {
      if (page === MAX_TRADE_PAGES) return null;
      const out = await venue(this.d.call(), 'my_trades', { symbol, start_ms: fromId === null ? fallbackStartMs : null, from_id: fromId });
      if (out.kind !== 'OK') return null;
      rows.push(...out.body.filter((t) => t.symbol === symbol));
      if (out.body.length < MY_TRADES_PAGE) break;
      fromId = out.body[out.body.length - 1]!.trade_id + 1;
    }
    const split = splitTrades(
      { orders: { has: (id: number) => this.orderIds.has(id) }, lists: this.listIds, counted: { has: (id: number) => this.d.ledger.isCounted(symbol, id) } },
      rows,
    );
    for (const t of split.own) {
      const coid = this.orderIds.get(t.order_id) ?? '';
      this.fill(
        {
          symbol,
          side: t.is_buyer ? 'BUY' : 'SELL',
          price: t.price,
          qty: t.qty,
          commission: t.commission,
          commission_asset: t.commission_asset,
          trade_id: t.trade_id,
          ts_ms: t.ts_ms,
        },
        this.intentOf(coid),
        coid,
      );
    }
    const diffs: TraderDiff[] =
      split.own.length > 0 ? [{ kind: 'MISSED_FILLS', symbol, severity: 'WARN', detail: { fills: split.own.length, last_trade_id: split.last_trade_id } }] : [];
    if (this.d.intents.unresolved().some((i) => i.symbol === symbol)) return diffs;
    // Only what others traded while the bot held the coin bears on its position.
    const opened = this.d.ledger.position(symbol).opened_ms;
    const foreign = opened === null ? [] : split.foreign.filter((t) => t.ts_ms >= opened);
    if (foreign.length > 0) {
      const acct = balance ?? (await this.account());
      if (acct === null) return null;
      const d = this.judge(symbol, foreign, acct);
      if (d) diffs.push(d);
      if (this.frozen.has(symbol)) return diffs;
    }
    if (split.last_trade_id !== null) this.lastTradeId.set(symbol, Math.max(split.last_trade_id, this.lastTradeId.get(symbol) ?? -1));
    return diffs;
  }

  private async account(): Promise<AccountReport | null> {
    const a = await venue(this.d.call(), 'account', {});
    return a.kind === 'OK' ? a.body : null;
  }

  /**
   * The venue against the position the bot derived from its own fills: trades by others while it
   * held the coin, or a balance that no longer covers it. The policy adopts what is left or leaves
   * the symbol to the operator (PAUSE_NEEDS_MANUAL with the inventory; nothing placed there).
   */
  judge(symbol: string, foreign: readonly TradeReport[], acct: AccountReport): TraderDiff | null {
    const rules = this.d.rules(symbol);
    if (!rules) return null;
    const b = acct.balances.find((x) => x.asset === rules.baseAsset);
    const balance = new Dec(b?.free ?? '0').plus(b?.locked ?? '0').toFixed();
    const position = this.d.ledger.position(symbol).qty;
    const v: HoldingsVerdict = judgeHoldings({
      position,
      balance,
      base_asset: rules.baseAsset,
      step: rules.filters.LOT_SIZE?.stepSize ?? '0',
      tolerance_steps: this.d.toleranceSteps ?? 1,
      foreign,
      policy: this.d.manualPolicy ?? 'pause',
    });
    if (v.kind === 'CONSISTENT') {
      if (this.frozen.has(symbol) && foreign.length === 0) this.frozen.delete(symbol);
      return null;
    }
    const inventory: JsonObject = {
      symbol,
      why: v.why,
      ...jsonObject(v.detail),
      asset: rules.baseAsset,
      free: b?.free ?? '0',
      locked: b?.locked ?? '0',
      foreign_trades: foreign
        .slice(0, 50)
        .map((t) => ({ trade_id: t.trade_id, order_id: t.order_id, side: t.is_buyer ? 'BUY' : 'SELL', qty: t.qty, price: t.price, ts_ms: t.ts_ms })),
      state: this.slotView(symbol),
    };
    if (v.kind === 'NEEDS_MANUAL') {
      this.frozen.set(symbol, inventory);
      this.d.reason('PAUSE_NEEDS_MANUAL', true, { symbols: [...this.frozen.keys()], inventory });
      return { kind: changedKind(v.why), symbol, severity: 'BAD', detail: inventory };
    }
    this.d.ledger.adopt(symbol, v.qty);
    this.positionEvent(symbol);
    // Protection for more than the bot now owns would sell coins that are not its own: re-protect.
    const p = this.slots.get(symbol)?.protection;
    if (p && new Dec(p.qty).gt(v.qty)) this.resize.add(symbol);
    return { kind: 'POSITION_ADOPTED_FROM_VENUE', symbol, severity: 'WARN', detail: { ...inventory, adopted_qty: v.qty } };
  }

  /** Symbols whose standing protection is larger than the position: cancelled, then re-protected. */
  readonly resize = new Set<string>();

  /** The state's view of a symbol, for an inventory. */
  slotView(symbol: string): JsonObject {
    const s = this.slots.get(symbol);
    const p = this.d.ledger.position(symbol);
    return {
      position_qty: p.qty,
      avg_price: p.avg_price,
      entry: s?.entry ? { client_order_id: s.entry.intent.client_order_id, status: s.entry.status, intent_state: s.entry.intent.state } : null,
      protection: s?.protection
        ? {
            kind: s.protection.kind,
            id: s.protection.kind === 'OCO' ? s.protection.list_client_order_id : s.protection.client_order_id,
            qty: s.protection.qty,
            active: s.protection.active,
          }
        : null,
      close: s?.close ? s.close.client_order_id : null,
      unprotected_since_ms: s?.unprotected_since ?? null,
    };
  }

  /** An order of an intent of this run (placed or being placed): never a stray. */
  hasIntentFor(coid: string): boolean {
    return this.d.intents.byClientOrderId(coid) !== undefined;
  }

  /**
   * Asks the venue for the ids of remembered orders whose reply never reached the audit (a crash
   * right after it): their trades are then known as the bot's. An order the venue does not know
   * (never placed) has no trades to attribute. Returns how many could not be asked (venue silent).
   */
  async learnOrderIds(unmapped: readonly { readonly symbol: string; readonly client_order_id: string }[]): Promise<number> {
    let unanswered = 0;
    for (const u of unmapped) {
      if (orderRole(u.client_order_id) === 'list') {
        const l = await venue(this.d.call(), 'query_order_list', { list_client_order_id: u.client_order_id });
        if (l.kind === 'OK') {
          this.listIds.add(l.body.order_list_id);
          for (const o of l.body.orders) this.orderIds.set(o.order_id, o.client_order_id);
        } else if (!(l.kind === 'REJECTED' && (l.code === -2011 || l.code === -2013))) unanswered++;
      } else {
        const o = await venue(this.d.call(), 'query_order', { symbol: u.symbol, client_order_id: u.client_order_id });
        if (o.kind === 'OK') this.orderIds.set(o.body.order_id, o.body.client_order_id);
        else if (!(o.kind === 'REJECTED' && o.code === -2013)) unanswered++;
      }
    }
    return unanswered;
  }

  /**
   * Cancels an entry of ours found working untracked (a restart): like every order request, the
   * cancel is committed as a CANCEL intent before it leaves. Null when the audit refused it (nothing sent).
   */
  async cancelStray(o: OrderReport): Promise<VenueOutcome<OrderReport> | null> {
    let intent: Intent;
    try {
      intent = await this.d.intents.create('CANCEL', o.symbol, o.side, 'close', {}, { target: o.client_order_id, why: 'stray entry' });
    } catch {
      return null;
    }
    this.d.churn.record(o.symbol, 'cancel');
    const out = await venue(this.d.call(), 'cancel_order', { symbol: o.symbol, client_order_id: o.client_order_id }, this.timeout);
    if (out.kind === 'OK') {
      this.d.intents.transition(intent, 'CONFIRMED', null, { status: out.body.status });
      this.onReport(out.body);
    } else if (out.kind === 'UNKNOWN') this.d.intents.transition(intent, 'SENT_UNKNOWN', 'INTENT_SENT_UNKNOWN', { why: out.reason });
    else this.d.intents.transition(intent, 'FAILED_TERMINAL', out.kind === 'THROTTLED' ? 'RATE_LIMIT' : null, { outcome: describe(out) });
    return out;
  }

  /** Registers an order list id seen at reconcile as ours (list clientOrderId prefix "vgl"). */
  knowList(orderListId: number): void {
    this.listIds.add(orderListId);
  }

  /** Reconcile: the venue shows the protection the slot holds standing. */
  protectionSeen(symbol: string): void {
    this.stepSlot(this.slot(symbol), { kind: 'PROTECTION_SEEN', now: this.d.now() });
  }

  /**
   * Reconcile: a protection of ours stands at the venue that no slot holds (placed and confirmed
   * before a restart). The lifecycle step decides whether it is adopted (only where the slot holds
   * none); false = not adopted (the slot already has one: the operator's to settle).
   */
  adoptProtection(
    symbol: string,
    p:
      | { readonly kind: 'OCO'; readonly list_client_order_id: string; readonly legs: readonly OrderReport[] }
      | { readonly kind: 'TRAILING'; readonly order: OrderReport },
  ): boolean {
    const s = this.slot(symbol);
    const now = this.d.now();
    const coid = p.kind === 'OCO' ? p.list_client_order_id : p.order.client_order_id;
    const intent: Intent = {
      id: `adopted:${coid}`,
      kind: 'PROTECT',
      symbol,
      side: 'SELL',
      client_order_id: coid,
      corr: {},
      state: 'CONFIRMED',
      created_ms: now,
      state_ms: now,
      unknown_since: null,
      not_found_answers: 0,
      last_query_ms: 0,
      detail: {},
    };
    let held: NonNullable<Slot['protection']>;
    let plan: LifecyclePlan | null = null;
    if (p.kind === 'OCO') {
      const stop = p.legs.find((o) => o.type.startsWith('STOP'));
      const tp = p.legs.find((o) => o.type === 'LIMIT_MAKER' || o.type.startsWith('TAKE'));
      held = {
        kind: 'OCO',
        intent,
        list_client_order_id: coid,
        leg_ids: p.legs.map((o) => o.client_order_id),
        qty: p.legs[0]?.orig_qty ?? '0',
        active: true,
        placed_ms: now,
      };
      plan = { stop_price: stop?.stop_price ?? '0', take_profit_price: tp?.price ?? null, trailing_delta_bps: null };
      for (const o of p.legs) this.knowOrder(o.order_id, o.client_order_id);
    } else {
      held = { kind: 'TRAILING', intent, client_order_id: coid, qty: p.order.orig_qty, active: true, placed_ms: now };
    }
    this.stepSlot(s, { kind: 'PROTECTION_ADOPTED', now, protection: p.kind, plan }, held);
    return s.protection === held;
  }

  /** Registers an order id seen at reconcile as ours (clientOrderId prefix "vg"). */
  knowOrder(orderId: number, coid: string): void {
    this.orderIds.set(orderId, coid);
  }

  /** A user-stream order event. */
  onUserEvent(ev: Extract<UserEvent, { kind: 'order' }>): void {
    const mine = isOwnClientOrderId(ev.client_order_id);
    if (!mine) return;
    const known = this.knownOrder(ev.symbol, ev.client_order_id);
    if (!known.ok) {
      // An order this bot cannot place on this symbol (no intent, no slot holds it, or the intent is
      // on another symbol): the stream's word is not booked, and no slot is made for it (a report
      // under a market the bot does not trade had made a position appear there). On a market of
      // ours, the account's trades are learned over REST instead, judged against what the bot owns.
      if (ev.exec_type === 'TRADE' && (this.slots.has(ev.symbol) || this.d.rules(ev.symbol) !== null)) this.pendingTrades.add(ev.symbol);
      return;
    }
    this.orderIds.set(ev.order_id, ev.client_order_id);
    // The order's state of record follows the stream too: an OCO leg filled or expired at the venue
    // otherwise stayed NEW in the audit's orders table and on the panel.
    this.d.event(
      'ORDER_UPDATED',
      {
        client_order_id: ev.client_order_id,
        symbol: ev.symbol,
        side: ev.side,
        type: ev.type,
        status: ev.status,
        price: ev.price,
        orig_qty: ev.orig_qty,
        executed_qty: ev.cum_qty,
        exchange_order_id: String(ev.order_id),
      },
      { corr: known.intent?.corr ?? {} },
    );
    const p = this.slots.get(ev.symbol)?.protection;
    if (p && protectionHolds(p, ev.client_order_id) && ev.status !== 'NEW') p.intent.last_query_ms = 0;
    // A leg of the held OCO that ended without filling (the other one started executing, or someone
    // cancelled it): the list no longer protects as placed, and whether a stop still stands is
    // known only once its legs are read. Until then the position counts as unprotected.
    if (p?.kind === 'OCO' && p.leg_ids.includes(ev.client_order_id) && LEG_ENDED_UNFILLED.has(ev.status)) this.legUnsettled(this.slot(ev.symbol));
    const e = this.slots.get(ev.symbol)?.entry;
    if (e && e.intent.client_order_id === ev.client_order_id && ev.status === 'PARTIALLY_FILLED' && e.status !== 'PARTIALLY_FILLED') {
      // Learned from the stream before any reply or query: the management pass cancels the rest.
      this.stepSlot(this.slot(ev.symbol), {
        kind: 'ENTRY_REPORT',
        coid: e.intent.client_order_id,
        status: ev.status,
        executed_qty: ev.cum_qty,
        ts_ms: ev.ts_ms,
        flat: false,
      });
    }
    if (ev.trade_id >= 0 && ev.exec_type === 'TRADE') {
      this.fill(
        {
          symbol: ev.symbol,
          side: ev.side,
          price: ev.last_price,
          qty: ev.last_qty,
          commission: ev.commission,
          commission_asset: ev.commission_asset ?? '',
          trade_id: ev.trade_id,
          ts_ms: ev.ts_ms,
        },
        known.intent,
        ev.client_order_id,
      );
    }
  }

  /**
   * Whether `coid` is an order of this bot on `symbol`: its intent (an OCO leg's is its list's), or
   * else the entry or protection the symbol's slot holds (a protection's intent may have been
   * forgotten long before its stop fills: final intents are kept 10 minutes).
   */
  private knownOrder(symbol: string, coid: string): { readonly ok: true; readonly intent: Intent | undefined } | { readonly ok: false } {
    const intent = this.intentOf(coid);
    if (intent) return intent.symbol === symbol ? { ok: true, intent } : { ok: false };
    const s = this.slots.get(symbol);
    const held = s?.entry?.intent.client_order_id === coid || (s?.protection ? protectionHolds(s.protection, coid) : false);
    return held ? { ok: true, intent: undefined } : { ok: false };
  }

  // --- MANAGE ----------------------------------------------------------------------------------

  private managing: Promise<unknown> | null = null;

  /**
   * Runs `fn` alone among management passes and reconciles. The timer, the entry cycle and
   * reconcile all touch the slots across awaits: two passes could both decide to protect the same
   * position, or a reconcile could judge a protection placed while it waited on REST as "gone".
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.managing) await this.managing.catch(() => undefined);
    const p = fn();
    this.managing = p;
    try {
      return await p;
    } finally {
      this.managing = null;
    }
  }

  /** The management path: runs every tick in every mode (one pass at a time). */
  async manage(): Promise<void> {
    await this.exclusive(() => this.managePass());
  }

  private async managePass(): Promise<void> {
    await this.resolveUnknown();
    if (this.unvaluedFees.length > 0) await this.valuePendingFees();
    if (this.lateWatch.size > 0) await this.askLate();
    for (const s of this.slots.values()) if (s.unprotected_since !== null && this.d.quote(s.symbol) === null) this.d.needQuote?.(s.symbol);
    for (const s of [...this.slots.values()]) {
      try {
        await this.manageSlot(s);
      } catch (e) {
        this.d.event('ALERT_RAISED', { source: 'engine', detail: `manage ${s.symbol}: ${(e as Error).message}` }, { reason: 'RECONCILE_FAILED' });
      }
    }
    const v = protectionVerdict(
      [...this.slots.values()].map((s) => ({
        symbol: s.symbol,
        unprotected_since: exposedSince(s, this.holdingOf(s.symbol) === 'DUST'),
        close_pending: s.close !== null,
        has_quote: this.d.quote(s.symbol) !== null,
      })),
      this.d.now(),
      this.d.cfg.unprotected_max_ms,
    );
    // Protection and exits are priced from the book: a position past its bound with no fresh quote
    // to price them cannot be managed until the market state is rebuilt.
    this.d.reason('MARKET_STATE_LOST', v.blind.length > 0, { symbols: [...v.blind], why: 'no fresh quote to price the protection of an unprotected position' });
    if (v.missing.length > 0)
      this.d.reason('PROTECTION_MISSING', true, {
        symbols: [...v.missing],
        entries_unknown: v.missing.filter((sym) => this.slots.get(sym)?.entry?.intent.state === 'SENT_UNKNOWN'),
      });
    else if (v.all_clear) this.d.reason('PROTECTION_MISSING', false, {});
  }

  /**
   * One slot's management pass: the pure lifecycle step (core/lifecycle.ts) decides, phase by
   * phase, from the slot's state and the facts read for that phase; this runner applies the state
   * it returns and carries out its commands at the venue (every order's intent committed first).
   */
  private async manageSlot(s: Slot): Promise<void> {
    const now = this.d.now();
    for (const phase of TICK_PHASES) {
      const commands = this.stepSlot(s, { kind: 'TICK', phase, facts: this.facts(s.symbol, now) });
      for (const c of commands) await this.run(s, c, phase);
    }
  }

  /** The configuration the lifecycle step reads: fixed for the trader's life, built once. */
  private readonly lifecycleCfg: LifecycleConfig;

  /** What the runner reads for one phase: the clock of the pass, the holding, the mode, the book. */
  private facts(symbol: string, now: number): LifecycleFacts {
    const rules = this.d.rules(symbol);
    const p = this.d.ledger.position(symbol);
    return {
      now,
      holding: this.holdingOf(symbol),
      halted: this.d.halted?.() ?? null,
      frozen: this.frozen.has(symbol),
      trades_pending: this.pendingTrades.has(symbol),
      quote: this.d.quote(symbol),
      avg_price: p.avg_price,
      rules,
      swap_allowed: this.d.swapAllowed?.() !== false,
    };
  }

  /** The slot as the pure lifecycle sees it. */
  private lifecycleOf(s: Slot): LifecycleState {
    const p = s.protection;
    return {
      entry: s.entry ? entryView(s.entry) : null,
      requote_pending: s.requote !== null,
      plan: s.plan,
      protection: p ? { kind: p.kind, active: p.active, intent: p.intent.state, last_query_ms: p.intent.last_query_ms } : null,
      close_pending: s.close !== null,
      resize: this.resize.has(s.symbol),
      protect_failures: s.protect_failures,
      failures_in_row: s.failures_in_row,
      retry_at_ms: s.retry_at_ms,
      unprotected_since: s.unprotected_since,
      swap_failed: s.swap_failed,
      swap_retry_at: s.swap_retry_at,
      swap_deferrals: s.swap_deferrals,
    };
  }

  /**
   * Steps the slot's lifecycle and writes the state it returns back into the slot. The lifecycle
   * state is a view: the intents it names stay the IntentBook's, so only the fields the step may
   * change are written (a protection or plan it dropped, timers, counters, the re-quote it took).
   */
  private stepSlot(s: Slot, input: LifecycleInput, adopt: Slot['protection'] = null): readonly LifecycleCommand[] {
    const stateIn = this.lifecycleOf(s);
    const out = step(stateIn, input, this.lifecycleCfg);
    this.d.recordStep?.(s.symbol, stateIn, input, out);
    const n = out.state;
    // A protection the step adopted (reconcile) takes the venue's ids the runner read for it.
    if (s.protection === null && n.protection !== null && adopt !== null) s.protection = adopt;
    if (s.plan === null && n.plan !== null) s.plan = n.plan;
    const before = s.entry;
    if (n.entry === null) s.entry = null;
    else if (before && n.entry.coid !== before.intent.client_order_id && before.successor?.intent.client_order_id === n.entry.coid) s.entry = before.successor;
    if (s.entry && n.entry && s.entry.intent.client_order_id === n.entry.coid) {
      s.entry.intent.last_query_ms = n.entry.last_query_ms;
      s.entry.status = n.entry.status;
      s.entry.filled_qty = n.entry.filled_qty;
    }
    if (s.protection && n.protection) {
      s.protection.intent.last_query_ms = n.protection.last_query_ms;
      s.protection.active = n.protection.active;
    }
    if (n.protection === null) s.protection = null;
    if (n.plan === null) s.plan = null;
    // A re-quote the step took stays on the slot for the command that carries it out (run()).
    const takes = out.commands.some((c) => c.kind === 'REQUOTE' || c.kind === 'DROP_REQUOTE');
    if (!n.requote_pending && !takes) s.requote = null;
    if (!n.resize) this.resize.delete(s.symbol);
    s.protect_failures = n.protect_failures;
    s.failures_in_row = n.failures_in_row;
    s.retry_at_ms = n.retry_at_ms;
    s.unprotected_since = n.unprotected_since;
    s.swap_failed = n.swap_failed;
    s.swap_retry_at = n.swap_retry_at;
    s.swap_deferrals = n.swap_deferrals;
    for (const c of out.commands) {
      if (c.kind === 'LEARN_FILLS') this.pendingTrades.add(s.symbol);
      // An entry cancelled at its TTL without a fill keeps its reviewed decision for the re-quote.
      if (c.kind === 'ENTRY_ENDED' && c.requote && before?.decision) s.requote = { decision: before.decision, left: before.requotes_left, corr: before.corr };
    }
    return out.commands;
  }

  /** Carries out one command of the lifecycle step. */
  private async run(s: Slot, c: LifecycleCommand, phase: TickPhase): Promise<void> {
    switch (c.kind) {
      case 'SYNC_TRADES': {
        const now = this.d.now();
        const since = (this.d.ledger.position(s.symbol).opened_ms ?? now) - 60_000;
        const diffs = await this.syncTrades(s.symbol, this.tradesStart(s.symbol, Math.min(since, now - 120_000)));
        if (diffs !== null) {
          for (const x of diffs)
            if (x.kind !== 'MISSED_FILLS')
              this.d.event(
                'RECONCILE_DIFF',
                { kind: x.kind, symbol: x.symbol, severity: x.severity, detail: x.detail },
                { reason: x.severity === 'BAD' ? 'PAUSE_NEEDS_MANUAL' : null },
              );
          this.pendingTrades.delete(s.symbol);
          this.tradesSince.delete(s.symbol);
        }
        return;
      }
      case 'QUERY_ENTRY': {
        const e = s.entry;
        if (!e) return;
        const q = await venue(this.d.call(), 'query_order', { symbol: s.symbol, client_order_id: e.intent.client_order_id });
        if (q.kind === 'OK') this.onReport(q.body, e.intent);
        return;
      }
      case 'CANCEL_ENTRY':
        return this.cancelEntry(s, c.why);
      case 'REPLACE_ENTRY':
        return this.replaceEntry(s);
      case 'REQUOTE':
      case 'DROP_REQUOTE': {
        const rq = s.requote;
        s.requote = null;
        if (!rq) return;
        if (c.kind === 'DROP_REQUOTE') {
          this.d.event('RISK_VERDICT_GIVEN', { symbol: s.symbol, ok: false, requote: true, blocks: [c.why], why: c.why }, { corr: rq.corr });
          return;
        }
        const terms = this.requoteTerms(s.symbol, rq.decision, rq.left, rq.corr);
        if (terms) await this.enter(rq.decision, rq.corr, undefined, terms);
        return;
      }
      case 'CHECK_PROTECTION':
        return this.checkProtection(s);
      case 'DROP_PROTECTION':
        return this.dropProtection(s, c.why);
      case 'DUST_CLEARED':
        return this.positionEvent(s.symbol);
      case 'PROTECT':
        return this.protect(s, c);
      case 'CLOSE_SAFELY':
        return this.closeSafely(s, c.why, c.critical);
      case 'SWAP_TO_TRAILING':
        return this.swapToTrailing(s);
      case 'LEARN_FILLS':
      case 'ENTRY_ENDED':
        return; // applied with the state (stepSlot)
      default: {
        const never: never = c;
        throw new Error(`lifecycle command ${JSON.stringify(never)} in ${phase}`);
      }
    }
  }

  /**
   * The guards of every re-quote, whichever way it is sent: allowed now (mode, churn), a fresh
   * quote, at the ask but never above the reviewed price. Null (the refusal audited) = no re-quote.
   */
  private requoteTerms(symbol: string, decision: Decision, left: number, corr: Partial<Correlation>): RequoteTerms | null {
    const refused = this.d.mayRequote?.(symbol) ?? null;
    const q = this.d.quote(symbol);
    const reviewed = decision.entry_price;
    if (refused || !q || reviewed === null) {
      this.d.event('RISK_VERDICT_GIVEN', { symbol, ok: false, requote: true, blocks: refused ? [refused] : [], why: refused ?? 'no fresh quote' }, { corr });
      return null;
    }
    const price = Dec.min(q.ask, reviewed).toFixed();
    const rules = this.d.rules(symbol);
    const p = rules ? quantizePrice(price, rules, 'down') : { ok: true as const, value: reviewed };
    if (!p.ok) return null;
    return { price: p.value, left: left - 1, n: decision.constraints.max_requotes - left + 1 };
  }

  /**
   * Re-quote in one venue call (cancelReplace, STOP_ON_FAILURE, cancel only while the order is
   * untouched: ONLY_NEW). Both intents, the CANCEL of the old entry and the new ENTRY, are committed
   * together before the call. Refused by the guards: a plain TTL cancel, no re-quote.
   */
  private async replaceEntry(s: Slot): Promise<void> {
    const e = s.entry!;
    const decision = e.decision!;
    const terms = this.requoteTerms(s.symbol, decision, e.requotes_left, e.corr);
    if (!terms) {
      e.requotes_left = 0;
      return this.cancelEntry(s, 'ttl');
    }
    let intents: Intent[];
    try {
      intents = await this.d.intents.createAll([
        {
          kind: 'CANCEL',
          symbol: s.symbol,
          side: e.intent.side,
          leg: 'close',
          corr: e.intent.corr,
          detail: { target: e.intent.client_order_id, why: 'ttl', via: 'cancel_replace' },
        },
        {
          kind: 'ENTRY',
          symbol: s.symbol,
          side: decision.side,
          leg: 'entry',
          corr: e.corr,
          detail: { ...entryDetail(decision, terms.price, terms.n), replaces: e.intent.client_order_id, via: 'cancel_replace' },
        },
      ]);
    } catch {
      return; // no audit, no operation: the next tick retries
    }
    const [cancel, placed] = intents as [Intent, Intent];
    // The old entry's re-quotes pass to its successor: whatever happens, it is not re-quoted again.
    e.requotes_left = 0;
    e.cancel = cancel;
    e.successor = this.working(placed, decision, terms.left, e.corr);
    s.last_action_ms = this.d.now();
    this.d.churn.record(s.symbol, 'cancel');
    this.d.churn.record(s.symbol, 'replace');
    const out = await venue(
      this.d.call(),
      'cancel_replace',
      {
        request: {
          symbol: s.symbol,
          cancel_client_order_id: e.intent.client_order_id,
          mode: 'STOP_ON_FAILURE',
          cancel_restrictions: 'ONLY_NEW',
          order: entryOrder(decision, placed.client_order_id, terms.price),
        },
      },
      this.timeout,
    );
    await this.onReplaceOutcome(s, e, out);
  }

  /**
   * Maps what the venue did with each half. An answer that contradicts STOP_ON_FAILURE (the new
   * order placed although the cancel failed) proves nothing we can rely on: unknown, like a lost reply.
   */
  private async onReplaceOutcome(s: Slot, e: WorkingEntry, out: VenueOutcome<CancelReplaceResult>): Promise<void> {
    const cancel = e.cancel!;
    const next = e.successor!;
    const v = replaceAfter(out);
    if (out.kind === 'OK' && v.then === 'REPORTS' && (out.body.result === 'REPLACED' || out.body.result === 'NEW_FAILED')) {
      this.d.intents.transition(cancel, v.cancel, null, { status: out.body.cancelled.status });
      if (out.body.result === 'REPLACED')
        this.d.intents.transition(next.intent, v.placed, null, { status: out.body.placed.status, order_id: out.body.placed.order_id });
      else this.d.intents.transition(next.intent, v.placed, null, { code: out.body.new_error.code, msg: out.body.new_error.msg });
      this.onReport(out.body.cancelled, e.intent);
      if (out.body.result === 'REPLACED') this.onReport(out.body.placed, next.intent);
      return;
    }
    if (out.kind === 'OK' && v.then === 'CANCEL_REFUSED' && out.body.result === 'CANCEL_FAILED') {
      // The old order filled or ended meanwhile (or was no longer untouched): nothing was placed.
      const err = out.body.cancel_error;
      this.d.intents.transition(cancel, v.cancel, null, { code: err.code, msg: err.msg });
      this.d.intents.transition(next.intent, v.placed, null, { not_attempted: true, cancel_code: err.code });
      e.cancel = null;
      return this.afterCancelRefused(s, e);
    }
    if (v.then === 'AWAIT_RESOLUTION') {
      const why = out.kind === 'UNKNOWN' ? out.reason : `cancel-replace answered ${out.kind === 'OK' ? out.body.result : out.kind} under STOP_ON_FAILURE`;
      for (const i of [cancel, next.intent]) this.d.intents.transition(i, 'SENT_UNKNOWN', 'INTENT_SENT_UNKNOWN', { why });
      this.d.reason('INTENT_SENT_UNKNOWN', true, { symbol: s.symbol, client_order_id: next.intent.client_order_id, cancels: e.intent.client_order_id, why });
      return;
    }
    // Refused as a whole, or never sent: nothing happened; the old entry is still due for its cancel.
    const detail = describe(out);
    for (const i of [cancel, next.intent]) this.d.intents.transition(i, 'FAILED_TERMINAL', out.kind === 'THROTTLED' ? 'RATE_LIMIT' : null, detail);
    e.cancel = null;
    e.successor = null;
  }

  private async cancelEntry(s: Slot, why: CancelWhy): Promise<void> {
    const e = s.entry!;
    let intent: Intent;
    try {
      intent = await this.d.intents.create('CANCEL', s.symbol, e.intent.side, 'close', e.intent.corr, { target: e.intent.client_order_id, why });
    } catch {
      return; // no audit, no operation: the next tick retries
    }
    e.cancel = intent;
    this.d.churn.record(s.symbol, 'cancel');
    const out = await venue(this.d.call(), 'cancel_order', { symbol: s.symbol, client_order_id: e.intent.client_order_id }, this.timeout);
    if (out.kind === 'OK') {
      this.d.intents.transition(intent, 'CONFIRMED', null, { status: out.body.status });
      this.onReport(out.body, e.intent);
    } else if (out.kind === 'REJECTED') {
      this.d.intents.transition(intent, 'FAILED_TERMINAL', null, { code: out.code, msg: out.msg });
      e.cancel = null;
      await this.afterCancelRefused(s, e);
    } else if (out.kind === 'UNKNOWN') {
      this.d.intents.transition(intent, 'SENT_UNKNOWN', 'INTENT_SENT_UNKNOWN', { why: out.reason });
    } else {
      this.d.intents.transition(intent, 'FAILED_TERMINAL', null, { kind: out.kind });
      e.cancel = null;
    }
  }

  /** -2011: the entry is no longer open (filled or ended): ask what happened to it. */
  private async afterCancelRefused(s: Slot, e: WorkingEntry): Promise<void> {
    const q = await venue(this.d.call(), 'query_order', { symbol: s.symbol, client_order_id: e.intent.client_order_id });
    if (q.kind === 'OK') this.onReport(q.body, e.intent);
    else if (q.kind === 'REJECTED' && q.code === -2013 && s.entry === e) {
      // Neither open nor known to the venue (a remembered entry past its retention): nothing to manage.
      s.entry = null;
      this.d.event(
        'ALERT_RAISED',
        { source: 'engine', detail: `${s.symbol}: entry ${e.intent.client_order_id} unknown to the venue; no longer tracked` },
        { corr: e.intent.corr },
      );
    }
  }

  /** Protects the slot now, as the lifecycle prices it (an OCO, or an exit when none can rest). */
  private async protectNow(s: Slot): Promise<void> {
    const c = protectCommand(s.plan, { quote: this.d.quote(s.symbol), rules: this.d.rules(s.symbol) }, this.lifecycleCfg);
    if (c !== null) await this.run(s, c, 'POSITION');
  }

  /** Places the OCO the lifecycle priced (take-profit above, stop below), sized from the available balance. */
  private async protect(s: Slot, c: Extract<LifecycleCommand, { kind: 'PROTECT' }>): Promise<void> {
    const rules = this.d.rules(s.symbol);
    if (!rules) return;
    const qty = await this.protectableQty(s.symbol, rules);
    if (qty === null) return void this.backoff(s);
    const plan = { stop_price: c.stop_price, take_profit_price: c.take_profit_price };
    const limit = { value: c.stop_limit_price };
    this.d.crash?.('after_fill_before_protect', { symbol: s.symbol, qty, position: this.d.ledger.position(s.symbol).qty });
    let intent: Intent;
    try {
      intent = await this.d.intents.create(
        'PROTECT',
        s.symbol,
        'SELL',
        'list',
        {},
        { quantity: qty, stop_price: plan.stop_price, stop_limit_price: limit.value, take_profit_price: plan.take_profit_price },
      );
    } catch {
      return;
    }
    const oco: NewOco = {
      symbol: s.symbol,
      side: 'SELL',
      quantity: qty,
      list_client_order_id: intent.client_order_id,
      above: { type: 'LIMIT_MAKER', client_order_id: listLegId(intent.client_order_id, 'take_profit'), price: plan.take_profit_price },
      below: {
        type: 'STOP_LOSS_LIMIT',
        client_order_id: listLegId(intent.client_order_id, 'stop'),
        price: limit.value,
        stop_price: plan.stop_price,
        time_in_force: 'GTC',
      },
    };
    s.protection = {
      kind: 'OCO',
      intent,
      list_client_order_id: intent.client_order_id,
      leg_ids: [oco.above.client_order_id, oco.below.client_order_id],
      qty,
      active: false,
      placed_ms: this.d.now(),
    };
    this.d.churn.record(s.symbol, 'new');
    const out = await venue(this.d.call(), 'place_oco', { oco }, this.timeout);
    this.onListOutcome(s, intent, out);
  }

  private onListOutcome(s: Slot, intent: Intent, out: VenueOutcome<OrderListReport>): void {
    switch (out.kind) {
      case 'OK':
        this.d.intents.transition(intent, 'CONFIRMED', null, { order_list_id: out.body.order_list_id, list_status: out.body.list_order_status });
        this.onListConfirmed(s, out.body);
        return;
      case 'UNKNOWN':
        this.d.intents.transition(intent, 'SENT_UNKNOWN', 'INTENT_SENT_UNKNOWN', { why: out.reason });
        this.d.reason('INTENT_SENT_UNKNOWN', true, { symbol: s.symbol, client_order_id: intent.client_order_id, why: out.reason });
        return;
      default:
        // The whole outcome (a NOT_SENT's cause and detail too): a refused protection must say why.
        this.d.intents.transition(intent, 'FAILED_TERMINAL', null, out.kind === 'REJECTED' ? { code: out.code, msg: out.msg } : describe(out));
        this.onTerminal(intent, out.kind === 'REJECTED' ? `${out.code} ${out.msg}` : `${out.kind} ${JSON.stringify(describe(out))}`);
    }
  }

  private onListConfirmed(s: Slot, list: OrderListReport): void {
    this.listIds.add(list.order_list_id);
    for (const o of list.orders) this.orderIds.set(o.order_id, o.client_order_id);
    for (const r of list.reports) this.onReport(r);
    if (s.protection?.kind !== 'OCO' || s.protection.list_client_order_id !== list.list_client_order_id) return;
    // Done at once, every leg over: nothing protects. A leg still working goes on as placed
    // protection, and the next check (onListDone) frees its coins before anything new is placed.
    if ((list.list_order_status === 'ALL_DONE' || list.list_status_type === 'ALL_DONE') && !list.reports.some((r) => WORKING_STATUSES.has(r.status))) {
      s.protection = null;
      this.pendingTrades.add(s.symbol);
      return;
    }
    const unprotected = s.unprotected_since === null ? 0 : this.d.now() - s.unprotected_since;
    this.stepSlot(s, { kind: 'PROTECTION_CONFIRMED', now: this.d.now() });
    this.d.event(
      'PROTECTION_PLACED',
      {
        symbol: s.symbol,
        kind: 'OCO',
        list_client_order_id: list.list_client_order_id,
        order_list_id: list.order_list_id,
        qty: s.protection.qty,
        stop_price: s.plan?.stop_price ?? null,
        take_profit_price: s.plan?.take_profit_price ?? null,
        unprotected_ms: unprotected,
      },
      { corr: s.protection.intent.corr },
    );
    this.positionEvent(s.symbol);
    this.d.crash?.('protection_placed', { symbol: s.symbol, list_client_order_id: list.list_client_order_id });
  }

  private backoff(s: Slot): void {
    this.stepSlot(s, { kind: 'ATTEMPT_FAILED', now: this.d.now() });
  }

  /** Quantity to protect: the position net of commissions, capped by the free balance, on the lot grid. */
  private async protectableQty(symbol: string, rules: SymbolRules): Promise<string | null> {
    const pos = new Dec(this.d.ledger.position(symbol).qty);
    const acct = await venue(this.d.call(), 'account', {});
    if (acct.kind !== 'OK') return null;
    const free = new Dec(acct.body.balances.find((b) => b.asset === rules.baseAsset)?.free ?? '0');
    const q = quantizeQty(Dec.min(pos, free).toFixed(), rules);
    if (!q.ok) {
      this.d.event(
        'ALERT_RAISED',
        { source: 'engine', detail: `${symbol}: cannot size protection: ${q.reason}`, position: pos.toFixed(), free: free.toFixed() },
        { reason: 'PROTECTION_MISSING' },
      );
      return null;
    }
    return q.value;
  }

  /** Is the protection still at the venue? When it ended, learn the fills and free the slot. */
  private async checkProtection(s: Slot): Promise<void> {
    const p = s.protection!;
    if (p.kind === 'OCO') {
      const out = await venue(this.d.call(), 'query_order_list', { list_client_order_id: p.list_client_order_id });
      if (out.kind === 'OK' && (out.body.list_order_status === 'ALL_DONE' || out.body.list_status_type === 'ALL_DONE'))
        await this.settleEndedList(s, p, 'list ALL_DONE');
    } else {
      const out = await venue(this.d.call(), 'query_order', { symbol: s.symbol, client_order_id: p.client_order_id });
      if (out.kind === 'OK') {
        this.onReport(out.body, p.intent);
        if (out.body.status === 'CANCELED') this.cancelledOutside(s, p.client_order_id, p.intent.corr);
        if (!WORKING_STATUSES.has(out.body.status)) this.onProtectionEnded(s, `trailing stop ${out.body.status}`);
      }
    }
  }

  /**
   * An OCO list is ALL_DONE as soon as one leg starts executing: the other leg expires, but the
   * executing one may still be working (a take-profit partly filled, a stop-limit triggered with
   * the price through its limit), holding the position's coins. Taking "list done" for "protection
   * gone" protected or sold the same coins again, sized from a free balance that held only the
   * account's other coins. So each leg is read: one still working is cancelled first (its coins
   * freed, its fills learned), and the protection ends only when no leg can sell any more. Any leg
   * unread, or a cancel not confirmed, keeps the protection as it is until a later pass; a leg
   * still working there means the stop is gone (at most a take-profit stands), so the position is
   * marked unprotected and PROTECTION_MISSING pauses past its bound. Every path that sees an OCO
   * end comes here: the check, a refused cancel (resize, swap), reconcile.
   */
  async settleEndedList(s: Slot, p: Extract<NonNullable<Slot['protection']>, { kind: 'OCO' }>, why: string): Promise<void> {
    if (s.protection !== p) return;
    const working: string[] = [];
    const statuses: string[] = [];
    for (const leg of p.leg_ids) {
      const q = await venue(this.d.call(), 'query_order', { symbol: s.symbol, client_order_id: leg });
      if (q.kind !== 'OK') return this.legUnsettled(s);
      this.onReport(q.body, p.intent);
      statuses.push(q.body.status);
      if (WORKING_STATUSES.has(q.body.status)) working.push(leg);
    }
    // Every leg cancelled, and not by the bot (its own cancels drop the protection before any check):
    // someone else took the stop away. Re-protected at once, but the operator hears of it.
    if (statuses.length > 0 && statuses.every((st) => st === 'CANCELED')) this.cancelledOutside(s, p.list_client_order_id, p.intent.corr);
    for (const leg of working) {
      let intent: Intent;
      try {
        intent = await this.d.intents.create('CANCEL', s.symbol, 'SELL', 'close', p.intent.corr, {
          target: leg,
          why: 'list ALL_DONE with this leg still working',
        });
      } catch {
        return this.legUnsettled(s);
      }
      this.d.churn.record(s.symbol, 'cancel');
      const out = await venue(this.d.call(), 'cancel_order', { symbol: s.symbol, client_order_id: leg }, this.timeout);
      if (out.kind === 'OK') {
        this.d.intents.transition(intent, 'CONFIRMED', null, { why: 'list ALL_DONE with this leg still working' });
        this.onReport(out.body, p.intent);
        continue;
      }
      this.d.intents.transition(intent, out.kind === 'UNKNOWN' ? 'SENT_UNKNOWN' : 'FAILED_TERMINAL', out.kind === 'UNKNOWN' ? 'INTENT_SENT_UNKNOWN' : null, {
        outcome: describe(out),
      });
      // Refused (it filled or ended meanwhile) or unknown: read again on a later pass.
      return this.legUnsettled(s);
    }
    this.pendingTrades.add(s.symbol);
    this.onProtectionEnded(s, working.length === 0 ? why : `${why}; working leg ${working.join(', ')} cancelled`);
  }

  /** A list is over but one of its legs may still sell: no stop stands, the unprotected clock runs. */
  private legUnsettled(s: Slot): void {
    s.unprotected_since ??= this.d.now();
    // Checked again at the next pass, not after the usual interval.
    if (s.protection) s.protection.intent.last_query_ms = 0;
  }

  /** Reconcile saw the held list over with a leg still open. */
  legWorking(symbol: string): void {
    this.legUnsettled(this.slot(symbol));
  }

  private cancelledOutside(s: Slot, id: string, corr: Partial<Correlation>): void {
    this.d.event(
      'ALERT_RAISED',
      {
        source: 'engine',
        symbol: s.symbol,
        detail: `${s.symbol}: protection ${id} was cancelled outside the bot; the position is protected again (or closed) at once`,
      },
      { reason: 'PROTECTION_MISSING', corr },
    );
  }

  onProtectionEnded(s: Slot, why: string): void {
    if (!s.protection) return;
    this.d.event('PROTECTION_SWAPPED', { symbol: s.symbol, ended: s.protection.kind, why }, { corr: s.protection.intent.corr });
    this.stepSlot(s, { kind: 'PROTECTION_ENDED', now: this.d.now() });
    s.last_action_ms = this.d.now();
  }

  /**
   * Cancels standing protection that no longer fits the position (larger than what the bot owns
   * after an adopted change): the next pass protects what is there. Not cancelled or unknown: the
   * old protection may still stand, so nothing new is placed until it is settled.
   */
  private async dropProtection(s: Slot, why: string): Promise<void> {
    const p = s.protection;
    if (!p) return;
    const target = p.kind === 'OCO' ? p.list_client_order_id : p.client_order_id;
    let intent: Intent;
    try {
      intent = await this.d.intents.create('CANCEL', s.symbol, 'SELL', 'close', p.intent.corr, { target, why });
    } catch {
      return;
    }
    this.d.churn.record(s.symbol, 'cancel');
    const out =
      p.kind === 'OCO'
        ? await venue(this.d.call(), 'cancel_order_list', { symbol: s.symbol, list_client_order_id: target }, this.timeout)
        : await venue(this.d.call(), 'cancel_order', { symbol: s.symbol, client_order_id: target }, this.timeout);
    if (out.kind === 'OK') {
      this.d.intents.transition(intent, 'CONFIRMED', null, { why });
      for (const r of 'reports' in out.body ? out.body.reports : [out.body]) this.onReport(r);
      this.resize.delete(s.symbol);
      s.protection = null;
      s.unprotected_since ??= this.d.now();
      this.pendingTrades.add(s.symbol);
      return;
    }
    this.d.intents.transition(intent, out.kind === 'UNKNOWN' ? 'SENT_UNKNOWN' : 'FAILED_TERMINAL', out.kind === 'UNKNOWN' ? 'INTENT_SENT_UNKNOWN' : null, {
      outcome: describe(out),
    });
    if (out.kind === 'REJECTED') {
      this.resize.delete(s.symbol);
      if (p.kind === 'OCO') await this.settleEndedList(s, p, `not open at cancel (${out.code})`);
      else this.onProtectionEnded(s, `not open at cancel (${out.code})`);
    }
  }

  /**
   * CLOSE_SAFELY: sell the position at market. A failure keeps PROTECTION_MISSING (PAUSE).
   * `critical`: the exit answers an inconsistency (protection that cannot be placed, no plan), not
   * a price already through the stop or the take-profit: CLOSE_SAFELY is raised with the exit plan
   * and stays until the operator has looked.
   */
  async closeSafely(s: Slot, why: string, critical = false): Promise<void> {
    const rules = this.d.rules(s.symbol);
    if (!rules || s.close) return;
    const pos = new Dec(this.d.ledger.position(s.symbol).qty);
    const acct = await venue(this.d.call(), 'account', {});
    if (acct.kind !== 'OK') return void this.backoff(s);
    const free = new Dec(acct.body.balances.find((b) => b.asset === rules.baseAsset)?.free ?? '0');
    const q = quantizeQty(Dec.min(pos, free).toFixed(), rules, { market: true });
    if (!q.ok) {
      this.d.reason('PROTECTION_MISSING', true, { symbol: s.symbol, why: `cannot close: ${q.reason}` });
      return;
    }
    let intent: Intent;
    try {
      intent = await this.d.intents.create('EXIT', s.symbol, 'SELL', 'close', {}, { why, quantity: q.value });
    } catch {
      return;
    }
    s.close = intent;
    this.d.event('STAGE_CHANGED', { from: null, to: 'CLOSE_SAFELY', symbol: s.symbol, why }, { corr: intent.corr });
    if (critical)
      this.d.reason('CLOSE_SAFELY', true, {
        symbol: s.symbol,
        why,
        plan: { side: 'SELL', type: 'MARKET', quantity: q.value, position: pos.toFixed(), free: free.toFixed(), client_order_id: intent.client_order_id },
      });
    this.d.churn.record(s.symbol, 'new');
    const out = await venue(
      this.d.call(),
      'place_order',
      { order: { symbol: s.symbol, side: 'SELL', type: 'MARKET', client_order_id: intent.client_order_id, quantity: q.value } },
      this.timeout,
    );
    this.onOrderOutcome(intent, out);
    if (out.kind === 'OK' && !['NEW', 'PARTIALLY_FILLED'].includes(out.body.status)) {
      s.close = null;
      s.protect_failures = 0;
      // Only a whole fill ends the unprotected stretch: an exit that expired part-filled on a thin
      // book leaves the rest as unprotected as it was, and the next pass closes it again.
      if (out.body.status === 'FILLED') s.unprotected_since = null;
      s.last_action_ms = this.d.now();
      this.pendingTrades.add(s.symbol);
    }
  }

  /**
   * OCO -> trailing stop without a protection gap we did not measure: validate the new order at
   * the venue first (order/test), only then cancel the list, confirm the cancel, place the trailing
   * stop and verify it exists. Validation failure: the OCO stays, PROTECTION_SWAP_FAILED (PAUSE).
   * Placement failure after the cancel: re-protect with a fresh OCO at once, and PAUSE. An unknown
   * placement is settled by query first (CONFIRMED: swapped; NOT_FOUND: that failure).
   */
  async swapToTrailing(s: Slot): Promise<void> {
    const p = s.protection;
    const rules = this.d.rules(s.symbol);
    if (!p || p.kind !== 'OCO' || !rules || !s.plan?.trailing_delta_bps) return;
    const delta = s.plan.trailing_delta_bps;
    const test = await venue(this.d.call(), 'test_order', {
      order: { symbol: s.symbol, side: 'SELL', type: 'STOP_LOSS', client_order_id: 'vgtest', quantity: p.qty, trailing_delta: delta },
    });
    // The next move is the pure verdict's (core/swap.ts): order/test places nothing, so only the
    // venue's verdict on the order fails the swap; throttled, not sent or unanswered: try later.
    const afterValidate = swapAfterValidate(test);
    if (afterValidate === 'DEFER') return this.deferSwap(s, 'validate', describe(test));
    if (afterValidate === 'FAIL_KEEP_OCO') {
      s.swap_failed = true;
      this.d.reason('PROTECTION_SWAP_FAILED', true, { symbol: s.symbol, step: 'validate', outcome: describe(test), kept: p.list_client_order_id });
      this.d.event(
        'PROTECTION_SWAPPED',
        { symbol: s.symbol, ok: false, step: 'validate', outcome: describe(test), kept: p.list_client_order_id, order_state: 'OCO active' },
        { reason: 'PROTECTION_SWAP_FAILED', corr: p.intent.corr },
      );
      return;
    }
    let cancelIntent: Intent;
    try {
      cancelIntent = await this.d.intents.create('CANCEL', s.symbol, 'SELL', 'close', p.intent.corr, {
        target: p.list_client_order_id,
        why: 'swap to trailing',
      });
    } catch {
      return;
    }
    const t0 = this.d.now();
    this.d.churn.record(s.symbol, 'replace');
    const cancel = await venue(this.d.call(), 'cancel_order_list', { symbol: s.symbol, list_client_order_id: p.list_client_order_id }, this.timeout);
    if (cancel.kind !== 'OK') return this.onSwapCancelFailed(s, p, cancelIntent, cancel);
    this.d.intents.transition(cancelIntent, 'CONFIRMED', null, { list_status: cancel.body.list_order_status });
    for (const r of cancel.body.reports) this.onReport(r);
    const afterCancel = swapAfterCancel(
      cancel,
      cancel.body.reports.some((r) => !new Dec(r.executed_qty).isZero()),
    );
    s.protection = null;
    s.unprotected_since = t0;
    this.d.crash?.('swap_after_cancel', { symbol: s.symbol, cancelled: p.list_client_order_id });
    if (afterCancel === 'LEARN_FILLS') {
      this.pendingTrades.add(s.symbol);
      return;
    }
    let intent: Intent;
    try {
      intent = await this.d.intents.create(
        'PROTECT',
        s.symbol,
        'SELL',
        'trailing',
        {},
        { quantity: p.qty, trailing_delta_bps: delta, replaces: p.list_client_order_id },
      );
    } catch {
      return; // unprotected: the next tick re-protects (PROTECTION_MISSING after unprotected_max_ms)
    }
    s.protection = { kind: 'TRAILING', intent, client_order_id: intent.client_order_id, qty: p.qty, active: false, placed_ms: this.d.now() };
    const placed = await venue(
      this.d.call(),
      'place_order',
      { order: { symbol: s.symbol, side: 'SELL', type: 'STOP_LOSS', client_order_id: intent.client_order_id, quantity: p.qty, trailing_delta: delta } },
      this.timeout,
    );
    this.onOrderOutcome(intent, placed);
    const verify = placed.kind === 'OK' ? await venue(this.d.call(), 'query_order', { symbol: s.symbol, client_order_id: intent.client_order_id }) : null;
    // The venue's answer to the query is the truth when there is one; a query that finds nothing
    // yet (Binance's GET /order can lag a just-acknowledged order) or does not answer leaves the
    // placement's own acknowledgement. Taking "not found yet" for "absent" placed a second
    // protection beside a standing trailing stop and paused (found in the soak).
    const status = verify?.kind === 'OK' ? verify.body.status : placed.kind === 'OK' ? placed.body.status : null;
    const afterPlace = swapAfterPlace(placed, status);
    const gap = this.d.now() - t0;
    if (afterPlace === 'SWAPPED' && s.protection?.kind === 'TRAILING') {
      s.protection.active = true;
      s.unprotected_since = null;
      this.d.event(
        'PROTECTION_SWAPPED',
        { symbol: s.symbol, ok: true, from: 'OCO', to: 'TRAILING', trailing_delta_bps: delta, unprotected_ms: gap, client_order_id: intent.client_order_id },
        { corr: intent.corr },
      );
      this.positionEvent(s.symbol);
      return;
    }
    // No second swap on this position, whatever follows.
    s.swap_failed = true;
    if (afterPlace === 'AWAIT_RESOLUTION') {
      // Not a failure yet: the trailing stop may stand. Its clientOrderId settles it
      // (resolveUnknown): CONFIRMED completes the swap, NOT_FOUND is the failed placement. Until
      // then the symbol is blocked (INTENT_SENT_UNKNOWN) and still counted unprotected from the
      // cancel (PROTECTION_MISSING, PAUSE, past unprotected_max_ms). A fresh OCO now could sell the
      // same quantity twice if the trailing stop does exist.
      return;
    }
    this.swapFailed(s, intent, describe(placed), gap);
    s.protection = null;
    await this.protectNow(s); // re-protect at once with a fresh OCO (CLOSE_SAFELY when it cannot)
  }

  /**
   * A swap step that changed nothing at the venue: the OCO stands and protects the position, so this
   * is no failed swap (no PAUSE, no operator); the swap is tried again after a back-off (5 s doubling
   * to 5 min). Found in the soak: every one of its operator restarts was a swap whose validation or
   * cancel met a transient fault (a 429, a 503, a timeout) and paused for good.
   */
  private deferSwap(s: Slot, step: 'validate' | 'cancel', outcome: JsonObject): void {
    const p = s.protection;
    const now = this.d.now();
    this.stepSlot(s, { kind: 'SWAP_DEFERRED', now });
    const wait = s.swap_retry_at - now;
    this.d.event(
      'PROTECTION_SWAPPED',
      {
        symbol: s.symbol,
        ok: false,
        deferred: true,
        step,
        outcome,
        retry_in_ms: wait,
        kept: p?.kind === 'OCO' ? p.list_client_order_id : null,
        order_state: 'OCO active',
      },
      { corr: p?.intent.corr ?? {} },
    );
  }

  /**
   * The swap's cancel of the OCO did not come back OK. Refused because the list is no longer open
   * (-2011: a leg filled meanwhile): the protection ended, learn the fills. Not sent: nothing
   * changed, defer. Unknown: the list is asked at once; still executing means the cancel did not
   * take effect (defer), done means the protection ended (fills learned, a fresh OCO for whatever is
   * left). Anything else, or no answer: the old protection may or may not stand, PAUSE (rule 3).
   */
  private async onSwapCancelFailed(
    s: Slot,
    p: Extract<NonNullable<Slot['protection']>, { kind: 'OCO' }>,
    cancelIntent: Intent,
    cancel: Exclude<VenueOutcome<OrderListReport>, { kind: 'OK' }>,
  ): Promise<void> {
    const outcome = describe(cancel);
    const after = swapAfterCancel(cancel, false);
    if (after === 'PROTECTION_ENDED') {
      this.d.intents.transition(cancelIntent, 'FAILED_TERMINAL', null, { outcome });
      return this.settleEndedList(s, p, 'list no longer open at cancel');
    }
    if (after === 'DEFER') {
      this.d.intents.transition(cancelIntent, 'FAILED_TERMINAL', cancel.kind === 'THROTTLED' ? 'RATE_LIMIT' : null, { outcome, not_sent: true });
      return this.deferSwap(s, 'cancel', outcome);
    }
    if (after === 'QUERY_LIST') {
      this.d.intents.transition(cancelIntent, 'SENT_UNKNOWN', 'INTENT_SENT_UNKNOWN', { outcome });
      const q = await venue(this.d.call(), 'query_order_list', { list_client_order_id: p.list_client_order_id });
      const done = q.kind === 'OK' && (q.body.list_order_status === 'ALL_DONE' || q.body.list_status_type === 'ALL_DONE');
      const afterQuery = swapAfterListQuery(q, done);
      if (q.kind === 'OK')
        this.d.intents.transition(cancelIntent, done ? 'CONFIRMED' : 'NOT_FOUND', null, {
          resolved_by: 'query_order_list',
          list_status: q.body.list_order_status,
        });
      if (afterQuery === 'PROTECTION_ENDED') return this.settleEndedList(s, p, 'list done after an unknown swap cancel');
      if (afterQuery === 'DEFER') return this.deferSwap(s, 'cancel', outcome);
    } else {
      this.d.intents.transition(cancelIntent, 'FAILED_TERMINAL', null, { outcome });
    }
    s.swap_failed = true;
    this.d.reason('PROTECTION_SWAP_FAILED', true, { symbol: s.symbol, step: 'cancel', outcome, kept: p.list_client_order_id });
    this.d.event(
      'PROTECTION_SWAPPED',
      { symbol: s.symbol, ok: false, step: 'cancel', outcome, kept: p.list_client_order_id, order_state: 'unknown: list not confirmed' },
      { reason: 'PROTECTION_SWAP_FAILED', corr: p.intent.corr },
    );
  }

  /** A trailing stop that is not there after the OCO was cancelled: PAUSE for the operator (incident rule 3). */
  private swapFailed(s: Slot, intent: Intent, outcome: JsonObject, gap: number): void {
    this.d.reason('PROTECTION_SWAP_FAILED', true, { symbol: s.symbol, step: 'place', outcome, unprotected_ms: gap });
    this.d.event(
      'PROTECTION_SWAPPED',
      { symbol: s.symbol, ok: false, step: 'place', outcome, unprotected_ms: gap },
      { reason: 'PROTECTION_SWAP_FAILED', corr: intent.corr },
    );
  }

  /** A swap's trailing stop whose placement was unknown, now settled by query. */
  private onSwapResolved(s: Slot, i: Intent, exists: boolean, status: string): void {
    const gap = this.d.now() - (s.unprotected_since ?? i.created_ms);
    if (exists) {
      this.d.event(
        'PROTECTION_SWAPPED',
        {
          symbol: s.symbol,
          ok: true,
          from: 'OCO',
          to: 'TRAILING',
          trailing_delta_bps: i.detail['trailing_delta_bps'] ?? null,
          unprotected_ms: gap,
          client_order_id: i.client_order_id,
          resolved_by: 'query_order',
        },
        { corr: i.corr },
      );
      return;
    }
    this.swapFailed(s, i, { resolved_by: 'query_order', status }, gap);
    if (status === 'NOT_FOUND') s.retry_at_ms = 0; // re-protect at once, not after a back-off
  }

  // --- unknown outcomes -----------------------------------------------------------------------

  /** SENT_UNKNOWN is resolved only by asking REST for the clientOrderId; NOT_FOUND only after repeated answers over time. */
  async resolveUnknown(): Promise<void> {
    const now = this.d.now();
    for (const i of this.d.intents.unresolved()) {
      if (i.state !== 'SENT_UNKNOWN') continue;
      if (now - i.last_query_ms < this.d.cfg.intent_query_interval_ms) continue;
      i.last_query_ms = now;
      const s = this.slot(i.symbol);
      if (i.kind === 'PROTECT' && s.protection?.kind === 'OCO' && s.protection.intent === i) {
        const out = await venue(this.d.call(), 'query_order_list', { list_client_order_id: i.client_order_id });
        const r = resolveAfterQuery(out, { intent: 'ORDER', target: 'LIST' });
        if (out.kind === 'OK' && r === 'CONFIRMED') {
          this.d.intents.transition(i, 'CONFIRMED', null, { resolved_by: 'query_order_list' });
          this.onListConfirmed(s, out.body);
        } else if (r === 'NOT_FOUND_ANSWER') this.notFoundAnswer(i, now);
        continue;
      }
      const target = i.kind === 'CANCEL' ? String(i.detail['target'] ?? '') : i.client_order_id;
      if (i.kind === 'CANCEL' && orderRole(target) === 'list') {
        // A cancel of an order list is confirmed when the list is done, whoever ended it.
        const l = await venue(this.d.call(), 'query_order_list', { list_client_order_id: target });
        const done = l.kind === 'OK' && (l.body.list_order_status === 'ALL_DONE' || l.body.list_status_type === 'ALL_DONE');
        const r = resolveAfterQuery(l, { intent: 'CANCEL', target: 'LIST', list_done: done });
        if (l.kind === 'OK' && (r === 'CONFIRMED' || r === 'NOT_FOUND'))
          this.d.intents.transition(i, r, null, { resolved_by: 'query_order_list', list_status: l.body.list_order_status });
        else if (r === 'NOT_FOUND_ANSWER') this.notFoundAnswer(i, now);
        continue;
      }
      const out = await venue(this.d.call(), 'query_order', { symbol: i.symbol, client_order_id: target });
      const r = resolveAfterQuery(out, {
        intent: i.kind === 'CANCEL' ? 'CANCEL' : 'ORDER',
        target: 'ORDER',
        ...(out.kind === 'OK' ? { status: out.body.status } : {}),
      });
      if (out.kind === 'OK' && (r === 'CONFIRMED' || r === 'NOT_FOUND')) {
        if (i.kind === 'CANCEL') {
          // A cancel is confirmed when the target is no longer open, whoever ended it.
          // A target still open means the cancel did not take effect: NOT_FOUND, and the TTL path
          // may cancel again (a cancel is safe to repeat; an order is not).
          this.d.intents.transition(i, r, null, { resolved_by: 'query_order', target_status: out.body.status });
          this.onReport(out.body);
          if (s.entry?.cancel === i) s.entry.cancel = null;
        } else {
          this.d.intents.transition(i, 'CONFIRMED', null, { resolved_by: 'query_order', status: out.body.status });
          if (i.kind === 'ENTRY' && s.entry === null && ['NEW', 'PARTIALLY_FILLED'].includes(out.body.status)) this.adoptLateEntry(s, i);
          this.onReport(out.body, i);
          if (s.protection?.kind === 'TRAILING' && s.protection.intent === i && ['NEW', 'PARTIALLY_FILLED'].includes(out.body.status)) {
            if (isSwap(i)) this.onSwapResolved(s, i, true, out.body.status);
            s.protection.active = true;
            s.unprotected_since = null;
            this.positionEvent(s.symbol);
          } else if (s.protection?.kind === 'TRAILING' && s.protection.intent === i && isSwap(i)) {
            // Placed but no longer standing: triggered (FILLED, the position is closing), or ended
            // otherwise (the next pass re-protects with an OCO).
            this.onSwapResolved(s, i, out.body.status === 'FILLED', out.body.status);
          }
          if (s.close === i && !['NEW', 'PARTIALLY_FILLED'].includes(out.body.status)) s.close = null;
        }
      } else if (r === 'NOT_FOUND_ANSWER') {
        this.notFoundAnswer(i, now);
        if ((i.state as IntentState) === 'NOT_FOUND' && isSwap(i)) this.onSwapResolved(s, i, false, 'NOT_FOUND');
      }
    }
    if (!this.d.intents.unresolved().some((i) => i.state === 'SENT_UNKNOWN')) this.d.reason('INTENT_SENT_UNKNOWN', false, {});
  }

  /**
   * An entry order found working that the slot does not hold: a cancelReplace's new order the venue
   * placed although its cancel half failed (against STOP_ON_FAILURE). Never left working blind: it
   * takes the slot past its deadline, so the management pass cancels it at once.
   */
  private adoptLateEntry(s: Slot, i: Intent): void {
    s.entry = {
      intent: i,
      order_id: null,
      deadline_ms: this.d.now(),
      status: 'UNKNOWN',
      cancel: null,
      filled_qty: '0',
      decision: null,
      requotes_left: 0,
      corr: i.corr,
      successor: null,
    };
    this.d.event(
      'ALERT_RAISED',
      { source: 'engine', detail: `${s.symbol}: entry ${i.client_order_id} found working untracked; cancelling it` },
      { corr: i.corr },
    );
  }

  /**
   * Entries declared NOT_FOUND, asked about again for a while. "Does not exist" answered for as long
   * as the NOT_FOUND bound, with the user stream silent, had let an entry that had filled be
   * forgotten: its coins unprotected, outside exposure and P&L, its trade taken for someone else's.
   */
  private readonly lateWatch = new Map<string, { readonly intent: Intent; readonly until: number; next: number }>();

  /** Asks about an entry declared NOT_FOUND again until `until` (its first ask one interval from now). */
  watchLate(i: Intent, until: number): void {
    if (this.lateWatch.size < LATE_WATCH_KEPT) this.lateWatch.set(i.client_order_id, { intent: i, until, next: this.d.now() + LATE_WATCH_EVERY_MS });
  }

  private async askLate(): Promise<void> {
    const now = this.d.now();
    for (const [coid, w] of [...this.lateWatch]) {
      if (now > w.until) {
        this.lateWatch.delete(coid);
        continue;
      }
      if (now < w.next) continue;
      w.next = now + LATE_WATCH_EVERY_MS;
      const q = await venue(this.d.call(), 'query_order', { symbol: w.intent.symbol, client_order_id: coid });
      if (q.kind !== 'OK') continue;
      this.lateWatch.delete(coid);
      const s = this.slot(w.intent.symbol);
      this.orderIds.set(q.body.order_id, coid);
      this.d.event(
        'ALERT_RAISED',
        {
          source: 'engine',
          symbol: w.intent.symbol,
          detail: `${w.intent.symbol}: entry ${coid}, declared NOT_FOUND, is at the venue (${q.body.status}, executed ${q.body.executed_qty}); its fills are learned and protected`,
        },
        { reason: 'PROTECTION_MISSING', corr: w.intent.corr },
      );
      // Still working: tracked again and cancelled; its fills (and any already made) are the bot's.
      if (WORKING_STATUSES.has(q.body.status) && s.entry === null) this.adoptLateEntry(s, w.intent);
      // Its trade may already have been read and judged someone else's: read again from its creation.
      this.lastTradeId.delete(w.intent.symbol);
      this.tradesFrom(w.intent.symbol, w.intent.created_ms);
      this.pendingTrades.add(w.intent.symbol);
    }
  }

  /** Whether the venue has shown an order of this clientOrderId (its order id is known to the bot). */
  private seenAtVenue(coid: string): boolean {
    for (const c of this.orderIds.values()) if (c === coid) return true;
    return false;
  }

  private notFoundAnswer(i: Intent, now: number): void {
    i.not_found_answers++;
    const since = i.unknown_since ?? i.state_ms;
    if (i.not_found_answers < this.d.cfg.not_found_min_queries || now - since < this.d.cfg.not_found_after_ms) return;
    // The venue already told of this order (a stream report gave its order id, or a fill was
    // booked under it): "does not exist" from a lagging or failing query cannot make it not have
    // happened. It stays SENT_UNKNOWN (held to the exposure bound) until a query finds it.
    if (this.seenAtVenue(i.client_order_id)) return;
    this.d.intents.transition(i, 'NOT_FOUND', null, { answers: i.not_found_answers, waited_ms: now - since });
    this.onTerminal(i, 'not found at the venue');
    if (i.kind === 'ENTRY') this.watchLate(i, now + LATE_WATCH_MS);
  }
}

/** A re-quote's price, the re-quotes left after it, and its number (1 = the first re-quote). */
interface RequoteTerms {
  readonly price: string;
  readonly left: number;
  readonly n: number;
}

/** A commission paid in a third asset, waiting to be valued in the quote asset. */
interface ThirdFee {
  readonly symbol: string;
  readonly asset: string;
  readonly quote: string;
  readonly amount: string;
  readonly ts_ms: number;
}

/** Whether `coid` is one of the orders a protection stands on (an OCO's legs, or the trailing stop). */
function protectionHolds(p: NonNullable<Slot['protection']>, coid: string): boolean {
  return p.kind === 'OCO' ? p.leg_ids.includes(coid) : p.client_order_id === coid;
}

/** What an ENTRY intent records: the reviewed decision and the price actually sent. */
function entryDetail(decision: Decision, price: string | null, requote: number | undefined): JsonObject {
  return {
    decision_id: decision.ids.decision_id,
    type: decision.entry_type,
    quantity: decision.quantity,
    price,
    stop_price: decision.stop_price,
    take_profit_price: decision.take_profit_price,
    ...(requote !== undefined ? { requote } : {}),
  };
}

function entryOrder(decision: Decision, clientOrderId: string, price: string | null): NewOrder {
  return {
    symbol: decision.symbol,
    side: decision.side,
    type: decision.entry_type,
    client_order_id: clientOrderId,
    quantity: decision.quantity,
    ...(price !== null ? { price } : {}),
    ...(decision.entry_type === 'LIMIT' ? { time_in_force: 'GTC' as const } : {}),
  };
}

export type { CancelWhy };

/** A working entry as the lifecycle step sees it (its cancelReplace successor included). */
function entryView(e: WorkingEntry): LifecycleEntry {
  const why = e.cancel?.detail['why'];
  return {
    coid: e.intent.client_order_id,
    intent: e.intent.state,
    status: e.status,
    cancel_pending: e.cancel !== null,
    deadline_ms: e.deadline_ms,
    last_query_ms: e.intent.last_query_ms,
    has_decision: e.decision !== null,
    requotes_left: e.requotes_left,
    filled_qty: e.filled_qty,
    cancel_why: typeof why === 'string' ? why : null,
    successor: e.successor ? entryView(e.successor) : null,
  };
}

function describe(o: VenueOutcome<unknown>): JsonObject {
  switch (o.kind) {
    case 'OK':
      return { kind: 'OK' };
    case 'REJECTED':
      return { kind: o.kind, code: o.code, msg: o.msg };
    case 'UNKNOWN':
    case 'NETWORK_BEFORE_SEND':
      return { kind: o.kind, reason: o.reason };
    case 'THROTTLED':
      return { kind: o.kind, status: o.status, retry_after_ms: o.retry_after_ms };
    case 'NOT_SENT':
      return { kind: o.kind, cause: o.cause, detail: o.detail };
  }
}

/**
 * Since when a slot may hold coins no protection covers: its unprotected position, or an entry whose
 * outcome is unknown (it may have filled, with the user stream silent and REST not answering: an
 * unknown exposure is held to the same bound as a known one, and PAUSEs past it).
 */
function exposedSince(s: Slot, dust: boolean): number | null {
  const e = s.entry?.intent;
  const unknown = e?.state === 'SENT_UNKNOWN' ? (e.unknown_since ?? e.state_ms) : null;
  // Dust (a partial entry fill worth less than the venue's minimum) can be neither protected nor
  // sold: not a position to hold to the bound (it had paused every symbol 5 s into a thin fill).
  const unprotected = dust ? null : s.unprotected_since;
  if (unknown === null) return unprotected;
  return unprotected === null ? unknown : Math.min(unknown, unprotected);
}

/** A PROTECT intent that places a swap's trailing stop (it names the list it replaces). */
const isSwap = (i: Intent): boolean => i.kind === 'PROTECT' && typeof i.detail['replaces'] === 'string';
