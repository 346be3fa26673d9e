import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSupervisor, waitFor } from './harness.js';

/**
 * Reason codes the supervisor raises about its own workers and its own shutdown, made to happen
 * with real worker threads and a real audit database (no reason is raised by the test itself).
 */
let stopCurrent: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stopCurrent?.();
  stopCurrent = null;
});

type Ev = { seq: number; event_type: string; reason_code: string | null; payload: string };
const rows = (varDir: string, sql: string): Ev[] => {
  const d = new Database(join(varDir, 'data', 'audit.sqlite'), { readonly: true });
  try {
    return d.prepare(sql).all() as Ev[];
  } finally {
    d.close();
  }
};

describe('worker and shutdown reason codes', () => {
  it('an uncaught error in the gateway thread raises WORKER_ERROR (PAUSE) and the audit records it', async () => {
    const s = await startSupervisor();
    stopCurrent = s.stop;
    const { sup, varDir } = s;
    await waitFor('gateway heartbeat', () => sup.hosts.gateway.lastHeartbeat, 5000);
    // The thread may die before its reply is read: a closed channel is an acceptable answer here.
    await sup.hosts.gateway.request('fault', { fault: { kind: 'throw', message: 'gateway boom (test)' } }).catch((e: { code?: string }) => {
      if (e.code !== 'CHANNEL_CLOSED') throw e;
    });
    await waitFor('WORKER_ERROR active', () => sup.authority.isActive('WORKER_ERROR', 'gateway'), 5000, 5);
    expect(sup.modeState.mode).toBe('PAUSE');
    const raised = await waitFor(
      'the raise audited',
      () => rows(varDir, "SELECT * FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = 'WORKER_ERROR'")[0],
      5000,
      50,
    );
    expect(JSON.stringify(JSON.parse(raised.payload))).toContain('gateway boom (test)');
  });

  it('a worker that keeps dying beyond restart_max_in_window raises WORKER_RESTART_EXHAUSTED and is not restarted again', async () => {
    const s = await startSupervisor({ supervisor: { restart_max_in_window: 1, restart_window_ms: 60_000 } });
    stopCurrent = s.stop;
    const { sup, varDir } = s;
    await waitFor('engine heartbeat', () => sup.hosts.engine.lastHeartbeat, 5000);
    await sup.hosts.engine.kill();
    // The one allowed restart.
    await waitFor('engine restarted', () => sup.hosts.engine.state === 'running', 10_000, 20);
    expect(sup.authority.isActive('WORKER_RESTART_EXHAUSTED', 'engine')).toBe(false);
    await sup.hosts.engine.kill();
    await waitFor('WORKER_RESTART_EXHAUSTED', () => sup.authority.isActive('WORKER_RESTART_EXHAUSTED', 'engine'), 5000, 5);
    expect(sup.modeState.mode).toBe('PAUSE');
    // Manual: no further restart is scheduled, the thread stays down.
    await new Promise((r) => setTimeout(r, 1000));
    expect(sup.hosts.engine.state).not.toBe('running');
    await waitFor(
      'the raise audited',
      () => rows(varDir, "SELECT * FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = 'WORKER_RESTART_EXHAUSTED'")[0],
      5000,
      50,
    );
  });

  it('an orderly stop raises SHUTDOWN_REQUESTED before the run ends, as audited', async () => {
    const s = await startSupervisor();
    const { sup, varDir } = s;
    await waitFor('audit heartbeat', () => sup.hosts.audit.lastHeartbeat, 5000);
    await s.stop();
    const all = rows(varDir, 'SELECT * FROM events ORDER BY seq');
    const raised = all.find((e) => e.event_type === 'REASON_RAISED' && e.reason_code === 'SHUTDOWN_REQUESTED');
    expect(raised).toBeDefined();
    expect(JSON.parse(raised!.payload)).toMatchObject({ detail: { reason: 'test end' } });
    const stopped = all.find((e) => e.event_type === 'RUN_STOPPED');
    expect(stopped).toBeDefined();
    expect(raised!.seq).toBeLessThan(stopped!.seq);
  });
});
