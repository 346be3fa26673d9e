import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import winston from 'winston';
import { afterEach, describe, expect, it } from 'vitest';
import { newRunId } from '@vigil/contracts';
import { createLogger } from '@vigil/runtime';
import { Supervisor } from '../../apps/supervisor/src/supervisor.js';
import { createPanelApp } from '../../apps/supervisor/src/panel/app.js';
import { supervisorPanelSource } from '../../apps/supervisor/src/status.js';
import { receiver } from '../../apps/supervisor/src/testing/webhook-receiver.js';
import { SIM_KEY, testConfig, waitFor } from './harness.js';

/**
 * The one alert path: an ALERT_RAISED appended by a worker thread (here an engine thread running
 * the real bootstrap and producer connection, see test/fixtures/workers/alerting-engine.mjs)
 * reaches the console (a winston line), the panel (alert keys with count, first and last seen) and
 * the webhooks, besides its audit row. Before, engine alerts reached the audit only.
 */
const ENGINE = fileURLToPath(new URL('../fixtures/workers/alerting-engine.mjs', import.meta.url));
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function start(webhookUrl: string) {
  const { config, varDir } = testConfig({
    alerts: { webhook_urls: [webhookUrl], webhook_on: ['CRIT', 'WARN'], webhook_backoff_initial_ms: 20, webhook_backoff_max_ms: 50 },
  });
  const lines: string[] = [];
  const log = createLogger({ thread: 'supervisor', logDir: join(varDir, 'log'), config: config.logging, console: false });
  // The console as the operator sees it: the logger's line format, captured instead of printed.
  log.add(
    new winston.transports.Stream({
      stream: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString('utf8')), cb()) }),
      format: winston.format.printf((i) => `${i.level} ${String(i.message)} ${JSON.stringify(i['alert'] ?? {})}`),
    }),
  );
  const sup = new Supervisor({
    config,
    varDir,
    runId: newRunId(),
    secrets: { api_key: SIM_KEY.apiKey, api_secret: SIM_KEY.secretKey },
    log,
    consoleAlerts: true,
    entries: { engine: ENGINE },
  });
  await sup.start();
  cleanup.push(() => sup.stop('test end'));
  return { sup, varDir, lines };
}

describe('one alert path for every thread', () => {
  it('an engine ALERT_RAISED reaches the console line, the panel alert keys (count, first, last) and the webhook, and stays in the audit', async () => {
    const rx = await receiver((_n, res) => res.writeHead(204).end());
    cleanup.push(rx.close);
    const { sup, varDir, lines } = await start(rx.url);

    // Console: one winston line per alert, level by severity, the secret field redacted.
    await waitFor('console lines', () => lines.filter((l) => l.includes('source=engine')).length >= 3, 10_000, 10);
    const engineLines = lines.filter((l) => l.includes('source=engine'));
    expect(engineLines.filter((l) => l.startsWith('warn ALERT [WARN] - source=engine symbol=BTCUSDT'))).toHaveLength(2);
    const pm = engineLines.find((l) => l.includes('PROTECTION_MISSING'))!;
    expect(pm).toMatch(/^error ALERT \[CRIT\] PROTECTION_MISSING source=engine symbol=ETHUSDT/);
    expect(lines.join('\n')).not.toContain('fixture-secret-0123456789');

    // Panel: GET /api/alerts lists the keys with count, first and last seen.
    const source = supervisorPanelSource(sup, 'run', varDir);
    cleanup.push(async () => source.close());
    const app = createPanelApp(source, () => 8787);
    const body = (await (await app.request('/api/alerts', { headers: { host: '127.0.0.1:8787' } })).json()) as {
      keys: { key: string; count: number; first_ts_ms: number; last_ts_ms: number; summary: string; severity: string }[];
      total: number;
    };
    const btc = body.keys.find((k) => k.key === 'engine|-|BTCUSDT');
    expect(btc).toMatchObject({ count: 2, severity: 'WARN', summary: 'BTCUSDT: entry vge2 unknown to the venue; no longer tracked' });
    expect(btc!.last_ts_ms).toBeGreaterThan(btc!.first_ts_ms);
    expect(body.keys.find((k) => k.key === 'engine|PROTECTION_MISSING|ETHUSDT')).toMatchObject({ count: 1, severity: 'CRIT' });
    expect(body.total).toBeGreaterThanOrEqual(3);

    // Webhook: a local HTTP server received the engine alerts as ALERT_RAISED posts, redacted.
    await waitFor('webhooks', () => rx.bodies.filter((b) => b.kind === 'ALERT_RAISED' && b.source === 'engine').length >= 3, 10_000, 10);
    const hooks = rx.bodies.filter((b) => b.kind === 'ALERT_RAISED' && b.source === 'engine');
    expect(hooks.find((b) => b.kind === 'ALERT_RAISED' && b.reason_code === 'PROTECTION_MISSING')).toMatchObject({
      severity: 'CRIT',
      symbol: 'ETHUSDT',
      detail: { api_secret: '[REDACTED]' },
    });
    expect(hooks.filter((b) => b.kind === 'ALERT_RAISED' && b.reason_code === null && b.symbol === 'BTCUSDT')).toHaveLength(2);
    expect(JSON.stringify(rx.bodies)).not.toContain('fixture-secret-0123456789');

    // The audit row is written where the alert was raised (the engine thread), once each.
    await sup.audit.flush();
    const db = new Database(join(varDir, 'data', 'audit.sqlite'), { readonly: true });
    try {
      const n = (db.prepare("SELECT count(*) AS n FROM alerts WHERE source = 'engine'").get() as { n: number }).n;
      expect(n).toBeGreaterThanOrEqual(3);
    } finally {
      db.close();
    }
  });
});
