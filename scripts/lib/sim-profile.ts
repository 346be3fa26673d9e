// The simulator trading profile: the strategy and timings that make the bot's whole cycle (entry,
// fill, protection, exit) happen in seconds on the local venue (apps/exchange-sim, 100 ms ticks)
// with the local reviewer. One profile for the engine tests (test/engine/engine-harness.ts), the
// soak (scripts/soak.ts) and the chaos matrix (scripts/chaos.ts), so a run of one is comparable
// with a run of another; each caller states where it departs from it.
//
// Values only (config overrides, checked by the config schema where they are used): no imports, so
// tests, the in-process soak and the chaos script's child configs can all take it.

/** 200 ms bars, a 5-bar channel, stops wide enough that the reviewer's edge rule lets entries pass. */
export const SIM_STRATEGY = {
  bar_ms: 200,
  lookback_bars: 5,
  vol_bars: 5,
  hold_bars: 30,
  stop_vol_mult: '2',
  take_profit_r: '2',
  win_rate_prior: '0.5',
  min_stop_bps: 120,
  cooldown_ms: 500,
} as const;

/** How long an entry rests unfilled before it is cancelled. */
export const SIM_ENTRY_TTL_MS = 3000;

/** The engine's cycle, reconcile and intent-query timings. */
export const SIM_ENGINE = {
  cycle_interval_ms: 100,
  reconcile_interval_ms: 1000,
  manage_only_stable_ms: 300,
  intent_query_interval_ms: 100,
  not_found_after_ms: 1000,
  not_found_min_queries: 2,
} as const;

/** Churn limits loose enough for entries every few seconds. */
export const SIM_CHURN = { churn_limit_10s: 50, churn_limit_60s: 200 } as const;

/** Supervisor timings: heartbeats every 250 ms, a stall after 500 ms. */
export const SIM_SUPERVISOR = { request_timeout_ms: 5000, heartbeat_interval_ms: 250, worker_stall_timeout_ms: 500, worker_mode_timeout_ms: 2000 } as const;

/**
 * The local reviewer (apps/ai-reviewer) at `baseUrl`, with the production timeout (4 s): a 2 s bound
 * was crossed by a loaded 2-core machine (a full `npm test` beside a fresh clone's), which paused a
 * test's bot on AIGATE_TIMEOUT before the breakout it waited for.
 */
export function simAigate(baseUrl: string): { base_url: string; model: string; timeout_ms: number } {
  return { base_url: baseUrl, model: 'vigil-reviewer-1', timeout_ms: 4000 };
}

/** The whole profile as config overrides (the venue's addresses and the symbols are the caller's). */
export function simTradingOverrides(reviewerBaseUrl: string) {
  return {
    aigate: simAigate(reviewerBaseUrl),
    strategy: { ...SIM_STRATEGY, entry_ttl_ms: SIM_ENTRY_TTL_MS },
    engine: { ...SIM_ENGINE },
    risk: { ...SIM_CHURN },
    supervisor: { ...SIM_SUPERVISOR },
  };
}
