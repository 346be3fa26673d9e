import { fx, type Fx } from './decimal.js';

export type SymbolStatus = 'TRADING' | 'BREAK' | 'HALT';

export interface SymbolDef {
  symbol: string;
  base: string;
  quote: string;
  status: SymbolStatus;
  tickSize: Fx;
  minPrice: Fx;
  maxPrice: Fx;
  stepSize: Fx;
  minQty: Fx;
  maxQty: Fx;
  marketStepSize: Fx;
  marketMinQty: Fx;
  marketMaxQty: Fx;
  minNotional: Fx;
  maxNotional: Fx;
  bidMultiplierUp: Fx;
  bidMultiplierDown: Fx;
  askMultiplierUp: Fx;
  askMultiplierDown: Fx;
  maxNumOrders: number;
  maxNumAlgoOrders: number;
  minTrailingDelta: number;
  maxTrailingDelta: number;
  /** exchangeInfo's cancelReplaceAllowed / allowTrailingStop (what a client should offer; not enforced here). */
  cancelReplaceAllowed: boolean;
  allowTrailingStop: boolean;
  /** exchangeInfo's ocoAllowed; false refuses an OCO as Binance does (-1013). */
  ocoAllowed: boolean;
  /**
   * The reference price (Binance, 2026-05-08): when set and non-null, PERCENT_PRICE_BY_SIDE is
   * judged against it instead of the average price. Absent: the symbol never had one (-2043).
   */
  referencePrice?: Fx | null;
  startPrice: Fx;
  volatilityBps: number;
  spreadBps: number;
  /** Displayed quantity per book level: deep enough that ordinary orders fill at the touch at once. */
  touchBidQty: Fx;
  touchAskQty: Fx;
  depthLevels: number;
}

const def = (symbol: string, base: string, start: string, tick: string, step: string, minQty: string, vol: number, touch: [string, string]): SymbolDef => ({
  symbol,
  base,
  quote: 'USDT',
  status: 'TRADING',
  tickSize: fx(tick),
  minPrice: fx(tick),
  maxPrice: fx('1000000'),
  stepSize: fx(step),
  minQty: fx(minQty),
  maxQty: fx('9000'),
  marketStepSize: 0n,
  marketMinQty: 0n,
  marketMaxQty: fx('100'),
  minNotional: fx('5'),
  maxNotional: fx('9000000'),
  bidMultiplierUp: fx('5'),
  bidMultiplierDown: fx('0.2'),
  askMultiplierUp: fx('5'),
  askMultiplierDown: fx('0.2'),
  maxNumOrders: 200,
  maxNumAlgoOrders: 5,
  minTrailingDelta: 10,
  maxTrailingDelta: 2000,
  cancelReplaceAllowed: true,
  allowTrailingStop: true,
  ocoAllowed: true,
  startPrice: fx(start),
  volatilityBps: vol,
  spreadBps: 1,
  touchBidQty: fx(touch[0]),
  touchAskQty: fx(touch[1]),
  depthLevels: 20,
});

export function defaultSymbols(): SymbolDef[] {
  return [
    // Touch quantities worth roughly 200k USDT a side: far above what a starting account can trade.
    def('BTCUSDT', 'BTC', '64000', '0.01', '0.00001', '0.00001', 4, ['3.5', '2.75']),
    def('ETHUSDT', 'ETH', '3200', '0.01', '0.0001', '0.0001', 6, ['70', '55']),
    def('BNBUSDT', 'BNB', '580', '0.01', '0.001', '0.001', 7, ['380', '300']),
  ];
}
