import { Gauge, Registry } from 'prom-client';
import { MODES, REASON_CODE_LIST, WORKERS } from '@vigil/contracts';
import type { Supervisor } from '../supervisor.js';

/**
 * Prometheus exposition of the health signals the operations rules list, read from the supervisor
 * at scrape time (collect callbacks), so nothing runs between scrapes.
 */
export function createMetrics(sup: Supervisor): Registry {
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
  perWorker('vigil_worker_heartbeat_age_seconds', 'Seconds since the last heartbeat', (w) => (sup.hosts[w].lastHeartbeatAt ? (Date.now() - sup.hosts[w].lastHeartbeatAt) / 1000 : null));
  perWorker('vigil_event_loop_delay_p99_seconds', 'Event-loop delay p99 of the thread over the last heartbeat interval', (w) => (sup.hosts[w].lastHeartbeat ? sup.hosts[w].lastHeartbeat!.loop.p99_ms / 1000 : null));
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
  return registry;
}
