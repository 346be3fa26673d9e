/**
 * The catalogue of audit event types. Events are the entity in the past tense. Names used by the
 * operations rules (STAGE_CHANGED, ALERT_RAISED, INTENT_STATE_CHANGED, RECONCILE_DIFF, AIGATE_CALL,
 * FILTERS_REFRESHED, MODE_CHANGED) are used exactly. Only ever added, never renamed.
 */
export const EVENT_TYPES = [
  // run and process lifecycle
  'RUN_STARTED',
  'RUN_STOPPED',
  'CONFIG_LOADED',
  'WORKER_STARTED',
  'WORKER_EXITED',
  'WORKER_RESTARTED',
  'AUDIT_RECOVERED',
  // mode authority and alerting
  'MODE_CHANGED',
  'REASON_RAISED',
  'REASON_CLEARED',
  'ALERT_RAISED',
  'CHANNEL_MESSAGE_REJECTED',
  'HEALTH_SAMPLED',
  // engine cycle
  'STAGE_CHANGED',
  'MARKET_SNAPSHOT_TAKEN',
  'DECISION_PROPOSED',
  'AIGATE_CALL',
  'RISK_VERDICT_GIVEN',
  'INTENT_CREATED',
  'INTENT_STATE_CHANGED',
  'ORDER_UPDATED',
  'FILL_RECORDED',
  'POSITION_UPDATED',
  'PROTECTION_PLACED',
  'PROTECTION_SWAPPED',
  'RECONCILE_STARTED',
  'RECONCILE_COMPLETED',
  'RECONCILE_DIFF',
  'SHADOW_RECORDED',
  'PNL_SAMPLED',
  // gateway
  'REST_CALLED',
  'WS_STATE_CHANGED',
  'CLOCK_SYNCED',
  'RATE_LIMIT_OBSERVED',
  'FILTERS_REFRESHED',
  'USER_EVENT_RECEIVED',
  'SYMBOL_QUARANTINE_IMPOSED',
  'SYMBOL_QUARANTINE_LIFTED',
  // audit writer's own
  'DB_WRITER_PRESSURE_CHANGED',
  'DISK_SAMPLED',
  'BACKUP_COMPLETED',
  'CHECKPOINT_COMPLETED',
  // operator commands (supervisor pause/resume/note), live through the control socket or offline
  'OPERATOR_PAUSED',
  'OPERATOR_RESUMED',
  'OPERATOR_NOTE',
  'OPERATOR_COMMAND_REFUSED',
  // backups, restore and retention (audit writer; restore by the CLI into the restored database)
  'BACKUP_DONE',
  'BACKUP_FAILED',
  'BACKUP_SKIPPED',
  'AUDIT_RESTORED',
  'AUDIT_ARCHIVED',
  // a standing symbol quarantine renewed by a fresh sign of its cause (its clean window restarts)
  'SYMBOL_QUARANTINE_RENEWED',
  // replay recordings (engine): what its pure decision functions saw and said (supervisor replay)
  'LIFECYCLE_STEPPED',
  'CYCLE_INPUTS_RECORDED',
  'RULES_RECORDED',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(x: unknown): x is EventType {
  return typeof x === 'string' && EVENT_TYPE_SET.has(x);
}
