import type { SymbolRules } from '@vigil/contracts';
import { div, floorStep, fx, max, min, mul, onStep, type Fx } from './fx.js';

/**
 * The venue's order-matching rules as pure functions over fixed-point decimals (Fx): when a stop or
 * trailing stop triggers, what a taker takes from a book, what a resting order takes when the
 * market trades through it, what a fill costs in commission, and which filter a new order fails.
 * The simulator (apps/exchange-sim) keeps the state (books, balances, orders, lists) and calls
 * these; `supervisor experiments` applies the same rules to historical bars (bars.ts). Nothing here
 * keeps state, reads a clock or draws a random number.
 */
export type Side = 'BUY' | 'SELL';
export type OrderType = 'LIMIT' | 'MARKET' | 'LIMIT_MAKER' | 'STOP_LOSS' | 'STOP_LOSS_LIMIT' | 'TAKE_PROFIT' | 'TAKE_PROFIT_LIMIT';
export const ORDER_TYPES: readonly OrderType[] = ['LIMIT', 'MARKET', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];
export const STOP_TYPES: readonly OrderType[] = ['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];

/** Commission in basis points, maker and taker alike (0.1 %). */
export const FEE_BPS = 10n;

/** One price level of a displayed book (what is left of it). */
export interface Level {
  price: Fx;
  qty: Fx;
}

/**
 * Commission of one fill: a BUY pays in the base asset (a share of the quantity), a SELL in the
 * quote asset (a share of the proceeds), both rounded down to the 8th decimal.
 */
export function commissionOf(side: Side, qty: Fx, quote: Fx, feeBps: bigint = FEE_BPS): Fx {
  return side === 'BUY' ? (qty * feeBps) / 10_000n : (quote * feeBps) / 10_000n;
}

/**
 * Does a (non-trailing) stop order trigger at `px` (the bid for a SELL, the ask for a BUY)? A
 * stop-loss sells when the price falls to its stop (buys when it rises); a take-profit the opposite.
 */
export function stopHit(side: Side, type: OrderType, px: Fx, stopPrice: Fx): boolean {
  const stopLoss = type === 'STOP_LOSS' || type === 'STOP_LOSS_LIMIT';
  return side === 'SELL' ? (stopLoss ? px <= stopPrice : px >= stopPrice) : stopLoss ? px >= stopPrice : px <= stopPrice;
}

/**
 * A trailing stop at `px`: it follows the best price seen (`ref`: the highest bid for a SELL, the
 * lowest ask for a BUY) and triggers `deltaBips` behind it.
 */
export function trailStep(side: Side, ref: Fx, px: Fx, deltaBips: number): { readonly best: Fx; readonly hit: boolean } {
  const best = side === 'SELL' ? max(ref, px) : min(ref, px);
  const d = BigInt(deltaBips);
  const hit = side === 'SELL' ? px * 10_000n <= best * (10_000n - d) : px * 10_000n >= best * (10_000n + d);
  return { best, hit };
}

/** Where a trailing stop starts from: the touch on its own side when placed. */
export function trailStart(side: Side, bid: Fx, ask: Fx): Fx {
  return side === 'SELL' ? bid : ask;
}

/** Does a level at `levelPrice` cross a limit (a BUY takes asks at or below it, a SELL bids at or above)? */
export function crosses(side: Side, levelPrice: Fx, limit: Fx): boolean {
  return side === 'BUY' ? levelPrice <= limit : levelPrice >= limit;
}

export interface TakerPlan {
  /** Level index and the quantity taken there, in book order. */
  readonly takes: readonly (readonly [number, Fx])[];
  /** The order's quantity when it is sized by quote (what the budget buys), else null. */
  readonly sizedQty: Fx | null;
}

/**
 * A taker walking the opposite side (`levels`, best first): one take per level, at the level's
 * price, up to `limit` (null = MARKET). `quoteQty` sizes a MARKET order by quote amount instead of
 * `left`: the quantity is what the budget buys level by level (in steps), and what the book could
 * not give is priced at the last level reached (`touch` when none).
 */
export function takerPlan(side: Side, levels: readonly Level[], left: Fx, limit: Fx | null, quoteQty: Fx | null, stepSize: Fx, touch: Fx): TakerPlan {
  const takes: [number, Fx][] = [];
  let quoteLeft = quoteQty;
  let lastPx = touch;
  for (const [i, lv] of levels.entries()) {
    if (lv.qty <= 0n) continue;
    if (limit !== null && !crosses(side, lv.price, limit)) break;
    let q: Fx;
    if (quoteLeft !== null) {
      q = min(lv.qty, floorStep(div(quoteLeft, lv.price), stepSize));
      if (q <= 0n) break;
      quoteLeft -= mul(q, lv.price);
    } else {
      if (left <= 0n) break;
      q = min(lv.qty, left);
      left -= q;
    }
    lastPx = lv.price;
    takes.push([i, q]);
  }
  if (quoteQty === null) return { takes, sizedQty: null };
  const planned = takes.reduce((a, [, q]) => a + q, 0n);
  return { takes, sizedQty: planned + floorStep(div(quoteLeft ?? 0n, lastPx), stepSize) };
}

/**
 * A resting (maker) order the market trades through: it takes, at its own price, as much as the
 * opposite side shows at prices that cross it. Returns the per-level takes; the order fills their
 * sum in one fill at its own price.
 */
export function restingTakes(side: Side, price: Fx, levels: readonly Level[], left: Fx): readonly (readonly [number, Fx])[] {
  const takes: [number, Fx][] = [];
  for (const [i, lv] of levels.entries()) {
    if (left <= 0n) break;
    if (lv.qty <= 0n) continue;
    if (!crosses(side, lv.price, price)) break;
    const q = min(lv.qty, left);
    left -= q;
    takes.push([i, q]);
  }
  return takes;
}

/** What a MARKET BUY of `qty` costs walking the asks (beyond the last level, at its price). */
export function walkCost(asks: readonly Level[], qty: Fx, ask: Fx): Fx {
  let left = qty;
  let cost = 0n;
  let px = ask;
  for (const lv of asks) {
    if (left <= 0n) break;
    const q = min(lv.qty, left);
    cost += mul(q, lv.price);
    left -= q;
    px = lv.price;
  }
  return cost + mul(left, px);
}

/** The touch around a mid: half the spread (at least a tick) each side, on the tick grid, ask above bid. */
export function touchAround(mid: Fx, spreadBps: number, tick: Fx): { readonly bid: Fx; readonly ask: Fx } {
  const half = max(tick, (mid * BigInt(spreadBps)) / 20_000n);
  const snap = (v: Fx): Fx => v - (v % tick);
  const bid = max(tick, snap(mid - half));
  const ask = max(bid + tick, snap(mid + half) + tick);
  return { bid, ask };
}

/** Distance between displayed levels: about half a basis point of the mid, at least a tick. */
export function levelSpacing(mid: Fx, tick: Fx): Fx {
  return max(tick, mid / 20_000n - ((mid / 20_000n) % tick));
}

/** The filters a new order is judged by (Fx values; 0 = no constraint where Binance allows it). */
export interface FilterSpec {
  readonly tickSize: Fx;
  readonly minPrice: Fx;
  readonly maxPrice: Fx;
  readonly stepSize: Fx;
  readonly minQty: Fx;
  readonly maxQty: Fx;
  readonly marketStepSize: Fx;
  readonly marketMinQty: Fx;
  readonly marketMaxQty: Fx;
  readonly minNotional: Fx;
  readonly maxNotional: Fx;
  readonly bidMultiplierUp: Fx;
  readonly bidMultiplierDown: Fx;
  readonly askMultiplierUp: Fx;
  readonly askMultiplierDown: Fx;
  readonly minTrailingDelta: number;
  readonly maxTrailingDelta: number;
}

export interface FilterOrder {
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: Fx | null;
  readonly quoteOrderQty: Fx | null;
  readonly price: Fx | null;
  readonly stopPrice: Fx | null;
  readonly trailingDelta: number | null;
}

export type FilterFailure = 'PRICE_FILTER' | 'MARKET_LOT_SIZE' | 'LOT_SIZE' | 'NOTIONAL' | 'PERCENT_PRICE_BY_SIDE' | 'TRAILING_DELTA';

/**
 * The first filter a new order fails (as Binance names it in -1013 "Filter failure: X"), or null.
 * `book` gives the touch (the notional of an unpriced order is judged at it) and the average price
 * for PERCENT_PRICE_BY_SIDE (the symbol's reference price when it has one).
 */
export function filterFailure(s: FilterSpec, o: FilterOrder, book: { readonly bid: Fx; readonly ask: Fx; readonly avg: Fx }): FilterFailure | null {
  const pr = o.price;
  const sp = o.stopPrice;
  const q = o.quantity;
  if (pr !== null && (pr < s.minPrice || pr > s.maxPrice || !onStep(pr, s.minPrice, s.tickSize))) return 'PRICE_FILTER';
  if (sp !== null && (sp < s.minPrice || sp > s.maxPrice || !onStep(sp, s.minPrice, s.tickSize))) return 'PRICE_FILTER';
  if (q !== null) {
    if (o.type === 'MARKET') {
      if ((s.marketMinQty && q < s.marketMinQty) || q > s.marketMaxQty || !onStep(q, s.marketMinQty, s.marketStepSize)) return 'MARKET_LOT_SIZE';
    }
    if (q < s.minQty || q > s.maxQty || !onStep(q, s.minQty, s.stepSize)) return 'LOT_SIZE';
  }
  // A MARKET order has no price: the reference price when the symbol has one, else the average
  // price over avgPriceMins (filters.md, NOTIONAL), both given as `book.avg`. A stop without a
  // limit price keeps the touch.
  const refPrice = pr ?? (o.type === 'MARKET' ? book.avg : o.side === 'BUY' ? book.ask : book.bid);
  const notional = q !== null ? mul(q, refPrice) : (o.quoteOrderQty ?? 0n);
  if (notional < s.minNotional || (o.type !== 'MARKET' && notional > s.maxNotional)) return 'NOTIONAL';
  if (pr !== null) {
    const [up, down] = o.side === 'BUY' ? [s.bidMultiplierUp, s.bidMultiplierDown] : [s.askMultiplierUp, s.askMultiplierDown];
    if (pr > mul(book.avg, up) || pr < mul(book.avg, down)) return 'PERCENT_PRICE_BY_SIDE';
  }
  const t = o.trailingDelta;
  if (t !== null && (!Number.isInteger(t) || t < s.minTrailingDelta || t > s.maxTrailingDelta)) return 'TRAILING_DELTA';
  return null;
}

/** The FilterSpec of a symbol's exchangeInfo rules (a filter it lacks constrains nothing). */
export function specFromRules(r: SymbolRules): FilterSpec {
  const f = r.filters;
  const v = (s: string | undefined, dflt: Fx): Fx => (s === undefined ? dflt : fx(trimFx(s)));
  const BIG = fx('92233720368');
  return {
    tickSize: v(f.PRICE_FILTER?.tickSize, 0n),
    minPrice: v(f.PRICE_FILTER?.minPrice, 0n),
    maxPrice: v(f.PRICE_FILTER?.maxPrice, BIG),
    stepSize: v(f.LOT_SIZE?.stepSize, 0n),
    minQty: v(f.LOT_SIZE?.minQty, 0n),
    maxQty: v(f.LOT_SIZE?.maxQty, BIG),
    marketStepSize: v(f.MARKET_LOT_SIZE?.stepSize, 0n),
    marketMinQty: v(f.MARKET_LOT_SIZE?.minQty, 0n),
    marketMaxQty: v(f.MARKET_LOT_SIZE?.maxQty, BIG),
    minNotional: v(f.NOTIONAL?.minNotional ?? f.MIN_NOTIONAL?.minNotional, 0n),
    maxNotional: v(f.NOTIONAL?.maxNotional, BIG),
    bidMultiplierUp: v(f.PERCENT_PRICE_BY_SIDE?.bidMultiplierUp ?? f.PERCENT_PRICE?.multiplierUp, BIG),
    bidMultiplierDown: v(f.PERCENT_PRICE_BY_SIDE?.bidMultiplierDown ?? f.PERCENT_PRICE?.multiplierDown, 0n),
    askMultiplierUp: v(f.PERCENT_PRICE_BY_SIDE?.askMultiplierUp ?? f.PERCENT_PRICE?.multiplierUp, BIG),
    askMultiplierDown: v(f.PERCENT_PRICE_BY_SIDE?.askMultiplierDown ?? f.PERCENT_PRICE?.multiplierDown, 0n),
    minTrailingDelta: f.TRAILING_DELTA?.minTrailingBelowDelta ?? 0,
    maxTrailingDelta: f.TRAILING_DELTA?.maxTrailingBelowDelta ?? Number.MAX_SAFE_INTEGER,
  };
}

/** exchangeInfo writes some decimals with more than 8 places of trailing zeros ("0.0100000000"). */
function trimFx(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
