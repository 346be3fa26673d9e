import type { EngineConfig, RequoteMode } from '@vigil/contracts';
import type { LifecycleConfig } from '@vigil/core';

/**
 * The lifecycle step's configuration as Live's trader builds it from the engine configuration
 * (and the strategy's re-quote mode). Experiments build theirs with the same function, so the pure
 * step sees the same configuration offline as in Live.
 */
export function lifecycleConfig(cfg: EngineConfig, requoteMode: RequoteMode | undefined): LifecycleConfig {
  return {
    intent_query_interval_ms: cfg.intent_query_interval_ms,
    protect_attempts_max: cfg.protect_attempts_max,
    stop_limit_offset_bps: cfg.stop_limit_offset_bps,
    trailing_enabled: cfg.trailing_enabled,
    trailing_activate_bps: cfg.trailing_activate_bps,
    requote_mode: requoteMode ?? 'cancel_new',
  };
}
