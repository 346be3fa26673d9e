import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, CrashPoint, JsonObject } from '@vigil/contracts';

/**
 * Crash-point hooks for the chaos matrix (scripts/chaos.ts). Disarmed unless
 * live.fault_hooks_enabled and live.crash_point names the point; then, the first time the point is
 * reached, the hook appends a marker line to <var>/chaos/crash-point.jsonl (fsynced), and blocks
 * this thread for good so the harness can SIGKILL the process group at exactly that point. A
 * blocked thread, not process.kill: nothing else of this thread runs after the marker.
 */
export type CrashHook = (point: CrashPoint, detail?: JsonObject) => void;

export const NO_CRASH: CrashHook = () => undefined;

export function crashHook(cfg: Config, varDir: string, thread: string): CrashHook {
  const armed = cfg.live.fault_hooks_enabled ? cfg.live.crash_point : 'none';
  if (armed === 'none') return NO_CRASH;
  let fired = false;
  return (point, detail = {}) => {
    if (point !== armed || fired) return;
    fired = true;
    const dir = join(varDir, 'chaos');
    mkdirSync(dir, { recursive: true });
    const fd = openSync(join(dir, 'crash-point.jsonl'), 'a');
    try {
      writeSync(fd, `${JSON.stringify({ point, thread, pid: process.pid, ts_ms: Date.now(), detail })}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const cell = new Int32Array(new SharedArrayBuffer(4));
    for (;;) Atomics.wait(cell, 0, 0);
  };
}
