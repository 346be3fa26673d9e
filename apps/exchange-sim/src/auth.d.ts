import type { ApiKey, VenueError } from './exchange.js';
/**
 * SIGNED endpoint checks in Binance's order: key, signature over the exact query string followed
 * by the body, then timestamp against the server clock and recvWindow.
 */
export declare function checkSigned(keys: ReadonlyMap<string, ApiKey>, headerKey: string | undefined, rawQuery: string, rawBody: string, params: Record<string, string>, serverNow: number): {
    ok: true;
    key: ApiKey;
} | {
    ok: false;
    err: VenueError;
};
//# sourceMappingURL=auth.d.ts.map