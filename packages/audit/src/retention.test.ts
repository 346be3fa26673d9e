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

  it('keeps a standing operator pause live however old it is: archiving stops before it and the reader still finds the pause', async () => {
    const s = populated((t, day) => {
      if (day === 5) t.write(t.ev({ reason: 'old pause', via: 'offline' }, 'OPERATOR_PAUSED', 'OPERATOR_PAUSE'));
    });
    const archiveDir = join(s.varDir, 'data', 'archive');
    const r = await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 90, batchRows: 100, pause: noPause });
    expect(r.archived.map((d) => d.day)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04', '2026-01-05', '2026-01-06']);
    expect(r.archived.at(-1)!.partial).toBe(true);
    expect(r.stopped).toMatchObject({ day: '2026-01-06', why: expect.stringContaining('standing operator pause') });
    const reader = new AuditReader(s.dbFile);
    expect(reader.operatorPause()).toMatchObject({ reason: 'old pause' });
    reader.close();
    expect(verifyAuditSet(s.dbFile, archiveDir)).toMatchObject({ ok: true });
    // Once resumed, the pause no longer holds anything live: archiving goes on past it.
    s.write(s.ev({ note: 'done', via: 'offline' }, 'OPERATOR_RESUMED'));
    const r2 = await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 90, batchRows: 100, pause: noPause });
    expect(r2.archived[0]).toMatchObject({ day: '2026-01-06', partial: false });
    const again = new AuditReader(s.dbFile);
    expect(again.operatorPause()).toBeNull();
    again.close();
  });

  it('keeps an open position snapshot and its fills live, so engineMemory after archiving still has the position and its counted trade ids', async () => {
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
    const r = await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 90, batchRows: 100, pause: noPause });
    expect(r.archived.map((d) => d.day)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04']);
    expect(r.stopped?.why).toContain('BTCUSDT');
    const reader = new AuditReader(s.dbFile);
    const after = reader.engineMemory(s.clock.now);
    reader.close();
    expect(after.positions).toEqual(before.positions);
    expect(after.positions[0]).toMatchObject({ symbol: 'BTCUSDT', trade_ids: ['777'] });
    expect(after.lastTradeIds).toEqual({ BTCUSDT: 777 });
    expect(count(s.dbFile, 'SELECT count(*) AS n FROM fills')).toBe(1);
  });
});
