/** Engine stages, named as the operations rules name them. */
export const STAGES = [
  'STARTUP_RECOVER',
  'STARTUP_RECONCILE',
  'RESUME_MANAGE_ONLY',
  'IDLE',
  'MARKET_SNAPSHOT',
  'STRATEGY_PROPOSE',
  'AIGATE_CALL',
  'RISK_VERDICT',
  'EXECUTE',
  'PROTECT',
  'MANAGE',
  'RECONCILE',
  'CLOSE_SAFELY',
  'PAUSE_NEEDS_MANUAL',
  'SHUTDOWN',
] as const;
export type Stage = (typeof STAGES)[number];

/** Order intent states (ARCHITECTURE.md "Order intents"). */
export const INTENT_STATES = ['CREATED', 'SENT_UNKNOWN', 'CONFIRMED', 'NOT_FOUND', 'FAILED_TERMINAL'] as const;
export type IntentState = (typeof INTENT_STATES)[number];
