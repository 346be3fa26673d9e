import { copyFileSync, existsSync, mkdirSync, openSync, fsyncSync, closeSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { AuditWriter, verifyDatabaseCopy } from '@vigil/audit';
import { newRunId, type CommitAck } from '@vigil/contracts';
import { EventFactory, formatConfigError, loadConfigFile } from '@vigil/runtime';
import { takeRunLock } from './run-lock.js';

export const RESTORE_EXIT = { OK: 0, FAILED: 1, LOCK_REFUSED: 3, CONFIG_INVALID: 78 } as const;

interface Out {
  out(line: string): void;
  err(line: string): void;
}
const STD: Out = { out: (l) => void process.stdout.write(`${l}\n`), err: (l) => void process.stderr.write(`${l}\n`) };

const stamp = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');

/**
 * `supervisor restore --from <backup>`: replaces var/data/audit.sqlite by a backup, only while no
 * supervisor runs (run lock held throughout), and only a copy that passes integrity_check and its
 * hash chain. The copy is verified where it will be installed (a temporary file beside the live
 * database, so the final rename is atomic on one filesystem); the current database with its WAL is
 * moved aside (never deleted); the restored database records AUDIT_RESTORED through the writer's own
 * code, so its chain continues.
 */
export function restoreCommand(
  opts: { readonly from: string; readonly varDir?: string; readonly config?: string },
  env: NodeJS.ProcessEnv = process.env,
  io: Out = STD,
): number {
  const loaded = loadConfigFile(opts.config ?? env['VIGIL_CONFIG'] ?? null, {});
  if (!loaded.ok) {
    io.err(`supervisor: ${formatConfigError(loaded.error)}`);
    return RESTORE_EXIT.CONFIG_INVALID;
  }
  const config = loaded.config;
  const varDir = resolve(opts.varDir ?? config.paths.var_dir);
  const from = resolve(opts.from);
  if (!existsSync(from)) {
    io.err(`supervisor restore: no such backup file: ${from}`);
    return RESTORE_EXIT.FAILED;
  }
  const lock = takeRunLock(varDir);
  if (!lock.ok) {
    io.err(`supervisor restore: refused: a supervisor is running on ${varDir} (pid ${lock.pid}); stop it first (nothing was changed)`);
    return RESTORE_EXIT.LOCK_REFUSED;
  }
  try {
    const dataDir = join(varDir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const live = join(dataDir, 'audit.sqlite');
    const now = Date.now();
    const tmp = join(dataDir, `audit.sqlite.restoring-${stamp(now)}`);
    copyFileSync(from, tmp);
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const v = verifyDatabaseCopy(tmp);
    if (!v.ok) {
      for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}-journal`]) if (existsSync(f)) unlinkSync(f);
      io.err(`supervisor restore: refused: ${from} does not verify (${v.failure}: ${v.detail}); the current database was not touched`);
      return RESTORE_EXIT.FAILED;
    }
    const backupHead = headOf(tmp);
    // A read-only open may leave a shared-memory file beside the copy: it must not follow it.
    if (existsSync(`${tmp}-shm`)) unlinkSync(`${tmp}-shm`);
    // The current database and its WAL/SHM move aside together (a WAL without its database is lost data).
    const aside: string[] = [];
    if (existsSync(live)) {
      const base = `${live}.before-restore-${stamp(now)}`;
      for (const suffix of ['', '-wal', '-shm']) {
        if (!existsSync(`${live}${suffix}`)) continue;
        renameSync(`${live}${suffix}`, `${base}${suffix}`);
        aside.push(`${base}${suffix}`);
      }
    }
    renameSync(tmp, live);
    // Archives holding events past the backup's head were written by the database just moved aside.
    const archiveDir = join(dataDir, 'archive');
    const later = existsSync(archiveDir)
      ? readdirSync(archiveDir).filter((n) => /^audit-\d{4}-\d{2}\.sqlite$/.test(n) && maxSeq(join(archiveDir, n)) > backupHead.seq)
      : [];

    const events = new EventFactory(newRunId(), 'supervisor');
    const writer = new AuditWriter({ dbFile: live, jsonlDir: join(varDir, 'jsonl'), config: config.audit, now: Date.now, setReason: () => {} });
    let ack: CommitAck | null = null;
    let failure: string | null = null;
    try {
      writer.open();
      writer.enqueue(
        [
          events.make('AUDIT_RESTORED', {
            from: from,
            backup: basename(from),
            backup_events: v.rows,
            backup_last_seq: backupHead.seq,
            backup_last_ts_ms: backupHead.ts_ms,
            moved_aside: aside.map((f) => basename(f)),
            archives_past_backup: later,
            via: 'cli',
          }),
        ],
        { resolve: (a) => void (ack = a), reject: (e) => void (failure = e.message) },
      );
      writer.drainAll();
    } catch (e) {
      failure = (e as Error).message;
    } finally {
      writer.close();
    }
    const committed = ack as CommitAck | null;
    io.out(
      `verified ${from}: integrity_check ok, hash chain ok (${v.rows} events, last seq ${backupHead.seq} at ${backupHead.ts_ms === null ? '?' : new Date(backupHead.ts_ms).toISOString()})`,
    );
    for (const f of aside) io.out(`moved aside: ${f}`);
    if (aside.length === 0) io.out('no current database was present');
    io.out(`restored: ${live}`);
    if (later.length > 0) io.err(`warning: archives ${later.join(', ')} hold events past the backup (written by the database moved aside); keep them with it`);
    io.out('the JSONL files under var/jsonl still hold every event after the backup, as does the database moved aside');
    if (committed === null) {
      io.err(`supervisor restore: restored, but AUDIT_RESTORED was not recorded: ${failure ?? 'the audit writer did not commit'}`);
      return RESTORE_EXIT.FAILED;
    }
    io.out(`AUDIT_RESTORED recorded at seq ${committed.last_seq}`);
    return RESTORE_EXIT.OK;
  } catch (e) {
    io.err(`supervisor restore: failed: ${(e as Error).message}`);
    return RESTORE_EXIT.FAILED;
  } finally {
    lock.release();
  }
}

function headOf(file: string): { seq: number; ts_ms: number | null } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const r = db.prepare('SELECT seq, ts_ms FROM events ORDER BY seq DESC LIMIT 1').get() as { seq: number; ts_ms: number } | undefined;
    return r ? { seq: r.seq, ts_ms: r.ts_ms } : { seq: 0, ts_ms: null };
  } finally {
    db.close();
  }
}

function maxSeq(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT max(seq) AS s FROM events').get() as { s: number | null }).s ?? 0;
  } finally {
    db.close();
  }
}
