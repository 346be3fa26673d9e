import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { utcDay } from './jsonl.js';
import { migrate } from './schema.js';
import { ANCHOR_HASH_KEY, ANCHOR_SEQ_KEY } from './verify.js';

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

/**
 * The oldest event the live database must keep, whatever its age, because something read at start
 * needs it (AuditReader.engineMemory, operatorPause): each position's last snapshot, an open
 * position's fills since it opened (its counted trade ids), each symbol's fill with the highest
 * trade id (where trade paging resumes), every unsettled intent's INTENT_CREATED, and a standing
 * operator pause (it must outlast any retention). Archiving stops before it.
 */
export function pinnedFloor(db: Database.Database): { seq: number; why: string } | null {
  const cands: { seq: number; why: string }[] = [];
  const add = (seq: unknown, why: string): void => {
    if (typeof seq === 'number') cands.push({ seq, why });
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
      add(
        (db.prepare('SELECT min(seq) AS s FROM fills WHERE symbol = ? AND ts_ms >= ?').get(p.symbol, opened - 600_000) as { s: number | null }).s,
        `fills of the open position ${p.symbol}`,
      );
    }
  }
  add(
    (db.prepare('SELECT min(m) AS s FROM (SELECT max(seq) AS m FROM fills WHERE trade_id IS NOT NULL GROUP BY symbol)').get() as { s: number | null }).s,
    'last fill of a symbol',
  );
  add(
    (db.prepare("SELECT min(created_seq) AS s FROM order_intents WHERE state IN ('CREATED', 'SENT_UNKNOWN')").get() as { s: number | null }).s,
    'unsettled intent',
  );
  // Only a standing pause matters: a resume as the last command reads the same as no command at all.
  const op = db.prepare("SELECT seq, event_type FROM events WHERE event_type IN ('OPERATOR_PAUSED', 'OPERATOR_RESUMED') ORDER BY seq DESC LIMIT 1").get() as
    { seq: number; event_type: string } | undefined;
  if (op?.event_type === 'OPERATOR_PAUSED') add(op.seq, 'standing operator pause');
  if (cands.length === 0) return null;
  return cands.reduce((a, b) => (b.seq < a.seq ? b : a));
}

export interface ArchivedDay {
  readonly day: string;
  readonly from_seq: number;
  readonly to_seq: number;
  readonly events: number;
  /** The archive file's name (var/data/archive/<name>). */
  readonly archive: string;
  /** A pinned event cut the day short: the rest stays live until it is no longer needed. */
  readonly partial: boolean;
}

export interface RetentionResult {
  readonly archived: readonly ArchivedDay[];
  /** Why archiving stopped at an old day (it resumes on a later run), or null when nothing old is left. */
  readonly stopped: { readonly day: string; readonly why: string } | null;
}

/**
 * Moves whole UTC days older than `retentionDays` (counted back from the start of today) out of
 * the live database into the monthly archive files, oldest first, on the writer's own connection
 * (so nothing else writes meanwhile). Per day: the rows are copied into the archive and committed,
 * checked there (count and last hash), then deleted from the live database in batches of
 * `batchRows`, each batch one transaction that also moves the chain anchor (meta) to its last
 * deleted row: after every batch the live database is a valid chain continuing the archive, and
 * `pause()` between batches lets the writer commit. The newest event always stays live (so seq
 * continues), and so does every event something read at start needs (pinnedFloor).
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
  },
): Promise<RetentionResult> {
  const todayStart = o.nowMs - (o.nowMs % DAY_MS);
  const cutoff = todayStart - o.retentionDays * DAY_MS;
  const archived: ArchivedDay[] = [];
  const maxDays = o.maxDays ?? 31;
  while (archived.length < maxDays) {
    const first = db.prepare('SELECT seq, ts_ms FROM events ORDER BY seq LIMIT 1').get() as { seq: number; ts_ms: number } | undefined;
    if (!first) return { archived, stopped: null };
    const dayStart = first.ts_ms - (((first.ts_ms % DAY_MS) + DAY_MS) % DAY_MS);
    const dayEnd = dayStart + DAY_MS;
    if (dayEnd > cutoff) return { archived, stopped: null };
    const day = utcDay(dayStart);
    const maxSeq = (db.prepare('SELECT max(seq) AS s FROM events').get() as { s: number }).s;
    const next = db.prepare('SELECT seq FROM events WHERE ts_ms >= ? ORDER BY ts_ms LIMIT 1').get(dayEnd) as { seq: number } | undefined;
    let end = Math.min(next ? next.seq - 1 : maxSeq, maxSeq - 1);
    let partial = false;
    const pin = pinnedFloor(db);
    if (pin && pin.seq - 1 < end) {
      end = pin.seq - 1;
      partial = true;
    }
    if (end < first.seq)
      return { archived, stopped: { day, why: pin && pin.seq <= first.seq ? `pinned: ${pin.why} (seq ${pin.seq})` : 'the newest event stays live' } };

    mkdirSync(o.archiveDir, { recursive: true });
    const file = archiveFileFor(o.archiveDir, dayStart);
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
          for (const t of PER_EVENT_TABLES) db.prepare(`DELETE FROM main.${t} WHERE seq BETWEEN ? AND ?`).run(a, b);
          db.prepare('DELETE FROM main.events WHERE seq BETWEEN ? AND ?').run(a, b);
          const put = db.prepare('INSERT OR REPLACE INTO main.meta (key, value) VALUES (?, ?)');
          put.run(ANCHOR_SEQ_KEY, String(h.seq));
          put.run(ANCHOR_HASH_KEY, h.hash);
        })();
        await o.pause();
      }
      archived.push({ day, from_seq: first.seq, to_seq: end, events: live.n, archive: file.slice(o.archiveDir.length + 1), partial });
    } finally {
      db.prepare('DETACH DATABASE arch').run();
    }
    if (partial) return { archived, stopped: { day, why: `pinned: ${pin!.why} (seq ${pin!.seq})` } };
  }
  return { archived, stopped: null };
}
