import { fx } from './decimal.js';
const def = (symbol, base, start, tick, step, minQty, vol) => ({
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
    startPrice: fx(start),
    volatilityBps: vol,
    spreadBps: 1,
});
export function defaultSymbols() {
    return [
        def('BTCUSDT', 'BTC', '64000', '0.01', '0.00001', '0.00001', 4),
        def('ETHUSDT', 'ETH', '3200', '0.01', '0.0001', '0.0001', 6),
        def('BNBUSDT', 'BNB', '580', '0.01', '0.001', '0.001', 7),
    ];
}
//# sourceMappingURL=symbols.js.map