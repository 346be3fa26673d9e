import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, type JsonObject } from '@vigil/contracts';
import { auditSetup } from './testing-setup.test-helper.js';
import { rowHash, verifyAuditChain } from './verify.js';

// The chain walk decides a row by its stored bytes first (the writer hashed its payload text as
// is) and by the parsed, re-serialized payload when they do not match. These hold both paths to the
// chain's definition: sha256(prev_hash + canonical envelope).

const jsonValue = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })).map((v) => v as JsonObject);

function written(payloads: readonly JsonObject[]) {
  const s = auditSetup();
  s.write(...payloads.map((p) => s.ev(p)));
  s.writer.close();
  return s;
}

describe('the chain walk over stored rows', () => {
  it('rows the writer wrote verify, whatever their payload; the same rows with one payload byte changed fail at that seq with HASH_MISMATCH', () => {
    fc.assert(
      fc.property(fc.array(jsonValue, { minLength: 1, maxLength: 6 }), fc.nat(), fc.nat(), (payloads, pick, at) => {
        const s = written(payloads);
        expect(verifyAuditChain(s.dbFile)).toEqual({ ok: true, rows: payloads.length });
        const db = new Database(s.dbFile);
        const seq = 1 + (pick % payloads.length);
        const { payload } = db.prepare('SELECT payload FROM events WHERE seq = ?').get(seq) as { payload: string };
        const i = at % payload.length;
        // A different character at one place: the text may no longer parse, or parse to another value.
        const swapped = payload.slice(0, i) + (payload[i] === '1' ? '2' : '1') + payload.slice(i + 1);
        db.prepare('UPDATE events SET payload = ? WHERE seq = ?').run(swapped, seq);
        db.close();
        expect(verifyAuditChain(s.dbFile)).toEqual({ ok: false, rows: seq - 1, firstBadSeq: seq, reason: 'HASH_MISMATCH' });
      }),
      { numRuns: 40 },
    );
  });

  it('a payload stored in another spelling of the same value (spaces, key order) still verifies: the chain hashes the canonical form', () => {
    const s = written([{ b: 1, a: [1, 2, { y: 'x', c: null }] }, { z: true }]);
    const db = new Database(s.dbFile);
    const row = db.prepare('SELECT * FROM events WHERE seq = 1').get() as Record<string, unknown>;
    const respelled = JSON.stringify(JSON.parse(row['payload'] as string), null, 2)
      .replace('"b": 1,', '')
      .replace('{', '{"b": 1,');
    expect(respelled).not.toBe(row['payload']);
    expect(canonicalJson(JSON.parse(respelled))).toBe(row['payload']);
    db.prepare('UPDATE events SET payload = ? WHERE seq = 1').run(respelled);
    expect(rowHash({ ...row, payload: respelled })).toBe(row['hash']);
    db.close();
    expect(verifyAuditChain(s.dbFile)).toEqual({ ok: true, rows: 2 });
  });

  it('a payload that is not JSON is a HASH_MISMATCH at its seq, not a crash of the walk', () => {
    const s = written([{ a: 1 }, { b: 2 }, { c: 3 }]);
    const db = new Database(s.dbFile);
    db.prepare('UPDATE events SET payload = ? WHERE seq = 2').run('{"b":');
    db.close();
    expect(verifyAuditChain(s.dbFile)).toEqual({ ok: false, rows: 1, firstBadSeq: 2, reason: 'HASH_MISMATCH' });
  });

  it('an envelope column changed (a time, a run id, a null made a string) fails at its seq', () => {
    for (const [col, v] of [
      ['ts_ms', 1],
      ['run_id', 'run_other'],
      ['decision_id', 'dec_x'],
      ['cycle_id', 7],
    ] as const) {
      const s = written([{ a: 1 }, { b: 2 }]);
      const db = new Database(s.dbFile);
      db.prepare(`UPDATE events SET ${col} = ? WHERE seq = 2`).run(v);
      db.close();
      expect(verifyAuditChain(s.dbFile), col).toEqual({ ok: false, rows: 1, firstBadSeq: 2, reason: 'HASH_MISMATCH' });
    }
  });
});
