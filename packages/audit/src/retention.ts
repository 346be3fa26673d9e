import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { utcDay } from './jsonl.js';
import { migrate } from './schema.js';
import { ANCHOR_HASH_KEY, ANCHOR_SEQ_KEY, readAnchor } from './verify.js';

const DAY_MS = 86_400_000;

/** Tables with one row per event (keyed by the event's seq): they leave with their events. */
const PER_EVENT_TABLES = [
  'mode_changes',
  'stage_changes',
  'alerts',
  'intent_transitions',
  'fills',
  'reconcile_runs',
  'reconcile_diffs',
  'ai_gate_events',
  'filters_snapshots',
  'replay_records',
] as const;

export function archiveFileFor(archiveDir: string, dayStartMs: number): string {
  return join(archiveDir, `audit-${utcDay(dayStartMs).slice(0, 7)}.sqlite`);
}

/** Order statuses after which the venue never changes an order again. */
const TERMINAL_ORDER = "('FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'EXPIRED_IN_MATCH')";

/**
 * An intent is resolved when nothing about it can change any more: it failed or was never found at
 * the venue, or it was confirmed and every order the audit has for it is terminal (an intent
 * confirmed without any order row is not known to be closed, so it is not resolved).
 */
const RESOLVED_INTENT = `(i.state IN ('FAILED_TERMINAL', 'NOT_FOUND') OR (i.state = 'CONFIRMED'
  AND EXISTS (SELECT 1 FROM orders o WHERE o.order_intent_id = i.order_intent_id OR o.client_order_id = i.client_order_id)
  AND NOT EXISTS (SELECT 1 FROM orders o WHERE (o.order_intent_id = i.order_intent_id OR o.client_order_id = i.client_order_id) AND (o.status IS NULL OR o.status NOT IN ${TERMINAL_ORDER}))))`;

/**
 * The events the live database must keep, whatever their age, because something read at start
 * needs them (AuditReader.engineMemory, operatorPause, standingQuarantines) or a live row of the
 * order tables points at them: each position's last snapshot, an open position's fills since it
 * opened (its counted trade ids), each symbol's fill with the highest trade id (where trade paging
 * resumes), the INTENT_CREATED of every intent not yet resolved, the last update of every order
 * still open, a standing operator pause and every event of a standing symbol quarantine. Archiving
 * copies them like any other event but leaves them in the live database too (below the chain
 * anchor), so an unchanged open position or a pause of months never holds the rest back.
 */
export function pinnedEvents(db: Database.Database, cutoffMs: number = Number.POSITIVE_INFINITY): Map<number, string> {
  const pins = new Map<number, string>();
  const add = (seq: unknown, why: string): void => {
    if (typeof seq === 'number' && !pins.has(seq)) pins.set(seq, why);
  };
  for (const p of db
    .prepare(
      'SELECT p.symbol AS symbol, p.last_seq AS last_seq, p.qty AS qty, p.ts_ms AS ts_ms, e.payload AS payload FROM positions p LEFT JOIN events e ON e.seq = p.last_seq',
    )
    .all() as {
    symbol: string;
    last_seq: number;
    qty: string | null;
    ts_ms: number;
    payload: string | null;
  }[]) {
    add(p.last_seq, `position ${p.symbol}`);
    if (p.qty !== null && !/^0*(\.0*)?$/.test(p.qty)) {
      let opened = p.ts_ms - DAY_MS;
      try {
        const o = (JSON.parse(p.payload ?? '{}') as Record<string, unknown>)['opened_ms'];
        if (typeof o === 'number') opened = o;
      } catch {
        /* keep the default window */
      }
      // The same rows engineMemory reads as the position's counted trade ids.
      for (const f of db
        .prepare('SELECT seq FROM fills WHERE symbol = ? AND trade_id IS NOT NULL AND seq <= ? AND ts_ms >= ?')
        .all(p.symbol, p.last_seq, opened - 600_000) as {
        seq: number;
      }[])
        add(f.seq, `fills of the open position ${p.symbol}`);
    }
  }
  for (const r of db.prepare('SELECT max(seq) AS s FROM fills WHERE trade_id IS NOT NULL GROUP BY symbol').all() as { s: number }[])
    add(r.s, 'last fill of a symbol');
  for (const r of db
    .prepare(
      "SELECT (SELECT f.seq FROM fills f WHERE f.symbol = g.symbol AND f.trade_id IS NOT NULL AND f.trade_id GLOB '[0-9]*' ORDER BY CAST(f.trade_id AS INTEGER) DESC LIMIT 1) AS s FROM (SELECT DISTINCT symbol FROM fills) g",
    )
    .all() as { s: number | null }[])
    add(r.s, 'highest trade id of a symbol');
  for (const r of db.prepare(`SELECT i.created_seq AS s, i.state AS state FROM order_intents i WHERE NOT ${RESOLVED_INTENT}`).all() as {
    s: number;
    state: string;
  }[])
    add(r.s, `${r.state === 'CREATED' || r.state === 'SENT_UNKNOWN' ? 'unsettled' : 'unresolved'} intent (${r.state})`);
  // A resolved intent whose last change is inside the retention window keeps its row live a while yet.
  const young = Number.isFinite(cutoffMs) ? cutoffMs : Number.MAX_SAFE_INTEGER;
  for (const r of db.prepare(`SELECT i.created_seq AS s FROM order_intents i WHERE i.state_ms >= ? AND ${RESOLVED_INTENT}`).all(young) as { s: number }[])
    add(r.s, 'intent resolved within retention');
  for (const r of db
    .prepare(
      `SELECT o.last_seq AS s, o.status AS status FROM orders o WHERE o.status IS NULL OR o.status NOT IN ${TERMINAL_ORDER}
        OR EXISTS (SELECT 1 FROM order_intents i WHERE (i.order_intent_id = o.order_intent_id OR i.client_order_id = o.client_order_id) AND NOT ${RESOLVED_INTENT})`,
    )
    .all() as { s: number; status: string | null }[])
    add(r.s, r.status !== null && TERMINAL_ORDER.includes(`'${r.status}'`) ? 'order of an unresolved intent' : 'open order');
  // Only a standing pause matters: a resume as the last command reads the same as no command at all.
  const op = db.prepare("SELECT seq, event_type FROM events WHERE event_type IN ('OPERATOR_PAUSED', 'OPERATOR_RESUMED') ORDER BY seq DESC LIMIT 1").get() as
    { seq: number; event_type: string } | undefined;
  if (op?.event_type === 'OPERATOR_PAUSED') add(op.seq, 'standing operator pause');
  // A standing quarantine is rebuilt from every event since its symbol's last lift.
  const streak = new Map<string, number[]>();
  for (const r of db
    .prepare(
      "SELECT seq, event_type, json_extract(payload, '$.symbol') AS symbol FROM events WHERE event_type IN ('SYMBOL_QUARANTINE_IMPOSED', 'SYMBOL_QUARANTINE_RENEWED', 'SYMBOL_QUARANTINE_LIFTED') ORDER BY seq",
    )
    .all() as { seq: number; event_type: string; symbol: unknown }[]) {
    if (typeof r.symbol !== 'string') continue;
    if (r.event_type === 'SYMBOL_QUARANTINE_LIFTED') streak.delete(r.symbol);
    else streak.set(r.symbol, [...(streak.get(r.symbol) ?? []), r.seq]);
  }
  for (const [symbol, seqs] of streak) for (const seq of seqs) add(seq, `standing quarantine ${symbol}`);
  return pins;
}

/** The oldest pinned event (see pinnedEvents), or null. */
export function pinnedFloor(db: Database.Database): { seq: number; why: string } | null {
  let floor: { seq: number; why: string } | null = null;
  for (const [seq, why] of pinnedEvents(db)) if (floor === null || seq < floor.seq) floor = { seq, why };
  return floor;
}

export interface ArchivedDay {
  readonly day: string;
  readonly from_seq: number;
  readonly to_seq: number;
  readonly events: number;
  /** The archive file's name (var/data/archive/<name>). */
  readonly archive: string;
  /** Pinned events of the day copied to the archive but also kept live (pinnedEvents), with why. */
  readonly kept_live: number;
  readonly kept_live_why: readonly string[];
}

/** Rows of the order tables moved to the archive files (resolved intents, terminal orders). */
export interface PrunedOrders {
  readonly intents: number;
  readonly orders: number;
}

export interface RetentionResult {
  readonly archived: readonly ArchivedDay[];
  /** Why archiving stopped at an old day (it resumes on a later run), or null when nothing old is left. */
  readonly stopped: { readonly day: string; readonly why: string } | null;
  /** Kept-live events of earlier runs no longer pinned, now deleted from the live database. */
  readonly released: number;
  readonly pruned: PrunedOrders;
}

/** Attaches an archive file (created with the schema when new) as `arch` for the duration of `fn`. */
async function withArchive<T>(db: Database.Database, file: string, fn: () => Promise<T> | T): Promise<T> {
  const arch = new Database(file);
  try {
    arch.pragma('journal_mode = DELETE');
    migrate(arch);
    arch.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('archive_of', 'audit.sqlite')").run();
  } finally {
    arch.close();
  }
  db.prepare('ATTACH DATABASE ? AS arch').run(file);
  try {
    db.pragma('arch.synchronous = FULL');
    return await fn();
  } finally {
    db.prepare('DETACH DATABASE arch').run();
  }
}

const monthOf = (archiveDir: string, tsMs: number): string => archiveFileFor(archiveDir, tsMs - (((tsMs % DAY_MS) + DAY_MS) % DAY_MS));

/**
 * Events kept live below the anchor by an earlier run that nothing pins any more: deleted, each
 * only after its archive file is seen to hold it with the same hash.
 */
async function releaseKept(
  db: Database.Database,
  archiveDir: string,
  anchorSeq: number,
  cutoffMs: number,
  pruned: { intents: number; orders: number },
): Promise<number> {
  const pins = pinnedEvents(db, cutoffMs);
  const stale = (
    db.prepare('SELECT seq, ts_ms, hash FROM events WHERE seq <= ? ORDER BY seq').all(anchorSeq) as { seq: number; ts_ms: number; hash: string }[]
  ).filter((r) => !pins.has(r.seq));
  const byFile = new Map<string, typeof stale>();
  for (const r of stale) byFile.set(monthOf(archiveDir, r.ts_ms), [...(byFile.get(monthOf(archiveDir, r.ts_ms)) ?? []), r]);
  let released = 0;
  for (const [file, rows] of byFile) {
    if (!existsSync(file)) continue;
    await withArchive(db, file, () =>
      db.transaction(() => {
        const held = db.prepare('SELECT hash FROM arch.events WHERE seq = ?');
        for (const r of rows) {
          if ((held.get(r.seq) as { hash: string } | undefined)?.hash !== r.hash) continue;
          const m = deleteArchived(db, r.seq);
          pruned.intents += m.intents;
          pruned.orders += m.orders;
          released++;
        }
      })(),
    );
  }
  return released;
}

/**
 * Deletes one archived, unpinned event from the live database with the rows that leave with it:
 * its per-event rows, and the order-table rows that point at it (an intent's INTENT_CREATED, an
 * order's last update), which are copied to the attached archive first. Such a row is never an
 * unresolved intent's or an open order's: those events are pinned (pinnedEvents). Returns what moved.
 */
function deleteArchived(db: Database.Database, seq: number): PrunedOrders {
  const intents = db.prepare('INSERT OR REPLACE INTO arch.order_intents SELECT * FROM main.order_intents WHERE created_seq = ?').run(seq).changes;
  db.prepare('DELETE FROM main.order_intents WHERE created_seq = ?').run(seq);
  const orders = db.prepare('INSERT OR REPLACE INTO arch.orders SELECT * FROM main.orders WHERE last_seq = ?').run(seq).changes;
  db.prepare('DELETE FROM main.orders WHERE last_seq = ?').run(seq);
  for (const t of PER_EVENT_TABLES) db.prepare(`DELETE FROM main.${t} WHERE seq = ?`).run(seq);
  db.prepare('DELETE FROM main.events WHERE seq = ?').run(seq);
  return { intents, orders };
}

/**
 * Moves whole UTC days older than `retentionDays` (counted back from the start of today) out of
 * the live database into the monthly archive files, oldest first, on the writer's own connection
 * (so nothing else writes meanwhile). Per day: the rows are copied into the archive and committed,
 * checked there (count and last hash), then deleted from the live database in batches of
 * `batchRows`, each batch one transaction that also moves the chain anchor (meta) to its last
 * archived row: after every batch the live database is a valid chain continuing the archive, and
 * `pause()` between batches lets the writer commit. The newest event always stays live (so seq
 * continues). Events something read at start needs (pinnedEvents) are archived too but also kept
 * live below the anchor, and deleted by a later run once nothing pins them. The order tables' rows
 * whose story is over (a resolved intent, a terminal order) follow their events into the archive.
 */
export async function archiveOldDays(
  db: Database.Database,
  o: {
    readonly archiveDir: string;
    readonly nowMs: number;
    readonly retentionDays: number;
    readonly batchRows: number;
    readonly pause: () => Promise<void>;
    readonly maxDays?: number;
    /** Told of each day once it has left the live database, and waited for before the next day. */
    readonly onArchived?: (day: ArchivedDay) => Promise<void>;
  },
): Promise<RetentionResult> {
  const todayStart = o.nowMs - (o.nowMs % DAY_MS);
  const cutoff = todayStart - o.retentionDays * DAY_MS;
  const archived: ArchivedDay[] = [];
  const maxDays = o.maxDays ?? 31;
  const anchorSeq = (): number => readAnchor(db)?.seq ?? 0;
  const pruned = { intents: 0, orders: 0 };
  const released = anchorSeq() > 0 ? await releaseKept(db, o.archiveDir, anchorSeq(), cutoff, pruned) : 0;
  let stopped: RetentionResult['stopped'] = null;
  while (archived.length < maxDays) {
    // The first event of the chain that is not a kept-live copy below the anchor.
    const first = db.prepare('SELECT seq, ts_ms FROM events WHERE seq > ? ORDER BY seq LIMIT 1').get(anchorSeq()) as { seq: number; ts_ms: number } | undefined;
    if (!first) break;
    const dayStart = first.ts_ms - (((first.ts_ms % DAY_MS) + DAY_MS) % DAY_MS);
    const dayEnd = dayStart + DAY_MS;
    if (dayEnd > cutoff) break;
    const day = utcDay(dayStart);
    const maxSeq = (db.prepare('SELECT max(seq) AS s FROM events').get() as { s: number }).s;
    const next = db.prepare('SELECT seq FROM events WHERE ts_ms >= ? ORDER BY ts_ms LIMIT 1').get(dayEnd) as { seq: number } | undefined;
    const end = Math.min(next ? next.seq - 1 : maxSeq, maxSeq - 1);
    if (end < first.seq) {
      stopped = { day, why: 'the newest event stays live' };
      break;
    }
    mkdirSync(o.archiveDir, { recursive: true });
    const file = archiveFileFor(o.archiveDir, dayStart);
    const keptWhy = new Set<string>();
    let kept = 0;
    const events = await withArchive(db, file, async () => {
      for (let a = first.seq; a <= end; a += o.batchRows) {
        const b = Math.min(end, a + o.batchRows - 1);
        db.transaction(() => {
          db.prepare('INSERT OR IGNORE INTO arch.events SELECT * FROM main.events WHERE seq BETWEEN ? AND ?').run(a, b);
          for (const t of PER_EVENT_TABLES) db.prepare(`INSERT OR IGNORE INTO arch.${t} SELECT * FROM main.${t} WHERE seq BETWEEN ? AND ?`).run(a, b);
        })();
        await o.pause();
      }
      // The copy is checked before anything is deleted: same row count, same last hash.
      const live = db.prepare('SELECT count(*) AS n, max(seq) AS s FROM main.events WHERE seq BETWEEN ? AND ?').get(first.seq, end) as { n: number; s: number };
      const copied = db.prepare('SELECT count(*) AS n FROM arch.events WHERE seq BETWEEN ? AND ?').get(first.seq, end) as { n: number };
      const hashOf = (schema: 'main' | 'arch'): string | undefined =>
        (db.prepare(`SELECT hash FROM ${schema}.events WHERE seq = ?`).get(end) as { hash: string } | undefined)?.hash;
      if (copied.n !== live.n || hashOf('arch') !== hashOf('main'))
        throw new Error(`archive copy of ${day} does not match the live rows (${copied.n} of ${live.n} rows)`);
      for (let a = first.seq; a <= end; a += o.batchRows) {
        const b = Math.min(end, a + o.batchRows - 1);
        db.transaction(() => {
          const h = db.prepare('SELECT seq, hash FROM main.events WHERE seq <= ? ORDER BY seq DESC LIMIT 1').get(b) as { seq: number; hash: string };
          // Pinned as of this very transaction (the writer may have committed between batches).
          const pins = pinnedEvents(db, cutoff);
          for (const { seq } of db.prepare('SELECT seq FROM main.events WHERE seq BETWEEN ? AND ?').all(a, b) as { seq: number }[]) {
            const why = pins.get(seq);
            if (why !== undefined) {
              kept++;
              keptWhy.add(why);
              continue;
            }
            const m = deleteArchived(db, seq);
            pruned.intents += m.intents;
            pruned.orders += m.orders;
          }
          const put = db.prepare('INSERT OR REPLACE INTO main.meta (key, value) VALUES (?, ?)');
          put.run(ANCHOR_SEQ_KEY, String(h.seq));
          put.run(ANCHOR_HASH_KEY, h.hash);
        })();
        await o.pause();
      }
      return live.n;
    });
    const done: ArchivedDay = {
      day,
      from_seq: first.seq,
      to_seq: end,
      events,
      archive: file.slice(o.archiveDir.length + 1),
      kept_live: kept,
      kept_live_why: [...keptWhy].sort(),
    };
    archived.push(done);
    await o.onArchived?.(done);
  }
  return { archived, stopped, released, pruned };
}
