/**
 * A symbol's trading rules as exchangeInfo gives them (decimals as strings). They live here, not in
 * @vigil/core, because they cross the market channel: the gateway loads them, the engine quantizes
 * decisions with them. Semantics (quantize, validate) stay in @vigil/core/filters.
 */
type DecimalString = string;

export type PriceFilter = {
  readonly filterType: 'PRICE_FILTER';
  readonly minPrice: DecimalString;
  readonly maxPrice: DecimalString;
  readonly tickSize: DecimalString;
};
export type LotSizeFilter = {
  readonly filterType: 'LOT_SIZE';
  readonly minQty: DecimalString;
  readonly maxQty: DecimalString;
  readonly stepSize: DecimalString;
};
export type MarketLotSizeFilter = {
  readonly filterType: 'MARKET_LOT_SIZE';
  readonly minQty: DecimalString;
  readonly maxQty: DecimalString;
  readonly stepSize: DecimalString;
};
export type MinNotionalFilter = {
  readonly filterType: 'MIN_NOTIONAL';
  readonly minNotional: DecimalString;
  readonly applyToMarket: boolean;
  readonly avgPriceMins: number;
};
export type NotionalFilter = {
  readonly filterType: 'NOTIONAL';
  readonly minNotional: DecimalString;
  readonly applyMinToMarket: boolean;
  readonly maxNotional: DecimalString;
  readonly applyMaxToMarket: boolean;
  readonly avgPriceMins: number;
};
export type PercentPriceFilter = {
  readonly filterType: 'PERCENT_PRICE';
  readonly multiplierUp: DecimalString;
  readonly multiplierDown: DecimalString;
  readonly avgPriceMins: number;
};
export type PercentPriceBySideFilter = {
  readonly filterType: 'PERCENT_PRICE_BY_SIDE';
  readonly bidMultiplierUp: DecimalString;
  readonly bidMultiplierDown: DecimalString;
  readonly askMultiplierUp: DecimalString;
  readonly askMultiplierDown: DecimalString;
  readonly avgPriceMins: number;
};
export type MaxNumOrdersFilter = { readonly filterType: 'MAX_NUM_ORDERS'; readonly maxNumOrders: number };
export type MaxNumAlgoOrdersFilter = { readonly filterType: 'MAX_NUM_ALGO_ORDERS'; readonly maxNumAlgoOrders: number };
export type TrailingDeltaFilter = {
  readonly filterType: 'TRAILING_DELTA';
  readonly minTrailingAboveDelta: number;
  readonly maxTrailingAboveDelta: number;
  readonly minTrailingBelowDelta: number;
  readonly maxTrailingBelowDelta: number;
};
export type IcebergPartsFilter = { readonly filterType: 'ICEBERG_PARTS'; readonly limit: number };

export type SymbolFilter =
  | PriceFilter
  | LotSizeFilter
  | MarketLotSizeFilter
  | MinNotionalFilter
  | NotionalFilter
  | PercentPriceFilter
  | PercentPriceBySideFilter
  | MaxNumOrdersFilter
  | MaxNumAlgoOrdersFilter
  | TrailingDeltaFilter
  | IcebergPartsFilter;

export type FilterName = SymbolFilter['filterType'];
export const FILTER_NAMES = [
  'PRICE_FILTER',
  'LOT_SIZE',
  'MARKET_LOT_SIZE',
  'MIN_NOTIONAL',
  'NOTIONAL',
  'PERCENT_PRICE',
  'PERCENT_PRICE_BY_SIDE',
  'MAX_NUM_ORDERS',
  'MAX_NUM_ALGO_ORDERS',
  'TRAILING_DELTA',
  'ICEBERG_PARTS',
] as const satisfies readonly FilterName[];

/** At most one filter of each type, looked up by name. */
export type SymbolFilters = { readonly [K in FilterName]?: Extract<SymbolFilter, { filterType: K }> };

export type SymbolRules = {
  readonly symbol: string;
  readonly status: string;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  readonly baseAssetPrecision: number;
  readonly quoteAssetPrecision: number;
  readonly orderTypes: readonly string[];
  readonly ocoAllowed: boolean;
  readonly icebergAllowed: boolean;
  /** POST /api/v3/order/cancelReplace is accepted for this symbol (absent in a reply: false). */
  readonly cancelReplaceAllowed: boolean;
  /** Stop orders may carry a trailingDelta (absent in a reply: false). */
  readonly allowTrailingStop: boolean;
  /** Flattened from `permissions` and `permissionSets` (newer replies leave `permissions` empty). */
  readonly permissions: readonly string[];
  /** False only where the venue says so (absent in a reply or a fixture: allowed). */
  readonly isSpotTradingAllowed?: boolean;
  readonly filters: SymbolFilters;
};
