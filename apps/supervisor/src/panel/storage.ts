import { readdirSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readAnchor } from '@vigil/audit';
import type { AuditConfig, JsonObject } from '@vigil/contracts';

const DAY_MS = 86_400_000;

/**
 * Days until free space reaches a threshold at a steady growth rate; null when nothing grows
 * (no projection is better than "forever"), 0 when already below it.
 */
export function daysUntil(freeBytes: number, thresholdBytes: number, bytesPerDay: number): number | null {
  if (freeBytes <= thresholdBytes) return 0;
  if (!(bytesPerDay > 0)) return null;
  return Math.floor(((freeBytes - thresholdBytes) / bytesPerDay) * 10) / 10;
}

/**
 * The growth of var/ per day, from what is on disk over the last `windowDays` whole UTC days:
 * - JSONL: the mean size of those days' files (one file per UTC day);
 * - the audit database: events of those days times the live database's bytes per event;
 * - each such byte is also copied into every kept backup (backup_keep_count) and, once retention
 *   runs, into the archive: counted as (1 + backup_keep_count) times, an upper bound, so the
 *   projection errs towards warning early.
 */
export function growthPerDay(p: {
  readonly jsonlDayBytes: readonly number[];
  readonly eventsInWindow: number;
  readonly windowDays: number;
  readonly dbBytes: number;
  readonly liveEvents: number;
  readonly backupKeepCount: number;
}): {
  jsonl_bytes_per_day: number;
  db_bytes_per_day: number;
  total_bytes_per_day: number;
} {
  const jsonl = p.jsonlDayBytes.length === 0 ? 0 : p.jsonlDayBytes.reduce((a, b) => a + b, 0) / p.jsonlDayBytes.length;
  const perEvent = p.liveEvents > 0 ? p.dbBytes / p.liveEvents : 0;
  const db = (p.eventsInWindow / Math.max(1, p.windowDays)) * perEvent;
  return { jsonl_bytes_per_day: Math.round(jsonl), db_bytes_per_day: Math.round(db), total_bytes_per_day: Math.round(jsonl + db * (1 + p.backupKeepCount)) };
}

/** The panel's storage block: free space, growth, and days left to the DEGRADE and PAUSE marks. Reads only. */
export function storageProjection(varDir: string, cfg: AuditConfig, nowMs: number): JsonObject {
  const dataDir = join(varDir, 'data');
  const fs = statfsSync(dataDir);
  const free = Number(fs.bavail) * Number(fs.bsize);
  const todayStart = nowMs - (nowMs % DAY_MS);
  const from = todayStart - cfg.disk_growth_window_days * DAY_MS;
  const jsonlDayBytes: number[] = [];
  try {
    for (const name of readdirSync(join(varDir, 'jsonl'))) {
      const m = /^events-(\d{4}-\d{2}-\d{2})\.jsonl$/.exec(name);
      if (!m) continue;
      const t = Date.parse(`${m[1]}T00:00:00Z`);
      if (t >= from && t < todayStart) jsonlDayBytes.push(statSync(join(varDir, 'jsonl', name)).size);
    }
  } catch {
    /* no JSONL yet */
  }
  const dbFile = join(dataDir, 'audit.sqlite');
  let dbBytes = 0;
  for (const s of ['', '-wal']) {
    try {
      dbBytes += statSync(dbFile + s).size;
    } catch {
      /* absent */
    }
  }
  let eventsInWindow = 0;
  let liveEvents = 0;
  let firstTs: number | null = null;
  try {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      eventsInWindow = (db.prepare('SELECT count(*) AS n FROM events WHERE ts_ms >= ? AND ts_ms < ?').get(from, todayStart) as { n: number }).n;
      // The chain after the archive anchor has no gap: its rows are the seq span (cheaper than
      // count(*) over millions); the few events retention kept live below the anchor are counted.
      const anchor = readAnchor(db)?.seq ?? Number.MIN_SAFE_INTEGER;
      const span = db.prepare('SELECT min(seq) AS a, max(seq) AS b FROM events WHERE seq > ?').get(anchor) as { a: number | null; b: number | null };
      const kept = (db.prepare('SELECT count(*) AS n FROM events WHERE seq <= ?').get(anchor) as { n: number }).n;
      liveEvents = (span.a === null || span.b === null ? 0 : span.b - span.a + 1) + kept;
      firstTs = (db.prepare('SELECT ts_ms FROM events WHERE seq > ? ORDER BY seq LIMIT 1').get(anchor) as { ts_ms: number } | undefined)?.ts_ms ?? null;
    } finally {
      db.close();
    }
  } catch {
    /* no database yet */
  }
  // Fewer whole days of history than the window: average over the days there are.
  const days = firstTs === null ? 0 : Math.min(cfg.disk_growth_window_days, Math.max(0, Math.floor((todayStart - firstTs) / DAY_MS)));
  const g = growthPerDay({ jsonlDayBytes, eventsInWindow, windowDays: days, dbBytes, liveEvents, backupKeepCount: cfg.backup_keep_count });
  const measured = days > 0;
  return {
    ts_ms: nowMs,
    free_bytes: free,
    window_days: cfg.disk_growth_window_days,
    days_measured: days,
    ...g,
    warn_threshold_bytes: cfg.disk_free_degrade_bytes,
    critical_threshold_bytes: cfg.disk_free_pause_bytes,
    days_to_warn: measured ? daysUntil(free, cfg.disk_free_degrade_bytes, g.total_bytes_per_day) : null,
    days_to_critical: measured ? daysUntil(free, cfg.disk_free_pause_bytes, g.total_bytes_per_day) : null,
    ...(measured ? {} : { why: 'no whole UTC day of history yet' }),
  };
}
