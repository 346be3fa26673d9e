import { REASON_CODES, type ActiveReason, type Mode, type ReasonCode, type WriterPressure } from '@vigil/contracts';

/**
 * The Live checklist's audit freshness: now_ms - last_writer_commit_ts_ms <= 2 * audit_writer_max_lag_ms.
 * `caught_up_ts_ms` is when the writer last had nothing unwritten (see writerCaughtUpAt); null
 * when unknown (no answer from the writer yet), which blocks.
 */
export interface AuditCommitFreshness {
  readonly now_ms: number;
  readonly caught_up_ts_ms: number | null;
  readonly max_lag_ms: number;
}

/**
 * When the writer was last caught up, from a pressure sample taken at `sampledAtMs`. An empty
 * queue means caught up at the sample; otherwise everything older than the oldest queued event
 * (lag_ms old) was committed, so it was caught up then, or at its last commit if that is later.
 * A writer that idles (no events, no commits) is thereby not mistaken for a stale one, and a
 * writer that stops answering ages out, since the samples stop.
 */
export function writerCaughtUpAt(p: Pick<WriterPressure, 'queue_depth' | 'lag_ms' | 'last_writer_commit_ts_ms'>, sampledAtMs: number): number {
  if (p.queue_depth === 0) return sampledAtMs;
  return Math.max(p.last_writer_commit_ts_ms ?? -Infinity, sampledAtMs - p.lag_ms);
}

export interface EntryInputs {
  readonly mode: Mode;
  /** The worker heard no mode within its bound. */
  readonly failsafe: boolean;
  readonly reasons: readonly ActiveReason[];
  /**
   * Reasons this worker raised that the supervisor's mode state does not carry yet (in flight):
   * they block like active ones, so an entry never starts in the round trip after a raise.
   */
  readonly raised: readonly ReasonCode[];
  /** Startup reconcile has released the engine (STARTUP_RECOVER cleared). */
  readonly startupReleased: boolean;
  /** The AI gate is wired and healthy (mandatory in Live with AI_DEC=2). */
  readonly aiGateReady: boolean;
  /** Per-symbol blocks: quarantine, unresolved SENT_UNKNOWN, existing position... */
  readonly symbolBlocks: readonly ReasonCode[];
  /** The audit writer's commit freshness (Live checklist release rule). */
  readonly auditCommit: AuditCommitFreshness;
}

export interface EntryVerdict {
  readonly allowed: boolean;
  readonly blocked_by: readonly ReasonCode[];
}

/**
 * Whether a new entry may be attempted. Fail-closed: every condition must positively hold, and the
 * answer lists every cause that blocks, not only the first, so an operator sees the whole picture.
 */
export function entryPermission(i: EntryInputs): EntryVerdict {
  const blocked = new Set<ReasonCode>();
  if (i.failsafe) blocked.add('MODE_UNKNOWN_FAILSAFE');
  for (const r of i.reasons) if (REASON_CODES[r.code].forces !== 'NONE') blocked.add(r.code);
  for (const c of i.raised) if (REASON_CODES[c].forces !== 'NONE') blocked.add(c);
  if (!i.startupReleased) blocked.add('STARTUP_RECOVER');
  if (!i.aiGateReady) blocked.add('ENTRY_BLOCKED_NO_AIGATE');
  for (const c of i.symbolBlocks) blocked.add(c);
  const a = i.auditCommit;
  if (a.caught_up_ts_ms === null || a.now_ms - a.caught_up_ts_ms > 2 * a.max_lag_ms) blocked.add('DB_WRITER_COMMIT_STALE');
  const allowed = i.mode === 'NORMAL' && blocked.size === 0;
  // A non-NORMAL mode with no listed cause still blocks; say so rather than return an empty list.
  if (!allowed && blocked.size === 0) blocked.add(i.mode === 'DEGRADE' ? 'RECOVERY_STABILIZING' : 'MODE_UNKNOWN_FAILSAFE');
  return { allowed, blocked_by: [...blocked] };
}
