// `npm run chaos`: the crash-point matrix and the fault matrix (docs/RELIABILITY.md).
//
// Crash points: the whole bot (the real `supervisor start --live` process) runs against the local
// venue (apps/exchange-sim) and the local reviewer (apps/ai-reviewer), each a separate process. A
// crash point armed in the config (live.crash_point, honoured only with live.fault_hooks_enabled)
// makes the bot write var/chaos/crash-point.jsonl and block at exactly that point of the order
// lifecycle; the harness then SIGKILLs the bot's process group, restarts it on the same var/
// against the same, still running venue, and checks the invariants against the venue's own truth
// (GET /admin/state) and the audit database.
//
// Fault matrix: test/chaos/fault-matrix.test.ts (in-process supervisor, the existing harnesses),
// run through vitest; its rows are read back from a JSON file.
//
// Run by `node --import tsx scripts/chaos.ts` (npm run chaos): the loader stays in this process and
// the vitest child; the bot, the venue and the reviewer are separate processes started from dist/
// with plain node and a clean environment, as in production.
//
//   npm run chaos                       all points x 3 seeds, the fault matrix, docs/RELIABILITY.md
//   npm run chaos -- --seeds 5          more seeds
//   npm run chaos -- --quick            one seed, the quick subset, no fault matrix, report in var/
//   npm run chaos -- --points a,b       only these points (names or letters)
//   npm run chaos -- --no-faults        skip the fault matrix
//   npm run chaos -- --report FILE      where to write the report
//   npm run chaos -- --jobs N           crash rows at once (default 3; each row its own venue,
//                                       reviewer and var/, at most 2 bots booting at a time)
//   npm run chaos -- --keep             keep every row's directory (failed rows' always are)
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDatabaseFileMirror, verifyAuditSet } from '@vigil/audit';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import type { CrashPoint } from '@vigil/contracts';
import { SIM_CHURN, SIM_ENGINE, SIM_ENTRY_TTL_MS, SIM_STRATEGY } from './lib/sim-profile.ts';
import { machineLine } from './machine.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'apps/supervisor/bin/supervisor.mjs');
const SIM = join(root, 'apps/exchange-sim/dist/cli.js');
const REVIEWER = join(root, 'apps/ai-reviewer/dist/cli.js');

/** A row of the matrix: a crash point, and for `protection_placed` the OCO leg that fills while the bot is down. */
interface Point {
  readonly id: string;
  readonly point: CrashPoint;
  readonly what: string;
  readonly whileDown?: 'stop' | 'take_profit';
}
/** An order as the venue's GET /admin/state lists it (the fields read here). */
interface VenueOrder {
  readonly apiKey: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly status: string;
  readonly price: string;
  readonly stopPrice: string;
  readonly origQty: string;
  readonly executedQty: string;
  readonly cummulativeQuoteQty: string;
}
interface VenueState {
  readonly orders: readonly VenueOrder[];
  readonly paused: boolean;
  readonly prices: Readonly<Record<string, string>>;
}
/** A line of var/chaos/crash-point.jsonl: the thread that reached the point and what it held. */
interface CrashMarker {
  readonly thread: string;
  readonly detail: {
    readonly client_order_id?: string;
    readonly cancel_client_order_id?: string;
    readonly list_client_order_id?: string;
  };
}
/** One row of the crash matrix, as the report and the JSON file give it. */
interface CrashRow {
  readonly point: CrashPoint;
  readonly id: string;
  readonly seed: number;
  recovered: boolean;
  recovered_ms: number | null;
  protection_ms: number | null;
  protection: string;
  duplicates: number;
  readonly dup_detail: string[];
  missing: number;
  readonly missing_detail: string[];
  integrity: string;
  chain: string;
  mode_path: string;
  mode_ok: boolean;
  kills: number;
  readonly notes: string[];
  verdict: 'PASS' | 'FAIL';
  readonly phases: string[];
  unmanaged?: string;
  oversold?: number;
}
/** A row of test/chaos/fault-matrix.test.ts's JSON file. */
interface FaultRow {
  readonly n: number;
  readonly incident: string;
  readonly fault: string;
  readonly expected_mode: string;
  readonly expected_reason: string;
  readonly observed_mode?: string;
  readonly observed_reasons?: readonly string[];
  readonly recovery_ms?: number;
  readonly recovery?: string;
  readonly verdict: string;
}
interface Faults {
  readonly rows: readonly FaultRow[];
  readonly exitCode: number;
}

/** The named points, in lifecycle order; the letter is the brief's. */
const POINTS: readonly Point[] = [
  { id: 'a', point: 'after_intent_commit', what: 'entry intent committed, order not sent' },
  { id: 'b', point: 'after_send_before_response', what: 'entry executed at the venue, reply not processed' },
  { id: 'c', point: 'after_fill_before_protect', what: 'entry filled, protection not placed' },
  { id: 'd', point: 'swap_after_cancel', what: 'OCO cancel confirmed, trailing stop not placed' },
  { id: 'e', point: 'startup_reconcile', what: 'killed again inside startup reconcile (after c)' },
  { id: 'f', point: 'audit_storm', what: '10 000-row audit storm with 40 critical rows in flight, entry sent' },
  { id: 'g', point: 'entry_working', what: 'entry confirmed resting (NEW) at the venue; it fills while the bot is down' },
  { id: 'h', point: 'replace_after_send', what: 're-quote by cancelReplace executed at the venue (old entry cancelled, new one resting), reply not processed' },
  { id: 'i', point: 'protection_placed', what: 'OCO confirmed; its stop leg fills while the bot is down', whileDown: 'stop' },
  { id: 'j', point: 'protection_placed', what: 'OCO confirmed; its take-profit leg fills while the bot is down', whileDown: 'take_profit' },
];
const QUICK = ['a', 'b', 'c', 'd', 'g', 'h', 'i'];

const args = process.argv.slice(2);
const flag = (n: string): boolean => args.includes(n);
/** The value after flag `n`; undefined when the flag or its value is absent. */
const opt = (n: string): string | undefined => {
  const i = args.indexOf(n);
  return i >= 0 && args[i + 1] ? args[i + 1] : undefined;
};
const quick = flag('--quick');
const seedCount = quick ? 1 : Number(opt('--seeds') ?? '3');
const wanted = opt('--points')?.split(',') ?? (quick ? QUICK : POINTS.map((p) => p.id));
const points = POINTS.filter((p) => wanted.includes(p.id) || wanted.includes(p.point));
const withFaults = !quick && !flag('--no-faults');
const reportFile = opt('--report') ?? (quick ? join(root, 'var/chaos/RELIABILITY-quick.md') : join(root, 'docs/RELIABILITY.md'));
const jsonFile = opt('--json') ?? (quick || args.includes('--report') ? reportFile.replace(/\.md$/, '.json') : join(root, 'var/chaos/RELIABILITY.json'));
/** Crash rows run at once (`--jobs N`). */
const JOBS = Number(opt('--jobs') ?? '3');
const SEEDS = Array.from({ length: seedCount }, (_, i) => 101 + i * 17);

/** Bounds the rows are judged against. */
const BOUND = { crash_ms: 90_000, recovered_ms: 60_000, protection_ms: 15_000 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (...a: unknown[]): void => console.error('chaos:', ...a);
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// --- processes -------------------------------------------------------------------------------

/** `node <cli> ...argv` in its own process group (so a signal to the group reaches every thread), with only `env`. */
function spawnGroup(cli: string, argv: readonly string[], env: Readonly<Record<string, string>>) {
  const child = execa(process.execPath, [cli, ...argv], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
    env,
    extendEnv: false,
    detached: true,
  });
  children.add(child);
  void child.finally(() => children.delete(child));
  return child;
}
type Child = ReturnType<typeof spawnGroup>;
const children = new Set<Child>();

/** Sends `sig` to the child's process group; false when it has no pid or the group is gone. */
function signalGroup(child: Child, sig: NodeJS.Signals): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, sig);
    return true;
  } catch {
    return false; // gone
  }
}

/** A process in its own group that prints `<TAG> {json}` when ready. */
async function startPeer<T>(name: string, cli: string, argv: readonly string[], tag: string, env: Readonly<Record<string, string>>) {
  const child = spawnGroup(cli, argv, env);
  child.stderr.on('data', () => {});
  const ready = await new Promise<T>((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`${name} not ready within 15 s`)), 15_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = new RegExp(`${tag} (\\{.*\\})`).exec(buf);
      if (m?.[1] !== undefined) {
        clearTimeout(t);
        resolve(JSON.parse(m[1]) as T);
      }
    });
    void child.then((r) => reject(new Error(`${name} exited early (${r.exitCode}): ${r.stderr}`)));
  });
  child.stdout.on('data', () => {});
  return { child, ready };
}

async function stopPeer(child: Child, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode) return;
  signalGroup(child, sig);
  await Promise.race([child, sleep(10_000)]);
  if (child.exitCode === null && !child.signalCode) {
    signalGroup(child, 'SIGKILL');
    await child;
  }
}

/**
 * At most BOOT_SLOTS bots boot at once across the concurrent rows: a boot (four threads loading
 * their modules, mostly one after another) is the CPU-heavy part of a row, and a row's clocks
 * (released ms, protection ms) start at its spawn, so three boots fighting over two cores would
 * only stretch each. A restart (`urgent`: its boot counts against the protection bound) goes ahead
 * of first starts and boots alone. A slot is held until the panel is up (or the bot is gone, or
 * 30 s passed).
 */
const BOOT_SLOTS = 2;
let bootFree = BOOT_SLOTS;
const bootWaiters: { readonly need: number; readonly urgent: boolean; readonly go: () => void }[] = [];
const pumpBoots = (): void => {
  for (let w = bootWaiters[0]; w !== undefined && w.need <= bootFree; w = bootWaiters[0]) {
    bootWaiters.shift();
    bootFree -= w.need;
    w.go();
  }
};
async function bootBot(cfgFile: string, env: Readonly<Record<string, string>>, urgent = false): Promise<Bot> {
  const need = urgent ? BOOT_SLOTS : 1;
  await new Promise<void>((go) => {
    const w = { need, urgent, go };
    const at = urgent ? bootWaiters.findIndex((x) => !x.urgent) : -1;
    if (at >= 0) bootWaiters.splice(at, 0, w);
    else bootWaiters.push(w);
    pumpBoots();
  });
  const bot = startBot(cfgFile, env);
  void Promise.race([bot.panel, bot.child, sleep(30_000)]).finally(() => {
    bootFree += need;
    pumpBoots();
  });
  return bot;
}

/** The bot: `supervisor start --live`, its own process group so SIGKILL reaches every thread at once. */
function startBot(cfgFile: string, env: Readonly<Record<string, string>>) {
  const child = spawnGroup(CLI, ['start', '--live', '--config', cfgFile], env);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const panel = new Promise<string | null>((resolve) => {
    const check = () => {
      const m = /Panel: (http:\/\/127\.0\.0\.1:\d+)\/dashboard/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
      else if (child.exitCode === null) setTimeout(check, 20);
      else resolve(null);
    };
    check();
  });
  return { child, panel, output: () => out, t0: Date.now() };
}
type Bot = ReturnType<typeof startBot>;

const getJson = async <T>(url: string): Promise<T> => (await fetch(url)).json() as Promise<T>;
const venueState = (admin: string): Promise<VenueState> => getJson<VenueState>(`${admin}/admin/state`);
const post = (url: string, body: unknown): Promise<unknown> => fetch(url, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());

// --- venue truth -----------------------------------------------------------------------------

const ours = (o: VenueOrder): boolean => typeof o.clientOrderId === 'string' && o.clientOrderId.startsWith('vg');
const listOf = (coid: string): string | null => (/^vg[st]/.test(coid) ? `vgl${coid.slice(3)}` : null);

/** The bot's position per symbol from the venue's own orders (0.1 % commission in the received asset). */
function venuePositions(state: VenueState, apiKey: string): Map<string, number> {
  const pos = new Map<string, number>();
  for (const o of state.orders) {
    if (o.apiKey !== apiKey || !ours(o)) continue;
    const q = Number(o.executedQty);
    if (q === 0) continue;
    pos.set(o.symbol, (pos.get(o.symbol) ?? 0) + (o.side === 'BUY' ? q * 0.999 : -q));
  }
  return pos;
}

/** Open protective quantity per symbol: each open list once, each open trailing/stop order. */
function venueCover(state: VenueState, apiKey: string): { cover: Map<string, number>; structures: Map<string, number> } {
  const cover = new Map<string, number>();
  const structures = new Map<string, number>();
  const seenLists = new Set<string>();
  for (const o of state.orders) {
    if (o.apiKey !== apiKey || !ours(o) || o.side !== 'SELL' || !['NEW', 'PARTIALLY_FILLED'].includes(o.status)) continue;
    const list = listOf(o.clientOrderId);
    if (list) {
      if (seenLists.has(list)) continue;
      seenLists.add(list);
    } else if (!o.clientOrderId.startsWith('vgr')) continue;
    cover.set(o.symbol, (cover.get(o.symbol) ?? 0) + Number(o.origQty) - Number(o.executedQty));
    structures.set(o.symbol, (structures.get(o.symbol) ?? 0) + 1);
  }
  return { cover, structures };
}

/** Every position of the bot is covered by protection at the venue (dust below two lot steps aside). */
function protectionState(state: VenueState, apiKey: string, steps: ReadonlyMap<string, number>) {
  const pos = venuePositions(state, apiKey);
  const { cover, structures } = venueCover(state, apiKey);
  const open: string[] = [];
  const over: string[] = [];
  for (const [sym, q] of pos) {
    const step = steps.get(sym) ?? 0;
    const c = cover.get(sym) ?? 0;
    if (q >= 2 * step && c < q - 2 * step) open.push(sym);
    if (c > Math.max(q, 0) + 2 * step || (structures.get(sym) ?? 0) > 1) over.push(sym);
  }
  for (const [sym] of cover) if (!pos.has(sym)) over.push(sym);
  const exposed = [...pos].some(([s, q]) => q >= 2 * (steps.get(s) ?? 0));
  return { protected: open.length === 0, exposed, open, over, pos: Object.fromEntries([...pos].map(([s, q]) => [s, q.toFixed(8)])) };
}

// --- one crash-matrix row ----------------------------------------------------------------------

async function crashRow(p: Point, seed: number): Promise<CrashRow> {
  const dir = mkdtempSync(join(tmpdir(), `vigil-chaos-${p.id}-${seed}-`));
  const varDir = join(dir, 'var');
  mkdirSync(varDir, { recursive: true });
  writeFileSync(join(varDir, 'LIVE.ok'), 'chaos matrix\n');
  const key = {
    apiKey: randomBytes(16).toString('hex'),
    secretKey: randomBytes(32).toString('hex'),
    canTrade: true,
    enableWithdrawals: false,
    ipRestrict: true,
  };
  const keysFile = join(dir, 'sim-keys.json');
  writeFileSync(keysFile, JSON.stringify([key]), { mode: 0o600 });
  chmodSync(keysFile, 0o600);
  const aiKey = `sk-local-${randomBytes(16).toString('hex')}`;
  const row: CrashRow = {
    point: p.point,
    id: p.id,
    seed,
    recovered: false,
    recovered_ms: null,
    protection_ms: null,
    protection: '?',
    duplicates: 0,
    dup_detail: [],
    missing: 0,
    missing_detail: [],
    integrity: '?',
    chain: '?',
    mode_path: '?',
    mode_ok: false,
    kills: 0,
    notes: [],
    verdict: 'FAIL',
    phases: [],
  };
  const peers: Child[] = [];
  let bot: Bot | null = null;
  const t00 = Date.now();
  const mark = (name: string): void => void row.phases.push(`${name}@${Date.now() - t00}`);
  const cpu = (name: string, pid: number | undefined): void => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ');
      if (f === undefined) return;
      row.phases.push(`cpu_${name}=${(Number(f[11]) + Number(f[12])) * 10}ms`);
    } catch {
      /* gone */
    }
  };
  try {
    const sim = await startPeer<{ rest: string; ws: string; admin: string }>(
      'exchange-sim',
      SIM,
      [
        '--port',
        '0',
        '--ws-port',
        '0',
        '--admin-port',
        '0',
        '--seed',
        String(seed),
        '--state',
        join(dir, 'sim-state.json'),
        '--keys',
        keysFile,
        '--tick-ms',
        '100',
      ],
      'EXCHANGE_SIM_READY',
      {},
    );
    peers.push(sim.child);
    const ai = await startPeer<{ base_url: string; model: string }>('ai-reviewer', REVIEWER, ['--port', '0', '--admin-port', '0'], 'AI_REVIEWER_READY', {
      OPENAI_API_KEY: aiKey,
    });
    peers.push(ai.child);
    mark('peers');
    const admin = sim.ready.admin;
    const info = await getJson<{ symbols: { symbol: string; filters: { filterType: string; stepSize?: string }[] }[] }>(
      `${sim.ready.rest}/api/v3/exchangeInfo`,
    );
    const steps = new Map(info.symbols.map((s) => [s.symbol, Number(s.filters.find((f) => f.filterType === 'LOT_SIZE')?.stepSize ?? 0)]));
    const env = { MODE: 'LIVE', AI_DEC: '2', OPENAI_API_KEY: aiKey, BINANCE_API_KEY: key.apiKey, BINANCE_API_SECRET: key.secretKey };
    const config = (crashPoint: CrashPoint | 'none') => ({
      paths: { var_dir: varDir },
      live: { fault_hooks_enabled: crashPoint !== 'none', crash_point: crashPoint },
      exchange: { rest_base_url: sim.ready.rest, ws_market_url: sim.ready.ws, ws_api_url: `${sim.ready.ws}/ws-api/v3`, symbols: ['BTCUSDT', 'ETHUSDT'] },
      aigate: { base_url: ai.ready.base_url, model: ai.ready.model, timeout_ms: 3000 },
      panel: { port: 0 },
      logging: { level: 'warn' },
      // Point g: the entry rests below the ask (and long enough) so it is working when the bot dies.
      // Point h: entries rest 80 bps below the ask and are re-quoted in one cancelReplace at a short TTL.
      strategy: {
        ...SIM_STRATEGY,
        ...(p.point === 'entry_working'
          ? { entry_ttl_ms: 20_000, entry_offset_bps: 30 }
          : p.point === 'replace_after_send'
            ? { entry_ttl_ms: 1000, entry_offset_bps: 80, max_requotes: 2, requote_mode: 'cancel_replace' }
            : { entry_ttl_ms: SIM_ENTRY_TTL_MS, entry_offset_bps: 0 }),
      },
      // The profile's engine timings; a longer manage-only window, a bound on the unprotected time.
      engine: {
        ...SIM_ENGINE,
        manage_only_stable_ms: 500,
        unprotected_max_ms: 5000,
        trailing_activate_bps: p.point === 'swap_after_cancel' ? 1 : 80,
      },
      risk: { ...SIM_CHURN },
      // The rules' DEGRADE stabilisation after a PAUSE, shortened so a row takes seconds (the mode
      // path still passes through DEGRADE(RECOVERY_STABILIZING) before NORMAL).
      // Heartbeats and the loop-lag bound are loosened: on a loaded 2-core runner a 400 ms stall
      // bound restarted the engine (WORKER_STALLED) again and again before any point was reached.
      // No point depends on the watchdog (the harness kills within ~10 ms of the marker; the
      // fault matrix covers stalls and loop lag).
      supervisor: { degrade_stability_window_ms: 500, heartbeat_interval_ms: 1000, worker_stall_timeout_ms: 1990, event_loop_lag_degrade_ms: 1000 },
    });
    const cfgFile = (cp: CrashPoint | 'none'): string => {
      const f = join(dir, `config-${cp}.json`);
      writeFileSync(f, JSON.stringify(config(cp), null, 2));
      return f;
    };
    const marker = join(varDir, 'chaos', 'crash-point.jsonl');

    /** Runs the bot armed at `cp` until the marker appears, then SIGKILLs its process group. */
    const crashAt = async (cp: CrashPoint, drive: (() => Promise<boolean>) | null = null): Promise<CrashMarker> => {
      rmSync(marker, { force: true });
      const b = await bootBot(cfgFile(cp), env);
      bot = b;
      mark('bot');
      void b.panel.then(() => mark('panel'));
      const end = Date.now() + BOUND.crash_ms;
      let driven = false;
      const lift = entryDriver(b);
      // The marker counts once its line is complete (the file exists a moment before it is written).
      const reached = () => existsSync(marker) && readFileSync(marker, 'utf8').endsWith('\n');
      while (!reached()) {
        if (b.child.exitCode !== null) throw new Error(`bot exited before ${cp}: ${b.output().slice(-2000)}`);
        if (Date.now() > end) throw new Error(`crash point ${cp} not reached within ${BOUND.crash_ms} ms`);
        await lift();
        if (drive && !driven) driven = await drive();
        await sleep(10);
      }
      mark('point');
      cpu('bot1', b.child.pid);
      signalGroup(b.child, 'SIGKILL');
      await b.child;
      row.kills++;
      mark('killed');
      const m = readFileSync(marker, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as CrashMarker)
        .at(-1);
      if (m === undefined) throw new Error(`crash point ${cp}: the marker file has no line`);
      row.notes.push(`${cp}: ${m.thread} ${JSON.stringify(m.detail)}`);
      bot = null;
      return m;
    };

    // Every point but e's second kill needs an entry, and an entry needs a channel breakout (the
    // close above the last lookback_bars highs). Rather than wait for the seeded walk to make one,
    // lift BTCUSDT 40 bps (several bars' range) once the bot is NORMAL, again every 3 s until an
    // order of the bot's is at the venue. What follows the entry is the bot's own doing.
    const entryDriver = (b: Bot): (() => Promise<void>) => {
      let url: string | null = null;
      void b.panel.then((u) => (url = u));
      let next = 0;
      let done = false;
      return async () => {
        if (done || url === null || Date.now() < next) return;
        next = Date.now() + 200;
        const status = await getJson<{ mode: string }>(`${url}/api/status`).catch(() => null);
        if (status?.mode !== 'NORMAL') return;
        const st = await venueState(admin);
        if (st.orders.some((o) => o.apiKey === key.apiKey && ours(o))) {
          done = true;
          return;
        }
        if (st.paused) return;
        next = Date.now() + 3000;
        await post(`${admin}/admin/price`, { symbol: 'BTCUSDT', price: (Number(st.prices['BTCUSDT']) * 1.004).toFixed(2) });
        mark('lift');
      };
    };

    // Point d: once an OCO stands, freeze the market and put the price into profit, short of the
    // take-profit, so the engine starts the swap to a trailing stop.
    const driveSwap = async (): Promise<boolean> => {
      const st = await venueState(admin);
      const leg = st.orders.find((o) => o.apiKey === key.apiKey && o.clientOrderId.startsWith('vgs') && o.status === 'NEW');
      if (!leg) return false;
      const entries = st.orders.filter(
        (o) => o.apiKey === key.apiKey && o.symbol === leg.symbol && o.clientOrderId.startsWith('vge') && Number(o.executedQty) > 0,
      );
      const e = entries.at(-1);
      if (!e) return false;
      const avg = Number(e.cummulativeQuoteQty) / Number(e.executedQty);
      await post(`${admin}/admin/market`, { paused: true });
      await post(`${admin}/admin/price`, { symbol: leg.symbol, price: (avg * 1.004).toFixed(2) });
      return true;
    };

    let replaced: CrashMarker['detail'] | null = null;
    if (p.point === 'startup_reconcile') {
      await crashAt('after_fill_before_protect');
      await crashAt('startup_reconcile');
    } else {
      const m = await crashAt(p.point, p.point === 'swap_after_cancel' ? driveSwap : null);
      if (p.point === 'replace_after_send') replaced = m.detail;
      if (p.whileDown) {
        // While the bot is down the price goes through one leg of its OCO: the list executes.
        const st = await venueState(admin);
        const list = m.detail.list_client_order_id;
        if (list === undefined) throw new Error('the crash marker names no order list');
        const leg = st.orders.find((o) => o.clientOrderId === `${p.whileDown === 'stop' ? 'vgs' : 'vgt'}${list.slice(3)}`);
        if (!leg || leg.status !== 'NEW') throw new Error(`the OCO leg is not resting at the venue (${leg?.status})`);
        await post(`${admin}/admin/market`, { paused: true });
        const px = p.whileDown === 'stop' ? Number(leg.stopPrice) * 0.999 : Number(leg.price) * 1.001;
        await post(`${admin}/admin/price`, { symbol: leg.symbol, price: px.toFixed(2) });
        const after = (await venueState(admin)).orders.find((x) => x.clientOrderId === leg.clientOrderId);
        row.notes.push(`${p.whileDown} leg while down: ${after?.status} ${after?.executedQty}`);
        if (after?.status !== 'FILLED') throw new Error(`the ${p.whileDown} leg did not fill (${after?.status})`);
        await post(`${admin}/admin/market`, { paused: false });
      }
      if (p.point === 'entry_working') {
        // While the bot is down, the market comes down through the resting entry: it fills.
        const o = (await venueState(admin)).orders.find((x) => x.clientOrderId === m.detail.client_order_id);
        if (!o || o.status !== 'NEW') throw new Error(`the working entry is not resting at the venue (${o?.status})`);
        await post(`${admin}/admin/price`, { symbol: o.symbol, price: (Number(o.price) * 0.998).toFixed(2) });
        const after = (await venueState(admin)).orders.find((x) => x.clientOrderId === o.clientOrderId);
        row.notes.push(`filled while down: ${after?.status} ${after?.executedQty}`);
        if (after?.status !== 'FILLED') throw new Error(`the working entry did not fill (${after?.status})`);
      }
    }

    // Restart on the same var/ against the same venue; measure until protected and released.
    const b = await bootBot(cfgFile('none'), env, true);
    bot = b;
    mark('restart');
    const url = await b.panel;
    mark('panel2');
    if (!url) throw new Error(`restarted bot did not come up: ${b.output().slice(-2000)}`);
    const end = b.t0 + BOUND.recovered_ms;
    let exposedSeen = false;
    let lastProt: ReturnType<typeof protectionState> | null = null;
    while (Date.now() < end) {
      const st = await venueState(admin);
      const ps = protectionState(st, key.apiKey, steps);
      lastProt = ps;
      if (ps.exposed) exposedSeen = true;
      if (ps.protected && row.protection_ms === null) row.protection_ms = Date.now() - b.t0;
      if (!ps.protected) row.protection_ms = null;
      let status: { mode: string; reasons: { code: string }[] } | null = null;
      try {
        status = await getJson<{ mode: string; reasons: { code: string }[] }>(`${url}/api/status`);
      } catch {
        /* starting */
      }
      if (status && status.mode === 'NORMAL' && !status.reasons.some((r) => r.code === 'STARTUP_RECOVER')) {
        row.recovered = true;
        row.recovered_ms = Date.now() - b.t0;
      }
      if (row.recovered && row.protection_ms !== null) break;
      await sleep(50);
    }
    mark('recovered');
    if (replaced) {
      // The replace's new order is ours and must be managed after the restart: cancelled at its
      // TTL (or filled and protected), never left resting untracked.
      const stateOf = async (coid: string | undefined): Promise<VenueOrder | null> =>
        (await venueState(admin)).orders.find((x) => x.clientOrderId === coid) ?? null;
      const until = Date.now() + 20_000;
      let next = await stateOf(replaced.client_order_id);
      while (next?.status === 'NEW' && Date.now() < until) {
        await sleep(100);
        next = await stateOf(replaced.client_order_id);
      }
      const old = await stateOf(replaced.cancel_client_order_id);
      row.notes.push(`replace: old ${old?.status ?? 'absent'}, new ${next ? `${next.status} ${next.executedQty}` : 'never placed'}`);
      if (next?.status === 'NEW') row.unmanaged = `${replaced.client_order_id} still resting 20 s after the restart`;
    }
    row.protection = !lastProt ? '?' : !lastProt.protected ? `UNPROTECTED ${lastProt.open.join(',')}` : exposedSeen ? 'protected' : 'flat';
    if (lastProt?.over.length) {
      row.duplicates += lastProt.over.length;
      row.dup_detail.push(`over-protected ${lastProt.over.join(',')}`);
    }
    // Orderly stop, then judge the files at rest.
    mark('managed');
    cpu('bot2', b.child.pid);
    // SIGINT to the bot's process (not its group): its own orderly stop.
    if (b.child.pid !== undefined) process.kill(b.child.pid, 'SIGINT');
    await Promise.race([b.child, sleep(20_000)]);
    if (b.child.exitCode === null) await stopPeer(b.child, 'SIGKILL');
    bot = null;
    const st = await venueState(admin);
    mark('stopped');
    for (const c of peers) cpu('peer', c.pid);
    const stopping = Promise.all(peers.map((c) => stopPeer(c)));
    judgeFiles(row, varDir, st, key.apiKey);
    // The hash chain (archives and live database as one chain), by the function `supervisor
    // verify-audit` runs, in this process: a CLI process per row cost ~1.5 s of CPU to load the
    // whole supervisor (the CLI itself is tested in test/integration/cli-lifecycle.test.ts).
    try {
      const v = verifyAuditSet(join(varDir, 'data', 'audit.sqlite'), join(varDir, 'data', 'archive'));
      row.chain = v.ok ? 'ok' : `FAIL AUDIT_CHAIN_BROKEN: ${v.reason} at seq ${v.firstBadSeq} in ${v.file} (${v.detail})`;
      // And the JSONL mirror, as verify-audit compares it: a crash between a commit and its lines
      // may lose lines, never leave one that disagrees with its row.
      if (v.ok) {
        const m = checkDatabaseFileMirror(join(varDir, 'data', 'audit.sqlite'), join(varDir, 'jsonl'));
        if (m?.mismatch) row.chain = `FAIL AUDIT_MIRROR_MISMATCH at seq ${m.mismatch.seq} (${m.mismatch.event_id})`;
      }
    } catch (e) {
      row.chain = `FAIL cannot verify: ${errText(e)}`;
    }
    await stopping;
    mark('verified');
  } catch (e) {
    row.notes.push(`error: ${errText(e).slice(0, 600)}`);
  } finally {
    if (bot) await stopPeer(bot.child, 'SIGKILL');
    for (const c of peers.reverse()) await stopPeer(c);
    mark('end');
  }
  const protOk = row.protection === 'protected' ? row.protection_ms !== null && row.protection_ms <= BOUND.protection_ms : row.protection === 'flat';
  if (row.unmanaged) row.notes.push(`error: ${row.unmanaged}`);
  row.verdict =
    !row.unmanaged &&
    !row.oversold &&
    row.recovered &&
    protOk &&
    row.duplicates === 0 &&
    row.missing === 0 &&
    row.integrity === 'ok' &&
    row.chain === 'ok' &&
    row.mode_ok
      ? 'PASS'
      : 'FAIL';
  if (row.verdict === 'PASS' && !flag('--keep')) rmSync(dir, { recursive: true, force: true });
  else row.notes.push(`kept ${dir}`);
  return row;
}

/** Duplicates, missing audit rows, integrity and the mode path, from the venue's truth and the database. */
function judgeFiles(row: CrashRow, varDir: string, state: VenueState, apiKey: string): void {
  const db = new Database(join(varDir, 'data', 'audit.sqlite'), { readonly: true });
  try {
    row.integrity = String(db.pragma('integrity_check', { simple: true }));
    const created = new Map<string, { intent: string; decision: string | null; kind: string; requote: number }>();
    const intents = db.prepare("SELECT order_intent_id, decision_id, payload FROM events WHERE event_type = 'INTENT_CREATED'").all() as {
      order_intent_id: string;
      decision_id: string | null;
      payload: string;
    }[];
    for (const r of intents) {
      const pl = JSON.parse(r.payload) as { client_order_id: string; kind: string; requote?: number };
      created.set(pl.client_order_id, { intent: r.order_intent_id, decision: r.decision_id, kind: pl.kind, requote: pl.requote ?? 0 });
    }
    const mine = state.orders.filter((o) => o.apiKey === apiKey && ours(o));
    // 1. One order per clientOrderId, one entry per reviewed decision (re-quotes are their own intents).
    const byCoid = new Map<string, number>();
    for (const o of mine) byCoid.set(o.clientOrderId, (byCoid.get(o.clientOrderId) ?? 0) + 1);
    for (const [c, n] of byCoid) {
      if (n > 1) {
        row.duplicates++;
        row.dup_detail.push(`${c} x${n}`);
      }
    }
    const perDecision = new Map<string, string[]>();
    for (const o of mine) {
      const i = created.get(o.clientOrderId);
      if (i?.kind === 'ENTRY' && i.requote === 0 && i.decision) perDecision.set(i.decision, [...(perDecision.get(i.decision) ?? []), o.clientOrderId]);
    }
    for (const [d, list] of perDecision) {
      if (list.length > 1) {
        row.duplicates++;
        row.dup_detail.push(`decision ${d}: ${list.join(',')}`);
      }
    }
    // 1b. The bot never sold more of a coin than its own orders bought (the account's other holdings
    // are never the bot's): per symbol, executed SELL <= executed BUY.
    const net = new Map<string, number>();
    for (const o of mine) net.set(o.symbol, (net.get(o.symbol) ?? 0) + (o.side === 'BUY' ? 1 : -1) * Number(o.executedQty));
    for (const [sym, q] of net) {
      if (q < -1e-12) {
        row.oversold = (row.oversold ?? 0) + 1;
        row.notes.push(`error: sold ${-q} ${sym} more than bought`);
      }
    }
    // 2. Every order the venue holds has its intent's CREATED row (legs through their list).
    for (const o of mine) {
      const coid = listOf(o.clientOrderId) ?? o.clientOrderId;
      if (!created.has(coid)) {
        row.missing++;
        row.missing_detail.push(o.clientOrderId);
      }
    }
    // 3. Every acknowledged critical row of the audit storm survived the kill.
    const acks = join(varDir, 'chaos', 'storm-acks.jsonl');
    if (existsSync(acks)) {
      // A line cut by the kill was never a complete record of an acknowledgement: not counted.
      const lines = readFileSync(acks, 'utf8')
        .split('\n')
        .filter((l) => l.endsWith('}'))
        .map((l) => JSON.parse(l) as { event_id: string; k: number });
      const has = db.prepare('SELECT 1 FROM events WHERE event_id = ?');
      for (const a of lines) {
        if (!has.get(a.event_id)) {
          row.missing++;
          row.missing_detail.push(`storm ack ${a.k}`);
        }
      }
      const bulk = (
        db.prepare("SELECT count(*) AS n FROM events WHERE event_type = 'HEALTH_SAMPLED' AND json_extract(payload, '$.source') = 'chaos_storm'").get() as {
          n: number;
        }
      ).n;
      row.notes.push(`storm: ${lines.length} acks checked, ${bulk}/10040 storm rows committed before the kill`);
    }
    // 4. The mode path of the recovery run: boot PAUSE with STARTUP_RECOVER -> startup reconcile ->
    // manage-only -> released (STARTUP_RECOVER cleared) -> NORMAL, no entry before the release.
    const run = (db.prepare('SELECT run_id FROM runs ORDER BY started_ms DESC LIMIT 1').get() as { run_id: string }).run_id;
    const ev = <T>(sql: string): T[] => db.prepare(sql).all(run) as T[];
    const stages = ev<{ seq: number; stage: string }>('SELECT seq, stage FROM stage_changes WHERE run_id = ? ORDER BY seq');
    const modes = ev<{ seq: number; from_mode: string; to_mode: string; reasons: string | null }>(
      'SELECT seq, from_mode, to_mode, reasons FROM mode_changes WHERE run_id = ? ORDER BY seq',
    );
    type Seq = { seq: number };
    const raised =
      ev<Seq>("SELECT seq FROM events WHERE run_id = ? AND event_type = 'REASON_RAISED' AND reason_code = 'STARTUP_RECOVER' ORDER BY seq")[0]?.seq ?? null;
    const cleared =
      ev<Seq>("SELECT seq FROM events WHERE run_id = ? AND event_type = 'REASON_CLEARED' AND reason_code = 'STARTUP_RECOVER' ORDER BY seq")[0]?.seq ?? null;
    const firstEntry =
      ev<Seq>("SELECT seq FROM events WHERE run_id = ? AND event_type = 'INTENT_CREATED' AND json_extract(payload, '$.kind') = 'ENTRY' ORDER BY seq")[0]?.seq ??
      null;
    const at = (name: string): number | null => stages.find((s) => s.stage === name)?.seq ?? null;
    const [rec, rcn, mo] = [at('STARTUP_RECOVER'), at('STARTUP_RECONCILE'), at('RESUME_MANAGE_ONLY')];
    const normal = modes.find((m) => m.to_mode === 'NORMAL')?.seq ?? null;
    // The supervisor boots in PAUSE (no MODE_CHANGED row for the initial state).
    const bootPause = modes.length === 0 || modes[0]?.from_mode === 'PAUSE' || modes[0]?.to_mode === 'PAUSE';
    const path = [`${bootPause ? 'PAUSE' : modes[0]?.from_mode}(${raised !== null ? 'STARTUP_RECOVER' : 'no STARTUP_RECOVER'})`];
    if (rcn !== null) path.push('RECONCILE');
    if (mo !== null) path.push('MANAGE_ONLY');
    if (cleared !== null) path.push('released');
    for (const m of modes.filter((m) => cleared !== null && m.seq > cleared && (normal === null || m.seq <= normal))) {
      const why = (JSON.parse(m.reasons ?? '[]') as { code: string }[]).map((r) => r.code).filter((c) => c !== 'FAULT_HOOKS_ENABLED');
      path.push(why.length && m.to_mode !== 'NORMAL' ? `${m.to_mode}(${why.join(',')})` : m.to_mode);
    }
    row.mode_path = path.join('>');
    row.mode_ok =
      bootPause &&
      raised !== null &&
      rec !== null &&
      rcn !== null &&
      mo !== null &&
      rec < rcn &&
      rcn < mo &&
      cleared !== null &&
      mo < cleared &&
      normal !== null &&
      normal > cleared &&
      (firstEntry === null || firstEntry > cleared);
  } finally {
    db.close();
  }
}

// --- the fault matrix --------------------------------------------------------------------------

async function faultMatrix(): Promise<Faults> {
  const out = join(root, 'var/chaos/fault-matrix.json');
  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  const r = await execa('npx', ['vitest', 'run', '--config', 'test/vitest.config.ts', 'test/chaos/fault-matrix.test.ts'], {
    cwd: root,
    reject: false,
    env: { CHAOS_FAULTS_OUT: out },
    stdout: 'inherit',
    stderr: 'inherit',
  });
  if (!existsSync(out)) return { rows: [], exitCode: r.exitCode ?? 1 };
  return { rows: (JSON.parse(readFileSync(out, 'utf8')) as { rows: FaultRow[] }).rows, exitCode: r.exitCode ?? 1 };
}

// --- report ------------------------------------------------------------------------------------

function report(crash: readonly CrashRow[], faults: Faults | null, started: number): string {
  const lines = [
    '# Reliability: crash points and faults',
    '',
    `Generated by \`npm run chaos${quick ? ' -- --quick' : ''}\` (scripts/chaos.ts) on ${new Date(started).toISOString()}; do not edit by hand.`,
    '',
    `Machine: ${machineLine()}. Seeds (exchange-sim --seed): ${SEEDS.join(', ')}. Crash rows ${JOBS} at once. Duration ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    '',
    '## Crash-point matrix',
    '',
    'The real `supervisor start --live` process against the simulator and the reviewer (separate processes), SIGKILLed (process group) at each named point, reached by the `live.crash_point` hook (the thread writes `var/chaos/crash-point.jsonl` and blocks; no sleeps), then restarted on the same `var/` against the same running venue. Checked against the venue (`GET /admin/state`) and `var/data/audit.sqlite`:',
    '',
    `- **recovered**: the restarted bot is released (STARTUP_RECOVER cleared) and NORMAL within ${BOUND.recovered_ms / 1000} s;`,
    `- **protection ms**: from the restart to every position of the bot (computed from the venue's own orders) being covered at the venue by one OCO or trailing stop (bound ${BOUND.protection_ms / 1000} s; "flat" = no position);`,
    '- **duplicates**: a clientOrderId twice, two entry orders for one reviewed decision, or more protection than position;',
    "- **missing rows**: a venue order of ours without its intent's INTENT_CREATED row, or an acknowledged critical row of the audit storm absent;",
    '- **integrity**: `PRAGMA integrity_check`, the hash chain (`verifyAuditSet`) and the JSONL mirror (`checkJsonlMirror`), what `supervisor verify-audit` runs;',
    '- **mode path** of the recovery run: boot PAUSE with STARTUP_RECOVER, STARTUP_RECONCILE, RESUME_MANAGE_ONLY, released, then NORMAL; no entry before the release.',
    '',
    '| point | seed | recovered | released ms | protection ms | duplicates | missing rows | integrity | mode path | verdict |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...crash.map(
      (r) =>
        `| ${r.id}) ${r.point} | ${r.seed} | ${r.recovered ? 'yes' : 'no'} | ${r.recovered_ms ?? '-'} | ${r.protection === 'protected' ? r.protection_ms : r.protection} | ${r.duplicates}${r.dup_detail.length ? ` (${r.dup_detail.join('; ')})` : ''} | ${r.missing}${r.missing_detail.length ? ` (${r.missing_detail.slice(0, 3).join('; ')})` : ''} | ${r.integrity} / chain ${r.chain} | ${r.mode_path} | ${r.verdict} |`,
    ),
    '',
    'Notes per row (what the hook saw at the kill):',
    '',
    ...crash.map((r) => `- ${r.id}) ${r.point}, seed ${r.seed}: ${r.notes.join(' | ')}`),
    '',
  ];
  if (faults) {
    lines.push(
      '## Fault matrix',
      '',
      'The incidents of the operations rules (INCIDENT RESPONSE 1-11) plus audit-worker death, an unwritable database, low disk and each AI gate failure, injected into an in-process supervisor with real workers, the real simulator and reviewer over real sockets (test/chaos/fault-matrix.test.ts). Recovery ms: fault cleared -> back to NORMAL ("manual" where the rules require an operator; "-" where the fault is not cleared).',
      '',
      '| # | incident | injected fault | expected mode / reason | observed mode / reason | recovery ms | verdict |',
      '|---|---|---|---|---|---|---|',
      ...faults.rows.map(
        (r) =>
          `| ${r.n} | ${r.incident} | ${r.fault} | ${r.expected_mode} / ${r.expected_reason} | ${r.observed_mode ?? '-'} / ${r.observed_reasons?.join(', ') || '-'} | ${r.recovery_ms ?? r.recovery ?? '-'} | ${r.verdict} |`,
      ),
      '',
    );
    if (faults.exitCode !== 0) lines.push(`The fault-matrix run exited ${faults.exitCode}.`, '');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  for (const f of [CLI, SIM, REVIEWER]) if (!existsSync(f)) throw new Error(`${f} is not built (npm run build)`);
  const started = Date.now();
  // Rows are independent (each its own venue, reviewer, var/ and ports) and mostly wait on the
  // bot's timers, so `--jobs` of them run at once; the report keeps the lifecycle order.
  const tasks = points.flatMap((p) => SEEDS.map((seed) => ({ p, seed })));
  const crash = new Array<CrashRow>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let task = tasks[next]; task !== undefined; task = tasks[next]) {
      const i = next++;
      const { p, seed } = task;
      log(`${p.id}) ${p.point} seed ${seed} ...`);
      const r = await crashRow(p, seed);
      log(
        `${p.id}) ${p.point} seed ${seed}: ${r.verdict} (released ${r.recovered_ms} ms, protection ${r.protection} ${r.protection_ms ?? ''} ms, dup ${r.duplicates}, missing ${r.missing}, ${r.mode_path}) [${r.phases.join(' ')}]${r.verdict === 'PASS' ? '' : `\n  ${r.notes.join('\n  ')}`}`,
      );
      crash[i] = r;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(JOBS, tasks.length)) }, worker));
  const faults = withFaults ? await faultMatrix() : null;
  const text = report(crash, faults, started);
  mkdirSync(dirname(reportFile), { recursive: true });
  // The fuzzed-surfaces section belongs to `npm run fuzz` (scripts/fuzz-report.ts): kept as it is.
  const prior = existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : '';
  const fa = prior.indexOf('<!-- fuzz:start -->');
  const fb = prior.indexOf('<!-- fuzz:end -->');
  const fuzzSection = fa >= 0 && fb > fa ? prior.slice(fa, fb + '<!-- fuzz:end -->'.length) : null;
  writeFileSync(reportFile, fuzzSection ? `${text.trimEnd()}\n\n${fuzzSection}\n` : text);
  writeFileSync(jsonFile, JSON.stringify({ crash, faults: faults?.rows ?? null }, null, 2));
  console.log(text);
  const failed =
    crash.filter((r) => r.verdict !== 'PASS').length +
    (faults ? faults.rows.filter((r) => r.verdict !== 'PASS').length + (faults.exitCode !== 0 && faults.rows.length === 0 ? 1 : 0) : 0);
  log(
    `${crash.length} crash rows${faults ? `, ${faults.rows.length} fault rows` : ''}; ${failed} failed; report ${reportFile}; harness CPU ${Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000)} ms`,
  );
  process.exit(failed === 0 ? 0 : 1);
}

const killAll = (): void => {
  for (const c of children) signalGroup(c, 'SIGKILL');
};
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });

main().catch((e: unknown) => {
  console.error(`chaos: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  killAll();
  process.exit(1);
});
