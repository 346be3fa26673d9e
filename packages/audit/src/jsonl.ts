import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const FILE_RE = /^events-(\d{4}-\d{2}-\d{2})\.jsonl$/;

/** What one write hands the kernel at most: a large batch goes out in chunks, never as one giant buffer. */
const CHUNK_BYTES = 1 << 20;

/** UTC day of a timestamp, as the file name carries it. */
export function utcDay(tsMs: number): string {
  return new Date(tsMs).toISOString().slice(0, 10);
}

/**
 * The JSONL event log: one file per UTC day of the event's ts_ms (an event belongs to the day it
 * happened, whatever day it was written). A batch is appended with one write per file.
 */
export class JsonlLog {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private dayStart = 0;
  private dayEnd = 0;
  private dayFile = '';

  fileFor(tsMs: number): string {
    if (tsMs < this.dayStart || tsMs >= this.dayEnd) {
      this.dayStart = tsMs - (tsMs % 86_400_000);
      this.dayEnd = this.dayStart + 86_400_000;
      this.dayFile = join(this.dir, `events-${utcDay(tsMs)}.jsonl`);
    }
    return this.dayFile;
  }

  /**
   * Appends lines (tsMs[i] is the event time of lines[i]) grouped by day, one append per day file;
   * throws on any write failure (the caller raises JSONL_WRITE_FAILED). The file is opened per
   * batch on purpose: a day file moved or deleted meanwhile is recreated, never written unlinked.
   */
  append(lines: readonly string[], tsMs: readonly number[]): void {
    if (lines.length === 0) return;
    const first = this.fileFor(tsMs[0]!);
    let sameDay = true;
    for (let i = 1; i < tsMs.length && sameDay; i++) sameDay = tsMs[i]! >= this.dayStart && tsMs[i]! < this.dayEnd;
    if (sameDay) return this.write(first, lines);
    const byFile = new Map<string, string[]>();
    for (let i = 0; i < lines.length; i++) {
      const f = this.fileFor(tsMs[i]!);
      let list = byFile.get(f);
      if (!list) byFile.set(f, (list = []));
      list.push(lines[i]!);
    }
    for (const [file, list] of byFile) this.write(file, list);
  }

  /** Reused between appends: the lines are encoded into it one by one. */
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);

  /**
   * One open, the lines encoded straight into a reused buffer and written in chunks of about
   * CHUNK_BYTES, one close. Not `lines.join` and appendFileSync: flattening thousands of lines into
   * one string and encoding that cost the audit writer 4 us a line, this under 1 (issue 19).
   */
  private write(file: string, lines: readonly string[]): void {
    const fd = openSync(file, 'a');
    // Where this append began: a write that fails part-way (ENOSPC) is cut back to it, so the file
    // never keeps half a line for the next append to be glued to, and the lines can be written
    // again whole (the writer keeps them and retries).
    const start = fstatSync(fd).size;
    try {
      let off = 0;
      for (const line of lines) {
        // UTF-8 takes at most 3 bytes per UTF-16 unit; one more for the newline.
        const most = line.length * 3 + 1;
        if (off + most > this.buf.length) {
          writeAll(fd, this.buf, off);
          off = 0;
          if (most > this.buf.length) this.buf = Buffer.allocUnsafe(most);
        }
        off += this.buf.write(line, off);
        this.buf[off++] = 0x0a;
      }
      writeAll(fd, this.buf, off);
    } catch (e) {
      try {
        ftruncateSync(fd, start);
      } catch {
        /* the error that matters is the write's */
      }
      throw e;
    } finally {
      closeSync(fd);
      // A rare giant line grew the buffer: it is not kept for the months that follow.
      if (this.buf.length > CHUNK_BYTES) this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    }
  }

  /** Deletes day files older than `retentionDays` before `nowMs`; returns the deleted names. */
  prune(nowMs: number, retentionDays: number): string[] {
    const cutoff = utcDay(nowMs - retentionDays * 86_400_000);
    const deleted: string[] = [];
    for (const name of readdirSync(this.dir)) {
      const m = FILE_RE.exec(name);
      if (m && m[1]! < cutoff) {
        unlinkSync(join(this.dir, name));
        deleted.push(name);
      }
    }
    return deleted;
  }
}

/** Every byte of buf[0, len) to fd: a short write continues where it stopped, an error throws. */
function writeAll(fd: number, buf: Buffer, len: number): void {
  let done = 0;
  while (done < len) done += writeSync(fd, buf, done, len - done);
}
