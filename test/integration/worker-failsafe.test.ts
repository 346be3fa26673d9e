import { createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModeState, WorkerEvent } from '@vigil/contracts';
import { WorkerHost } from '../../apps/supervisor/src/worker-host.js';
import { handHost, testConfig, waitFor } from './harness.js';

/**
 * A real engine thread driven by hand (no supervisor): it must treat itself as PAUSE when it hears
 * no mode, and again when the mode broadcasts stop after it had heard NORMAL.
 */
const require = createRequire(import.meta.url);
let host: WorkerHost | null = null;
afterEach(async () => {
  await host?.stop();
  host = null;
});

function engineHost() {
  const { config, varDir } = testConfig();
  const events: WorkerEvent[] = [];
  const h = new WorkerHost({
    name: 'engine',
    entry: require.resolve('@vigil/engine/worker'),
    config,
    runId: 'run_test',
    varDir,
    secrets: null,
    now: Date.now,
    onEvent: (ev) => events.push(ev),
    onDown: () => {},
    onReject: () => {},
  });
  host = h;
  const audit = new MessageChannel();
  const market = new MessageChannel();
  return {
    h,
    events,
    config,
    ports: [
      { name: 'audit' as const, port: audit.port1 },
      { name: 'market' as const, port: market.port1 },
    ],
  };
}

const normal = (seq: number): ModeState => ({ mode: 'NORMAL', seq, since_ms: Date.now(), reasons: [] });

describe('worker mode failsafe', () => {
  it('is PAUSE until it hears a mode, falls back to PAUSE at a heartbeat tick more than worker_mode_timeout_ms after the last mode heard (by its own stamps), and clears MODE_UNKNOWN_FAILSAFE when it hears the mode again', async () => {
    const { h, events, config, ports } = engineHost();
    await h.start(ports);
    expect((await h.request('entry_check', { symbol: 'BTCUSDT' })).mode).toBe('PAUSE');
    // Hear NORMAL a few times, as the supervisor would broadcast it (each a new seq, so each one
    // heard is answered with its own mode_applied, stamped by the worker).
    for (let i = 0; i < 3; i++) {
      h.control!.emit({ type: 'mode', ...normal(7 + i) });
      await new Promise((r) => setTimeout(r, 50));
    }
    const check = await h.request('entry_check', { symbol: 'BTCUSDT' });
    expect(check.mode).toBe('NORMAL');
    expect(check.allowed).toBe(false); // startup reconcile and the AI gate still block
    // Silence: after worker_mode_timeout_ms it applies PAUSE itself and says why. Judged by the
    // worker's own events, not by this thread's clock (which a loaded machine delays): the failsafe
    // follows the last mode heard, at a heartbeat tick, later than the timeout by the worker's stamps.
    const failsafe = await waitFor(
      'failsafe mode_applied',
      () => events.find((e) => e.type === 'mode_applied' && e.failsafe),
      config.supervisor.worker_mode_timeout_ms * 10,
    );
    expect(failsafe).toMatchObject({ mode: 'PAUSE', failsafe: true });
    type Applied = Extract<WorkerEvent, { type: 'mode_applied' }>;
    type Beat = Extract<WorkerEvent, { type: 'heartbeat' }>;
    const iFailsafe = events.indexOf(failsafe);
    const lastHeard = events
      .slice(0, iFailsafe)
      .filter((e): e is Applied => e.type === 'mode_applied' && !e.failsafe)
      .at(-1)!;
    expect(lastHeard).toMatchObject({ mode: 'NORMAL', seq: 9 });
    // The check runs in the heartbeat tick, and that tick's heartbeat is the next event after it.
    const tick = await waitFor('the heartbeat of the failsafe tick', () => events.slice(iFailsafe).find((e): e is Beat => e.type === 'heartbeat'), 5000);
    // Heartbeats went on during the silence (the thread was alive and ticking, not frozen).
    const beatsInSilence = events.slice(events.indexOf(lastHeard), iFailsafe).filter((e) => e.type === 'heartbeat').length;
    expect(beatsInSilence).toBeGreaterThanOrEqual(1);
    // Both stamps are the worker's (5 ms for its two clocks: performance-based and Date.now).
    expect(tick.ts_ms - lastHeard.applied_ts_ms).toBeGreaterThan(config.supervisor.worker_mode_timeout_ms - 5);
    const raisedAt = events.findIndex((e) => e.type === 'reason_raised' && e.code === 'MODE_UNKNOWN_FAILSAFE');
    expect(raisedAt).toBeGreaterThan(iFailsafe);
    expect(events.some((e) => e.type === 'reason_raised' && e.code === 'MODE_UNKNOWN_FAILSAFE')).toBe(true);
    const after = await h.request('entry_check', { symbol: 'BTCUSDT' });
    expect(after.mode).toBe('PAUSE');
    expect(after.blocked_by).toContain('MODE_UNKNOWN_FAILSAFE');
    // Hearing the mode again lifts the failsafe.
    h.control!.emit({ type: 'mode', ...normal(10) });
    await waitFor('NORMAL again', async () => (await h.request('entry_check', { symbol: 'BTCUSDT' })).mode === 'NORMAL');
    // ... and clears the reason it raised, so the supervisor's PAUSE does not outlive the silence.
    await waitFor('MODE_UNKNOWN_FAILSAFE cleared', () => events.some((e) => e.type === 'reason_cleared' && e.code === 'MODE_UNKNOWN_FAILSAFE'));
  });

  it('refuses fault hooks (exit, advance_clock) unless they are enabled', async () => {
    const { config, varDir } = testConfig({ live: { fault_hooks_enabled: false } });
    const h = handHost({ name: 'engine', entry: require.resolve('@vigil/engine/worker'), config, varDir });
    host = h;
    await h.start([
      { name: 'audit', port: new MessageChannel().port1 },
      { name: 'market', port: new MessageChannel().port1 },
    ]);
    expect(await h.request('fault', { fault: { kind: 'exit', code: 9 } })).toEqual({ applied: false });
    // Nor can anything move a production worker's clock.
    expect(await h.request('fault', { fault: { kind: 'advance_clock', ms: 5000 } })).toEqual({ applied: false });
    expect(h.state).toBe('running');
  });
});
