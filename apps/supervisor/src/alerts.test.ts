import { afterEach, describe, expect, it } from 'vitest';
import type { ActiveReason, AlertsConfig } from '@vigil/contracts';
import { WebhookNotifier } from './alerts.js';
import { webhookDisplay } from '@vigil/runtime';
import { receiver } from './testing/webhook-receiver.js';

const cfg = (urls: string[], o: Partial<AlertsConfig> = {}): AlertsConfig => ({
  webhook_urls: urls,
  webhook_on: ['CRIT', 'MODE_CHANGED'],
  webhook_timeout_ms: 1000,
  webhook_attempts_max: 4,
  webhook_backoff_initial_ms: 20,
  webhook_backoff_max_ms: 80,
  webhook_queue_capacity: 100,
  ...o,
});

const reason = (code: ActiveReason['code'], severity: ActiveReason['severity'], detail: ActiveReason['detail'] = {}): ActiveReason => ({
  code,
  severity,
  source: 'gateway',
  since_ms: Date.now(),
  last_ts_ms: Date.now(),
  count: 1,
  detail,
});

async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs: number, everyMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('webhook notifier', () => {
  it('retries a receiver that fails first, then delivers once, with backoff, the bearer token and a redacted body', async () => {
    const rx = await receiver((n, res) => res.writeHead(n <= 2 ? 503 : 204).end());
    cleanup.push(rx.close);
    const token = 'whk-token-0123456789';
    const w = new WebhookNotifier(cfg([rx.url]), 'run_w', { VIGIL_WEBHOOK_TOKEN: token });
    cleanup.push(() => w.close(0));
    w.alert(reason('CLOCK_DRIFT', 'CRIT', { drift_ms: 900, api_secret: 'leak-me-please-0000' }));
    await waitFor('delivered', () => w.stats().sent === 1, 5000, 5);
    expect(rx.count()).toBe(3);
    const s = w.stats();
    expect(s).toMatchObject({ enabled: true, sent: 1, failed: 0, dropped: 0 });
    expect(s.targets[0]).toMatchObject({ retries: 2, queued: 0, last_error: 'HTTP 503' });
    // Neither the path nor the query string (either may be the token) is shown: host and fingerprint only.
    expect(s.targets[0]!.url).toBe(webhookDisplay(rx.url));
    expect(s.targets[0]!.url).not.toContain('/hook');
    const body = rx.bodies[2]!;
    expect(body).toMatchObject({
      kind: 'ALERT_RAISED',
      run_id: 'run_w',
      severity: 'CRIT',
      reason_code: 'CLOCK_DRIFT',
      source: 'gateway',
      detail: { drift_ms: 900, api_secret: '[REDACTED]' },
    });
    expect(rx.headers[0]!['authorization']).toBe(`Bearer ${token}`);
    expect(rx.headers[0]!['content-type']).toBe('application/json');
  });

  it('gives up after webhook_attempts_max against a receiver that always fails, counts it, and stops asking', async () => {
    const rx = await receiver((_n, res) => res.writeHead(500).end());
    cleanup.push(rx.close);
    const w = new WebhookNotifier(cfg([rx.url], { webhook_attempts_max: 3 }), 'run_w', {});
    cleanup.push(() => w.close(0));
    w.alert(reason('CLOCK_DRIFT', 'CRIT'));
    await waitFor('given up', () => w.stats().failed === 1, 5000, 5);
    expect(rx.count()).toBe(3);
    // No retry loop after giving up: a later alert is one fresh delivery with its own attempts.
    w.modeChanged('NORMAL', 'PAUSE', 7, []);
    await waitFor('second given up', () => w.stats().failed === 2, 5000, 5);
    expect(rx.count()).toBe(6);
    expect(w.stats().targets[0]).toMatchObject({ sent: 0, failed: 2, retries: 4, queued: 0 });
  });

  it('counts a connection refused and a timeout as failures', async () => {
    const rx = await receiver(() => {
      /* never answers: the timeout aborts */
    });
    cleanup.push(rx.close);
    const closed = await receiver(() => undefined);
    await closed.close();
    const w = new WebhookNotifier(cfg([rx.url, closed.url], { webhook_attempts_max: 1, webhook_timeout_ms: 150 }), 'run_w', {});
    cleanup.push(() => w.close(0));
    w.alert(reason('CLOCK_DRIFT', 'CRIT'));
    await waitFor('both failed', () => w.stats().failed === 2, 5000, 5);
    const [slow, refused] = w.stats().targets;
    expect(slow!.last_error).toBe('timeout after 150 ms');
    expect(refused!.last_error).toMatch(/ECONNREFUSED/);
  });

  it('keeps its queue bounded while a receiver hangs: the oldest waiting ones are dropped and counted', async () => {
    const rx = await receiver(() => {
      /* hangs */
    });
    cleanup.push(rx.close);
    const w = new WebhookNotifier(cfg([rx.url], { webhook_queue_capacity: 3, webhook_timeout_ms: 60_000 }), 'run_w', {});
    for (let i = 0; i < 10; i++) w.modeChanged('NORMAL', 'PAUSE', i, []);
    // One in flight, three waiting, six dropped; the queue never grows past its capacity.
    expect(w.stats().targets[0]).toMatchObject({ queued: 4, dropped: 6 });
    await waitFor('first request arrived', () => rx.count() === 1, 5000, 5);
    expect(rx.bodies[0]).toMatchObject({ kind: 'MODE_CHANGED', mode_seq: 0 });
    await w.close(0);
    expect(w.stats().targets[0]).toMatchObject({ queued: 0, dropped: 10, sent: 0 });
  });

  it('sends only what webhook_on selects (CRIT and MODE_CHANGED by default, not WARN)', async () => {
    const rx = await receiver((_n, res) => res.writeHead(200).end('ok'));
    cleanup.push(rx.close);
    const w = new WebhookNotifier(cfg([rx.url]), 'run_w', {});
    cleanup.push(() => w.close(0));
    w.alert(reason('FAULT_HOOKS_ENABLED', 'WARN'));
    w.modeChanged('PAUSE', 'DEGRADE', 3, [{ code: 'X' }]);
    await waitFor('one delivered', () => w.stats().sent === 1, 5000, 5);
    expect(rx.bodies.map((b) => b.kind)).toEqual(['MODE_CHANGED']);
    const warn = new WebhookNotifier(cfg([rx.url], { webhook_on: ['WARN'] }), 'run_w', {});
    cleanup.push(() => warn.close(0));
    warn.alert(reason('FAULT_HOOKS_ENABLED', 'WARN'));
    warn.modeChanged('PAUSE', 'DEGRADE', 4, []);
    await waitFor('warn delivered', () => warn.stats().sent === 1, 5000, 5);
    expect(rx.bodies.map((b) => b.kind)).toEqual(['MODE_CHANGED', 'ALERT_RAISED']);
  });
});
