/** The system mode, owned by the supervisor's mode authority. */
export const MODES = ['NORMAL', 'DEGRADE', 'PAUSE', 'EXIT'] as const;
export type Mode = (typeof MODES)[number];

/** What a reason code forces while it is active. NONE: recorded and alerted, mode unchanged. */
export const FORCED_MODES = ['NONE', 'DEGRADE', 'PAUSE'] as const;
export type ForcedMode = (typeof FORCED_MODES)[number];

export const SEVERITIES = ['INFO', 'WARN', 'CRIT'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rank used for precedence: higher wins. EXIT is terminal and handled separately. */
export const MODE_RANK: Readonly<Record<Mode, number>> = { NORMAL: 0, DEGRADE: 1, PAUSE: 2, EXIT: 3 };

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { INFO: 0, WARN: 1, CRIT: 2 };

/** The threads of one supervisor process. `supervisor` is the main thread. */
export const THREADS = ['supervisor', 'audit', 'gateway', 'engine'] as const;
export type ThreadName = (typeof THREADS)[number];
export type WorkerName = Exclude<ThreadName, 'supervisor'>;
export const WORKERS: readonly WorkerName[] = ['audit', 'gateway', 'engine'];
