import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { listBackups } from './backup.js';
import { nextBackupAt, nextSlotAfter } from './backup-schedule.js';
import { auditSetup } from './testing-setup.test-helper.js';
import { verifyDatabaseCopy } from './verify.js';

const H = 3_600_000;
const D = 24 * H;
const at = (iso: string): number => Date.parse(iso);
const CFG = { backup_at_utc: '03:30', backup_interval_ms: D, backup_retry_ms: H };

describe('nextBackupAt (pure schedule)', () => {
  it('is due at once when no backup exists', () => {
    expect(nextBackupAt({ nowMs: at('2026-01-10T12:00:00Z'), lastBackupMs: null, lastFailureMs: null, config: CFG })).toBe(at('2026-01-10T12:00:00Z'));
  });

  it('is the next 03:30 UTC slot after a backup taken at the previous slot', () => {
    expect(nextBackupAt({ nowMs: at('2026-01-10T12:00:00Z'), lastBackupMs: at('2026-01-10T03:30:00Z'), lastFailureMs: null, config: CFG })).toBe(
      at('2026-01-11T03:30:00Z'),
    );
  });

  it('catches up at once a slot missed while the bot was down (restart after 03:30, last backup the day before)', () => {
    expect(nextBackupAt({ nowMs: at('2026-01-11T05:00:00Z'), lastBackupMs: at('2026-01-10T03:30:00Z'), lastFailureMs: null, config: CFG })).toBe(
      at('2026-01-11T05:00:00Z'),
    );
  });

  it('is due at once when the newest backup is older than backup_interval_ms, even before the next slot', () => {
    const cfg = { ...CFG, backup_interval_ms: 6 * H };
    expect(nextBackupAt({ nowMs: at('2026-01-10T12:00:00Z'), lastBackupMs: at('2026-01-10T04:00:00Z'), lastFailureMs: null, config: cfg })).toBe(
      at('2026-01-10T12:00:00Z'),
    );
  });

  it('waits backup_retry_ms after a failure newer than the newest backup', () => {
    expect(nextBackupAt({ nowMs: at('2026-01-10T12:10:00Z'), lastBackupMs: null, lastFailureMs: at('2026-01-10T12:00:00Z'), config: CFG })).toBe(
      at('2026-01-10T13:00:00Z'),
    );
    // A failure older than the newest backup no longer delays anything.
    expect(
      nextBackupAt({ nowMs: at('2026-01-10T12:00:00Z'), lastBackupMs: at('2026-01-10T03:30:00Z'), lastFailureMs: at('2026-01-10T03:00:00Z'), config: CFG }),
    ).toBe(at('2026-01-11T03:30:00Z'));
  });

  it('takes the slot of the same day when the backup was before it, and of the next day when at or after it', () => {
    expect(nextSlotAfter(at('2026-01-10T01:00:00Z'), '03:30')).toBe(at('2026-01-10T03:30:00Z'));
    expect(nextSlotAfter(at('2026-01-10T03:30:00Z'), '03:30')).toBe(at('2026-01-11T03:30:00Z'));
    expect(nextSlotAfter(at('2026-01-10T23:59:00Z'), '00:00')).toBe(at('2026-01-11T00:00:00Z'));
  });
});

function backupEvents(dbFile: string): { event_type: string; reason_code: string | null; payload: Record<string, unknown> }[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (
      db.prepare("SELECT event_type, reason_code, payload FROM events WHERE event_type LIKE 'BACKUP_%' ORDER BY seq").all() as {
        event_type: string;
        reason_code: string | null;
        payload: string;
      }[]
    ).map((r) => ({
      ...r,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
    }));
  } finally {
    db.close();
  }
}

/** A writer with retention on (90 days) holding two days old enough to leave and today's event (the newest stays live). */
function withOldDays(): { s: ReturnType<typeof auditSetup>; now: number } {
  const s = auditSetup({ retention_enabled: true, retention_days: 90 });
  const now = s.clock.now;
  for (const ago of [120, 119]) {
    s.clock.now = now - ago * D;
    s.write(s.ev({ ago }));
  }
  s.clock.now = now;
  s.write(s.ev({ today: true }));
  return { s, now };
}

describe('Housekeeper backups (real writer and SQLite file, test clock)', () => {
  it('backs up at start when var/backup holds none, verifies the copy and records BACKUP_DONE with bytes, duration_ms and the path relative to var/', async () => {
    const s = auditSetup();
    s.write(s.ev({ n: 1 }), s.ev({ n: 2 }));
    const hk = s.housekeeper();
    expect(hk.nextDue()).toBe(s.clock.now);
    await hk.tick();
    const files = listBackups(join(s.varDir, 'backup'));
    expect(files.map((f) => f.name)).toEqual(['audit-20260110T120000Z.sqlite']);
    expect(verifyDatabaseCopy(files[0]!.file)).toEqual({ ok: true, rows: 2 });
    const evs = backupEvents(s.dbFile);
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ event_type: 'BACKUP_DONE', payload: { path: 'backup/audit-20260110T120000Z.sqlite', verified_rows: 2 } });
    expect(evs[0]!.payload['bytes']).toBeGreaterThan(0);
    expect(typeof evs[0]!.payload['duration_ms']).toBe('number');
    // One self-contained file: no .partial, no -wal/-shm beside it.
    expect(readdirSync(join(s.varDir, 'backup'))).toEqual(['audit-20260110T120000Z.sqlite']);
  });

  it('waits for BACKUP_DONE to be committed before retention moves anything, and for each AUDIT_ARCHIVED before the next day (a record only queued is lost with a writer replaced meanwhile)', async () => {
    const { s } = withOldDays();
    const order: string[] = [];
    const hk = s.housekeeper(
      {},
      {
        // The commit comes 20 ms after the queueing, as the worker's would on a later turn.
        submit: (e) =>
          new Promise<void>((resolve) => {
            setTimeout(() => {
              s.writer.enqueue([e]);
              s.writer.drainAll();
              order.push(`committed ${e.event_type}`);
              resolve();
            }, 20);
          }),
        pause: async () => void order.push('retention batch'),
      },
    );
    await hk.tick();
    expect(order[0]).toBe('committed BACKUP_DONE');
    expect(order).toContain('retention batch');
    expect(order.filter((x) => x === 'committed AUDIT_ARCHIVED')).toHaveLength(2);
    // Each day's record is committed as soon as that day has left, before the next day moves.
    expect(order.indexOf('committed AUDIT_ARCHIVED')).toBeLessThan(order.lastIndexOf('retention batch'));
  });

  it('resumes at start the retention a run left undone after its backup: old days leave without a second backup, at the first tick only', async () => {
    const { s, now } = withOldDays();
    // The last run's backup (verified), its retention never ran: a writer replaced right after it.
    const hk0 = s.housekeeper();
    await hk0.backup();
    const archived = (): number =>
      (new Database(s.dbFile, { readonly: true }).prepare("SELECT count(*) AS n FROM events WHERE event_type = 'AUDIT_ARCHIVED'").get() as { n: number }).n;
    expect(archived()).toBe(0);
    s.clock.now = now + H;
    const hk = s.housekeeper();
    expect(hk.nextDue()).toBeGreaterThan(s.clock.now); // no backup due
    await hk.tick();
    expect(archived()).toBe(2);
    expect(listBackups(join(s.varDir, 'backup'))).toHaveLength(1);
    // Only the first tick of a run does that: a later one waits for the slot.
    s.write(s.ev({ later: true }));
    await hk.tick();
    expect(archived()).toBe(2);
  });

  it('a bot restarted every day before 24 h of uptime still backs up daily: the schedule comes from the files, not from the start time', async () => {
    const s = auditSetup({}, at('2026-01-10T12:00:00Z'));
    s.write(s.ev());
    await s.housekeeper().tick();
    // Restarted 4 h later: the newest backup is recent and the next slot is tomorrow: nothing to do.
    s.clock.now = at('2026-01-10T16:00:00Z');
    const second = s.housekeeper();
    expect(second.nextDue()).toBe(at('2026-01-11T03:30:00Z'));
    await second.tick();
    expect(listBackups(join(s.varDir, 'backup'))).toHaveLength(1);
    // Restarted again the next morning after the slot, well before 24 h of uptime: a backup at once.
    s.clock.now = at('2026-01-11T04:00:00Z');
    await s.housekeeper().tick();
    expect(listBackups(join(s.varDir, 'backup')).map((b) => b.name)).toEqual(['audit-20260110T120000Z.sqlite', 'audit-20260111T040000Z.sqlite']);
  });

  it('keeps only backup_keep_count backups (the newest ones)', async () => {
    const s = auditSetup({ backup_keep_count: 3 }, at('2026-01-10T03:30:00Z'));
    for (let d = 0; d < 5; d++) {
      s.write(s.ev({ d }));
      await s.housekeeper({ backup_keep_count: 3 }).tick();
      s.clock.now += D;
    }
    expect(listBackups(join(s.varDir, 'backup')).map((b) => b.name)).toEqual([
      'audit-20260112T033000Z.sqlite',
      'audit-20260113T033000Z.sqlite',
      'audit-20260114T033000Z.sqlite',
    ]);
    expect(backupEvents(s.dbFile).at(-1)!.payload['pruned']).toEqual(['audit-20260111T033000Z.sqlite']);
  });

  it('skips the backup on low disk (incident 9) with a BACKUP_SKIPPED event carrying BACKUP_SKIPPED_LOW_DISK, and retries after backup_retry_ms', async () => {
    const s = auditSetup({ disk_free_degrade_bytes: 1e15, disk_free_pause_bytes: 0 });
    s.write(s.ev());
    s.writer.sampleDisk();
    const hk = s.housekeeper();
    await hk.tick();
    expect(existsSync(join(s.varDir, 'backup'))).toBe(false);
    const evs = backupEvents(s.dbFile);
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ event_type: 'BACKUP_SKIPPED', reason_code: 'BACKUP_SKIPPED_LOW_DISK', payload: { disk_free_degrade_bytes: 1e15 } });
    expect(s.reasons.has('BACKUP_SKIPPED_LOW_DISK')).toBe(true);
    expect(hk.nextDue()).toBe(s.clock.now + H);
  });

  it('on low disk frees space first: every backup but the newest is deleted, and the BACKUP_SKIPPED event lists them', async () => {
    const s = auditSetup({}, at('2026-01-10T03:30:00Z'));
    for (let d = 0; d < 3; d++) {
      s.write(s.ev({ d }));
      await s.housekeeper().tick();
      s.clock.now += D;
    }
    expect(listBackups(join(s.varDir, 'backup'))).toHaveLength(3);
    const low = s.housekeeper({ disk_free_degrade_bytes: 1e15, disk_free_pause_bytes: 0 });
    await low.tick();
    expect(listBackups(join(s.varDir, 'backup')).map((b) => b.name)).toEqual(['audit-20260112T033000Z.sqlite']);
    const skipped = backupEvents(s.dbFile).at(-1)!;
    expect(skipped).toMatchObject({ event_type: 'BACKUP_SKIPPED', reason_code: 'BACKUP_SKIPPED_LOW_DISK' });
    expect(skipped.payload['pruned']).toEqual(['audit-20260110T033000Z.sqlite', 'audit-20260111T033000Z.sqlite']);
  });

  it('skips a backup that would itself take the free space below the DEGRADE mark (copy size = database + WAL), while the disk is not yet low', async () => {
    const s = auditSetup();
    for (let i = 0; i < 8; i++) s.write(...Array.from({ length: 500 }, (_, j) => s.ev({ i, j, pad: 'y'.repeat(2000) })));
    const sample = s.writer.sampleDisk();
    const dbSize = sample.db_bytes + sample.wal_bytes;
    expect(dbSize).toBeGreaterThan(8_000_000);
    // The DEGRADE mark half a database below the free space: not low now, but after a copy it would be.
    const hk = s.housekeeper({ disk_free_degrade_bytes: sample.free_bytes - Math.floor(dbSize / 2) });
    await hk.tick();
    expect(s.writer.diskLow()).toBe(false);
    expect(listBackups(join(s.varDir, 'backup'))).toEqual([]);
    expect(backupEvents(s.dbFile)).toMatchObject([
      { event_type: 'BACKUP_SKIPPED', reason_code: 'BACKUP_SKIPPED_LOW_DISK', payload: { backup_needs_bytes: expect.any(Number) } },
    ]);
  });

  it('refuses a copy whose hash chain is broken: BACKUP_FAILED (CHAIN_BROKEN, BACKUP_VERIFY_FAILED), no backup file left, retried after backup_retry_ms', async () => {
    const s = auditSetup();
    s.write(s.ev({ n: 1 }), s.ev({ n: 2 }), s.ev({ n: 3 }));
    // Someone edits a row of the live database behind the writer's back.
    const raw = new Database(s.dbFile);
    raw.prepare('UPDATE events SET payload = \'{"n":9}\' WHERE seq = 2').run();
    raw.close();
    const hk = s.housekeeper();
    await hk.tick();
    expect(listBackups(join(s.varDir, 'backup'))).toEqual([]);
    expect(readdirSync(join(s.varDir, 'backup'))).toEqual([]);
    const evs = backupEvents(s.dbFile);
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({
      event_type: 'BACKUP_FAILED',
      reason_code: 'BACKUP_VERIFY_FAILED',
      payload: { failure: 'CHAIN_BROKEN', path: 'backup/audit-20260110T120000Z.sqlite' },
    });
    expect(s.reasons.has('BACKUP_VERIFY_FAILED')).toBe(true);
    expect(hk.nextDue()).toBe(s.clock.now + H);
  });
});
