/**
 * REQUEST_WEIGHT per minute (per client address), ORDERS per 10 s and per day (per key), with
 * Binance's headers, 429 with Retry-After when over, and an escalating 418 ban for a client that
 * keeps going while told to back off.
 */
export const LIMITS = { weightPerMin: 6000, orders10s: 50, ordersDay: 160_000, banAfterIgnored429: 3, firstBanMs: 120_000 } as const;

export const WEIGHTS: Readonly<Record<string, number>> = {
  'GET /api/v3/ping': 1,
  'GET /api/v3/time': 1,
  'GET /api/v3/exchangeInfo': 20,
  'GET /api/v3/depth': 5,
  'GET /api/v3/ticker/bookTicker': 2,
  'GET /api/v3/ticker/price': 2,
  'GET /api/v3/avgPrice': 2,
  'GET /api/v3/referencePrice': 2,
  'GET /api/v3/klines': 2,
  'GET /api/v3/account': 20,
  'POST /api/v3/order': 1,
  'POST /api/v3/order/test': 1,
  'POST /api/v3/order/cancelReplace': 1,
  'GET /api/v3/order': 4,
  'DELETE /api/v3/order': 1,
  'GET /api/v3/openOrders': 6,
  'GET /api/v3/allOrders': 20,
  'GET /api/v3/myTrades': 20,
  'GET /sapi/v1/account/apiRestrictions': 1,
  'POST /api/v3/orderList/oco': 1,
  'POST /api/v3/order/oco': 1,
  'POST /api/v3/orderList/oto': 1,
  'POST /api/v3/orderList/otoco': 1,
  'DELETE /api/v3/orderList': 1,
  'GET /api/v3/orderList': 4,
  'GET /api/v3/openOrderList': 6,
  'GET /api/v3/allOrderList': 20,
  'GET /api/v3/uiKlines': 2,
  'GET /api/v3/trades': 25,
  'GET /api/v3/historicalTrades': 25,
  'GET /api/v3/aggTrades': 4,
  'GET /api/v3/ticker/24hr': 2,
  'GET /api/v3/ticker': 4,
};

/** How many symbols a `symbols=[...]` parameter names (0 when absent or unreadable). */
function symbolCount(p: Readonly<Record<string, string>>): number {
  try {
    const v = JSON.parse(p['symbols'] ?? '[]') as unknown;
    return Array.isArray(v) ? v.length : 0;
  } catch {
    return 0;
  }
}

/**
 * Binance's weight of one request (rest-api.md): most are fixed; depth goes by `limit`, the tickers
 * by how many symbols are asked for, openOrders without a symbol costs 80, myTrades by orderId 5.
 * Undefined for a route the venue does not know.
 */
export function requestWeight(route: string, p: Readonly<Record<string, string>>): number | undefined {
  const many = p['symbol'] === undefined;
  const n = symbolCount(p);
  switch (route) {
    case 'GET /api/v3/depth': {
      const limit = Number(p['limit'] ?? 100) || 100;
      return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
    }
    case 'GET /api/v3/ticker/24hr':
      if (p['symbols'] !== undefined) return n <= 20 ? 2 : n <= 100 ? 40 : 80;
      return many ? 80 : 2;
    case 'GET /api/v3/ticker/price':
    case 'GET /api/v3/ticker/bookTicker':
      return many ? 4 : 2;
    case 'GET /api/v3/ticker':
      return p['symbols'] !== undefined ? Math.min(200, 4 * Math.max(1, n)) : 4;
    case 'GET /api/v3/openOrders':
      return many ? 80 : 6;
    case 'GET /api/v3/myTrades':
      return p['orderId'] !== undefined ? 5 : 20;
    case 'POST /api/v3/order/test':
      // rest-api.md: 1 without computeCommissionRates, 20 with it.
      return p['computeCommissionRates'] === 'true' ? 20 : 1;
    default:
      return WEIGHTS[route];
  }
}

export class RateLimiter {
  private minute = -1;
  private used = 0;
  private limitedUntil = 0;
  private ignored = 0;
  private bannedUntil = 0;
  private banMs: number = LIMITS.firstBanMs;
  private readonly orders = new Map<string, number[]>();

  /** Admission of one request; returns the headers to send, or a refusal. */
  admit(now: number, weight: number): { ok: true; usedWeight: number } | { ok: false; status: 429 | 418; retryAfterS: number } {
    if (now < this.bannedUntil) return { ok: false, status: 418, retryAfterS: Math.ceil((this.bannedUntil - now) / 1000) };
    // A client that waited out the 429 window backed off: only requests inside one window count
    // toward the ban (before, they added up across every 429 of the process's life).
    if (now >= this.limitedUntil) this.ignored = 0;
    if (now < this.limitedUntil) {
      if (++this.ignored > LIMITS.banAfterIgnored429) {
        this.bannedUntil = now + this.banMs;
        this.banMs = Math.min(this.banMs * 2, 3 * 86_400_000);
        this.ignored = 0;
        return { ok: false, status: 418, retryAfterS: Math.ceil((this.bannedUntil - now) / 1000) };
      }
      return { ok: false, status: 429, retryAfterS: Math.ceil((this.limitedUntil - now) / 1000) };
    }
    const m = Math.floor(now / 60_000);
    if (m !== this.minute) {
      this.minute = m;
      this.used = 0;
    }
    if (this.used + weight > LIMITS.weightPerMin) {
      this.limitedUntil = (m + 1) * 60_000;
      return { ok: false, status: 429, retryAfterS: Math.ceil((this.limitedUntil - now) / 1000) };
    }
    this.used += weight;
    return { ok: true, usedWeight: this.used };
  }

  /** Forced 429 window (fault injection): the same escalation applies to a client that ignores it. */
  forceLimited(now: number, ms: number): void {
    this.limitedUntil = Math.max(this.limitedUntil, now + ms);
  }

  forceBan(now: number, ms: number): void {
    this.bannedUntil = now + ms;
  }

  /** Seconds until a key's new-order count has room again (the oldest counted order leaves its window). */
  orderRetryAfterS(apiKey: string, now: number): number {
    const list = (this.orders.get(apiKey) ?? []).filter((t) => now - t < 86_400_000);
    const in10s = list.filter((t) => now - t < 10_000);
    if (list.length >= LIMITS.ordersDay) return Math.max(1, Math.ceil((list[0]! + 86_400_000 - now) / 1000));
    return in10s.length === 0 ? 1 : Math.max(1, Math.ceil((in10s[0]! + 10_000 - now) / 1000));
  }

  /** Counts `n` new orders for a key (an OCO is 2); returns the 10 s and 1 d counts, or null when over. */
  order(apiKey: string, now: number, n = 1): { c10s: number; c1d: number } | null {
    const list = (this.orders.get(apiKey) ?? []).filter((t) => now - t < 86_400_000);
    const c10s = list.filter((t) => now - t < 10_000).length;
    if (c10s + n > LIMITS.orders10s || list.length + n > LIMITS.ordersDay) {
      this.orders.set(apiKey, list);
      return null;
    }
    for (let i = 0; i < n; i++) list.push(now);
    this.orders.set(apiKey, list);
    return { c10s: c10s + n, c1d: list.length };
  }
}
