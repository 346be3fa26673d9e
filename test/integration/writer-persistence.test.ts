import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startSupervisor, waitFor } from './harness.js';

/**
 * Incident 6 of the operations rules: a full writer queue that persists is PAUSE "and require
 * action". The audit database is held under an exclusive lock from outside, so the writer cannot
 * commit and its queue fills; past audit_writer_full_persistent_ms the writer raises
 * DB_WRITER_QUEUE_FULL_PERSISTENT. After the lock is gone and the queue has drained, the
 * transient reason clears by itself but the persistent one holds PAUSE until an operator acts.
 */
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('persistent writer pressure', () => {
  it('a writer queue FULL beyond audit_writer_full_persistent_ms raises DB_WRITER_QUEUE_FULL_PERSISTENT (PAUSE), which outlasts the drained queue and the stability window', async () => {
    const s = await startSupervisor({
      audit: {
        busy_timeout_ms: 20,
        db_busy_persistent_ms: 600_000,
        audit_writer_queue_capacity: 100,
        audit_writer_queue_high_pct: 5,
        audit_writer_queue_full_pct: 10,
        audit_writer_full_persistent_ms: 1000,
      },
    });
    cleanup.push(s.stop);
    const lock = new Database(join(s.varDir, 'data', 'audit.sqlite'));
    lock.exec('BEGIN EXCLUSIVE');
    let locked = true;
    cleanup.push(async () => {
      if (locked) lock.exec('ROLLBACK');
      lock.close();
    });
    const active = (code: string): boolean => s.sup.modeState.reasons.some((r) => r.code === code);
    await waitFor('DB_WRITER_QUEUE_FULL', () => active('DB_WRITER_QUEUE_FULL'), 20_000, 20);
    await waitFor('DB_WRITER_QUEUE_FULL_PERSISTENT', () => active('DB_WRITER_QUEUE_FULL_PERSISTENT'), 10_000, 20);
    expect(s.sup.modeState.mode).toBe('PAUSE');
    const r = s.sup.modeState.reasons.find((x) => x.code === 'DB_WRITER_QUEUE_FULL_PERSISTENT')!;
    expect(r.detail).toMatchObject({ limit_ms: 1000 });

    lock.exec('ROLLBACK');
    locked = false;
    await waitFor('the queue drained', () => !active('DB_WRITER_QUEUE_FULL'), 20_000, 20);
    // Well past the stability window (300 ms here): the persistent reason still holds PAUSE.
    await new Promise((res) => setTimeout(res, 1500));
    expect(active('DB_WRITER_QUEUE_FULL_PERSISTENT')).toBe(true);
    expect(s.sup.modeState.mode).toBe('PAUSE');
    // The source cannot clear it; only an operator can.
    expect(s.sup.authority.clear('DB_WRITER_QUEUE_FULL_PERSISTENT', 'audit')).toEqual({ ok: false, why: 'MANUAL_CLEAR_REQUIRED' });
  }, 60_000);
});
