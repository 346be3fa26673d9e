import type { DecimalString, RoundMode } from './decimal.js';
import {
  cmpExact,
  ceilDivExact,
  decimalsOf,
  EXACT_ZERO,
  formatExact,
  maxExact,
  minExact,
  mulExact,
  onGridExact,
  parseExact,
  plainExact,
  roundExact,
  snapExact,
  type Exact,
} from './exact.js';

/**
 * A symbol's trading rules (exchangeInfo symbols[]) and Binance's filter semantics (filters.md):
 * a zero min/max/step disables that part of a check. Quantization snaps onto the grid
 * min + k*step (equal to Binance's `x % step == 0` whenever min is a multiple of step, as on every
 * live symbol); quantities only ever round down. Output strings have exactly the step's decimals
 * ("0.00100000" step -> "1.234"), never an exponent. Validation fails closed: a present filter
 * whose check needs context we were not given (avgPrice, open order counts) rejects the order.
 */

export type {
  PriceFilter,
  LotSizeFilter,
  MarketLotSizeFilter,
  MinNotionalFilter,
  NotionalFilter,
  PercentPriceFilter,
  PercentPriceBySideFilter,
  MaxNumOrdersFilter,
  MaxNumAlgoOrdersFilter,
  TrailingDeltaFilter,
  IcebergPartsFilter,
  SymbolFilter,
  FilterName,
  SymbolFilters,
  SymbolRules,
} from '@vigil/contracts';
export { FILTER_NAMES } from '@vigil/contracts';
import type { FilterName, SymbolFilters, SymbolRules } from '@vigil/contracts';

export type OrderSide = 'BUY' | 'SELL';
export type OrderType = 'LIMIT' | 'MARKET' | 'STOP_LOSS' | 'STOP_LOSS_LIMIT' | 'TAKE_PROFIT' | 'TAKE_PROFIT_LIMIT' | 'LIMIT_MAKER';

export type OrderToValidate = {
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly quantity?: DecimalString;
  /** MARKET by quote amount; then the quantity is unknown and the lot-size checks cannot apply. */
  readonly quoteOrderQty?: DecimalString;
  readonly price?: DecimalString;
  readonly stopPrice?: DecimalString;
  /** BIPS, integer digits. */
  readonly trailingDelta?: string;
  readonly icebergQty?: DecimalString;
};

export type ValidationContext = {
  readonly avgPrice?: DecimalString;
  /**
   * What the venue judges PERCENT_PRICE and PERCENT_PRICE_BY_SIDE against (Binance, 2026-05-08):
   * the symbol's reference price when it has one, else the average price. A price: that one.
   * 'NONE': the venue says the symbol has none, so avgPrice applies. Absent: not known here, so
   * those two checks are left to the venue: a local pre-check must never be stricter than it.
   */
  readonly referencePrice?: DecimalString | 'NONE';
  readonly bid?: DecimalString;
  readonly ask?: DecimalString;
  readonly openOrders?: number;
  readonly openAlgoOrders?: number;
  /**
   * The order only reduces what we hold (protection, an exit): whether a market that is not
   * TRADING still takes it is the venue's call, not our copy of its status. A local refusal would
   * leave the position unprotected for certain; the venue's rejection costs one call.
   */
  readonly reduceOnly?: boolean;
};

/** Checks outside Binance's filter list that we also refuse on. */
export type PreCheckName = 'SYMBOL_STATUS' | 'ORDER_TYPE' | 'ORDER_SHAPE' | 'LIMIT_MAKER_WOULD_TAKE';
export type ValidationResult = { readonly ok: true } | { readonly ok: false; readonly filter: FilterName | PreCheckName; readonly reason: string };

export type QuantizeResult = { readonly ok: true; readonly value: DecimalString } | { readonly ok: false; readonly reason: string };

const PRICED_TYPES: readonly OrderType[] = ['LIMIT', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT', 'LIMIT_MAKER'];
const STOP_TYPES: readonly OrderType[] = ['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];

type Range = { readonly min: Exact; readonly max: Exact; readonly step: Exact };
const isZero = (x: Exact): boolean => x.n === 0n;
const ZERO_RANGE: Range = { min: EXACT_ZERO, max: EXACT_ZERO, step: EXACT_ZERO };

function range(min: string, max: string, step: string): Range | undefined {
  const a = parseExact(min);
  const b = parseExact(max);
  const c = parseExact(step);
  return a && b && c ? { min: a, max: b, step: c } : undefined;
}

type Multipliers = { readonly up: Exact; readonly down: Exact };
/**
 * A symbol's filters with their decimals parsed once: exchangeInfo changes rarely and every order
 * is checked against the same strings. Keyed by the filters object, which nothing mutates (the
 * types are readonly; a refresh brings new objects). 'malformed' keeps the per-order message.
 */
type Compiled = {
  readonly price: Range | 'malformed' | undefined;
  readonly lot: Range | 'malformed' | undefined;
  readonly marketLot: Range | 'malformed' | undefined;
  readonly percent: Multipliers | 'malformed' | undefined;
  /** Each side on its own: an order is judged by its side's multipliers only. */
  readonly bySide: { readonly BUY: Multipliers | 'malformed'; readonly SELL: Multipliers | 'malformed' } | undefined;
  readonly minNotional: Exact | 'malformed' | undefined;
  readonly notional: { readonly min: Exact; readonly max: Exact } | 'malformed' | undefined;
};
const compiledCache = new WeakMap<SymbolFilters, Compiled>();

function compile(f: SymbolFilters): Compiled {
  const hit = compiledCache.get(f);
  if (hit) return hit;
  const pair = (up: string, down: string): Multipliers | undefined => {
    const u = parseExact(up);
    const d = parseExact(down);
    return u && d ? { up: u, down: d } : undefined;
  };
  const s = f.PERCENT_PRICE_BY_SIDE;
  const n = f.NOTIONAL ? pair(f.NOTIONAL.maxNotional, f.NOTIONAL.minNotional) : undefined;
  const c: Compiled = {
    price: f.PRICE_FILTER ? (range(f.PRICE_FILTER.minPrice, f.PRICE_FILTER.maxPrice, f.PRICE_FILTER.tickSize) ?? 'malformed') : undefined,
    lot: f.LOT_SIZE ? (range(f.LOT_SIZE.minQty, f.LOT_SIZE.maxQty, f.LOT_SIZE.stepSize) ?? 'malformed') : undefined,
    marketLot: f.MARKET_LOT_SIZE ? (range(f.MARKET_LOT_SIZE.minQty, f.MARKET_LOT_SIZE.maxQty, f.MARKET_LOT_SIZE.stepSize) ?? 'malformed') : undefined,
    percent: f.PERCENT_PRICE ? (pair(f.PERCENT_PRICE.multiplierUp, f.PERCENT_PRICE.multiplierDown) ?? 'malformed') : undefined,
    bySide: s
      ? { BUY: pair(s.bidMultiplierUp, s.bidMultiplierDown) ?? 'malformed', SELL: pair(s.askMultiplierUp, s.askMultiplierDown) ?? 'malformed' }
      : undefined,
    minNotional: f.MIN_NOTIONAL ? (parseExact(f.MIN_NOTIONAL.minNotional) ?? 'malformed') : undefined,
    notional: f.NOTIONAL ? (n ? { min: n.down, max: n.up } : 'malformed') : undefined,
  };
  compiledCache.set(f, c);
  return c;
}

function snapAndBound(x: Exact, r: Range, mode: RoundMode, fallbackDecimals: number, what: string): QuantizeResult {
  const v = !isZero(r.step) ? snapExact(x, r.min, r.step, mode) : roundExact(x, fallbackDecimals, mode);
  // The grid is min + k*step: a minimum finer than the step (0.15 on a 0.1 step) needs its decimals too.
  const dp = isZero(r.step) ? fallbackDecimals : Math.max(decimalsOf(r.step), decimalsOf(r.min));
  if (!isZero(r.min) && cmpExact(v, r.min) < 0) return { ok: false, reason: `${what} ${formatExact(v, dp)} below minimum ${plainExact(r.min)}` };
  if (v.n <= 0n) return { ok: false, reason: `${what} rounds to zero` };
  if (!isZero(r.max) && cmpExact(v, r.max) > 0) return { ok: false, reason: `${what} ${formatExact(v, dp)} above maximum ${plainExact(r.max)}` };
  return { ok: true, value: formatExact(v, dp) };
}

/** Snap a price onto the PRICE_FILTER grid; fails (rather than clamps) when the result is out of range. */
export function quantizePrice(price: DecimalString, rules: SymbolRules, mode: RoundMode): QuantizeResult {
  const p = parseExact(price);
  if (!p || p.n <= 0n) return { ok: false, reason: `malformed price ${JSON.stringify(price)}` };
  const c = compile(rules.filters).price;
  if (c === 'malformed') return { ok: false, reason: 'malformed PRICE_FILTER' };
  return snapAndBound(p, c ?? ZERO_RANGE, mode, rules.quoteAssetPrecision, 'price');
}

/**
 * Round a quantity DOWN onto LOT_SIZE (and MARKET_LOT_SIZE for market orders): never more than
 * intended. With both filters the coarser step wins, and one step is a multiple of the other on
 * Binance, so snapping down to the coarser one satisfies both.
 */
export function quantizeQty(qty: DecimalString, rules: SymbolRules, opts: { readonly market?: boolean } = {}): QuantizeResult {
  const q = parseExact(qty);
  if (!q || q.n <= 0n) return { ok: false, reason: `malformed quantity ${JSON.stringify(qty)}` };
  const r = effectiveLot(rules, opts.market === true);
  if (!r) return { ok: false, reason: 'malformed LOT_SIZE/MARKET_LOT_SIZE' };
  return snapAndBound(q, r, 'down', rules.baseAssetPrecision, 'quantity');
}

function effectiveLot(rules: SymbolRules, market: boolean): Range | undefined {
  const c = compile(rules.filters);
  if (c.lot === 'malformed') return undefined;
  const base = c.lot ?? ZERO_RANGE;
  const mr = market ? c.marketLot : undefined;
  if (mr === undefined) return base;
  if (mr === 'malformed') return undefined;
  const useMarketStep = cmpExact(mr.step, base.step) > 0;
  return {
    min: maxExact(base.min, mr.min),
    max: isZero(base.max) ? mr.max : isZero(mr.max) ? base.max : minExact(base.max, mr.max),
    step: useMarketStep ? mr.step : base.step,
  };
}

type Fail = Extract<ValidationResult, { ok: false }>;
const fail = (filter: Fail['filter'], reason: string): Fail => ({ ok: false, filter, reason });

function checkRange(name: FilterName, what: string, x: Exact, r: Range | 'malformed'): Fail | undefined {
  if (r === 'malformed') return fail(name, `${name} is malformed`);
  if (!isZero(r.min) && cmpExact(x, r.min) < 0) return fail(name, `${what} ${plainExact(x)} < min ${plainExact(r.min)}`);
  if (!isZero(r.max) && cmpExact(x, r.max) > 0) return fail(name, `${what} ${plainExact(x)} > max ${plainExact(r.max)}`);
  if (!isZero(r.step) && !onGridExact(x, r.min, r.step)) return fail(name, `${what} ${plainExact(x)} is not on step ${plainExact(r.step)}`);
  return undefined;
}

function checkMultiplier(name: FilterName, price: Exact, avgPrice: Exact | undefined, m: Multipliers | 'malformed'): Fail | undefined {
  if (!avgPrice) return fail(name, 'avgPrice required and not given');
  if (m === 'malformed') return fail(name, `${name} is malformed`);
  if (!isZero(m.up) && cmpExact(price, mulExact(avgPrice, m.up)) > 0) return fail(name, `price ${plainExact(price)} > avgPrice*${plainExact(m.up)}`);
  if (!isZero(m.down) && cmpExact(price, mulExact(avgPrice, m.down)) < 0) return fail(name, `price ${plainExact(price)} < avgPrice*${plainExact(m.down)}`);
  return undefined;
}

/** Binance's documented filter semantics, evaluated locally before an order is sent. */
export function validateOrder(order: OrderToValidate, rules: SymbolRules, ctx: ValidationContext = {}): ValidationResult {
  if (rules.status !== 'TRADING' && ctx.reduceOnly !== true) return fail('SYMBOL_STATUS', `symbol status ${rules.status}`);
  if (!rules.orderTypes.includes(order.type)) return fail('ORDER_TYPE', `order type ${order.type} not allowed on ${rules.symbol}`);
  // Each decimal parsed once; the first that is present and not a positive decimal is named.
  let bad: Fail | undefined;
  const positive = (k: string, v: string | undefined): Exact | undefined => {
    if (v === undefined || bad) return undefined;
    const d = parseExact(v);
    if (!d || d.n <= 0n) bad = fail('ORDER_SHAPE', `${k} ${JSON.stringify(v)} is not a positive decimal string`);
    return d;
  };
  const referencePrice = ctx.referencePrice === 'NONE' ? undefined : ctx.referencePrice;
  const qty = positive('quantity', order.quantity);
  const quoteQty = positive('quoteOrderQty', order.quoteOrderQty);
  const price = positive('price', order.price);
  const stopPrice = positive('stopPrice', order.stopPrice);
  const iceberg = positive('icebergQty', order.icebergQty);
  const avgPrice = positive('avgPrice', ctx.avgPrice);
  const refParsed = positive('referencePrice', referencePrice);
  positive('bid', ctx.bid);
  positive('ask', ctx.ask);
  if (bad) return bad;
  // The percent-price basis: null when unknown here (the venue judges those filters alone).
  const percentBasis = ctx.referencePrice === undefined ? null : ctx.referencePrice === 'NONE' ? avgPrice : refParsed;
  const market = order.type === 'MARKET';
  const priced = PRICED_TYPES.includes(order.type);
  const algo = STOP_TYPES.includes(order.type);
  if (!qty && !(market && quoteQty)) return fail('ORDER_SHAPE', 'quantity required');
  if (qty && quoteQty) return fail('ORDER_SHAPE', 'quantity and quoteOrderQty are exclusive');
  if (priced && !price) return fail('ORDER_SHAPE', `${order.type} requires a price`);
  if (!priced && price) return fail('ORDER_SHAPE', `${order.type} takes no price`);
  if (algo && !stopPrice && order.trailingDelta === undefined) return fail('ORDER_SHAPE', `${order.type} requires stopPrice or trailingDelta`);
  if (iceberg && !rules.icebergAllowed) return fail('ORDER_SHAPE', 'iceberg orders not allowed');
  if (order.trailingDelta !== undefined && !rules.allowTrailingStop) return fail('ORDER_SHAPE', 'trailing stops not allowed');

  const f = rules.filters;
  const c = compile(f);
  if (c.price) {
    for (const [what, v] of [
      ['price', price],
      ['stopPrice', stopPrice],
    ] as const) {
      if (v) {
        const e = checkRange('PRICE_FILTER', what, v, c.price);
        if (e) return e;
      }
    }
  }
  if (price && c.percent && percentBasis !== null) {
    const e = checkMultiplier('PERCENT_PRICE', price, percentBasis, c.percent);
    if (e) return e;
  }
  if (price && c.bySide && percentBasis !== null) {
    const e = checkMultiplier('PERCENT_PRICE_BY_SIDE', price, percentBasis, c.bySide[order.side]);
    if (e) return e;
  }
  if (c.lot) {
    for (const [what, v] of [
      ['quantity', qty],
      ['icebergQty', iceberg],
    ] as const) {
      if (v) {
        const e = checkRange('LOT_SIZE', what, v, c.lot);
        if (e) return e;
      }
    }
  }
  if (market && qty && c.marketLot) {
    const e = checkRange('MARKET_LOT_SIZE', 'quantity', qty, c.marketLot);
    if (e) return e;
  }
  if (iceberg && qty && f.ICEBERG_PARTS) {
    const parts = ceilDivExact(qty, iceberg);
    // A number compare, as before: a limit that is not an integer must not make BigInt throw.
    if (Number(parts) > f.ICEBERG_PARTS.limit) return fail('ICEBERG_PARTS', `${parts} parts > limit ${f.ICEBERG_PARTS.limit}`);
  }

  // Notional: price*qty for priced orders; a market-on-trigger stop uses its stop price, or
  // avgPrice when it trails without one. MARKET (filters.md, MIN_NOTIONAL and NOTIONAL): the
  // symbol's reference price when it has one, else the average price over avgPriceMins
  // (quoteOrderQty is the notional itself). With the reference price unknown here, the venue's
  // basis is unknown: a market order's notional is the venue's to judge (never stricter than it).
  const marketBasisUnknown = market && !quoteQty && ctx.referencePrice === undefined;
  const refPrice = price ?? (market ? percentBasis : (stopPrice ?? avgPrice));
  const notional = quoteQty ?? (qty && refPrice ? mulExact(qty, refPrice) : undefined);
  if (f.MIN_NOTIONAL && (!market || f.MIN_NOTIONAL.applyToMarket) && !marketBasisUnknown) {
    const min = c.minNotional;
    if (min === 'malformed' || min === undefined) return fail('MIN_NOTIONAL', 'MIN_NOTIONAL is malformed');
    if (!isZero(min)) {
      if (!notional) return fail('MIN_NOTIONAL', market ? 'avgPrice required and not given' : 'notional cannot be computed');
      if (cmpExact(notional, min) < 0) return fail('MIN_NOTIONAL', `notional ${plainExact(notional)} < ${plainExact(min)}`);
    }
  }
  if (f.NOTIONAL) {
    const n = f.NOTIONAL;
    const b = c.notional;
    if (b === 'malformed' || b === undefined) return fail('NOTIONAL', 'NOTIONAL is malformed');
    const checkMin = !isZero(b.min) && (!market || n.applyMinToMarket) && !marketBasisUnknown;
    const checkMax = !isZero(b.max) && (!market || n.applyMaxToMarket) && !marketBasisUnknown;
    if ((checkMin || checkMax) && !notional) return fail('NOTIONAL', market ? 'avgPrice required and not given' : 'notional cannot be computed');
    if (notional && checkMin && cmpExact(notional, b.min) < 0) return fail('NOTIONAL', `notional ${plainExact(notional)} < min ${plainExact(b.min)}`);
    if (notional && checkMax && cmpExact(notional, b.max) > 0) return fail('NOTIONAL', `notional ${plainExact(notional)} > max ${plainExact(b.max)}`);
  }

  if (order.trailingDelta !== undefined) {
    if (!/^\d{1,9}$/.test(order.trailingDelta)) return fail('ORDER_SHAPE', `trailingDelta ${JSON.stringify(order.trailingDelta)} is not an integer`);
    if (!algo) return fail('ORDER_SHAPE', `${order.type} takes no trailingDelta`);
    const t = f.TRAILING_DELTA;
    if (t) {
      const td = Number(order.trailingDelta);
      const above =
        ((order.type === 'STOP_LOSS' || order.type === 'STOP_LOSS_LIMIT') && order.side === 'BUY') ||
        ((order.type === 'TAKE_PROFIT' || order.type === 'TAKE_PROFIT_LIMIT') && order.side === 'SELL');
      const [min, max] = above ? [t.minTrailingAboveDelta, t.maxTrailingAboveDelta] : [t.minTrailingBelowDelta, t.maxTrailingBelowDelta];
      if (min !== 0 && td < min) return fail('TRAILING_DELTA', `trailingDelta ${td} < ${above ? 'above' : 'below'} min ${min}`);
      if (max !== 0 && td > max) return fail('TRAILING_DELTA', `trailingDelta ${td} > ${above ? 'above' : 'below'} max ${max}`);
    }
  }

  if (f.MAX_NUM_ORDERS) {
    if (ctx.openOrders === undefined) return fail('MAX_NUM_ORDERS', 'openOrders required and not given');
    if (ctx.openOrders + 1 > f.MAX_NUM_ORDERS.maxNumOrders)
      return fail('MAX_NUM_ORDERS', `${ctx.openOrders} open orders, max ${f.MAX_NUM_ORDERS.maxNumOrders}`);
  }
  if (algo && f.MAX_NUM_ALGO_ORDERS) {
    if (ctx.openAlgoOrders === undefined) return fail('MAX_NUM_ALGO_ORDERS', 'openAlgoOrders required and not given');
    if (ctx.openAlgoOrders + 1 > f.MAX_NUM_ALGO_ORDERS.maxNumAlgoOrders)
      return fail('MAX_NUM_ALGO_ORDERS', `${ctx.openAlgoOrders} open algo orders, max ${f.MAX_NUM_ALGO_ORDERS.maxNumAlgoOrders}`);
  }

  if (order.type === 'LIMIT_MAKER' && price) {
    const bid = parseExact(ctx.bid);
    const ask = parseExact(ctx.ask);
    if (order.side === 'BUY' && ask && cmpExact(price, ask) >= 0)
      return fail('LIMIT_MAKER_WOULD_TAKE', `buy at ${plainExact(price)} >= ask ${plainExact(ask)}`);
    if (order.side === 'SELL' && bid && cmpExact(price, bid) <= 0)
      return fail('LIMIT_MAKER_WOULD_TAKE', `sell at ${plainExact(price)} <= bid ${plainExact(bid)}`);
  }
  return { ok: true };
}
