import type { JsonObject, ReasonCode } from '@vigil/contracts';

/**
 * Raise/clear a worker's reasons idempotently: the mode authority hears a change once, not on
 * every check that finds the same condition.
 */
export interface ReasonLatch {
  set(code: ReasonCode, on: boolean, detail: JsonObject): void;
  has(code: ReasonCode): boolean;
}

export function reasonLatch(ctx: { raise(code: ReasonCode, detail?: JsonObject): void; clear(code: ReasonCode): void }): ReasonLatch {
  const active = new Set<ReasonCode>();
  return {
    set(code, on, detail) {
      if (on === active.has(code)) return;
      if (on) {
        active.add(code);
        ctx.raise(code, detail);
      } else {
        active.delete(code);
        ctx.clear(code);
      }
    },
    has: (code) => active.has(code),
  };
}
