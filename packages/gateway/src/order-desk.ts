import { Ajv } from 'ajv';
import { validateOrder, type OrderToValidate } from '@vigil/core';
import type { AccountReport, JsonObject, NewOco, NewOrder, OcoLeg, OrderListReport, OrderReport, OrderTrace, ReasonCode, TradeReport, VenueOutcome } from '@vigil/contracts';
import type { RestOutcome } from './outcome.js';
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
 * - filter rejections refresh the rules, and repeated ones quarantine the symbol.
 */
const ajv = new Ajv({ allErrors: false, strict: false });
const dec = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' } as const;
const ORDER_SCHEMA = {
  type: 'object',
  required: ['symbol', 'orderId', 'clientOrderId', 'status', 'type', 'side'],
  properties: {
    symbol: { type: 'string' },
    orderId: { type: 'integer' },
    clientOrderId: { type: 'string' },
    status: { enum: ['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'PENDING_CANCEL', 'REJECTED', 'EXPIRED', 'EXPIRED_IN_MATCH'] },
    type: { enum: ['LIMIT', 'MARKET', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'] },
    side: { enum: ['BUY', 'SELL'] },
    price: dec,
    origQty: dec,
    executedQty: dec,
    cummulativeQuoteQty: dec,
    stopPrice: dec,
    fills: { type: 'array', items: { type: 'object', required: ['price', 'qty', 'commission', 'commissionAsset'], properties: { price: dec, qty: dec, commission: dec, commissionAsset: { type: 'string' } } } },
  },
} as const;
const validOrder = ajv.compile(ORDER_SCHEMA);
const LIST_SCHEMA = {
  type: 'object',
  required: ['orderListId', 'listClientOrderId', 'listStatusType', 'listOrderStatus', 'symbol', 'orders'],
  properties: {
    orderListId: { type: 'integer' },
    listClientOrderId: { type: 'string' },
    contingencyType: { type: 'string' },
    listStatusType: { type: 'string' },
    listOrderStatus: { type: 'string' },
    symbol: { type: 'string' },
    orders: { type: 'array', items: { type: 'object', required: ['orderId', 'clientOrderId'], properties: { orderId: { type: 'integer' }, clientOrderId: { type: 'string' } } } },
    orderReports: { type: 'array', items: ORDER_SCHEMA },
  },
} as const;
const validList = ajv.compile(LIST_SCHEMA);
const validLists = ajv.compile({ type: 'array', items: LIST_SCHEMA });
const validTrades = ajv.compile({
  type: 'array',
  items: {
    type: 'object',
    required: ['symbol', 'id', 'orderId', 'price', 'qty', 'commission', 'commissionAsset', 'time', 'isBuyer'],
    properties: { symbol: { type: 'string' }, id: { type: 'integer' }, orderId: { type: 'integer' }, price: dec, qty: dec, quoteQty: dec, commission: dec, commissionAsset: { type: 'string' }, time: { type: 'integer' }, isBuyer: { type: 'boolean' }, isMaker: { type: 'boolean' } },
  },
});
const validOrders = ajv.compile({ type: 'array', items: ORDER_SCHEMA });
const validAccount = ajv.compile({
  type: 'object',
  required: ['canTrade', 'balances'],
  properties: { canTrade: { type: 'boolean' }, balances: { type: 'array', items: { type: 'object', required: ['asset', 'free', 'locked'], properties: { asset: { type: 'string' }, free: dec, locked: dec } } } },
});

/** Filter rejections of one symbol within this window that quarantine it. */
export const QUARANTINE_AFTER = { rejects: 3, windowMs: 10 * 60_000 } as const;

export interface OrderDeskDeps {
  readonly session: VenueSession;
  readonly now: () => number;
  readonly preciseNow?: () => number;
  readonly reason: (code: ReasonCode, on: boolean, detail: JsonObject) => void;
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
  readonly quarantined = new Set<string>();
  readonly tickToOrder: number[] = [];
  private readonly avgCache = new Map<string, { at: number; price: string }>();
  private readonly countCache = new Map<string, { at: number; open: number; algo: number }>();

  constructor(private readonly d: OrderDeskDeps) {}

  async place(order: NewOrder, ctx: { readonly avg_price?: string; readonly open_orders?: number; readonly open_algo_orders?: number } = {}, trace?: OrderTrace): Promise<VenueOutcome<OrderReport>> {
    const refused = await this.checkLocally(order.symbol, [order], ctx);
    if (refused) return refused;
    this.countCache.delete(order.symbol);
    if (trace && this.d.preciseNow) {
      this.tickToOrder.push(this.d.preciseNow() - trace.tick_ts_ms - trace.excluded_ms);
      if (this.tickToOrder.length > TRACE_SAMPLES) this.tickToOrder.shift();
    }
    const out = await this.d.session.signedWithResync('POST', '/api/v3/order', { ...orderParams(order), newClientOrderId: order.client_order_id, newOrderRespType: 'FULL' }, { weight: 1, kind: 'order' });
    // The venue has executed the entry and answered; the engine has not heard: killed here, the
    // outcome is known only to the venue.
    if (order.client_order_id.startsWith('vge')) this.d.crash?.('after_send_before_response', { client_order_id: order.client_order_id, outcome: out.kind });
    if (out.kind === 'REJECTED' && out.code === -1013) await this.onFilterReject(order.symbol, out.msg);
    return mapOrder(out, 'order');
  }

  /** The venue's own validation without placing anything: used before a protection swap cancels anything. */
  async test(order: NewOrder): Promise<VenueOutcome<Record<string, never>>> {
    const refused = await this.checkLocally(order.symbol, [order], {});
    if (refused) return refused;
    const out = await this.d.session.signedWithResync('POST', '/api/v3/order/test', orderParams(order), { weight: 1, kind: 'read' });
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
    const refused = await this.checkLocally(oco.symbol, [leg(oco.above), leg(oco.below)], {});
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
    const out = await this.d.session.signedWithResync('POST', '/api/v3/orderList/oco', params, { weight: 1, kind: 'order', newOrders: 2 });
    if (out.kind === 'REJECTED' && out.code === -1013) await this.onFilterReject(oco.symbol, out.msg);
    return mapList(out, 'order');
  }

  async cancelList(symbol: string, listClientOrderId: string): Promise<VenueOutcome<OrderListReport>> {
    this.countCache.delete(symbol);
    const out = await this.d.session.signedWithResync('DELETE', '/api/v3/orderList', { symbol, listClientOrderId }, { weight: 1, kind: 'order', newOrders: 0 });
    return mapList(out, 'order');
  }

  async queryList(listClientOrderId: string): Promise<VenueOutcome<OrderListReport>> {
    const out = await this.d.session.signedWithResync('GET', '/api/v3/orderList', { origClientOrderId: listClientOrderId }, { weight: 4, kind: 'read' });
    return mapList(out, 'read');
  }

  async openLists(): Promise<VenueOutcome<readonly OrderListReport[]>> {
    const out = await this.d.session.signedWithResync('GET', '/api/v3/openOrderList', {}, { weight: 6, kind: 'read' });
    if (out.kind !== 'OK') return wire(out);
    if (!validLists(out.body)) return { kind: 'UNKNOWN', reason: 'openOrderList reply not understood' };
    return { kind: 'OK', body: (out.body as RawList[]).map(listReport) };
  }

  async trades(symbol: string, startMs: number | null): Promise<VenueOutcome<readonly TradeReport[]>> {
    const out = await this.d.session.signedWithResync('GET', '/api/v3/myTrades', startMs === null ? { symbol } : { symbol, startTime: String(startMs) }, { weight: 20, kind: 'read' });
    if (out.kind !== 'OK') return wire(out);
    if (!validTrades(out.body)) return { kind: 'UNKNOWN', reason: 'myTrades reply not understood' };
    return {
      kind: 'OK',
      body: (out.body as RawTrade[]).map((t) => ({
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
   * Local validation against the symbol's current rules, with the context MAX_NUM_ORDERS and
   * PERCENT_PRICE need (asked of the venue when the caller has none). A refusal is NOT_SENT.
   */
  private async checkLocally(symbol: string, orders: readonly NewOrder[], ctx: { readonly avg_price?: string; readonly open_orders?: number; readonly open_algo_orders?: number }): Promise<VenueOutcome<never> | null> {
    const rules = this.d.session.rules.get(symbol);
    if (!rules) return notSent('NO_RULES', `no exchange rules loaded for ${symbol}`);
    if (this.quarantined.has(symbol)) return notSent('SYMBOL_QUARANTINED', `${symbol} is quarantined after repeated filter rejections`);
    const avg = ctx.avg_price ?? (await this.avgPrice(symbol));
    let counts = ctx.open_orders !== undefined && ctx.open_algo_orders !== undefined ? { open: ctx.open_orders, algo: ctx.open_algo_orders } : null;
    const cached = this.countCache.get(symbol);
    if (!counts && cached && this.d.now() - cached.at < OPEN_COUNT_TTL_MS) counts = cached;
    if (!counts) {
      const open = await this.openOrders(symbol);
      if (open.kind !== 'OK') return notSent('NO_CONTEXT', `open orders unavailable (${open.kind}): cannot check MAX_NUM_ORDERS`);
      counts = { open: open.body.length, algo: open.body.filter((o) => isAlgo(o.type)).length };
    }
    let extra = 0;
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
        openOrders: counts.open + extra,
        openAlgoOrders: counts.algo + extraAlgo,
      });
      if (!v.ok) return notSent('LOCAL_VALIDATION', `${order.client_order_id}: ${v.filter}: ${v.reason}`);
      extra++;
      if (isAlgo(order.type)) extraAlgo++;
    }
    return null;
  }

  async cancel(symbol: string, clientOrderId: string): Promise<VenueOutcome<OrderReport>> {
    this.countCache.delete(symbol);
    const out = await this.d.session.signedWithResync('DELETE', '/api/v3/order', { symbol, origClientOrderId: clientOrderId }, { weight: 1, kind: 'order', newOrders: 0 });
    return mapOrder(out, 'order');
  }

  async query(symbol: string, clientOrderId: string): Promise<VenueOutcome<OrderReport>> {
    const out = await this.d.session.signedWithResync('GET', '/api/v3/order', { symbol, origClientOrderId: clientOrderId }, { weight: 4, kind: 'read' });
    return mapOrder(out, 'read');
  }

  async openOrders(symbol: string | null): Promise<VenueOutcome<readonly OrderReport[]>> {
    const out = await this.d.session.signedWithResync('GET', '/api/v3/openOrders', symbol ? { symbol } : {}, { weight: symbol ? 6 : 80, kind: 'read' });
    if (out.kind !== 'OK') return wire(out);
    if (!validOrders(out.body)) return { kind: 'UNKNOWN', reason: 'openOrders reply not understood' };
    const body = (out.body as RawOrder[]).map(report);
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
    if (!validAccount(out.body)) return { kind: 'UNKNOWN', reason: 'account reply not understood' };
    const b = out.body as { canTrade: boolean; balances: { asset: string; free: string; locked: string }[] };
    return { kind: 'OK', body: { can_trade: b.canTrade, balances: b.balances.map((x) => ({ asset: x.asset, free: x.free, locked: x.locked })) } };
  }

  /** The venue's average price for percent-price and market notional checks; ticker price as fallback. */
  async warmAvgPrices(symbols: readonly string[]): Promise<void> {
    for (const s of symbols) {
      const p = await this.fetchAvgPrice(s);
      if (p !== undefined) this.avgCache.set(s, { at: this.d.now(), price: p });
    }
  }

  private async avgPrice(symbol: string): Promise<string | undefined> {
    const c = this.avgCache.get(symbol);
    if (c && this.d.now() - c.at < AVG_PRICE_TTL_MS) return c.price;
    const p = await this.fetchAvgPrice(symbol);
    if (p !== undefined) this.avgCache.set(symbol, { at: this.d.now(), price: p });
    return p;
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
    const recent = (this.filterRejects.get(symbol) ?? []).filter((t) => now - t < QUARANTINE_AFTER.windowMs);
    recent.push(now);
    this.filterRejects.set(symbol, recent);
    this.d.reason('FILTER_REJECT', true, { symbol, msg, count: recent.length });
    // Our rules were out of date or our check missed something: reload them at once.
    await this.d.session.refreshFilters();
    if (recent.length >= QUARANTINE_AFTER.rejects && !this.quarantined.has(symbol)) {
      this.quarantined.add(symbol);
      this.d.reason('SYMBOL_QUARANTINED', true, { symbols: [...this.quarantined], last: msg });
    }
  }
}

type RawList = {
  symbol: string;
  orderListId: number;
  listClientOrderId: string;
  contingencyType?: string;
  listStatusType: string;
  listOrderStatus: string;
  orders: { orderId: number; clientOrderId: string }[];
  orderReports?: RawOrder[];
};

type RawTrade = { symbol: string; id: number; orderId: number; orderListId?: number; price: string; qty: string; quoteQty?: string; commission: string; commissionAsset: string; time: number; isBuyer: boolean; isMaker?: boolean };

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

function mapList(out: RestOutcome, kind: 'order' | 'read'): VenueOutcome<OrderListReport> {
  if (out.kind !== 'OK') return wire(out);
  if (!validList(out.body)) return { kind: 'UNKNOWN', reason: `${kind === 'order' ? 'order list' : 'order list query'} reply not understood` };
  return { kind: 'OK', body: listReport(out.body as RawList) };
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
    client_order_id: o.clientOrderId,
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
    fills: (o.fills ?? []).map((f) => ({ price: f.price, qty: f.qty, commission: f.commission, commission_asset: f.commissionAsset, trade_id: f.tradeId ?? null })),
  };
}

function mapOrder(out: RestOutcome, kind: 'order' | 'read'): VenueOutcome<OrderReport> {
  if (out.kind !== 'OK') return wire(out);
  if (!validOrder(out.body)) {
    // On an order call a reply we cannot read may still mean the order exists: UNKNOWN, not failed.
    return { kind: 'UNKNOWN', reason: `${kind === 'order' ? 'order' : 'query'} reply not understood` };
  }
  return { kind: 'OK', body: report(out.body as RawOrder) };
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
