/** Faults the admin API can inject; each is logged when applied. */
export declare const FAULT_KINDS: readonly ["latency", "drop_response_after_execute", "http_5xx", "error_1007", "query_not_found", "rate_limit_429", "ban_418", "clock_skew", "ws_disconnect", "ws_stall", "reject"];
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
export declare class Faults {
    private active;
    readonly log: FaultLogEntry[];
    private readonly random;
    constructor(seed: number);
    add(f: FaultSpec): void;
    clear(): void;
    list(): readonly FaultSpec[];
    /** The fault of `kind` that applies to this request, consumed if one-shot, and logged. */
    take(kind: FaultKind, route: string, now: number): FaultSpec | null;
    /** A state fault (clock skew, stream stall) without consuming it. */
    peek(kind: FaultKind): FaultSpec | null;
    remove(kind: FaultKind): void;
}
//# sourceMappingURL=faults.d.ts.map