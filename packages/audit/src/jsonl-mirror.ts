import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
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

const LINE_HEAD = /^\{"seq":(\d{1,15}),"prev_hash":"[0-9a-f]{64}","hash":"([0-9a-f]{64})",/;
const CHUNK = 1 << 20;
/** Bytes of a line's head: seq, prev_hash and hash fit in about 170. */
const HEAD = 200;

export function checkJsonlMirror(
  db: Database.Database,
  jsonlDir: string,
  range: { fromSeq: number; toSeq: number; fromMs: number; toMs: number },
): MirrorCheck {
  const inDay = db.prepare('SELECT seq, event_id, hash FROM events WHERE ts_ms >= ? AND ts_ms < ? AND seq BETWEEN ? AND ? ORDER BY seq');
  const { n: rows } = db.prepare('SELECT count(*) AS n FROM events WHERE seq BETWEEN ? AND ?').get(range.fromSeq, range.toSeq) as { n: number };
  let files = 0;
  let compared = 0;
  // Day by day: a row's line is in the file of its own day (events are filed by ts_ms), and one
  // day's heads at a time keep the memory to a day's worth on a database of many weeks.
  for (let day = range.fromMs - (range.fromMs % 86_400_000); day <= range.toMs; day += 86_400_000) {
    const file = join(jsonlDir, `events-${utcDay(day)}.jsonl`);
    if (!existsSync(file)) continue;
    files++;
    const first = new Map<number, string>();
    const more = new Map<number, string[]>(); // further lines for a seq (a restore's other timeline)
    eachLineHead(file, (head) => {
      const m = LINE_HEAD.exec(head);
      if (!m) return; // a line cut short by a crash, or not ours: nothing to compare
      const seq = Number(m[1]);
      if (seq < range.fromSeq || seq > range.toSeq) return;
      const hash = m[2] ?? '';
      if (!first.has(seq)) first.set(seq, hash);
      else more.set(seq, [...(more.get(seq) ?? []), hash]);
    });
    for (const r of inDay.iterate(day, day + 86_400_000, range.fromSeq, range.toSeq) as IterableIterator<{ seq: number; event_id: string; hash: string }>) {
      const h = first.get(r.seq);
      if (h === undefined) continue;
      compared++;
      if (h === r.hash || (more.get(r.seq) ?? []).includes(r.hash)) continue;
      return { files, compared, rows, mismatch: { seq: r.seq, event_id: r.event_id, file, mirror: [h, ...(more.get(r.seq) ?? [])], database: r.hash } };
    }
  }
  return { files, compared, rows, mismatch: null };
}

/**
 * checkJsonlMirror over every row of an open database, or of one run's rows: the range it covers is
 * read from the rows themselves. Null when there is no mirror directory or no row to compare.
 */
export function checkDatabaseMirror(db: Database.Database, jsonlDir: string, runId?: string): MirrorCheck | null {
  if (!existsSync(jsonlDir)) return null;
  const span = 'SELECT min(seq) AS a, max(seq) AS b, min(ts_ms) AS t0, max(ts_ms) AS t1 FROM events';
  const r = (runId === undefined ? db.prepare(span).get() : db.prepare(`${span} WHERE run_id = ?`).get(runId)) as {
    a: number | null;
    b: number | null;
    t0: number | null;
    t1: number | null;
  };
  if (r.a === null || r.b === null || r.t0 === null || r.t1 === null) return null;
  return checkJsonlMirror(db, jsonlDir, { fromSeq: r.a, toSeq: r.b, fromMs: r.t0, toMs: r.t1 });
}

/**
 * Calls `fn` with the first HEAD bytes of each line of a file (latin1; the heads are ASCII), read in
 * chunks: a day file may be large, and only the heads are decoded. A line cut by a chunk boundary
 * is joined; an empty last line (after the final newline) is no line.
 */
export function eachLineHead(file: string, fn: (head: string) => void, chunk = CHUNK): void {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunk);
    let parts: Buffer[] = []; // the current line's head so far, when a chunk boundary cut it
    let have = 0;
    let done = false; // the current line's head was handed over
    for (;;) {
      const n = readSync(fd, buf, 0, chunk, null);
      if (n === 0) break;
      const view = buf.subarray(0, n);
      let pos = 0;
      for (;;) {
        const nl = view.indexOf(10, pos);
        const end = nl === -1 ? n : nl;
        if (!done) {
          const upto = Math.min(end, pos + HEAD - have);
          if (have === 0 && (nl !== -1 || upto - pos === HEAD)) {
            // The whole head is in this chunk: no copy.
            fn(view.toString('latin1', pos, upto));
            done = true;
          } else {
            if (upto > pos) parts.push(Buffer.from(view.subarray(pos, upto)));
            have += upto - pos;
            if (nl !== -1 || have >= HEAD) {
              fn(Buffer.concat(parts).toString('latin1'));
              done = true;
            }
          }
        }
        if (nl === -1) break;
        parts = [];
        have = 0;
        done = false;
        pos = nl + 1;
      }
    }
    if (!done && have > 0) fn(Buffer.concat(parts).toString('latin1'));
  } finally {
    closeSync(fd);
  }
}
