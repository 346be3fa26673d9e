import { REASON_CODES, type JsonObject, type ModeState, type ReasonCode } from '@vigil/contracts';

/**
 * Raise/clear a worker's reasons idempotently: the mode authority hears a change once, not on
 * every check that finds the same condition.
 *
 * A manual reason can be cleared by the operator (`supervisor resume`) while the worker still has
 * it latched. When the condition is found again and the broadcast mode no longer lists the code,
 * the latch raises it again: otherwise the second AI gate timeout after a resume would go unheard.
 * The grace period keeps a broadcast sent before the first raise arrived from causing a duplicate.
 */
export interface ReasonLatch {
  set(code: ReasonCode, on: boolean, detail: JsonObject): void;
  has(code: ReasonCode): boolean;
}

const RERAISE_GRACE_MS = 2000;

export function reasonLatch(
  ctx: {
    raise(code: ReasonCode, detail?: JsonObject): void;
    clear(code: ReasonCode): void;
    modeState?: () => ModeState | null;
  },
  now: () => number = Date.now,
): ReasonLatch {
  const active = new Map<ReasonCode, number>();
  return {
    set(code, on, detail) {
      const raisedAt = active.get(code);
      if (on && raisedAt !== undefined) {
        if (REASON_CODES[code].clear !== 'manual' || !ctx.modeState || now() - raisedAt < RERAISE_GRACE_MS) return;
        const st = ctx.modeState();
        if (st === null || st.reasons.some((r) => r.code === code)) return;
        active.set(code, now());
        ctx.raise(code, detail);
        return;
      }
      if (on === (raisedAt !== undefined)) return;
      if (on) {
        active.set(code, now());
        ctx.raise(code, detail);
      } else {
        active.delete(code);
        ctx.clear(code);
      }
    },
    has: (code) => active.has(code),
  };
}
