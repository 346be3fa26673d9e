import { closeSync, fsyncSync, openSync, statSync } from 'node:fs';
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

export type CheckpointerIn = { readonly type: 'idle'; readonly idle: boolean } | { readonly type: 'sync_wal' } | { readonly type: 'stop' };
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

/**
 * Syncs the WAL file (fsync) when the writer committed a bulk batch without one, so that the next
 * critical commit's fsync (synchronous FULL: an intent before its order) flushes only its own pages
 * instead of every bulk batch written since the last sync. Measured on this host: a one-row FULL
 * commit after 20 unsynced bulk commits took 5-8 ms, 2.6-4 ms with the WAL synced in between
 * (issue 19). Requests arriving while a sync runs are served by one more sync. The descriptor is
 * opened once and kept until stop: closing any descriptor of a file drops the process's POSIX
 * locks on it, and SQLite's own descriptors must never lose theirs.
 */
export class WalSync {
  private fd: number | null = null;
  private scheduled = false;
  syncs = 0;

  constructor(
    private readonly walFile: string,
    private readonly onError: (message: string) => void,
    private readonly fs: { open: (f: string) => number; fsync: (fd: number) => void; close: (fd: number) => void } = {
      open: (f) => openSync(f, 'r'),
      fsync: fsyncSync,
      close: closeSync,
    },
  ) {}

  request(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.sync());
  }

  sync(): void {
    this.scheduled = false;
    try {
      this.fd ??= this.fs.open(this.walFile);
      this.fs.fsync(this.fd);
      this.syncs++;
    } catch (e) {
      // No WAL yet, or a failed sync: the writer's own FULL commits still fsync, so nothing is
      // less durable than before; only the order path may pay for the bulk rows again.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(`WAL sync failed: ${(e as Error).message}`);
    }
  }

  close(): void {
    if (this.fd !== null) this.fs.close(this.fd);
    this.fd = null;
  }
}

if (!isMainThread && parentPort && (workerData as { checkpointer?: CheckpointerInit } | null)?.checkpointer) {
  const init = (workerData as { checkpointer: CheckpointerInit }).checkpointer;
  const port = parentPort;
  const db = new Database(init.dbFile, { fileMustExist: true });
  db.pragma(`busy_timeout = ${init.busyTimeoutMs}`);
  let idle = false;
  const post = (m: CheckpointerOut): void => port.postMessage(m);
  const walSync = new WalSync(`${init.dbFile}-wal`, (message) => post({ type: 'error', message }));
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
    else if (m.type === 'sync_wal') walSync.request();
    else if (m.type === 'stop') {
      clearInterval(timer);
      walSync.close();
      db.close();
      port.close();
    }
  });
}
