import { existsSync, lstatSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { beforeAll, afterAll, describe, expect, it, vi, type TestContext } from 'vitest';
import { AuditWriter } from '@vigil/audit';
import { type EventEnvelope, type JsonObject, envelopeOf } from '@vigil/contracts';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { applyControl } from '../../apps/supervisor/src/control/apply.js';
import { operatorCommand } from '../../apps/supervisor/src/control/command.js';
import type { ControlCommand } from '../../apps/supervisor/src/control/protocol.js';
import { controlSocketPath, startControlServer, type ControlServer } from '../../apps/supervisor/src/control/server.js';
import { runLockFile, takeRunLock } from '../../apps/supervisor/src/run-lock.js';
import { verifyAuditCommand } from '../../apps/supervisor/src/start.js';
import type { Supervisor } from '../../apps/supervisor/src/supervisor.js';
import { panelUrlOf, releaseToNormal, SIM_KEY, startSupervisor, startVenue, venueConfig, waitFor } from './harness.js';

/**
 * `supervisor pause|resume|note` as a process against a real supervisor (real workers, SQLite and
 * the simulator): over the control socket while it runs, into the audit database while it is down.
 * The test process plays the `start` process: it holds the run lock and serves the socket.
 */
const cli = fileURLToPath(new URL('../../apps/supervisor/bin/supervisor.mjs', import.meta.url));

let sim: ExchangeSim;
beforeAll(async () => {
  sim = await startVenue();
});
afterAll(async () => {
  await sim.close();
});

/**
 * The tests run side by side (each its own var/, supervisor, control socket and run lock; the venue
 * is shared and nothing here trades): each test's own supervisors are stopped when it finishes,
 * last started first, through the test's own onTestFinished (a shared afterEach list would stop a
 * neighbour's supervisor mid-test).
 */
type Finally = TestContext['onTestFinished'];
// Three at a time: more supervisors booting at once on a loaded 2-core machine would starve a
// worker past its stall bound (a real automatic reason that would, rightly, refuse resume).
vi.setConfig({ maxConcurrency: 3 });

/**
 * Fast startup release so the tests see the state after startup reconcile within seconds; stall
 * bounds wide enough that the CLI processes starting beside the workers on a busy 2-core machine
 * do not make a worker look stalled (a real automatic reason that would, rightly, refuse resume).
 */
const FAST_RELEASE = {
  engine: { reconcile_interval_ms: 1000, manage_only_stable_ms: 200 },
  supervisor: { heartbeat_interval_ms: 1000, worker_stall_timeout_ms: 2000, worker_mode_timeout_ms: 4000 },
};

async function run(onFinished: Finally, varDir?: string) {
  const s = await startSupervisor({ ...FAST_RELEASE, ...(varDir ? { paths: { var_dir: varDir } } : {}) }, sim);
  let stopped = false;
  const lock = takeRunLock(s.varDir);
  if (!lock.ok) throw new Error('run lock');
  const control: ControlServer = await startControlServer({
    path: controlSocketPath(s.varDir),
    apply: (req) => applyControl(s.sup, req, s.varDir),
    onReject: (r) => s.sup.channelRejected(r),
  });
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await control.close();
    await s.sup.stop('test end');
    lock.release();
  };
  onFinished(stop);
  return { ...s, stop };
}

function configFile(varDir: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'vigil-opcfg-')), 'config.json');
  writeFileSync(f, JSON.stringify({ paths: { var_dir: varDir } }));
  return f;
}

// 60 s: a CLI child took more than 30 s of wall time at load 36 on this 2-core machine; the bound
// only has to tell a hung command from a slow one.
const op = (config: string, ...args: string[]) =>
  execa(process.execPath, [cli, ...args, '--config', config], { reject: false, timeout: 60_000, extendEnv: false, env: {} });

/**
 * The same commands in this process, through the functions the CLI's actions run and exit with
 * (1.5 s of CPU less than a child each). The commands that prove the process boundary (a pause and
 * a resume from another process while the supervisor runs, a pause written offline by another
 * process, the `start` process serving the socket) stay real children.
 */
async function opHere(config: string, cmd: ControlCommand, text: string) {
  let stdout = '';
  let stderr = '';
  const exitCode = await operatorCommand(cmd, text, config, {}, { out: (l) => void (stdout += `${l}\n`), err: (l) => void (stderr += `${l}\n`) });
  return { exitCode, stdout, stderr };
}

/** `supervisor verify-audit --config <file>` in this process: its exit code and stdout. */
async function verifyAuditHere(config: string) {
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  try {
    return { exitCode: await verifyAuditCommand(config, {}), stdout };
  } finally {
    spy.mockRestore();
  }
}

type Ev = { seq: number; event_type: string; reason_code: string | null; source: string; payload: string };
function events(varDir: string, type: string): (Ev & { p: Record<string, unknown> })[] {
  const db = new Database(join(varDir, 'data', 'audit.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT seq, event_type, reason_code, source, payload FROM events WHERE event_type = ? ORDER BY seq').all(type) as Ev[]).map((e) => ({
      ...e,
      p: JSON.parse(e.payload) as Record<string, unknown>,
    }));
  } finally {
    db.close();
  }
}

const active = (sup: Supervisor, code: string) => sup.modeState.reasons.find((r) => r.code === code);

/** Waits until the engine's startup reconcile has released it (STARTUP_RECOVER cleared). */
const released = (sup: Supervisor) => waitFor('startup reconcile release', () => !sup.authority.isActive('STARTUP_RECOVER'), 30_000, 50);

describe.concurrent('operator commands while the supervisor runs', () => {
  it('pause raises OPERATOR_PAUSE with its reason and is committed before the CLI returns; note is recorded; resume is refused naming an active automatic reason, then clears and the bot returns to NORMAL', async ({
    onTestFinished,
  }) => {
    const s = await run(onTestFinished);
    const cfg = configFile(s.varDir);
    expect(lstatSync(controlSocketPath(s.varDir)).mode & 0o777).toBe(0o600);
    await releaseToNormal(s.sup);

    const p = await op(cfg, 'pause', '--reason', 'venue maintenance at 18:00');
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^paused: OPERATOR_PAUSE raised, mode PAUSE/);
    expect(s.sup.modeState.mode).toBe('PAUSE');
    expect(active(s.sup, 'OPERATOR_PAUSE')).toMatchObject({ source: 'operator', detail: { reason: 'venue maintenance at 18:00' } });
    // Committed before the reply: readable as soon as the CLI has exited.
    expect(events(s.varDir, 'OPERATOR_PAUSED')).toMatchObject([
      { reason_code: 'OPERATOR_PAUSE', source: 'supervisor', p: { reason: 'venue maintenance at 18:00', via: 'control_socket' } },
    ]);
    await waitFor('engine applies PAUSE', () => s.sup.modeApplied.some((a) => a.worker === 'engine' && a.mode === 'PAUSE' && a.seq === s.sup.modeState.seq));

    const n = await opHere(cfg, 'note', 'cause: venue announced maintenance');
    expect(n.exitCode, n.stderr).toBe(0);
    expect(events(s.varDir, 'OPERATOR_NOTE')).toMatchObject([{ p: { text: 'cause: venue announced maintenance', via: 'control_socket', mode: 'PAUSE' } }]);

    s.sup.raise('CLOCK_DRIFT', 'gateway', { drift_ms: 900 });
    const refused = await op(cfg, 'resume', '--note', 'maintenance over');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/^CLOCK_DRIFT@gateway forces PAUSE: /m);
    expect(active(s.sup, 'OPERATOR_PAUSE')).toBeDefined();
    expect(events(s.varDir, 'OPERATOR_COMMAND_REFUSED')).toMatchObject([{ p: { cmd: 'resume', blocking: ['CLOCK_DRIFT@gateway'] } }]);
    expect(events(s.varDir, 'OPERATOR_RESUMED')).toEqual([]);

    s.sup.clear('CLOCK_DRIFT', 'gateway');
    const seq = s.sup.modeState.seq;
    const ok = await op(cfg, 'resume', '--note', 'maintenance over, clock fine');
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('cleared OPERATOR_PAUSE@operator');
    expect(active(s.sup, 'OPERATOR_PAUSE')).toBeUndefined();
    expect(events(s.varDir, 'OPERATOR_RESUMED')).toMatchObject([{ p: { note: 'maintenance over, clock fine', cleared: ['OPERATOR_PAUSE@operator'] } }]);
    await waitFor(
      'NORMAL again',
      () => s.sup.modeState.mode === 'NORMAL' && s.sup.modeApplied.some((a) => a.worker === 'engine' && a.mode === 'NORMAL' && a.seq > seq),
      5000,
      20,
    );
    const cleared = await waitFor(
      'REASON_CLEARED by the operator',
      () => events(s.varDir, 'REASON_CLEARED').find((e) => e.reason_code === 'OPERATOR_PAUSE'),
      5000,
      50,
    );
    expect(cleared.p).toEqual({ source: 'operator', by: 'operator' });

    await s.stop();
    expect(existsSync(controlSocketPath(s.varDir))).toBe(false);
    const v = await verifyAuditHere(cfg);
    expect(v.exitCode, v.stdout).toBe(0);
  }, 90_000);

  it('refuses an unknown command or a malformed request on the socket with a reason code and audits the refusal', async ({ onTestFinished }) => {
    const s = await run(onTestFinished);
    const ask = (text: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const c = createConnection({ path: controlSocketPath(s.varDir) });
        let buf = '';
        c.on('data', (d: Buffer) => (buf += d.toString()));
        c.on('end', () => resolve(buf));
        c.on('error', reject);
        c.write(text);
      });
    expect(JSON.parse(await ask('{"v":1,"id":"x1","cmd":"flatten_all","reason":"y"}\n'))).toMatchObject({ ok: false, id: 'x1', code: 'CHANNEL_UNKNOWN_TYPE' });
    expect(JSON.parse(await ask('{"v":1,"id":"x2","cmd":"pause","reason":"y","force":true}\n'))).toMatchObject({ ok: false, code: 'CHANNEL_MALFORMED' });
    expect(JSON.parse(await ask(`${'x'.repeat(5000)}\n`))).toMatchObject({ ok: false, code: 'CHANNEL_MALFORMED' });
    expect(active(s.sup, 'OPERATOR_PAUSE')).toBeUndefined();
    const rejected = await waitFor(
      'refusals audited',
      () => {
        const r = events(s.varDir, 'CHANNEL_MESSAGE_REJECTED').filter((e) => e.p['channel'] === 'control');
        return r.length === 3 ? r : false;
      },
      5000,
      50,
    );
    expect(rejected.map((e) => e.reason_code)).toEqual(['CHANNEL_UNKNOWN_TYPE', 'CHANNEL_MALFORMED', 'CHANNEL_MALFORMED']);
  }, 60_000);
});

describe.concurrent('operator commands while the bot is down, and state across a restart', () => {
  it('pause while down is recorded under the run lock with the chain intact, and the next start stays in PAUSE with that reason after startup reconcile until resume', async ({
    onTestFinished,
  }) => {
    const first = await run(onTestFinished);
    await first.stop();
    const varDir = first.varDir;
    const cfg = configFile(varDir);

    const p = await op(cfg, 'pause', '--reason', 'incident 42: wrong fills on BTC');
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout).toContain('no supervisor running');
    const n = await opHere(cfg, 'note', 'cause: venue sent duplicate executions');
    expect(n.exitCode, n.stderr).toBe(0);
    // The lock was taken for the write and released after it.
    expect(existsSync(runLockFile(varDir))).toBe(false);
    expect(events(varDir, 'OPERATOR_PAUSED')).toMatchObject([
      { reason_code: 'OPERATOR_PAUSE', p: { reason: 'incident 42: wrong fills on BTC', via: 'offline' } },
    ]);
    expect(events(varDir, 'OPERATOR_NOTE')).toMatchObject([{ p: { text: 'cause: venue sent duplicate executions', via: 'offline' } }]);
    const v = await verifyAuditHere(cfg);
    expect(v.exitCode, v.stdout).toBe(0);

    const second = await run(onTestFinished, varDir);
    expect(second.sup.modeState.mode).toBe('PAUSE');
    expect(active(second.sup, 'OPERATOR_PAUSE')).toMatchObject({ detail: { reason: 'incident 42: wrong fills on BTC', restored: true } });
    await released(second.sup);
    // Startup reconcile released the engine; the operator's PAUSE still holds.
    await new Promise((r) => setTimeout(r, 600));
    expect(second.sup.modeState.mode).toBe('PAUSE');
    expect(second.sup.modeState.reasons.filter((r) => r.code !== 'FAULT_HOOKS_ENABLED').map((r) => r.code)).toEqual(['OPERATOR_PAUSE']);

    const r = await opHere(cfg, 'resume', 'fills reconciled by hand');
    expect(r.exitCode, r.stderr).toBe(0);
    await waitFor('NORMAL after resume', () => second.sup.modeState.mode === 'NORMAL', 5000, 20);
    await second.stop();

    // Resumed: a third start does not pause again.
    const third = await run(onTestFinished, varDir);
    expect(active(third.sup, 'OPERATOR_PAUSE')).toBeUndefined();
    await third.stop();
  }, 120_000);

  it('resume while down lifts the standing pause for the next start', async ({ onTestFinished }) => {
    const first = await run(onTestFinished);
    await first.stop();
    const cfg = configFile(first.varDir);
    expect((await opHere(cfg, 'pause', 'weekend')).exitCode).toBe(0);
    const r = await opHere(cfg, 'resume', 'monday');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('the operator pause ("weekend") is lifted');
    expect(events(first.varDir, 'OPERATOR_RESUMED')).toMatchObject([{ p: { note: 'monday', via: 'offline', cleared: ['OPERATOR_PAUSE@operator'] } }]);
    const second = await run(onTestFinished, first.varDir);
    expect(active(second.sup, 'OPERATOR_PAUSE')).toBeUndefined();
  }, 90_000);

  it('a kill switch file present at start keeps the system in PAUSE after startup reconcile', async ({ onTestFinished }) => {
    const first = await run(onTestFinished);
    await first.stop();
    writeFileSync(join(first.varDir, 'KILL'), 'operator stop\n');
    const second = await run(onTestFinished, first.varDir);
    await released(second.sup);
    await waitFor('KILL_SWITCH_ACTIVE', () => active(second.sup, 'KILL_SWITCH_ACTIVE'), 5000, 20);
    expect(second.sup.modeState.mode).toBe('PAUSE');
    // Raised before the release in the same tick: the engine never saw NORMAL.
    expect(second.sup.modeApplied.some((a) => a.worker === 'engine' && a.mode === 'NORMAL')).toBe(false);
  }, 90_000);

  it("today's realized loss survives a restart: the engine reports it, RISK_DAILY_LOSS_LIMIT_HIT holds after startup reconcile and resume cannot clear it the same day", async ({
    onTestFinished,
  }) => {
    const first = await run(onTestFinished);
    const cfg = configFile(first.varDir);
    await first.stop();
    // The scenario is "the same UTC day": run too close to midnight, the restarted engine would
    // rightly start a new day with nothing lost. Wait for the new day instead of straddling it.
    const toMidnight = 86_400_000 - (Date.now() % 86_400_000);
    if (toMidnight < 120_000) await new Promise((r) => setTimeout(r, toMidnight + 1000));
    // The last P&L samples of the day as the engine of the first run would have written them
    // before it stopped (through the real audit writer, so the chain goes on).
    const day = new Date().toISOString().slice(0, 10);
    const w = new AuditWriter({
      dbFile: join(first.varDir, 'data', 'audit.sqlite'),
      jsonlDir: join(first.varDir, 'jsonl'),
      config: first.config.audit,
      now: Date.now,
      setReason: () => {},
    });
    w.open();
    const ev = (payload: JsonObject): EventEnvelope =>
      envelopeOf({ ts_ms: Date.now(), run_id: first.runId, source: 'engine', stage: 'IDLE', event_type: 'PNL_SAMPLED', payload });
    w.enqueue([
      ev({ day, realized: '0.00000000', unrealized: '4.00000000', total: '4.00000000', exposure: '0', symbols: [] }),
      ev({ day, realized: '-61.25000000', unrealized: '0.00000000', total: '-61.25000000', exposure: '0', symbols: [] }),
    ]);
    w.drainAll();
    w.close();
    expect((await verifyAuditHere(cfg)).exitCode).toBe(0);
    expect(first.config.risk.daily_loss_limit_quote).toBe('50');

    const second = await run(onTestFinished, first.varDir);
    const pnl = await waitFor(
      'engine P&L',
      async () => (await second.sup.hosts.engine.request('status', {})).details['pnl'] as { day: string; realized: string; total: string } | undefined,
      5000,
      50,
    );
    expect(pnl).toMatchObject({ day, realized: '-61.25000000' });
    await waitFor('RISK_DAILY_LOSS_LIMIT_HIT', () => active(second.sup, 'RISK_DAILY_LOSS_LIMIT_HIT'), 10_000, 20);
    await released(second.sup);
    expect(second.sup.modeState.mode).toBe('PAUSE');
    const check = await second.sup.hosts.engine.request('entry_check', { symbol: 'BTCUSDT' });
    expect(check.allowed).toBe(false);
    expect(check.blocked_by).toContain('RISK_DAILY_LOSS_LIMIT_HIT');
    // Same UTC day: the operator cannot lift it; the CLI says what still holds.
    const r = await opHere(cfg, 'resume', 'try');
    expect(r.exitCode, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^still held: RISK_DAILY_LOSS_LIMIT_HIT@engine forces PAUSE: holds until the next UTC day/m);
    expect(active(second.sup, 'RISK_DAILY_LOSS_LIMIT_HIT')).toBeDefined();
  }, 240_000);
});

describe.concurrent('operator commands against `supervisor start --live` as a process', () => {
  it('the started supervisor serves var/run/control.sock (0600): pause from another process is applied and shown on the panel, and the socket is gone after SIGINT', async ({
    onTestFinished,
  }) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-opstart-'));
    const varDir = join(dir, 'var');
    mkdirSync(varDir, { recursive: true });
    writeFileSync(join(varDir, 'LIVE.ok'), '');
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ ...venueConfig(sim), paths: { var_dir: varDir }, panel: { port: 0 }, logging: { level: 'warn' } }));
    const proc = execa(process.execPath, [cli, 'start', '--live', '--config', cfg], {
      env: { MODE: 'LIVE', AI_DEC: '2', BINANCE_API_KEY: SIM_KEY.apiKey, BINANCE_API_SECRET: SIM_KEY.secretKey },
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
    onTestFinished(async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGINT');
        await proc;
      }
    });
    // The whole bot starting in a child: 60 s, not 30, before calling it stuck on a loaded machine.
    const url = await panelUrlOf(proc, 60_000);
    expect(lstatSync(controlSocketPath(varDir)).mode & 0o777).toBe(0o600);
    const p = await op(cfg, 'pause', '--reason', 'operator on call: investigating');
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^paused: OPERATOR_PAUSE raised/);
    const status = (await (await fetch(`${url}/api/status`)).json()) as { mode: string; reasons: { code: string }[] };
    expect(status.mode).toBe('PAUSE');
    expect(status.reasons.map((r) => r.code)).toContain('OPERATOR_PAUSE');
    proc.kill('SIGINT');
    expect((await proc).exitCode).toBe(0);
    expect(existsSync(controlSocketPath(varDir))).toBe(false);
    expect(events(varDir, 'OPERATOR_PAUSED')).toMatchObject([{ p: { reason: 'operator on call: investigating', via: 'control_socket' } }]);
  }, 90_000);
});
