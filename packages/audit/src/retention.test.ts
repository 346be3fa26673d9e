import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditReader } from './read.js';
import { archiveOldDays } from './retention.js';
import { auditSetup } from './testing-setup.test-helper.js';
import { verifyAuditChain, verifyAuditSet } from './verify.js';

const D = 86_400_000;
const START = Date.UTC(2026, 0, 1, 10, 0, 0);
const noPause = async (): Promise<void> => {};

/** 130 days of three events a day, from 2026-01-01. */
function populated(extra?: (s: ReturnType<typeof auditSetup>, day: number) => void) {
  const s = auditSetup({ synchronous: 'NORMAL' }, START);
  for (let day = 0; day < 130; day++) {
    s.clock.now = START + day * D;
    s.write(s.ev({ day, i: 0 }), s.ev({ day, i: 1 }), s.ev({ day, i: 2 }));
    extra?.(s, day);
  }
  return s;
}

const count = (file: string, sql = 'SELECT count(*) AS n FROM events'): number => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('retention: old UTC days to the monthly archive, chain anchored across files', () => {
  it('archives whole days older than retention_days into audit-YYYY-MM.sqlite, deletes them live, and verify-audit checks archives + live as one chain (also after the writer appends again)', async () => {
    const s = populated();
    const archiveDir = join(s.varDir, 'data', 'archive');
    const r = await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 90, batchRows: 2, pause: noPause });
    // Today is day 129 (2026-05-10): days 0..38 (up to 2026-02-08) are older than 90 whole days.
    const today = Date.UTC(2026, 4, 10);
    expect(s.clock.now - (s.clock.now % D)).toBe(today);
    expect(r.archived.map((d) => d.day)[0]).toBe('2026-01-01');
    expect(r.archived).toHaveLength(31); // at most 31 days per run
    const r2 = await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 90, batchRows: 2, pause: noPause });
    expect(r2.archived.at(-1)!.day).toBe('2026-02-08');
    expect(r2.stopped).toBeNull();
    expect(readdirSync(archiveDir).sort()).toEqual(['audit-2026-01.sqlite', 'audit-2026-02.sqlite']);
    expect(count(join(archiveDir, 'audit-2026-01.sqlite'))).toBe(31 * 3);
    expect(count(join(archiveDir, 'audit-2026-02.sqlite'))).toBe(8 * 3);
    // The oldest live event is the first of 2026-02-09 (= today - 90 days).
    const oldest = new Database(s.dbFile, { readonly: true }).prepare('SELECT min(ts_ms) AS t FROM events').get() as { t: number };
    expect(oldest.t).toBe(today - 90 * D + 10 * 3_600_000);
    expect(count(s.dbFile)).toBe((130 - 39) * 3);
    expect(verifyAuditChain(s.dbFile)).toEqual({ ok: true, rows: 91 * 3 });
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: true, rows: 91 * 3, archivedRows: 39 * 3, anchor: { seq: 39 * 3 } });
    s.write(s.ev({ after: true }));
    s.writer.close();
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: true, rows: 91 * 3 + 1, archivedRows: 39 * 3 });
  });

  it('verify-audit detects a tampered archive row, a missing middle archive and a missing last archive', async () => {
    const s = populated();
    const archiveDir = join(s.varDir, 'data', 'archive');
    for (let i = 0; i < 4; i++)
      await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 40, batchRows: 50, pause: noPause });
    s.writer.close();
    expect(readdirSync(archiveDir).sort()).toEqual(['audit-2026-01.sqlite', 'audit-2026-02.sqlite', 'audit-2026-03.sqlite']);
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: true });

    const feb = join(archiveDir, 'audit-2026-02.sqlite');
    const raw = new Database(feb);
    const orig = raw.prepare('SELECT seq, payload FROM events ORDER BY seq LIMIT 1 OFFSET 5').get() as { seq: number; payload: string };
    raw.prepare('UPDATE events SET payload = ? WHERE seq = ?').run('{"day":99}', orig.seq);
    raw.close();
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: false, file: feb, reason: 'HASH_MISMATCH', firstBadSeq: orig.seq });
    const fix = new Database(feb);
    fix.prepare('UPDATE events SET payload = ? WHERE seq = ?').run(orig.payload, orig.seq);
    fix.close();
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: true });

    const moved = join(s.varDir, 'feb.sqlite');
    (await import('node:fs')).renameSync(feb, moved);
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: false, file: join(archiveDir, 'audit-2026-03.sqlite'), reason: 'SEQ_GAP' });
    (await import('node:fs')).renameSync(moved, feb);
    unlinkSync(join(archiveDir, 'audit-2026-03.sqlite'));
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: false, reason: 'ANCHOR_NOT_IN_ARCHIVE' });
  });

  it('keeps a standing operator pause live however old it is while archiving goes on past it; the reader still finds the pause, and once resumed a later run deletes the kept copy', async () => {
    let pauseSeq = 0;
    const s = populated((t, day) => {
      if (day === 5) {
        t.write(t.ev({ reason: 'old pause', via: 'offline' }, 'OPERATOR_PAUSED', 'OPERATOR_PAUSE'));
        pauseSeq = 6 * 3 + 1;
      }
    });
    const archiveDir = join(s.varDir, 'data', 'archive');
    const r = await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 90, batchRows: 100, pause: noPause, maxDays: 100 });
    // Every old day is archived: the pause no longer stops retention.
    expect(r.archived.at(-1)!.day).toBe('2026-02-08');
    expect(r.stopped).toBeNull();
    expect(r.archived.find((d) => d.day === '2026-01-06')).toMatchObject({ kept_live: 1, kept_live_why: ['standing operator pause'] });
    expect(count(s.dbFile, `SELECT count(*) AS n FROM events WHERE seq = ${pauseSeq} AND event_type = 'OPERATOR_PAUSED'`)).toBe(1);
    expect(count(join(archiveDir, 'audit-2026-01.sqlite'), `SELECT count(*) AS n FROM events WHERE seq = ${pauseSeq}`)).toBe(1);
    const reader = new AuditReader(s.dbFile);
    expect(reader.operatorPause()).toMatchObject({ reason: 'old pause', seq: pauseSeq });
    reader.close();
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: true, kept: 1, rows: 91 * 3 });
    expect(verifyAuditChain(s.dbFile)).toMatchObject({ ok: true });
    // Once resumed, the pause no longer holds anything live: the next run deletes the kept copy.
    s.write(s.ev({ note: 'done', via: 'offline' }, 'OPERATOR_RESUMED'));
    const r2 = await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 90, batchRows: 100, pause: noPause });
    expect(r2.released).toBe(1);
    expect(count(s.dbFile, `SELECT count(*) AS n FROM events WHERE seq = ${pauseSeq}`)).toBe(0);
    const again = new AuditReader(s.dbFile);
    expect(again.operatorPause()).toBeNull();
    again.close();
    s.writer.close();
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: true, kept: 0 });
  });

  it('an unchanged open position does not stall retention: days after its snapshot are archived, the snapshot and its fills stay live, and engineMemory after archiving still has the position and its counted trade ids', async () => {
    const s = populated((t, day) => {
      if (day === 3) {
        t.write(
          t.ev(
            { symbol: 'BTCUSDT', side: 'BUY', price: '100', qty: '0.5', commission: '0', commission_asset: 'USDT', trade_id: '777', client_order_id: 'vgx1' },
            'FILL_RECORDED',
          ),
          t.ev({ symbol: 'BTCUSDT', qty: '0.5', avg_price: '100', protected: true, opened_ms: t.clock.now }, 'POSITION_UPDATED'),
        );
      }
    });
    const before = new AuditReader(s.dbFile).engineMemory(s.clock.now);
    const archiveDir = join(s.varDir, 'data', 'archive');
    const r = await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 90, batchRows: 100, pause: noPause, maxDays: 100 });
    expect(r.archived).toHaveLength(39);
    expect(r.archived.at(-1)!.day).toBe('2026-02-08');
    expect(r.stopped).toBeNull();
    expect(r.archived[3]).toMatchObject({ day: '2026-01-04', kept_live: 2 });
    const reader = new AuditReader(s.dbFile);
    const after = reader.engineMemory(s.clock.now);
    reader.close();
    expect(after.positions).toEqual(before.positions);
    expect(after.positions[0]).toMatchObject({ symbol: 'BTCUSDT', trade_ids: ['777'] });
    expect(after.lastTradeIds).toEqual({ BTCUSDT: 777 });
    expect(count(s.dbFile, 'SELECT count(*) AS n FROM fills')).toBe(1);
    // Live: the two kept rows and the 91 days inside retention.
    expect(count(s.dbFile)).toBe(2 + 91 * 3);
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: true, kept: 2, rows: 91 * 3 });
  });

  it('verify-audit finds a kept-live row edited in the live database, and one whose archived copy differs', async () => {
    const s = populated((t, day) => {
      if (day === 5) t.write(t.ev({ reason: 'old pause', via: 'offline' }, 'OPERATOR_PAUSED', 'OPERATOR_PAUSE'));
    });
    const archiveDir = join(s.varDir, 'data', 'archive');
    await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 90, batchRows: 100, pause: noPause, maxDays: 100 });
    s.writer.close();
    const seq = 6 * 3 + 1;
    const raw = new Database(s.dbFile);
    raw.prepare('UPDATE events SET payload = ? WHERE seq = ?').run('{"reason":"forged","via":"offline"}', seq);
    raw.close();
    expect(verifyAuditChain(s.dbFile)).toMatchObject({ ok: false, firstBadSeq: seq, reason: 'HASH_MISMATCH' });
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: false, firstBadSeq: seq, reason: 'HASH_MISMATCH' });
    // Restored live, but the archive lost its copy: the kept row is no longer backed by the archive.
    const fix = new Database(s.dbFile);
    fix.prepare('UPDATE events SET payload = ? WHERE seq = ?').run('{"reason":"old pause","via":"offline"}', seq);
    fix.close();
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: true, kept: 1 });
    const arch = new Database(join(archiveDir, 'audit-2026-01.sqlite'));
    const row = arch.prepare('SELECT hash FROM events WHERE seq = ?').get(seq) as { hash: string };
    arch.prepare('UPDATE events SET hash = ? WHERE seq = ?').run('0'.repeat(64), seq);
    arch.close();
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: false });
    expect(row.hash).toHaveLength(64);
  });

  it('moves resolved intents and terminal orders older than retention to the archive, and keeps an unsettled (SENT_UNKNOWN) intent, a confirmed intent with its order still open, and their INTENT_CREATED events live', async () => {
    const intent = (t: ReturnType<typeof auditSetup>, id: string, coid: string): void =>
      t.write({ ...t.ev({ symbol: 'BTCUSDT', side: 'BUY', client_order_id: coid, kind: 'ENTRY' }, 'INTENT_CREATED'), order_intent_id: id });
    const state = (t: ReturnType<typeof auditSetup>, id: string, from: string, to: string): void =>
      t.write({ ...t.ev({ from, to }, 'INTENT_STATE_CHANGED'), order_intent_id: id });
    const order = (t: ReturnType<typeof auditSetup>, id: string, coid: string, status: string): void =>
      t.write({
        ...t.ev(
          {
            client_order_id: coid,
            symbol: 'BTCUSDT',
            side: 'BUY',
            type: 'LIMIT',
            status,
            price: '100',
            orig_qty: '1',
            executed_qty: '0',
            exchange_order_id: '1',
          },
          'ORDER_UPDATED',
        ),
        order_intent_id: id,
      });
    const s = populated((t, day) => {
      if (day !== 2) return;
      intent(t, 'oi_done', 'vgdone');
      state(t, 'oi_done', 'CREATED', 'CONFIRMED');
      order(t, 'oi_done', 'vgdone', 'NEW');
      order(t, 'oi_done', 'vgdone', 'FILLED');
      intent(t, 'oi_failed', 'vgfail');
      state(t, 'oi_failed', 'CREATED', 'FAILED_TERMINAL');
      intent(t, 'oi_unknown', 'vgunk');
      state(t, 'oi_unknown', 'CREATED', 'SENT_UNKNOWN');
      intent(t, 'oi_open', 'vgopen');
      state(t, 'oi_open', 'CREATED', 'CONFIRMED');
      order(t, 'oi_open', 'vgopen', 'NEW');
    });
    const archiveDir = join(s.varDir, 'data', 'archive');
    const r = await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 90, batchRows: 100, pause: noPause, maxDays: 100 });
    expect(r.stopped).toBeNull();
    expect(r.pruned).toEqual({ intents: 2, orders: 1 });
    const ids = (file: string, sql: string): string[] => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare(sql).all() as { id: string }[]).map((x) => x.id).sort();
      } finally {
        db.close();
      }
    };
    expect(ids(s.dbFile, 'SELECT order_intent_id AS id FROM order_intents')).toEqual(['oi_open', 'oi_unknown']);
    expect(ids(s.dbFile, 'SELECT client_order_id AS id FROM orders')).toEqual(['vgopen']);
    const jan = join(archiveDir, 'audit-2026-01.sqlite');
    expect(ids(jan, 'SELECT order_intent_id AS id FROM order_intents')).toEqual(['oi_done', 'oi_failed']);
    expect(ids(jan, 'SELECT client_order_id AS id FROM orders')).toEqual(['vgdone']);
    // The live intents' INTENT_CREATED (and the open order's last update) stay live, kept below the anchor.
    expect(ids(s.dbFile, "SELECT order_intent_id AS id FROM events WHERE event_type = 'INTENT_CREATED'")).toEqual(['oi_open', 'oi_unknown']);
    expect(ids(s.dbFile, "SELECT json_extract(payload, '$.client_order_id') AS id FROM events WHERE event_type = 'ORDER_UPDATED'")).toEqual(['vgopen']);
    const reader = new AuditReader(s.dbFile);
    expect(reader.engineMemory(s.clock.now).intents.map((i) => i.order_intent_id)).toEqual(['oi_unknown']);
    reader.close();
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: true, kept: 3 });
    // Once the open order is filled, the next run moves the intent and the order too.
    order(s, 'oi_open', 'vgopen', 'FILLED');
    s.write(s.ev({ after: 'fill' })); // the newest event always stays live
    s.clock.now += 91 * D;
    const r2 = await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 90, batchRows: 100, pause: noPause, maxDays: 200 });
    expect(r2.pruned).toEqual({ intents: 1, orders: 1 });
    expect(ids(s.dbFile, 'SELECT order_intent_id AS id FROM order_intents')).toEqual(['oi_unknown']);
  });
});
