import type { CancelReplaceResult, VenueOutcome } from '@vigil/contracts';

/**
 * What a venue call's outcome means for the intent behind it: one mapping, pure, used by the runner
 * (engine/trader.ts) for every placement and cancel, the cancelReplace's two halves, and the
 * queries that settle an unknown outcome.
 *
 * Invariants (property-tested in outcomes.test.ts over every outcome):
 * - O1 An outcome that may have executed (UNKNOWN, or an answer that contradicts the request) is
 *   SENT_UNKNOWN, never FAILED_TERMINAL or CONFIRMED (principle 2).
 * - O2 Only a venue answer with the order confirms it; FAILED_TERMINAL only where the venue refused
 *   it or it never left.
 * - O3 A cancelReplace under STOP_ON_FAILURE confirms the new entry only on REPLACED; CANCEL_FAILED
 *   and a whole refusal fail both halves (nothing was placed); anything else leaves both unknown.
 * - O4 A query settles an unknown intent only on the venue's answer: the order (or list) found ->
 *   CONFIRMED (a cancel: its target no longer open, or the list done); "unknown order" (-2013, or
 *   -2011 for a list) is one not-found answer, counted over time; no answer changes nothing.
 */
type Kind = VenueOutcome<unknown>['kind'];
export type IntentVerdict = 'CONFIRMED' | 'SENT_UNKNOWN' | 'FAILED_TERMINAL';

/** A placement's or a cancel's outcome -> its intent's state. */
export function intentAfter(o: { readonly kind: Kind }): IntentVerdict {
  switch (o.kind) {
    case 'OK':
      return 'CONFIRMED';
    case 'UNKNOWN':
      return 'SENT_UNKNOWN';
    case 'REJECTED':
    case 'THROTTLED':
    case 'NETWORK_BEFORE_SEND':
    case 'NOT_SENT':
      return 'FAILED_TERMINAL';
  }
}

/**
 * A cancelReplace (STOP_ON_FAILURE) of a working entry: the states of the cancel's intent and the
 * new entry's, and what follows: the reports (REPORTS), the cancel refused by the venue (the old
 * entry filled or ended meanwhile: CANCEL_REFUSED), both unknown until queried (AWAIT_RESOLUTION),
 * or nothing happened (the old entry is still due for its cancel: NOTHING_HAPPENED).
 */
export interface ReplaceVerdict {
  readonly cancel: IntentVerdict;
  readonly placed: IntentVerdict;
  readonly then: 'REPORTS' | 'CANCEL_REFUSED' | 'AWAIT_RESOLUTION' | 'NOTHING_HAPPENED';
}
export function replaceAfter(o: { readonly kind: Kind; readonly body?: Pick<CancelReplaceResult, 'result'> }): ReplaceVerdict {
  if (o.kind === 'OK') {
    switch (o.body?.result) {
      case 'REPLACED':
        return { cancel: 'CONFIRMED', placed: 'CONFIRMED', then: 'REPORTS' };
      case 'NEW_FAILED':
        return { cancel: 'CONFIRMED', placed: 'FAILED_TERMINAL', then: 'REPORTS' };
      case 'CANCEL_FAILED':
        return { cancel: 'FAILED_TERMINAL', placed: 'FAILED_TERMINAL', then: 'CANCEL_REFUSED' };
      default:
        // An answer STOP_ON_FAILURE cannot give (the new order placed although the cancel failed):
        // it proves nothing we can rely on, like a lost reply.
        return { cancel: 'SENT_UNKNOWN', placed: 'SENT_UNKNOWN', then: 'AWAIT_RESOLUTION' };
    }
  }
  if (o.kind === 'UNKNOWN') return { cancel: 'SENT_UNKNOWN', placed: 'SENT_UNKNOWN', then: 'AWAIT_RESOLUTION' };
  return { cancel: 'FAILED_TERMINAL', placed: 'FAILED_TERMINAL', then: 'NOTHING_HAPPENED' };
}

/** Statuses of an order that still works at the venue. */
const OPEN: ReadonlySet<string> = new Set(['NEW', 'PARTIALLY_FILLED', 'PENDING_NEW']);

/**
 * An unknown intent, queried by clientOrderId (an order) or list clientOrderId (an OCO, or the
 * target list of a cancel): CONFIRMED, NOT_FOUND (a cancel whose target still works: it did not
 * take effect, and a cancel is safe to repeat), NOT_FOUND_ANSWER (one "unknown order" answer, to
 * be counted over time), or WAIT (no answer: still unknown).
 */
export type Resolution = 'CONFIRMED' | 'NOT_FOUND' | 'NOT_FOUND_ANSWER' | 'WAIT';
export function resolveAfterQuery(
  q: { readonly kind: Kind; readonly code?: number },
  what: { readonly intent: 'ORDER' | 'CANCEL'; readonly target: 'ORDER' | 'LIST'; readonly status?: string; readonly list_done?: boolean },
): Resolution {
  if (q.kind === 'OK') {
    if (what.intent === 'ORDER') return 'CONFIRMED';
    if (what.target === 'LIST') return what.list_done === true ? 'CONFIRMED' : 'NOT_FOUND';
    return what.status !== undefined && OPEN.has(what.status) ? 'NOT_FOUND' : 'CONFIRMED';
  }
  if (q.kind === 'REJECTED' && (q.code === -2013 || (what.target === 'LIST' && q.code === -2011))) return 'NOT_FOUND_ANSWER';
  return 'WAIT';
}
