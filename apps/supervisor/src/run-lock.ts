import { lstatSync, mkdirSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { readRegularFile } from '@vigil/runtime';

/**
 * var/run/supervisor.pid: a supervisor running Live on this var/. `start` refuses a second one;
 * `experiments` refuses to run beside it. A pid file whose process is gone is stale and ignored.
 */
export function runLockFile(varDir: string): string {
  return join(varDir, 'run', 'supervisor.pid');
}

/** A pid file is a few bytes; anything larger is not one of ours. */
const PID_FILE_MAX_BYTES = 64;

export function liveSupervisorPid(varDir: string): number | null {
  const f = runLockFile(varDir);
  // Never blocks: a FIFO or a device under that name is not read (takeRunLock refuses it).
  const read = readRegularFile(f, PID_FILE_MAX_BYTES);
  if (!read.ok) return null;
  const text = read.text.trim();
  if (!/^[0-9]{1,10}$/.test(text)) return null;
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    // EPERM: it exists but belongs to someone else; still a live process.
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

export function takeRunLock(varDir: string): { ok: true; release: () => void } | { ok: false; pid: number | null; message: string } {
  const other = liveSupervisorPid(varDir);
  if (other !== null && other !== process.pid) return { ok: false, pid: other, message: `another supervisor (pid ${other}) runs on ${varDir}` };
  // Writing follows a symlink and blocks on a FIFO without a reader: only a regular file (or none) is replaced.
  const existing = lstatOrNull(runLockFile(varDir));
  if (existing !== null && !existing.isFile())
    return { ok: false, pid: null, message: `${runLockFile(varDir)} is not a regular file; remove it after checking that no supervisor runs` };
  mkdirSync(join(varDir, 'run'), { recursive: true });
  writeFileSync(runLockFile(varDir), `${process.pid}\n`);
  return {
    ok: true,
    release: () => {
      if (liveSupervisorPid(varDir) === process.pid) rmSync(runLockFile(varDir), { force: true });
    },
  };
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}
