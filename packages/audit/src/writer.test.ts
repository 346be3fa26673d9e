import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type EventEnvelope, type JsonObject, type ReasonCode, envelopeOf } from '@vigil/contracts';
import { registerSecret } from '@vigil/core';
import { parseConfig } from '@vigil/runtime';
import { verifyAuditChain } from './verify.js';
import { AuditWriter } from './writer.js';

function setup(audit: Record<string, unknown> = {}, start = Date.UTC(2026, 10, 24, 23, 59, 0)) {
  const r = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0, ...audit } });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));
  let now = start;
  const reasons = new Map<ReasonCode, JsonObject>();
  const w = new AuditWriter({
    dbFile: join(dir, 'data', 'audit.sqlite'),
    jsonlDir: join(dir, 'jsonl'),
    config: r.config.audit,
    now: () => now,
    setReason: (code, on, detail) => (on ? reasons.set(code, detail) : reasons.delete(code)),
  });
  w.open();
  const ev = (payload: JsonObject = {}, type: EventEnvelope['event_type'] = 'HEALTH_SAMPLED'): EventEnvelope =>
    envelopeOf({ ts_ms: now, run_id: 'run_t', source: 'engine', event_type: type, payload });
  return { w, dir, reasons, ev, advance: (ms: number) => (now += ms), dbFile: join(dir, 'data', 'audit.sqlite') };
}

describe('AuditWriter', () => {
  it('commits bulk and critical events with a verifiable hash chain, continued across reopen', async () => {
    const s = setup();
    s.w.enqueue([s.ev({ n: 1 }), s.ev({ n: 2 })]);
    const acked = new Promise((resolve, reject) => s.w.enqueue([s.ev({ n: 3 }, 'MODE_CHANGED')], { resolve, reject }));
    expect(s.w.drainAll()).toBe(3);
    expect(await acked).toMatchObject({ last_seq: 3 });
    s.w.close();
    const w2 = new AuditWriter({ dbFile: s.dbFile, jsonlDir: join(s.dir, 'jsonl'), config: parseConfigOk().audit, now: Date.now, setReason: () => {} });
    w2.open();
    w2.enqueue([s.ev({ n: 4 })]);
    w2.drainAll();
    w2.close();
    expect(verifyAuditChain(s.dbFile)).toEqual({ ok: true, rows: 4 });
  });

  it('detects an edited row and a deleted row', () => {
    const s = setup();
    s.w.enqueue([1, 2, 3, 4].map((n) => s.ev({ n })));
    s.w.drainAll();
    s.w.close();
    const db = new Database(s.dbFile);
    db.prepare('UPDATE events SET payload = \'{"n":20}\' WHERE seq = 2').run();
    db.close();
    expect(verifyAuditChain(s.dbFile)).toMatchObject({ ok: false, firstBadSeq: 2, reason: 'HASH_MISMATCH' });
    const db2 = new Database(s.dbFile);
    db2.prepare('UPDATE events SET payload = \'{"n":2}\' WHERE seq = 2').run();
    db2.prepare('DELETE FROM events WHERE seq = 3').run();
    db2.close();
    expect(verifyAuditChain(s.dbFile)).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'SEQ_GAP' });
  });

  it('a flood beyond the queue goes HIGH then FULL, and every dropped bulk event is counted and raised', () => {
    const s = setup({ audit_writer_queue_capacity: 100, audit_writer_queue_high_pct: 70, audit_writer_queue_full_pct: 95 });
    for (let i = 0; i < 70; i++) s.w.enqueue([s.ev({ i })]);
    expect(s.w.pressure().state).toBe('HIGH');
    expect(s.reasons.has('DB_WRITER_QUEUE_HIGH')).toBe(true);
    for (let i = 0; i < 30; i++) s.w.enqueue([s.ev({ i })]);
    expect(s.w.pressure().state).toBe('FULL');
    expect(s.reasons.has('DB_WRITER_QUEUE_FULL')).toBe(true);
    expect(s.w.enqueue([s.ev({ late: true })])).toBe(false);
    expect(s.w.pressure().dropped_total).toBe(1);
    expect(s.reasons.get('DB_WRITER_DROPPED')).toMatchObject({ dropped_total: 1 });
    // Critical writes are still accepted when full: their sender is waiting for them.
    let acked = false;
    s.w.enqueue([s.ev({}, 'INTENT_CREATED')], { resolve: () => (acked = true), reject: () => {} });
    s.w.drainAll();
    expect(acked).toBe(true);
    expect(s.w.pressure()).toMatchObject({ state: 'OK', committed_total: 101, dropped_total: 1 });
    expect(s.reasons.has('DB_WRITER_QUEUE_FULL')).toBe(false);
    // Dropped stays raised: it is a manual reason, an operator must look.
    expect(s.reasons.has('DB_WRITER_DROPPED')).toBe(true);
  });

  it('a bulk frame bigger than the room left is FULL (not only counted) until the writer commits again', () => {
    const s = setup({ audit_writer_queue_capacity: 100, audit_writer_queue_high_pct: 70, audit_writer_queue_full_pct: 95 });
    for (let i = 0; i < 10; i++) s.w.enqueue([s.ev({ i })]);
    expect(s.w.pressure().state).toBe('OK');
    const frame = Array.from({ length: 95 }, (_, i) => s.ev({ big: i }));
    expect(s.w.enqueue(frame)).toBe(false);
    expect(s.w.pressure()).toMatchObject({ state: 'FULL', queue_depth: 10, dropped_total: 95 });
    expect(s.reasons.has('DB_WRITER_QUEUE_FULL')).toBe(true);
    expect(s.reasons.has('DB_WRITER_QUEUE_HIGH')).toBe(true);
    expect(s.reasons.get('DB_WRITER_DROPPED')).toMatchObject({ dropped: 95, dropped_total: 95 });
    s.w.drainAll();
    expect(s.w.pressure()).toMatchObject({ state: 'OK', committed_total: 10 });
    expect(s.reasons.has('DB_WRITER_QUEUE_FULL')).toBe(false);
    expect(s.reasons.has('DB_WRITER_DROPPED')).toBe(true);
  });

  it('raises DB_WRITER_BACKPRESSURE when the oldest queued event is older than the lag bound', () => {
    const s = setup({ audit_writer_max_lag_ms: 100 });
    s.w.enqueue([s.ev()]);
    s.advance(150);
    s.w.enqueue([s.ev()]);
    expect(s.reasons.has('DB_WRITER_BACKPRESSURE')).toBe(true);
    s.w.drainAll();
    s.w.enqueue([s.ev()]);
    expect(s.reasons.has('DB_WRITER_BACKPRESSURE')).toBe(false);
  });

  it('rotates JSONL at the UTC midnight of the event time and deletes files past retention', () => {
    const s = setup({ jsonl_retention_days: 2 }, Date.UTC(2026, 10, 24, 23, 59, 59, 500));
    s.w.enqueue([s.ev({ before: true })]);
    s.advance(1000);
    s.w.enqueue([s.ev({ after: true })]);
    s.w.drainAll();
    const files = readdirSync(join(s.dir, 'jsonl')).sort();
    expect(files).toEqual(['events-2026-11-24.jsonl', 'events-2026-11-25.jsonl']);
    const line = JSON.parse(readFileSync(join(s.dir, 'jsonl', files[1]!), 'utf8').trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ seq: 2, event_type: 'HEALTH_SAMPLED', payload: { after: true } });
    expect(typeof line['hash']).toBe('string');
    writeFileSync(join(s.dir, 'jsonl', 'events-2026-11-20.jsonl'), '{}\n');
    expect(s.w.pruneJsonl()).toEqual(['events-2026-11-20.jsonl']);
    expect(existsSync(join(s.dir, 'jsonl', 'events-2026-11-24.jsonl'))).toBe(true);
  });

  it('never writes a secret to the database or the JSONL', () => {
    const s = setup();
    const canary = 'CANARY-audit-4b1d9e77f0';
    registerSecret(canary);
    s.w.enqueue([s.ev({ api_secret: 'plain-secret-value', url: `/api/v3/order?signature=abcdef123456`, note: `oops ${canary}` })]);
    s.w.drainAll();
    s.w.close();
    const all =
      readFileSync(s.dbFile).toString('latin1') +
      readdirSync(join(s.dir, 'jsonl'))
        .map((f) => readFileSync(join(s.dir, 'jsonl', f), 'utf8'))
        .join('');
    expect(all).not.toContain(canary);
    expect(all).not.toContain('plain-secret-value');
    expect(all).not.toContain('abcdef123456');
  });

  it('reports disk thresholds from config as the two reason codes with values and thresholds', () => {
    const huge = 1e15;
    const s = setup({ disk_free_degrade_bytes: huge, disk_free_pause_bytes: huge });
    const d = s.w.sampleDisk();
    expect(s.reasons.get('DISK_LOW_PAUSE')).toMatchObject({ free_bytes: d.free_bytes, disk_free_pause_bytes: huge });
    expect(s.reasons.has('DISK_LOW_DEGRADE')).toBe(true);
    const ok = setup();
    ok.w.sampleDisk();
    expect(ok.reasons.has('DISK_LOW_PAUSE')).toBe(false);
  });

  it('free disk below the DEGRADE mark is DISK_LOW_DEGRADE at once and DISK_LOW_PAUSE only once it has lasted disk_low_persistent_ms', () => {
    const huge = 1e15;
    const s = setup({ disk_free_degrade_bytes: huge, disk_free_pause_bytes: 0, disk_low_persistent_ms: 60_000 });
    s.w.sampleDisk();
    expect(s.reasons.has('DISK_LOW_DEGRADE')).toBe(true);
    expect(s.reasons.has('DISK_LOW_PAUSE')).toBe(false);
    s.advance(59_999);
    s.w.sampleDisk();
    expect(s.reasons.has('DISK_LOW_PAUSE')).toBe(false);
    s.advance(1);
    s.w.sampleDisk();
    expect(s.reasons.get('DISK_LOW_PAUSE')).toMatchObject({ persistent: true, low_ms: 60_000, disk_low_persistent_ms: 60_000 });
  });

  it('turns a failing write into AUDIT_DB_UNUSABLE without acknowledging, and clears it on success', async () => {
    const s = setup();
    // Break the events table under the writer: the next transaction fails for real.
    const other = new Database(s.dbFile);
    other.exec('ALTER TABLE events RENAME TO events_moved');
    other.close();
    let settled = false;
    const held = new Promise((resolve, reject) => s.w.enqueue([s.ev()], { resolve, reject }));
    void held.finally(() => (settled = true)).catch(() => undefined);
    expect(s.w.drainOnce()).toBe(0);
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(s.reasons.has('AUDIT_DB_UNUSABLE')).toBe(true);
    expect(s.reasons.has('DB_WRITE_FAILED')).toBe(true);
    // The table back: the next drain commits the held event, acknowledges it and clears both.
    const fix = new Database(s.dbFile);
    fix.exec('ALTER TABLE events_moved RENAME TO events');
    fix.close();
    const acked = new Promise((resolve, reject) => s.w.enqueue([s.ev({ after: true })], { resolve, reject }));
    expect(s.w.drainAll()).toBeGreaterThanOrEqual(1);
    await expect(held).resolves.toMatchObject({ last_seq: expect.any(Number) });
    await expect(acked).resolves.toMatchObject({ last_seq: expect.any(Number) });
    expect(s.reasons.has('AUDIT_DB_UNUSABLE')).toBe(false);
    expect(s.reasons.has('DB_WRITE_FAILED')).toBe(false);
  });
});

function parseConfigOk() {
  const r = parseConfig({});
  if (!r.ok) throw new Error('config');
  return r.config;
}

describe('AuditWriter maintenance', () => {
  it('vacuums on request, but not on low disk', () => {
    const s = setup();
    s.w.enqueue([s.ev()]);
    expect(s.w.vacuum()).toEqual({ done: true });
    const low = setup({ disk_free_degrade_bytes: 1e15, disk_free_pause_bytes: 1e15 });
    low.w.sampleDisk();
    expect(low.w.vacuum()).toEqual({ done: false, why: 'low disk' });
  });

  it('raises JSONL_WRITE_FAILED when the day file cannot be written, while SQLite keeps the events', async () => {
    const s = setup();
    // A directory where the day file should be: the append fails for real.
    mkdirSync(join(s.dir, 'jsonl', 'events-2026-11-24.jsonl'));
    let acked = false;
    s.w.enqueue([s.ev()], { resolve: () => (acked = true), reject: () => {} });
    s.w.drainAll();
    expect(s.reasons.has('JSONL_WRITE_FAILED')).toBe(true);
    expect(acked).toBe(true);
    expect(s.w.pressure().committed_total).toBe(1);
  });
});

describe('AuditWriter: the JSONL mirror while it cannot be written', () => {
  it('lines of rows committed while the day file cannot be written are kept and written, in order and whole, once it can; the reason clears', async () => {
    const s = setup();
    const day = join(s.dir, 'jsonl', 'events-2026-11-24.jsonl');
    s.w.enqueue([s.ev({ n: 1 })]);
    s.w.drainAll();
    rmSync(day);
    mkdirSync(day); // a directory where the day file is: appends fail for real
    for (const n of [2, 3, 4]) {
      s.w.enqueue([s.ev({ n })]);
      s.w.drainAll();
    }
    expect(s.reasons.get('JSONL_WRITE_FAILED')).toMatchObject({ pending_lines: 1, dropped_lines: 0 }); // as first raised
    rmSync(day, { recursive: true });
    writeFileSync(day, '');
    s.w.enqueue([s.ev({ n: 5 })]);
    s.w.drainAll();
    s.w.flushJsonl();
    const seqs = readFileSync(day, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual([2, 3, 4, 5]);
    expect(s.reasons.has('JSONL_WRITE_FAILED')).toBe(false);
  });
});

describe('AuditWriter contention', () => {
  it('SQLITE_BUSY is transient (DEGRADE) first, persistent (PAUSE) past db_busy_persistent_ms; the next commit clears the transient one, the persistent one stays for an operator', () => {
    const s = setup({ busy_timeout_ms: 0, db_busy_persistent_ms: 1000 });
    const other = new Database(s.dbFile);
    other.exec('BEGIN IMMEDIATE'); // another writer holds the lock: the one-writer rule broken from outside
    s.w.enqueue([s.ev()]);
    expect(s.w.drainOnce()).toBe(0);
    expect(s.reasons.has('DB_BUSY_TRANSIENT')).toBe(true);
    expect(s.reasons.has('DB_BUSY_PERSISTENT')).toBe(false);
    s.advance(1500);
    expect(s.w.drainOnce()).toBe(0);
    expect(s.reasons.get('DB_BUSY_PERSISTENT')).toMatchObject({ limit_ms: 1000 });
    other.exec('ROLLBACK');
    other.close();
    expect(s.w.drainOnce()).toBe(1);
    expect(s.reasons.has('DB_BUSY_TRANSIENT')).toBe(false);
    expect(s.reasons.has('DB_BUSY_PERSISTENT')).toBe(true);
  });

  it('a busy database with nothing new to write still becomes DB_BUSY_PERSISTENT when the clock passes the bound', () => {
    const s = setup({ busy_timeout_ms: 0, db_busy_persistent_ms: 1000 });
    const other = new Database(s.dbFile);
    other.exec('BEGIN IMMEDIATE');
    s.w.enqueue([s.ev()]);
    expect(s.w.drainOnce()).toBe(0);
    s.advance(1200);
    expect(s.reasons.has('DB_BUSY_PERSISTENT')).toBe(false);
    s.w.evaluatePersistence();
    expect(s.reasons.get('DB_BUSY_PERSISTENT')).toMatchObject({ limit_ms: 1000 });
    other.exec('ROLLBACK');
    other.close();
  });

  it('a writer queue FULL for audit_writer_full_persistent_ms escalates to DB_WRITER_QUEUE_FULL_PERSISTENT, which stays after the queue drains; a shorter FULL does not', () => {
    const cfg = { audit_writer_queue_capacity: 100, audit_writer_queue_high_pct: 70, audit_writer_queue_full_pct: 95, audit_writer_full_persistent_ms: 2000 };
    const brief = setup(cfg);
    for (let i = 0; i < 96; i++) brief.w.enqueue([brief.ev({ i })]);
    expect(brief.reasons.has('DB_WRITER_QUEUE_FULL')).toBe(true);
    brief.advance(1500);
    brief.w.evaluatePersistence();
    brief.w.drainAll();
    brief.advance(1000);
    brief.w.evaluatePersistence();
    expect(brief.reasons.has('DB_WRITER_QUEUE_FULL')).toBe(false);
    expect(brief.reasons.has('DB_WRITER_QUEUE_FULL_PERSISTENT')).toBe(false);

    const s = setup(cfg);
    for (let i = 0; i < 96; i++) s.w.enqueue([s.ev({ i })]);
    s.advance(1999);
    s.w.evaluatePersistence();
    expect(s.reasons.has('DB_WRITER_QUEUE_FULL_PERSISTENT')).toBe(false);
    s.advance(1);
    s.w.evaluatePersistence();
    expect(s.reasons.get('DB_WRITER_QUEUE_FULL_PERSISTENT')).toMatchObject({ full_ms: 2000, limit_ms: 2000 });
    s.w.drainAll();
    s.w.evaluatePersistence();
    expect(s.reasons.has('DB_WRITER_QUEUE_FULL')).toBe(false);
    expect(s.reasons.has('DB_WRITER_QUEUE_FULL_PERSISTENT')).toBe(true);
  });

  it('raises WAL_GROWTH_ABNORMAL with the sizes when the WAL passes its threshold', () => {
    const s = setup({ wal_abnormal_bytes: 1, wal_truncate_bytes: 0 });
    s.w.enqueue([s.ev({ pad: 'x'.repeat(4096) })]);
    s.w.drainAll();
    const d = s.w.sampleDisk();
    expect(d.wal_bytes).toBeGreaterThan(1);
    expect(s.reasons.get('WAL_GROWTH_ABNORMAL')).toMatchObject({ wal_bytes: d.wal_bytes, wal_abnormal_bytes: 1 });
  });

  it('the -wal file removed under the writer: nothing is acknowledged any more (the commit stays queued), AUDIT_DB_UNUSABLE is raised and kept while bulk rows still commit', async () => {
    const s = setup();
    s.w.enqueue([s.ev({ n: 1 })]);
    const first = new Promise((resolve, reject) => s.w.enqueue([s.ev({ n: 2 }, 'MODE_CHANGED')], { resolve, reject }));
    s.w.drainAll();
    await expect(first).resolves.toMatchObject({ last_seq: 2 });
    expect(existsSync(`${s.dbFile}-wal`)).toBe(true);
    rmSync(`${s.dbFile}-wal`);
    let settled = false;
    const held = new Promise((resolve, reject) => s.w.enqueue([s.ev({ n: 3 }, 'MODE_CHANGED')], { resolve, reject }));
    void held.finally(() => (settled = true)).catch(() => undefined);
    expect(s.w.drainOnce()).toBe(0);
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(s.reasons.get('AUDIT_DB_UNUSABLE')).toMatchObject({ code: 'AUDIT_FILES_CHANGED', error: 'the -wal file was removed under the writer' });
    // Later drains and disk samples clear nothing: only a new writer opening the files again does.
    s.w.enqueue([s.ev({ n: 4 })]);
    s.w.drainOnce();
    s.w.sampleDisk();
    expect(s.reasons.has('AUDIT_DB_UNUSABLE')).toBe(true);
    expect(s.w.checkFiles()).toBe('the -wal file was removed under the writer');
  });

  it('the database file replaced under the writer (another file at its path) is AUDIT_DB_UNUSABLE at the next disk sample', () => {
    const s = setup();
    s.w.enqueue([s.ev({ n: 1 })]);
    s.w.drainAll();
    const moved = `${s.dbFile}.moved`;
    renameSync(s.dbFile, moved);
    writeFileSync(s.dbFile, '');
    s.w.sampleDisk();
    expect(s.reasons.get('AUDIT_DB_UNUSABLE')).toMatchObject({ code: 'AUDIT_FILES_CHANGED', error: 'the database file was replaced under the writer' });
  });
});
