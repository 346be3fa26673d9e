import { statSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * The WAL checkpointer: its own connection on its own thread, so copying WAL pages into the
 * database never blocks the writer's commits (measured: in-thread checkpoints were the cause of the
 * p99 commit-lag spikes). PASSIVE every interval; TRUNCATE when the writer says it is idle or the
 * WAL is over its threshold.
 */
export interface CheckpointerInit {
  readonly dbFile: string;
  readonly intervalMs: number;
  readonly truncateBytes: number;
  readonly busyTimeoutMs: number;
}

export type CheckpointerIn = { readonly type: 'idle'; readonly idle: boolean } | { readonly type: 'stop' };
export type CheckpointerOut =
  | {
      readonly type: 'checkpoint';
      readonly mode: 'PASSIVE' | 'TRUNCATE';
      readonly wal_bytes: number;
      readonly busy: number;
      readonly log: number;
      readonly checkpointed: number;
    }
  | { readonly type: 'error'; readonly message: string };

if (!isMainThread && parentPort && (workerData as { checkpointer?: CheckpointerInit } | null)?.checkpointer) {
  const init = (workerData as { checkpointer: CheckpointerInit }).checkpointer;
  const port = parentPort;
  const db = new Database(init.dbFile, { fileMustExist: true });
  db.pragma(`busy_timeout = ${init.busyTimeoutMs}`);
  let idle = false;
  const post = (m: CheckpointerOut): void => port.postMessage(m);
  const timer = setInterval(() => {
    let wal = 0;
    try {
      wal = statSync(`${init.dbFile}-wal`).size;
    } catch {
      /* no WAL yet */
    }
    const mode = idle || wal > init.truncateBytes ? 'TRUNCATE' : 'PASSIVE';
    try {
      const r = (db.pragma(`wal_checkpoint(${mode})`) as { busy: number; log: number; checkpointed: number }[])[0];
      post({ type: 'checkpoint', mode, wal_bytes: wal, busy: r?.busy ?? 0, log: r?.log ?? 0, checkpointed: r?.checkpointed ?? 0 });
    } catch (e) {
      post({ type: 'error', message: (e as Error).message });
    }
  }, init.intervalMs);
  port.on('message', (m: CheckpointerIn) => {
    if (m.type === 'idle') idle = m.idle;
    else if (m.type === 'stop') {
      clearInterval(timer);
      db.close();
      port.close();
    }
  });
}
