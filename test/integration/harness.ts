import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newRunId, type Config, type WorkerEvent, type WorkerName } from '@vigil/contracts';
import { createLogger, parseConfig } from '@vigil/runtime';
import { Supervisor } from '../../apps/supervisor/src/supervisor.js';
import { WorkerHost } from '../../apps/supervisor/src/worker-host.js';
import { createExchangeSim, type ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { signed } from '../exchange-sim/helpers.js';

/** The venue every integration test talks to: the local simulator over real sockets. */
export const SIM_KEY = {
  apiKey: 'itestkey00000000000000000000000001',
  secretKey: 'itestsecret000000000000000000000001',
  canTrade: true,
  enableWithdrawals: false,
  ipRestrict: true,
};

/**
 * The simulator's price path is seeded: the harness seed is chosen so that the engine tests'
 * strategy (5 bars of 200 ms) sees its first breakout soon after the startup reconcile releases it,
 * instead of idling for one. VIGIL_SIM_SEED overrides it (exploration).
 */
export const SIM_SEED = Number(process.env['VIGIL_SIM_SEED'] ?? 7);

/** A signed REST request to the venue with the bot's own key: another client on the same account. */
export async function signedAsBot(sim: ExchangeSim, method: string, path: string, params: Record<string, string>): Promise<Record<string, unknown>> {
  return (await signed(sim, method, path, params, { key: SIM_KEY.apiKey, secret: SIM_KEY.secretKey })).body;
}

export async function startVenue(seed: number = SIM_SEED): Promise<ExchangeSim> {
  return createExchangeSim({ keys: [{ ...SIM_KEY }], seed, tickMs: 100 });
}

/** The earlier harness seed: its path (a later first breakout, then partial fills and a lasting position) is what some scenarios were written against. */
export const SLOW_BREAKOUT_SEED = 11;

export function venueConfig(sim: ExchangeSim): Record<string, unknown> {
  return { exchange: { rest_base_url: sim.rest, ws_market_url: sim.ws, ws_api_url: `${sim.ws}/ws-api/v3`, symbols: ['BTCUSDT', 'ETHUSDT'] } };
}

/** Fast timings so the tests observe heartbeats, stalls and windows in well under a second. */
export const FAST = {
  supervisor: {
    // Fast enough to observe stalls and windows in well under a second, slow enough that a GC pause
    // or a busy 2-core CI machine (Chromium starting beside us) does not look like a stalled thread.
    heartbeat_interval_ms: 100,
    worker_stall_timeout_ms: 190,
    mode_broadcast_interval_ms: 100,
    worker_mode_timeout_ms: 600,
    degrade_stability_window_ms: 300,
    restart_backoff_initial_ms: 20,
    restart_backoff_max_ms: 200,
    request_timeout_ms: 2000,
    // Test processes share two cores with other test files: a slow loop must not flip modes here.
    event_loop_lag_degrade_ms: 60_000,
  },
  live: { fault_hooks_enabled: true },
  logging: { level: 'warn' },
  // No audit backup at start: the backup and its verify thread cost each boot 1-3 s. The tests of
  // backups (housekeeping, canary, restore) turn it on or drive it directly.
  audit: { backup_enabled: false },
} as const;

export function testConfig(overrides: Record<string, unknown> = {}): { config: Config; varDir: string } {
  const varDir = mkdtempSync(join(tmpdir(), 'vigil-it-'));
  // Never the real venue: tests that do not start the simulator point at a closed loopback port.
  const raw: Record<string, unknown> = {
    ...FAST,
    paths: { var_dir: varDir },
    exchange: { rest_base_url: 'http://127.0.0.1:9', ws_market_url: 'ws://127.0.0.1:9', ws_api_url: 'ws://127.0.0.1:9/ws-api/v3' },
  };
  for (const [k, v] of Object.entries(overrides)) {
    raw[k] = typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...(raw[k] as object | undefined), ...v } : v;
  }
  const r = parseConfig(raw);
  if (!r.ok) throw new Error(`test config invalid: ${JSON.stringify(r.error)}`);
  // An override of paths.var_dir (a restart test reusing a run's directory) wins over the fresh one.
  return { config: r.config, varDir: r.config.paths.var_dir };
}

/** A worker host driven by hand (no supervisor) over a test config: deaths and rejects are ignored. */
export function handHost(o: { name: WorkerName; entry: string; config: Config; varDir: string; onEvent?: (ev: WorkerEvent) => void }): WorkerHost {
  return new WorkerHost({
    name: o.name,
    entry: o.entry,
    config: o.config,
    runId: 'run_test',
    varDir: o.varDir,
    secrets: null,
    now: Date.now,
    onEvent: o.onEvent ?? (() => {}),
    onDown: () => {},
    onReject: () => {},
  });
}

/** A supervisor with real workers against `venue` (started here when not given). */
export async function startSupervisor(overrides: Record<string, unknown> = {}, venue?: ExchangeSim) {
  const sim = venue ?? (await startVenue());
  const { config, varDir } = testConfig({ ...venueConfig(sim), ...overrides });
  const runId = newRunId();
  const log = createLogger({ thread: 'supervisor', logDir: join(varDir, 'log'), config: config.logging, console: false });
  const sup = new Supervisor({ config, varDir, runId, secrets: { api_key: SIM_KEY.apiKey, api_secret: SIM_KEY.secretKey }, log, consoleAlerts: false });
  try {
    await sup.start();
  } catch (e) {
    // A refused start must not leave a supervisor behind (its restart timers would keep retrying
    // the dead worker after the test), nor a venue this function started.
    await sup.stop('start failed').catch(() => undefined);
    if (!venue) await sim.close();
    throw e;
  }
  const stop = async (): Promise<void> => {
    await sup.stop('test end');
    if (!venue) await sim.close();
  };
  return { sup, config, varDir, runId, sim, stop };
}

type Maybe<T> = T | undefined | null | false;
/** The default polling of waitFor: 5 ms at first, then 1.5 times longer each time, up to 50 ms. */
const POLL_FIRST_MS = 5;
const POLL_MAX_MS = 50;
/**
 * Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (throws). With
 * `everyMs`, at that fixed interval. Without it, the interval starts at 5 ms and grows to 50 ms: a
 * condition met at once is seen at once, and a wait of seconds (a breakout, a back-off) does not
 * run its predicate (often an SQL query on a fresh connection) 200 times a second: that polling was
 * about 2% of the integration tests' CPU (2026-12-06, issue 20).
 */
export async function waitFor<T>(what: string, fn: () => Maybe<T> | Promise<Maybe<T>>, timeoutMs = 5000, everyMs?: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let delay = everyMs ?? POLL_FIRST_MS;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    if (everyMs === undefined) delay = Math.min(POLL_MAX_MS, Math.ceil(delay * 1.5));
  }
}

/** Leaves the boot PAUSE the way startup reconcile will, then waits out the stability window. */
export async function releaseToNormal(sup: Supervisor): Promise<void> {
  sup.authority.clear('STARTUP_RECOVER', 'engine');
  sup.clear('STARTUP_RECOVER', 'engine');
  // A bound for a loaded machine: the stability window plus a mode round trip take well under 1 s
  // alone, but a test beside other test processes may wait seconds for its threads to be scheduled.
  await waitFor(
    'NORMAL',
    () => sup.modeState.mode === 'NORMAL' && sup.modeApplied.some((a) => a.worker === 'engine' && a.mode === 'NORMAL' && a.seq === sup.modeState.seq),
    20_000,
  );
}

export const preciseNow = (): number => performance.timeOrigin + performance.now();

/**
 * The panel URL a `supervisor start` child process prints ("Panel: http://127.0.0.1:P/dashboard"),
 * or an error with everything it printed when none comes within `timeoutMs`.
 */
export function panelUrlOf(
  proc: { readonly stdout: NodeJS.ReadableStream | null; readonly stderr?: NodeJS.ReadableStream | null },
  timeoutMs = 30_000,
): Promise<string> {
  let out = '';
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no panel URL within ${timeoutMs / 1000} s:\n${out}`)), timeoutMs);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Panel: (http:\/\/127\.0\.0\.1:\d+)\/dashboard/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
  });
}
