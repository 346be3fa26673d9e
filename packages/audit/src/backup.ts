import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';

const BACKUP_RE = /^audit-(\d{8}T\d{6}Z)\.sqlite$/;

export function backupName(nowMs: number): string {
  return `audit-${new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}.sqlite`;
}

/**
 * Online backup with SQLite's backup API (consistent while the writer keeps writing), written to
 * a temporary name and renamed, so a backup file that exists is always complete.
 */
export async function backupDatabase(db: Database.Database, dir: string, nowMs: number): Promise<{ file: string; bytes: number }> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, backupName(nowMs));
  const tmp = `${file}.partial`;
  await db.backup(tmp);
  renameSync(tmp, file);
  return { file, bytes: statSync(file).size };
}

/** Deletes backups older than the retention; partial leftovers of a crashed backup go too. */
export function pruneBackups(dir: string, nowMs: number, retentionDays: number): string[] {
  const cutoff = nowMs - retentionDays * 86_400_000;
  const deleted: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return deleted;
  }
  for (const name of names) {
    const full = join(dir, name);
    if (name.endsWith('.partial') || (BACKUP_RE.test(name) && statSync(full).mtimeMs < cutoff)) {
      unlinkSync(full);
      deleted.push(name);
    }
  }
  return deleted;
}
