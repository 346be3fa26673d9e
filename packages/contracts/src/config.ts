/**
 * The one configuration of a supervisor, after validation and defaults (packages/runtime owns the
 * JSON Schema; docs/00_SOURCE_OF_TRUTH.md lists every key). Units are in the key names. Secrets are
 * never part of it: they come from the environment or a 0600 file.
 */
export interface Config {
  /** Must be LIVE: the system is Live-only. Environment MODE overrides the file. */
  readonly mode: string;
  /** AI decision level; 2 = AI gate mandatory and fail-closed. Environment AI_DEC overrides. */
  readonly ai_dec: number;
  readonly live: LiveConfig;
  readonly paths: PathsConfig;
  readonly supervisor: SupervisorConfig;
  readonly audit: AuditConfig;
  readonly exchange: ExchangeConfig;
  readonly aigate: AiGateConfig;
  readonly risk: RiskConfig;
  readonly engine: EngineConfig;
  readonly strategy: StrategyConfig;
  readonly panel: PanelConfig;
  readonly alerts: AlertsConfig;
  readonly logging: LoggingConfig;
}

export interface LiveConfig {
  readonly live_lock_file_enabled: boolean;
  readonly live_lock_file: string;
  readonly secrets_file: string;
  readonly fault_hooks_enabled: boolean;
  /** Chaos matrix only (honoured with fault_hooks_enabled): the point of the order lifecycle at which the process blocks to be killed. */
  readonly crash_point: CrashPoint | 'none';
}

/** The named points of the order lifecycle the chaos matrix kills the bot at (scripts/chaos.ts). */
export const CRASH_POINTS = [
  'after_intent_commit',
  'after_send_before_response',
  'after_fill_before_protect',
  'swap_after_cancel',
  'startup_reconcile',
  'audit_storm',
  'entry_working',
  'replace_after_send',
  'protection_placed',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export interface PathsConfig {
  readonly var_dir: string;
}

export interface SupervisorConfig {
  readonly heartbeat_interval_ms: number;
  readonly worker_stall_timeout_ms: number;
  readonly mode_broadcast_interval_ms: number;
  readonly worker_mode_timeout_ms: number;
  readonly request_timeout_ms: number;
  readonly worker_ready_timeout_ms: number;
  readonly restart_backoff_initial_ms: number;
  readonly restart_backoff_max_ms: number;
  readonly restart_max_in_window: number;
  readonly restart_window_ms: number;
  readonly shutdown_timeout_ms: number;
  readonly degrade_stability_window_ms: number;
  readonly event_loop_lag_degrade_ms: number;
  readonly worker_young_generation_max_bytes: number;
  readonly worker_old_generation_max_bytes: number;
}

export interface AuditConfig {
  readonly busy_timeout_ms: number;
  readonly synchronous: 'FULL' | 'NORMAL';
  readonly journal_size_limit_bytes: number;
  readonly audit_writer_queue_capacity: number;
  readonly audit_writer_queue_high_pct: number;
  readonly audit_writer_queue_full_pct: number;
  readonly audit_writer_max_lag_ms: number;
  readonly audit_writer_batch_max: number;
  readonly audit_writer_flush_interval_ms: number;
  readonly db_busy_persistent_ms: number;
  readonly audit_writer_full_persistent_ms: number;
  readonly disk_low_persistent_ms: number;
  readonly checkpoint_interval_ms: number;
  readonly wal_truncate_bytes: number;
  readonly wal_abnormal_bytes: number;
  readonly disk_check_interval_ms: number;
  readonly disk_free_degrade_bytes: number;
  readonly disk_free_pause_bytes: number;
  readonly jsonl_retention_days: number;
  readonly backup_enabled: boolean;
  readonly backup_interval_ms: number;
  readonly backup_retention_days: number;
  readonly vacuum_interval_ms: number;
  readonly backup_at_utc: string;
  readonly backup_keep_count: number;
  readonly backup_retry_ms: number;
  readonly retention_enabled: boolean;
  readonly retention_days: number;
  readonly retention_batch_rows: number;
  readonly disk_growth_window_days: number;
}

export interface ExchangeConfig {
  readonly rest_base_url: string;
  readonly ws_market_url: string;
  readonly ws_api_url: string;
  readonly symbols: readonly string[];
  readonly rest_timeout_ms: number;
  readonly order_timeout_ms: number;
  readonly time_sync_interval_ms: number;
  readonly time_sync_recv_window_ms: number;
  readonly clock_drift_max_ms_live: number;
  readonly filters_max_age_ms: number;
  readonly quarantine_clear_ms: number;
  readonly ws_stale_ms: number;
  readonly ws_reconnect_backoff_initial_ms: number;
  readonly ws_reconnect_backoff_max_ms: number;
  readonly ws_reconnects_per_min_unstable: number;
  readonly ws_max_connection_ms: number;
  readonly user_stream_silence_window_ms: number;
  readonly user_stream_silence_probation_ms: number;
  /** hmac: api_secret is the HMAC secret; ed25519: api_secret is the private key (PKCS#8 PEM). */
  readonly api_key_type: 'hmac' | 'ed25519';
}

export interface AiGateConfig {
  readonly base_url: string;
  readonly model: string;
  readonly timeout_ms: number;
  readonly max_tokens: number;
  readonly payload_max_bytes: number;
  readonly max_reply_bytes: number;
}

export interface RiskConfig {
  readonly kill_switch_file: string;
  readonly daily_loss_limit_quote: string;
  readonly max_exposure_quote_total: string;
  readonly max_exposure_quote_per_symbol: string;
  readonly max_open_orders: number;
  readonly churn_limit_10s: number;
  readonly churn_limit_60s: number;
  readonly cancel_replace_limit_10s: number;
  readonly cancel_replace_limit_60s: number;
}

export interface EngineConfig {
  readonly cycle_interval_ms: number;
  readonly stage_stuck_ms: number;
  readonly quote_max_age_ms: number;
  readonly intent_query_interval_ms: number;
  readonly not_found_after_ms: number;
  readonly not_found_min_queries: number;
  readonly reconcile_interval_ms: number;
  readonly reconcile_interval_max_ms: number;
  readonly reconcile_tolerance_steps: number;
  readonly drift_bad_after_ms: number;
  readonly manage_only_stable_ms: number;
  readonly stop_limit_offset_bps: number;
  readonly unprotected_max_ms: number;
  readonly protect_attempts_max: number;
  readonly trailing_enabled: boolean;
  readonly trailing_activate_bps: number;
  readonly manual_change_policy: 'adopt' | 'pause';
  readonly reconcile_stream_degraded_interval_ms: number;
}

/** How a due re-quote reaches the venue: a cancel then a new order, or one cancelReplace call. */
export type RequoteMode = 'cancel_new' | 'cancel_replace';

export interface StrategyConfig {
  readonly name: 'breakout';
  readonly bar_ms: number;
  readonly lookback_bars: number;
  readonly vol_bars: number;
  readonly hold_bars: number;
  readonly stop_vol_mult: string;
  readonly take_profit_r: string;
  readonly win_rate_prior: string;
  readonly order_quote_notional: string;
  readonly entry_ttl_ms: number;
  readonly entry_offset_bps: number;
  readonly max_requotes: number;
  readonly requote_mode: RequoteMode;
  readonly cooldown_ms: number;
  readonly min_stop_bps: number;
  readonly maker_fee_bps: number;
  readonly taker_fee_bps: number;
  readonly slippage_bps: number;
  readonly min_edge_bps: number;
  readonly max_cost_bps: number;
}

export interface PanelConfig {
  readonly host: string;
  readonly port: number;
}

/** Alerting outside the page: optional webhooks (POST JSON), never on the engine's path. */
export interface AlertsConfig {
  readonly webhook_urls: readonly string[];
  readonly webhook_on: readonly ('CRIT' | 'WARN' | 'MODE_CHANGED')[];
  readonly webhook_timeout_ms: number;
  readonly webhook_attempts_max: number;
  readonly webhook_backoff_initial_ms: number;
  readonly webhook_backoff_max_ms: number;
  readonly webhook_queue_capacity: number;
}

export interface LoggingConfig {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly file_max_bytes: number;
  readonly file_max_files: number;
}
