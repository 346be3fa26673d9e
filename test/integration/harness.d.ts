import { type Config } from '@vigil/contracts';
import { Supervisor } from '../../apps/supervisor/src/supervisor.js';
import { type ExchangeSim } from '../../apps/exchange-sim/src/index.js';
/** The venue every integration test talks to: the local simulator over real sockets. */
export declare const SIM_KEY: {
    apiKey: string;
    secretKey: string;
    canTrade: boolean;
    enableWithdrawals: boolean;
    ipRestrict: boolean;
};
export declare function startVenue(): Promise<ExchangeSim>;
export declare function venueConfig(sim: ExchangeSim): Record<string, unknown>;
/** Fast timings so the tests observe heartbeats, stalls and windows in well under a second. */
export declare const FAST: {
    readonly supervisor: {
        readonly heartbeat_interval_ms: 100;
        readonly worker_stall_timeout_ms: 190;
        readonly mode_broadcast_interval_ms: 100;
        readonly worker_mode_timeout_ms: 600;
        readonly degrade_stability_window_ms: 300;
        readonly restart_backoff_initial_ms: 20;
        readonly restart_backoff_max_ms: 200;
        readonly request_timeout_ms: 2000;
        readonly event_loop_lag_degrade_ms: 60000;
    };
    readonly live: {
        readonly fault_hooks_enabled: true;
    };
    readonly logging: {
        readonly level: "warn";
    };
};
export declare function testConfig(overrides?: Record<string, unknown>): {
    config: Config;
    varDir: string;
};
/** A supervisor with real workers against `venue` (started here when not given). */
export declare function startSupervisor(overrides?: Record<string, unknown>, venue?: ExchangeSim): Promise<{
    sup: Supervisor;
    config: Config;
    varDir: string;
    runId: string;
    sim: ExchangeSim;
    stop: () => Promise<void>;
}>;
type Maybe<T> = T | undefined | null | false;
export declare function waitFor<T>(what: string, fn: () => Maybe<T> | Promise<Maybe<T>>, timeoutMs?: number, everyMs?: number): Promise<T>;
/** Leaves the boot PAUSE the way startup reconcile will, then waits out the stability window. */
export declare function releaseToNormal(sup: Supervisor): Promise<void>;
export declare const preciseNow: () => number;
export {};
//# sourceMappingURL=harness.d.ts.map