import { Dec } from '@vigil/core';
import type { JsonObject, OrderReport, UserEvent } from '@vigil/contracts';

/**
 * Watches for a user data stream that stays connected and subscribed but delivers nothing. The
 * evidence is REST: an order report (placement ack, query, open orders, cancel) whose status or
 * executed quantity is ahead of anything the stream delivered for that order, for a change the
 * venue stamped after the subscription started. The stream gets `windowMs` to deliver it; a change
 * still undelivered then is silence. Changes stamped before the subscription (made during a gap)
 * are the reconcile's business, not evidence: the stream never owed them.
 */
export interface UserStreamWatchDeps {
  readonly windowMs: number;
  /** Local clock (due times). */
  readonly now: () => number;
  /** The venue's clock now (its timestamps are compared with the subscription's start), if known. */
  readonly venueNow: () => number | undefined;
}

export interface Overdue {
  readonly symbol: string;
  readonly client_order_id: string;
  readonly status: string;
  readonly executed_qty: string;
  readonly venue_ts_ms: number;
  readonly observed_ms: number;
}

interface Progress {
  readonly rank: number;
  readonly qty: Dec;
}

const TERMINAL = new Set(['FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'EXPIRED_IN_MATCH', 'PENDING_CANCEL']);
const rankOf = (status: string): number => (TERMINAL.has(status) ? 2 : status === 'PARTIALLY_FILLED' ? 1 : 0);
/** The stream's memory of orders is bounded: the oldest entries go first. */
const SEEN_CAPACITY = 5000;

export class UserStreamWatch {
  private subscribedVenueAt: number | null = null;
  private readonly seen = new Map<string, Progress>();
  private readonly expected = new Map<string, Overdue & { readonly due: number; readonly progress: Progress }>();
  /** Stream events delivered since the last subscription (recovery evidence). */
  delivered = 0;

  constructor(private readonly d: UserStreamWatchDeps) {}

  /** A subscription was confirmed: the stream owes every change stamped from now on. */
  subscribed(): void {
    this.subscribedVenueAt = this.d.venueNow() ?? null;
    this.expected.clear();
    this.delivered = 0;
  }

  /** The connection or the subscription is gone (USER_STREAM_UNSTABLE covers that): nothing is owed. */
  lost(): void {
    this.subscribedVenueAt = null;
    this.expected.clear();
  }

  onStream(e: UserEvent): void {
    this.delivered++;
    if (e.kind !== 'order') return;
    const p: Progress = { rank: rankOf(e.status), qty: new Dec(e.cum_qty) };
    const prev = this.seen.get(e.client_order_id);
    if (!prev || ahead(p, prev)) {
      this.seen.delete(e.client_order_id);
      this.seen.set(e.client_order_id, p);
      if (this.seen.size > SEEN_CAPACITY) this.seen.delete(this.seen.keys().next().value!);
    }
    const x = this.expected.get(e.client_order_id);
    if (x && !ahead(x.progress, this.seen.get(e.client_order_id)!)) this.expected.delete(e.client_order_id);
  }

  onRest(r: OrderReport): void {
    if (this.subscribedVenueAt === null || r.ts_ms === null || r.ts_ms <= this.subscribedVenueAt) return;
    const p: Progress = { rank: rankOf(r.status), qty: new Dec(r.executed_qty) };
    const s = this.seen.get(r.client_order_id);
    if (s && !ahead(p, s)) {
      // Still current (an open order polled by reconcile): kept fresh so eviction takes stale ones.
      this.seen.delete(r.client_order_id);
      this.seen.set(r.client_order_id, s);
      return;
    }
    const x = this.expected.get(r.client_order_id);
    if (x && !ahead(p, x.progress)) return;
    const now = this.d.now();
    // An earlier expectation keeps its due time: a later report of the same order only raises the bar.
    this.expected.set(r.client_order_id, {
      symbol: r.symbol,
      client_order_id: r.client_order_id,
      status: r.status,
      executed_qty: r.executed_qty,
      venue_ts_ms: r.ts_ms,
      observed_ms: x?.observed_ms ?? now,
      due: x?.due ?? now + this.d.windowMs,
      progress: p,
    });
  }

  /** Changes the stream has not delivered within the window (each reported once). */
  overdue(): Overdue[] {
    const now = this.d.now();
    const out: Overdue[] = [];
    for (const [k, x] of this.expected) {
      if (x.due > now) continue;
      this.expected.delete(k);
      out.push({
        symbol: x.symbol,
        client_order_id: x.client_order_id,
        status: x.status,
        executed_qty: x.executed_qty,
        venue_ts_ms: x.venue_ts_ms,
        observed_ms: x.observed_ms,
      });
    }
    return out;
  }

  /** Outstanding expectations (status, tests). */
  pending(): JsonObject[] {
    return [...this.expected.values()].map((x) => ({ client_order_id: x.client_order_id, status: x.status, due_ms: x.due }));
  }
}

function ahead(a: Progress, b: Progress): boolean {
  return a.rank > b.rank || a.qty.gt(b.qty);
}
