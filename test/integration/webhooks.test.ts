import { afterEach, describe, expect, it } from 'vitest';
import { receiver } from '../../apps/supervisor/src/testing/webhook-receiver.js';
import { releaseToNormal, startSupervisor, waitFor } from './harness.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('webhooks on a running supervisor', () => {
  it('POSTs the CRIT alert and the mode change; a hanging receiver never delays PAUSE', async () => {
    const hang = await receiver(() => {
      /* hangs */
    });
    cleanup.push(hang.close);
    const rx = await receiver((n, res) => res.writeHead(n === 1 ? 502 : 200).end());
    cleanup.push(rx.close);
    const bot = await startSupervisor({
      // Startup reconcile releases the engine within a second or two (the defaults hold it in
      // RESUME_MANAGE_ONLY for 5 s of clean 15 s reconciles): the NORMAL below is only the setup.
      engine: { reconcile_interval_ms: 1000, manage_only_stable_ms: 200, cycle_interval_ms: 100 },
      alerts: { webhook_urls: [hang.url, rx.url], webhook_timeout_ms: 60_000, webhook_backoff_initial_ms: 20, webhook_backoff_max_ms: 50 },
    });
    cleanup.push(bot.stop);
    await waitFor('NORMAL', () => bot.sup.modeState.mode === 'NORMAL', 15_000, 20).catch(() => releaseToNormal(bot.sup));
    await waitFor('NORMAL announced', () => rx.bodies.some((b) => b.kind === 'MODE_CHANGED' && b.to === 'NORMAL'), 5000, 10);
    const before = rx.bodies.length;
    bot.sup.raise('CLOCK_DRIFT', 'gateway', { drift_ms: 900 });
    // Mode authority first: the raise returned with PAUSE already in force.
    expect(bot.sup.modeState.mode).toBe('PAUSE');
    await waitFor(
      'alert delivered',
      () => bot.sup.webhooks.stats().targets[1]!.sent > 0 && rx.bodies.slice(before).some((b) => b.kind === 'ALERT_RAISED'),
      5000,
      10,
    );
    const got = rx.bodies.slice(before).find((b) => b.kind === 'ALERT_RAISED' && b.reason_code === 'CLOCK_DRIFT');
    expect(got).toMatchObject({ severity: 'CRIT', source: 'gateway', run_id: bot.runId });
    await waitFor('PAUSE announced', () => rx.bodies.slice(before).find((b) => b.kind === 'MODE_CHANGED' && b.from === 'NORMAL' && b.to === 'PAUSE'), 5000, 10);
    const st = bot.sup.webhooks.stats();
    expect(st.targets[0]!.in_flight).toBe(true);
    expect(st.targets[1]!.sent).toBeGreaterThan(0);
    // Its first request was answered 502: that delivery was retried, not lost.
    expect(st.targets[1]!.retries).toBeGreaterThanOrEqual(1);
  });
});
