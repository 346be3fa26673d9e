import type { VenueOutcome } from '@vigil/contracts';

/**
 * The protection swap (OCO -> trailing stop) is a sequence of venue calls: validate the trailing
 * stop (order/test), cancel the OCO, place the trailing stop, verify it. Each call's outcome decides
 * the next move; these functions are that decision, pure, so the runner (engine/trader.ts) only
 * carries the calls out. The lifecycle step decides whether a swap starts at all (SWAP_TO_TRAILING).
 *
 * Invariants (property-tested in swap.test.ts over every outcome):
 * - S1 A call that changed nothing at the venue (throttled, not sent, failed before sending) never
 *   fails the swap: the OCO stands and the swap is deferred (no PAUSE, no operator).
 * - S2 The OCO is cancelled only after the venue validated the trailing stop.
 * - S3 A cancel whose answer is unknown is settled by querying the list, never assumed either way.
 * - S4 After a cancel that found a leg (partly) filled, nothing is placed: the fills are learned first.
 * - S5 A placement whose outcome is unknown never re-protects (a fresh OCO beside a trailing stop
 *   that may stand could sell the same coins twice): it waits for its clientOrderId to settle it.
 * - S6 Only a venue answer showing the trailing stop working completes the swap.
 */
type Outcome = Pick<VenueOutcome<unknown>, 'kind'> & { readonly code?: number };

/** The outcome kinds after which the venue is known not to have acted on the request. */
const UNCHANGED: ReadonlySet<VenueOutcome<unknown>['kind']> = new Set(['THROTTLED', 'NOT_SENT', 'NETWORK_BEFORE_SEND']);

/** After order/test: go on and cancel the OCO, try later, or fail with the OCO kept (PROTECTION_SWAP_FAILED). */
export type AfterValidate = 'CANCEL_OCO' | 'DEFER' | 'FAIL_KEEP_OCO';
export function swapAfterValidate(o: Outcome): AfterValidate {
  if (o.kind === 'OK') return 'CANCEL_OCO';
  // Only the venue's verdict on the order is a failed validation.
  return o.kind === 'REJECTED' ? 'FAIL_KEEP_OCO' : 'DEFER';
}

/**
 * After the OCO's cancel: place the trailing stop; learn fills (a leg filled before the cancel);
 * the protection ended (-2011: the list is no longer open, a leg filled meanwhile); try later
 * (nothing changed); ask the list (unknown); or fail with the old protection's state unconfirmed.
 */
export type AfterCancel = 'PLACE_TRAILING' | 'LEARN_FILLS' | 'PROTECTION_ENDED' | 'DEFER' | 'QUERY_LIST' | 'FAIL_UNCONFIRMED';
export function swapAfterCancel(o: Outcome, anyLegFilled: boolean): AfterCancel {
  if (o.kind === 'OK') return anyLegFilled ? 'LEARN_FILLS' : 'PLACE_TRAILING';
  if (o.kind === 'REJECTED' && o.code === -2011) return 'PROTECTION_ENDED';
  if (UNCHANGED.has(o.kind)) return 'DEFER';
  if (o.kind === 'UNKNOWN') return 'QUERY_LIST';
  return 'FAIL_UNCONFIRMED';
}

/**
 * After an unknown cancel, the list as queried: done means the protection ended (whoever ended
 * it); still executing means the cancel did not take effect (try later); no answer: unconfirmed.
 */
export function swapAfterListQuery(q: Outcome, listDone: boolean): 'PROTECTION_ENDED' | 'DEFER' | 'FAIL_UNCONFIRMED' {
  if (q.kind !== 'OK') return 'FAIL_UNCONFIRMED';
  return listDone ? 'PROTECTION_ENDED' : 'DEFER';
}

/** Order statuses of a trailing stop that stands at the venue. */
export const WORKING_STATUSES: ReadonlySet<string> = new Set(['NEW', 'PARTIALLY_FILLED']);

/**
 * After the trailing stop's placement and its verification: `status` is the venue's latest word on
 * it (the query's answer, else the placement's acknowledgement; null when neither answered). Binance's
 * GET /order can lag a just-acknowledged order, so "not found yet" is not "absent".
 */
export function swapAfterPlace(placed: Outcome, status: string | null): 'SWAPPED' | 'AWAIT_RESOLUTION' | 'FAIL_REPROTECT' {
  if (status !== null && WORKING_STATUSES.has(status)) return 'SWAPPED';
  return placed.kind === 'UNKNOWN' ? 'AWAIT_RESOLUTION' : 'FAIL_REPROTECT';
}
