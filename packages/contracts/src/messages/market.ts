import { fields } from '../checks.js';
import type { ChannelSpec, Direction } from '../frames.js';
import type { JsonObject } from '../envelope.js';
import type { SymbolRules } from '../symbol-rules.js';

/**
 * engine <-> exchange-gateway. The gateway's typed outcomes, market data and user events grow here
 * with the gateway issue; until then the channel carries health and a liveness probe.
 */
export interface GatewayHealth {
  readonly ts_ms: number;
  readonly rest: 'UNKNOWN' | 'OK' | 'DEGRADED' | 'DOWN';
  readonly ws: 'UNKNOWN' | 'CONNECTED' | 'RECONNECTING' | 'DOWN';
  readonly clock_offset_ms: number | null;
  readonly used_weight_pct: number | null;
  readonly filters_age_ms: number | null;
  readonly detail: JsonObject;
}

/** Best bid/ask of a symbol as the market stream delivered it (decimal strings). */
export interface BookTick {
  readonly symbol: string;
  readonly update_id: number;
  readonly bid: string;
  readonly bid_qty: string;
  readonly ask: string;
  readonly ask_qty: string;
  readonly recv_ts_ms: number;
}

/** A best bid and ask read over REST, with when the answer arrived (this process's clock). */
export interface RestQuote {
  readonly symbol: string;
  readonly bid: string;
  readonly ask: string;
  readonly recv_ts_ms: number;
}

/** The venue's account events, normalized (decimals as strings). */
export type UserEvent =
  | {
      readonly kind: 'order';
      readonly symbol: string;
      readonly client_order_id: string;
      readonly order_id: number;
      readonly side: OrderSide;
      readonly type: string;
      readonly status: string;
      readonly exec_type: string;
      readonly price: string;
      readonly orig_qty: string;
      readonly last_qty: string;
      readonly last_price: string;
      readonly cum_qty: string;
      readonly cum_quote: string;
      readonly commission: string;
      readonly commission_asset: string | null;
      readonly trade_id: number;
      readonly ts_ms: number;
    }
  | {
      readonly kind: 'balances';
      readonly ts_ms: number;
      readonly balances: readonly { readonly asset: string; readonly free: string; readonly locked: string }[];
    }
  /** listStatus: an order list started, changed or ended (the legs' own reports come as 'order'). */
  | {
      readonly kind: 'list_status';
      readonly symbol: string;
      readonly order_list_id: number;
      readonly list_client_order_id: string;
      readonly contingency_type: string;
      readonly list_status_type: string;
      readonly list_order_status: string;
      readonly list_reject_reason: string;
      readonly orders: readonly { readonly order_id: number; readonly client_order_id: string }[];
      readonly ts_ms: number;
    }
  /** balanceUpdate: a deposit, withdrawal or transfer changed an asset's balance by `delta`. */
  | { readonly kind: 'balance_delta'; readonly asset: string; readonly delta: string; readonly ts_ms: number }
  /** externalLockUpdate: an amount of an asset locked or released outside spot trading. */
  | { readonly kind: 'external_lock'; readonly asset: string; readonly delta: string; readonly ts_ms: number };

// --- gateway -> engine
export type GatewayEvent =
  | { readonly type: 'gateway_health'; readonly health: GatewayHealth }
  | { readonly type: 'book_tick'; readonly tick: BookTick }
  /** The market stream (re)connected: anything derived from earlier data may be stale. */
  | { readonly type: 'market_gap'; readonly ts_ms: number; readonly why: string }
  | { readonly type: 'user_event'; readonly event: UserEvent }
  /** The user stream was (re)subscribed or lost: account state must be reconciled over REST. */
  | { readonly type: 'user_stream_gap'; readonly ts_ms: number; readonly why: string }
  /** The symbols' trading rules after every successful exchangeInfo refresh (and on attach). */
  | { readonly type: 'rules'; readonly ts_ms: number; readonly rules: readonly SymbolRules[]; readonly quarantined: readonly string[] };
export type GatewayRequests = Record<never, never>;

/**
 * A venue call's outcome as it crosses threads. The engine must handle every kind: UNKNOWN means
 * "may have executed" and is resolved only by query_order on the clientOrderId, never by resending.
 */
export type VenueOutcome<T> =
  | { readonly kind: 'OK'; readonly body: T }
  | { readonly kind: 'REJECTED'; readonly code: number; readonly msg: string }
  | { readonly kind: 'UNKNOWN'; readonly reason: string }
  | { readonly kind: 'THROTTLED'; readonly status: 429 | 418; readonly retry_after_ms: number }
  | { readonly kind: 'NETWORK_BEFORE_SEND'; readonly reason: string }
  | { readonly kind: 'NOT_SENT'; readonly cause: string; readonly wait_ms: number | null; readonly detail: string };

export const ORDER_TYPES = ['LIMIT', 'MARKET', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];
export type OrderSide = 'BUY' | 'SELL';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';
/** PENDING_NEW: a pending leg of an OTO/OTOCO (or OPO/OPOCO) list, not yet working (open, unfilled). */
export const ORDER_STATUSES = [
  'NEW',
  'PARTIALLY_FILLED',
  'FILLED',
  'CANCELED',
  'PENDING_CANCEL',
  'REJECTED',
  'EXPIRED',
  'EXPIRED_IN_MATCH',
  'PENDING_NEW',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Decimal values are strings, exactly as the venue wrote them or as quantization produced them. */
export interface NewOrder {
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly client_order_id: string;
  readonly quantity?: string;
  readonly quote_order_qty?: string;
  readonly price?: string;
  readonly stop_price?: string;
  readonly trailing_delta?: number;
  readonly time_in_force?: TimeInForce;
}

/**
 * Latency tracing of one order: the precise receive time of the market event that triggered it,
 * and time to leave out of the figure (the AI gate's answer). The gateway measures when the request
 * leaves.
 */
export interface OrderTrace {
  readonly tick_ts_ms: number;
  readonly excluded_ms: number;
  /**
   * Where the time went: the precise time (epoch ms, fractional) the order passed each named point
   * on its way, in path order (engine receive, cycle, decision, gate, risk, intent commit request and
   * acknowledgement, request to the gateway). The gateway adds its own and keeps the stage durations.
   */
  readonly marks?: Readonly<Record<string, number>>;
}

export interface OrderFill {
  readonly price: string;
  readonly qty: string;
  readonly commission: string;
  readonly commission_asset: string;
  readonly trade_id: number | null;
}

export interface OrderReport {
  readonly symbol: string;
  readonly order_id: number;
  /** -1 for an order outside any list. */
  readonly order_list_id: number;
  readonly client_order_id: string;
  readonly status: OrderStatus;
  readonly type: OrderType;
  readonly side: OrderSide;
  readonly price: string;
  readonly orig_qty: string;
  readonly executed_qty: string;
  readonly cummulative_quote_qty: string;
  readonly time_in_force: string | null;
  readonly stop_price: string | null;
  readonly ts_ms: number | null;
  readonly fills: readonly OrderFill[];
  /**
   * Someone else's open order carrying a status or type this build does not model (Binance adds
   * enum values without notice): the raw values, while `status` says NEW (it is on the open list)
   * and `type` LIMIT (counted as an order, not an algo order: never stricter than the venue). An
   * order of ours is never reported so: its reply is UNKNOWN instead.
   */
  readonly unrecognised?: { readonly status?: string; readonly type?: string };
}

/** One leg of an OCO: the venue's "above" (higher price) or "below" order. */
export interface OcoLeg {
  readonly type: 'LIMIT_MAKER' | 'STOP_LOSS' | 'STOP_LOSS_LIMIT' | 'TAKE_PROFIT' | 'TAKE_PROFIT_LIMIT';
  readonly client_order_id: string;
  readonly price?: string;
  readonly stop_price?: string;
  readonly time_in_force?: TimeInForce;
}

export interface NewOco {
  readonly symbol: string;
  readonly side: OrderSide;
  readonly quantity: string;
  readonly list_client_order_id: string;
  readonly above: OcoLeg;
  readonly below: OcoLeg;
}

export interface OrderListReport {
  readonly symbol: string;
  readonly order_list_id: number;
  readonly list_client_order_id: string;
  readonly contingency_type: string;
  /** EXEC_STARTED | ALL_DONE | RESPONSE ... as the venue wrote it. */
  readonly list_status_type: string;
  readonly list_order_status: string;
  readonly orders: readonly { readonly order_id: number; readonly client_order_id: string }[];
  /** Full reports of the legs when the venue sent them (placement and cancel replies). */
  readonly reports: readonly OrderReport[];
}

/**
 * One venue call that cancels an order and places another on the same symbol
 * (POST /api/v3/order/cancelReplace). STOP_ON_FAILURE: the new order is not attempted when the
 * cancel fails; ALLOW_FAILURE: it is attempted anyway.
 */
export interface CancelReplace {
  readonly symbol: string;
  readonly cancel_client_order_id: string;
  readonly mode: 'STOP_ON_FAILURE' | 'ALLOW_FAILURE';
  /** ONLY_NEW: the cancel fails (-2011) if the order has filled in part; default: no restriction. */
  readonly cancel_restrictions?: 'ONLY_NEW' | 'ONLY_PARTIALLY_FILLED';
  /** Same symbol as the order it replaces. */
  readonly order: NewOrder;
}

/** A definitive error of one half of a cancel-replace, as the venue reported it. */
export interface HalfError {
  readonly code: number;
  readonly msg: string;
}

/**
 * What the venue did with each half of a cancel-replace it answered definitively. A refusal of the
 * whole request before either half (parameters, filters, order count) is REJECTED instead, and an
 * answer that does not prove what happened is UNKNOWN: both are VenueOutcome kinds, not results.
 * `cancelled` reports the cancelled order under its own clientOrderId.
 */
export type CancelReplaceResult =
  | { readonly result: 'REPLACED'; readonly cancelled: OrderReport; readonly placed: OrderReport }
  /** STOP_ON_FAILURE and the cancel failed: the new order was not attempted; nothing changed. */
  | { readonly result: 'CANCEL_FAILED'; readonly cancel_error: HalfError }
  /** The cancel succeeded, the new order failed: the symbol now has neither order. */
  | { readonly result: 'NEW_FAILED'; readonly cancelled: OrderReport; readonly new_error: HalfError }
  /** ALLOW_FAILURE: the cancel failed (the old order may still be open) and the new order exists. */
  | { readonly result: 'CANCEL_FAILED_NEW_PLACED'; readonly cancel_error: HalfError; readonly placed: OrderReport }
  /** ALLOW_FAILURE: both halves failed; nothing changed. */
  | { readonly result: 'BOTH_FAILED'; readonly cancel_error: HalfError; readonly new_error: HalfError };

/** Rows per myTrades page the gateway asks for (Binance's maximum `limit`). */
export const MY_TRADES_PAGE = 1000;

export interface TradeReport {
  readonly symbol: string;
  readonly trade_id: number;
  readonly order_id: number;
  readonly order_list_id: number;
  readonly price: string;
  readonly qty: string;
  readonly quote_qty: string;
  readonly commission: string;
  readonly commission_asset: string;
  readonly is_buyer: boolean;
  readonly is_maker: boolean;
  readonly ts_ms: number;
}

export interface AccountReport {
  readonly can_trade: boolean;
  readonly balances: readonly { readonly asset: string; readonly free: string; readonly locked: string }[];
}

// --- engine -> gateway
export type EngineEvent = never;
export type EngineRequests = {
  readonly gateway_ping: { readonly input: { readonly sent_ts_ms: number }; readonly output: { readonly sent_ts_ms: number; readonly gateway_ts_ms: number } };
  /** Sent at most once, whatever happens. Validated against the symbol's rules before it leaves. */
  /**
   * `context`: the open-order counts of the symbol as the engine knows them (its own orders plus
   * foreign ones seen at the last reconcile), so MAX_NUM_ORDERS is checked without a REST call.
   */
  readonly place_order: {
    readonly input: {
      readonly order: NewOrder;
      readonly trace?: OrderTrace;
      readonly context?: { readonly open_orders: number; readonly open_algo_orders: number };
    };
    readonly output: VenueOutcome<OrderReport>;
  };
  readonly cancel_order: { readonly input: { readonly symbol: string; readonly client_order_id: string }; readonly output: VenueOutcome<OrderReport> };
  /** The question that resolves SENT_UNKNOWN: -2013 comes back as REJECTED code -2013. */
  readonly query_order: { readonly input: { readonly symbol: string; readonly client_order_id: string }; readonly output: VenueOutcome<OrderReport> };
  readonly open_orders: { readonly input: { readonly symbol: string | null }; readonly output: VenueOutcome<readonly OrderReport[]> };
  readonly account: { readonly input: Record<string, never>; readonly output: VenueOutcome<AccountReport> };
  /** Validates an order on the venue without placing it (POST /api/v3/order/test). */
  readonly test_order: { readonly input: { readonly order: NewOrder }; readonly output: VenueOutcome<Record<string, never>> };
  /** Sent at most once, like place_order; never retried. The engine's re-quote with requote_mode cancel_replace. */
  readonly cancel_replace: { readonly input: { readonly request: CancelReplace }; readonly output: VenueOutcome<CancelReplaceResult> };
  /** Sent at most once, like place_order. */
  readonly place_oco: { readonly input: { readonly oco: NewOco }; readonly output: VenueOutcome<OrderListReport> };
  readonly cancel_order_list: {
    readonly input: { readonly symbol: string; readonly list_client_order_id: string };
    readonly output: VenueOutcome<OrderListReport>;
  };
  readonly query_order_list: { readonly input: { readonly list_client_order_id: string }; readonly output: VenueOutcome<OrderListReport> };
  readonly open_order_lists: { readonly input: Record<string, never>; readonly output: VenueOutcome<readonly OrderListReport[]> };
  /**
   * One page of the account's trades on a symbol, ascending by trade id: from `from_id` (inclusive)
   * when given, else from `start_ms` (within Binance's 24 h window), else the most recent ones. At most
   * MY_TRADES_PAGE rows: a full page means there may be more (page on with the last id + 1).
   */
  readonly my_trades: {
    readonly input: { readonly symbol: string; readonly start_ms: number | null; readonly from_id: number | null };
    readonly output: VenueOutcome<readonly TradeReport[]>;
  };
  /**
   * The symbol's best bid and ask asked of the venue over REST (GET /api/v3/ticker/bookTicker): the
   * engine's way to price the protection of a position while the market stream is silent.
   */
  readonly book_ticker: { readonly input: { readonly symbol: string }; readonly output: VenueOutcome<RestQuote> };
  /** The gateway re-sends the rules event (the engine asks after a restart of either side). */
  readonly rules_now: { readonly input: Record<string, never>; readonly output: { readonly sent: boolean } };
};

export type GatewaySide = Direction<GatewayEvent, GatewayRequests>;
export type EngineSide = Direction<{ readonly type: never }, EngineRequests>;

/** a = engine, b = gateway. */
export const MARKET_CHANNEL: ChannelSpec = {
  name: 'market',
  a: {
    events: {},
    requests: {
      gateway_ping: fields({ sent_ts_ms: 'number' }),
      place_order: fields({ order: 'object' }),
      cancel_order: fields({ symbol: 'string', client_order_id: 'string' }),
      query_order: fields({ symbol: 'string', client_order_id: 'string' }),
      open_orders: fields({ symbol: 'string|null' }),
      account: null,
      test_order: fields({ order: 'object' }),
      cancel_replace: fields({ request: 'object' }),
      place_oco: fields({ oco: 'object' }),
      cancel_order_list: fields({ symbol: 'string', list_client_order_id: 'string' }),
      query_order_list: fields({ list_client_order_id: 'string' }),
      open_order_lists: null,
      my_trades: fields({ symbol: 'string', start_ms: 'number|null', from_id: 'number|null' }),
      book_ticker: fields({ symbol: 'string' }),
      rules_now: null,
    },
  },
  b: {
    events: {
      gateway_health: fields({ health: 'object' }),
      book_tick: fields({ tick: 'object' }),
      market_gap: fields({ ts_ms: 'number', why: 'string' }),
      user_event: fields({ event: 'object' }),
      user_stream_gap: fields({ ts_ms: 'number', why: 'string' }),
      rules: fields({ ts_ms: 'number', rules: 'array', quarantined: 'array' }),
    },
    requests: {},
  },
};
