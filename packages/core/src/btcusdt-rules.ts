import type { SymbolRules } from '@vigil/contracts';

/**
 * BTCUSDT's trading rules, one definition for every place that needs the symbol without a venue to
 * ask: the experiments' default symbol and the unit tests of core, engine and the experiments.
 * Product code (not a test helper) because `supervisor experiments` runs on SIM_BTCUSDT_RULES.
 */

/**
 * BTCUSDT with its price and lot filters only (tick 0.01, lot 0.00001): for unit tests where no
 * other filter is under test, so none of them can reject an order the test did not mean to.
 */
export const BTCUSDT_PRICE_LOT_RULES: SymbolRules = {
  symbol: 'BTCUSDT',
  status: 'TRADING',
  baseAsset: 'BTC',
  quoteAsset: 'USDT',
  baseAssetPrecision: 8,
  quoteAssetPrecision: 8,
  orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT'],
  ocoAllowed: true,
  icebergAllowed: true,
  cancelReplaceAllowed: true,
  allowTrailingStop: true,
  permissions: ['SPOT'],
  filters: {
    PRICE_FILTER: { filterType: 'PRICE_FILTER', minPrice: '0.01', maxPrice: '1000000', tickSize: '0.01' },
    LOT_SIZE: { filterType: 'LOT_SIZE', minQty: '0.00001', maxQty: '9000', stepSize: '0.00001' },
  },
};

/** BTCUSDT as the local simulator lists it: also notional 5..9 M, percent price by side, trailing 10..2000 bps; no iceberg. */
export const SIM_BTCUSDT_RULES: SymbolRules = {
  ...BTCUSDT_PRICE_LOT_RULES,
  orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
  icebergAllowed: false,
  filters: {
    ...BTCUSDT_PRICE_LOT_RULES.filters,
    MARKET_LOT_SIZE: { filterType: 'MARKET_LOT_SIZE', minQty: '0', maxQty: '100', stepSize: '0' },
    NOTIONAL: { filterType: 'NOTIONAL', minNotional: '5', applyMinToMarket: true, maxNotional: '9000000', applyMaxToMarket: false, avgPriceMins: 5 },
    PERCENT_PRICE_BY_SIDE: {
      filterType: 'PERCENT_PRICE_BY_SIDE',
      bidMultiplierUp: '5',
      bidMultiplierDown: '0.2',
      askMultiplierUp: '5',
      askMultiplierDown: '0.2',
      avgPriceMins: 5,
    },
    TRAILING_DELTA: {
      filterType: 'TRAILING_DELTA',
      minTrailingAboveDelta: 10,
      maxTrailingAboveDelta: 2000,
      minTrailingBelowDelta: 10,
      maxTrailingBelowDelta: 2000,
    },
  },
};
