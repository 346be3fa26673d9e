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

  /** Appends lines grouped by day; throws on any write failure (the caller raises JSONL_WRITE_FAILED). */
  append(lines: readonly { readonly ts_ms: number; readonly line: string }[]): void {
    const byFile = new Map<string, string[]>();
    for (const l of lines) {
      const f = this.fileFor(l.ts_ms);
      let list = byFile.get(f);
      if (!list) byFile.set(f, (list = []));
      list.push(l.line);
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
