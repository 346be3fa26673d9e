import { appendFileSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

const FILE_RE = /^events-(\d{4}-\d{2}-\d{2})\.jsonl$/;

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
    if (sameDay) return appendFileSync(first, `${lines.join('\n')}\n`);
    const byFile = new Map<string, string[]>();
    for (let i = 0; i < lines.length; i++) {
      const f = this.fileFor(tsMs[i]!);
      let list = byFile.get(f);
      if (!list) byFile.set(f, (list = []));
      list.push(lines[i]!);
    }
    for (const [file, list] of byFile) appendFileSync(file, `${list.join('\n')}\n`);
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
