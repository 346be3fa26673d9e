import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { checkDatabaseMirror, checkJsonlMirror, eachLineHead, headSeq } from './jsonl-mirror.js';
import { auditSetup } from './testing-setup.test-helper.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Ten events written by the real writer (SQLite and its JSONL lines), the day's JSONL file, and the range to check. */
async function written() {
  const s = auditSetup();
  for (let i = 0; i < 10; i++) s.write(s.ev({ i }));
  s.writer.flushJsonl();
  await turn();
  s.writer.close();
  const day = new Date(s.clock.now).toISOString().slice(0, 10);
  const file = join(s.varDir, 'jsonl', `events-${day}.jsonl`);
  const range = { fromSeq: 1, toSeq: 10, fromMs: s.clock.now, toMs: s.clock.now };
  const check = () => {
    const db = new Database(s.dbFile, { readonly: true });
    try {
      return checkJsonlMirror(db, join(s.varDir, 'jsonl'), range);
    } finally {
      db.close();
    }
  };
  return { ...s, file, check };
}

describe('the database against its JSONL mirror', () => {
  it('every row matches its line: 10 of 10 compared, no mismatch', async () => {
    const w = await written();
    expect(w.check()).toEqual({ files: 1, compared: 10, rows: 10, mismatch: null });
  });

  it('a row whose hash was rewritten in the database alone is named with its event id and both hashes', async () => {
    const w = await written();
    const db = new Database(w.dbFile);
    const row = db.prepare('SELECT event_id, hash FROM events WHERE seq = 4').get() as { event_id: string; hash: string };
    db.prepare('UPDATE events SET hash = ? WHERE seq = 4').run('f'.repeat(64));
    db.close();
    expect(w.check().mismatch).toEqual({ seq: 4, event_id: row.event_id, file: w.file, mirror: [row.hash], database: 'f'.repeat(64) });
  });

  it('a second line for a seq (the abandoned timeline after a restore) is allowed when one of them matches; lines missing or cut short are not compared', async () => {
    const w = await written();
    const lines = readFileSync(w.file, 'utf8').split('\n').filter(Boolean);
    const other = lines[2]!.replace(/"hash":"[0-9a-f]{64}"/, `"hash":"${'a'.repeat(64)}"`);
    // Lines 6 and 7 lost, the last one cut short before its hash, and another timeline's line for seq 3.
    writeFileSync(w.file, [...lines.slice(0, 5), ...lines.slice(7, 9), other, lines[9]!.slice(0, 120)].join('\n'));
    expect(w.check()).toEqual({ files: 1, compared: 7, rows: 10, mismatch: null });
    // Only the other timeline's line left for a seq: a mismatch.
    writeFileSync(w.file, `${other}\n`);
    expect(w.check().mismatch?.seq).toBe(3);
  });

  it('an empty day file: nothing compared; a line that is not a mirror line is ignored', async () => {
    const w = await written();
    writeFileSync(w.file, '');
    expect(w.check()).toEqual({ files: 1, compared: 0, rows: 10, mismatch: null });
    appendFileSync(w.file, 'garbage\n{"seq":"x"}\n');
    expect(w.check()).toEqual({ files: 1, compared: 0, rows: 10, mismatch: null });
  });
});

describe("the mirror over a run's days", () => {
  it('a row timed a quarter-million years out (a clock step, or a forger) is not compared, and the check does not walk the days between; a file named for no real day is ignored', async () => {
    const w = await written();
    const db = new Database(w.dbFile);
    db.prepare('UPDATE events SET ts_ms = ? WHERE seq = 10').run(8e15);
    db.close();
    writeFileSync(join(w.varDir, 'jsonl', 'events-2026-02-30.jsonl'), readFileSync(w.file));
    const ro = new Database(w.dbFile, { readonly: true });
    try {
      expect(checkDatabaseMirror(ro, join(w.varDir, 'jsonl'), 'run_t')).toEqual({ files: 1, compared: 9, rows: 10, mismatch: null });
      expect(checkDatabaseMirror(ro, join(w.varDir, 'jsonl'))).toEqual({ files: 1, compared: 9, rows: 10, mismatch: null });
    } finally {
      ro.close();
    }
  });
});

describe('reading line heads in chunks', () => {
  it('gives the first 200 bytes of every line whatever the chunk size: lines cut by a boundary joined, empty lines kept, no line after the final newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-heads-'));
    const line = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ minLength: 190, maxLength: 420 }), fc.constant(''));
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 12 }).map((ls) => ls.map((l) => l.replace(/[^\x20-\x7e]/g, 'x'))),
        fc.boolean(),
        fc.integer({ min: 1, max: 450 }),
        (lines, lastNewline, chunk) => {
          const text = lines.join('\n') + (lastNewline && lines.length > 0 ? '\n' : '');
          const file = join(dir, 'f.jsonl');
          writeFileSync(file, text);
          const got: string[] = [];
          eachLineHead(file, (buf, start, end) => void got.push(buf.toString('latin1', start, end)), chunk);
          const parts = text.split('\n');
          if (parts[parts.length - 1] === '') parts.pop();
          expect(got).toEqual(parts.map((l) => l.slice(0, 200)));
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe("a mirror line's head, read byte by byte", () => {
  // The model: the pattern the reader used to apply to each head's text.
  const LINE_HEAD = /^\{"seq":(\d{1,15}),"prev_hash":"[0-9a-f]{64}","hash":"([0-9a-f]{64})",/;
  const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
  const head = fc
    .record({ seq: fc.stringMatching(/^[0-9]{1,16}$/), prev: hex, hash: hex, rest: fc.string({ maxLength: 30 }) })
    .map(({ seq, prev, hash, rest }) => `{"seq":${seq},"prev_hash":"${prev}","hash":"${hash}",${rest}`);
  // Damage: a character replaced, removed or inserted anywhere, or the head cut short.
  const damaged = fc
    .tuple(head, fc.nat(), fc.constantFrom('replace', 'remove', 'insert', 'cut'), fc.constantFrom('0', 'a', 'g', 'A', '"', ',', ':', '{', ' ', '9'))
    .map(([h, at, how, c]) => {
      const i = at % (h.length + 1);
      if (how === 'replace') return h.slice(0, i) + c + h.slice(i + 1);
      if (how === 'remove') return h.slice(0, i) + h.slice(i + 1);
      if (how === 'insert') return h.slice(0, i) + c + h.slice(i);
      return h.slice(0, i);
    });

  it('gives the seq exactly when the pattern matches (and -1 otherwise), for whole, damaged and foreign heads, at any offset in a buffer', () => {
    fc.assert(
      fc.property(fc.oneof(head, damaged, fc.string({ maxLength: 200 })), fc.nat({ max: 8 }), (text, pad) => {
        const buf = Buffer.from(`${'x'.repeat(pad)}${text}\n{"seq":1`, 'latin1');
        const m = LINE_HEAD.exec(text);
        expect(headSeq(buf, pad, pad + Buffer.byteLength(text, 'latin1'))).toBe(m ? Number(m[1]) : -1);
      }),
      { numRuns: 3000 },
    );
  });
});
