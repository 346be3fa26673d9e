import { Exchange, type ApiKey } from './exchange.js';
import { Faults } from './faults.js';
export interface SimOptions {
    readonly port?: number;
    readonly wsPort?: number;
    readonly adminPort?: number;
    readonly seed?: number;
    readonly keys: readonly ApiKey[];
    /** State file: orders and balances survive a restart (written atomically). */
    readonly stateFile?: string | null;
    readonly tickMs?: number;
    readonly wsPingMs?: number;
}
export interface ExchangeSim {
    readonly rest: string;
    readonly ws: string;
    readonly admin: string;
    readonly exchange: Exchange;
    readonly faults: Faults;
    close(): Promise<void>;
}
/**
 * A local Binance-Spot-compatible venue: REST on one port, market streams on another, and an admin
 * API on a third that the Binance port never serves. Loopback only.
 */
export declare function createExchangeSim(o: SimOptions): Promise<ExchangeSim>;
//# sourceMappingURL=sim.d.ts.map