import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newRunId, type Config } from '@vigil/contracts';
import { createLogger, parseConfig } from '@vigil/runtime';
import { Supervisor } from '../../apps/supervisor/src/supervisor.js';

/** Fast timings so the tests observe heartbeats, stalls and windows in well under a second. */
export const FAST = {
  supervisor: {
    heartbeat_interval_ms: 50,
    worker_stall_timeout_ms: 90,
    mode_broadcast_interval_ms: 50,
    worker_mode_timeout_ms: 400,
    degrade_stability_window_ms: 300,
    restart_backoff_initial_ms: 20,
    restart_backoff_max_ms: 200,
    request_timeout_ms: 2000,
    // Test processes share two cores with other test files: a slow loop must not flip modes here.
    event_loop_lag_degrade_ms: 60_000,
  },
  live: { fault_hooks_enabled: true },
  logging: { level: 'warn' },
} as const;

export function testConfig(overrides: Record<string, unknown> = {}): { config: Config; varDir: string } {
  const varDir = mkdtempSync(join(tmpdir(), 'vigil-it-'));
  const raw: Record<string, unknown> = { ...FAST, paths: { var_dir: varDir } };
  for (const [k, v] of Object.entries(overrides)) {
    raw[k] = typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...(raw[k] as object | undefined), ...v } : v;
  }
  const r = parseConfig(raw);
  if (!r.ok) throw new Error(`test config invalid: ${JSON.stringify(r.error)}`);
  return { config: r.config, varDir };
}

export async function startSupervisor(overrides: Record<string, unknown> = {}) {
  const { config, varDir } = testConfig(overrides);
  const runId = newRunId();
  const log = createLogger({ thread: 'supervisor', logDir: join(varDir, 'log'), config: config.logging, console: false });
  const sup = new Supervisor({ config, varDir, runId, secrets: { api_key: 'test-key-0123456789', api_secret: 'test-secret-0123456789' }, log, consoleAlerts: false });
  await sup.start();
  return { sup, config, varDir, runId };
}

type Maybe<T> = T | undefined | null | false;
export async function waitFor<T>(what: string, fn: () => Maybe<T> | Promise<Maybe<T>>, timeoutMs = 5000, everyMs = 5): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Leaves the boot PAUSE the way startup reconcile will, then waits out the stability window. */
export async function releaseToNormal(sup: Supervisor): Promise<void> {
  sup.authority.clear('STARTUP_RECOVER', 'engine');
  sup.clear('STARTUP_RECOVER', 'engine');
  await waitFor('NORMAL', () => sup.modeState.mode === 'NORMAL' && sup.modeApplied.some((a) => a.worker === 'engine' && a.mode === 'NORMAL' && a.seq === sup.modeState.seq));
}

export const preciseNow = (): number => performance.timeOrigin + performance.now();
