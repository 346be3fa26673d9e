import { type Fx } from './decimal.js';
import { type SymbolDef } from './symbols.js';
export type Side = 'BUY' | 'SELL';
export type OrderType = 'LIMIT' | 'MARKET' | 'LIMIT_MAKER' | 'STOP_LOSS' | 'STOP_LOSS_LIMIT' | 'TAKE_PROFIT' | 'TAKE_PROFIT_LIMIT';
export type Status = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';
export interface Fill {
    price: Fx;
    qty: Fx;
    commission: Fx;
    commissionAsset: string;
    tradeId: number;
    maker: boolean;
}
export interface Order {
    symbol: string;
    orderId: number;
    clientOrderId: string;
    apiKey: string;
    side: Side;
    type: OrderType;
    timeInForce: 'GTC' | 'IOC' | 'FOK' | null;
    price: Fx;
    stopPrice: Fx;
    origQty: Fx;
    executedQty: Fx;
    cumQuote: Fx;
    status: Status;
    time: number;
    updateTime: number;
    triggered: boolean;
    locked: Fx;
    lockedAsset: string;
    fills: Fill[];
    /** -1 outside an order list. */
    orderListId: number;
    /** Trailing stop distance in BIPS (null = a plain stop). */
    trailingDelta: number | null;
}
export interface OrderList {
    orderListId: number;
    listClientOrderId: string;
    symbol: string;
    apiKey: string;
    /** [above, below] order ids. */
    orderIds: number[];
    status: 'EXECUTING' | 'ALL_DONE';
    transactionTime: number;
}
/** A validated order that does not exist yet (orderId 0): what commit() puts on the book. */
export interface Draft {
    readonly order: Order;
    /** What it would lock: base for a SELL, quote for a BUY. */
    readonly need: Fx;
    readonly quoteQty: Fx | null;
}
/** Legs of the same list validated before this one. */
export interface ValidateCtx {
    readonly extraOpen?: number;
    readonly extraAlgo?: number;
    readonly takenCids?: readonly string[];
    /** The list checks its one shared lock itself. */
    readonly skipBalance?: boolean;
}
/** A list status change, as the user data stream's listStatus event reports it. */
export interface ListEvent {
    readonly list: OrderList;
    readonly listStatusType: 'EXEC_STARTED' | 'ALL_DONE';
    readonly listOrderStatus: 'EXECUTING' | 'ALL_DONE';
    readonly time: number;
}
/** The new-style name of an OCO leg parameter (abovePrice, belowStopPrice, ...). */
export declare function ocoParamName(leg: 'above' | 'below', param: string): string;
export interface ApiKey {
    apiKey: string;
    secretKey: string;
    canTrade: boolean;
    enableWithdrawals: boolean;
    ipRestrict: boolean;
}
export interface Book {
    bid: Fx;
    ask: Fx;
    bidQty: Fx;
    askQty: Fx;
    last: Fx;
    updateId: number;
}
export type VenueError = {
    http: number;
    code: number;
    msg: string;
};
export type Result<T> = {
    ok: true;
    value: T;
} | {
    ok: false;
    err: VenueError;
};
export interface ExchangeSnapshot {
    nextOrderId: number;
    nextTradeId: number;
    balances: Record<string, Record<string, {
        free: string;
        locked: string;
    }>>;
    orders: Array<Omit<Order, 'price' | 'stopPrice' | 'origQty' | 'executedQty' | 'cumQuote' | 'locked' | 'fills'> & {
        price: string;
        stopPrice: string;
        origQty: string;
        executedQty: string;
        cumQuote: string;
        locked: string;
        fills: Array<Omit<Fill, 'price' | 'qty' | 'commission'> & {
            price: string;
            qty: string;
            commission: string;
        }>;
    }>;
    prices: Record<string, string>;
    symbolStatus: Record<string, string>;
    lists?: OrderList[];
    nextListId?: number;
    /** Trailing stops' best price so far, by orderId. */
    trails?: Record<string, string>;
}
/**
 * The venue's truth: symbols and their filters, a seeded market per symbol, accounts, orders and
 * matching. Pure state machine driven by calls and by `tick()`; the HTTP/WS layers sit on top.
 */
export declare class Exchange {
    readonly now: () => number;
    readonly symbols: Map<string, SymbolDef>;
    readonly books: Map<string, Book>;
    readonly keys: Map<string, ApiKey>;
    readonly balances: Map<string, Map<string, {
        free: Fx;
        locked: Fx;
    }>>;
    readonly orders: Map<number, Order>;
    readonly lists: Map<number, OrderList>;
    /** Best price seen since a trailing stop was placed (highest bid for a SELL, lowest ask for a BUY). */
    private readonly trailRef;
    nextListId: number;
    nextOrderId: number;
    nextTradeId: number;
    paused: boolean;
    private readonly random;
    listeners: Array<(o: Order, fill: Fill | null) => void>;
    listListeners: Array<(e: ListEvent) => void>;
    constructor(seed: number, keys: ApiKey[], now?: () => number);
    addKey(k: ApiKey): void;
    /** One step of the seeded price process for every symbol, then matching against it. */
    tick(): void;
    setPrice(symbol: string, price: Fx): void;
    private bookAround;
    balance(apiKey: string, asset: string): {
        free: Fx;
        locked: Fx;
    };
    /** POST /api/v3/order (and /order/test when `test`). Params are the decoded request parameters. */
    place(apiKey: string, p: Record<string, string>, test?: boolean): Result<Order>;
    /**
     * Every check of a new order (parameters, filters, duplicates, balance) without changing anything:
     * an order list validates all of its legs before the first one exists. `ctx` accounts for legs of
     * the same list validated before this one.
     */
    validate(apiKey: string, p: Record<string, string>, ctx?: ValidateCtx): Result<Draft>;
    /** Puts a validated order on the book: an id, its balance lock (`lock`, default its own need), NEW. */
    private commit;
    /** First matching of a committed order: MARKET fills, a marketable LIMIT takes, IOC/FOK rests expire. */
    private activate;
    cancel(apiKey: string, symbol: string, by: {
        orderId?: number;
        clientOrderId?: string;
    }): Result<Order>;
    /**
     * POST /api/v3/orderList/oco (and the legacy /order/oco mapped onto it): two legs sharing one
     * quantity and one balance lock. Both legs are validated before either exists; when one executes
     * or its stop triggers, the other expires. `name` gives the request's own name of a leg parameter
     * for error messages (the legacy form names them differently).
     */
    placeOco(apiKey: string, p: Record<string, string>, name?: (leg: 'above' | 'below', param: string) => string): Result<OrderList>;
    findList(apiKey: string, by: {
        orderListId?: number;
        listClientOrderId?: string;
    }): OrderList | undefined;
    /** DELETE /api/v3/orderList, or a DELETE /api/v3/order of one leg: every open leg CANCELED. */
    cancelList(list: OrderList): void;
    /** Before a leg trades, the list's shared lock moves onto it (the other leg holds none after). */
    private absorbListLock;
    /** One leg executed or its stop triggered: the other leg EXPIRES and the list is ALL_DONE. */
    private settleList;
    find(apiKey: string, symbol: string, by: {
        orderId?: number;
        clientOrderId?: string;
    }): Order | undefined;
    private fillMarket;
    /** Matches a working order against the current book; `maker` when it rested first. */
    private tryFill;
    private execute;
    private end;
    /** Returns what is still locked for an order that will not trade any more. */
    private release;
    private match;
    private emit;
    private emitList;
    snapshot(): ExchangeSnapshot;
    restore(s: ExchangeSnapshot): void;
}
export declare function isOpen(o: Order): boolean;
//# sourceMappingURL=exchange.d.ts.map