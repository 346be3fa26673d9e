import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ENVELOPE_KEYS, canonicalJson, sha256Hex, type AuditRow, type EventEnvelope } from '@vigil/contracts';
import { GENESIS_HASH, canonicalRow } from './row-text.js';

export type ChainVerdict =
  | { readonly ok: true; readonly rows: number }
  | { readonly ok: false; readonly rows: number; readonly firstBadSeq: number; readonly reason: 'HASH_MISMATCH' | 'PREV_HASH_MISMATCH' | 'SEQ_GAP' };

/** Where a chain walk starts: the hash the first row must chain to and, when known, its seq. */
export interface ChainStart {
  readonly prevHash: string;
  readonly seq: number | null;
  /** A live database's anchor seq: rows at or below it are kept-live copies (checkKept), not links. */
  readonly keptThrough?: number;
}

/** The live database's record of where its chain continues an archived one (meta table). */
export interface ChainAnchor {
  readonly seq: number;
  readonly hash: string;
}

export const ANCHOR_SEQ_KEY = 'chain_anchor_seq';
export const ANCHOR_HASH_KEY = 'chain_anchor_hash';

export type ChainWalk =
  | { readonly ok: true; readonly rows: number; readonly firstSeq: number | null; readonly lastSeq: number | null; readonly lastHash: string }
  | { readonly ok: false; readonly rows: number; readonly firstBadSeq: number; readonly reason: 'HASH_MISMATCH' | 'PREV_HASH_MISMATCH' | 'SEQ_GAP' };

/** The anchor recorded in a database's meta table, or null (a database never archived from). */
export function readAnchor(db: Database.Database): ChainAnchor | null {
  const get = db.prepare('SELECT value FROM meta WHERE key = ?');
  const seq = get.get(ANCHOR_SEQ_KEY) as { value: string } | undefined;
  const hash = get.get(ANCHOR_HASH_KEY) as { value: string } | undefined;
  if (!seq || !hash) return null;
  return { seq: Number(seq.value), hash: hash.value };
}

/**
 * Walks the event chain of an open database: every row's hash must be sha256(prev_hash +
 * canonical envelope), every prev_hash the previous row's hash, and seq must have no gap, so an
 * edited, inserted or deleted row is detected at its position. `visit` sees each verified row
 * (the cross-file check uses it to find the live database's anchor in the archives).
 */
export function walkChain(db: Database.Database, start: ChainStart, visit?: (seq: number, hash: string) => void): ChainWalk {
  let prev = start.prevHash;
  let expectSeq: number | null = start.seq;
  let rows = 0;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  // A live database's chain starts after its anchor: rows at or below it are kept-live copies of
  // archived events (checkKept), not links of this chain.
  const it = db
    .prepare(`SELECT ${CHAIN_COLUMNS} FROM events WHERE seq > ? ORDER BY seq`)
    .raw(true)
    .iterate(start.keptThrough ?? Number.MIN_SAFE_INTEGER) as IterableIterator<ChainRow>;
  for (const r of it) {
    const seq = r[SEQ] as number;
    if (expectSeq !== null && seq !== expectSeq) return { ok: false, rows, firstBadSeq: seq, reason: 'SEQ_GAP' };
    if (r[PREV_HASH] !== prev) return { ok: false, rows, firstBadSeq: seq, reason: 'PREV_HASH_MISMATCH' };
    if (!rowVerifies(r)) return { ok: false, rows, firstBadSeq: seq, reason: 'HASH_MISMATCH' };
    prev = r[HASH] as string;
    firstSeq ??= seq;
    lastSeq = seq;
    expectSeq = seq + 1;
    rows++;
    visit?.(seq, prev);
  }
  return { ok: true, rows, firstSeq, lastSeq, lastHash: prev };
}

/**
 * The columns a chain walk reads, as arrays (better-sqlite3's raw rows: a third cheaper than an
 * object a row): the envelope's first, in the order of an AuditRow, the tuple the writer hashed.
 */
const COLUMNS = [...ENVELOPE_KEYS, 'seq', 'prev_hash', 'hash'] as const;
const CHAIN_COLUMNS = COLUMNS.join(', ');
type ChainRow = readonly unknown[];
const PAYLOAD = COLUMNS.indexOf('payload');
const SEQ = COLUMNS.indexOf('seq');
const PREV_HASH = COLUMNS.indexOf('prev_hash');
const HASH = COLUMNS.indexOf('hash');

/**
 * Whether a stored row's hash column holds what the writer computed for it. First over the row as
 * stored, its payload text as is: the writer hashed exactly that text (canonical when written), so
 * this needs no parse and no re-serialization, and a match proves the bytes unchanged. A row that
 * does not match so is decided by rowHash over its parsed payload, the chain's definition.
 */
function rowVerifies(r: ChainRow): boolean {
  const hash = r[HASH];
  const payload = r[PAYLOAD];
  const prev = r[PREV_HASH];
  if (typeof payload === 'string' && typeof prev === 'string' && sha256Hex(prev + canonicalRow(r as unknown as AuditRow, payload)) === hash) return true;
  try {
    return rowHash(Object.fromEntries(COLUMNS.map((c, i) => [c, r[i]]))) === hash;
  } catch {
    // A payload that is not JSON (or not canonical-serializable) is no text the writer hashed.
    return false;
  }
}

/** sha256(prev_hash + canonical envelope) of a stored row: what its hash column must hold. */
export function rowHash(r: Record<string, unknown>): string {
  const ev: EventEnvelope = {
    event_id: r['event_id'] as string,
    ts_ms: r['ts_ms'] as number,
    run_id: r['run_id'] as string,
    source: r['source'] as EventEnvelope['source'],
    cycle_id: r['cycle_id'] as number | null,
    stage: r['stage'] as EventEnvelope['stage'],
    snapshot_id: r['snapshot_id'] as string | null,
    decision_id: r['decision_id'] as string | null,
    order_intent_id: r['order_intent_id'] as string | null,
    event_type: r['event_type'] as EventEnvelope['event_type'],
    reason_code: r['reason_code'] as EventEnvelope['reason_code'],
    severity: r['severity'] as EventEnvelope['severity'],
    payload: JSON.parse(r['payload'] as string) as EventEnvelope['payload'],
  };
  return sha256Hex((r['prev_hash'] as string) + canonicalJson(ev));
}

/**
 * The kept-live rows of a live database (seq at or below its anchor: pinned events retention copied
 * to the archive but left live, see pinnedEvents): each must hash to its own hash column and, when
 * `archived` is given (seq -> hash of the archive files' verified rows), be in the archive with
 * that very hash. A kept row edited, or one the archive does not hold, is found at its seq.
 */
export function checkKept(
  db: Database.Database,
  anchor: ChainAnchor,
  archived?: ReadonlyMap<number, string>,
):
  | { readonly ok: true; readonly kept: number }
  | { readonly ok: false; readonly firstBadSeq: number; readonly reason: 'HASH_MISMATCH' | 'KEPT_NOT_IN_ARCHIVE' } {
  let kept = 0;
  for (const r of db.prepare(`SELECT ${CHAIN_COLUMNS} FROM events WHERE seq <= ? ORDER BY seq`).raw(true).iterate(anchor.seq) as IterableIterator<ChainRow>) {
    const seq = r[SEQ] as number;
    if (!rowVerifies(r)) return { ok: false, firstBadSeq: seq, reason: 'HASH_MISMATCH' };
    if (archived && archived.get(seq) !== r[HASH]) return { ok: false, firstBadSeq: seq, reason: 'KEPT_NOT_IN_ARCHIVE' };
    kept++;
  }
  return { ok: true, kept };
}

/**
 * Verifies one audit database read-only: from the genesis hash, or from its recorded anchor when
 * old days were archived out of it (then the rows before the anchor live in the archive files, and
 * verifyAuditSet checks those too).
 */
export function verifyAuditChain(dbFile: string): ChainVerdict {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const anchor = readAnchor(db);
    if (anchor) {
      const k = checkKept(db, anchor);
      if (!k.ok) return { ok: false, rows: 0, firstBadSeq: k.firstBadSeq, reason: 'HASH_MISMATCH' };
    }
    const w = walkChain(db, anchor ? { prevHash: anchor.hash, seq: anchor.seq + 1, keptThrough: anchor.seq } : { prevHash: GENESIS_HASH, seq: null });
    return w.ok ? { ok: true, rows: w.rows } : w;
  } finally {
    db.close();
  }
}

/** A backup (or any copy) is usable when SQLite finds it intact and its hash chain verifies. */
export type CopyVerdict =
  | { readonly ok: true; readonly rows: number }
  | { readonly ok: false; readonly failure: 'INTEGRITY_CHECK_FAILED' | 'CHAIN_BROKEN' | 'UNREADABLE'; readonly detail: string };

export function verifyDatabaseCopy(file: string): CopyVerdict {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    return { ok: false, failure: 'UNREADABLE', detail: (e as Error).message };
  }
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const verdict = rows.map((r) => r.integrity_check).join('; ');
    if (verdict !== 'ok') return { ok: false, failure: 'INTEGRITY_CHECK_FAILED', detail: verdict.slice(0, 500) };
    const anchor = readAnchor(db);
    const k = anchor ? checkKept(db, anchor) : null;
    if (k && !k.ok) return { ok: false, failure: 'CHAIN_BROKEN', detail: `${k.reason} at kept-live seq ${k.firstBadSeq}` };
    const w = walkChain(db, anchor ? { prevHash: anchor.hash, seq: anchor.seq + 1, keptThrough: anchor.seq } : { prevHash: GENESIS_HASH, seq: null });
    return w.ok ? { ok: true, rows: w.rows } : { ok: false, failure: 'CHAIN_BROKEN', detail: `${w.reason} at seq ${w.firstBadSeq}` };
  } catch (e) {
    return { ok: false, failure: 'UNREADABLE', detail: (e as Error).message };
  } finally {
    db.close();
  }
}

export const ARCHIVE_RE = /^audit-(\d{4}-\d{2})\.sqlite$/;

export type SetVerdict =
  | {
      readonly ok: true;
      readonly rows: number;
      readonly archives: readonly string[];
      readonly archivedRows: number;
      readonly anchor: ChainAnchor | null;
      /** Kept-live rows below the anchor, each checked against its archived copy. */
      readonly kept: number;
    }
  | {
      readonly ok: false;
      readonly file: string;
      readonly reason: 'HASH_MISMATCH' | 'PREV_HASH_MISMATCH' | 'SEQ_GAP' | 'ANCHOR_NOT_IN_ARCHIVE' | 'KEPT_NOT_IN_ARCHIVE';
      readonly firstBadSeq: number;
      readonly detail: string;
    };

/**
 * The whole audit trail as one chain: the monthly archives in order (the first from the genesis
 * hash, each continuing the previous one), then the live database from its anchor, which must be a
 * row the archives hold with that very hash. A tampered archive fails at its row; a missing middle
 * archive breaks the next one's first link; a missing last archive (or all of them) leaves the
 * anchor unmatched.
 */
export function verifyAuditSet(dbFile: string, archiveDir: string): SetVerdict {
  let names: string[] = [];
  try {
    names = readdirSync(archiveDir)
      .filter((n) => ARCHIVE_RE.test(n))
      .sort();
  } catch {
    /* no archive directory: nothing archived yet */
  }
  const live = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const anchor = readAnchor(live);
    let prev = GENESIS_HASH;
    let expectSeq: number | null = null;
    let archivedRows = 0;
    let anchorSeen = false;
    // The archived hashes of the live database's kept-live rows, to check them against.
    const keptSeqs = new Set(anchor ? (live.prepare('SELECT seq FROM events WHERE seq <= ?').all(anchor.seq) as { seq: number }[]).map((r) => r.seq) : []);
    const archivedKept = new Map<number, string>();
    for (const name of names) {
      const file = join(archiveDir, name);
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        const w = walkChain(db, { prevHash: prev, seq: expectSeq }, (seq, hash) => {
          if (anchor && seq === anchor.seq && hash === anchor.hash) anchorSeen = true;
          if (keptSeqs.has(seq)) archivedKept.set(seq, hash);
        });
        if (!w.ok) return { ok: false, file, reason: w.reason, firstBadSeq: w.firstBadSeq, detail: `${w.rows} rows verified before it in ${name}` };
        archivedRows += w.rows;
        if (w.lastSeq !== null) {
          prev = w.lastHash;
          expectSeq = w.lastSeq + 1;
        }
      } finally {
        db.close();
      }
    }
    if (anchor && !anchorSeen) {
      return {
        ok: false,
        file: archiveDir,
        reason: 'ANCHOR_NOT_IN_ARCHIVE',
        firstBadSeq: anchor.seq,
        detail: `the live database continues from seq ${anchor.seq}, which no archive holds with hash ${anchor.hash.slice(0, 12)}…`,
      };
    }
    if (anchor) {
      const k = checkKept(live, anchor, archivedKept);
      if (!k.ok) return { ok: false, file: dbFile, reason: k.reason, firstBadSeq: k.firstBadSeq, detail: 'a kept-live row below the anchor' };
    }
    const w = walkChain(live, anchor ? { prevHash: anchor.hash, seq: anchor.seq + 1, keptThrough: anchor.seq } : { prevHash: GENESIS_HASH, seq: null });
    if (!w.ok) return { ok: false, file: dbFile, reason: w.reason, firstBadSeq: w.firstBadSeq, detail: `${w.rows} rows verified before it` };
    return { ok: true, rows: w.rows, archives: names, archivedRows, anchor, kept: keptSeqs.size };
  } finally {
    live.close();
  }
}
