import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { JsonObject } from '@vigil/contracts';
import { redact, redactString } from '@vigil/core';
import { ASSETS, DASHBOARD_HTML } from './assets.js';
import { panelGuard } from './security.js';

/** What the panel reads; it never holds a handle that could change anything. */
export interface PanelSource {
  status(): JsonObject;
  health(): JsonObject;
  /** Recent alerts (ALERT_RAISED), newest first, from the audit read side. */
  alerts?(): JsonObject[];
  /** Every alert of this run by key (source + reason + symbol): count, first and last seen. */
  alertKeys?(): JsonObject;
  /** The health signals of the operations rules (from heartbeats and event tallies, no audit scan). */
  signals?(): JsonObject;
  /** The last 20 STAGE_CHANGED, newest first, from the audit read side. */
  stages?(): JsonObject[];
  /** Order intents by state, SENT_UNKNOWN first. */
  intents?(): JsonObject;
  /** Last reconcile run and recent RECONCILE_DIFF. */
  reconcile?(): JsonObject;
  /** Churn / cancel-replace counters in 10 s and 60 s windows. */
  churn?(): JsonObject;
  /** Open orders and the most recent ones, with clientOrderId, intent id and the intent's state. */
  orders?(): JsonObject;
  /** Today's P&L (engine) and fees (fills). */
  pnl?(): JsonObject;
  /** AI gate verdict counts and latency. */
  gate?(): JsonObject;
  /** Chart series: price with fills and stops, P&L, events/min, writer lag. */
  charts?(): JsonObject;
  /** Prometheus text exposition, when metrics are wired. */
  metrics?(): Promise<{ readonly contentType: string; readonly body: string }>;
  /** Free disk, growth per day and the projected days until the disk thresholds (panel/storage.ts). */
  storage?(): JsonObject;
}

/**
 * Live-update streams open at once. A browser tab holds one; more than a handful is not an operator.
 * Each stream costs the supervisor's main thread (the mode authority) a write a second: a thousand
 * streams from one local process stalled that thread past the event-loop bound and put the bot in
 * DEGRADE (found by a probe), so the panel refuses streams past this many.
 */
export const MAX_PANEL_STREAMS = 8;

/** How long one serialized status is shared by every open stream (they all wake once a second). */
const STREAM_FRAME_MS = 500;

/**
 * The panel app. Only GET routes are mounted; the guard refuses every other method first. Every
 * answer passes through this thread's redactor: reason details come from the workers as raised
 * (a venue's error text, a URL), and the panel is a sink like the log and the audit.
 */
export function createPanelApp(source: PanelSource, port: () => number, o: { readonly maxStreams?: number; readonly now?: () => number } = {}): Hono {
  const app = new Hono();
  const maxStreams = o.maxStreams ?? MAX_PANEL_STREAMS;
  const now = o.now ?? Date.now;
  let streams = 0;
  // One status serialized for all streams, not one per stream per second.
  let frame: { readonly at: number; readonly data: string } | null = null;
  const statusFrame = (): string => {
    const t = now();
    if (frame === null || t - frame.at >= STREAM_FRAME_MS) frame = { at: t, data: JSON.stringify(redact(source.status())) };
    return frame.data;
  };
  app.use('*', panelGuard(port));
  app.get('/', (c) => c.redirect('/dashboard'));
  app.get('/dashboard', (c) => c.html(DASHBOARD_HTML));
  for (const [name, a] of Object.entries(ASSETS)) app.get(`/assets/${name}`, (c) => c.body(a.body, 200, { 'Content-Type': a.type }));
  // Every JSON answer passes this thread's redactor (through `api`, so no route can forget it).
  const api = (path: string, read: () => JsonObject): void => void app.get(path, (c) => c.json(redact(read())));
  api('/api/status', () => source.status());
  api('/api/health', () => source.health());
  api('/api/alerts', () => ({ alerts: source.alerts?.() ?? [], ...(source.alertKeys?.() ?? { keys: [], total: 0 }) }));
  api('/api/signals', () => source.signals?.() ?? { available: false });
  api('/api/stages', () => ({ stages: source.stages?.() ?? [] }));
  api('/api/intents', () => source.intents?.() ?? { states: [] });
  api('/api/reconcile', () => source.reconcile?.() ?? { last: null, diffs: [] });
  api('/api/churn', () => source.churn?.() ?? { available: false });
  api('/api/orders', () => source.orders?.() ?? { open: [], recent: [] });
  api('/api/pnl', () => source.pnl?.() ?? { available: false, why: 'not wired' });
  api('/api/gate', () => source.gate?.() ?? { verdicts: [], latency: null });
  api('/api/charts', () => source.charts?.() ?? { price: {}, markers: { symbols: {} }, pnl: [], events_per_min: [], writer: [] });
  api('/api/storage', () => source.storage?.() ?? { available: false, why: 'not wired' });
  // Live updates: the status once a second until the browser goes away.
  app.get('/api/stream', (c) => {
    if (streams >= maxStreams)
      return c.json({ error: 'PANEL_STREAMS_FULL', message: `${streams} live-update streams are open (at most ${maxStreams}); reload later` }, 503, {
        'Retry-After': '10',
      });
    streams++;
    let counted = true;
    const release = (): void => {
      if (counted) streams--;
      counted = false;
    };
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
        release();
      });
      try {
        while (open) {
          await stream.writeSSE({ event: 'status', data: statusFrame() });
          await stream.sleep(1000);
        }
      } finally {
        release();
      }
    });
  });
  app.get('/metrics', async (c) => {
    if (!source.metrics) return c.json({ error: 'NOT_FOUND', message: 'metrics not wired' }, 404);
    const m = await source.metrics();
    return c.body(redactString(m.body), 200, { 'Content-Type': m.contentType });
  });
  app.notFound((c) => c.json({ error: 'NOT_FOUND', message: 'no such page' }, 404));
  app.onError((err, c) => c.json({ error: 'PANEL_ERROR', message: redact(err.message) }, 500));
  return app;
}
