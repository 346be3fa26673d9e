import type { JSONSchemaType } from 'ajv';
import { CRASH_POINTS, type Config } from '@vigil/contracts';

/**
 * The JSON Schema of the configuration: types, ranges and defaults. `x-unit` and `description`
 * (the why) feed docs/00_SOURCE_OF_TRUTH.md; a test keeps the two in agreement.
 * Every object is closed (additionalProperties: false): an unknown key is an error, and so a
 * secret put into the config file is refused instead of silently carried around.
 */
type U = 'ms' | 'bytes' | 'pct' | 'count' | 'days' | 'bool' | 'path' | 'url' | 'enum' | 'quote' | 'text' | 'port' | 'list' | 'ratio' | 'bps';

/** Every integer has a ceiling (issue 17): no default maximum, so a new key must name its own. */
const int = (def: number, unit: U, why: string, min: number, max: number) =>
  ({ type: 'integer', default: def, minimum: min, maximum: max, 'x-unit': unit, description: why }) as const;
const bool = (def: boolean, why: string) => ({ type: 'boolean', default: def, 'x-unit': 'bool', description: why }) as const;
/** Strings are bounded too: a path within PATH_MAX, a URL or name within 2048 characters. */
const str = (def: string, unit: U, why: string, extra: Record<string, unknown> = {}) =>
  ({ type: 'string', default: def, minLength: 1, maxLength: unit === 'path' ? 4096 : 2048, 'x-unit': unit, description: why, ...extra }) as const;
/** A decimal amount (text, exact) with its ceiling `max`, compared as a decimal (x-maximum, config-load.ts). */
const decimal = (def: string, why: string, max: string, unit: U = 'quote') =>
  ({ type: 'string', default: def, pattern: '^[0-9]+(\\.[0-9]+)?$', maxLength: 40, 'x-maximum': max, 'x-unit': unit, description: why }) as const;

/** Sections default to {} so that ajv's useDefaults fills their keys; typed never to satisfy JSONSchemaType. */
const EMPTY_SECTION = {} as never;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const PiB = 1024 * 1024 * GiB;
const DAY_MS = 86_400_000;

export const CONFIG_SCHEMA: JSONSchemaType<Config> = {
  type: 'object',
  additionalProperties: false,
  required: ['mode', 'ai_dec', 'live', 'paths', 'supervisor', 'audit', 'exchange', 'aigate', 'risk', 'engine', 'strategy', 'panel', 'alerts', 'logging'],
  properties: {
    mode: { type: 'string', pattern: '^[A-Z_]{1,16}$', maxLength: 16, default: 'LIVE', 'x-unit': 'enum', description: 'The system is Live-only: start refuses unless LIVE (MODE_NOT_LIVE). Environment MODE overrides.' },
    ai_dec: { type: 'integer', default: 2, minimum: 0, maximum: 2, 'x-unit': 'enum', description: 'AI decision level; start requires 2 (AI gate mandatory, fail-closed). Environment AI_DEC overrides.' },
    live: {
      type: 'object',
      additionalProperties: false,
      default: EMPTY_SECTION,
      required: ['live_lock_file_enabled', 'live_lock_file', 'secrets_file', 'fault_hooks_enabled', 'crash_point'],
      properties: {
        live_lock_file_enabled: bool(true, 'Second, external live lock: start refuses unless the lock file exists.'),
        live_lock_file: str('LIVE.ok', 'path', 'The external live lock file, relative to var_dir.'),
        secrets_file: str('secrets.json', 'path', 'Exchange API credentials file (JSON api_key/api_secret), relative to var_dir, must be mode 0600; environment BINANCE_API_KEY/BINANCE_API_SECRET take precedence.'),
        fault_hooks_enabled: bool(false, 'Lets tests inject worker faults over the control channel; recorded as FAULT_HOOKS_ENABLED when on.'),
        crash_point: { type: 'string', enum: ['none', ...CRASH_POINTS], default: 'none', 'x-unit': 'enum', description: 'Chaos matrix only, honoured with fault_hooks_enabled: the order-lifecycle point at which the bot writes var/chaos/crash-point.jsonl and blocks to be SIGKILLed (npm run chaos).' },
      },
    },
    paths: {
      type: 'object',
      additionalProperties: false,
      default: EMPTY_SECTION,
      required: ['var_dir'],
      properties: {
        var_dir: str('var', 'path', 'Runtime directory (data, jsonl, log, backup, locks); relative paths resolve against the working directory. Never versioned.'),
      },
    },
    supervisor: {
      type: 'object',
      additionalProperties: false,
      default: EMPTY_SECTION,
      required: [
        'heartbeat_interval_ms', 'worker_stall_timeout_ms', 'mode_broadcast_interval_ms', 'worker_mode_timeout_ms',
        'request_timeout_ms', 'worker_ready_timeout_ms', 'restart_backoff_initial_ms', 'restart_backoff_max_ms',
        'restart_max_in_window', 'restart_window_ms', 'shutdown_timeout_ms', 'degrade_stability_window_ms', 'event_loop_lag_degrade_ms',
      ],
      properties: {
        heartbeat_interval_ms: int(250, 'ms', 'Each worker sends a heartbeat this often.', 20, 10_000),
        worker_stall_timeout_ms: int(400, 'ms', 'A worker silent this long is stalled (must be below 2 heartbeat intervals).', 20, 20_000),
        mode_broadcast_interval_ms: int(250, 'ms', 'The supervisor re-broadcasts the mode this often, so workers can tell silence from calm.', 20, 10_000),
        worker_mode_timeout_ms: int(1500, 'ms', 'A worker that hears no mode this long treats itself as PAUSE.', 100, 60_000),
        request_timeout_ms: int(2000, 'ms', 'Default timeout of a request over a channel.', 10, 60_000),
        worker_ready_timeout_ms: int(15_000, 'ms', 'A worker must report ready within this time at start.', 100, 120_000),
        restart_backoff_initial_ms: int(200, 'ms', 'First restart delay of a dead worker; doubles per attempt.', 0, 60_000),
        restart_backoff_max_ms: int(10_000, 'ms', 'Ceiling of the restart delay.', 0, 600_000),
        restart_max_in_window: int(5, 'count', 'Restarts allowed in restart_window_ms before WORKER_RESTART_EXHAUSTED (manual).', 1, 1000),
        restart_window_ms: int(60_000, 'ms', 'Window for counting restarts.', 1000, 3_600_000),
        shutdown_timeout_ms: int(10_000, 'ms', 'Orderly shutdown budget before threads are terminated.', 100, 120_000),
        degrade_stability_window_ms: int(30_000, 'ms', 'After the last DEGRADE/PAUSE cause clears, stay in DEGRADE this long before NORMAL.', 0, 3_600_000),
        event_loop_lag_degrade_ms: int(200, 'ms', 'A thread whose event-loop delay p99 exceeds this raises EVENT_LOOP_LAG_HIGH.', 10, 60_000),
      },
    },
    audit: {
      type: 'object',
      additionalProperties: false,
      default: EMPTY_SECTION,
      required: [
        'busy_timeout_ms', 'synchronous', 'journal_size_limit_bytes', 'audit_writer_queue_capacity', 'audit_writer_queue_high_pct',
        'audit_writer_queue_full_pct', 'audit_writer_max_lag_ms', 'audit_writer_batch_max', 'audit_writer_flush_interval_ms',
        'db_busy_persistent_ms', 'audit_writer_full_persistent_ms', 'disk_low_persistent_ms', 'checkpoint_interval_ms', 'wal_truncate_bytes', 'wal_abnormal_bytes', 'disk_check_interval_ms',
        'disk_free_degrade_bytes', 'disk_free_pause_bytes', 'jsonl_retention_days', 'backup_enabled', 'backup_interval_ms',
        'backup_retention_days', 'vacuum_interval_ms',
        'backup_at_utc', 'backup_keep_count', 'backup_retry_ms', 'retention_enabled', 'retention_days', 'retention_batch_rows', 'disk_growth_window_days',
      ],
      properties: {
        busy_timeout_ms: int(5000, 'ms', 'SQLite busy_timeout of every connection.', 0, 60_000),
        synchronous: { type: 'string', enum: ['FULL', 'NORMAL'], default: 'FULL', 'x-unit': 'enum', description: 'SQLite synchronous of a commit that acknowledges a critical write (or a flush): FULL makes every acknowledged commit survive power loss, not only a process crash. A bulk-only commit never waits for an fsync (NORMAL); the next FULL commit or checkpoint makes it power-safe.' },
        journal_size_limit_bytes: int(64 * MiB, 'bytes', 'WAL size SQLite truncates to after a checkpoint.', 0, 64 * GiB),
        audit_writer_queue_capacity: int(100_000, 'count', 'Bound of the writer queue (events).', 100, 10_000_000),
        audit_writer_queue_high_pct: int(70, 'pct', 'Queue fill at which DB_WRITER_QUEUE_HIGH (DEGRADE) is raised.', 1, 99),
        audit_writer_queue_full_pct: int(95, 'pct', 'Queue fill at which DB_WRITER_QUEUE_FULL (PAUSE) is raised.', 2, 100),
        audit_writer_max_lag_ms: int(500, 'ms', 'Oldest unwritten event older than this raises DB_WRITER_BACKPRESSURE; the Live checklist wants the last commit within 2x this.', 1, 60_000),
        audit_writer_batch_max: int(5000, 'count', 'Most events committed in one transaction.', 1, 1_000_000),
        audit_writer_flush_interval_ms: int(5, 'ms', 'Longest a bulk event waits for its batch.', 0, 10_000),
        db_busy_persistent_ms: int(5000, 'ms', 'SQLITE_BUSY lasting this long is persistent: DB_BUSY_PERSISTENT (PAUSE, cleared only by an operator) rather than DB_BUSY_TRANSIENT (DEGRADE).', 0, 600_000),
        audit_writer_full_persistent_ms: int(5000, 'ms', 'A writer queue FULL this long raises DB_WRITER_QUEUE_FULL_PERSISTENT (PAUSE, cleared only by an operator); shorter, DB_WRITER_QUEUE_FULL clears by itself.', 0, 600_000),
        disk_low_persistent_ms: int(300_000, 'ms', 'Free disk below disk_free_degrade_bytes this long escalates DISK_LOW_DEGRADE to DISK_LOW_PAUSE (until free space is back above disk_free_degrade_bytes).', 0, 86_400_000),
        checkpoint_interval_ms: int(1000, 'ms', 'Period of PASSIVE WAL checkpoints, off the commit path.', 10, 600_000),
        wal_truncate_bytes: int(256 * MiB, 'bytes', 'WAL larger than this gets a TRUNCATE checkpoint.', 0, 64 * GiB),
        wal_abnormal_bytes: int(1 * GiB, 'bytes', 'WAL larger than this raises WAL_GROWTH_ABNORMAL.', 0, 64 * GiB),
        disk_check_interval_ms: int(5000, 'ms', 'Period of disk free / DB / WAL size sampling.', 100, 600_000),
        disk_free_degrade_bytes: int(2 * GiB, 'bytes', 'Free bytes on the var volume below which DISK_LOW_DEGRADE is raised.', 0, PiB),
        disk_free_pause_bytes: int(512 * MiB, 'bytes', 'Free bytes on the var volume below which DISK_LOW_PAUSE is raised (Live).', 0, PiB),
        jsonl_retention_days: int(30, 'days', 'JSONL event files older than this are deleted.', 1, 36_500),
        backup_enabled: bool(true, 'Daily online backup of the audit database (SQLite backup API).'),
        backup_interval_ms: int(86_400_000, 'ms', 'Longest age of the newest backup: one older than this (judged from the files in var/backup) is taken at start, besides the daily one at backup_at_utc.', 60_000, 7 * DAY_MS),
        backup_retention_days: int(14, 'days', 'Backups older than this are deleted (the newest backup never is).', 1, 36_500),
        vacuum_interval_ms: int(0, 'ms', 'Period of VACUUM; 0 disables it. Skipped on low disk.', 0, 7 * DAY_MS),
        backup_at_utc: str('03:30', 'text', 'UTC time of day (HH:MM) of the daily online backup; a slot missed while the bot was down is caught up at start.', { pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }),
        backup_keep_count: int(14, 'count', 'Newest verified backups kept; older ones are deleted (the newest is never deleted).', 1, 1000),
        backup_retry_ms: int(3_600_000, 'ms', 'A failed backup, or one skipped on low disk, is tried again after this long.', 60_000, 86_400_000),
        retention_enabled: bool(true, 'Archive whole UTC days older than retention_days out of the live audit database into var/data/archive/audit-YYYY-MM.sqlite (hash chain anchored across files).'),
        retention_days: int(90, 'days', 'Whole UTC days older than this leave the live audit database for the monthly archive; at least 35 so every window read at start (30 days) stays live.', 35, 36_500),
        retention_batch_rows: int(2000, 'count', 'Events moved per archive transaction: the writer commits between batches, so archiving never holds critical writes for long.', 100, 1_000_000),
        disk_growth_window_days: int(7, 'days', 'Days of audit growth (DB, JSONL, backups, archives) the panel averages to project the days left until the disk thresholds.', 1, 365),
      },
    },
    exchange: {
      type: 'object',
      additionalProperties: false,
      default: EMPTY_SECTION,
      required: [
        'rest_base_url', 'ws_market_url', 'ws_api_url', 'symbols', 'rest_timeout_ms', 'order_timeout_ms', 'time_sync_interval_ms',
        'time_sync_recv_window_ms', 'clock_drift_max_ms_live', 'filters_max_age_ms', 'quarantine_clear_ms', 'ws_stale_ms', 'ws_reconnect_backoff_initial_ms',
        'ws_reconnect_backoff_max_ms', 'ws_reconnects_per_min_unstable', 'ws_max_connection_ms',
        'user_stream_silence_window_ms', 'user_stream_silence_probation_ms',
      ],
      properties: {
        rest_base_url: str('https://api.binance.com', 'url', 'Binance Spot REST base URL (the embedded default points at apps/exchange-sim).', { format: 'uri' }),
        ws_market_url: str('wss://stream.binance.com:9443', 'url', 'Market streams base URL.', { format: 'uri' }),
        ws_api_url: str('wss://ws-api.binance.com:443/ws-api/v3', 'url', 'WebSocket API URL (user data stream subscription).', { format: 'uri' }),
        symbols: {
          type: 'array',
          default: ['BTCUSDT', 'ETHUSDT'],
          minItems: 1,
          maxItems: 50,
          uniqueItems: true,
          items: { type: 'string', pattern: '^[A-Z0-9]{2,20}$' },
          'x-unit': 'list',
          description: 'Symbols the bot trades and watches.',
        },
        rest_timeout_ms: int(5000, 'ms', 'Timeout of read-only REST calls.', 100, 60_000),
        order_timeout_ms: int(8000, 'ms', 'Timeout of order-changing calls; a timeout after send is SENT_UNKNOWN, never failed.', 100, 60_000),
        time_sync_interval_ms: int(60_000, 'ms', 'Period of clock sync against /api/v3/time.', 1000, 3_600_000),
        time_sync_recv_window_ms: int(5000, 'ms', 'recvWindow of signed requests (Binance default 5000, max 60000).', 1, 60_000),
        clock_drift_max_ms_live: int(500, 'ms', 'Clock drift above this raises CLOCK_DRIFT (PAUSE).', 1, 60_000),
        filters_max_age_ms: int(3_600_000, 'ms', 'exchangeInfo filters older than this are stale (FILTERS_STALE).', 1000, 86_400_000),
        quarantine_clear_ms: int(300_000, 'ms', 'A quarantined symbol (repeated filter rejects, or status not TRADING) is released once it has gone this long without either, and exchangeInfo reloaded after that says TRADING.', 1000, 86_400_000),
        ws_stale_ms: int(10_000, 'ms', 'A market stream silent this long is stale (WS_STALE): dropped and reconnected.', 100, 600_000),
        ws_reconnect_backoff_initial_ms: int(250, 'ms', 'First market-stream reconnect delay; doubles per attempt, with jitter.', 10, 60_000),
        ws_reconnect_backoff_max_ms: int(30_000, 'ms', 'Ceiling of the market-stream reconnect delay.', 10, 600_000),
        ws_reconnects_per_min_unstable: int(5, 'count', 'Reconnects within a minute above which the stream is WS_UNSTABLE (DEGRADE).', 1, 1000),
        ws_max_connection_ms: int(84_600_000, 'ms', 'Reconnect proactively before this age (Binance closes connections at 24 h).', 1000, 86_400_000),
        user_stream_silence_window_ms: int(10_000, 'ms', 'An order change seen over REST (stamped after the user-stream subscription) that the stream has not delivered within this is silence: USER_STREAM_SILENT (DEGRADE), resubscribe.', 100, 600_000),
        user_stream_silence_probation_ms: int(60_000, 'ms', 'After a resubscription for silence, USER_STREAM_SILENT clears on the first stream event, or once this long has passed with no undelivered change seen over REST.', 100, 3_600_000),
        api_key_type: { type: 'string', enum: ['hmac', 'ed25519'], default: 'hmac', 'x-unit': 'enum', description: 'How the API key signs (REST requests and the WebSocket API user-stream logon): hmac (HMAC-SHA256, api_secret in the secrets file is the secret) or ed25519 (the type Binance recommends; api_secret holds the PKCS#8 private key in PEM). supervisor doctor reports which is in use.' },
      },
    },
    aigate: {
      type: 'object',
      additionalProperties: false,
      default: EMPTY_SECTION,
      required: ['base_url', 'model', 'timeout_ms', 'max_tokens', 'payload_max_bytes', 'max_reply_bytes'],
      properties: {
        base_url: str('https://api.openai.com/v1', 'url', 'OpenAI-compatible base URL of the AI gate (the embedded default points at apps/ai-reviewer). Key only from OPENAI_API_KEY.', { format: 'uri' }),
        model: str('gpt-4.1-mini', 'text', 'Model that reviews entries.'),
        timeout_ms: int(4000, 'ms', 'Strict timeout of one AI gate call; exceeded = AIGATE_TIMEOUT (PAUSE).', 100, 60_000),
        max_tokens: int(400, 'count', 'Token limit of one AI gate reply.', 16, 8192),
        payload_max_bytes: int(16_384, 'bytes', 'Redacted payload sent to the AI gate is truncated to this size.', 512, 1_048_576),
        max_reply_bytes: int(65_536, 'bytes', 'Cap on one AI gate reply body as received (identity encoding only; any other Content-Encoding is refused). Reading stops at the cap: over it = AIGATE_PARSE_FAIL (PAUSE).', 4096, 262_144),
      },
    },
    risk: {
      type: 'object',
      additionalProperties: false,
      default: EMPTY_SECTION,
      required: [
        'kill_switch_file', 'daily_loss_limit_quote', 'max_exposure_quote_total', 'max_exposure_quote_per_symbol', 'max_open_orders',
        'churn_limit_10s', 'churn_limit_60s', 'cancel_replace_limit_10s', 'cancel_replace_limit_60s',
      ],
      properties: {
        kill_switch_file: str('KILL', 'path', 'Operator kill switch: while this file exists (relative to var_dir) the system is in PAUSE.'),
        daily_loss_limit_quote: decimal('50', 'Realized + unrealized loss per UTC day, in quote currency, that stops entries.', '1000000'),
        max_exposure_quote_total: decimal('1000', 'Cap on total open exposure, quote currency.', '10000000'),
        max_exposure_quote_per_symbol: decimal('300', 'Cap on open exposure per symbol, quote currency.', '10000000'),
        max_open_orders: int(10, 'count', 'Cap on open orders across symbols.', 1, 1000),
        churn_limit_10s: int(5, 'count', 'New+cancel actions per symbol in 10 s before RISK_CHURN_LIMIT_HIT.', 1, 10_000),
        churn_limit_60s: int(20, 'count', 'New+cancel actions per symbol in 60 s before RISK_CHURN_LIMIT_HIT.', 1, 100_000),
        cancel_replace_limit_10s: int(3, 'count', 'Cancel-replace actions per symbol in 10 s before RISK_CANCEL_REPLACE_LIMIT_HIT.', 1, 10_000),
        cancel_replace_limit_60s: int(10, 'count', 'Cancel-replace actions per symbol in 60 s before RISK_CANCEL_REPLACE_LIMIT_HIT.', 1, 100_000),
      },
    },
    engine: {
      type: 'object',
      additionalProperties: false,
      default: EMPTY_SECTION,
      required: [
        'cycle_interval_ms', 'stage_stuck_ms', 'quote_max_age_ms', 'intent_query_interval_ms', 'not_found_after_ms', 'not_found_min_queries',
        'reconcile_interval_ms', 'reconcile_interval_max_ms', 'reconcile_tolerance_steps', 'drift_bad_after_ms', 'manage_only_stable_ms',
        'stop_limit_offset_bps', 'unprotected_max_ms', 'protect_attempts_max', 'trailing_enabled', 'trailing_activate_bps',
        'manual_change_policy', 'reconcile_stream_degraded_interval_ms',
      ],
      properties: {
        cycle_interval_ms: int(1000, 'ms', 'One decision cycle (snapshot -> strategy -> gate -> risk -> execute) per symbol at most this often.', 50, 3_600_000),
        stage_stuck_ms: int(30_000, 'ms', 'A cycle stage that does not progress within this bound raises LOOP_STUCK (PAUSE).', 1000, 3_600_000),
        quote_max_age_ms: int(5_000, 'ms', 'A book quote older than this is stale: no snapshot, no entry.', 100, 600_000),
        intent_query_interval_ms: int(1_000, 'ms', 'How often a SENT_UNKNOWN intent is asked about over REST (by clientOrderId).', 50, 600_000),
        not_found_after_ms: int(10_000, 'ms', 'A SENT_UNKNOWN intent becomes NOT_FOUND only after -2013 answers over at least this long (the venue can lag).', 0, 3_600_000),
        not_found_min_queries: int(3, 'count', 'and after at least this many -2013 answers.', 1, 1000),
        reconcile_interval_ms: int(15_000, 'ms', 'Periodic REST reconcile (orders, order lists, balances) in normal conditions.', 1000, 3_600_000),
        reconcile_interval_max_ms: int(120_000, 'ms', 'Reconcile interval ceiling when the rate-limit governor reports pressure (it stretches with used weight).', 1000, 3_600_000),
        reconcile_tolerance_steps: int(1, 'count', 'Balance vs derived position tolerance, in lot steps of the symbol: beyond it is drift.', 0, 1_000_000),
        drift_bad_after_ms: int(30_000, 'ms', 'Drift that persists this long (or an unknown order that cannot be adopted) is BAD: DRIFT_LIMIT_EXCEEDED (PAUSE).', 0, 3_600_000),
        manage_only_stable_ms: int(5_000, 'ms', 'After startup reconcile the engine stays in RESUME_MANAGE_ONLY until reconciles have been clean this long.', 0, 3_600_000),
        stop_limit_offset_bps: int(30, 'bps', 'The stop-loss leg is STOP_LOSS_LIMIT with its limit this far beyond the stop price, so it fills in a fast market.', 0, 5000),
        unprotected_max_ms: int(5_000, 'ms', 'A position without confirmed protection for longer than this raises PROTECTION_MISSING (PAUSE).', 100, 600_000),
        protect_attempts_max: int(2, 'count', 'Failed protection placements after which the position is closed at market (CLOSE_SAFELY).', 1, 10),
        trailing_enabled: bool(true, 'Swap OCO protection for a trailing stop once the position is in profit by trailing_activate_bps.'),
        trailing_activate_bps: int(80, 'bps', 'Unrealized profit at which the OCO is swapped for a trailing stop.', 1, 100_000),
        manual_change_policy: { type: 'string', enum: ['pause', 'adopt'], default: 'pause', 'x-unit': 'enum', description: 'A held position changed outside the bot (the coin sold by others, or gone from the balance without a trade): pause = PAUSE_NEEDS_MANUAL with the inventory, nothing placed on the symbol; adopt = the position becomes what is left of it at the venue (never more than the bot bought, never more than the balance).' },
        reconcile_stream_degraded_interval_ms: int(3_000, 'ms', 'Reconcile interval while the user data stream is degraded (USER_STREAM_SILENT, USER_STREAM_UNSTABLE, USER_STREAM_TERMINATED): REST is then the only source of order changes.', 500, 3_600_000),
      },
    },
    strategy: {
      type: 'object',
      additionalProperties: false,
      default: EMPTY_SECTION,
      required: [
        'name', 'bar_ms', 'lookback_bars', 'vol_bars', 'hold_bars', 'stop_vol_mult', 'take_profit_r', 'win_rate_prior', 'order_quote_notional',
        'entry_ttl_ms', 'entry_offset_bps', 'max_requotes', 'requote_mode', 'cooldown_ms', 'min_stop_bps', 'maker_fee_bps', 'taker_fee_bps', 'slippage_bps', 'min_edge_bps', 'max_cost_bps',
      ],
      properties: {
        name: { type: 'string', enum: ['breakout'], default: 'breakout', 'x-unit': 'enum', description: 'Strategy that proposes entries (breakout: channel breakout with volatility-scaled stop).' },
        bar_ms: int(60_000, 'ms', 'Bars are built from book mid prices at this width.', 100, 86_400_000),
        lookback_bars: int(20, 'count', 'Channel length: an entry needs the mid above the highest high of this many closed bars.', 2, 10_000),
        vol_bars: int(30, 'count', 'Bars used to estimate volatility (stdev of bar returns).', 2, 10_000),
        hold_bars: int(60, 'count', 'Expected holding horizon in bars; stops scale with volatility x sqrt(hold_bars).', 1, 100_000),
        stop_vol_mult: decimal('2', 'Stop distance in horizon standard deviations.', '100', 'ratio'),
        take_profit_r: decimal('1.5', 'Take-profit distance as a multiple of the stop distance (R).', '100', 'ratio'),
        win_rate_prior: decimal('0.45', 'Prior probability that take-profit is hit before the stop; expected edge = R x (tp_r x p - (1 - p)). A baseline, not a forecast.', '1', 'ratio'),
        order_quote_notional: decimal('50', 'Size of one entry in quote currency (quantized down to the lot step).', '1000000'),
        entry_ttl_ms: int(15_000, 'ms', 'An entry order not filled within this is cancelled (counted by the churn limits).', 100, 86_400_000),
        entry_offset_bps: int(0, 'bps', 'Entry LIMIT price this far below the ask (0 = at the ask: marketable; more = resting, maker if it fills).', 0, 1000),
        max_requotes: int(0, 'count', 'Re-quotes (at the current ask, never above the reviewed price; sent as requote_mode says) of an entry unfilled at its TTL; 0 = cancel only. Each counts against the cancel-replace limits.', 0, 100),
        requote_mode: {
          type: 'string',
          enum: ['cancel_new', 'cancel_replace'],
          default: 'cancel_new',
          'x-unit': 'enum',
          description: 'How a due re-quote is sent: cancel_new = cancel, then a new order once the cancel is confirmed; cancel_replace = one cancelReplace call (STOP_ON_FAILURE, only while the entry filled nothing), both intents committed first.',
        },
        cooldown_ms: int(30_000, 'ms', 'No new entry on a symbol this long after its last entry or exit.', 0, 86_400_000),
        min_stop_bps: int(40, 'bps', 'Floor of the stop distance whatever the volatility estimate says.', 1, 10_000),
        maker_fee_bps: int(10, 'bps', 'Maker commission used by the cost model.', 0, 1000),
        taker_fee_bps: int(10, 'bps', 'Taker commission used by the cost model.', 0, 1000),
        slippage_bps: int(2, 'bps', 'Slippage estimate per side in the cost model.', 0, 1000),
        min_edge_bps: int(2, 'bps', 'Expected edge must exceed the estimated cost by at least this (else EDGE_TOO_LOW).', 0, 10_000),
        max_cost_bps: int(60, 'bps', 'Estimated round-trip cost above this blocks the entry (COST_TOO_HIGH).', 1, 10_000),
      },
    },
    panel: {
      type: 'object',
      additionalProperties: false,
      default: EMPTY_SECTION,
      required: ['host', 'port'],
      properties: {
        host: str('127.0.0.1', 'text', 'Panel bind address; loopback only in Live (any other value is refused).'),
        port: int(8787, 'port', 'Panel port (http://127.0.0.1:<port>/dashboard).', 0, 65_535),
      },
    },
    alerts: {
      type: 'object',
      additionalProperties: false,
      default: EMPTY_SECTION,
      required: ['webhook_urls', 'webhook_on', 'webhook_timeout_ms', 'webhook_attempts_max', 'webhook_backoff_initial_ms', 'webhook_backoff_max_ms', 'webhook_queue_capacity'],
      properties: {
        webhook_urls: {
          type: 'array',
          default: [],
          maxItems: 10,
          uniqueItems: true,
          items: { type: 'string', minLength: 1, maxLength: 2048, format: 'uri' },
          'x-unit': 'list',
          description: 'Webhook URLs that receive alerts as POST JSON (empty = console only). No credentials in a URL: the config is recorded in the audit; a token comes from environment VIGIL_WEBHOOK_TOKEN (sent as Bearer).',
        },
        webhook_on: {
          type: 'array',
          default: ['CRIT', 'MODE_CHANGED'],
          uniqueItems: true,
          items: { type: 'string', enum: ['CRIT', 'WARN', 'MODE_CHANGED'] },
          'x-unit': 'list',
          description: 'What is sent: CRIT and/or WARN alerts (ALERT_RAISED) and MODE_CHANGED.',
        },
        webhook_timeout_ms: int(3000, 'ms', 'Timeout of one webhook POST; a timeout counts as a failed attempt.', 100, 60_000),
        webhook_attempts_max: int(5, 'count', 'Attempts per notification and URL (retries with backoff, then given up and counted as failed).', 1, 20),
        webhook_backoff_initial_ms: int(500, 'ms', 'First retry delay (exponential with jitter).', 10, 600_000),
        webhook_backoff_max_ms: int(30_000, 'ms', 'Ceiling of the retry delay.', 10, 3_600_000),
        webhook_queue_capacity: int(100, 'count', 'Notifications waiting per URL; beyond it the oldest is dropped and counted (memory stays bounded).', 1, 10_000),
      },
    },
    logging: {
      type: 'object',
      additionalProperties: false,
      default: EMPTY_SECTION,
      required: ['level', 'file_max_bytes', 'file_max_files'],
      properties: {
        level: { type: 'string', enum: ['error', 'warn', 'info', 'debug'], default: 'info', 'x-unit': 'enum', description: 'Lowest level written to console and files.' },
        file_max_bytes: int(20 * MiB, 'bytes', 'Size at which a log file under var/log rotates.', 1024, GiB),
        file_max_files: int(10, 'count', 'Rotated log files kept per thread.', 1, 1000),
      },
    },
  },
};
