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
];
export class Faults {
    active = [];
    log = [];
    random;
    constructor(seed) {
        this.random = rng(seed ^ 0x5eed);
    }
    add(f) {
        // ws_* and clock_skew are states, not per-request draws: one of each kind at a time.
        this.active = this.active.filter((a) => a.kind !== f.kind || (!['clock_skew', 'ws_stall'].includes(f.kind) && a.route !== f.route));
        this.active.push(f);
    }
    clear() {
        this.active = [];
    }
    list() {
        return this.active;
    }
    /** The fault of `kind` that applies to this request, consumed if one-shot, and logged. */
    take(kind, route, now) {
        const f = this.active.find((a) => a.kind === kind && (a.route === undefined || a.route === route));
        if (!f)
            return null;
        if (f.probability !== undefined && this.random() >= f.probability)
            return null;
        if (f.once)
            this.active = this.active.filter((a) => a !== f);
        this.log.push({ ts_ms: now, kind, route, detail: JSON.stringify(f) });
        if (this.log.length > 10_000)
            this.log.splice(0, 5000);
        return f;
    }
    /** A state fault (clock skew, stream stall) without consuming it. */
    peek(kind) {
        return this.active.find((a) => a.kind === kind) ?? null;
    }
    remove(kind) {
        this.active = this.active.filter((a) => a.kind !== kind);
    }
}
//# sourceMappingURL=faults.js.map