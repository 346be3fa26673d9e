import { Dec } from '@vigil/core';

/**
 * The bot's own positions and P&L, derived from its fills (never from the account balance, which
 * may hold assets the bot does not manage). Commissions paid in the base asset reduce the
 * position; in the quote asset they add to cost (buy) or reduce proceeds (sell); in a third asset
 * (BNB, when the account pays fees with it) they are valued by the trader at that asset's price in
 * the quote and charged as a realized loss when valued (chargeFee). Fills are deduplicated by trade
 * id: the same fill can arrive from an order reply, the user stream and myTrades.
 */
export interface LedgerFill {
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly price: string;
  readonly qty: string;
  readonly commission: string;
  readonly commission_asset: string;
  readonly trade_id: number | null;
  readonly ts_ms: number;
}

export interface PositionView {
  readonly symbol: string;
  readonly qty: string;
  readonly avg_price: string;
  readonly cost: string;
  readonly realized: string;
  readonly fees_quote: string;
  readonly opened_ms: number | null;
}

interface Pos {
  qty: Dec;
  cost: Dec;
  realized: Dec;
  fees: Dec;
  opened: number | null;
}

/**
 * Trade ids remembered per symbol. A bot that runs for months fills without end: beyond this many,
 * the oldest remembered id is forgotten and becomes the floor, and an id at or below the floor
 * counts as seen. Venue trade ids only grow per symbol, so a trade older than the last
 * SEEN_PER_SYMBOL fills of its symbol is never a new one.
 */
export const SEEN_PER_SYMBOL = 20_000;
/** Realized P&L is kept for the last this many UTC days (the limits read today's). */
export const DAILY_DAYS_KEPT = 7;

interface Seen {
  readonly ids: Set<string>;
  floor: number;
}

export class Ledger {
  private readonly pos = new Map<string, Pos>();
  private readonly seen = new Map<string, Seen>();
  /** Realized P&L per UTC day (YYYY-MM-DD). */
  private readonly daily = new Map<string, Dec>();

  constructor(private readonly assets: (symbol: string) => { readonly base: string; readonly quote: string } | null) {}

  /** Restores a position remembered from the audit database at startup. */
  restore(symbol: string, qty: string, avgPrice: string, openedMs: number | null): void {
    const q = new Dec(qty);
    this.pos.set(symbol, { qty: q, cost: q.mul(avgPrice), realized: new Dec(0), fees: new Dec(0), opened: openedMs });
  }

  /**
   * Restores a day's realized P&L recorded before a restart (the last PNL_SAMPLED of the day): the
   * daily loss limit counts from it, not from zero. Fills applied afterwards add to it.
   */
  restoreDay(dayUtc: string, realized: string): void {
    this.addDaily(dayUtc, new Dec(realized));
  }

  /** Trades already counted in a restored position: the venue reporting them again changes nothing. */
  markCounted(symbol: string, tradeIds: readonly string[]): void {
    for (const t of tradeIds) this.markSeen(symbol, t);
  }

  isCounted(symbol: string, tradeId: number): boolean {
    return this.wasSeen(symbol, String(tradeId));
  }

  /** How many trade ids are remembered (all symbols): bounded by SEEN_PER_SYMBOL each. */
  rememberedTrades(): number {
    let n = 0;
    for (const s of this.seen.values()) n += s.ids.size;
    return n;
  }

  /** Days whose realized P&L is kept: bounded by DAILY_DAYS_KEPT. */
  daysKept(): number {
    return this.daily.size;
  }

  private wasSeen(symbol: string, id: string): boolean {
    const s = this.seen.get(symbol);
    if (!s) return false;
    if (s.ids.has(id)) return true;
    const n = Number(id);
    return Number.isSafeInteger(n) && n <= s.floor;
  }

  private markSeen(symbol: string, id: string): void {
    let s = this.seen.get(symbol);
    if (!s) this.seen.set(symbol, (s = { ids: new Set(), floor: Number.NEGATIVE_INFINITY }));
    s.ids.add(id);
    if (s.ids.size <= SEEN_PER_SYMBOL) return;
    const oldest = s.ids.values().next().value as string;
    s.ids.delete(oldest);
    const n = Number(oldest);
    if (Number.isSafeInteger(n) && n > s.floor) s.floor = n;
  }

  private addDaily(day: string, v: Dec): void {
    this.daily.set(day, v);
    if (this.daily.size <= DAILY_DAYS_KEPT) return;
    const keep = [...this.daily.keys()].sort().slice(-DAILY_DAYS_KEPT);
    for (const d of [...this.daily.keys()]) if (!keep.includes(d)) this.daily.delete(d);
  }

  /**
   * The venue contradicted the position and the policy adopts what is left there: the quantity is
   * set (at the same average price), nothing is realized (the coins left by another hand).
   */
  adopt(symbol: string, qty: string): void {
    const p = this.pos.get(symbol);
    if (!p) return;
    const q = new Dec(qty);
    const avg = p.qty.isZero() ? new Dec(0) : p.cost.div(p.qty);
    p.qty = q;
    p.cost = avg.mul(q);
    if (q.isZero()) p.opened = null;
  }

  /** Returns false for a fill already counted. */
  apply(f: LedgerFill): boolean {
    if (f.trade_id !== null) {
      if (this.wasSeen(f.symbol, String(f.trade_id))) return false;
      this.markSeen(f.symbol, String(f.trade_id));
    }
    const a = this.assets(f.symbol);
    const p = this.pos.get(f.symbol) ?? { qty: new Dec(0), cost: new Dec(0), realized: new Dec(0), fees: new Dec(0), opened: null };
    const qty = new Dec(f.qty);
    const px = new Dec(f.price);
    const fee = new Dec(f.commission);
    const feeQuote = a && f.commission_asset === a.quote ? fee : a && f.commission_asset === a.base ? fee.mul(px) : new Dec(0);
    p.fees = p.fees.plus(feeQuote);
    if (f.side === 'BUY') {
      const gotQty = a && f.commission_asset === a.base ? qty.minus(fee) : qty;
      const paid = qty.mul(px).plus(a && f.commission_asset === a.quote ? fee : 0);
      if (p.qty.isZero()) p.opened = f.ts_ms;
      p.qty = p.qty.plus(gotQty);
      p.cost = p.cost.plus(paid);
    } else {
      const avg = p.qty.isZero() ? px : p.cost.div(p.qty);
      const sold = Dec.min(qty, p.qty);
      const gross = qty.mul(px).minus(a && f.commission_asset === a.quote ? fee : 0);
      // Only the part the bot owned realizes: the proceeds of coins beyond its position (another
      // holder's, sold by mistake) are not its profit, and must not loosen the day's loss limit.
      const proceeds = sold.eq(qty) ? gross : gross.mul(sold).div(qty);
      const removed = avg.mul(sold);
      const pnl = proceeds.minus(removed);
      p.realized = p.realized.plus(pnl);
      const day = new Date(f.ts_ms).toISOString().slice(0, 10);
      this.addDaily(day, (this.daily.get(day) ?? new Dec(0)).plus(pnl));
      p.qty = p.qty.minus(qty).minus(a && f.commission_asset === a.base ? fee : 0);
      p.cost = p.cost.minus(removed);
      if (p.qty.lte(0)) {
        p.qty = new Dec(0);
        p.cost = new Dec(0);
        p.opened = null;
      }
    }
    this.pos.set(f.symbol, p);
    return true;
  }

  /**
   * A commission paid in a third asset, valued in the quote: a fee and a realized loss on its day.
   * A buy's fee is charged at once rather than carried in the cost, so the day's loss limit sees it
   * on the day it was paid.
   */
  chargeFee(symbol: string, quoteAmount: string, tsMs: number): void {
    const v = new Dec(quoteAmount);
    if (!v.isFinite() || v.lte(0)) return;
    const p = this.pos.get(symbol) ?? { qty: new Dec(0), cost: new Dec(0), realized: new Dec(0), fees: new Dec(0), opened: null };
    p.fees = p.fees.plus(v);
    p.realized = p.realized.minus(v);
    this.pos.set(symbol, p);
    const day = new Date(tsMs).toISOString().slice(0, 10);
    this.addDaily(day, (this.daily.get(day) ?? new Dec(0)).minus(v));
  }

  position(symbol: string): PositionView {
    const p = this.pos.get(symbol);
    if (!p) return { symbol, qty: '0', avg_price: '0', cost: '0', realized: '0', fees_quote: '0', opened_ms: null };
    return {
      symbol,
      qty: p.qty.toFixed(),
      avg_price: p.qty.isZero() ? '0' : p.cost.div(p.qty).toFixed(8),
      cost: p.cost.toFixed(8),
      realized: p.realized.toFixed(8),
      fees_quote: p.fees.toFixed(8),
      opened_ms: p.opened,
    };
  }

  symbols(): string[] {
    return [...this.pos.keys()];
  }

  /** Unrealized P&L of a symbol at the given mark (bid for a long). */
  unrealized(symbol: string, mark: string | null): Dec {
    const p = this.pos.get(symbol);
    if (!p || p.qty.isZero() || mark === null) return new Dec(0);
    return p.qty.mul(mark).minus(p.cost);
  }

  realizedOn(dayUtc: string): Dec {
    return this.daily.get(dayUtc) ?? new Dec(0);
  }

  exposure(symbol: string, mark: string | null): Dec {
    const p = this.pos.get(symbol);
    if (!p || p.qty.isZero()) return new Dec(0);
    return mark === null ? p.cost : p.qty.mul(mark);
  }
}

export const utcDay = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
