import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { utcDay } from './jsonl.js';

/**
 * The database's rows against the JSONL mirror written at their commit: a row whose seq has lines in
 * the mirror must carry the hash of one of them. A forger who rewrites rows and rebuilds the chain
 * in the database alone is caught here. Lines may be missing (a crash before the append, a pruned
 * day): such rows are not compared. A seq may have two lines after `supervisor restore` (the
 * abandoned timeline's and the new one's), so any of them matches.
 */
export interface MirrorCheck {
  /** Day files read (absent ones are skipped). */
  readonly files: number;
  /** Rows of the range the mirror holds a line for, all compared. */
  readonly compared: number;
  /** Rows of the range. */
  readonly rows: number;
  readonly mismatch: {
    readonly seq: number;
    readonly event_id: string;
    readonly file: string;
    readonly mirror: readonly string[];
    readonly database: string;
  } | null;
}

const DAY_MS = 86_400_000;
const CHUNK = 1 << 20;
/** Bytes of a line's head: seq, prev_hash and hash fit in about 170. */
const HEAD = 200;

/** A day file's mirror lines within the range: seqs, and each line's 64 hash bytes at 64 x its index. */
interface DayLines {
  n: number;
  seqs: Float64Array;
  hashes: Uint8Array;
  /** Whether the seqs came in ascending order (one timeline: the usual case, no sort needed). */
  ascending: boolean;
}

export function checkJsonlMirror(
  db: Database.Database,
  jsonlDir: string,
  range: { fromSeq: number; toSeq: number; fromMs: number; toMs: number },
): MirrorCheck {
  const inDay = db.prepare('SELECT seq, event_id, hash FROM events WHERE seq BETWEEN ? AND ? AND ts_ms >= ? AND ts_ms < ? ORDER BY seq');
  const rows = countRows(db, range.fromSeq, range.toSeq);
  let files = 0;
  let compared = 0;
  // Day by day: a row's line is in the file of its own day (events are filed by ts_ms), and one
  // day's lines at a time keep the memory to a day's worth on a database of many weeks.
  for (const { day, file } of dayFiles(jsonlDir, range.fromMs, range.toMs)) {
    files++;
    const lines = readDayLines(file, range.fromSeq, range.toSeq);
    if (lines.n === 0) continue;
    // The lines in seq order; a seq's lines (a restore's two timelines) in file order.
    const order = Array.from({ length: lines.n }, (_, k) => k);
    if (!lines.ascending) order.sort((x, y) => (lines.seqs[x] ?? 0) - (lines.seqs[y] ?? 0) || x - y);
    const seqAt = (j: number): number => lines.seqs[order[j] ?? 0] ?? 0;
    // Only the rows the file has lines for are compared: the query stays within their seqs.
    let j = 0;
    for (const r of inDay.iterate(seqAt(0), seqAt(lines.n - 1), day, day + DAY_MS) as IterableIterator<{
      seq: number;
      event_id: string;
      hash: string;
    }>) {
      while (j < lines.n && seqAt(j) < r.seq) j++;
      if (j === lines.n || seqAt(j) !== r.seq) continue;
      compared++;
      let k = j;
      let match = false;
      for (; k < lines.n && seqAt(k) === r.seq; k++) if (!match && hashIs(lines.hashes, order[k] ?? 0, r.hash)) match = true;
      if (match) continue;
      const mirror: string[] = [];
      for (let m = j; m < k; m++) {
        const at = (order[m] ?? 0) * 64;
        mirror.push(Buffer.from(lines.hashes.buffer, lines.hashes.byteOffset + at, 64).toString('latin1'));
      }
      return { files, compared, rows, mismatch: { seq: r.seq, event_id: r.event_id, file, mirror, database: r.hash } };
    }
  }
  return { files, compared, rows, mismatch: null };
}

const DAY_FILE = /^events-(\d{4}-\d{2}-\d{2})\.jsonl$/;

/**
 * The day files of the directory whose day overlaps [fromMs, toMs], oldest first. Listed, not
 * probed day by day: a row's time far from the others (a clock step, or a forger's) would otherwise
 * make a walk over millions of days.
 */
function dayFiles(jsonlDir: string, fromMs: number, toMs: number): { day: number; file: string }[] {
  const first = fromMs - (fromMs % DAY_MS);
  const out: { day: number; file: string }[] = [];
  for (const name of readdirSync(jsonlDir)) {
    const m = DAY_FILE.exec(name);
    const day = m ? Date.parse(`${m[1]}T00:00:00Z`) : NaN;
    // The name must be the day's own (no 2026-02-30 taken for a day of March).
    if (Number.isFinite(day) && utcDay(day) === m?.[1] && day >= first && day <= toMs) out.push({ day, file: join(jsonlDir, name) });
  }
  return out.sort((a, b) => a.day - b.day);
}

/**
 * Rows with seq in [from, to]. Through the ts_ms index, which holds every row's seq (its rowid) in a
 * few bytes: the table itself holds the payloads, and counting over it read all of them (250 ms for
 * 233 k rows, 14 ms through the index). A database without that index is counted the slow way.
 */
function countRows(db: Database.Database, from: number, to: number): number {
  let q: Database.Statement;
  try {
    q = db.prepare('SELECT count(*) AS n FROM events INDEXED BY events_ts WHERE seq BETWEEN ? AND ?');
  } catch {
    q = db.prepare('SELECT count(*) AS n FROM events WHERE seq BETWEEN ? AND ?');
  }
  return (q.get(from, to) as { n: number }).n;
}

/** Whether the 64 hash bytes of line `k` are the text `hash`. */
function hashIs(hashes: Uint8Array, k: number, hash: string): boolean {
  if (hash.length !== 64) return false;
  const at = k * 64;
  for (let i = 0; i < 64; i++) if (hashes[at + i] !== hash.charCodeAt(i)) return false;
  return true;
}

/** A day file's mirror lines with seq in [from, to]: a line that is not one (cut short by a crash, not ours) is skipped. */
function readDayLines(file: string, from: number, to: number): DayLines {
  const d: DayLines = { n: 0, seqs: new Float64Array(1024), hashes: new Uint8Array(1024 * 64), ascending: true };
  eachLineHead(file, (buf, start, end) => {
    const seq = headSeq(buf, start, end);
    if (seq < from || seq > to) return; // -1: no mirror line
    if (d.n === d.seqs.length) {
      const seqs = new Float64Array(d.n * 2);
      seqs.set(d.seqs);
      const hashes = new Uint8Array(d.n * 2 * 64);
      hashes.set(d.hashes);
      d.seqs = seqs;
      d.hashes = hashes;
    }
    if (d.n > 0 && seq < (d.seqs[d.n - 1] ?? 0)) d.ascending = false;
    d.seqs[d.n] = seq;
    const h = start + HASH_AT + digitsOf(buf, start, end);
    d.hashes.set(buf.subarray(h, h + 64), d.n * 64);
    d.n++;
  });
  return d;
}

// A mirror line's head, byte by byte: {"seq":<1-15 digits>,"prev_hash":"<64 hex>","hash":"<64 hex>",
const SEQ_KEY = Buffer.from('{"seq":', 'latin1');
const PREV_KEY = Buffer.from(',"prev_hash":"', 'latin1');
const HASH_KEY = Buffer.from('","hash":"', 'latin1');
const HASH_END = Buffer.from('",', 'latin1');
/** Where the hash starts, after the seq's digits. */
const HASH_AT = SEQ_KEY.length + PREV_KEY.length + 64 + HASH_KEY.length;

function digitsOf(buf: Uint8Array, start: number, end: number): number {
  let i = start + SEQ_KEY.length;
  while (i < end && (buf[i] ?? 0) >= 48 && (buf[i] ?? 0) <= 57) i++;
  return i - start - SEQ_KEY.length;
}

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102);

/** The seq of a mirror line's head in buf[start, end), or -1 when the head is not one. */
export function headSeq(buf: Uint8Array, start: number, end: number): number {
  if (!startsWith(buf, start, end, SEQ_KEY)) return -1;
  const digits = digitsOf(buf, start, end);
  if (digits < 1 || digits > 15) return -1;
  let seq = 0;
  for (let i = start + SEQ_KEY.length; i < start + SEQ_KEY.length + digits; i++) seq = seq * 10 + ((buf[i] ?? 0) - 48);
  let at = start + SEQ_KEY.length + digits;
  if (!startsWith(buf, at, end, PREV_KEY)) return -1;
  at += PREV_KEY.length;
  if (!hexRun(buf, at, end)) return -1;
  at += 64;
  if (!startsWith(buf, at, end, HASH_KEY)) return -1;
  at += HASH_KEY.length;
  if (!hexRun(buf, at, end)) return -1;
  return startsWith(buf, at + 64, end, HASH_END) ? seq : -1;
}

function startsWith(buf: Uint8Array, at: number, end: number, lit: Uint8Array): boolean {
  if (at + lit.length > end) return false;
  for (let i = 0; i < lit.length; i++) if (buf[at + i] !== lit[i]) return false;
  return true;
}

function hexRun(buf: Uint8Array, at: number, end: number): boolean {
  if (at + 64 > end) return false;
  for (let i = at; i < at + 64; i++) if (!isHex(buf[i] ?? 0)) return false;
  return true;
}

/**
 * checkJsonlMirror over every row of an open database, or of one run's rows: the range it covers is
 * read from the rows themselves. Null when there is no mirror directory or no row to compare.
 *
 * Each bound is one index lookup. A run's days are those of its first and last rows, widened by a
 * day each way: a row's time may trail its seq by the milliseconds between threads, and the run's
 * exact least and greatest times would take reading every row of it (no index holds both run and
 * time). A row timed outside them is not compared, as a row whose line is missing.
 */
export function checkDatabaseMirror(db: Database.Database, jsonlDir: string, runId?: string): MirrorCheck | null {
  if (!existsSync(jsonlDir)) return null;
  const value = (sql: string, ...args: unknown[]): number | null => (db.prepare(sql).get(...args) as { v: number | null } | undefined)?.v ?? null;
  const where = runId === undefined ? '' : ' WHERE run_id = ?';
  const args = runId === undefined ? [] : [runId];
  const a = value(`SELECT min(seq) AS v FROM events${where}`, ...args);
  const b = value(`SELECT max(seq) AS v FROM events${where}`, ...args);
  if (a === null || b === null) return null;
  const ts = (sql: string, ...p: unknown[]): number => value(sql, ...p) ?? 0;
  const range =
    runId === undefined
      ? { fromSeq: a, toSeq: b, fromMs: ts('SELECT min(ts_ms) AS v FROM events'), toMs: ts('SELECT max(ts_ms) AS v FROM events') }
      : {
          fromSeq: a,
          toSeq: b,
          fromMs: ts('SELECT ts_ms AS v FROM events WHERE seq = ?', a) - DAY_MS,
          toMs: ts('SELECT ts_ms AS v FROM events WHERE seq = ?', b) + DAY_MS,
        };
  return checkJsonlMirror(db, jsonlDir, range);
}

/** checkDatabaseMirror over its own read-only connection to `dbFile`, closed again. */
export function checkDatabaseFileMirror(dbFile: string, jsonlDir: string, runId?: string): MirrorCheck | null {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return checkDatabaseMirror(db, jsonlDir, runId);
  } finally {
    db.close();
  }
}

/**
 * Calls `fn` with the first HEAD bytes of each line of a file, as buf[start, end), read in chunks:
 * a day file may be large, and only the heads are looked at, in place. A line cut by a chunk
 * boundary is joined; an empty last line (after the final newline) is no line. `buf` is reused:
 * what `fn` keeps, it copies.
 */
export function eachLineHead(file: string, fn: (buf: Buffer, start: number, end: number) => void, chunk = CHUNK): void {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunk);
    let parts: Buffer[] = []; // the current line's head so far, when a chunk boundary cut it
    let have = 0;
    let done = false; // the current line's head was handed over
    const joined = (): void => {
      const b = Buffer.concat(parts);
      fn(b, 0, b.length);
    };
    for (;;) {
      const n = readSync(fd, buf, 0, chunk, null);
      if (n === 0) break;
      const view = buf.subarray(0, n);
      let pos = 0;
      for (;;) {
        const nl = view.indexOf(10, pos);
        const end = nl === -1 ? n : nl;
        const found = nl !== -1;
        if (!done) {
          const upto = Math.min(end, pos + HEAD - have);
          if (have === 0 && (found || upto - pos === HEAD)) {
            // The whole head is in this chunk: no copy.
            fn(view, pos, upto);
            done = true;
          } else {
            if (upto > pos) parts.push(Buffer.from(view.subarray(pos, upto)));
            have += upto - pos;
            if (found || have >= HEAD) {
              joined();
              done = true;
            }
          }
        }
        if (!found) break;
        parts = [];
        have = 0;
        done = false;
        pos = nl + 1;
      }
    }
    if (!done && have > 0) joined();
  } finally {
    closeSync(fd);
  }
}
