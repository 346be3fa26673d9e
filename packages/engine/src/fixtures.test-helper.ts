import type { SymbolRules } from '@vigil/contracts';

/** BTCUSDT as the engine's unit tests use it: tick 0.01, lot 0.00001, no other filters. */
export const TEST_RULES: SymbolRules = {
  symbol: 'BTCUSDT',
  status: 'TRADING',
  baseAsset: 'BTC',
  quoteAsset: 'USDT',
  baseAssetPrecision: 8,
  quoteAssetPrecision: 8,
  orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT'],
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
