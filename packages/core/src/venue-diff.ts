import { isOwnClientOrderId, listIdOfLeg, orderRole } from '@vigil/contracts';

/**
 * Reconcile, first half: the venue's open orders and order lists against what the state holds,
 * as a pure diff. The engine applies the actions (cancel a stray entry, adopt a protection, mark one
 * ended) and records the diffs; nothing here does I/O.
 *
 * Invariants (property-tested in venue-diff.test.ts):
 * - Nothing that is not the bot's is ever acted on: an order without the bot's clientOrderId prefix
 *   yields only FOREIGN_ORDER, never a cancel or an adoption.
 * - Each open order of the bot's, on a traded symbol and not held by the state, yields exactly one
 *   action (a list leg through its list).
 * - At most one protection per symbol: a protection is adopted only where the state holds none (and
 *   none was adopted earlier in the same diff); any further one is EXTRA_PROTECTION_LIST or
 *   UNTRACKED_ORDER, left for the operator.
 * - Only a sell is adopted as protection: a trailing-role order that is not a SELL stop is
 *   UNTRACKED_ORDER, a list with a leg that is not a SELL (or no leg shown) EXTRA_PROTECTION_LIST.
 * - A protection the state holds as active that the venue no longer shows is PROTECTION_ENDED; one
 *   it holds (active or not) that the venue shows open is PROTECTION_SEEN. An OCO whose list is no
 *   longer open while one of its legs still is, is PROTECTION_LEG_WORKING: neither ended (that leg
 *   still sells) nor seen (no stop stands).
 * - Order of the venue's rows does not change which orders are foreign, stray or ended.
 */
export interface VenueOrderView {
  readonly symbol: string;
  readonly client_order_id: string;
  readonly order_list_id: number;
  readonly type: string;
  readonly side: string;
  readonly status: string;
  readonly executed_qty: string;
  readonly orig_qty: string;
}

export interface VenueListView {
  readonly symbol: string;
  readonly list_client_order_id: string;
  readonly order_list_id: number;
}

export type HeldProtection =
  | { readonly kind: 'OCO'; readonly list_client_order_id: string; readonly leg_ids: readonly string[]; readonly active: boolean }
  | { readonly kind: 'TRAILING'; readonly client_order_id: string; readonly active: boolean };

/** What the state holds on a symbol, as far as the diff needs it. */
export interface HeldSymbol {
  readonly entry_client_order_id: string | null;
  readonly protection: HeldProtection | null;
}

export type VenueAction =
  | { readonly kind: 'FOREIGN_ORDER'; readonly order: VenueOrderView }
  | { readonly kind: 'CANCEL_STRAY_ENTRY'; readonly order: VenueOrderView }
  | { readonly kind: 'ADOPT_TRAILING'; readonly order: VenueOrderView }
  | { readonly kind: 'UNTRACKED_ORDER'; readonly order: VenueOrderView }
  | { readonly kind: 'PROTECTION_SEEN'; readonly symbol: string }
  /** A held OCO whose list is over while a leg still works: not ended (that leg sells), not protecting either (no stop). */
  | { readonly kind: 'PROTECTION_LEG_WORKING'; readonly symbol: string }
  | { readonly kind: 'ADOPT_LIST'; readonly list: VenueListView; readonly legs: readonly VenueOrderView[] }
  | { readonly kind: 'EXTRA_PROTECTION_LIST'; readonly list: VenueListView }
  | { readonly kind: 'PROTECTION_ENDED'; readonly symbol: string; readonly id: string; readonly protection: 'OCO' | 'TRAILING' };

export interface VenueDiffInput {
  readonly symbols: readonly string[];
  readonly held: (symbol: string) => HeldSymbol;
  /** An order of an intent of this run (placed or being placed while the snapshot was taken). */
  readonly hasIntent: (clientOrderId: string) => boolean;
  readonly orders: readonly VenueOrderView[];
  readonly lists: readonly VenueListView[];
}

export const isOwnOrderId = isOwnClientOrderId;

/**
 * What the bot's trailing stop is: a SELL stop. An order that only carries the trailing role's id
 * (a BUY limit under such an id was adopted as a position's stop) is not adopted as protection.
 */
const isProtectiveSell = (o: VenueOrderView): boolean => o.side === 'SELL' && (o.type === 'STOP_LOSS_LIMIT' || o.type === 'STOP_LOSS');

export function diffVenue(i: VenueDiffInput): VenueAction[] {
  const out: VenueAction[] = [];
  const traded = new Set(i.symbols);
  /** Symbols that hold (or were just given) a protection in this diff. */
  const protectedNow = new Set<string>();
  for (const sym of traded) if (i.held(sym).protection) protectedNow.add(sym);

  const heldIds = (sym: string): Set<string> => {
    const h = i.held(sym);
    const ids = new Set<string>();
    if (h.entry_client_order_id) ids.add(h.entry_client_order_id);
    if (h.protection?.kind === 'OCO') for (const l of h.protection.leg_ids) ids.add(l);
    if (h.protection?.kind === 'TRAILING') ids.add(h.protection.client_order_id);
    return ids;
  };

  // 1. Orders (list legs are judged with their list).
  for (const o of i.orders) {
    if (!traded.has(o.symbol)) continue;
    if (!isOwnOrderId(o.client_order_id)) {
      out.push({ kind: 'FOREIGN_ORDER', order: o });
      continue;
    }
    if (heldIds(o.symbol).has(o.client_order_id) || i.hasIntent(o.client_order_id)) continue;
    if (o.order_list_id >= 0) continue;
    if (orderRole(o.client_order_id) === 'entry') out.push({ kind: 'CANCEL_STRAY_ENTRY', order: o });
    else if (orderRole(o.client_order_id) === 'trailing' && isProtectiveSell(o) && !protectedNow.has(o.symbol)) {
      protectedNow.add(o.symbol);
      out.push({ kind: 'ADOPT_TRAILING', order: o });
    } else out.push({ kind: 'UNTRACKED_ORDER', order: o });
  }

  // 2. Lists of ours: the held one seen, a remembered one adopted, any other one extra.
  const listIds = new Set(i.lists.map((l) => l.list_client_order_id));
  for (const l of i.lists) {
    if (!traded.has(l.symbol) || orderRole(l.list_client_order_id) !== 'list') continue;
    const p = i.held(l.symbol).protection;
    if (p?.kind === 'OCO' && p.list_client_order_id === l.list_client_order_id) {
      out.push({ kind: 'PROTECTION_SEEN', symbol: l.symbol });
      continue;
    }
    if (protectedNow.has(l.symbol)) {
      out.push({ kind: 'EXTRA_PROTECTION_LIST', list: l });
      continue;
    }
    const legs = i.orders.filter((o) => o.order_list_id === l.order_list_id);
    // Only a list whose every leg sells, as the bot's protection does: an id alone proves nothing.
    if (legs.length === 0 || !legs.every((o) => o.side === 'SELL')) {
      out.push({ kind: 'EXTRA_PROTECTION_LIST', list: l });
      continue;
    }
    protectedNow.add(l.symbol);
    out.push({ kind: 'ADOPT_LIST', list: l, legs });
  }

  // 2b. Legs of ours still working whose list is no longer open (ALL_DONE as soon as one leg
  // started executing) and that nothing holds: after a restart such a leg still holds the coins,
  // and protecting the position again beside it sold them twice. Adopted as the symbol's
  // protection (the protection check then cancels the leg before anything new is placed), or left
  // to the operator when the symbol already holds one.
  const openListIds = new Set(i.lists.map((l) => l.order_list_id));
  const orphans = new Map<string, { readonly view: VenueListView; readonly legs: VenueOrderView[] }>();
  for (const o of i.orders) {
    if (!traded.has(o.symbol) || o.order_list_id < 0 || openListIds.has(o.order_list_id) || o.side !== 'SELL') continue;
    const list = listIdOfLeg(o.client_order_id);
    if (list === null || heldIds(o.symbol).has(o.client_order_id) || i.hasIntent(list)) continue;
    const known = orphans.get(list);
    if (known) known.legs.push(o);
    else orphans.set(list, { view: { symbol: o.symbol, list_client_order_id: list, order_list_id: o.order_list_id }, legs: [o] });
  }
  for (const { view, legs } of orphans.values()) {
    if (protectedNow.has(view.symbol)) {
      out.push({ kind: 'EXTRA_PROTECTION_LIST', list: view });
      continue;
    }
    protectedNow.add(view.symbol);
    out.push({ kind: 'ADOPT_LIST', list: view, legs });
  }

  // 3. Active protection the venue no longer shows.
  const openIds = new Set(i.orders.map((o) => o.client_order_id));
  for (const sym of traded) {
    const p = i.held(sym).protection;
    // A list no longer open whose leg still is (ALL_DONE as soon as one leg started executing) has
    // not ended: that leg holds the coins. The protection check reads the legs and cancels it first.
    if (p?.kind === 'OCO' && p.active && !listIds.has(p.list_client_order_id)) {
      if (p.leg_ids.some((l) => openIds.has(l))) out.push({ kind: 'PROTECTION_LEG_WORKING', symbol: sym });
      else out.push({ kind: 'PROTECTION_ENDED', symbol: sym, id: p.list_client_order_id, protection: 'OCO' });
    }
    if (p?.kind === 'TRAILING' && p.active && !openIds.has(p.client_order_id))
      out.push({ kind: 'PROTECTION_ENDED', symbol: sym, id: p.client_order_id, protection: 'TRAILING' });
    // A remembered trailing stop (its placement unresolved at the restart) that the venue shows open.
    if (p?.kind === 'TRAILING' && !p.active && openIds.has(p.client_order_id)) out.push({ kind: 'PROTECTION_SEEN', symbol: sym });
  }
  return out;
}

/**
 * Reconcile, last step: the drift verdict over the differences found, as a pure function of the
 * diffs, the clock and when correctable drift began.
 * - BAD: a difference that cannot be explained, or correctable (WARN) drift lasting longer than
 *   `badAfterMs` without a clean reconcile in between;
 * - WARN: correctable differences only;
 * - OK: none, or only orders that are not the bot's (FOREIGN_ORDER: the operator's own orders on
 *   the account are reported, but neither drift nor the start of its clock).
 * Invariants (property-tested in venue-diff.test.ts): foreign orders alone give OK and reset the
 * clock; any BAD diff gives BAD; WARN turns BAD only after an unbroken run of reconciles with
 * correctable drift longer than `badAfterMs`.
 */
export type Drift = 'OK' | 'WARN' | 'BAD';

export function judgeDrift(
  diffs: readonly { readonly kind: string; readonly severity: 'WARN' | 'BAD' }[],
  warnSince: number | null,
  now: number,
  badAfterMs: number,
): { readonly drift: Drift; readonly warn_since: number | null } {
  const relevant = diffs.filter((x) => x.kind !== 'FOREIGN_ORDER');
  const bad = diffs.some((x) => x.severity === 'BAD');
  const since = relevant.length === 0 ? null : bad ? warnSince : (warnSince ?? now);
  const persisted = since !== null && now - since > badAfterMs;
  return { drift: bad || persisted ? 'BAD' : relevant.length > 0 ? 'WARN' : 'OK', warn_since: since };
}
