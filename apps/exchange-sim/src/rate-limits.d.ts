/**
 * REQUEST_WEIGHT per minute (per client address), ORDERS per 10 s and per day (per key), with
 * Binance's headers, 429 with Retry-After when over, and an escalating 418 ban for a client that
 * keeps going while told to back off.
 */
export declare const LIMITS: {
    readonly weightPerMin: 6000;
    readonly orders10s: 50;
    readonly ordersDay: 160000;
    readonly banAfterIgnored429: 3;
    readonly firstBanMs: 120000;
};
export declare const WEIGHTS: Readonly<Record<string, number>>;
export declare class RateLimiter {
    private minute;
    private used;
    private limitedUntil;
    private ignored;
    private bannedUntil;
    private banMs;
    private readonly orders;
    /** Admission of one request; returns the headers to send, or a refusal. */
    admit(now: number, weight: number): {
        ok: true;
        usedWeight: number;
    } | {
        ok: false;
        status: 429 | 418;
        retryAfterS: number;
    };
    /** Forced 429 window (fault injection): the same escalation applies to a client that ignores it. */
    forceLimited(now: number, ms: number): void;
    forceBan(now: number, ms: number): void;
    /** Counts `n` new orders for a key (an OCO is 2); returns the 10 s and 1 d counts, or null when over. */
    order(apiKey: string, now: number, n?: number): {
        c10s: number;
        c1d: number;
    } | null;
}
//# sourceMappingURL=rate-limits.d.ts.map