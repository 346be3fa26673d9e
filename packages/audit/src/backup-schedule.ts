const DAY_MS = 86_400_000;

export interface BackupScheduleConfig {
  /** "HH:MM", UTC. */
  readonly backup_at_utc: string;
  /** Longest age of the newest backup before one is due at once. */
  readonly backup_interval_ms: number;
  readonly backup_retry_ms: number;
}

/** Milliseconds after UTC midnight of an "HH:MM" (the schema's pattern guarantees the shape). */
export function utcTimeOfDayMs(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new Error(`not an HH:MM time: ${hhmm}`);
  return (Number(m[1]) * 60 + Number(m[2])) * 60_000;
}

/** The first daily slot strictly after `afterMs`. */
export function nextSlotAfter(afterMs: number, hhmm: string): number {
  const dayStart = afterMs - (((afterMs % DAY_MS) + DAY_MS) % DAY_MS);
  const slot = dayStart + utcTimeOfDayMs(hhmm);
  return slot > afterMs ? slot : slot + DAY_MS;
}

/**
 * When the next backup is due, as a pure function of the clock, the newest backup on disk and the
 * last failed attempt (all known after a restart: the backup directory and this run's memory).
 * - No backup at all: now.
 * - Otherwise the earlier of the first daily slot after the newest backup (a slot missed while the
 *   bot was down is caught up as soon as it runs) and the newest backup's age reaching
 *   backup_interval_ms; never earlier than now.
 * - After a failure (or a skip on low disk), not before backup_retry_ms has passed, so a failing
 *   backup is retried hourly, not in a loop.
 */
export function nextBackupAt(p: {
  readonly nowMs: number;
  readonly lastBackupMs: number | null;
  readonly lastFailureMs: number | null;
  readonly config: BackupScheduleConfig;
}): number {
  const c = p.config;
  let due = p.lastBackupMs === null ? p.nowMs : Math.min(nextSlotAfter(p.lastBackupMs, c.backup_at_utc), p.lastBackupMs + c.backup_interval_ms);
  if (p.lastFailureMs !== null && (p.lastBackupMs === null || p.lastFailureMs > p.lastBackupMs)) due = Math.max(due, p.lastFailureMs + c.backup_retry_ms);
  return Math.max(due, p.nowMs);
}
