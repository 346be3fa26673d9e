/**
 * A step that must eventually succeed: while `needed()`, `run` is tried again after 1 s, then 2,
 * 4, ... up to 30 s between attempts (never two at once); the delay starts over once it is done.
 */
export function backoffRetry(needed: () => boolean, run: () => Promise<unknown>, now: () => number = Date.now): () => Promise<void> {
  let delay = 1000;
  let nextAt = 0;
  let busy = false;
  return async () => {
    if (!needed()) {
      delay = 1000;
      nextAt = 0;
      return;
    }
    if (busy || now() < nextAt) return;
    busy = true;
    try {
      await run();
    } finally {
      busy = false;
      nextAt = now() + delay;
      delay = Math.min(30_000, delay * 2);
    }
  };
}
