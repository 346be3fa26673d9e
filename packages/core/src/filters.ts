import { Dec, formatDecimal, onGrid, parseDecimal, snapToGrid, stepDecimals, type DecimalString, type RoundMode } from './decimal.js';

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
import type { FilterName, SymbolRules } from '@vigil/contracts';

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

const ZERO = new Dec(0);

type Range = { min: Dec; max: Dec; step: Dec };

function range(min: string, max: string, step: string): Range | undefined {
  const a = parseDecimal(min);
  const b = parseDecimal(max);
  const c = parseDecimal(step);
  return a && b && c ? { min: a, max: b, step: c } : undefined;
}

function snapAndBound(x: Dec, r: Range, mode: RoundMode, fallbackDecimals: number, what: string): QuantizeResult {
  let v = x;
  if (!r.step.isZero()) v = snapToGrid(v, r.min, r.step, mode);
  else v = v.toDecimalPlaces(fallbackDecimals, mode === 'down' ? Dec.ROUND_FLOOR : mode === 'up' ? Dec.ROUND_CEIL : Dec.ROUND_HALF_UP);
  // The grid is min + k*step: a minimum finer than the step (0.15 on a 0.1 step) needs its decimals too.
  const dp = r.step.isZero() ? fallbackDecimals : Math.max(stepDecimals(r.step), stepDecimals(r.min));
  if (!r.min.isZero() && v.lt(r.min)) return { ok: false, reason: `${what} ${formatDecimal(v, dp)} below minimum ${r.min.toFixed()}` };
  if (v.lte(ZERO)) return { ok: false, reason: `${what} rounds to zero` };
  if (!r.max.isZero() && v.gt(r.max)) return { ok: false, reason: `${what} ${formatDecimal(v, dp)} above maximum ${r.max.toFixed()}` };
  return { ok: true, value: formatDecimal(v, dp) };
}

/** Snap a price onto the PRICE_FILTER grid; fails (rather than clamps) when the result is out of range. */
export function quantizePrice(price: DecimalString, rules: SymbolRules, mode: RoundMode): QuantizeResult {
  const p = parseDecimal(price);
  if (!p || p.lte(ZERO)) return { ok: false, reason: `malformed price ${JSON.stringify(price)}` };
  const f = rules.filters.PRICE_FILTER;
  const r = f ? range(f.minPrice, f.maxPrice, f.tickSize) : { min: ZERO, max: ZERO, step: ZERO };
  if (!r) return { ok: false, reason: 'malformed PRICE_FILTER' };
  return snapAndBound(p, r, mode, rules.quoteAssetPrecision, 'price');
}

/**
 * Round a quantity DOWN onto LOT_SIZE (and MARKET_LOT_SIZE for market orders): never more than
 * intended. With both filters the coarser step wins, and one step is a multiple of the other on
 * Binance, so snapping down to the coarser one satisfies both.
 */
export function quantizeQty(qty: DecimalString, rules: SymbolRules, opts: { readonly market?: boolean } = {}): QuantizeResult {
  const q = parseDecimal(qty);
  if (!q || q.lte(ZERO)) return { ok: false, reason: `malformed quantity ${JSON.stringify(qty)}` };
  const r = effectiveLot(rules, opts.market === true);
  if (!r) return { ok: false, reason: 'malformed LOT_SIZE/MARKET_LOT_SIZE' };
  return snapAndBound(q, r, 'down', rules.baseAssetPrecision, 'quantity');
}

function effectiveLot(rules: SymbolRules, market: boolean): Range | undefined {
  const lot = rules.filters.LOT_SIZE;
  const base = lot ? range(lot.minQty, lot.maxQty, lot.stepSize) : { min: ZERO, max: ZERO, step: ZERO };
  if (!base) return undefined;
  const m = market ? rules.filters.MARKET_LOT_SIZE : undefined;
  if (!m) return base;
  const mr = range(m.minQty, m.maxQty, m.stepSize);
  if (!mr) return undefined;
  const useMarketStep = mr.step.gt(base.step);
  return {
    min: Dec.max(base.min, mr.min),
    max: base.max.isZero() ? mr.max : mr.max.isZero() ? base.max : Dec.min(base.max, mr.max),
    step: useMarketStep ? mr.step : base.step,
  };
}

type Fail = Extract<ValidationResult, { ok: false }>;
const fail = (filter: Fail['filter'], reason: string): Fail => ({ ok: false, filter, reason });

function checkRange(name: FilterName, what: string, x: Dec, min: string, max: string, step: string): Fail | undefined {
  const r = range(min, max, step);
  if (!r) return fail(name, `${name} is malformed`);
  if (!r.min.isZero() && x.lt(r.min)) return fail(name, `${what} ${x.toFixed()} < min ${r.min.toFixed()}`);
  if (!r.max.isZero() && x.gt(r.max)) return fail(name, `${what} ${x.toFixed()} > max ${r.max.toFixed()}`);
  if (!r.step.isZero() && !onGrid(x, r.min, r.step)) return fail(name, `${what} ${x.toFixed()} is not on step ${r.step.toFixed()}`);
  return undefined;
}

function checkMultiplier(name: FilterName, price: Dec, avgPrice: Dec | undefined, up: string, down: string): Fail | undefined {
  if (!avgPrice) return fail(name, 'avgPrice required and not given');
  const u = parseDecimal(up);
  const d = parseDecimal(down);
  if (!u || !d) return fail(name, `${name} is malformed`);
  if (!u.isZero() && price.gt(avgPrice.times(u))) return fail(name, `price ${price.toFixed()} > avgPrice*${u.toFixed()}`);
  if (!d.isZero() && price.lt(avgPrice.times(d))) return fail(name, `price ${price.toFixed()} < avgPrice*${d.toFixed()}`);
  return undefined;
}

/** Binance's documented filter semantics, evaluated locally before an order is sent. */
export function validateOrder(order: OrderToValidate, rules: SymbolRules, ctx: ValidationContext = {}): ValidationResult {
  if (rules.status !== 'TRADING' && ctx.reduceOnly !== true) return fail('SYMBOL_STATUS', `symbol status ${rules.status}`);
  if (!rules.orderTypes.includes(order.type)) return fail('ORDER_TYPE', `order type ${order.type} not allowed on ${rules.symbol}`);
  const referencePrice = ctx.referencePrice === 'NONE' ? undefined : ctx.referencePrice;
  const decimals: Record<string, string | undefined> = {
    quantity: order.quantity,
    quoteOrderQty: order.quoteOrderQty,
    price: order.price,
    stopPrice: order.stopPrice,
    icebergQty: order.icebergQty,
    avgPrice: ctx.avgPrice,
    referencePrice,
    bid: ctx.bid,
    ask: ctx.ask,
  };
  for (const [k, v] of Object.entries(decimals)) {
    if (v === undefined) continue;
    const d = parseDecimal(v);
    if (!d || d.lte(ZERO)) return fail('ORDER_SHAPE', `${k} ${JSON.stringify(v)} is not a positive decimal string`);
  }
  const qty = parseDecimal(order.quantity);
  const quoteQty = parseDecimal(order.quoteOrderQty);
  const price = parseDecimal(order.price);
  const stopPrice = parseDecimal(order.stopPrice);
  const iceberg = parseDecimal(order.icebergQty);
  const avgPrice = parseDecimal(ctx.avgPrice);
  // The percent-price basis: null when unknown here (the venue judges those filters alone).
  const percentBasis = ctx.referencePrice === undefined ? null : ctx.referencePrice === 'NONE' ? avgPrice : parseDecimal(ctx.referencePrice);
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
  if (f.PRICE_FILTER) {
    for (const [what, v] of [
      ['price', price],
      ['stopPrice', stopPrice],
    ] as const) {
      if (v) {
        const e = checkRange('PRICE_FILTER', what, v, f.PRICE_FILTER.minPrice, f.PRICE_FILTER.maxPrice, f.PRICE_FILTER.tickSize);
        if (e) return e;
      }
    }
  }
  if (price && f.PERCENT_PRICE && percentBasis !== null) {
    const e = checkMultiplier('PERCENT_PRICE', price, percentBasis, f.PERCENT_PRICE.multiplierUp, f.PERCENT_PRICE.multiplierDown);
    if (e) return e;
  }
  if (price && f.PERCENT_PRICE_BY_SIDE && percentBasis !== null) {
    const s = f.PERCENT_PRICE_BY_SIDE;
    const e =
      order.side === 'BUY'
        ? checkMultiplier('PERCENT_PRICE_BY_SIDE', price, percentBasis, s.bidMultiplierUp, s.bidMultiplierDown)
        : checkMultiplier('PERCENT_PRICE_BY_SIDE', price, percentBasis, s.askMultiplierUp, s.askMultiplierDown);
    if (e) return e;
  }
  if (f.LOT_SIZE) {
    for (const [what, v] of [
      ['quantity', qty],
      ['icebergQty', iceberg],
    ] as const) {
      if (v) {
        const e = checkRange('LOT_SIZE', what, v, f.LOT_SIZE.minQty, f.LOT_SIZE.maxQty, f.LOT_SIZE.stepSize);
        if (e) return e;
      }
    }
  }
  if (market && qty && f.MARKET_LOT_SIZE) {
    const e = checkRange('MARKET_LOT_SIZE', 'quantity', qty, f.MARKET_LOT_SIZE.minQty, f.MARKET_LOT_SIZE.maxQty, f.MARKET_LOT_SIZE.stepSize);
    if (e) return e;
  }
  if (iceberg && qty && f.ICEBERG_PARTS) {
    const parts = qty.div(iceberg).toDecimalPlaces(0, Dec.ROUND_CEIL);
    if (parts.gt(f.ICEBERG_PARTS.limit)) return fail('ICEBERG_PARTS', `${parts.toFixed()} parts > limit ${f.ICEBERG_PARTS.limit}`);
  }

  // Notional: price*qty for priced orders; a market-on-trigger stop uses its stop price, or
  // avgPrice when it trails without one. MARKET (filters.md, MIN_NOTIONAL and NOTIONAL): the
  // symbol's reference price when it has one, else the average price over avgPriceMins
  // (quoteOrderQty is the notional itself). With the reference price unknown here, the venue's
  // basis is unknown: a market order's notional is the venue's to judge (never stricter than it).
  const marketBasisUnknown = market && !quoteQty && ctx.referencePrice === undefined;
  const refPrice = price ?? (market ? percentBasis : (stopPrice ?? avgPrice));
  const notional = quoteQty ?? (qty && refPrice ? qty.times(refPrice) : undefined);
  if (f.MIN_NOTIONAL && (!market || f.MIN_NOTIONAL.applyToMarket) && !marketBasisUnknown) {
    const min = parseDecimal(f.MIN_NOTIONAL.minNotional);
    if (!min) return fail('MIN_NOTIONAL', 'MIN_NOTIONAL is malformed');
    if (!min.isZero()) {
      if (!notional) return fail('MIN_NOTIONAL', market ? 'avgPrice required and not given' : 'notional cannot be computed');
      if (notional.lt(min)) return fail('MIN_NOTIONAL', `notional ${notional.toFixed()} < ${min.toFixed()}`);
    }
  }
  if (f.NOTIONAL) {
    const n = f.NOTIONAL;
    const min = parseDecimal(n.minNotional);
    const max = parseDecimal(n.maxNotional);
    if (!min || !max) return fail('NOTIONAL', 'NOTIONAL is malformed');
    const checkMin = !min.isZero() && (!market || n.applyMinToMarket) && !marketBasisUnknown;
    const checkMax = !max.isZero() && (!market || n.applyMaxToMarket) && !marketBasisUnknown;
    if ((checkMin || checkMax) && !notional) return fail('NOTIONAL', market ? 'avgPrice required and not given' : 'notional cannot be computed');
    if (notional && checkMin && notional.lt(min)) return fail('NOTIONAL', `notional ${notional.toFixed()} < min ${min.toFixed()}`);
    if (notional && checkMax && notional.gt(max)) return fail('NOTIONAL', `notional ${notional.toFixed()} > max ${max.toFixed()}`);
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
    const bid = parseDecimal(ctx.bid);
    const ask = parseDecimal(ctx.ask);
    if (order.side === 'BUY' && ask && price.gte(ask)) return fail('LIMIT_MAKER_WOULD_TAKE', `buy at ${price.toFixed()} >= ask ${ask.toFixed()}`);
    if (order.side === 'SELL' && bid && price.lte(bid)) return fail('LIMIT_MAKER_WOULD_TAKE', `sell at ${price.toFixed()} <= bid ${bid.toFixed()}`);
  }
  return { ok: true };
}
