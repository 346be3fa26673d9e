import { parseRetryAfterMs, type HeaderMap } from './outcome.js';

/**
 * Local rate-limit governor. Limits come from exchangeInfo `rateLimits`; usage is counted locally
 * when a request is admitted and corrected upwards by the venue's X-MBX-USED-WEIGHT-* and
 * X-MBX-ORDER-COUNT-* headers (the venue also counts other processes on our IP/account, so the
 * larger of the two wins). Windows are fixed intervals aligned to the injected clock, as Binance's
 * are to its own: pass exchange time. Reads stop earlier than orders so that protective orders and
 * cancels still have room when polling is heavy. Three refusals by the venue, kept apart as Binance
 * keeps them: a 429 for request weight (-1003, per IP) stops everything for at least its
 * Retry-After; a 418 is an IP ban until its Retry-After; a 429 with -1015 (too many new orders,
 * the per-account ORDERS limiter) stops NEW orders only, so cancels and reads still flow.
 */

export type RateLimitType = 'REQUEST_WEIGHT' | 'ORDERS' | 'RAW_REQUESTS';
export type RateInterval = 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY';
export type RateLimit = { readonly rateLimitType: RateLimitType; readonly interval: RateInterval; readonly intervalNum: number; readonly limit: number };

export const INTERVAL_MS = { SECOND: 1_000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 } as const satisfies Record<RateInterval, number>;
const LETTER_MS = { S: 1_000, M: 60_000, H: 3_600_000, D: 86_400_000 } as const;

export const GOVERNOR_DEFAULTS = {
  readWeightMaxPct: 90,
  orderWeightMaxPct: 98,
  orderCountMaxPct: 90,
  /**
   * Orders that reduce risk (protection, exits: SELLs with a protective role) may use the ORDERS
   * headroom above orderCountMaxPct that entries and re-quotes may not, so an entry storm can never
   * leave an open position unprotected for want of order count.
   */
  protectiveOrderCountMaxPct: 100,
  rawRequestsMaxPct: 90,
  backoff429MinMs: 1_000,
  backoff429MaxMs: 300_000,
} as const;
export type GovernorConfig = { readonly [K in keyof typeof GOVERNOR_DEFAULTS]: number };

export type GovernorState = 'OK' | 'RATE_LIMITED' | 'BANNED';
export type RequestKind = 'read' | 'order';
export type Admission =
  | { readonly admit: true }
  | {
      readonly admit: false;
      readonly waitMs: number;
      readonly cause: 'LOCAL_MARGIN' | 'RATE_LIMITED' | 'BANNED' | 'ORDER_RATE_LIMITED';
      readonly detail: string;
    };

export type GovernorSnapshot = {
  readonly state: GovernorState;
  readonly used_weight_pct: number | null;
  readonly order_count_pct: number | null;
  readonly blocked_until_ms: number | null;
  readonly consecutive_429: number;
  /** Until when new orders are held after a -1015 (cancels and reads are not); null when not. */
  readonly orders_blocked_until_ms: number | null;
};

type Counter = { readonly type: RateLimitType; readonly intervalMs: number; readonly limit: number | null; used: number; windowIdx: number };

export type RateGovernor = {
  /**
   * Asks to send one request of `weight`; `newOrders` is how many orders it adds to the ORDERS
   * count (1 for an order, 2 for an OCO, 0 for a cancel). Admission reserves the usage.
   */
  admit(kind: RequestKind, weight: number, now: number, newOrders?: number, protective?: boolean): Admission;
  /**
   * Feeds a response: status, headers and the Binance error code of its body (when it has one).
   * 429/418 start a back-off or a ban; a 429 with -1015 holds new orders only.
   */
  observe(status: number, headers: HeaderMap, now: number, code?: number): void;
  setLimits(limits: readonly RateLimit[]): void;
  snapshot(now: number): GovernorSnapshot;
};

type UsageHeader = { readonly type: RateLimitType; readonly intervalMs: number };
const USAGE_RE = /^x-mbx-(used-weight|order-count)-(\d+)([smhd])$/i;
/** Header name -> what it counts (null: not a usage header). Names repeat on every reply: parse once. */
const usageHeaders = new Map<string, UsageHeader | null>();

function usageHeader(name: string): UsageHeader | null {
  let h = usageHeaders.get(name);
  if (h !== undefined) return h;
  const m = USAGE_RE.exec(name);
  h = m
    ? {
        type: m[1]!.toLowerCase() === 'used-weight' ? 'REQUEST_WEIGHT' : 'ORDERS',
        intervalMs: Number(m[2]) * LETTER_MS[m[3]!.toUpperCase() as keyof typeof LETTER_MS],
      }
    : null;
  // Bounded: a venue (or a proxy) inventing header names must not grow this without end.
  if (usageHeaders.size < 256) usageHeaders.set(name, h);
  return h;
}

export function createRateGovernor(limits: readonly RateLimit[], config: Partial<GovernorConfig> = {}): RateGovernor {
  const cfg: GovernorConfig = { ...GOVERNOR_DEFAULTS, ...config };
  let counters = new Map<string, Counter>();
  let rateLimitedUntil = 0;
  let bannedUntil = 0;
  let ordersBlockedUntil = 0;
  let consecutive429 = 0;

  const key = (type: RateLimitType, intervalMs: number): string => `${type}:${intervalMs}`;

  const setLimits = (ls: readonly RateLimit[]): void => {
    const next = new Map<string, Counter>();
    for (const l of ls) {
      const intervalMs = INTERVAL_MS[l.interval] * l.intervalNum;
      const k = key(l.rateLimitType, intervalMs);
      const prev = counters.get(k);
      next.set(k, { type: l.rateLimitType, intervalMs, limit: l.limit, used: prev?.used ?? 0, windowIdx: prev?.windowIdx ?? 0 });
    }
    counters = next;
  };
  setLimits(limits);

  const roll = (c: Counter, now: number): void => {
    const idx = Math.floor(now / c.intervalMs);
    if (idx !== c.windowIdx) {
      c.windowIdx = idx;
      c.used = 0;
    }
  };
  const windowEnd = (c: Counter): number => (c.windowIdx + 1) * c.intervalMs;

  const pct = (type: RateLimitType, now: number): number | null => {
    let best: number | null = null;
    for (const c of counters.values()) {
      if (c.type !== type || c.limit === null || c.limit <= 0) continue;
      roll(c, now);
      const p = (c.used / c.limit) * 100;
      best = best === null ? p : Math.max(best, p);
    }
    return best;
  };

  const admit = (kind: RequestKind, weight: number, now: number, newOrders = kind === 'order' ? 1 : 0, protective = false): Admission => {
    if (now < bannedUntil) return { admit: false, waitMs: bannedUntil - now, cause: 'BANNED', detail: 'HTTP 418 ban in force' };
    if (now < rateLimitedUntil) return { admit: false, waitMs: rateLimitedUntil - now, cause: 'RATE_LIMITED', detail: 'HTTP 429 back-off in force' };
    if (newOrders > 0 && now < ordersBlockedUntil)
      return {
        admit: false,
        waitMs: ordersBlockedUntil - now,
        cause: 'ORDER_RATE_LIMITED',
        detail: '-1015 (too many new orders) back-off in force: new orders held, cancels and reads pass',
      };
    const need: Array<[Counter, number]> = [];
    for (const c of counters.values()) {
      roll(c, now);
      const add = c.type === 'REQUEST_WEIGHT' ? weight : c.type === 'RAW_REQUESTS' ? 1 : newOrders;
      if (add === 0) continue;
      need.push([c, add]);
      if (c.limit === null) continue;
      const maxPct =
        c.type === 'REQUEST_WEIGHT'
          ? kind === 'read'
            ? cfg.readWeightMaxPct
            : cfg.orderWeightMaxPct
          : c.type === 'ORDERS'
            ? protective
              ? cfg.protectiveOrderCountMaxPct
              : cfg.orderCountMaxPct
            : cfg.rawRequestsMaxPct;
      const ceiling = (c.limit * maxPct) / 100;
      if (c.used + add > ceiling) {
        return {
          admit: false,
          waitMs: Math.max(1, windowEnd(c) - now),
          cause: 'LOCAL_MARGIN',
          detail: `${c.type} per ${c.intervalMs} ms: ${c.used}+${add} > ${maxPct}% of ${c.limit}`,
        };
      }
    }
    for (const [c, add] of need) c.used += add;
    return { admit: true };
  };

  /** When the shortest ORDERS window we count ends (the -1015 back-off without a Retry-After). */
  const ordersWindowEnd = (now: number): number | null => {
    let best: Counter | null = null;
    for (const c of counters.values()) if (c.type === 'ORDERS' && (best === null || c.intervalMs < best.intervalMs)) best = c;
    if (!best) return null;
    roll(best, now);
    return windowEnd(best);
  };

  const observe = (status: number, headers: HeaderMap, now: number, code?: number): void => {
    const retryAfter = parseRetryAfterMs(headers['retry-after'], now);
    if (status === 418) {
      bannedUntil = Math.max(bannedUntil, now + (retryAfter ?? 120_000));
      return;
    }
    if (status === 429 && code === -1015) {
      // The account's new-order count, not the IP's weight: only new orders wait.
      ordersBlockedUntil = Math.max(ordersBlockedUntil, retryAfter !== undefined ? now + retryAfter : (ordersWindowEnd(now) ?? now + 10_000));
    } else if (status === 429) {
      consecutive429 += 1;
      const base = Math.max(cfg.backoff429MinMs, retryAfter ?? cfg.backoff429MinMs);
      // Doubling on repeats is capped, but never below what the venue said: back early is a ban.
      const ms = Math.max(retryAfter ?? 0, Math.min(cfg.backoff429MaxMs, base * 2 ** (consecutive429 - 1)));
      rateLimitedUntil = Math.max(rateLimitedUntil, now + ms);
    } else if (status < 500) {
      consecutive429 = 0;
    }
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value === undefined) continue;
      const h = usageHeader(name);
      if (!h || !/^\d+$/.test(value.trim())) continue;
      const { type, intervalMs } = h;
      const k = key(type, intervalMs);
      let c = counters.get(k);
      if (!c) {
        c = { type, intervalMs, limit: null, used: 0, windowIdx: Math.floor(now / intervalMs) };
        counters.set(k, c);
      }
      roll(c, now);
      c.used = Math.max(c.used, Number(value.trim()));
    }
  };

  const snapshot = (now: number): GovernorSnapshot => {
    const state: GovernorState = now < bannedUntil ? 'BANNED' : now < rateLimitedUntil ? 'RATE_LIMITED' : 'OK';
    const until = Math.max(bannedUntil, rateLimitedUntil);
    return {
      state,
      used_weight_pct: pct('REQUEST_WEIGHT', now),
      order_count_pct: pct('ORDERS', now),
      blocked_until_ms: until > now ? until : null,
      consecutive_429: consecutive429,
      orders_blocked_until_ms: ordersBlockedUntil > now ? ordersBlockedUntil : null,
    };
  };

  return { admit, observe, setLimits, snapshot };
}
