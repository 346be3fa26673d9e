import { type Fx } from './decimal.js';
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
    startPrice: Fx;
    volatilityBps: number;
    spreadBps: number;
}
export declare function defaultSymbols(): SymbolDef[];
//# sourceMappingURL=symbols.d.ts.map