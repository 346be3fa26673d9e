import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const BACKUP_RE = /^audit-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.sqlite$/;

export function backupName(nowMs: number): string {
  return `audit-${new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')}.sqlite`;
}

export interface BackupFile {
  readonly name: string;
  readonly file: string;
  /** The time in the name (when it was taken), not the file's mtime: a copied file keeps its meaning. */
  readonly ts_ms: number;
}

/**
 * The finished backups in `dir`, oldest first. Only verified copies get the final name (a copy is
 * verified under `.partial` and renamed after), so this list is also the list of usable backups.
 */
export function listBackups(dir: string): BackupFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: BackupFile[] = [];
  for (const name of names) {
    const m = BACKUP_RE.exec(name);
    if (!m) continue;
    // The six groups of the pattern, all digits: year, month, day, hour, minute, second.
    const [y = 0, mo = 1, d = 1, h = 0, mi = 0, sec = 0] = m.slice(1).map(Number);
    out.push({ name, file: join(dir, name), ts_ms: Date.UTC(y, mo - 1, d, h, mi, sec) });
  }
  return out.sort((a, b) => a.ts_ms - b.ts_ms);
}

/** When the newest backup on disk was taken, or null: the schedule is judged from files, not memory. */
export function newestBackupMs(dir: string): number | null {
  const all = listBackups(dir);
  return all.at(-1)?.ts_ms ?? null;
}

/**
 * Online backup with SQLite's backup API (consistent while the writer keeps writing; better-sqlite3
 * copies in steps between turns of the event loop, so commits go on meanwhile) into
 * `<final name>.partial`. The caller verifies the copy and then calls finishBackup.
 */
export async function backupDatabase(db: Database.Database, dir: string, nowMs: number): Promise<{ file: string; partial: string; bytes: number }> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, backupName(nowMs));
  const partial = `${file}.partial`;
  await db.backup(partial);
  // The copy inherits WAL mode; a backup is one self-contained file (no -wal/-shm beside it, and a
  // read-only open for verification or restore creates none).
  const c = new Database(partial);
  try {
    c.pragma('journal_mode = DELETE');
  } finally {
    c.close();
  }
  return { file, partial, bytes: statSync(partial).size };
}

/** A verified copy gets its final name; a rename is atomic, so a backup that exists is complete. */
export function finishBackup(b: { file: string; partial: string }): void {
  renameSync(b.partial, b.file);
}

/**
 * Deletes backups beyond the newest `keepCount`, and those older than `retentionDays`, but never the
 * newest one (old as it may be, after a long stretch of low disk it is the only one). Partial
 * leftovers of a crashed backup go too, unless `keepPartial` is the copy being written now.
 */
export function pruneBackups(
  dir: string,
  nowMs: number,
  retentionDays: number,
  keepCount = Number.MAX_SAFE_INTEGER,
  keepPartial: string | null = null,
): string[] {
  const deleted: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return deleted;
  }
  for (const name of names) {
    if (/\.partial(-wal|-shm|-journal)?$/.test(name) && join(dir, name) !== keepPartial) {
      unlinkSync(join(dir, name));
      deleted.push(name);
    }
  }
  const all = listBackups(dir);
  const cutoff = nowMs - retentionDays * 86_400_000;
  all.forEach((b, i) => {
    const fromNewest = all.length - 1 - i;
    if (fromNewest === 0) return;
    if (fromNewest >= keepCount || b.ts_ms < cutoff) {
      unlinkSync(b.file);
      deleted.push(b.name);
    }
  });
  return deleted;
}

/** Size of a file, 0 when absent. */
export function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
