import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * var/run/supervisor.pid: a supervisor running Live on this var/. `start` refuses a second one;
 * `experiments` refuses to run beside it. A pid file whose process is gone is stale and ignored.
 */
export function runLockFile(varDir: string): string {
  return join(varDir, 'run', 'supervisor.pid');
}

export function liveSupervisorPid(varDir: string): number | null {
  const f = runLockFile(varDir);
  if (!existsSync(f)) return null;
  const pid = Number(readFileSync(f, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    // EPERM: it exists but belongs to someone else; still a live process.
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

export function takeRunLock(varDir: string): { ok: true; release: () => void } | { ok: false; pid: number } {
  const other = liveSupervisorPid(varDir);
  if (other !== null && other !== process.pid) return { ok: false, pid: other };
  mkdirSync(join(varDir, 'run'), { recursive: true });
  writeFileSync(runLockFile(varDir), `${process.pid}\n`);
  return {
    ok: true,
    release: () => {
      if (liveSupervisorPid(varDir) === process.pid) rmSync(runLockFile(varDir), { force: true });
    },
  };
}
