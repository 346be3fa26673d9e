import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Supervisor } from '../../apps/supervisor/src/supervisor.js';
import { startSupervisor, waitFor } from './harness.js';

/**
 * Bulk audit rows in flight to a writer that dies (in its port, or queued and not committed) are
 * re-sent to the next writer and land exactly once. Real threads, the real SQLite file: the writer
 * is terminated, or frozen until the supervisor declares it stalled and replaces it, in the middle
 * of a storm of the supervisor's own bulk appends, and every storm row is counted in the database.
 */
let stopCurrent: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stopCurrent?.();
  stopCurrent = null;
});

const STORM_ROWS = 4000;

function stormRowsInDb(varDir: string, tag: string): { rows: number; uniq: number } {
  const db = new Database(join(varDir, 'data', 'audit.sqlite'), { readonly: true });
  try {
    return db
      .prepare(
        "SELECT count(*) AS rows, count(DISTINCT json_extract(payload, '$.storm_i')) AS uniq FROM events WHERE event_type = 'HEALTH_SAMPLED' AND json_extract(payload, '$.storm') = ?",
      )
      .get(tag) as { rows: number; uniq: number };
  } finally {
    db.close();
  }
}

/** Appends `n` bulk rows tagged `tag` and lets the batch leave (one microtask). */
async function storm(sup: Supervisor, tag: string, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) sup.audit.append(sup.events.make('HEALTH_SAMPLED', { storm: tag, storm_i: i }));
  await Promise.resolve();
}

/**
 * Waits for a writer other than `threadBefore`, then flushes through it. On this loaded machine the
 * new writer may itself be replaced (declared stalled) meanwhile: the rows must land anyway, so the
 * flush is tried again on the next writer.
 */
async function settledAfterRestart(sup: Supervisor, threadBefore: number): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    await waitFor(
      'a new audit writer',
      () => sup.hosts.audit.state === 'running' && sup.hosts.audit.threadId !== threadBefore && sup.audit.attached,
      30_000,
      10,
    );
    try {
      await sup.audit.flush();
      return;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if ((code !== 'CHANNEL_CLOSED' && code !== 'AUDIT_DETACHED') || Date.now() > end) throw e;
    }
  }
}

/** Stall bounds for a loaded 2-core machine: a writer busy re-committing is not declared stalled. */
const TOLERANT = { supervisor: { heartbeat_interval_ms: 500, worker_stall_timeout_ms: 1000 } };

describe('audit rows in flight across an audit-writer restart', () => {
  it('every bulk row sent to a writer that is terminated mid-storm is in the database exactly once, none counted as dropped', async () => {
    const { sup, varDir, stop } = await startSupervisor(TOLERANT);
    stopCurrent = stop;
    const before = sup.hosts.audit.threadId;
    await storm(sup, 'kill', 0, STORM_ROWS);
    // Terminated while the frame is in its port or its queue: it cannot have committed it all.
    await sup.hosts.audit.kill();
    // More rows while no writer is attached: held, then sent to the new writer after the re-sent ones.
    await storm(sup, 'kill', STORM_ROWS, 500);
    await settledAfterRestart(sup, before);
    const c = sup.audit.counters();
    expect(c.resent).toBeGreaterThan(0);
    expect(c.dropped).toBe(0);
    expect(c.in_flight).toBe(0);
    expect(stormRowsInDb(varDir, 'kill')).toEqual({ rows: STORM_ROWS + 500, uniq: STORM_ROWS + 500 });
  }, 60_000);

  it('every bulk row sent to a writer frozen until the supervisor replaces it as stalled is in the database exactly once', async () => {
    const { sup, varDir, config, stop } = await startSupervisor(TOLERANT);
    stopCurrent = stop;
    const before = sup.hosts.audit.threadId;
    // Frozen for longer than the stall bound: the supervisor terminates it and starts another.
    await sup.hosts.audit.request('fault', { fault: { kind: 'block', ms: config.supervisor.worker_stall_timeout_ms * 4 } });
    for (let k = 0; k < 8; k++) await storm(sup, 'stall', k * 500, 500);
    await waitFor('the stalled writer declared', () => sup.authority.isActive('AUDIT_WORKER_STALLED') || sup.hosts.audit.threadId !== before, 15_000, 10);
    await settledAfterRestart(sup, before);
    const c = sup.audit.counters();
    expect(c.resent).toBeGreaterThan(0);
    expect(c.dropped).toBe(0);
    expect(stormRowsInDb(varDir, 'stall')).toEqual({ rows: 4000, uniq: 4000 });
  }, 60_000);
});
