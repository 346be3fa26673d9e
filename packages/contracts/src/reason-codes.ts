import type { ForcedMode, Severity } from './modes.js';

/**
 * How an active reason may be cleared.
 * - auto: the source that raised it clears it when the condition is gone.
 * - manual: only an operator action clears it (the rules say "require intervention").
 */
export type ClearPolicy = 'auto' | 'manual';

export interface ReasonSpec {
  readonly severity: Severity;
  readonly forces: ForcedMode;
  readonly clear: ClearPolicy;
  readonly summary: string;
  /**
   * Set when no code path raises this code any more (codes are never removed or renamed): why it
   * is unreachable. scripts/reason-coverage.ts demands a test for every code that is not retired.
   */
  readonly retired?: string;
}

const r = (severity: Severity, forces: ForcedMode, clear: ClearPolicy, summary: string): ReasonSpec => ({
  severity,
  forces,
  clear,
  summary,
});

/** Marks a catalogue entry as no longer raised, with the reason; the entry itself stays. */
const retired = (spec: ReasonSpec, why: string): ReasonSpec => ({ ...spec, retired: why });

/**
 * The catalogue of reason codes. Stable SCREAMING_SNAKE names (CATEGORY_CONDITION); codes are only
 * ever added, never renamed. Names used by docs/10_OPERATIONS_RULES are used exactly.
 */
export const REASON_CODES = {
  // --- boot, locks, config, shutdown
  STARTUP_RECOVER: r('WARN', 'PAUSE', 'auto', 'boot: no entry until startup reconcile releases the engine'),
  RESUME_MANAGE_ONLY: r('INFO', 'DEGRADE', 'auto', 'open orders/positions found at start: manage only until stable'),
  CONFIG_INVALID: r('CRIT', 'PAUSE', 'manual', 'configuration failed validation'),
  LIVE_FLAG_MISSING: r('CRIT', 'PAUSE', 'manual', 'start refused: --live flag not given'),
  LIVE_LOCK_FILE_MISSING: r('CRIT', 'PAUSE', 'manual', 'start refused: live lock file enabled and missing'),
  MODE_NOT_LIVE: r('CRIT', 'PAUSE', 'manual', 'start refused: MODE is not LIVE'),
  AI_DEC_NOT_2: r('CRIT', 'PAUSE', 'manual', 'start refused: AI_DEC is not 2 (AI gate mandatory in Live)'),
  SECRETS_FILE_INSECURE: r('CRIT', 'PAUSE', 'manual', 'secrets file is readable by group or others, or owned by another user'),
  SECRETS_MISSING: r('CRIT', 'PAUSE', 'manual', 'exchange API credentials not provided'),
  SHUTDOWN_REQUESTED: r('INFO', 'PAUSE', 'manual', 'orderly shutdown in progress'),
  KILL_SWITCH_ACTIVE: r('CRIT', 'PAUSE', 'manual', 'operator kill switch engaged'),
  KILL_SWITCH_CHECK_FAILED: r('CRIT', 'PAUSE', 'auto', 'kill switch state could not be read: fail closed'),
  FAULT_HOOKS_ENABLED: r('WARN', 'NONE', 'manual', 'test fault hooks are enabled in this process'),
  RECOVERY_STABILIZING: r('INFO', 'DEGRADE', 'auto', 'causes cleared: waiting for the stability window'),
  PAUSE_NEEDS_MANUAL: r('CRIT', 'PAUSE', 'manual', 'critical inconsistency: operator must intervene'),
  CLOSE_SAFELY: r('CRIT', 'PAUSE', 'manual', 'critical inconsistency: closing positions safely'),
  // Raised by `supervisor pause`, cleared only by `supervisor resume`; survives a restart (the audit remembers it).
  OPERATOR_PAUSE: r('CRIT', 'PAUSE', 'manual', 'operator paused the bot (supervisor pause): held until supervisor resume'),

  // --- workers and channels
  MODE_UNKNOWN_FAILSAFE: r('CRIT', 'PAUSE', 'auto', 'a worker heard no mode within its bound and treats itself as PAUSE'),
  AUDIT_WORKER_EXITED: r('CRIT', 'PAUSE', 'auto', 'audit-writer worker exited: no audit, no operation'),
  AUDIT_WORKER_ERROR: r('CRIT', 'PAUSE', 'auto', 'audit-writer worker threw: no audit, no operation'),
  AUDIT_WORKER_STALLED: r('CRIT', 'PAUSE', 'auto', 'audit-writer worker missed heartbeats'),
  AUDIT_DB_UNUSABLE: r('CRIT', 'PAUSE', 'auto', 'audit database unusable'),
  WORKER_EXITED: r('CRIT', 'PAUSE', 'auto', 'a worker thread exited unexpectedly'),
  WORKER_ERROR: r('CRIT', 'PAUSE', 'auto', 'a worker thread threw an uncaught error'),
  WORKER_STALLED: r('CRIT', 'PAUSE', 'auto', 'a worker thread missed heartbeats'),
  WORKER_RESTART_EXHAUSTED: r('CRIT', 'PAUSE', 'manual', 'a worker kept dying: restarts exhausted'),
  CHANNEL_MALFORMED: r('WARN', 'NONE', 'auto', 'a channel message was malformed and rejected'),
  CHANNEL_UNKNOWN_TYPE: r('WARN', 'NONE', 'auto', 'a channel message of unknown type was rejected'),
  CHANNEL_VERSION_MISMATCH: r('WARN', 'NONE', 'auto', 'a channel message of another protocol version was rejected'),
  CHANNEL_REQUEST_TIMEOUT: r('WARN', 'NONE', 'auto', 'a channel request got no reply in time'),
  EVENT_LOOP_LAG_HIGH: r('WARN', 'DEGRADE', 'auto', 'a thread event loop is delayed beyond its bound'),
  LOOP_STUCK: r('CRIT', 'PAUSE', 'auto', 'the engine stage has not progressed within its bound'),

  // --- audit writer and storage
  DB_WRITER_QUEUE_HIGH: r('WARN', 'DEGRADE', 'auto', 'audit writer queue above the high mark'),
  DB_WRITER_BACKPRESSURE: r('WARN', 'DEGRADE', 'auto', 'audit writer lag above its bound'),
  DB_WRITER_QUEUE_FULL: r('CRIT', 'PAUSE', 'auto', 'audit writer queue full'),
  DB_WRITER_DROPPED: r('CRIT', 'PAUSE', 'manual', 'audit events were dropped'),
  DB_WRITER_QUEUE_FULL_PERSISTENT: r('CRIT', 'PAUSE', 'manual', 'audit writer queue full beyond audit_writer_full_persistent_ms: operator action required'),
  DB_WRITER_COMMIT_STALE: r('WARN', 'NONE', 'auto', 'entry refused: no audit commit within 2 x audit_writer_max_lag_ms (Live checklist)'),
  DB_BUSY_TRANSIENT: r('WARN', 'DEGRADE', 'auto', 'SQLite busy/locked, transient'),
  // Manual: the rules say "if persistent: PAUSE (Live) and require action" (incident 6).
  DB_BUSY_PERSISTENT: r('CRIT', 'PAUSE', 'manual', 'SQLite busy/locked, persistent: operator action required'),
  DB_WRITE_FAILED: r('CRIT', 'PAUSE', 'auto', 'audit database write failed'),
  DISK_LOW_DEGRADE: r('WARN', 'DEGRADE', 'auto', 'free disk below the DEGRADE threshold'),
  DISK_LOW_PAUSE: r('CRIT', 'PAUSE', 'auto', 'free disk below disk_free_pause_bytes, or below disk_free_degrade_bytes for disk_low_persistent_ms'),
  WAL_GROWTH_ABNORMAL: r('WARN', 'DEGRADE', 'auto', 'audit WAL is growing abnormally'),
  JSONL_WRITE_FAILED: r('CRIT', 'PAUSE', 'auto', 'JSONL event log write failed'),
  BACKUP_SKIPPED_LOW_DISK: r('WARN', 'NONE', 'auto', 'daily backup skipped: low disk'),
  BACKUP_FAILED: r('WARN', 'NONE', 'auto', 'daily backup failed'),
  AUDIT_CHAIN_BROKEN: r('CRIT', 'PAUSE', 'manual', 'audit hash chain does not verify'),

  // --- exchange gateway
  CLOCK_DRIFT: r('CRIT', 'PAUSE', 'auto', 'clock drift above clock_drift_max_ms_live'),
  TIMESTAMP_REJECTED: r('CRIT', 'PAUSE', 'auto', 'timestamp rejected (-1021) after resync and retry'),
  SIGNATURE_REJECTED: r('CRIT', 'PAUSE', 'manual', 'signature rejected (-1022)'),
  API_KEY_INVALID: r('CRIT', 'PAUSE', 'manual', 'API key rejected or lacks permission'),
  API_KEY_WITHDRAW_ENABLED: r('CRIT', 'PAUSE', 'manual', 'API key has withdrawals enabled'),
  API_KEY_IP_UNRESTRICTED: r('WARN', 'NONE', 'auto', 'API key is not restricted to trusted IPs'),
  RATE_LIMIT: r('WARN', 'DEGRADE', 'auto', 'HTTP 429 from the exchange: backing off'),
  REST_THROTTLED: r('INFO', 'NONE', 'auto', 'request held back by the local rate-limit governor'),
  IP_BANNED: r('CRIT', 'PAUSE', 'auto', 'HTTP 418 from the exchange: IP banned until Retry-After'),
  EXCHANGE_UNAVAILABLE: r('CRIT', 'PAUSE', 'auto', 'exchange REST unreachable'),
  WS_DISCONNECTED: r('WARN', 'DEGRADE', 'auto', 'market stream disconnected'),
  WS_UNSTABLE: r('WARN', 'DEGRADE', 'auto', 'market stream reconnecting too often'),
  WS_STALE: r('WARN', 'DEGRADE', 'auto', 'market stream silent beyond its bound'),
  MARKET_STATE_LOST: r('CRIT', 'PAUSE', 'auto', 'market state lost: acting on it is unsafe'),
  USER_STREAM_UNSTABLE: r('WARN', 'DEGRADE', 'auto', 'user data stream unstable: REST reconcile only'),
  USER_STREAM_TERMINATED: r('WARN', 'DEGRADE', 'auto', 'user data stream terminated by the venue'),
  FILTERS_STALE: r('WARN', 'DEGRADE', 'auto', 'exchange filters older than their validity window, or the last refresh could not be read'),
  FILTER_REJECT: r('WARN', 'NONE', 'auto', 'order rejected by an exchange filter'),
  // Recorded on the refresh event; the previous rules stay and FILTERS_STALE takes over in time.
  EXCHANGE_REPLY_INVALID: r('WARN', 'NONE', 'auto', 'exchangeInfo reply not understood: previous rules kept'),
  SYMBOL_QUARANTINED: r('WARN', 'NONE', 'auto', 'symbol quarantined: no new entries on it'),
  SYMBOL_NOT_PROTECTABLE: r(
    'WARN',
    'NONE',
    'auto',
    'no entry on a symbol whose rules refuse its protection (OCO, LIMIT_MAKER, STOP_LOSS_LIMIT, MARKET, spot trading)',
  ),
  SYMBOL_NOT_TRADING: r('WARN', 'NONE', 'auto', 'symbol status is not TRADING'),

  // --- engine: strategy, risk, execution, protection, reconcile
  EDGE_TOO_LOW: r('INFO', 'NONE', 'auto', 'expected edge below the cost model'),
  COST_TOO_HIGH: r('INFO', 'NONE', 'auto', 'estimated cost above its limit'),
  RISK_DAILY_LOSS_LIMIT_HIT: r('CRIT', 'PAUSE', 'manual', 'daily loss limit reached'),
  RISK_DRAWDOWN_LIMIT_HIT: r('CRIT', 'PAUSE', 'manual', 'drawdown from peak beyond its limit'),
  RISK_EXPOSURE_LIMIT_HIT: r('INFO', 'NONE', 'auto', 'entry blocked: exposure cap'),
  RISK_POSITION_EXISTS: r('INFO', 'NONE', 'auto', 'entry blocked: one position per symbol'),
  RISK_MAX_OPEN_ORDERS: r('INFO', 'NONE', 'auto', 'entry blocked: max open orders'),
  RISK_MARKET_MOVED: r('INFO', 'NONE', 'auto', 'entry blocked: while it was reviewed the market crossed its stop, reached its target or spent its edge'),
  RISK_CHURN_LIMIT_HIT: r('WARN', 'DEGRADE', 'auto', 'new/cancel churn above its window limit'),
  RISK_CANCEL_REPLACE_LIMIT_HIT: r('WARN', 'DEGRADE', 'auto', 'cancel-replace count above its window limit'),
  INTENT_SENT_UNKNOWN: r('WARN', 'NONE', 'auto', 'an order outcome is unknown: symbol blocked until REST resolves it'),
  ENTRY_BLOCKED_NO_AIGATE: r('WARN', 'NONE', 'auto', 'entry refused: the AI gate is mandatory in Live and not available'),
  PROTECTION_MISSING: r('CRIT', 'PAUSE', 'auto', 'a position (or an entry whose outcome is unknown) is not protected'),
  PROTECTION_SWAP_FAILED: r('CRIT', 'PAUSE', 'manual', 'protection swap failed: existing protection kept'),
  RECONCILE_DRIFT: r('WARN', 'DEGRADE', 'auto', 'reconcile found drift within tolerance: corrected'),
  DRIFT_LIMIT_EXCEEDED: r('CRIT', 'PAUSE', 'manual', 'reconcile drift above tolerance'),
  RECONCILE_FAILED: r('WARN', 'DEGRADE', 'auto', 'reconcile could not complete'),
  STARTUP_RECONCILE_FAILED: r('CRIT', 'PAUSE', 'auto', 'startup reconcile could not complete'),

  // --- AI gate (names from the operations rules)
  AIGATE_TIMEOUT: r('CRIT', 'PAUSE', 'manual', 'AI gate call timed out'),
  AIGATE_PARSE_FAIL: r('CRIT', 'PAUSE', 'manual', 'AI gate reply is not parseable'),
  AIGATE_SCHEMA_INVALID: r('CRIT', 'PAUSE', 'manual', 'AI gate reply does not match AIGateResult'),
  AIGATE_REASON_UNKNOWN: r('CRIT', 'PAUSE', 'manual', 'AI gate reply carries an unknown reason code'),
  AIGATE_MODIFY_INVALID: r('CRIT', 'PAUSE', 'manual', 'AI gate MODIFY would not only reduce risk'),
  AIGATE_TRANSPORT_ERROR: r('CRIT', 'PAUSE', 'manual', 'AI gate endpoint error (HTTP/network)'),
  AIGATE_BLOCKED: retired(
    r('INFO', 'NONE', 'auto', 'AI gate blocked the decision'),
    'a BLOCK verdict is a per-decision outcome, not a condition: it is recorded on AIGATE_CALL (verdict BLOCK, reasons) and SHADOW_RECORDED, and raises no reason',
  ),
  AIGATE_PRECONDITION_FAILED: r('CRIT', 'PAUSE', 'manual', 'AI gate not called: its preconditions failed (invalid decision, payload too large, no key)'),
  // --- backups and retention (no trading consequence: the live database is intact; an operator is told)
  BACKUP_VERIFY_FAILED: r(
    'WARN',
    'NONE',
    'auto',
    'a backup copy failed integrity_check or its hash chain; it was deleted, the next try is after backup_retry_ms',
  ),
  RETENTION_FAILED: r('WARN', 'NONE', 'auto', 'archiving old audit days failed; the live database keeps them (it only grows) until it succeeds'),
  // --- user data stream silence (appended)
  USER_STREAM_SILENT: r('WARN', 'DEGRADE', 'auto', 'user data stream connected but silent: REST showed order changes it never delivered; REST-only reconcile'),

  // --- venue rate limits (issue 18)
  ORDER_RATE_LIMITED: r(
    'WARN',
    'DEGRADE',
    'auto',
    'HTTP 429 -1015 from the exchange (too many new orders): new orders held until Retry-After; cancels and reads continue',
  ),
} as const satisfies Record<string, ReasonSpec>;

export type ReasonCode = keyof typeof REASON_CODES;

export const REASON_CODE_LIST = Object.keys(REASON_CODES) as ReasonCode[];

export function isReasonCode(x: unknown): x is ReasonCode {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(REASON_CODES, x);
}

export function reasonSpec(code: ReasonCode): ReasonSpec {
  return REASON_CODES[code];
}
