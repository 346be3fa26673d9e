import { FILTER_NAMES, type FilterName } from '@vigil/core';
import type { RateInterval, RateLimitType } from './rate-limits.js';

/**
 * The exchangeInfo schemas, apart from the code that validates with them: the build compiles them
 * ahead of time (scripts/validators.ts, into dist/validators.generated.cjs), so a gateway thread
 * neither loads the ajv compiler nor compiles a schema at start.
 */

const decimal = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' } as const;
// Beyond 2^53 a JSON integer is no longer exact: a limit we cannot represent is not a limit we know.
const int = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const bool = { type: 'boolean' } as const;

export const FILTER_FIELDS: { readonly [K in FilterName]: Readonly<Record<string, object>> } = {
  PRICE_FILTER: { minPrice: decimal, maxPrice: decimal, tickSize: decimal },
  LOT_SIZE: { minQty: decimal, maxQty: decimal, stepSize: decimal },
  MARKET_LOT_SIZE: { minQty: decimal, maxQty: decimal, stepSize: decimal },
  MIN_NOTIONAL: { minNotional: decimal, applyToMarket: bool, avgPriceMins: int },
  NOTIONAL: { minNotional: decimal, applyMinToMarket: bool, maxNotional: decimal, applyMaxToMarket: bool, avgPriceMins: int },
  PERCENT_PRICE: { multiplierUp: decimal, multiplierDown: decimal, avgPriceMins: int },
  PERCENT_PRICE_BY_SIDE: { bidMultiplierUp: decimal, bidMultiplierDown: decimal, askMultiplierUp: decimal, askMultiplierDown: decimal, avgPriceMins: int },
  MAX_NUM_ORDERS: { maxNumOrders: int },
  MAX_NUM_ALGO_ORDERS: { maxNumAlgoOrders: int },
  TRAILING_DELTA: { minTrailingAboveDelta: int, maxTrailingAboveDelta: int, minTrailingBelowDelta: int, maxTrailingBelowDelta: int },
  ICEBERG_PARTS: { limit: int },
};

const filterSchema = {
  type: 'object',
  allOf: FILTER_NAMES.map((name) => ({
    if: { required: ['filterType'], properties: { filterType: { const: name } } },
    then: { required: Object.keys(FILTER_FIELDS[name]), properties: FILTER_FIELDS[name] },
  })),
} as const;

/** The rate-limit types and intervals the governor models; any other entry is skipped, not refused. */
export const RATE_LIMIT_TYPES: readonly RateLimitType[] = ['REQUEST_WEIGHT', 'ORDERS', 'RAW_REQUESTS'];
export const RATE_INTERVALS: readonly RateInterval[] = ['SECOND', 'MINUTE', 'HOUR', 'DAY'];

const rateLimitSchema = {
  type: 'object',
  // Only an entry of a type and interval we count is held to its shape (CONNECTIONS and the like pass).
  if: { required: ['rateLimitType', 'interval'], properties: { rateLimitType: { enum: RATE_LIMIT_TYPES }, interval: { enum: RATE_INTERVALS } } },
  then: {
    required: ['rateLimitType', 'interval', 'intervalNum', 'limit'],
    properties: {
      intervalNum: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
      limit: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    },
  },
} as const;

export const SYMBOL_SCHEMA = {
  type: 'object',
  required: ['symbol', 'status', 'baseAsset', 'quoteAsset', 'baseAssetPrecision', 'quoteAssetPrecision', 'orderTypes', 'filters'],
  properties: {
    symbol: { type: 'string', pattern: '^[A-Z0-9_.-]{1,40}$' },
    status: { type: 'string' },
    baseAsset: { type: 'string' },
    quoteAsset: { type: 'string' },
    baseAssetPrecision: { type: 'integer', minimum: 0, maximum: 18 },
    quoteAssetPrecision: { type: 'integer', minimum: 0, maximum: 18 },
    orderTypes: { type: 'array', items: { type: 'string' } },
    ocoAllowed: bool,
    icebergAllowed: bool,
    cancelReplaceAllowed: bool,
    allowTrailingStop: bool,
    isSpotTradingAllowed: bool,
    permissions: { type: 'array', items: { type: 'string' } },
    permissionSets: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
    filters: { type: 'array', items: filterSchema },
  },
} as const;

/**
 * The envelope only: the symbols array is not checked entry by entry here. The live reply lists
 * thousands of symbols (testnet: some with non-ASCII names) and Binance adds fields and enum
 * values without notice, so only the symbols we trade are held to SYMBOL_SCHEMA.
 */
export const EXCHANGE_INFO_SCHEMA = {
  type: 'object',
  required: ['serverTime', 'rateLimits', 'symbols'],
  properties: {
    serverTime: int,
    rateLimits: { type: 'array', items: rateLimitSchema },
    symbols: { type: 'array' },
  },
} as const;
