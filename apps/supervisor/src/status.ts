import { join } from 'node:path';
import { AuditReader } from '@vigil/audit';
import { WORKERS, type JsonObject } from '@vigil/contracts';
import type { PanelSource } from './panel/app.js';
import { createMetrics } from './panel/metrics.js';
import type { Supervisor } from './supervisor.js';

/** The supervisor's state as the panel and /api/health read it: plain data, computed on demand. */
export function supervisorPanelSource(sup: Supervisor, runId: string, varDir: string): PanelSource {
  const registry = createMetrics(sup);
  let reader: AuditReader | null = null;
  // Opened on first use: the writer creates the file; a reader failure shows as an empty list, and
  // the audit's own health (heartbeat metrics, reasons) says why.
  const read = <T>(fn: (r: AuditReader) => T, fallback: T): T => {
    try {
      reader ??= new AuditReader(join(varDir, 'data', 'audit.sqlite'));
      return fn(reader);
    } catch {
      reader?.close();
      reader = null;
      return fallback;
    }
  };
  return {
    alerts: () => read((r) => r.alerts(0, 50) as unknown as JsonObject[], []),
    stages: () => read((r) => r.stageChanges(20) as unknown as JsonObject[], []),
    reconcile: () =>
      read<JsonObject>(
        (r) => ({ last: (r.lastReconcile() ?? null) as JsonObject | null, diffs: r.recentDiffs(20) as unknown as JsonObject[] }),
        { last: null, diffs: [], error: 'audit database not readable' },
      ),
    // From the engine's last heartbeat; without one, say so instead of showing zeros that mean nothing.
    churn: (): JsonObject => {
      const m = sup.hosts.engine.lastHeartbeat?.metrics as { churn?: JsonObject; churn_limits?: JsonObject; near_limits?: JsonObject } | undefined;
      if (!m?.churn) return { available: false, why: 'no engine heartbeat with churn counters yet', windows_s: [10, 60] };
      return { available: true, windows_s: [10, 60], symbols: m.churn, limits: m.churn_limits ?? {}, near_limits: m.near_limits ?? {} };
    },
    intents: () =>
      read<JsonObject>(
        (r) => {
          const by = r.intentsByState();
          // The operator's priority order: SENT_UNKNOWN first, every state shown, zeros included.
          const order = ['SENT_UNKNOWN', 'CREATED', 'CONFIRMED', 'NOT_FOUND', 'FAILED_TERMINAL'];
          return { states: order.map((state) => ({ state, count: by[state] ?? 0 })) };
        },
        { states: [], error: 'audit database not readable' },
      ),
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    status: (): JsonObject => {
      const m = sup.modeState;
      const now = Date.now();
      const workers: Record<string, JsonObject> = {};
      for (const name of WORKERS) {
        const h = sup.hosts[name];
        const hb = h.lastHeartbeat;
        workers[name] = {
          state: h.state,
          thread_id: h.threadId,
          heartbeat_age_ms: h.lastHeartbeatAt ? now - h.lastHeartbeatAt : null,
          loop: (hb?.loop ?? null) as JsonObject | null,
          mem: (hb?.mem ?? null) as JsonObject | null,
          metrics: hb?.metrics ?? {},
        };
      }
      return {
        ts_ms: now,
        run_id: runId,
        mode: m.mode,
        seq: m.seq,
        since_ms: m.since_ms,
        reasons: m.reasons as unknown as JsonObject[],
        stage: (sup.stage ?? null) as JsonObject | null,
        uptime_ms: now - sup.startedAt,
        channel_rejects: sup.channelRejects,
        workers,
      };
    },
    health: (): JsonObject => {
      const now = Date.now();
      const auditMetrics = sup.hosts.audit.lastHeartbeat?.metrics ?? {};
      const lastCommit = auditMetrics['last_writer_commit_ts_ms'];
      return {
        ts_ms: now,
        run_id: runId,
        mode: sup.modeState.mode,
        // No trading cycle exists before the engine issue lands: null, never a made-up age.
        last_cycle_age_ms: null,
        last_audit_commit_age_ms: typeof lastCommit === 'number' ? now - lastCommit : null,
        workers_running: WORKERS.filter((w) => sup.hosts[w].state === 'running').length,
      };
    },
  };
}
