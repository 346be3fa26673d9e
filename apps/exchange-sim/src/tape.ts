import type { Exchange, TradePrint } from './exchange.js';

/** Prints kept per symbol for GET /api/v3/trades, /historicalTrades and /aggTrades. */
export const TAPE_MAX = 5000;

/**
 * The venue's recent trades per symbol (the market's prints and the users' fills), oldest first.
 * Bounded: Binance serves older trades from its database; the simulator forgets past TAPE_MAX.
 */
export class Tape {
  private readonly prints = new Map<string, TradePrint[]>();

  constructor(ex: Exchange) {
    ex.tradeListeners.push((t) => {
      const l = this.prints.get(t.symbol) ?? [];
      l.push(t);
      if (l.length > TAPE_MAX) l.splice(0, l.length - TAPE_MAX);
      this.prints.set(t.symbol, l);
    });
  }

  of(symbol: string): readonly TradePrint[] {
    return this.prints.get(symbol) ?? [];
  }
}
