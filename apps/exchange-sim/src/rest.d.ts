import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Exchange, type Order } from './exchange.js';
import type { Faults } from './faults.js';
import { type RateLimiter } from './rate-limits.js';
/** The Binance-compatible REST surface over the exchange core. */
export interface RestDeps {
    readonly ex: Exchange;
    readonly faults: Faults;
    readonly limiter: RateLimiter;
    readonly now: () => number;
    readonly onChange: () => void;
}
export declare function handleRest(d: RestDeps, req: IncomingMessage, res: ServerResponse): Promise<void>;
export declare function orderQuery(o: Order): Record<string, unknown>;
//# sourceMappingURL=rest.d.ts.map