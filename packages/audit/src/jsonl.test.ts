import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlLog, utcDay } from './jsonl.js';

const dirs: string[] = [];
const fresh = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-jsonl-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const DAY = Date.UTC(2026, 11, 7, 12);

describe('JsonlLog.append', () => {
  it('writes each batch as its lines, one per line, byte for byte in UTF-8, appended after earlier batches', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(
            fc.string({ unit: 'binary', maxLength: 300 }).map((s) => s.replace(/\n/g, ' ')),
            { maxLength: 40 },
          ),
          { maxLength: 6 },
        ),
        (batches) => {
          const dir = fresh();
          const log = new JsonlLog(dir);
          for (const b of batches)
            log.append(
              b,
              b.map(() => DAY),
            );
          const all = batches.flat();
          const file = join(dir, `events-${utcDay(DAY)}.jsonl`);
          const want = Buffer.from(all.map((l) => `${l}\n`).join(''), 'utf8');
          if (all.length === 0) return readdirSync(dir).length === 0;
          return readFileSync(file).equals(want);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('writes a batch larger than its chunk, and a single line larger than the chunk, whole and in order', () => {
    const dir = fresh();
    const log = new JsonlLog(dir);
    // 3000 lines of about 700 bytes (2 MiB, two chunks and more), then one line of 3 MiB in 3-byte characters.
    const many = Array.from({ length: 3000 }, (_, i) => `{"seq":${i},"p":"${'x'.repeat(690)}"}`);
    const huge = `{"big":"${'€'.repeat(1_000_000)}"}`;
    log.append(
      many,
      many.map(() => DAY),
    );
    log.append([huge, 'after'], [DAY, DAY]);
    const text = readFileSync(join(dir, `events-${utcDay(DAY)}.jsonl`), 'utf8');
    expect(text).toBe(`${many.join('\n')}\n${huge}\nafter\n`);
  });

  it("puts each line in the file of its event's UTC day, in the batch's order within a day", () => {
    const dir = fresh();
    const log = new JsonlLog(dir);
    const next = DAY + 86_400_000;
    log.append(['a', 'b', 'c', 'd'], [DAY, next, DAY, next]);
    expect(readFileSync(join(dir, `events-${utcDay(DAY)}.jsonl`), 'utf8')).toBe('a\nc\n');
    expect(readFileSync(join(dir, `events-${utcDay(next)}.jsonl`), 'utf8')).toBe('b\nd\n');
  });
});
