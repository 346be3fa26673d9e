import { Dec, isDecimalString, validateOrder, type OrderToValidate } from '@vigil/core';
import {
  type AccountReport,
  type CancelReplace,
  type CancelReplaceResult,
  type HalfError,
  isOwnClientOrderId,
  type JsonObject,
  jsonObject,
  MY_TRADES_PAGE,
  type NewOco,
  type NewOrder,
  type OcoLeg,
  ORDER_STATUSES,
  ORDER_TYPES,
  type OrderLeg,
  type OrderListReport,
  type OrderReport,
  orderRole,
  type OrderTrace,
  type QuarantineCause,
  type ReasonCode,
  type RestQuote,
  type StandingQuarantine,
  type TradeReport,
  type VenueOutcome,
} from '@vigil/contracts';
import { codeClass, type RestOutcome } from './outcome.js';
import { GATEWAY_VALIDATORS } from './reply-validators.js';
import type { Params } from './signing.js';
import type { VenueSession } from './venue-session.js';
import type { CrashHook } from '@vigil/runtime';

/**
 * Orders as the engine asks for them, turned into venue calls and typed outcomes. Rules:
 * - an order is validated against the symbol's current rules before it leaves (a local refusal is
 *   NOT_SENT, never a venue call);
 * - it is sent at most once (no retry of any kind; -1021 is the one documented exception, handled by
 *   the session: a definitive rejection means nothing was executed);
 * - a reply we cannot understand on an order call is UNKNOWN, resolved by query_order;
 * - filter rejections refresh the rules, and repeated ones quarantine the symbol, as does a status
 *   other than TRADING. Quarantine refuses new entries only: protection, exits and cancels still
 *   reach the venue (operations rules, incident 10: "block new entries; keep only management/close").
 *   It is lifted once the cause has been absent for exchange.quarantine_clear_ms and rules loaded
 *   after that say TRADING.
 */

// The reply shapes (order-desk-schemas.ts), compiled at build time (reply-validators.ts).
const validOrder = GATEWAY_VALIDATORS.order;
const validReplace = GATEWAY_VALIDATORS.replace;
const validHalfError = GATEWAY_VALIDATORS.halfError;
const validList = GATEWAY_VALIDATORS.list;
const validLists = GATEWAY_VALIDATORS.lists;
const validTrades = GATEWAY_VALIDATORS.trades;
const validForeignOrder = GATEWAY_VALIDATORS.foreignOrder;
const validAccount = GATEWAY_VALIDATORS.account;
/** Whose order it is, as reconcile decides: ours carry our prefix (a probe's included). */
const ours = (clientOrderId: unknown): boolean => typeof clientOrderId !== 'string' || isOwnClientOrderId(clientOrderId);
/** The list states Binance documents; one of ours in any other is not understood (UNKNOWN). */
const LIST_STATUS_TYPES: readonly string[] = ['RESPONSE', 'EXEC_STARTED', 'UPDATED', 'ALL_DONE'];
const LIST_ORDER_STATUSES: readonly string[] = ['EXECUTING', 'ALL_DONE', 'REJECT'];
const listUnderstood = (l: RawList): boolean =>
  !ours(l.listClientOrderId) || (LIST_STATUS_TYPES.includes(l.listStatusType) && LIST_ORDER_STATUSES.includes(l.listOrderStatus));

/**
 * openOrders, entry by entry: an order of ours must be understood in full, or the whole reply is
 * UNKNOWN (its state is not known, so neither is the symbol's); someone else's with a status or
 * type we do not model is kept as an open order (it is on the open list) with the raw values in
 * `unrecognised`, so one new enum value at the venue does not blind reconcile and block the symbol.
 */
function readOpenOrders(body: unknown): { ok: true; reports: OrderReport[] } | { ok: false; why: string } {
  if (!Array.isArray(body)) return { ok: false, why: 'openOrders reply not understood' };
  const reports: OrderReport[] = [];
  for (const [i, o] of body.entries()) {
    if (validOrder(o)) {
      reports.push(report(o as RawOrder));
      continue;
    }
    const cid = typeof o === 'object' && o !== null ? (o as { clientOrderId?: unknown }).clientOrderId : undefined;
    if (ours(cid) || !validForeignOrder(o)) return { ok: false, why: `openOrders entry ${i}${ours(cid) ? ` (${String(cid)}, ours)` : ''} not understood` };
    const raw = o as Omit<RawOrder, 'status' | 'type'> & { status: string; type: string };
    const knownStatus = (ORDER_STATUSES as readonly string[]).includes(raw.status);
    const knownType = (ORDER_TYPES as readonly string[]).includes(raw.type);
    reports.push({
      ...report({ ...raw, status: knownStatus ? (raw.status as OrderReport['status']) : 'NEW', type: knownType ? (raw.type as OrderReport['type']) : 'LIMIT' }),
      unrecognised: { ...(knownStatus ? {} : { status: raw.status }), ...(knownType ? {} : { type: raw.type }) },
    });
  }
  return { ok: true, reports };
}
/** Filter rejections of one symbol within this window that quarantine it. */
export const QUARANTINE_AFTER = { rejects: 3, windowMs: 10 * 60_000 } as const;

/** Longest wait before the quarantine review asks again for rules after a refresh that failed. */
const REVIEW_RETRY_MAX_MS = 60_000;

/** Why a symbol was quarantined (defined with the restart contract: it survives restarts). */
export type { QuarantineCause };

interface Quarantine {
  readonly since_ms: number;
  readonly cause: QuarantineCause;
  /** The last sign of the cause (a filter rejection, or rules saying not TRADING): the clean window runs from here. */
  last_bad_ms: number;
  last_bad: string;
}

/**
 * Legs that only ever reduce what we hold, when on a SELL (long-only spot: a BUY is never
 * protective). Anything else, an id not of our shape included, is treated as an entry.
 */
const PROTECTIVE: ReadonlySet<OrderLeg> = new Set(['stop', 'take_profit', 'list', 'close', 'trailing']);
const protective = (side: NewOrder['side'], clientOrderId: string): boolean => {
  const role = orderRole(clientOrderId);
  return side === 'SELL' && role !== null && PROTECTIVE.has(role);
};

export interface OrderDeskDeps {
  readonly session: VenueSession;
  readonly now: () => number;
  readonly preciseNow?: () => number;
  /** SYMBOL_QUARANTINED is raised again, with the symbols still held, whenever the set changes. */
  readonly reason: (code: ReasonCode, on: boolean, detail: JsonObject) => void;
  /**
   * Audit of each quarantine imposed (restored ones with `restored: true`), renewed and lifted: the
   * supervisor rebuilds the standing set from these at the next start.
   */
  readonly event?: (
    type: 'SYMBOL_QUARANTINE_IMPOSED' | 'SYMBOL_QUARANTINE_RENEWED' | 'SYMBOL_QUARANTINE_LIFTED',
    payload: JsonObject,
    reason?: ReasonCode,
  ) => void;
  /** Quarantines that stood when the gateway last stopped (read from the audit): held from the start. */
  readonly restored?: readonly StandingQuarantine[];
  /** The quarantined set changed (the engine must hear of it: it blocks entries from it). */
  readonly onQuarantine?: (symbols: readonly string[]) => void;
  /** Chaos-matrix crash points (disarmed unless live.fault_hooks_enabled and live.crash_point). */
  readonly crash?: CrashHook;
}

/** avgPrice (a 5-minute average at the venue) is fetched at most this often per symbol. */
const AVG_PRICE_TTL_MS = 5_000;
/** A symbol's open-order count is trusted this long, unless one of our own order calls changed it. */
const OPEN_COUNT_TTL_MS = 2_000;
/** Latency samples kept (market event -> order request leaving). */
const TRACE_SAMPLES = 1_000;

export class OrderDesk {
  private readonly filterRejects = new Map<string, number[]>();
  private readonly held = new Map<string, Quarantine>();
  /** When (desk clock) the rules now loaded were fetched; null before the first refresh. */
  private rulesAt: number | null = null;
  private reviewRetryAt = 0;
  private reviewing = false;
  readonly tickToOrder: number[] = [];
  /** The same orders' stage durations (ms) from their trace marks: where the time went. */
  readonly tickToOrderStages: Record<string, number>[] = [];
  private readonly avgCache = new Map<string, { at: number; price: string; ref: string | 'NONE' | undefined }>();
  private readonly avgRefreshing = new Set<string>();
  private readonly countCache = new Map<string, { at: number; open: number; algo: number }>();

  constructor(private readonly d: OrderDeskDeps) {
    d.session.onRefresh(() => this.onRules());
    this.restore(d.restored ?? []);
  }

  /**
   * A restart forgets nothing: each standing quarantine of a configured symbol is held again with
   * its cause and times, so its clean window still runs from the last sign of the cause, and it is
   * lifted only by the usual rule (rules loaded after that window saying TRADING). Audited again
   * (`restored: true`) and announced: SYMBOL_QUARANTINED raised, the engine told.
   */
  private restore(standing: readonly StandingQuarantine[]): void {
    const configured = new Set(this.d.session.cfg.symbols);
    const mine = standing.filter((q) => configured.has(q.symbol));
    if (mine.length === 0) return;
    for (const q of mine) this.held.set(q.symbol, { since_ms: q.since_ms, cause: q.cause, last_bad_ms: q.last_bad_ms, last_bad: q.last_bad });
    for (const q of mine) {
      this.d.event?.(
        'SYMBOL_QUARANTINE_IMPOSED',
        { ...this.record(q.symbol, q), blocks: 'new entries', quarantined: this.quarantined, restored: true },
        'SYMBOL_QUARANTINED',
      );
    }
    this.announce();
  }

  /** The fields a restart needs to hold a quarantine again (see AuditReader.standingQuarantines). */
  private record(symbol: string, q: Quarantine): JsonObject {
    return { symbol, cause: jsonObject(q.cause), since_ms: q.since_ms, last_bad_ms: q.last_bad_ms, last_bad: q.last_bad };
  }

  /** Symbols on which new entries are refused. */
  get quarantined(): readonly string[] {
    return [...this.held.keys()];
  }

  async place(
    order: NewOrder,
    ctx: { readonly avg_price?: string; readonly open_orders?: number; readonly open_algo_orders?: number } = {},
    trace?: OrderTrace,
  ): Promise<VenueOutcome<OrderReport>> {
    const rx = trace && this.d.preciseNow ? this.d.preciseNow() : 0;
    const entry = !protective(order.side, order.client_order_id);
    const refused = await this.checkLocally(order.symbol, [order], ctx, { quarantine: entry, reduceOnly: !entry });
    if (refused) return refused;
    this.countCache.delete(order.symbol);
    if (trace && this.d.preciseNow) {
      const sent = this.d.preciseNow();
      this.tickToOrder.push(sent - trace.tick_ts_ms - trace.excluded_ms);
      if (this.tickToOrder.length > TRACE_SAMPLES) this.tickToOrder.shift();
      if (trace.marks) {
        this.tickToOrderStages.push(traceStages(trace, rx, sent));
        if (this.tickToOrderStages.length > TRACE_SAMPLES) this.tickToOrderStages.shift();
      }
    }
    const out = await this.d.session.signedWithResync(
      'POST',
      '/api/v3/order',
      { ...orderParams(order), newClientOrderId: order.client_order_id, newOrderRespType: 'FULL' },
      { weight: 1, kind: 'order', protective: !entry },
    );
    // The venue has executed the entry and answered; the engine has not heard: killed here, the
    // outcome is known only to the venue.
    if (orderRole(order.client_order_id) === 'entry')
      this.d.crash?.('after_send_before_response', { client_order_id: order.client_order_id, outcome: out.kind });
    if (out.kind === 'REJECTED' && out.code === -1013) await this.onFilterReject(order.symbol, out.msg);
    return mapOrder(out, 'order', { symbol: order.symbol, clientOrderId: order.client_order_id, side: order.side });
  }

  /**
   * Cancels one order and places another in one venue call, sent at most once (the -1021 resync is
   * the only second send, as for place: that rejection proves nothing executed). The new order is
   * checked locally first; under STOP_ON_FAILURE it may use the slot the cancel frees. What each
   * half did is read from the 200 body or from the -2021/-2022 error's data; anything else that
   * may have reached the venue is UNKNOWN, resolved by querying both clientOrderIds.
   */
  async cancelReplace(r: CancelReplace): Promise<VenueOutcome<CancelReplaceResult>> {
    if (r.order.symbol !== r.symbol) return notSent('LOCAL_VALIDATION', `cancel-replace of ${r.symbol} with an order for ${r.order.symbol}`);
    if (this.d.session.rules.get(r.symbol)?.cancelReplaceAllowed === false) return notSent('LOCAL_VALIDATION', `${r.symbol} does not allow cancel-replace`);
    // Only the new half can be an entry; a cancel is never refused for quarantine.
    const entry = !protective(r.order.side, r.order.client_order_id);
    const refused = await this.checkLocally(r.symbol, [r.order], {}, { freed: r.mode === 'STOP_ON_FAILURE' ? 1 : 0, quarantine: entry, reduceOnly: !entry });
    if (refused) return refused;
    this.countCache.delete(r.symbol);
    const params: Params = {
      ...orderParams(r.order),
      newClientOrderId: r.order.client_order_id,
      newOrderRespType: 'FULL',
      cancelReplaceMode: r.mode,
      cancelOrigClientOrderId: r.cancel_client_order_id,
      cancelRestrictions: r.cancel_restrictions,
    };
    const out = await this.d.session.signedWithResync('POST', '/api/v3/order/cancelReplace', params, {
      weight: 1,
      kind: 'order',
      newOrders: 1,
      protective: !entry,
    });
    // Both halves done (or not) at the venue, the engine not told: killed here, only REST knows.
    this.d.crash?.('replace_after_send', { cancel_client_order_id: r.cancel_client_order_id, client_order_id: r.order.client_order_id, outcome: out.kind });
    const ours = { symbol: r.symbol, cancelled: r.cancel_client_order_id, placed: r.order.client_order_id };
    if (out.kind === 'OK') return replaceResult(out.body, null, ours);
    if ((out.kind === 'REJECTED' || out.kind === 'UNKNOWN') && out.errorData && (out.errorData.code === -2021 || out.errorData.code === -2022))
      return replaceResult(out.errorData.data, out.errorData.code, ours);
    if (out.kind === 'REJECTED' && out.code === -1013) await this.onFilterReject(r.symbol, out.msg);
    return wire(out);
  }

  /** The venue's own validation without placing anything: used before a protection swap cancels anything. */
  async test(order: NewOrder): Promise<VenueOutcome<Record<string, never>>> {
    // A test places nothing, so quarantine has nothing to block (the protection swap validates
    // its trailing stop here under a probe id).
    const refused = await this.checkLocally(order.symbol, [order], {}, { quarantine: false, reduceOnly: protective(order.side, order.client_order_id) });
    if (refused) return refused;
    const out = await this.d.session.signedWithResync('POST', '/api/v3/order/test', orderParams(order), { weight: 1, kind: 'read' });
    // A filter refusal of a test says the same as a real one ("Market is closed." when the symbol
    // halted): the rules are reloaded at once, not at the next half-hourly refresh.
    if (out.kind === 'REJECTED' && out.code === -1013) await this.onFilterReject(order.symbol, out.msg);
    if (out.kind !== 'OK') return wire(out);
    return { kind: 'OK', body: {} };
  }

  /** An OCO list (take-profit above, stop below for a SELL), validated leg by leg, sent at most once. */
  async placeOco(oco: NewOco): Promise<VenueOutcome<OrderListReport>> {
    const rules = this.d.session.rules.get(oco.symbol);
    if (rules && !rules.ocoAllowed) return notSent('LOCAL_VALIDATION', `${oco.symbol} does not allow OCO`);
    const leg = (l: OcoLeg): NewOrder => ({
      symbol: oco.symbol,
      side: oco.side,
      type: l.type,
      client_order_id: l.client_order_id,
      quantity: oco.quantity,
      ...(l.price !== undefined ? { price: l.price } : {}),
      ...(l.stop_price !== undefined ? { stop_price: l.stop_price } : {}),
    });
    // Both legs count against MAX_NUM_ORDERS together: validate with the second leg's count.
    const entry = ![oco.list_client_order_id, oco.above.client_order_id, oco.below.client_order_id].every((id) => protective(oco.side, id));
    const refused = await this.checkLocally(oco.symbol, [leg(oco.above), leg(oco.below)], {}, { quarantine: entry, reduceOnly: !entry });
    if (refused) return refused;
    const p = (prefix: 'above' | 'below', l: OcoLeg): Params => ({
      [`${prefix}Type`]: l.type,
      [`${prefix}ClientOrderId`]: l.client_order_id,
      [`${prefix}Price`]: l.price,
      [`${prefix}StopPrice`]: l.stop_price,
      [`${prefix}TimeInForce`]: l.time_in_force ?? (l.type.endsWith('_LIMIT') ? 'GTC' : undefined),
    });
    const params: Params = {
      symbol: oco.symbol,
      side: oco.side,
      quantity: oco.quantity,
      listClientOrderId: oco.list_client_order_id,
      newOrderRespType: 'FULL',
      ...p('above', oco.above),
      ...p('below', oco.below),
    };
    this.countCache.delete(oco.symbol);
    const out = await this.d.session.signedWithResync('POST', '/api/v3/orderList/oco', params, { weight: 1, kind: 'order', newOrders: 2, protective: !entry });
    if (out.kind === 'REJECTED' && out.code === -1013) await this.onFilterReject(oco.symbol, out.msg);
    return mapList(out, 'order', {
      symbol: oco.symbol,
      listClientOrderId: oco.list_client_order_id,
      legs: [oco.above.client_order_id, oco.below.client_order_id],
    });
  }

  async cancelList(symbol: string, listClientOrderId: string): Promise<VenueOutcome<OrderListReport>> {
    this.countCache.delete(symbol);
    const out = await this.d.session.signedWithResync('DELETE', '/api/v3/orderList', { symbol, listClientOrderId }, { weight: 1, kind: 'order', newOrders: 0 });
    // Only the symbol: whether a cancelled list keeps its listClientOrderId in the reply is not
    // documented (a cancelled order's id moves to origClientOrderId).
    return mapList(out, 'order', { symbol });
  }

  async queryList(listClientOrderId: string): Promise<VenueOutcome<OrderListReport>> {
    const out = await this.d.session.signedWithResync('GET', '/api/v3/orderList', { origClientOrderId: listClientOrderId }, { weight: 4, kind: 'read' });
    return mapList(out, 'read', { listClientOrderId });
  }

  async openLists(): Promise<VenueOutcome<readonly OrderListReport[]>> {
    const out = await this.d.session.signedWithResync('GET', '/api/v3/openOrderList', {}, { weight: 6, kind: 'read' });
    if (out.kind !== 'OK') return wire(out);
    return readLists(out.body);
  }

  /**
   * One page of myTrades. Binance refuses fromId together with startTime, and a startTime window
   * longer than 24 h: by id when the caller knows one, else from a time (its 24 h window), else the
   * most recent rows.
   */
  async trades(symbol: string, startMs: number | null, fromId: number | null = null): Promise<VenueOutcome<readonly TradeReport[]>> {
    const limit = String(MY_TRADES_PAGE);
    const q =
      fromId !== null ? { symbol, fromId: String(fromId), limit } : startMs !== null ? { symbol, startTime: String(startMs), limit } : { symbol, limit };
    const out = await this.d.session.signedWithResync('GET', '/api/v3/myTrades', q, { weight: 20, kind: 'read' });
    if (out.kind !== 'OK') return wire(out);
    return readTrades(out.body);
  }

  /** The symbol's best bid and ask over REST (weight 2): a read, throttled and audited like the others. */
  async bookTicker(symbol: string): Promise<VenueOutcome<RestQuote>> {
    const out = await this.d.session.restClient.publicGet('/api/v3/ticker/bookTicker', { symbol }, 2);
    if (out.kind !== 'OK') return wire(out);
    return readBookTicker(symbol, out.body, this.d.now());
  }

  /**
   * Local validation against the symbol's current rules, with the context MAX_NUM_ORDERS and
   * PERCENT_PRICE need (asked of the venue when the caller has none). A refusal is NOT_SENT.
   * `quarantine`: the order is an entry, refused on a quarantined symbol. `reduceOnly`: the order
   * only reduces a holding, so a status other than TRADING is left to the venue to judge.
   */
  private async checkLocally(
    symbol: string,
    orders: readonly NewOrder[],
    ctx: { readonly avg_price?: string; readonly open_orders?: number; readonly open_algo_orders?: number },
    opts: { readonly freed?: number; readonly quarantine: boolean; readonly reduceOnly: boolean },
  ): Promise<VenueOutcome<never> | null> {
    const rules = this.d.session.rules.get(symbol);
    if (!rules) return notSent('NO_RULES', `no exchange rules loaded for ${symbol}`);
    const q = this.held.get(symbol);
    if (q && opts.quarantine) return notSent('SYMBOL_QUARANTINED', `${symbol} is quarantined (${describeCause(q.cause)}): no new entries`);
    const basis = ctx.avg_price !== undefined ? { price: ctx.avg_price, ref: undefined } : await this.priceBasis(symbol);
    const avg = basis?.price;
    let counts = ctx.open_orders !== undefined && ctx.open_algo_orders !== undefined ? { open: ctx.open_orders, algo: ctx.open_algo_orders } : null;
    const cached = this.countCache.get(symbol);
    if (!counts && cached && this.d.now() - cached.at < OPEN_COUNT_TTL_MS) counts = cached;
    if (!counts) {
      const open = await this.openOrders(symbol);
      // Held back by the governor (rate limit, ban): say so with its wait, as the order itself would be.
      if (open.kind === 'NOT_SENT')
        return { kind: 'NOT_SENT', cause: open.cause, wait_ms: open.wait_ms, detail: `open orders not read (${open.detail}): cannot check MAX_NUM_ORDERS` };
      if (open.kind !== 'OK') return notSent('NO_CONTEXT', `open orders unavailable (${open.kind}): cannot check MAX_NUM_ORDERS`);
      counts = { open: open.body.length, algo: open.body.filter((o) => isAlgo(o.type)).length };
    }
    // A cancel-replace frees its cancelled order's slot before the new one takes one.
    let extra = -(opts.freed ?? 0);
    let extraAlgo = 0;
    for (const order of orders) {
      const toValidate: OrderToValidate = {
        side: order.side,
        type: order.type,
        ...(order.quantity !== undefined ? { quantity: order.quantity } : {}),
        ...(order.quote_order_qty !== undefined ? { quoteOrderQty: order.quote_order_qty } : {}),
        ...(order.price !== undefined ? { price: order.price } : {}),
        ...(order.stop_price !== undefined ? { stopPrice: order.stop_price } : {}),
        ...(order.trailing_delta !== undefined ? { trailingDelta: String(order.trailing_delta) } : {}),
      };
      const v = validateOrder(toValidate, rules, {
        ...(avg !== undefined ? { avgPrice: avg } : {}),
        // Unknown reference price: the percent-price filters are the venue's to judge alone.
        ...(basis?.ref !== undefined ? { referencePrice: basis.ref } : {}),
        openOrders: Math.max(0, counts.open + extra),
        openAlgoOrders: counts.algo + extraAlgo,
        ...(opts.reduceOnly ? { reduceOnly: true } : {}),
      });
      if (!v.ok) return notSent('LOCAL_VALIDATION', `${order.client_order_id}: ${v.filter}: ${v.reason}`);
      extra++;
      if (isAlgo(order.type)) extraAlgo++;
    }
    return null;
  }

  async cancel(symbol: string, clientOrderId: string): Promise<VenueOutcome<OrderReport>> {
    this.countCache.delete(symbol);
    const out = await this.d.session.signedWithResync(
      'DELETE',
      '/api/v3/order',
      { symbol, origClientOrderId: clientOrderId },
      { weight: 1, kind: 'order', newOrders: 0 },
    );
    // A cancel's report names the order in origClientOrderId (clientOrderId names the cancel).
    return mapOrder(out, 'order', { symbol, clientOrderId });
  }

  async query(symbol: string, clientOrderId: string): Promise<VenueOutcome<OrderReport>> {
    const out = await this.d.session.signedWithResync('GET', '/api/v3/order', { symbol, origClientOrderId: clientOrderId }, { weight: 4, kind: 'read' });
    return mapOrder(out, 'read', { symbol, clientOrderId });
  }

  async openOrders(symbol: string | null): Promise<VenueOutcome<readonly OrderReport[]>> {
    const out = await this.d.session.signedWithResync('GET', '/api/v3/openOrders', symbol ? { symbol } : {}, { weight: symbol ? 6 : 80, kind: 'read' });
    if (out.kind !== 'OK') return wire(out);
    const read = readOrders(out.body);
    if (read.kind !== 'OK') return read;
    const body = read.body;
    // Every answer refreshes the counts MAX_NUM_ORDERS needs (all symbols when asked for all).
    const at = this.d.now();
    const symbols = symbol ? [symbol] : [...this.d.session.rules.keys()];
    for (const s of symbols) {
      const mine = body.filter((o) => o.symbol === s);
      this.countCache.set(s, { at, open: mine.length, algo: mine.filter((o) => isAlgo(o.type)).length });
    }
    return { kind: 'OK', body };
  }

  async account(): Promise<VenueOutcome<AccountReport>> {
    const out = await this.d.session.signedWithResync('GET', '/api/v3/account', { omitZeroBalances: 'true' }, { weight: 20, kind: 'read' });
    if (out.kind !== 'OK') return wire(out);
    return readAccount(out.body);
  }

  /**
   * The venue's average price (market notional checks; ticker price as fallback) and reference
   * price (percent-price checks, when the symbol has one), kept warm for the configured symbols.
   */
  async warmAvgPrices(symbols: readonly string[]): Promise<void> {
    for (const s of symbols) await this.loadAvgPrice(s);
  }

  private async priceBasis(symbol: string): Promise<{ price: string; ref: string | 'NONE' | undefined } | undefined> {
    const c = this.avgCache.get(symbol);
    const age = c ? this.d.now() - c.at : Infinity;
    if (c && age < AVG_PRICE_TTL_MS) {
      // Refresh ahead, off this order's path: a symbol that trades keeps a warm price, and an
      // order waits for the venue only when the cached one is past its TTL.
      if (age >= AVG_PRICE_TTL_MS / 2 && !this.avgRefreshing.has(symbol)) {
        this.avgRefreshing.add(symbol);
        void this.loadAvgPrice(symbol).finally(() => this.avgRefreshing.delete(symbol));
      }
      return c;
    }
    return this.loadAvgPrice(symbol);
  }

  private async loadAvgPrice(symbol: string): Promise<{ price: string; ref: string | 'NONE' | undefined } | undefined> {
    const p = await this.fetchAvgPrice(symbol);
    if (p === undefined) return undefined;
    const entry = { at: this.d.now(), price: p, ref: await this.fetchReferencePrice(symbol) };
    this.avgCache.set(symbol, entry);
    return entry;
  }

  /**
   * GET /api/v3/referencePrice: a price, 'NONE' when the venue says the symbol has none (null, or
   * -2043: never had one), undefined when we could not learn it (then nothing local is stricter).
   */
  private async fetchReferencePrice(symbol: string): Promise<string | 'NONE' | undefined> {
    const r = await this.d.session.restClient.publicGet('/api/v3/referencePrice', { symbol }, 2);
    if (r.kind === 'REJECTED' && r.code === -2043) return 'NONE';
    if (r.kind !== 'OK') return undefined;
    const b = r.body as { symbol?: unknown; referencePrice?: unknown };
    if (b.symbol !== symbol) return undefined;
    if (b.referencePrice === null) return 'NONE';
    return isDecimalString(b.referencePrice) ? b.referencePrice : undefined;
  }

  private async fetchAvgPrice(symbol: string): Promise<string | undefined> {
    const rest = this.d.session.restClient;
    const a = await rest.publicGet('/api/v3/avgPrice', { symbol }, 2);
    const price = a.kind === 'OK' ? (a.body as { price?: unknown } | null)?.price : undefined;
    if (typeof price === 'string') return price;
    const t = await rest.publicGet('/api/v3/ticker/price', { symbol }, 2);
    const p = t.kind === 'OK' ? (t.body as { price?: unknown } | null)?.price : undefined;
    return typeof p === 'string' ? p : undefined;
  }

  private async onFilterReject(symbol: string, msg: string): Promise<void> {
    const now = this.d.now();
    // A percent-price band follows the market (the reference price, else the average): refused
    // at the edge of the band is not a sign our rules are wrong. It neither counts towards a
    // quarantine nor reloads exchangeInfo; the cached basis is dropped so the next check re-reads it.
    if (/PERCENT_PRICE/.test(msg)) {
      this.avgCache.delete(symbol);
      this.d.reason('FILTER_REJECT', true, { symbol, msg, counts_towards_quarantine: false });
      return;
    }
    const recent = (this.filterRejects.get(symbol) ?? []).filter((t) => now - t < QUARANTINE_AFTER.windowMs);
    recent.push(now);
    this.filterRejects.set(symbol, recent);
    // Before the refresh below: rules loaded now must not lift a quarantine this rejection renews.
    this.sawBad(symbol, now, `filter reject: ${msg}`);
    this.d.reason('FILTER_REJECT', true, { symbol, msg, count: recent.length });
    this.rejectRaised = true;
    // Our rules were out of date or our check missed something: reload them at once.
    await this.d.session.refreshFilters();
    if (recent.length >= QUARANTINE_AFTER.rejects && !this.held.has(symbol)) {
      this.impose(
        symbol,
        { kind: 'FILTER_REJECTS', rejects: recent.length, window_ms: QUARANTINE_AFTER.windowMs, last_msg: msg },
        this.d.now(),
        `filter reject: ${msg}`,
      );
    }
  }

  /**
   * Every refresh: a configured symbol not TRADING (or no longer listed) is quarantined, or its
   * quarantine renewed; then whatever has cleared is lifted.
   */
  private onRules(): void {
    const now = this.d.now();
    this.rulesAt = now;
    for (const symbol of this.d.session.cfg.symbols) {
      const status = this.d.session.rules.get(symbol)?.status ?? 'MISSING';
      if (status === 'TRADING') continue;
      if (this.held.has(symbol)) this.sawBad(symbol, now, `status ${status}`);
      else this.impose(symbol, { kind: 'STATUS_NOT_TRADING', status }, now, `status ${status}`);
    }
    this.liftCleared(now);
  }

  /**
   * Periodic: a quarantine whose clean window is over needs rules loaded after that window to be
   * lifted. When the regular refreshes have not brought any, ask for them; after a refresh that
   * failed, not again for a while (a venue that does not answer is not polled every second).
   */
  async reviewQuarantine(): Promise<void> {
    if (this.reviewing) return;
    const now = this.d.now();
    this.forgetOldRejects(now);
    const clearMs = this.d.session.cfg.quarantine_clear_ms;
    const due = [...this.held.values()].filter((q) => now - q.last_bad_ms >= clearMs);
    if (due.length === 0) return;
    const stale = due.some((q) => this.rulesAt === null || this.rulesAt - q.last_bad_ms < clearMs);
    if (!stale) return this.liftCleared(now);
    if (now < this.reviewRetryAt) return;
    this.reviewing = true;
    try {
      // Lifts through onRules when it succeeds.
      const ok = await this.d.session.refreshFilters();
      this.reviewRetryAt = ok ? 0 : now + Math.min(clearMs, REVIEW_RETRY_MAX_MS);
    } finally {
      this.reviewing = false;
    }
  }

  /**
   * FILTER_REJECT says a filter rejection happened within the quarantine window; once no symbol has
   * one left in the window it is cleared (it was raised for good before, a warning nobody could lift).
   */
  private forgetOldRejects(now: number): void {
    for (const [symbol, times] of [...this.filterRejects]) {
      const recent = times.filter((t) => now - t < QUARANTINE_AFTER.windowMs);
      if (recent.length === 0) this.filterRejects.delete(symbol);
      else this.filterRejects.set(symbol, recent);
    }
    if (this.filterRejects.size === 0 && this.rejectRaised) {
      this.rejectRaised = false;
      this.d.reason('FILTER_REJECT', false, {});
    }
  }

  private rejectRaised = false;

  private sawBad(symbol: string, now: number, what: string): void {
    const q = this.held.get(symbol);
    if (!q) return;
    q.last_bad_ms = now;
    q.last_bad = what;
    // Audited: a restart must restart the clean window from here, not from the imposition.
    this.d.event?.('SYMBOL_QUARANTINE_RENEWED', this.record(symbol, q));
  }

  private impose(symbol: string, cause: QuarantineCause, now: number, what: string): void {
    const q: Quarantine = { since_ms: now, cause, last_bad_ms: now, last_bad: what };
    this.held.set(symbol, q);
    this.d.event?.('SYMBOL_QUARANTINE_IMPOSED', { ...this.record(symbol, q), blocks: 'new entries', quarantined: this.quarantined }, 'SYMBOL_QUARANTINED');
    this.announce();
  }

  /** Lifts each quarantine clean for the whole window and confirmed TRADING by rules loaded after it. */
  private liftCleared(now: number): void {
    const clearMs = this.d.session.cfg.quarantine_clear_ms;
    let lifted = false;
    for (const [symbol, q] of [...this.held]) {
      const status = this.d.session.rules.get(symbol)?.status;
      if (this.rulesAt === null || this.rulesAt - q.last_bad_ms < clearMs || status !== 'TRADING') continue;
      this.held.delete(symbol);
      lifted = true;
      this.d.event?.('SYMBOL_QUARANTINE_LIFTED', {
        symbol,
        cause: jsonObject(q.cause),
        since_ms: q.since_ms,
        quarantined_ms: now - q.since_ms,
        cleared_by: { status, rules_refreshed_ms: this.rulesAt, clean_ms: this.rulesAt - q.last_bad_ms, quarantine_clear_ms: clearMs, last_bad: q.last_bad },
        quarantined: this.quarantined,
      });
    }
    if (lifted) this.announce();
  }

  /** The reason follows the set: raised with the symbols still held, cleared when none is. */
  private announce(): void {
    const symbols = this.quarantined;
    const causes: JsonObject = Object.fromEntries([...this.held].map(([s, q]) => [s, describeCause(q.cause)]));
    this.d.reason('SYMBOL_QUARANTINED', symbols.length > 0, symbols.length > 0 ? { symbols, causes } : {});
    this.d.onQuarantine?.(symbols);
  }
}

function describeCause(c: QuarantineCause): string {
  return c.kind === 'FILTER_REJECTS' ? `${c.rejects} filter rejections within ${c.window_ms} ms, last: ${c.last_msg}` : `status ${c.status}`;
}

type RawList = {
  symbol: string;
  orderListId: number;
  listClientOrderId: string;
  contingencyType?: string;
  listStatusType: string;
  listOrderStatus: string;
  orders: { orderId: number; clientOrderId: string; symbol?: string }[];
  orderReports?: RawOrder[];
};

type RawTrade = {
  symbol: string;
  id: number;
  orderId: number;
  orderListId?: number;
  price: string;
  qty: string;
  quoteQty?: string;
  commission: string;
  commissionAsset: string;
  time: number;
  isBuyer: boolean;
  isMaker?: boolean;
};

function listReport(l: RawList): OrderListReport {
  return {
    symbol: l.symbol,
    order_list_id: l.orderListId,
    list_client_order_id: l.listClientOrderId,
    contingency_type: l.contingencyType ?? 'OCO',
    list_status_type: l.listStatusType,
    list_order_status: l.listOrderStatus,
    orders: l.orders.map((o) => ({ order_id: o.orderId, client_order_id: o.clientOrderId })),
    reports: (l.orderReports ?? []).map(report),
  };
}

function mapList(
  out: RestOutcome,
  kind: 'order' | 'read',
  expect: { readonly symbol?: string; readonly listClientOrderId?: string; readonly legs?: readonly string[] } = {},
): VenueOutcome<OrderListReport> {
  if (out.kind !== 'OK') return wire(out);
  if (!validList(out.body) || !listUnderstood(out.body as RawList))
    return { kind: 'UNKNOWN', reason: `${kind === 'order' ? 'order list' : 'order list query'} reply not understood` };
  const l = out.body as RawList;
  // A well-formed answer about another list (or with another symbol's or someone else's legs)
  // proves nothing about ours: UNKNOWN, resolved by asking again.
  if (expect.listClientOrderId !== undefined && l.listClientOrderId !== expect.listClientOrderId)
    return { kind: 'UNKNOWN', reason: `reply is for list ${l.listClientOrderId}, not ${expect.listClientOrderId}` };
  // A leg's symbol is optional in the reply and typed by the schema when present.
  const symbols = [l.symbol, ...l.orders.flatMap((o) => (o.symbol === undefined ? [] : [o.symbol]))];
  if (expect.symbol !== undefined && symbols.some((x) => x !== expect.symbol))
    return { kind: 'UNKNOWN', reason: `reply is for list ${l.listClientOrderId} on ${[...new Set(symbols)].join(', ')}, not ${expect.symbol}` };
  const body = listReport(l);
  const legs = expect.legs;
  if (legs !== undefined) {
    const ids = [...body.orders.map((o) => o.client_order_id), ...body.reports.map((r) => r.client_order_id)];
    const foreign = ids.find((id) => !legs.includes(id));
    if (foreign !== undefined || body.orders.length !== legs.length)
      return { kind: 'UNKNOWN', reason: `list ${l.listClientOrderId} reply names legs ${ids.join(', ')}, not ${legs.join(', ')}` };
  }
  return { kind: 'OK', body };
}

const isAlgo = (type: string): boolean => type.startsWith('STOP') || type.startsWith('TAKE');

function orderParams(order: NewOrder): Params {
  return {
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    quantity: order.quantity,
    quoteOrderQty: order.quote_order_qty,
    price: order.price,
    stopPrice: order.stop_price,
    trailingDelta: order.trailing_delta === undefined ? undefined : String(order.trailing_delta),
    timeInForce: order.time_in_force ?? (order.type === 'LIMIT' || order.type.endsWith('_LIMIT') ? 'GTC' : undefined),
  };
}

type RawOrder = {
  symbol: string;
  orderId: number;
  orderListId?: number;
  clientOrderId: string;
  /** Present on a cancel's report: the order's own id (clientOrderId then names the cancel). */
  origClientOrderId?: string;
  status: OrderReport['status'];
  type: OrderReport['type'];
  side: OrderReport['side'];
  price?: string;
  origQty?: string;
  executedQty?: string;
  cummulativeQuoteQty?: string;
  timeInForce?: string;
  stopPrice?: string;
  transactTime?: number;
  updateTime?: number;
  fills?: { price: string; qty: string; commission: string; commissionAsset: string; tradeId?: number }[];
};

function report(o: RawOrder): OrderReport {
  return {
    symbol: o.symbol,
    order_id: o.orderId,
    order_list_id: o.orderListId ?? -1,
    client_order_id: typeof o.origClientOrderId === 'string' ? o.origClientOrderId : o.clientOrderId,
    status: o.status,
    type: o.type,
    side: o.side,
    price: o.price ?? '0',
    orig_qty: o.origQty ?? '0',
    executed_qty: o.executedQty ?? '0',
    cummulative_quote_qty: o.cummulativeQuoteQty ?? '0',
    time_in_force: o.timeInForce ?? null,
    stop_price: o.stopPrice ?? null,
    ts_ms: o.transactTime ?? o.updateTime ?? null,
    fills: (o.fills ?? []).map((f) => ({
      price: f.price,
      qty: f.qty,
      commission: f.commission,
      commission_asset: f.commissionAsset,
      trade_id: f.tradeId ?? null,
    })),
  };
}

function mapOrder(
  out: RestOutcome,
  kind: 'order' | 'read',
  expect?: { readonly symbol: string; readonly clientOrderId: string; readonly side?: 'BUY' | 'SELL' },
): VenueOutcome<OrderReport> {
  if (out.kind !== 'OK') return wire(out);
  if (!validOrder(out.body)) {
    // On an order call a reply we cannot read may still mean the order exists: UNKNOWN, not failed.
    return { kind: 'UNKNOWN', reason: `${kind === 'order' ? 'order' : 'query'} reply not understood` };
  }
  const o = out.body as RawOrder;
  const r = report(o);
  // A well-formed report of another order must not confirm (or resolve) ours: UNKNOWN, ask again.
  if (expect && (r.client_order_id !== expect.clientOrderId || o.symbol !== expect.symbol)) {
    return { kind: 'UNKNOWN', reason: `reply is for ${o.symbol} ${r.client_order_id}, not ${expect.symbol} ${expect.clientOrderId}` };
  }
  // A report that contradicts the order sent, or itself, is no account of it: fills are booked by
  // side and quantity (a probe's venue answered our BUY as a SELL, 5 executed of 0.001).
  if (expect?.side !== undefined && r.side !== expect.side)
    return { kind: 'UNKNOWN', reason: `reply says ${r.side} for our ${expect.side} ${expect.clientOrderId}` };
  const executed = new Dec(r.executed_qty);
  const orig = new Dec(r.orig_qty);
  const filled = r.fills.reduce((sum, f) => sum.add(f.qty), new Dec(0));
  if ((!orig.isZero() && executed.gt(orig)) || filled.gt(executed))
    return {
      kind: 'UNKNOWN',
      reason: `reply for ${r.client_order_id} contradicts itself (executed ${r.executed_qty} of ${r.orig_qty}, fills ${filled.toFixed()})`,
    };
  return { kind: 'OK', body: r };
}

function wire<T>(out: Exclude<RestOutcome, { kind: 'OK' }>): VenueOutcome<T> {
  switch (out.kind) {
    case 'REJECTED':
      return { kind: 'REJECTED', code: out.code, msg: out.msg };
    case 'UNKNOWN':
      return { kind: 'UNKNOWN', reason: out.reason };
    case 'THROTTLED':
      return { kind: 'THROTTLED', status: out.status, retry_after_ms: out.retryAfterMs };
    case 'NETWORK_BEFORE_SEND':
      return { kind: 'NETWORK_BEFORE_SEND', reason: out.reason };
    case 'NOT_SENT':
      return { kind: 'NOT_SENT', cause: out.cause, wait_ms: out.waitMs, detail: out.detail };
  }
}

function notSent<T>(cause: string, detail: string): VenueOutcome<T> {
  return { kind: 'NOT_SENT', cause, wait_ms: null, detail };
}

/**
 * Both halves of a cancel-replace from the venue's own account of them. `code`: null for a 200,
 * -2021 (one half failed) or -2022 (the cancel failed and the new order failed or was not
 * attempted). A body that does not fit, a combination the code contradicts, or a half whose error
 * does not prove it failed (-1007 and the like) is UNKNOWN: something may have happened.
 */
function replaceResult(
  body: unknown,
  code: -2021 | -2022 | null,
  ours?: { readonly symbol: string; readonly cancelled: string; readonly placed: string },
): VenueOutcome<CancelReplaceResult> {
  const unknown = (why: string): VenueOutcome<CancelReplaceResult> => ({ kind: 'UNKNOWN', reason: `cancel-replace ${why}` });
  if (!validReplace(body)) return unknown('reply not understood');
  const b = body as {
    cancelResult: 'SUCCESS' | 'FAILURE';
    newOrderResult: 'SUCCESS' | 'FAILURE' | 'NOT_ATTEMPTED';
    cancelResponse: unknown;
    newOrderResponse: unknown;
  };
  const failed = (b.cancelResult === 'FAILURE' ? 1 : 0) + (b.newOrderResult === 'SUCCESS' ? 0 : 1);
  const expected = code === null ? 0 : code === -2021 ? 1 : 2;
  if (failed !== expected || (b.newOrderResult === 'NOT_ATTEMPTED' && b.cancelResult !== 'FAILURE'))
    return unknown(`results ${b.cancelResult}/${b.newOrderResult} contradict code ${code ?? 200}`);
  const half = (
    x: unknown,
    what: string,
    id: string | undefined,
  ): { ok: true; report: OrderReport } | { ok: true; error: HalfError } | { ok: false; why: string } => {
    if (validOrder(x)) {
      const rep = report(x as RawOrder);
      // A report of another order (or symbol) says nothing about ours.
      if (ours && (rep.symbol !== ours.symbol || rep.client_order_id !== id))
        return { ok: false, why: `${what} response is for ${rep.symbol} ${rep.client_order_id}, not ${ours.symbol} ${String(id)}` };
      return { ok: true, report: rep };
    }
    if (validHalfError(x)) {
      const e = x as HalfError;
      if (codeClass(e.code) !== 'REJECTED') return { ok: false, why: `${what} outcome unknown (code ${e.code}: ${e.msg})` };
      return { ok: true, error: { code: e.code, msg: e.msg } };
    }
    return { ok: false, why: `${what} response not understood` };
  };
  const c = half(b.cancelResponse, 'cancel', ours?.cancelled);
  if (!c.ok) return unknown(c.why);
  if (b.cancelResult === 'SUCCESS' ? !('report' in c) : !('error' in c)) return unknown('cancel response contradicts cancelResult');
  if (b.newOrderResult === 'NOT_ATTEMPTED') {
    if (b.newOrderResponse !== null || !('error' in c)) return unknown('new order NOT_ATTEMPTED with a response');
    return { kind: 'OK', body: { result: 'CANCEL_FAILED', cancel_error: c.error } };
  }
  const n = half(b.newOrderResponse, 'new order', ours?.placed);
  if (!n.ok) return unknown(n.why);
  if (b.newOrderResult === 'SUCCESS' ? !('report' in n) : !('error' in n)) return unknown('new order response contradicts newOrderResult');
  if ('report' in c && 'report' in n) return { kind: 'OK', body: { result: 'REPLACED', cancelled: c.report, placed: n.report } };
  if ('report' in c && 'error' in n) return { kind: 'OK', body: { result: 'NEW_FAILED', cancelled: c.report, new_error: n.error } };
  if ('error' in c && 'report' in n) return { kind: 'OK', body: { result: 'CANCEL_FAILED_NEW_PLACED', cancel_error: c.error, placed: n.report } };
  if ('error' in c && 'error' in n) return { kind: 'OK', body: { result: 'BOTH_FAILED', cancel_error: c.error, new_error: n.error } };
  return unknown('halves not understood');
}

/*
 * Reply readers: the one place each venue reply is checked and mapped. Exported so the conformance
 * suite can run Binance's own documented payloads (test/fixtures/binance) through exactly the code
 * the live calls use.
 */
export function readOrder(body: unknown): VenueOutcome<OrderReport> {
  return mapOrder({ kind: 'OK', status: 200, body, headers: {} }, 'read');
}

export function readOrders(body: unknown): VenueOutcome<readonly OrderReport[]> {
  const read = readOpenOrders(body);
  return read.ok ? { kind: 'OK', body: read.reports } : { kind: 'UNKNOWN', reason: read.why };
}

export function readList(body: unknown): VenueOutcome<OrderListReport> {
  return mapList({ kind: 'OK', status: 200, body, headers: {} }, 'read');
}

export function readLists(body: unknown): VenueOutcome<readonly OrderListReport[]> {
  if (!validLists(body) || !(body as RawList[]).every(listUnderstood)) return { kind: 'UNKNOWN', reason: 'openOrderList reply not understood' };
  return { kind: 'OK', body: (body as RawList[]).map(listReport) };
}

export function readTrades(body: unknown): VenueOutcome<readonly TradeReport[]> {
  if (!validTrades(body)) return { kind: 'UNKNOWN', reason: 'myTrades reply not understood' };
  return {
    kind: 'OK',
    body: (body as RawTrade[]).map((t) => ({
      symbol: t.symbol,
      trade_id: t.id,
      order_id: t.orderId,
      order_list_id: t.orderListId ?? -1,
      price: t.price,
      qty: t.qty,
      quote_qty: t.quoteQty ?? '0',
      commission: t.commission,
      commission_asset: t.commissionAsset,
      is_buyer: t.isBuyer,
      is_maker: t.isMaker ?? false,
      ts_ms: t.time,
    })),
  };
}

/**
 * A bookTicker reply for `symbol`: decimal prices, both above zero, the bid not above the ask.
 * Anything else is not understood (UNKNOWN): a quote that prices a protection must be the venue's.
 */
export function readBookTicker(symbol: string, body: unknown, now: number): VenueOutcome<RestQuote> {
  const b = body as { symbol?: unknown; bidPrice?: unknown; askPrice?: unknown } | null;
  if (typeof b !== 'object' || b === null || Array.isArray(b) || b.symbol !== symbol) return { kind: 'UNKNOWN', reason: `bookTicker reply not for ${symbol}` };
  const { bidPrice: bid, askPrice: ask } = b;
  if (!isDecimalString(bid) || !isDecimalString(ask)) return { kind: 'UNKNOWN', reason: 'bookTicker prices are not decimals' };
  const [bidD, askD] = [new Dec(bid), new Dec(ask)];
  if (bidD.lte(0) || askD.lte(0) || bidD.gt(askD)) return { kind: 'UNKNOWN', reason: `bookTicker book not usable (bid ${bid}, ask ${ask})` };
  return { kind: 'OK', body: { symbol, bid, ask, recv_ts_ms: now } };
}

export function readAccount(body: unknown): VenueOutcome<AccountReport> {
  if (!validAccount(body)) return { kind: 'UNKNOWN', reason: 'account reply not understood' };
  const b = body as { canTrade: boolean; balances: { asset: string; free: string; locked: string }[] };
  return { kind: 'OK', body: { can_trade: b.canTrade, balances: b.balances.map((x) => ({ asset: x.asset, free: x.free, locked: x.locked })) } };
}

/** A cancel-replace reply: the 200 body (code null) or the `data` of a -2021/-2022 error. */
export function readCancelReplace(body: unknown, code: -2021 | -2022 | null): VenueOutcome<CancelReplaceResult> {
  return replaceResult(body, code);
}

/**
 * Stage durations (ms) of a traced order: each mark's distance from the one before, starting at the
 * market event's receive time, then the gateway's receipt of the request and the moment it leaves.
 * The stage that contains the AI gate's answer ('gate') has the excluded model time taken out.
 */
export function traceStages(trace: OrderTrace, gatewayRx: number, sent: number): Record<string, number> {
  const out: Record<string, number> = {};
  let prev = trace.tick_ts_ms;
  for (const [name, at] of [...Object.entries(trace.marks ?? {}), ['gateway_rx', gatewayRx] as const, ['sent', sent] as const]) {
    out[name] = Math.round((at - prev - (name === 'gate' ? trace.excluded_ms : 0)) * 1000) / 1000;
    prev = at;
  }
  return out;
}
