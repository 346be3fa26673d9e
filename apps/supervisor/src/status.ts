import { storageProjection } from './panel/storage.js';
import { jsonArray, jsonObject, type JsonObject, type Stage, WORKERS } from '@vigil/contracts';
import type { PanelSource } from './panel/app.js';
import { createMetrics } from './panel/metrics.js';
import { auditPanelReads } from './panel/read-source.js';
import { Sampler } from './panel/sampler.js';
import type { Supervisor } from './supervisor.js';

/** Stages of a running cycle step: LOOP_STUCK watches these; the others may rest for long. */
const ACTIVE_STAGES: ReadonlySet<Stage> = new Set([
  'STARTUP_RECONCILE',
  'MARKET_SNAPSHOT',
  'STRATEGY_PROPOSE',
  'AIGATE_CALL',
  'RISK_VERDICT',
  'EXECUTE',
  'PROTECT',
  'MANAGE',
  'RECONCILE',
]);
const PRICE_WINDOW_MS = 30 * 60_000;

type EngineMetrics = {
  pnl?: { day?: string; realized?: string; unrealized?: string; total?: string; exposure?: string };
  open_orders?: number;
  ai_gate?: JsonObject;
  churn?: JsonObject;
  churn_limits?: JsonObject;
  near_limits?: JsonObject;
  /** Per symbol: holding (NONE, DUST, TRADABLE), position, entry, protection, unprotected since. */
  positions?: JsonObject[];
};

/** The supervisor's state as the panel and /api/health read it: plain data, computed on demand. */
export function supervisorPanelSource(sup: Supervisor, runId: string, varDir: string): PanelSource & { close(): void } {
  const registry = createMetrics(sup, () => signals());
  const reads = auditPanelReads(varDir);
  let storageCache: { at: number; value: JsonObject } | null = null;
  const symbols = sup.config.exchange.symbols;
  const engineMetrics = (): EngineMetrics => (sup.hosts.engine.lastHeartbeat?.metrics ?? {}) as EngineMetrics;
  const auditMetrics = (): Record<string, unknown> => (sup.hosts.audit.lastHeartbeat?.metrics ?? {}) as Record<string, unknown>;
  const sampler = new Sampler({
    quotes: async () => {
      if (sup.hosts.engine.state !== 'running') return null;
      const st = await sup.hosts.engine.request('status', {}, 1000);
      return (st.details as { quotes?: Record<string, { bid: string; ask: string }> }).quotes ?? null;
    },
    writer: () => {
      const a = auditMetrics();
      return { lag_ms: typeof a['lag_ms'] === 'number' ? a['lag_ms'] : null, queue_pct: typeof a['queue_pct'] === 'number' ? a['queue_pct'] : null };
    },
    pnlTotal: () => {
      const t = engineMetrics().pnl?.total;
      return t === undefined ? null : Number(t);
    },
  });
  sampler.start();

  const signals = (): JsonObject =>
    sup.signals.snapshot(Date.now(), {
      gateway: sup.hosts.gateway.lastHeartbeat?.metrics ?? {},
      engine: engineMetrics() as JsonObject,
      audit: auditMetrics() as JsonObject,
    });
  return {
    alerts: () => reads.alerts(),
    alertKeys: (): JsonObject => ({ keys: jsonArray(sup.alerts.list()), total: sup.alerts.total }),
    signals,
    stages: () => reads.stages(),
    reconcile: () => reads.reconcile(),
    intents: () => reads.intents(),
    orders: () => ({ ...reads.orders(), engine_open_orders: engineMetrics().open_orders ?? null }),
    // From the engine's last heartbeat; without one, say so instead of showing zeros that mean nothing.
    churn: (): JsonObject => {
      const m = engineMetrics();
      if (!m.churn) return { available: false, why: 'no engine heartbeat with churn counters yet', windows_s: [10, 60] };
      return { available: true, windows_s: [10, 60], symbols: m.churn, limits: m.churn_limits ?? {}, near_limits: m.near_limits ?? {} };
    },
    pnl: (): JsonObject => {
      const m = engineMetrics();
      const p = m.pnl;
      const fees = reads.feesToday(symbols);
      const positions = m.positions ?? [];
      if (!p) return { available: false, why: 'no engine heartbeat with P&L yet', fees, positions };
      return {
        available: true,
        day: p.day ?? null,
        realized: p.realized ?? null,
        unrealized: p.unrealized ?? null,
        total: p.total ?? null,
        exposure: p.exposure ?? null,
        fees,
        positions,
      };
    },
    gate: (): JsonObject => ({ ...reads.gate(), engine: (engineMetrics().ai_gate ?? null) as JsonObject | null }),
    charts: (): JsonObject => {
      const now = Date.now();
      const samples = sampler.since(now - PRICE_WINDOW_MS);
      const pnl = reads.pnlHistory();
      // The live line continues the audited one: heartbeat samples newer than the last PNL_SAMPLED.
      const lastAudited = pnl.length ? pnl[pnl.length - 1]!.ts_ms : 0;
      const live = samples.filter((s) => s.ts_ms > lastAudited && s.pnl_total !== null).map((s) => ({ ts_ms: s.ts_ms, total: s.pnl_total }));
      return {
        ts_ms: now,
        price: Object.fromEntries(symbols.map((s) => [s, samples.filter((x) => x.mid[s] != null).map((x) => [x.ts_ms, x.mid[s]!])])),
        markers: reads.markers(symbols, PRICE_WINDOW_MS),
        pnl: jsonArray([...pnl.map((x) => ({ ts_ms: x.ts_ms, total: x.total })), ...live]),
        events_per_min: jsonArray(reads.eventsPerMinute()),
        writer: samples.map((s) => [s.ts_ms, s.lag_ms, s.queue_pct]),
      };
    },
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    // Disk projection: file sizes and one indexed count, cached for a minute (it moves over days).
    storage: (): JsonObject => {
      const t = Date.now();
      if (storageCache && t - storageCache.at < 60_000) return storageCache.value;
      let value: JsonObject;
      try {
        value = storageProjection(varDir, sup.config.audit, t);
      } catch (e) {
        value = { available: false, why: (e as Error).message };
      }
      storageCache = { at: t, value };
      return value;
    },
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
      const mu = process.memoryUsage();
      const stage = sup.stage;
      const bound = sup.config.engine.stage_stuck_ms;
      const age = stage ? now - stage.ts_ms : null;
      return {
        ts_ms: now,
        run_id: runId,
        mode: m.mode,
        seq: m.seq,
        since_ms: m.since_ms,
        reasons: jsonArray(m.reasons),
        stage: (stage ?? null) as JsonObject | null,
        // The stuck hint: a stage unchanged beyond the engine's own bound (engine.stage_stuck_ms).
        // In an active stage it is a stuck loop (the engine raises LOOP_STUCK); in a resting stage
        // (IDLE, manage-only, PAUSE) it only says that nothing has moved for that long.
        stage_hint: stage ? { age_ms: age, bound_ms: bound, active_stage: ACTIVE_STAGES.has(stage.stage), stuck: age !== null && age > bound } : null,
        last_cycle_completed_ms: sup.lastCycleCompletedAt,
        uptime_ms: now - sup.startedAt,
        channel_rejects: sup.channelRejects,
        supervisor_mem: { rss_bytes: mu.rss, heap_used_bytes: mu.heapUsed, heap_total_bytes: mu.heapTotal, external_bytes: mu.external },
        backups: reads.backups(),
        webhooks: jsonObject(sup.webhooks.stats()),
        workers,
      };
    },
    health: (): JsonObject => {
      const now = Date.now();
      const lastCommit = auditMetrics()['last_writer_commit_ts_ms'];
      const stage = sup.stage;
      return {
        ts_ms: now,
        run_id: runId,
        mode: sup.modeState.mode,
        // A completed entry cycle = the engine back to IDLE from a cycle stage; null before the first
        // one of this run (entries only cycle on a closed bar while entries are allowed).
        last_cycle_age_ms: sup.lastCycleCompletedAt === null ? null : now - sup.lastCycleCompletedAt,
        last_audit_commit_age_ms: typeof lastCommit === 'number' ? now - lastCommit : null,
        stage: stage?.stage ?? null,
        stage_age_ms: stage ? now - stage.ts_ms : null,
        engine_heartbeat_age_ms: sup.hosts.engine.lastHeartbeatAt ? now - sup.hosts.engine.lastHeartbeatAt : null,
        workers_running: WORKERS.filter((w) => sup.hosts[w].state === 'running').length,
        webhooks_failed: sup.webhooks.stats().failed,
      };
    },
    close: () => {
      sampler.stop();
      reads.close();
    },
  };
}
