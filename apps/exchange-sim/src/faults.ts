import { rng } from './rng.js';

/** Faults the admin API can inject; each is logged when applied. */
export const FAULT_KINDS = [
  'latency',
  'drop_response_after_execute',
  'http_5xx',
  'error_1007',
  'query_not_found',
  'rate_limit_429',
  'ban_418',
  'clock_skew',
  'ws_disconnect',
  'ws_stall',
  /** A definitive Binance error ({code,msg}, HTTP status) on the route: nothing is executed. */
  'reject',
  /**
   * The user data stream stays connected and subscribed (subscribe still answers 200) but delivers
   * no event (executionReport, listStatus, balances) while the fault stands: a silent stream.
   */
  'user_stream_silent',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  readonly kind: FaultKind;
  /** Applies to the next matching request only. */
  readonly once?: boolean;
  /** 0..1: applies to a request with this probability (seeded). Default 1. */
  readonly probability?: number;
  /** Only requests to this "METHOD /path" (e.g. "POST /api/v3/order"); default all. */
  readonly route?: string;
  readonly ms?: number;
  /** http_5xx / error_1007: whether the order is executed before the error reply. */
  readonly execute?: boolean;
  readonly status?: number;
  /** reject: the Binance error code and message to answer with. */
  readonly code?: number;
  readonly msg?: string;
}

export interface FaultLogEntry {
  readonly ts_ms: number;
  readonly kind: FaultKind;
  readonly route: string;
  readonly detail: string;
}

export class Faults {
  private active: FaultSpec[] = [];
  readonly log: FaultLogEntry[] = [];
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = rng(seed ^ 0x5eed);
  }

  add(f: FaultSpec): void {
    // ws_* and clock_skew are states, not per-request draws: one of each kind at a time.
    this.active = this.active.filter((a) => a.kind !== f.kind || (!['clock_skew', 'ws_stall', 'user_stream_silent'].includes(f.kind) && a.route !== f.route));
    this.active.push(f);
  }

  clear(): void {
    this.active = [];
  }

  list(): readonly FaultSpec[] {
    return this.active;
  }

  /** The fault of `kind` that applies to this request, consumed if one-shot, and logged. */
  take(kind: FaultKind, route: string, now: number): FaultSpec | null {
    const f = this.active.find((a) => a.kind === kind && (a.route === undefined || a.route === route));
    if (!f) return null;
    if (f.probability !== undefined && this.random() >= f.probability) return null;
    if (f.once) this.active = this.active.filter((a) => a !== f);
    this.log.push({ ts_ms: now, kind, route, detail: JSON.stringify(f) });
    if (this.log.length > 10_000) this.log.splice(0, 5000);
    return f;
  }

  /** A state fault (clock skew, stream stall) without consuming it. */
  peek(kind: FaultKind): FaultSpec | null {
    return this.active.find((a) => a.kind === kind) ?? null;
  }

  remove(kind: FaultKind): void {
    this.active = this.active.filter((a) => a.kind !== kind);
  }
}
