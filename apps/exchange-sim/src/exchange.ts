import {
  commissionOf,
  filterFailure,
  levelSpacing,
  ORDER_TYPES,
  restingTakes,
  STOP_TYPES,
  stopHit,
  takerPlan,
  touchAround,
  trailStart,
  trailStep,
  walkCost,
  type Level,
  type OrderType,
  type Side,
} from '@vigil/matching';
import { div, floorStep, fmt, fx, max, min, mul, parseFx, type Fx } from './decimal.js';
import { rng } from './rng.js';
import { defaultSymbols, type SymbolDef } from './symbols.js';

/** An entry the simulator's own bookkeeping guarantees: its absence is a bug here, and says which. */
function must<K, V>(m: ReadonlyMap<K, V>, k: K, what: string): V {
  const v = m.get(k);
  if (v === undefined) throw new Error(`exchange-sim: no ${what} for ${String(k)}`);
  return v;
}

// The matching rules (triggers, takes, commission, filters) are the shared package's (@vigil/matching).
export type { Level, OrderType, Side };
/** PENDING_NEW: a pending leg of an OTO/OTOCO list, waiting for its working order to fill. */
export type Status = 'PENDING_NEW' | 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED' | 'EXPIRED_IN_MATCH';
/** Self-trade prevention modes this venue allows (exchangeInfo allowedSelfTradePreventionModes). */
export const STP_MODES = ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'] as const;
export type StpMode = (typeof STP_MODES)[number];

/** One match self-trade prevention stopped: the taker met a resting order of the same account. */
export interface PreventedMatch {
  readonly preventedMatchId: number;
  readonly makerOrderId: number;
  readonly price: Fx;
  /** What expired of the taker (EXPIRE_TAKER, EXPIRE_BOTH), of the maker (EXPIRE_MAKER, EXPIRE_BOTH). */
  readonly takerPreventedQuantity: Fx | null;
  readonly makerPreventedQuantity: Fx | null;
}

export interface Fill {
  price: Fx;
  qty: Fx;
  commission: Fx;
  commissionAsset: string;
  tradeId: number;
  maker: boolean;
  /** When it traded (older state files lack it: the order's updateTime stands in). */
  time?: number;
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
  /** The cancel's own clientOrderId once cancelled (Binance reports it as `clientOrderId`/`c`). */
  cancelClientOrderId?: string;
  /** The order's selfTradePreventionMode (the symbol's default, EXPIRE_MAKER, when not sent). */
  stpMode?: StpMode;
  /** Set when self-trade prevention expired this order (EXPIRED_IN_MATCH). */
  preventedMatchId?: number;
  preventedQuantity?: Fx;
  /** The other order of that prevented match. */
  counterOrderId?: number;
  /** As a taker: the matches self-trade prevention stopped (FULL response `preventedMatches`). */
  preventedMatches?: PreventedMatch[];
  /** When a pending leg of an OTO/OTOCO went on the book (absent: it worked from `time`). */
  workingTime?: number;
}

export interface OrderList {
  orderListId: number;
  listClientOrderId: string;
  symbol: string;
  apiKey: string;
  /** OCO: [above, below]; OTO: [working, pending]; OTOCO: [working, pending above, pending below]. */
  orderIds: number[];
  status: 'EXECUTING' | 'ALL_DONE';
  transactionTime: number;
  /** Binance reports OTOCO lists as OTO too (rest-api.md, the OTOCO example). */
  contingencyType: 'OCO' | 'OTO';
  /** OTO/OTOCO: the working order, whose full fill puts the pending legs on the book. */
  workingOrderId?: number;
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
  /** A cancel-replace's order to cancel: not counted as open (its slot and clientOrderId free up). */
  readonly excludeOrderId?: number;
}

/**
 * What a cancel-replace did. `refused`: nothing happened (parameters, filters or order count of the
 * new order failed first, as Binance evaluates them before either half). Otherwise the cancel's
 * result, and the new order's (NOT_ATTEMPTED when STOP_ON_FAILURE stopped after a failed cancel).
 */
export type CancelReplaceOutcome =
  | { readonly refused: VenueError }
  | { readonly refused: null; readonly cancel: Result<Order>; readonly cancelClientOrderId: string; readonly placed: Result<Order> | 'NOT_ATTEMPTED' };

/** A list status change, as the user data stream's listStatus event reports it. */
export interface ListEvent {
  readonly list: OrderList;
  readonly listStatusType: 'EXEC_STARTED' | 'ALL_DONE';
  readonly listOrderStatus: 'EXECUTING' | 'ALL_DONE';
  readonly time: number;
}

/** The new-style name of an OCO leg parameter (abovePrice, belowStopPrice, ...). */
export function ocoParamName(leg: 'above' | 'below', param: string): string {
  const k = param === 'newClientOrderId' ? 'clientOrderId' : param;
  return `${leg}${k[0]!.toUpperCase()}${k.slice(1)}`;
}

export interface ApiKey {
  apiKey: string;
  /** HMAC secret (an Ed25519 key has none: its requests are verified with publicKeyPem). */
  secretKey: string;
  /** An Ed25519 key: signatures (base64) are verified against this public key (SPKI PEM). */
  publicKeyPem?: string;
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
  /** Best first; takers consume them, each tick rebuilds them around the new price. */
  bids: Level[];
  asks: Level[];
}

/** Displayed quantity per level (each side) and how many levels the book shows. */
export interface Liquidity {
  bidQty: Fx;
  askQty: Fx;
  levels: number;
}

/** A print on the tape: a user's fill or the market's own trade of the tick. */
export interface TradePrint {
  readonly symbol: string;
  readonly id: number;
  readonly price: Fx;
  readonly qty: Fx;
  readonly time: number;
  /** The buyer was the resting side (a sell took it). */
  readonly buyerMaker: boolean;
}

/** avgPriceMins of PERCENT_PRICE_BY_SIDE and NOTIONAL (exchangeInfo), and GET /api/v3/avgPrice's `mins`. */
export const AVG_PRICE_MINS = 5;

export type Regime = 'calm' | 'volatile';
/** Per tick: the chance a calm market turns volatile, and a volatile one calms down. */
export const REGIME_SWITCH = { toVolatile: 0.004, toCalm: 0.02, volatileMultiplier: 4 } as const;

export type VenueError = { http: number; code: number; msg: string };
export type Result<T> = { ok: true; value: T } | { ok: false; err: VenueError };

const E = (http: number, code: number, msg: string): { ok: false; err: VenueError } => ({ ok: false, err: { http, code, msg } });

export interface ExchangeSnapshot {
  nextOrderId: number;
  nextTradeId: number;
  balances: Record<string, Record<string, { free: string; locked: string }>>;
  orders: Array<
    Omit<Order, 'price' | 'stopPrice' | 'origQty' | 'executedQty' | 'cumQuote' | 'locked' | 'fills' | 'preventedQuantity' | 'preventedMatches'> & {
      preventedQuantity?: string;
      preventedMatches?: Array<{
        preventedMatchId: number;
        makerOrderId: number;
        price: string;
        takerPreventedQuantity: string | null;
        makerPreventedQuantity: string | null;
      }>;
      price: string;
      stopPrice: string;
      origQty: string;
      executedQty: string;
      cumQuote: string;
      locked: string;
      fills: Array<Omit<Fill, 'price' | 'qty' | 'commission'> & { price: string; qty: string; commission: string }>;
    }
  >;
  prices: Record<string, string>;
  symbolStatus: Record<string, string>;
  /** contingencyType is absent from state files written before OTO lists existed. */
  lists?: Array<Omit<OrderList, 'contingencyType'> & { contingencyType?: OrderList['contingencyType'] }>;
  nextListId?: number;
  /** Trailing stops' best price so far, by orderId. */
  trails?: Record<string, string>;
  liquidity?: Record<string, { bidQty: string; askQty: string; levels: number }>;
  regimes?: Record<string, Regime>;
  nextPreventedMatchId?: number;
}

/**
 * The venue's truth: symbols and their filters, a seeded market per symbol, accounts, orders and
 * matching. Pure state machine driven by calls and by `tick()`; the HTTP/WS layers sit on top.
 */
export class Exchange {
  readonly symbols = new Map<string, SymbolDef>();
  readonly books = new Map<string, Book>();
  readonly keys = new Map<string, ApiKey>();
  readonly balances = new Map<string, Map<string, { free: Fx; locked: Fx }>>();
  readonly orders = new Map<number, Order>();
  readonly lists = new Map<number, OrderList>();
  /** Best price seen since a trailing stop was placed (highest bid for a SELL, lowest ask for a BUY). */
  private readonly trailRef = new Map<number, Fx>();
  readonly liquidity = new Map<string, Liquidity>();
  readonly regimes = new Map<string, Regime>();
  /** A regime pinned by the admin API (tests); absent = the seeded switching decides. */
  readonly pinnedRegime = new Map<string, Regime>();
  nextListId = 1;
  nextOrderId = 1;
  nextTradeId = 1;
  nextPreventedMatchId = 0;
  paused = false;
  private readonly random: () => number;
  /** Separate streams so regimes and the tape do not shift the price walk or generated ids. */
  private readonly regimeRandom: () => number;
  private readonly tapeRandom: () => number;
  listeners: Array<(o: Order, fill: Fill | null) => void> = [];
  listListeners: Array<(e: ListEvent) => void> = [];
  tradeListeners: Array<(t: TradePrint) => void> = [];
  /** An admin balance edit (a deposit or withdrawal as the account sees it). */
  balanceListeners: Array<(apiKey: string, asset: string, delta: Fx, time: number) => void> = [];

  constructor(
    seed: number,
    keys: ApiKey[],
    readonly now: () => number = Date.now,
  ) {
    this.random = rng(seed);
    this.regimeRandom = rng(seed ^ 0x7e61e);
    this.tapeRandom = rng(seed ^ 0x7a9e);
    for (const s of defaultSymbols()) {
      this.symbols.set(s.symbol, s);
      this.liquidity.set(s.symbol, { bidQty: s.touchBidQty, askQty: s.touchAskQty, levels: s.depthLevels });
      this.regimes.set(s.symbol, 'calm');
      this.books.set(s.symbol, this.bookAround(s, s.startPrice, 1));
    }
    for (const k of keys) this.addKey(k);
  }

  addKey(k: ApiKey): void {
    this.keys.set(k.apiKey, k);
    if (!this.balances.has(k.apiKey)) {
      this.balances.set(
        k.apiKey,
        new Map([
          ['USDT', { free: fx('10000'), locked: 0n }],
          ['BTC', { free: fx('0.5'), locked: 0n }],
          ['ETH', { free: fx('5'), locked: 0n }],
          ['BNB', { free: fx('20'), locked: 0n }],
        ]),
      );
    }
  }

  /**
   * One step of the seeded price process for every symbol, then matching against it, then the
   * market's own print of the tick. The process is a random walk with occasional jumps whose size
   * depends on a regime (calm or volatile) that switches as a seeded two-state Markov chain.
   */
  tick(): void {
    if (this.paused) return;
    for (const s of this.symbols.values()) {
      const b = must(this.books, s.symbol, 'book');
      const regime = this.nextRegime(s.symbol);
      const vol = s.volatilityBps * (regime === 'volatile' ? REGIME_SWITCH.volatileMultiplier : 1);
      const jump = this.random() < 0.01 ? (this.random() - 0.5) * 20 * vol : 0;
      const bps = (this.random() - 0.5) * 2 * vol + jump;
      const next = b.last + (b.last * BigInt(Math.round(bps * 100))) / 1_000_000n;
      const prev = b.last;
      this.setPrice(s.symbol, next > s.tickSize ? next : s.tickSize);
      this.marketPrint(s, prev);
    }
  }

  private nextRegime(symbol: string): Regime {
    const cur = this.regimes.get(symbol) ?? 'calm';
    const draw = this.regimeRandom();
    const pinned = this.pinnedRegime.get(symbol);
    const next: Regime =
      pinned ?? (cur === 'calm' ? (draw < REGIME_SWITCH.toVolatile ? 'volatile' : 'calm') : draw < REGIME_SWITCH.toCalm ? 'calm' : 'volatile');
    this.regimes.set(symbol, next);
    return next;
  }

  /** The tick's anonymous trade at the new price: a seeded size, a fraction of the touch. */
  private marketPrint(s: SymbolDef, prev: Fx): void {
    const b = must(this.books, s.symbol, 'book');
    const liq = must(this.liquidity, s.symbol, 'liquidity');
    const frac = BigInt(Math.floor(this.tapeRandom() * 250) + 1); // 0.1 % .. 25 % of the touch
    const size = floorStep((min(liq.bidQty, liq.askQty) * frac) / 1000n, s.stepSize);
    if (size <= 0n) return;
    this.print(s.symbol, b.last, size, b.last < prev);
  }

  private print(symbol: string, price: Fx, qty: Fx, buyerMaker: boolean, id = this.nextTradeId++): void {
    const t: TradePrint = { symbol, id, price, qty, time: this.now(), buyerMaker };
    let recent = this.recentPrints.get(symbol);
    if (!recent) this.recentPrints.set(symbol, (recent = []));
    recent.push(t);
    const since = t.time - AVG_PRICE_MINS * 60_000;
    const stale = recent.findIndex((x) => x.time > since);
    if (stale > 0) recent.splice(0, stale);
    for (const l of this.tradeListeners) l(t);
  }

  /**
   * The average price Binance's filters use (filters.md): the volume-weighted price of the prints
   * over the last AVG_PRICE_MINS minutes (the market's and the users'), the last price when there
   * were none (an admin price move prints nothing). GET /api/v3/avgPrice answers the same.
   */
  avgPrice(symbol: string): Fx {
    const since = this.now() - AVG_PRICE_MINS * 60_000;
    let pq = 0n;
    let q = 0n;
    for (const t of this.recentPrints.get(symbol) ?? []) {
      if (t.time <= since) continue;
      pq += t.price * t.qty;
      q += t.qty;
    }
    return q > 0n ? pq / q : (this.books.get(symbol)?.last ?? 0n);
  }

  /** Prints of the last AVG_PRICE_MINS minutes per symbol (not kept in state files: a restart averages anew). */
  private readonly recentPrints = new Map<string, TradePrint[]>();

  setPrice(symbol: string, price: Fx): void {
    const s = this.symbols.get(symbol);
    if (!s) return;
    const prev = must(this.books, symbol, 'book');
    this.books.set(symbol, this.bookAround(s, price, prev.updateId + 1));
    this.match(symbol);
  }

  /** Admin knob: displayed quantity per level (thin books make partial fills); the book is rebuilt at once. */
  setLiquidity(symbol: string, l: Partial<Liquidity>): Liquidity | null {
    const s = this.symbols.get(symbol);
    const cur = this.liquidity.get(symbol);
    if (!s || !cur) return null;
    const next: Liquidity = { bidQty: l.bidQty ?? cur.bidQty, askQty: l.askQty ?? cur.askQty, levels: Math.max(1, Math.min(100, l.levels ?? cur.levels)) };
    this.liquidity.set(symbol, next);
    const b = must(this.books, symbol, 'book');
    this.books.set(symbol, this.bookAround(s, b.last, b.updateId + 1));
    this.match(symbol);
    return next;
  }

  /** Levels one spacing (about half a basis point, at least a tick) apart, full quantity each. */
  private bookAround(s: SymbolDef, mid: Fx, updateId: number): Book {
    const { bid, ask } = touchAround(mid, s.spreadBps, s.tickSize);
    const liq = must(this.liquidity, s.symbol, 'liquidity');
    const spacing = levelSpacing(mid, s.tickSize);
    const bids: Level[] = [];
    const asks: Level[] = [];
    for (let i = 0n; i < BigInt(liq.levels); i++) {
      if (bid - i * spacing >= s.tickSize) bids.push({ price: bid - i * spacing, qty: liq.bidQty });
      asks.push({ price: ask + i * spacing, qty: liq.askQty });
    }
    return { bid, ask, bidQty: liq.bidQty, askQty: liq.askQty, last: mid, updateId, bids, asks };
  }

  /** After takers consumed levels: the touch is the first level with quantity left. */
  private refreshTouch(b: Book): void {
    const bestBid = b.bids.find((l) => l.qty > 0n);
    const bestAsk = b.asks.find((l) => l.qty > 0n);
    b.bid = bestBid?.price ?? b.bids[b.bids.length - 1]?.price ?? b.bid;
    b.bidQty = bestBid?.qty ?? 0n;
    b.ask = bestAsk?.price ?? b.asks[b.asks.length - 1]?.price ?? b.ask;
    b.askQty = bestAsk?.qty ?? 0n;
    b.updateId++;
  }

  /** An admin balance edit: sets `free` and reports the change as a balanceUpdate would. */
  setFree(apiKey: string, asset: string, free: Fx): void {
    const b = this.balance(apiKey, asset);
    const delta = free - b.free;
    b.free = free;
    if (delta !== 0n) for (const l of this.balanceListeners) l(apiKey, asset, delta, this.now());
  }

  balance(apiKey: string, asset: string): { free: Fx; locked: Fx } {
    const acct = must(this.balances, apiKey, 'account');
    let b = acct.get(asset);
    if (!b) acct.set(asset, (b = { free: 0n, locked: 0n }));
    return b;
  }

  /** POST /api/v3/order (and /order/test when `test`). Params are the decoded request parameters. */
  place(apiKey: string, p: Record<string, string>, test = false): Result<Order> {
    // A test order is checked by the API only: parameters and filters, never the balance.
    const v = this.validate(apiKey, p, test ? { skipBalance: true } : {});
    if (!v.ok) return v;
    if (test) return { ok: true, value: v.value.order };
    const o = this.commit(v.value);
    this.activate(o, v.value.quoteQty);
    return { ok: true, value: o };
  }

  /**
   * Every check of a new order (parameters, filters, duplicates, balance) without changing anything:
   * an order list validates all of its legs before the first one exists. `ctx` accounts for legs of
   * the same list validated before this one.
   */
  validate(apiKey: string, p: Record<string, string>, ctx: ValidateCtx = {}): Result<Draft> {
    const key = must(this.keys, apiKey, 'key');
    if (!key.canTrade) return E(401, -2015, 'Invalid API-key, IP, or permissions for action.');
    for (const k of ['symbol', 'side', 'type'])
      if (p[k] === undefined) return E(400, -1102, `Mandatory parameter '${k}' was not sent, was empty/null, or malformed.`);
    const s = this.symbols.get(p['symbol']!);
    if (!s) return E(400, -1121, 'Invalid symbol.');
    const side = p['side'] as Side;
    if (side !== 'BUY' && side !== 'SELL') return E(400, -1117, 'Invalid side.');
    const type = p['type'] as OrderType;
    if (!ORDER_TYPES.includes(type)) return E(400, -1116, 'Invalid orderType.');
    if (s.status !== 'TRADING') return E(400, -1013, 'Market is closed.');
    const num = (k: string): Fx | null | VenueError => {
      const v = p[k];
      if (v === undefined) return null;
      const r = parseFx(v);
      if (!r.ok)
        return r.why === 'precision'
          ? { http: 400, code: -1111, msg: `Parameter '${k}' has too much precision.` }
          : { http: 400, code: -1100, msg: `Illegal characters found in parameter '${k}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.` };
      return r.value;
    };
    const qty = num('quantity');
    const quoteQty = num('quoteOrderQty');
    const price = num('price');
    const stopPrice = num('stopPrice');
    for (const v of [qty, quoteQty, price, stopPrice]) if (v !== null && typeof v === 'object') return { ok: false, err: v };
    const q = qty as Fx | null;
    const qq = quoteQty as Fx | null;
    const pr = price as Fx | null;
    const sp = stopPrice as Fx | null;
    const trailing = p['trailingDelta'] === undefined ? null : Number(p['trailingDelta']);
    const priced = type === 'LIMIT' || type === 'LIMIT_MAKER' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT_LIMIT';
    if (priced && pr === null) return E(400, -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.");
    if (type !== 'MARKET' && q === null) return E(400, -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
    if (type === 'MARKET' && q === null && qq === null) return E(400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!");
    if (STOP_TYPES.includes(type) && sp === null && trailing === null)
      return E(400, -1102, "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!");
    let tif = (p['timeInForce'] ?? null) as Order['timeInForce'];
    if ((type === 'LIMIT' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT_LIMIT') && tif === null)
      return E(400, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.");
    if (tif !== null && tif !== 'GTC' && tif !== 'IOC' && tif !== 'FOK') return E(400, -1115, 'Invalid timeInForce.');
    if (type === 'LIMIT_MAKER') tif = null;
    const cid = p['newClientOrderId'] ?? `sim${this.nextOrderId}${Math.floor(this.random() * 1e9)}`;
    if (!/^[a-zA-Z0-9-_]{1,36}$/.test(cid))
      return E(400, -1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.");
    const stp = p['selfTradePreventionMode'] ?? 'EXPIRE_MAKER';
    // A mode the symbol does not allow (NONE is not in this venue's allowedSelfTradePreventionModes).
    if (!(STP_MODES as readonly string[]).includes(stp)) return E(400, -1130, "Data sent for parameter 'selfTradePreventionMode' is not valid.");
    const book = must(this.books, s.symbol, 'book');
    // Filters, as Binance names them in -1013. MARKET notional and PERCENT_PRICE_BY_SIDE are judged
    // against the reference price when the symbol has one, else the average price over avgPriceMins.
    const failed = filterFailure(
      s,
      { side, type, quantity: q, quoteOrderQty: qq, price: pr, stopPrice: sp, trailingDelta: trailing },
      { bid: book.bid, ask: book.ask, avg: typeof s.referencePrice === 'bigint' ? s.referencePrice : this.avgPrice(s.symbol) },
    );
    if (failed !== null) return E(400, -1013, `Filter failure: ${failed}`);
    const open = [...this.orders.values()].filter((o) => o.apiKey === apiKey && o.symbol === s.symbol && isOpen(o) && o.orderId !== ctx.excludeOrderId);
    // The open-order counts are the matching engine's: Binance answers them as -2010
    // NEW_ORDER_REJECTED ("returned by the matching engine"), not -1013 (which "didn't reach the
    // Matching Engine"), with the filter failure as the message.
    if (open.length + (ctx.extraOpen ?? 0) >= s.maxNumOrders) return E(400, -2010, 'Filter failure: MAX_NUM_ORDERS');
    if (STOP_TYPES.includes(type) && open.filter((o) => STOP_TYPES.includes(o.type)).length + (ctx.extraAlgo ?? 0) >= s.maxNumAlgoOrders)
      return E(400, -2010, 'Filter failure: MAX_NUM_ALGO_ORDERS');
    if (type === 'LIMIT_MAKER' && pr !== null && (side === 'BUY' ? pr >= book.ask : pr <= book.bid))
      return E(400, -2010, 'Order would immediately match and take.');
    if (open.some((o) => o.clientOrderId === cid) || (ctx.takenCids ?? []).includes(cid)) return E(400, -2010, 'Duplicate order sent.');
    // Balance: what this order may consume, locked until it fills or ends. A BUY stop is priced at
    // its stop (or limit) price, a MARKET BUY at the ask.
    const lockAsset = side === 'BUY' ? s.quote : s.base;
    const need =
      side === 'BUY'
        ? q !== null
          ? type === 'MARKET'
            ? this.walkCost(s.symbol, q)
            : mul(q, pr ?? sp ?? book.ask)
          : (qq as Fx)
        : (q ?? floorStep(div(qq as Fx, book.bid), s.stepSize));
    if (!ctx.skipBalance && this.balance(apiKey, lockAsset).free < need) return E(400, -2010, 'Account has insufficient balance for requested action.');
    const now = this.now();
    const order: Order = {
      symbol: s.symbol,
      orderId: 0,
      clientOrderId: cid,
      apiKey,
      side,
      type,
      timeInForce: tif,
      price: pr ?? 0n,
      stopPrice: sp ?? 0n,
      origQty: q ?? 0n,
      executedQty: 0n,
      cumQuote: 0n,
      status: 'NEW',
      time: now,
      updateTime: now,
      triggered: !STOP_TYPES.includes(type),
      locked: need,
      lockedAsset: lockAsset,
      fills: [],
      orderListId: -1,
      trailingDelta: trailing,
      stpMode: stp as StpMode,
    };
    return { ok: true, value: { order, need, quoteQty: qq } };
  }

  /** Puts a validated order on the book: an id, its balance lock (`lock`, default its own need), NEW. */
  private commit(d: Draft, listId = -1, lock: Fx = d.need): Order {
    const o: Order = { ...d.order, fills: [], orderId: this.nextOrderId++, orderListId: listId, locked: lock };
    const bal = this.balance(o.apiKey, o.lockedAsset);
    bal.free -= lock;
    bal.locked += lock;
    this.orders.set(o.orderId, o);
    if (o.trailingDelta !== null && o.stopPrice === 0n) {
      const book = must(this.books, o.symbol, 'book');
      this.trailRef.set(o.orderId, trailStart(o.side, book.bid, book.ask));
    }
    this.emit(o, null);
    return o;
  }

  /**
   * First matching of a committed order. A MARKET order walks the book and what the book cannot
   * give EXPIRES; a marketable LIMIT takes what its price reaches and rests the rest
   * (PARTIALLY_FILLED) unless IOC/FOK, which expire it (FOK trades nothing unless all of it fills).
   */
  private activate(o: Order, quoteQty: Fx | null): void {
    if (o.triggered && this.preventSelfTrade(o, o.type === 'MARKET' ? null : o.price, quoteQty)) return;
    if (o.type === 'MARKET') {
      this.takeBook(o, null, quoteQty);
      if (isOpen(o)) this.end(o, 'EXPIRED');
      return;
    }
    if (o.triggered) this.takeBook(o, o.price, null);
    if (o.triggered && isOpen(o) && (o.timeInForce === 'IOC' || o.timeInForce === 'FOK')) this.end(o, 'EXPIRED');
  }

  /**
   * Cancels an open order. `cancelCid` identifies the cancel itself (the request's
   * newClientOrderId, generated when absent): Binance reports it as the cancel's `clientOrderId`
   * and the executionReport's `c`, with the order's own id in `origClientOrderId` / `C`.
   */
  cancel(apiKey: string, symbol: string, by: { orderId?: number; clientOrderId?: string }, cancelCid?: string): Result<Order> {
    const o = this.find(apiKey, symbol, by);
    if (!o || !isOpen(o)) return E(400, -2011, 'Unknown order sent.');
    // Cancelling one leg of an order list cancels the whole list.
    const list = o.orderListId >= 0 ? this.lists.get(o.orderListId) : undefined;
    if (list && list.status === 'EXECUTING') this.cancelList(list, o.orderId, cancelCid);
    else {
      o.cancelClientOrderId = cancelCid ?? this.cancelId();
      this.end(o, 'CANCELED');
    }
    return { ok: true, value: o };
  }

  /** A generated cancel clientOrderId, as Binance makes one when the request has none. */
  cancelId(): string {
    return `simx${this.nextOrderId}${Math.floor(this.random() * 1e9)}`;
  }

  /**
   * POST /api/v3/order/cancelReplace: cancels one order and places another on the same symbol.
   * The new order's parameters and filters are checked before anything (a failure there refuses the
   * whole request); balance, duplicates and would-take are the matching engine's and come after the
   * cancel, which frees the cancelled order's lock first. `overLimit` (CANCEL_ONLY past the order
   * count): the cancel is done and the new order fails with -1015.
   */
  cancelReplace(apiKey: string, p: Record<string, string>, overLimit = false): CancelReplaceOutcome {
    const no = (code: number, msg: string, http = 400): CancelReplaceOutcome => ({ refused: { http, code, msg } });
    for (const k of ['symbol', 'side', 'type', 'cancelReplaceMode'])
      if (p[k] === undefined) return no(-1102, `Mandatory parameter '${k}' was not sent, was empty/null, or malformed.`);
    const mode = p['cancelReplaceMode'];
    if (mode !== 'STOP_ON_FAILURE' && mode !== 'ALLOW_FAILURE')
      return no(-1100, "Illegal characters found in parameter 'cancelReplaceMode'; legal range is 'STOP_ON_FAILURE, ALLOW_FAILURE'.");
    const restriction = p['cancelRestrictions'];
    if (restriction !== undefined && restriction !== 'ONLY_NEW' && restriction !== 'ONLY_PARTIALLY_FILLED') return no(-1145, 'Invalid cancelRestrictions');
    if (p['cancelOrderId'] === undefined && p['cancelOrigClientOrderId'] === undefined)
      return no(-1102, "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent, but both were empty/null!");
    const ccid = p['cancelNewClientOrderId'] ?? `simc${this.nextOrderId}${Math.floor(this.random() * 1e9)}`;
    if (!/^[a-zA-Z0-9-_]{1,36}$/.test(ccid))
      return no(-1100, "Illegal characters found in parameter 'cancelNewClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.");
    const symbol = p['symbol']!;
    // cancelOrderId is searched first; a cancelOrigClientOrderId sent with it must match that order.
    let target =
      p['cancelOrderId'] !== undefined
        ? this.find(apiKey, symbol, { orderId: Number(p['cancelOrderId']) })
        : this.find(apiKey, symbol, { clientOrderId: p['cancelOrigClientOrderId']! });
    if (target && p['cancelOrderId'] !== undefined && p['cancelOrigClientOrderId'] !== undefined && target.clientOrderId !== p['cancelOrigClientOrderId'])
      target = undefined;
    const pre = this.validate(apiKey, p, { skipBalance: true, ...(target && isOpen(target) ? { excludeOrderId: target.orderId } : {}) });
    if (!pre.ok && pre.err.code !== -2010) return { refused: pre.err };
    let cancel: Result<Order>;
    if (!target || !isOpen(target)) cancel = E(400, -2011, 'Unknown order sent.');
    else if ((restriction === 'ONLY_NEW' && target.status !== 'NEW') || (restriction === 'ONLY_PARTIALLY_FILLED' && target.status !== 'PARTIALLY_FILLED'))
      cancel = E(400, -2011, 'Order was not canceled due to cancel restrictions.');
    else cancel = this.cancel(apiKey, symbol, { orderId: target.orderId }, ccid);
    if (!cancel.ok && mode === 'STOP_ON_FAILURE') return { refused: null, cancel, cancelClientOrderId: ccid, placed: 'NOT_ATTEMPTED' };
    const placed = overLimit ? E(429, -1015, 'Too many new orders; current limit is 50 orders per TEN_SECONDS.') : this.place(apiKey, p);
    return { refused: null, cancel, cancelClientOrderId: ccid, placed };
  }

  /**
   * POST /api/v3/orderList/oco (and the legacy /order/oco mapped onto it): two legs sharing one
   * quantity and one balance lock. Both legs are validated before either exists; when one executes
   * or its stop triggers, the other expires. `name` gives the request's own name of a leg parameter
   * for error messages (the legacy form names them differently).
   */
  placeOco(apiKey: string, p: Record<string, string>, name: (leg: 'above' | 'below', param: string) => string = ocoParamName): Result<OrderList> {
    const key = must(this.keys, apiKey, 'key');
    if (!key.canTrade) return E(401, -2015, 'Invalid API-key, IP, or permissions for action.');
    for (const k of ['symbol', 'side', 'quantity'])
      if (p[k] === undefined) return E(400, -1102, `Mandatory parameter '${k}' was not sent, was empty/null, or malformed.`);
    const s = this.symbols.get(p['symbol']!);
    if (!s) return E(400, -1121, 'Invalid symbol.');
    if (!s.ocoAllowed) return E(400, -1013, 'OCO orders are not supported for this symbol.');
    const lcid = this.listClientOrderId(apiKey, p);
    if (!lcid.ok) return lcid;
    const pair = this.ocoDrafts(apiKey, s, p, (leg, k) => (k === 'quantity' ? 'quantity' : name(leg, k)), {});
    if (!pair.ok) return pair;
    const [a, b] = pair.value;
    // One lock for both legs: the base quantity for a SELL, the dearer leg's quote for a BUY.
    const need = max(a.need, b.need);
    if (this.balance(apiKey, a.order.lockedAsset).free < need) return E(400, -2010, 'Account has insufficient balance for requested action.');
    const id = this.nextListId++;
    const above = this.commit(a, id, need);
    const below = this.commit(b, id, 0n);
    const list: OrderList = {
      orderListId: id,
      listClientOrderId: lcid.value,
      symbol: s.symbol,
      apiKey,
      orderIds: [above.orderId, below.orderId],
      status: 'EXECUTING',
      transactionTime: this.now(),
      contingencyType: 'OCO',
    };
    this.lists.set(id, list);
    this.emitList(list);
    this.activate(above, null);
    if (list.status === 'EXECUTING') this.activate(below, null);
    return { ok: true, value: list };
  }

  /** The request's listClientOrderId (generated when absent), unique among the key's executing lists. */
  private listClientOrderId(apiKey: string, p: Record<string, string>): Result<string> {
    const lcid = p['listClientOrderId'] ?? `simlist${this.nextListId}${Math.floor(this.random() * 1e9)}`;
    if (!/^[a-zA-Z0-9-_]{1,36}$/.test(lcid))
      return E(400, -1100, "Illegal characters found in parameter 'listClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.");
    if ([...this.lists.values()].some((l) => l.apiKey === apiKey && l.status === 'EXECUTING' && l.listClientOrderId === lcid))
      return E(400, -2010, 'Duplicate order sent.');
    return { ok: true, value: lcid };
  }

  /**
   * The two legs of an OCO pair (`p` in the above/below form: side, quantity, aboveType, ...),
   * validated as single orders would be, before anything exists: leg types for the side, the price
   * relationship against the last price, then each leg's parameters and filters. The second leg
   * counts the first against MAX_NUM_ORDERS / MAX_NUM_ALGO_ORDERS and may not reuse its
   * clientOrderId; `base` counts legs of the same list validated before the pair (an OTOCO's
   * working order). Balance is the caller's (one shared lock).
   */
  private ocoDrafts(
    apiKey: string,
    s: SymbolDef,
    p: Record<string, string>,
    name: (leg: 'above' | 'below', param: string) => string,
    base: ValidateCtx,
  ): Result<[Draft, Draft]> {
    for (const leg of ['above', 'below'] as const)
      if (p[`${leg}Type`] === undefined) return E(400, -1102, `Mandatory parameter '${name(leg, 'type')}' was not sent, was empty/null, or malformed.`);
    const side = p['side'] as Side;
    if (side !== 'BUY' && side !== 'SELL') return E(400, -1117, 'Invalid side.');
    // SELL: take-profit above the market, stop-loss below it; BUY: the mirror.
    const TP: readonly string[] = ['LIMIT_MAKER', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];
    const SL: readonly string[] = ['STOP_LOSS', 'STOP_LOSS_LIMIT'];
    const allowed = { above: side === 'SELL' ? TP : SL, below: side === 'SELL' ? SL : TP };
    for (const leg of ['above', 'below'] as const) {
      const t = p[`${leg}Type`]!;
      if (!ORDER_TYPES.includes(t as OrderType)) return E(400, -1116, 'Invalid orderType.');
      if (!allowed[leg].includes(t))
        return E(400, -1013, `${name(leg, 'type')} ${t} is not supported for a ${side} OCO; it must be one of ${allowed[leg].join(', ')}.`);
    }
    const legParams = (leg: 'above' | 'below'): Record<string, string> => {
      const out: Record<string, string> = { symbol: s.symbol, side, type: p[`${leg}Type`]!, quantity: p['quantity']! };
      for (const [k, v] of [
        ['ClientOrderId', 'newClientOrderId'],
        ['Price', 'price'],
        ['StopPrice', 'stopPrice'],
        ['TrailingDelta', 'trailingDelta'],
        ['TimeInForce', 'timeInForce'],
      ] as const) {
        const x = p[`${leg}${k}`];
        if (x !== undefined) out[v] = x;
      }
      // The list's self-trade prevention mode is every leg's (Binance: one per request).
      if (p['selfTradePreventionMode'] !== undefined) out['selfTradePreventionMode'] = p['selfTradePreventionMode'];
      return out;
    };
    // Price relationship against the last price, checked for the list before its legs. The price that
    // counts is a LIMIT_MAKER's limit price or a stop type's stopPrice (a leg with only a
    // trailingDelta has none yet; a malformed one is left to the leg's own validation).
    const last = must(this.books, s.symbol, 'book').last;
    const trigger = (leg: 'above' | 'below'): Fx | null => {
      const v = p[`${leg}Type`] === 'LIMIT_MAKER' ? p[`${leg}Price`] : p[`${leg}StopPrice`];
      const r = v === undefined ? null : parseFx(v);
      return r?.ok ? r.value : null;
    };
    const ta = trigger('above');
    const tb = trigger('below');
    if ((ta !== null && ta <= last) || (tb !== null && tb >= last)) {
      const what =
        side === 'SELL'
          ? 'for a SELL OCO the above leg (take-profit) must be above the last price and the below leg (stop) below it'
          : 'for a BUY OCO the above leg (stop) must be above the last price and the below leg (take-profit) below it';
      return E(400, -2010, `The relationship of the prices for the orders is not correct: ${what} (last price ${fmt(last)}).`);
    }
    const a = this.validate(apiKey, legParams('above'), { ...base, skipBalance: true });
    if (!a.ok) return renamedParams(a.err, (k) => name('above', k));
    const b = this.validate(apiKey, legParams('below'), {
      skipBalance: true,
      extraOpen: (base.extraOpen ?? 0) + 1,
      extraAlgo: (base.extraAlgo ?? 0) + (STOP_TYPES.includes(a.value.order.type) ? 1 : 0),
      takenCids: [...(base.takenCids ?? []), a.value.order.clientOrderId],
    });
    if (!b.ok) return renamedParams(b.err, (k) => name('below', k));
    return { ok: true, value: [a.value, b.value] };
  }

  /**
   * POST /api/v3/orderList/oto (`otoco` false) and /otoco: a working order (LIMIT or LIMIT_MAKER)
   * that goes on the book at once, and a pending order (OTO) or a pending OCO pair (OTOCO) that
   * waits PENDING_NEW, locking nothing, until the working order is fully filled (rest-api.md "New
   * Order list - OTO/OTOCO"). Every leg's parameters and filters are checked before any exists;
   * the balance only for the working order (the pending legs' lock is taken when they go on the
   * book, and a leg the balance cannot cover then EXPIRES). `atPlacement`: the legs as the
   * placement reply shows them: after the working order's first matching, with the pending legs
   * still PENDING_NEW even when it filled at once ("You need to query the status of the pending
   * order again to see its updated status").
   */
  placeOto(apiKey: string, p: Record<string, string>, otoco: boolean): Result<{ list: OrderList; atPlacement: Order[] }> {
    if (this.keys.get(apiKey)?.canTrade !== true) return E(401, -2015, 'Invalid API-key, IP, or permissions for action.');
    const mandatory = ['symbol', 'workingType', 'workingSide', 'workingPrice', 'workingQuantity', 'pendingSide', 'pendingQuantity'];
    mandatory.push(...(otoco ? ['pendingAboveType', 'pendingBelowType'] : ['pendingType']));
    for (const k of mandatory) if (p[k] === undefined) return E(400, -1102, `Mandatory parameter '${k}' was not sent, was empty/null, or malformed.`);
    const s = this.symbols.get(p['symbol'] ?? '');
    if (!s) return E(400, -1121, 'Invalid symbol.');
    if (p['workingType'] !== 'LIMIT' && p['workingType'] !== 'LIMIT_MAKER') return E(400, -1116, 'Invalid orderType.');
    const lcid = this.listClientOrderId(apiKey, p);
    if (!lcid.ok) return lcid;
    const FIELDS = [
      ['Type', 'type'],
      ['Side', 'side'],
      ['ClientOrderId', 'newClientOrderId'],
      ['Price', 'price'],
      ['StopPrice', 'stopPrice'],
      ['TrailingDelta', 'trailingDelta'],
      ['TimeInForce', 'timeInForce'],
      ['Quantity', 'quantity'],
    ] as const;
    const leg = (prefix: string): Record<string, string> => {
      const out: Record<string, string> = { symbol: s.symbol };
      for (const [k, v] of FIELDS) {
        const x = p[`${prefix}${k}`];
        if (x !== undefined) out[v] = x;
      }
      if (p['selfTradePreventionMode'] !== undefined) out['selfTradePreventionMode'] = p['selfTradePreventionMode'];
      return out;
    };
    const rename = (prefix: string) => (k: string) => `${prefix}${capitalized(k === 'newClientOrderId' ? 'clientOrderId' : k)}`;
    const w = this.validate(apiKey, leg('working'), {});
    if (!w.ok) return renamedParams(w.err, rename('working'));
    const base: ValidateCtx = { extraOpen: 1, takenCids: [w.value.order.clientOrderId] };
    let pending: Draft[];
    if (otoco) {
      // The pending pair in the OCO form: the pair follows the OCO rules (rest-api.md).
      const pair: Record<string, string> = { side: p['pendingSide'] ?? '', quantity: p['pendingQuantity'] ?? '' };
      for (const l of ['Above', 'Below'] as const)
        for (const [k] of FIELDS) {
          const x = p[`pending${l}${k}`];
          if (k !== 'Side' && k !== 'Quantity' && x !== undefined) pair[`${l.toLowerCase()}${k}`] = x;
        }
      if (p['selfTradePreventionMode'] !== undefined) pair['selfTradePreventionMode'] = p['selfTradePreventionMode'];
      const d = this.ocoDrafts(
        apiKey,
        s,
        pair,
        (l, k) => (k === 'quantity' ? 'pendingQuantity' : rename(`pending${l === 'above' ? 'Above' : 'Below'}`)(k)),
        base,
      );
      if (!d.ok) return d;
      pending = d.value;
    } else {
      const d = this.validate(apiKey, leg('pending'), { ...base, skipBalance: true });
      if (!d.ok) return renamedParams(d.err, rename('pending'));
      pending = [d.value];
    }
    const id = this.nextListId++;
    const working = this.commit(w.value, id);
    const legs = pending.map((d) => this.commitPending(d, id));
    const list: OrderList = {
      orderListId: id,
      listClientOrderId: lcid.value,
      symbol: s.symbol,
      apiKey,
      orderIds: [working.orderId, ...legs.map((o) => o.orderId)],
      status: 'EXECUTING',
      transactionTime: this.now(),
      contingencyType: 'OTO',
      workingOrderId: working.orderId,
    };
    this.lists.set(id, list);
    this.emitList(list);
    // A working order that fills at once: the reply is taken before its pending legs go on the book.
    this.holdingList = id;
    this.heldActivation = false;
    this.activate(working, null);
    this.holdingList = -1;
    const atPlacement = [working, ...legs].map((o) => ({ ...o }));
    if (this.heldActivation) this.activatePending(list);
    return { ok: true, value: { list, atPlacement } };
  }

  /** The list whose working order is being matched at placement (its pending legs wait for the reply). */
  private holdingList = -1;
  private heldActivation = false;

  /** A pending leg: an id and its place in the list, PENDING_NEW, no lock, not matched. */
  private commitPending(d: Draft, listId: number): Order {
    const o: Order = { ...d.order, fills: [], orderId: this.nextOrderId++, orderListId: listId, locked: 0n, status: 'PENDING_NEW' };
    this.orders.set(o.orderId, o);
    this.emit(o, null);
    return o;
  }

  /**
   * The working order filled: its pending leg(s) go on the book, NEW, with their lock (one shared
   * by an OTOCO's pair). A leg the balance cannot cover, or a LIMIT_MAKER that would now take, is
   * refused by the matching engine: EXPIRED, and the list is done. An OTO is then ALL_DONE (its
   * contingency is resolved); an OTOCO's pair is an OCO from here, EXECUTING until one leg executes
   * or triggers.
   */
  private activatePending(list: OrderList): void {
    const legs = list.orderIds.flatMap((id) => this.orders.get(id) ?? []).filter((o) => o.status === 'PENDING_NEW');
    const [first, second] = legs;
    const book = this.books.get(list.symbol);
    if (!first || !book) return;
    const need = legs.reduce((m, o) => max(m, this.lockNeed(o)), 0n);
    const takes = legs.some((o) => o.type === 'LIMIT_MAKER' && (o.side === 'BUY' ? o.price >= book.ask : o.price <= book.bid));
    const now = this.now();
    const bal = this.balance(list.apiKey, first.lockedAsset);
    if (takes || bal.free < need) {
      list.status = 'ALL_DONE';
      for (const o of legs) this.end(o, 'EXPIRED');
      this.emitList(list);
      return;
    }
    bal.free -= need;
    bal.locked += need;
    first.locked = need;
    for (const o of legs) {
      o.status = 'NEW';
      o.updateTime = now;
      o.workingTime = now;
      if (o.trailingDelta !== null && o.stopPrice === 0n) this.trailRef.set(o.orderId, o.side === 'SELL' ? book.bid : book.ask);
      this.emit(o, null);
    }
    if (legs.length === 1) list.status = 'ALL_DONE';
    this.emitList(list);
    this.activate(first, null);
    if (second && list.status === 'EXECUTING') this.activate(second, null);
  }

  /** What a leg locks once on the book, as validate() prices it: base for a SELL, quote for a BUY. */
  private lockNeed(o: Order): Fx {
    const left = o.origQty - o.executedQty;
    if (o.side === 'SELL') return left;
    if (o.type === 'MARKET') return this.walkCost(o.symbol, left);
    return mul(left, o.price > 0n ? o.price : o.stopPrice > 0n ? o.stopPrice : (this.books.get(o.symbol)?.ask ?? 0n));
  }

  /** The OCO pair of a list: both legs of an OCO, an OTOCO's two pending legs, none for an OTO. */
  private pairOf(list: OrderList): number[] {
    if (list.contingencyType === 'OCO') return list.orderIds;
    return list.orderIds.length === 3 ? list.orderIds.slice(1) : [];
  }

  /**
   * A leg ended (CANCELED, EXPIRED, EXPIRED_IN_MATCH) while its list still executes. A cancel is
   * cancelList's. An expiry (self-trade prevention, an IOC working order, ...) ends the list: the
   * other legs EXPIRE (an OCO's other leg, an OTO's pending legs: OTO_PHASE_ONE_EXPIRED).
   */
  private legEnded(o: Order): void {
    const list = this.lists.get(o.orderListId);
    if (!list || list.status !== 'EXECUTING' || o.status === 'CANCELED') return;
    list.status = 'ALL_DONE';
    for (const other of list.orderIds.flatMap((oid) => this.orders.get(oid) ?? [])) if (other !== o && isOpen(other)) this.end(other, 'EXPIRED');
    this.emitList(list);
  }

  findList(apiKey: string, by: { orderListId?: number; listClientOrderId?: string }): OrderList | undefined {
    let found: OrderList | undefined;
    for (const l of this.lists.values()) {
      if (l.apiKey !== apiKey) continue;
      if (by.orderListId !== undefined ? l.orderListId === by.orderListId : l.listClientOrderId === by.listClientOrderId) {
        // A listClientOrderId is unique among executing lists only: prefer that one, else the newest.
        if (!found || (l.status === 'EXECUTING' && found.status !== 'EXECUTING') || (found.status !== 'EXECUTING' && l.orderListId > found.orderListId))
          found = l;
      }
    }
    return found;
  }

  /** DELETE /api/v3/orderList, or a DELETE /api/v3/order of one leg: every open leg CANCELED. */
  cancelList(list: OrderList, named?: number, cancelCid?: string): void {
    for (const oid of list.orderIds) {
      const o = must(this.orders, oid, 'order');
      if (!isOpen(o)) continue;
      o.cancelClientOrderId = (oid === named ? cancelCid : undefined) ?? this.cancelId();
      this.end(o, 'CANCELED');
    }
    if (list.status === 'EXECUTING') {
      list.status = 'ALL_DONE';
      this.emitList(list);
    }
  }

  /** Before a leg trades, the list's shared lock moves onto it (the other leg holds none after). */
  private absorbListLock(leg: Order): void {
    const list = leg.orderListId >= 0 ? this.lists.get(leg.orderListId) : undefined;
    if (!list || list.status !== 'EXECUTING') return;
    const pair = this.pairOf(list);
    if (!pair.includes(leg.orderId)) return;
    for (const oid of pair) {
      if (oid === leg.orderId) continue;
      const other = must(this.orders, oid, 'order');
      leg.locked += other.locked;
      other.locked = 0n;
    }
  }

  /** One leg of an OCO pair executed or its stop triggered: the other leg EXPIRES and the list is ALL_DONE. */
  private settleList(leg: Order): void {
    const list = leg.orderListId >= 0 ? this.lists.get(leg.orderListId) : undefined;
    if (!list || list.status !== 'EXECUTING') return;
    const pair = this.pairOf(list);
    if (!pair.includes(leg.orderId)) return;
    this.absorbListLock(leg);
    // Done before the other leg expires (its end must not settle the list a second time).
    list.status = 'ALL_DONE';
    for (const oid of pair) {
      if (oid === leg.orderId) continue;
      const other = must(this.orders, oid, 'order');
      if (isOpen(other)) this.end(other, 'EXPIRED');
    }
    this.emitList(list);
  }

  find(apiKey: string, symbol: string, by: { orderId?: number; clientOrderId?: string }): Order | undefined {
    let found: Order | undefined;
    for (const o of this.orders.values()) {
      if (o.apiKey !== apiKey || o.symbol !== symbol) continue;
      if (by.orderId !== undefined ? o.orderId === by.orderId : o.clientOrderId === by.clientOrderId) {
        // A clientOrderId is unique among open orders only: prefer the open one, else the newest.
        if (!found || isOpen(o) || o.orderId > found.orderId) found = o;
        if (isOpen(o)) break;
      }
    }
    return found;
  }

  /**
   * A taker: consumes the opposite side level by level (one fill per level, at the level's price)
   * up to `limit` (null = MARKET). `quoteQty` sizes a MARKET order by quote amount instead.
   */
  private takeBook(o: Order, limit: Fx | null, quoteQty: Fx | null): void {
    const b = must(this.books, o.symbol, 'book');
    const s = must(this.symbols, o.symbol, 'symbol');
    const levels = o.side === 'BUY' ? b.asks : b.bids;
    const p = takerPlan(o.side, levels, o.origQty - o.executedQty, limit, quoteQty, s.stepSize, o.side === 'BUY' ? b.ask : b.bid);
    const planned = p.takes.reduce((a, [, q]) => a + q, 0n);
    // Sized by quote: the quantity the budget buys; what the book could not give stays unfilled.
    if (p.sizedQty !== null) o.origQty = p.sizedQty;
    const left = p.sizedQty !== null ? o.origQty - planned : o.origQty - o.executedQty - planned;
    if (o.timeInForce === 'FOK' && left > 0n) return;
    for (const [i, q] of p.takes) {
      const lv = levels[i];
      if (lv === undefined) continue;
      lv.qty -= q;
      this.execute(o, lv.price, q, false);
    }
    if (p.takes.length > 0) this.refreshTouch(b);
  }

  /**
   * A resting (maker) order the market trades through: it fills, at its own price, as much as the
   * opposite side shows at prices that cross it (all of it with the default depth, part of it on a
   * thin book; the rest waits for the next tick).
   */
  private restingFill(o: Order): void {
    const b = must(this.books, o.symbol, 'book');
    const levels = o.side === 'BUY' ? b.asks : b.bids;
    let took = 0n;
    for (const [i, q] of restingTakes(o.side, o.price, levels, o.origQty - o.executedQty)) {
      const lv = levels[i];
      if (lv === undefined) continue;
      lv.qty -= q;
      took += q;
    }
    if (took === 0n) return;
    this.refreshTouch(b);
    this.execute(o, o.price, took, true);
  }

  /** What a MARKET BUY of `qty` costs walking the asks (beyond the last level, at its price). */
  private walkCost(symbol: string, qty: Fx): Fx {
    const b = must(this.books, symbol, 'book');
    return walkCost(b.asks, qty, b.ask);
  }

  private execute(o: Order, px: Fx, qty: Fx, maker: boolean): void {
    if (qty <= 0n) return;
    const list = o.orderListId >= 0 ? this.lists.get(o.orderListId) : undefined;
    if (list) this.absorbListLock(o);
    const s = must(this.symbols, o.symbol, 'symbol');
    const quote = mul(px, qty);
    const base = this.balance(o.apiKey, s.base);
    const q = this.balance(o.apiKey, s.quote);
    let commission: Fx;
    let commissionAsset: string;
    if (o.side === 'BUY') {
      const spend = min(quote, o.locked);
      q.locked -= spend;
      o.locked -= spend;
      // A BUY stop that fills above the price it locked at pays the rest from the free balance.
      q.free -= quote - spend;
      commission = commissionOf('BUY', qty, quote);
      commissionAsset = s.base;
      base.free += qty - commission;
    } else {
      // A SELL sized by quote that walked lower bids than it locked at pays the rest from free.
      const spend = min(qty, o.locked);
      base.locked -= spend;
      o.locked -= spend;
      base.free -= qty - spend;
      commission = commissionOf('SELL', qty, quote);
      commissionAsset = s.quote;
      q.free += quote - commission;
    }
    const fill: Fill = { price: px, qty, commission, commissionAsset, tradeId: this.nextTradeId++, maker, time: this.now() };
    o.fills.push(fill);
    o.executedQty += qty;
    o.cumQuote += quote;
    o.updateTime = this.now();
    o.status = o.executedQty >= o.origQty ? 'FILLED' : 'PARTIALLY_FILLED';
    if (o.status === 'FILLED') this.release(o);
    else if (o.side === 'BUY' && o.price > 0n && o.orderListId < 0) {
      // A limit BUY that took below its price keeps locked only what the rest can cost.
      const excess = o.locked - mul(o.origQty - o.executedQty, o.price);
      if (excess > 0n) {
        q.locked -= excess;
        q.free += excess;
        o.locked -= excess;
      }
    }
    this.emit(o, fill);
    // On the tape: the buyer is the maker when a resting BUY was hit or a taker SELL hit the bids.
    this.print(o.symbol, px, qty, (o.side === 'BUY') === maker, fill.tradeId);
    // Any execution of an OCO leg ends its list: the other leg expires.
    if (list) this.settleList(o);
    // An OTO/OTOCO's working order fully filled: the pending legs go on the book (after the
    // placement reply when it filled at placement).
    if (list && list.workingOrderId === o.orderId && o.status === 'FILLED') {
      if (this.holdingList === list.orderListId) this.heldActivation = true;
      else this.activatePending(list);
    }
  }

  /**
   * Self-trade prevention, before a new taker trades: resting orders of the same account on the
   * other side that its price reaches would match it (price priority: at or before the book's
   * levels at their price). The taker first takes the book's levels strictly better than the
   * nearest such order, then the taker's mode decides: EXPIRE_TAKER expires the taker's rest,
   * EXPIRE_MAKER the resting order (and the taker goes on), EXPIRE_BOTH both; an expired order is
   * EXPIRED_IN_MATCH with preventedMatchId and preventedQuantity. Returns true when the taker is done.
   * Not modelled: MARKET by quoteOrderQty and FOK take the book whole first (their sizing is
   * all-or-nothing over the walk), so only an own order at or better than the touch stops them.
   */
  private preventSelfTrade(o: Order, limit: Fx | null, quoteQty: Fx | null): boolean {
    const b = must(this.books, o.symbol, 'book');
    for (;;) {
      const reach = (px: Fx): boolean => limit === null || (o.side === 'BUY' ? px <= limit : px >= limit);
      const makers = [...this.orders.values()]
        .filter(
          (m) => m.apiKey === o.apiKey && m.symbol === o.symbol && m.side !== o.side && isWorking(m) && m.triggered && m.price > 0n && m.orderId !== o.orderId,
        )
        .filter((m) => reach(m.price))
        .sort(
          (x, y) =>
            (o.side === 'BUY' ? (x.price < y.price ? -1 : x.price > y.price ? 1 : 0) : x.price > y.price ? -1 : x.price < y.price ? 1 : 0) ||
            x.orderId - y.orderId,
        );
      const maker = makers[0];
      if (!maker) return false;
      const touch = o.side === 'BUY' ? b.ask : b.bid;
      const ahead = o.side === 'BUY' ? touch < maker.price : touch > maker.price;
      if (ahead) {
        if (quoteQty !== null || o.timeInForce === 'FOK') return false;
        // The book's better levels trade first.
        this.takeBook(o, o.side === 'BUY' ? maker.price - 1n : maker.price + 1n, null);
        if (!isOpen(o) || o.origQty - o.executedQty <= 0n) return true;
      }
      const mode = o.stpMode ?? 'EXPIRE_MAKER';
      const id = this.nextPreventedMatchId++;
      const takerLeft = o.origQty - o.executedQty;
      const makerLeft = maker.origQty - maker.executedQty;
      const expireTaker = mode === 'EXPIRE_TAKER' || mode === 'EXPIRE_BOTH';
      const expireMaker = mode === 'EXPIRE_MAKER' || mode === 'EXPIRE_BOTH';
      (o.preventedMatches ??= []).push({
        preventedMatchId: id,
        makerOrderId: maker.orderId,
        price: maker.price,
        takerPreventedQuantity: expireTaker ? takerLeft : null,
        makerPreventedQuantity: expireMaker ? makerLeft : null,
      });
      if (expireMaker) this.expireInMatch(maker, id, makerLeft, o.orderId);
      if (expireTaker) {
        this.expireInMatch(o, id, takerLeft, maker.orderId);
        return true;
      }
    }
  }

  private expireInMatch(o: Order, preventedMatchId: number, qty: Fx, counterOrderId: number): void {
    o.preventedMatchId = preventedMatchId;
    o.preventedQuantity = qty;
    o.counterOrderId = counterOrderId;
    this.end(o, 'EXPIRED_IN_MATCH');
  }

  private end(o: Order, status: 'CANCELED' | 'EXPIRED' | 'EXPIRED_IN_MATCH'): void {
    o.status = status;
    o.updateTime = this.now();
    this.release(o);
    this.emit(o, null);
    if (o.orderListId >= 0) this.legEnded(o);
  }

  /** Returns what is still locked for an order that will not trade any more. */
  private release(o: Order): void {
    if (o.locked > 0n) {
      const b = this.balance(o.apiKey, o.lockedAsset);
      b.locked -= o.locked;
      b.free += o.locked;
      o.locked = 0n;
    }
  }

  private match(symbol: string): void {
    const b = must(this.books, symbol, 'book');
    for (const o of this.orders.values()) {
      if (o.symbol !== symbol || !isWorking(o)) continue;
      if (!o.triggered) {
        const px = o.side === 'SELL' ? b.bid : b.ask;
        let hit: boolean;
        if (this.trailRef.has(o.orderId)) {
          // Trailing stop: follows the best price and triggers delta BIPS behind it.
          const t = trailStep(o.side, must(this.trailRef, o.orderId, 'trailing reference'), px, o.trailingDelta ?? 0);
          this.trailRef.set(o.orderId, t.best);
          hit = t.hit;
          if (hit) {
            o.stopPrice = px;
            this.trailRef.delete(o.orderId);
          }
        } else {
          hit = stopHit(o.side, o.type, px, o.stopPrice);
        }
        if (!hit) continue;
        o.triggered = true;
        // A triggered leg ends its list: the other leg expires before this one trades.
        if (o.orderListId >= 0) this.settleList(o);
        // A triggered stop is a new taker: self-trade prevention applies to it as to any other
        // (its mode expires it, or the resting order of ours it would meet, EXPIRED_IN_MATCH).
        if (o.type === 'STOP_LOSS' || o.type === 'TAKE_PROFIT') {
          if (!this.preventSelfTrade(o, null, null)) this.takeBook(o, null, null);
          if (isOpen(o)) this.end(o, 'EXPIRED');
          continue;
        }
        if (!this.preventSelfTrade(o, o.price, null)) this.restingFill(o);
        if (isOpen(o) && (o.timeInForce === 'IOC' || o.timeInForce === 'FOK')) this.end(o, 'EXPIRED');
        continue;
      }
      this.restingFill(o);
    }
  }

  private emit(o: Order, fill: Fill | null): void {
    for (const l of this.listeners) l(o, fill);
  }

  private emitList(list: OrderList): void {
    const done = list.status === 'ALL_DONE';
    const e: ListEvent = { list, listStatusType: done ? 'ALL_DONE' : 'EXEC_STARTED', listOrderStatus: done ? 'ALL_DONE' : 'EXECUTING', time: this.now() };
    for (const l of this.listListeners) l(e);
  }

  /**
   * Forgets orders whose story ended more than `ms` ago (status final, last update older), and
   * order lists none of whose orders is left. Binance stops answering queries for canceled and
   * expired orders without fills after 90 days; this local venue, which runs for months under
   * `npm start`, keeps every final order for `ms` and no longer, so its memory and its state file
   * stay bounded. Open orders are never forgotten. Returns how many orders and lists went.
   */
  pruneHistory(ms: number): { orders: number; lists: number } {
    const cut = this.now() - ms;
    let orders = 0;
    for (const [id, o] of this.orders) {
      if (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED' || o.updateTime >= cut) continue;
      this.orders.delete(id);
      this.trailRef.delete(id);
      orders++;
    }
    let lists = 0;
    for (const [id, l] of this.lists) {
      if (l.orderIds.some((oid) => this.orders.has(oid))) continue;
      this.lists.delete(id);
      lists++;
    }
    return { orders, lists };
  }

  /** Sizes of the state that grows with trading (for the soak's report). */
  stateSizes(): { orders: number; open_orders: number; lists: number; fills: number } {
    let open = 0;
    let fills = 0;
    for (const o of this.orders.values()) {
      if (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED') open++;
      fills += o.fills.length;
    }
    return { orders: this.orders.size, open_orders: open, lists: this.lists.size, fills };
  }

  snapshot(): ExchangeSnapshot {
    const balances: ExchangeSnapshot['balances'] = {};
    for (const [k, m] of this.balances) balances[k] = Object.fromEntries([...m].map(([a, b]) => [a, { free: fmt(b.free), locked: fmt(b.locked) }]));
    return {
      nextOrderId: this.nextOrderId,
      nextTradeId: this.nextTradeId,
      balances,
      orders: [...this.orders.values()].map((o) => ({
        ...o,
        price: fmt(o.price),
        stopPrice: fmt(o.stopPrice),
        origQty: fmt(o.origQty),
        executedQty: fmt(o.executedQty),
        cumQuote: fmt(o.cumQuote),
        locked: fmt(o.locked),
        fills: o.fills.map((f) => ({ ...f, price: fmt(f.price), qty: fmt(f.qty), commission: fmt(f.commission) })),
        preventedQuantity: o.preventedQuantity === undefined ? undefined : fmt(o.preventedQuantity),
        preventedMatches: o.preventedMatches?.map((m) => ({
          ...m,
          price: fmt(m.price),
          takerPreventedQuantity: m.takerPreventedQuantity === null ? null : fmt(m.takerPreventedQuantity),
          makerPreventedQuantity: m.makerPreventedQuantity === null ? null : fmt(m.makerPreventedQuantity),
        })),
      })),
      nextPreventedMatchId: this.nextPreventedMatchId,
      prices: Object.fromEntries([...this.books].map(([s, b]) => [s, fmt(b.last)])),
      symbolStatus: Object.fromEntries([...this.symbols].map(([s, d]) => [s, d.status])),
      lists: [...this.lists.values()].map((l) => ({ ...l, orderIds: [...l.orderIds] })),
      nextListId: this.nextListId,
      trails: Object.fromEntries([...this.trailRef].map(([id, px]) => [String(id), fmt(px)])),
      liquidity: Object.fromEntries([...this.liquidity].map(([sym, l]) => [sym, { bidQty: fmt(l.bidQty), askQty: fmt(l.askQty), levels: l.levels }])),
      regimes: Object.fromEntries(this.regimes),
    };
  }

  restore(s: ExchangeSnapshot): void {
    this.nextOrderId = s.nextOrderId;
    this.nextTradeId = s.nextTradeId;
    this.nextPreventedMatchId = s.nextPreventedMatchId ?? 0;
    for (const [k, m] of Object.entries(s.balances)) {
      if (!this.balances.has(k)) continue;
      this.balances.set(k, new Map(Object.entries(m).map(([a, b]) => [a, { free: fx(b.free), locked: fx(b.locked) }])));
    }
    this.orders.clear();
    for (const o of s.orders) {
      this.orders.set(o.orderId, {
        ...o,
        price: fx(o.price),
        stopPrice: fx(o.stopPrice),
        origQty: fx(o.origQty),
        executedQty: fx(o.executedQty),
        cumQuote: fx(o.cumQuote),
        locked: fx(o.locked),
        fills: o.fills.map((f) => ({ ...f, price: fx(f.price), qty: fx(f.qty), commission: fx(f.commission) })),
        preventedQuantity: o.preventedQuantity === undefined ? undefined : fx(o.preventedQuantity),
        preventedMatches: o.preventedMatches?.map((m) => ({
          ...m,
          price: fx(m.price),
          takerPreventedQuantity: m.takerPreventedQuantity === null ? null : fx(m.takerPreventedQuantity),
          makerPreventedQuantity: m.makerPreventedQuantity === null ? null : fx(m.makerPreventedQuantity),
        })),
        // State files written before order lists and trailing stops existed lack these.
        orderListId: o.orderListId ?? -1,
        trailingDelta: o.trailingDelta ?? null,
      });
    }
    this.lists.clear();
    // State files written before OTO lists existed hold OCOs only.
    for (const l of s.lists ?? []) this.lists.set(l.orderListId, { ...l, contingencyType: l.contingencyType ?? 'OCO', orderIds: [...l.orderIds] });
    this.nextListId = s.nextListId ?? Math.max(0, ...this.lists.keys()) + 1;
    this.trailRef.clear();
    for (const [id, px] of Object.entries(s.trails ?? {})) if (this.orders.has(Number(id))) this.trailRef.set(Number(id), fx(px));
    for (const [sym, l] of Object.entries(s.liquidity ?? {}))
      if (this.liquidity.has(sym)) this.liquidity.set(sym, { bidQty: fx(l.bidQty), askQty: fx(l.askQty), levels: l.levels });
    for (const [sym, r] of Object.entries(s.regimes ?? {})) if (this.regimes.has(sym)) this.regimes.set(sym, r);
    for (const [sym, p] of Object.entries(s.prices)) {
      const d = this.symbols.get(sym);
      if (d) this.books.set(sym, this.bookAround(d, fx(p), 1));
    }
    for (const [sym, st] of Object.entries(s.symbolStatus)) {
      const d = this.symbols.get(sym);
      if (d) d.status = st as SymbolDef['status'];
    }
  }
}

/** An order still live at the venue: on the book, or a pending leg waiting for its working order. */
export function isOpen(o: Order): boolean {
  return o.status === 'NEW' || o.status === 'PARTIALLY_FILLED' || o.status === 'PENDING_NEW';
}

/** On the book and matchable (a PENDING_NEW leg is open but not working yet). */
export function isWorking(o: Order): boolean {
  return o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
}

function capitalized(k: string): string {
  return k.charAt(0).toUpperCase() + k.slice(1);
}

/** A leg's error with the request's own parameter names ('price' -> 'abovePrice', 'workingPrice', ...). */
function renamedParams(e: VenueError, name: (param: string) => string): { ok: false; err: VenueError } {
  return {
    ok: false,
    err: { ...e, msg: e.msg.replace(/'(price|stopPrice|trailingDelta|timeInForce|newClientOrderId|quantity)'/g, (_m, k: string) => `'${name(k)}'`) },
  };
}
