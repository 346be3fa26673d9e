import { Dec } from './decimal.js';

/**
 * What the venue says about a position the bot believes it holds: pure functions over the bot's
 * own record (its position from its own fills, the venue ids of its orders, the trades it has
 * counted) and the venue's reports (the account's trades on the symbol since the last one the bot
 * knows, the base asset's balance). Reconcile and restart feed REST replies in and act on the
 * verdict; nothing here does I/O or reads a clock.
 *
 * Invariants (property-tested in position-truth.test.ts):
 * - splitTrades partitions its input: every distinct trade id lands in exactly one of own, foreign
 *   or counted, whatever the order of the rows and however often a row repeats; splitting again
 *   after counting the own trades finds no new own trade (idempotent).
 * - A verdict never gives the bot more than it bought with its own fills (the operator's other
 *   holdings of the coin are never the bot's) nor more than the venue holds (nothing is ever sold
 *   that the balance does not cover): ADOPT.qty <= position and ADOPT.qty <= balance.
 * - CONSISTENT only when the balance covers the position within the tolerance and nobody else sold
 *   the coin while the bot held it.
 * - Under the 'pause' policy a change is never adopted; under 'adopt' it is never left to a human.
 */
export interface TradeRow {
  readonly trade_id: number;
  readonly order_id: number;
  readonly order_list_id: number;
  readonly is_buyer: boolean;
  readonly qty: string;
  readonly commission: string;
  readonly commission_asset: string;
}

/** Membership only: a Set, or a view over another record (the ledger's counted trades). */
export interface IdSet {
  has(id: number): boolean;
}

export interface KnownOrders {
  /** Venue order ids of the bot's own orders. */
  readonly orders: IdSet;
  /** Venue order list ids of the bot's own lists (an OCO leg's trade names its list). */
  readonly lists: IdSet;
  /** Trade ids already counted in the bot's position. */
  readonly counted: IdSet;
}

export interface TradeSplit<T extends TradeRow> {
  /** The bot's own trades not yet counted, ascending by trade id. */
  readonly own: readonly T[];
  /** Trades of orders that are not the bot's (the operator's, another program's), ascending. */
  readonly foreign: readonly T[];
  /** Own trades already counted. */
  readonly counted: readonly T[];
  /** The highest trade id seen, or null for no rows. */
  readonly last_trade_id: number | null;
}

export function splitTrades<T extends TradeRow>(known: KnownOrders, rows: readonly T[]): TradeSplit<T> {
  const byId = new Map<number, T>();
  for (const r of rows) if (!byId.has(r.trade_id)) byId.set(r.trade_id, r);
  const sorted = [...byId.values()].sort((a, b) => a.trade_id - b.trade_id);
  const own: T[] = [];
  const foreign: T[] = [];
  const counted: T[] = [];
  for (const t of sorted) {
    const mine = known.orders.has(t.order_id) || (t.order_list_id >= 0 && known.lists.has(t.order_list_id));
    if (!mine) foreign.push(t);
    else if (known.counted.has(t.trade_id)) counted.push(t);
    else own.push(t);
  }
  return { own, foreign, counted, last_trade_id: sorted.length ? sorted[sorted.length - 1]!.trade_id : null };
}

/** What a policy does with a position the venue contradicts. */
export type ManualChangePolicy = 'adopt' | 'pause';

export interface HoldingsInput {
  /** The bot's position after all its own fills (base asset, net of base commissions). */
  readonly position: string;
  /** The base asset at the venue: free + locked. */
  readonly balance: string;
  readonly base_asset: string;
  /** Lot step of the symbol; the tolerance is `tolerance_steps` of it. */
  readonly step: string;
  readonly tolerance_steps: number;
  /** Trades on the symbol by others since the last trade the bot knows, while it held the position. */
  readonly foreign: readonly TradeRow[];
  readonly policy: ManualChangePolicy;
}

export type HoldingsVerdict =
  | { readonly kind: 'CONSISTENT' }
  | { readonly kind: 'ADOPT'; readonly qty: string; readonly why: HoldingsWhy; readonly detail: HoldingsDetail }
  | { readonly kind: 'NEEDS_MANUAL'; readonly why: HoldingsWhy; readonly detail: HoldingsDetail };

/** SOLD_BY_OTHERS: someone else sold the coin while the bot held it; BALANCE_SHORT: coins gone without a trade (withdrawn, transferred). */
export type HoldingsWhy = 'SOLD_BY_OTHERS' | 'BALANCE_SHORT';

export interface HoldingsDetail {
  readonly position: string;
  readonly balance: string;
  readonly foreign_sold: string;
  readonly foreign_bought: string;
  readonly tolerance: string;
}

export function judgeHoldings(h: HoldingsInput): HoldingsVerdict {
  const pos = new Dec(h.position);
  const bal = new Dec(h.balance);
  const step = new Dec(h.step);
  const tol = step.mul(h.tolerance_steps);
  let sold = new Dec(0);
  let bought = new Dec(0);
  for (const t of h.foreign) {
    const fee = t.commission_asset === h.base_asset ? new Dec(t.commission) : new Dec(0);
    if (t.is_buyer) bought = bought.plus(t.qty).minus(fee);
    else sold = sold.plus(t.qty).plus(fee);
  }
  const detail: HoldingsDetail = {
    position: pos.toFixed(),
    balance: bal.toFixed(),
    foreign_sold: sold.toFixed(),
    foreign_bought: bought.toFixed(),
    tolerance: tol.toFixed(),
  };
  if (pos.lte(0)) return { kind: 'CONSISTENT' };
  const why: HoldingsWhy | null = sold.gt(0) ? 'SOLD_BY_OTHERS' : bal.plus(tol).lt(pos) ? 'BALANCE_SHORT' : null;
  if (why === null) return { kind: 'CONSISTENT' };
  if (h.policy === 'pause') return { kind: 'NEEDS_MANUAL', why, detail };
  // Adopted: what is left of the bot's own coins, assuming a sale by hand came out of them (so the
  // bot sells less, never the operator's), and never more than the venue holds. On the lot grid.
  let qty = Dec.min(pos.minus(sold), bal);
  if (qty.lt(0)) qty = new Dec(0);
  if (step.gt(0)) qty = qty.div(step).floor().mul(step);
  return { kind: 'ADOPT', qty: qty.toFixed(), why, detail };
}
