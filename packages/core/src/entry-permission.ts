import { REASON_CODES, type ActiveReason, type Mode, type ReasonCode } from '@vigil/contracts';

export interface EntryInputs {
  readonly mode: Mode;
  /** The worker heard no mode within its bound. */
  readonly failsafe: boolean;
  readonly reasons: readonly ActiveReason[];
  /** Startup reconcile has released the engine (STARTUP_RECOVER cleared). */
  readonly startupReleased: boolean;
  /** The AI gate is wired and healthy (mandatory in Live with AI_DEC=2). */
  readonly aiGateReady: boolean;
  /** Per-symbol blocks: quarantine, unresolved SENT_UNKNOWN, existing position... */
  readonly symbolBlocks: readonly ReasonCode[];
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
  if (!i.startupReleased) blocked.add('STARTUP_RECOVER');
  if (!i.aiGateReady) blocked.add('ENTRY_BLOCKED_NO_AIGATE');
  for (const c of i.symbolBlocks) blocked.add(c);
  const allowed = i.mode === 'NORMAL' && blocked.size === 0;
  // A non-NORMAL mode with no listed cause still blocks; say so rather than return an empty list.
  if (!allowed && blocked.size === 0) blocked.add(i.mode === 'DEGRADE' ? 'RECOVERY_STABILIZING' : 'MODE_UNKNOWN_FAILSAFE');
  return { allowed, blocked_by: [...blocked] };
}
