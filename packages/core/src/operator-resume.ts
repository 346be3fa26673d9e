import { REASON_CODES, type ActiveReason, type ReasonCode } from '@vigil/contracts';

/**
 * What `supervisor resume` may do, as a pure function of the active reasons.
 *
 * - Refused while any automatic reason (clear policy 'auto') that forces DEGRADE or PAUSE is active,
 *   except the boot ones: such a reason clears itself when its condition is gone, and an operator
 *   clearing it would hide a condition that is still true.
 * - Otherwise it clears the operator's own PAUSE and the manual reasons whose rule says "require
 *   intervention" and whose cause an operator can have dealt with without a restart (listed below).
 *   Every other manual reason stays (a restart, a new key or a new day is what clears it), and is
 *   reported as still holding.
 */

/** Boot reasons: they belong to the startup sequence and clear themselves; resume never waits on them. */
export const BOOT_REASONS: readonly ReasonCode[] = ['STARTUP_RECOVER', 'RESUME_MANAGE_ONLY', 'RECOVERY_STABILIZING'];

export interface ResumeContext {
  readonly nowMs: number;
  /** Whether the kill switch file exists right now (the engine raised KILL_SWITCH_ACTIVE from it). */
  readonly killFilePresent: boolean;
}

type Rule = (r: ActiveReason, c: ResumeContext) => string | null;

const always: Rule = () => null;
const utcDay = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
/** A risk limit of the UTC day holds for the rest of that day: a resume clears it only on a later day. */
const newDayOnly: Rule = (r, c) => (utcDay(r.last_ts_ms) < utcDay(c.nowMs) ? null : `holds until the next UTC day (last raised ${utcDay(r.last_ts_ms)})`);

/**
 * The manual reasons a resume clears, each with its condition (null = clear). The engine raises any
 * of them again if the condition is still there (the reason latch re-raises a manual reason the mode
 * authority no longer lists), so a resume does not hide a cause that persists.
 */
const RESUMABLE: Partial<Readonly<Record<ReasonCode, Rule>>> = {
  OPERATOR_PAUSE: always,
  PAUSE_NEEDS_MANUAL: always,
  PROTECTION_SWAP_FAILED: always,
  DRIFT_LIMIT_EXCEEDED: always,
  DB_WRITER_DROPPED: always,
  // The exit answered its inconsistency; an unprotected remainder keeps PROTECTION_MISSING (auto), which blocks a resume.
  CLOSE_SAFELY: always,
  // Incident 6: "persistent: PAUSE and require action". While the lock or the full queue lasts, their
  // automatic reasons (DB_BUSY_TRANSIENT, DB_WRITER_QUEUE_FULL) are active and refuse the resume.
  DB_BUSY_PERSISTENT: always,
  DB_WRITER_QUEUE_FULL_PERSISTENT: always,
  AIGATE_TIMEOUT: always,
  AIGATE_PARSE_FAIL: always,
  AIGATE_SCHEMA_INVALID: always,
  AIGATE_REASON_UNKNOWN: always,
  AIGATE_MODIFY_INVALID: always,
  AIGATE_TRANSPORT_ERROR: always,
  AIGATE_PRECONDITION_FAILED: always,
  KILL_SWITCH_ACTIVE: (_r, c) => (c.killFilePresent ? 'the kill switch file still exists: remove it first' : null),
  RISK_DAILY_LOSS_LIMIT_HIT: newDayOnly,
  RISK_DRAWDOWN_LIMIT_HIT: newDayOnly,
};

/** Why a manual reason outside RESUMABLE stays. */
const KEPT_WHY = 'not cleared by resume: restart the supervisor after fixing the cause';

export type ResumePlan =
  | { readonly ok: false; readonly blocking: readonly ActiveReason[] }
  | {
      readonly ok: true;
      readonly clear: readonly ActiveReason[];
      /** Manual reasons forcing DEGRADE/PAUSE that stay after the resume, with why. */
      readonly kept: readonly { readonly reason: ActiveReason; readonly why: string }[];
      /** Boot reasons still active (the mode stays PAUSE/DEGRADE until startup finishes). */
      readonly boot: readonly ActiveReason[];
    };

export function planResume(reasons: readonly ActiveReason[], c: ResumeContext): ResumePlan {
  const forcing = (r: ActiveReason): boolean => REASON_CODES[r.code].forces !== 'NONE';
  const blocking = reasons.filter((r) => !BOOT_REASONS.includes(r.code) && REASON_CODES[r.code].clear === 'auto' && forcing(r));
  if (blocking.length > 0) return { ok: false, blocking };
  const clear: ActiveReason[] = [];
  const kept: { reason: ActiveReason; why: string }[] = [];
  for (const r of reasons) {
    if (REASON_CODES[r.code].clear !== 'manual') continue;
    const rule = RESUMABLE[r.code];
    const why = rule ? rule(r, c) : KEPT_WHY;
    if (why === null) clear.push(r);
    else if (forcing(r)) kept.push({ reason: r, why });
  }
  return { ok: true, clear, kept, boot: reasons.filter((r) => BOOT_REASONS.includes(r.code)) };
}

/** The codes a resume may clear (documentation and tests). */
export const RESUMABLE_CODES: readonly ReasonCode[] = Object.keys(RESUMABLE) as ReasonCode[];
