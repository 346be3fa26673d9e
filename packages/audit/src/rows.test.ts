import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { auditRowProblem, canonicalJson, type AuditRow, type EventEnvelope, type JsonObject, envelopeOf } from '@vigil/contracts';
import { jsonTextMayNeedRedaction, redact, registerSecret } from '@vigil/core';
import { parseConfig, toAuditRow } from '@vigil/runtime';
import { verifyAuditChain } from './verify.js';
import { AuditWriter } from './writer.js';

const ev = (payload: JsonObject, type: EventEnvelope['event_type'] = 'HEALTH_SAMPLED'): EventEnvelope =>
  envelopeOf({ ts_ms: Date.now(), run_id: 'run_rows', source: 'gateway', cycle_id: 7, event_type: type, payload });

/** A row as a producer that skipped redaction would send it: the payload serialized as is. */
const unredactedRow = (e: EventEnvelope): AuditRow => {
  const r = toAuditRow(e);
  return [r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], canonicalJson(e.payload)];
};

describe('audit rows (producer-side serialization)', () => {
  it('the writer redacts a row its producer did not, and the chain still verifies', () => {
    const r = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
    if (!r.ok) throw new Error('config');
    const dir = mkdtempSync(join(tmpdir(), 'audit-rows-'));
    const dbFile = join(dir, 'data', 'audit.sqlite');
    const w = new AuditWriter({ dbFile, jsonlDir: join(dir, 'jsonl'), config: r.config.audit, now: Date.now, setReason: () => {} });
    w.open();
    const canary = 'CANARY-rows-"quoted"-51c0';
    registerSecret(canary);
    const leaky = [
      ev({ api_secret: 'plain-secret-value-1' }),
      ev({ url: '/api/v3/order?signature=abcdef1234567' }),
      ev({ note: `oops ${canary}` }),
      ev({ nested: { password: 'hunter2-hunter2' } }, 'ALERT_RAISED'),
      ev({ clean: 'nothing to see', n: 1 }),
    ];
    expect(w.enqueueRows(leaky.map(unredactedRow))).toBe(true);
    expect(w.drainAll()).toBe(5);
    const db = new Database(dbFile, { readonly: true });
    const payloads = (db.prepare('SELECT payload FROM events ORDER BY seq').all() as { payload: string }[]).map((x) => x.payload);
    const alert = db.prepare('SELECT detail FROM alerts').get() as { detail: string | null } | undefined;
    db.close();
    w.close();
    const all =
      readFileSync(dbFile).toString('latin1') +
      readdirSync(join(dir, 'jsonl'))
        .map((f) => readFileSync(join(dir, 'jsonl', f), 'utf8'))
        .join('') +
      payloads.join('');
    for (const s of ['plain-secret-value-1', 'abcdef1234567', 'hunter2-hunter2', canary, JSON.stringify(canary).slice(1, -1)]) expect(all).not.toContain(s);
    expect(payloads[4]).toBe('{"clean":"nothing to see","n":1}');
    expect(alert).toBeDefined();
    expect(verifyAuditChain(dbFile)).toEqual({ ok: true, rows: 5 });
  });

  it('says "nothing to redact" only where redaction would indeed change nothing', () => {
    registerSecret('lit"eral\\secret-77');
    const values: unknown[] = [
      { a: 'b', n: 1 },
      { symbol: 'BTCUSDT', bid: '64000.10' },
      { Authorization: 'x' },
      { PassPhrase: 'y' },
      { private_key: 'z' },
      { s: 'Bearer abcdefghijkl' },
      { s: 'sk-abcdefghijklmnopqrstu' },
      { s: 'x lit"eral\\secret-77 y' },
      { tokens: 12 },
      { risk: 'risk-off' },
      [{ deep: [{ deeper: { listenKey: 'k' } }] }],
    ];
    for (const v of values) {
      const text = canonicalJson(v);
      if (!jsonTextMayNeedRedaction(text)) expect(redact(v)).toBe(v);
      if (redact(v) !== v) expect(jsonTextMayNeedRedaction(text)).toBe(true);
    }
    expect(jsonTextMayNeedRedaction(canonicalJson({ a: 'b', n: 1 }))).toBe(false);
    expect(jsonTextMayNeedRedaction(canonicalJson({ s: 'x lit"eral\\secret-77 y' }))).toBe(true);
  });

  it('rejects rows of the wrong shape at the channel', () => {
    const good = toAuditRow(ev({ a: 1 }));
    expect(auditRowProblem(good)).toBeNull();
    expect(auditRowProblem(good.slice(0, 12))).toMatch(/13 fields/);
    expect(auditRowProblem([...good.slice(0, 9), 'NOT_A_TYPE', ...good.slice(10)])).toMatch(/event_type/);
    expect(auditRowProblem([...good.slice(0, 3), 'nobody', ...good.slice(4)])).toMatch(/source/);
    expect(auditRowProblem([...good.slice(0, 12), '[1,2]'])).toMatch(/payload_json/);
    expect(auditRowProblem([...good.slice(0, 1), '1', ...good.slice(2)])).toMatch(/ts_ms/);
  });
});

describe('canonicalRow', () => {
  it('is canonicalJson of the envelope, for every kind of field value', async () => {
    const { canonicalRow } = await import('./row-text.js');
    const cases: EventEnvelope[] = [
      ev({ a: 1 }),
      {
        ...ev({ z: [1, { y: 'q"uote\\n' }], a: null }, 'INTENT_CREATED'),
        cycle_id: null,
        stage: 'AIGATE_CALL',
        snapshot_id: 'snp_1',
        decision_id: 'dec_"x',
        order_intent_id: 'oi_\u2028',
        reason_code: 'DB_WRITER_DROPPED',
        severity: 'CRIT',
        ts_ms: 1.5,
      },
      { ...ev({}), run_id: 'run_ünï', source: 'supervisor', cycle_id: 0 },
    ];
    for (const e of cases) {
      const row = toAuditRow(e);
      expect(canonicalRow(row, row[12])).toBe(canonicalJson(e));
    }
  });
});
