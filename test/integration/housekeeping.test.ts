import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditWriter, listBackups, verifyAuditSet } from '@vigil/audit';
import { type EventEnvelope, type EventType, type JsonObject, type ReasonCode, envelopeOf } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { startSupervisor, waitFor } from './harness.js';

/**
 * The real audit worker (inside a real supervisor) on a var/ that already holds 120 days of
 * history: at start it takes a backup (none on disk), verifies it and records BACKUP_DONE, then
 * archives the days older than retention_days, keeping the standing operator pause live. A restart
 * on the archived var/ still restores the pause, takes no second backup, and the chain verifies.
 */
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const D = 86_400_000;

function seed(varDir: string): void {
  const r = parseConfig({ audit: { synchronous: 'NORMAL' } });
  if (!r.ok) throw new Error('config');
  const clock = { now: 0 };
  const w = new AuditWriter({
    dbFile: join(varDir, 'data', 'audit.sqlite'),
    jsonlDir: join(varDir, 'jsonl'),
    config: r.config.audit,
    now: () => clock.now,
    setReason: () => {},
  });
  w.open();
  const ev = (type: EventType, payload: JsonObject, reason: ReasonCode | null = null): EventEnvelope =>
    envelopeOf({ ts_ms: clock.now, run_id: 'run_old', source: 'supervisor', event_type: type, reason_code: reason, payload });
  const today = Date.now() - (Date.now() % D);
  for (let ago = 120; ago >= 96; ago--) {
    clock.now = today - ago * D + 3_600_000;
    const evs = [ev('HEALTH_SAMPLED', { ago }), ev('HEALTH_SAMPLED', { ago, i: 2 })];
    // First thing of its day: archived with its day but kept live (it pins), without stopping retention.
    if (ago === 97) evs.unshift(ev('OPERATOR_PAUSED', { reason: 'paused long ago', via: 'offline' }, 'OPERATOR_PAUSE'));
    w.enqueue(evs);
    w.drainAll();
  }
  w.close();
}

const query = (file: string, sql: string): Record<string, unknown>[] => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
};

describe('audit worker housekeeping (real supervisor, real SQLite)', () => {
  it('backs up at start (none on disk) with BACKUP_DONE, archives every day older than retention_days after it while keeping the standing pause live; a restart restores the pause, takes no second backup, and archives + live verify as one chain', async () => {
    const varDir = mkdtempSync(join(tmpdir(), 'vigil-hk-'));
    seed(varDir);
    const dbFile = join(varDir, 'data', 'audit.sqlite');
    const archiveDir = join(varDir, 'data', 'archive');
    const opts = { paths: { var_dir: varDir }, audit: { retention_days: 90, backup_enabled: true } };

    const first = await startSupervisor(opts);
    let stopped = false;
    cleanup.push(async () => {
      if (!stopped) await first.stop();
    });
    const done = await waitFor('BACKUP_DONE', () => query(dbFile, "SELECT payload FROM events WHERE event_type = 'BACKUP_DONE'")[0], 30_000, 100);
    const p = JSON.parse(done['payload'] as string) as Record<string, unknown>;
    expect(p['path']).toMatch(/^backup\/audit-\d{8}T\d{6}Z\.sqlite$/);
    expect(p['bytes']).toBeGreaterThan(0);
    expect(listBackups(join(varDir, 'backup'))).toHaveLength(1);
    // Days 120..96 ago are all archived (older than 90 whole days); the pause of day 97 ago stays live too.
    await waitFor('AUDIT_ARCHIVED', () => query(dbFile, "SELECT count(*) AS n FROM events WHERE event_type = 'AUDIT_ARCHIVED'")[0]!['n'] === 25, 60_000, 100);
    expect(first.sup.modeState.reasons.some((r) => r.code === 'OPERATOR_PAUSE')).toBe(true);
    expect(query(dbFile, "SELECT count(*) AS n FROM events WHERE run_id = 'run_old' AND event_type = 'HEALTH_SAMPLED'")).toEqual([{ n: 0 }]);
    expect(query(dbFile, "SELECT count(*) AS n FROM events WHERE run_id = 'run_old' AND event_type = 'OPERATOR_PAUSED'")).toEqual([{ n: 1 }]);
    await first.stop();
    stopped = true;

    const second = await startSupervisor(opts);
    cleanup.push(second.stop);
    expect(second.sup.modeState.reasons.find((r) => r.code === 'OPERATOR_PAUSE')).toMatchObject({ detail: { reason: 'paused long ago' } });
    await new Promise((r) => setTimeout(r, 1500));
    expect(listBackups(join(varDir, 'backup'))).toHaveLength(1);
    await second.stop();
    cleanup = [];
    expect(verifyAuditSet(dbFile, archiveDir)).toMatchObject({ ok: true, archivedRows: 25 * 2 + 1, kept: 1 });
  }, 120_000);
});
