import { Gauge, Registry } from 'prom-client';
import { MODES, REASON_CODE_LIST, WORKERS, type JsonObject } from '@vigil/contracts';
import type { Supervisor } from '../supervisor.js';

/**
 * Prometheus exposition of the health signals the operations rules list, read from the supervisor
 * at scrape time (collect callbacks), so nothing runs between scrapes.
 */
export function createMetrics(sup: Supervisor, signals?: () => JsonObject): Registry {
  const registry = new Registry();
  const modeGauge = new Gauge({
    name: 'vigil_mode',
    help: '1 for the current system mode, 0 for the others',
    labelNames: ['mode'],
    registers: [registry],
    collect() {
      const m = sup.modeState.mode;
      for (const x of MODES) this.set({ mode: x }, x === m ? 1 : 0);
    },
  });
  void modeGauge;
  new Gauge({
    name: 'vigil_reason_active',
    help: 'Active reason codes by source (1 = active)',
    labelNames: ['code', 'source', 'severity'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of sup.modeState.reasons) this.set({ code: r.code, source: r.source, severity: r.severity }, 1);
    },
  });
  new Gauge({
    name: 'vigil_reason_codes_known',
    help: 'Number of reason codes in the catalogue',
    registers: [registry],
    collect() {
      this.set(REASON_CODE_LIST.length);
    },
  });
  const perWorker = (name: string, help: string, read: (w: (typeof WORKERS)[number]) => number | null): void => {
    new Gauge({
      name,
      help,
      labelNames: ['worker'],
      registers: [registry],
      collect() {
        for (const w of WORKERS) {
          const v = read(w);
          if (v !== null) this.set({ worker: w }, v);
        }
      },
    });
  };
  perWorker('vigil_worker_up', '1 when the worker thread is running', (w) => (sup.hosts[w].state === 'running' ? 1 : 0));
  perWorker('vigil_worker_heartbeat_age_seconds', 'Seconds since the last heartbeat', (w) =>
    sup.hosts[w].lastHeartbeatAt ? (Date.now() - sup.hosts[w].lastHeartbeatAt) / 1000 : null,
  );
  perWorker('vigil_event_loop_delay_p99_seconds', 'Event-loop delay p99 of the thread over the last heartbeat interval', (w) =>
    sup.hosts[w].lastHeartbeat ? sup.hosts[w].lastHeartbeat!.loop.p99_ms / 1000 : null,
  );
  perWorker('vigil_worker_rss_bytes', 'Process RSS as seen from the thread (shared by all threads)', (w) => sup.hosts[w].lastHeartbeat?.mem.rss_bytes ?? null);
  perWorker('vigil_worker_heap_used_bytes', 'V8 heap used by the thread', (w) => sup.hosts[w].lastHeartbeat?.mem.heap_used_bytes ?? null);
  perWorker('vigil_channel_rejects_total', 'Channel frames rejected by the worker', (w) => sup.hosts[w].lastHeartbeat?.channel_rejects ?? null);
  new Gauge({
    name: 'vigil_supervisor_channel_rejects_total',
    help: 'Channel frames rejected by the supervisor',
    registers: [registry],
    collect() {
      this.set(sup.channelRejects);
    },
  });
  const hooks = (name: string, help: string, key: 'sent' | 'failed' | 'retries' | 'dropped' | 'queued'): void => {
    new Gauge({
      name,
      help,
      labelNames: ['url'],
      registers: [registry],
      collect() {
        this.reset();
        for (const t of sup.webhooks.stats().targets) this.set({ url: t.url }, t[key]);
      },
    });
  };
  hooks('vigil_webhook_sent_total', 'Notifications delivered (2xx) per webhook URL', 'sent');
  hooks('vigil_webhook_failed_total', 'Notifications given up after the last attempt per webhook URL', 'failed');
  hooks('vigil_webhook_retries_total', 'Retried attempts per webhook URL', 'retries');
  hooks('vigil_webhook_dropped_total', 'Notifications dropped from a full queue (or at shutdown) per webhook URL', 'dropped');
  hooks('vigil_webhook_queued', 'Notifications waiting per webhook URL', 'queued');
  new Gauge({
    name: 'vigil_alerts_total',
    help: 'Alerts (ALERT_RAISED of every thread) delivered since the supervisor started, by source, reason code and symbol',
    labelNames: ['source', 'reason_code', 'symbol'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of sup.alerts.list()) this.set({ source: r.source, reason_code: r.reason_code ?? 'NONE', symbol: r.symbol ?? '' }, r.count);
    },
  });
  if (signals) healthSignalGauges(registry, signals);
  return registry;
}

/** A number at `path` in the signals snapshot; null (no sample: the gauge is left unset) otherwise. */
function at(o: JsonObject, path: readonly string[]): number | null {
  let x: unknown = o;
  for (const k of path) x = typeof x === 'object' && x !== null ? (x as Record<string, unknown>)[k] : undefined;
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/**
 * The health signals of the operations rules (docs/00 lists the names). Each scrape reads the
 * supervisor's snapshot: heartbeat metrics and incremental event tallies, never an audit query.
 */
function healthSignalGauges(registry: Registry, signals: () => JsonObject): void {
  const one = (name: string, help: string, path: readonly string[], scale = 1): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const v = at(signals(), path);
        if (v === null) this.reset();
        else this.set(v * scale);
      },
    });
  };
  const labelled = (name: string, help: string, label: string, path: readonly string[]): void => {
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        this.reset();
        const m = pathObj(signals(), path);
        for (const [k, v] of Object.entries(m)) if (typeof v === 'number') this.set({ [label]: k }, v);
      },
    });
  };
  one('vigil_ws_reconnects_per_minute', 'Market-stream reconnects in the last minute (gateway)', ['ws_reconnects_per_min']);
  one('vigil_rate_limit_total', 'RATE_LIMIT: HTTP 429 answers plus requests not sent during a 429 back-off (gateway, this run)', ['rate_limit_total']);
  one('vigil_rest_throttled_total', 'REST_THROTTLED: requests held back by the local rate-limit governor (gateway, this run)', ['rest_throttled_total']);
  one('vigil_sent_unknown_intents', 'Order intents in SENT_UNKNOWN now (engine)', ['sent_unknown', 'count']);
  one('vigil_sent_unknown_oldest_age_seconds', 'Age of the oldest SENT_UNKNOWN intent', ['sent_unknown', 'oldest_age_ms'], 1 / 1000);
  one('vigil_writer_queue_depth', 'Audit writer queue depth (events)', ['writer', 'queue_depth']);
  one('vigil_writer_queue_pct', 'Audit writer queue fill, percent of capacity', ['writer', 'queue_pct']);
  one('vigil_writer_lag_seconds', 'Age of the oldest event waiting in the audit writer queue', ['writer', 'lag_ms'], 1 / 1000);
  labelled('vigil_aigate_events_total', 'AI gate outcomes by reason code (AIGATE_TIMEOUT, AIGATE_SCHEMA_INVALID, ...), this run', 'code', ['aigate', 'counts']);
  one('vigil_aigate_calls_total', 'AIGATE_CALL events, this run', ['aigate', 'calls']);
  one('vigil_aigate_call_latency_mean_seconds', 'Mean AI gate call latency over the engine window', ['aigate', 'latency_mean_ms'], 1 / 1000);
  one(
    'vigil_aigate_call_latency_variance_seconds2',
    'Variance of the AI gate call latency over the engine window',
    ['aigate', 'latency_variance_ms2'],
    1 / 1_000_000,
  );
  labelled('vigil_risk_blocks_total', 'Entry BLOCKs by code (EDGE_TOO_LOW, COST_TOO_HIGH), this run', 'code', ['blocks']);
  one('vigil_quarantined_symbols', 'Symbols in quarantine now (gateway)', ['quarantined', 'count']);
  one('vigil_filters_refreshed_total', 'FILTERS_REFRESHED events, this run', ['filters_refreshed', 'count']);
  one('vigil_filters_refreshed_last_timestamp_seconds', 'Unix time of the last FILTERS_REFRESHED', ['filters_refreshed', 'last_ts_ms'], 1 / 1000);
  one('vigil_user_stream_silent_total', 'Times the user data stream was found silent (USER_STREAM_SILENT), gateway thread', ['user_stream', 'silent_count']);
}

function pathObj(o: JsonObject, path: readonly string[]): Record<string, unknown> {
  let x: unknown = o;
  for (const k of path) x = typeof x === 'object' && x !== null ? (x as Record<string, unknown>)[k] : undefined;
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}
