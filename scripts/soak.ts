// Load and soak runs of the whole bot (in-process Supervisor with its real worker threads) on the
// local simulator and reviewer. Bounded: each mode stops by itself.
//
//   node scripts/run.mjs scripts/soak.ts --load [--seconds 60] [--tick-ms 10] [--pressure]
//     market data at 10x the harness rate (100 ms -> 10 ms ticks) with the bot trading; afterwards
//     every event the producers counted as sent is in the DB or counted as a writer drop with its
//     alert (zero silent loss), and the writer pressure transitions are listed. --pressure shrinks
//     the writer queue so HIGH/FULL/drops really happen.
//   node scripts/run.mjs scripts/soak.ts --soak [--minutes 60] [--sample-s 5] [--fault-every-s 20] [--operator-after-s 30]
//     random faults through the sim admin API, RSS and WAL bytes sampled, slopes (bytes/min, least
//     squares), zero duplicate events/intents and zero lost acknowledged rows at the end. A PAUSE
//     held by a manual reason is answered after --operator-after-s as an operator would: restart.
//   --json prints the report as JSON; --keep keeps the var/ directory; --write (with --soak) also
//   writes docs/SOAK.md, the report as tables, produced by the run and never edited by hand.
// Exit code 0 when every check holds, 1 otherwise. Not run in CI (it takes minutes).
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import { fileURLToPath } from 'node:url';
import type { Supervisor } from '@vigil/supervisor';
import type { Config, Mode } from '@vigil/contracts';
import { nativeMemory } from './lib/native-memory.ts';
import { SIM_CHURN, SIM_ENGINE, SIM_ENTRY_TTL_MS, SIM_STRATEGY, SIM_SUPERVISOR, simAigate } from './lib/sim-profile.ts';
import { walkFiles } from './lib/walk.ts';
import { machineLine } from './machine.ts';
import type { PeerOptions } from './soak-peers.ts';
import { TSX_IMPORT } from './tsx.ts';

/** One sample of a series: milliseconds since the start, and the value. */
export interface Sample {
  readonly t_ms: number;
  readonly v: number;
}
/** A producer's audit counters (AuditClient.counters(), also in each worker's status details). */
interface ProducerCounters {
  readonly sent: number;
  readonly sent_critical: number;
  /** Critical events whose request failed to their caller (not durable as far as it knows). */
  readonly critical_failed?: number;
  readonly held: number;
  readonly dropped: number;
}
/** What earlier threads of restarted workers had sent and written (carried into the accounting). */
interface Carried {
  readonly sent: number;
  readonly failed?: number;
  readonly restarts: number;
  readonly writer?: { readonly committed: number; readonly dropped: number; readonly own: number; readonly restarts: number };
}
/** The options of startBot, runLoad and runSoak (the CLI's flags). */
export interface BotOptions {
  readonly varDir?: string;
  readonly seed?: number;
  readonly tickMs: number;
  readonly pressure?: boolean;
  readonly heapSnapshots?: string | null;
  readonly keep?: boolean;
  readonly progress?: boolean;
}
type CountRow = { n: number };

const SIM_KEY = {
  apiKey: 'soakkey0000000000000000000000000001',
  secretKey: 'soaksecret000000000000000000000001',
  canTrade: true,
  enableWithdrawals: false,
  ipRestrict: true,
};
const AI_KEY = 'sk-soak-canary-0123456789abcdefABCDEF';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Least-squares slope of y over x (x in minutes): units of y per minute. */
export function slopePerMin(samples: readonly Sample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const xs = samples.map((s) => s.t_ms / 60_000);
  const ys = samples.map((s) => s.v);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i] ?? mx;
    num += (x - mx) * ((ys[i] ?? my) - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function overrides(reviewer: { baseUrl: string }, sim: { rest: string; ws: string }, o: BotOptions & { varDir: string }) {
  return {
    paths: { var_dir: o.varDir },
    exchange: {
      rest_base_url: sim.rest,
      ws_market_url: sim.ws,
      ws_api_url: `${sim.ws}/ws-api/v3`,
      symbols: ['BTCUSDT', 'ETHUSDT'],
      ws_reconnect_backoff_initial_ms: 50,
      ws_reconnect_backoff_max_ms: 1000,
    },
    aigate: simAigate(reviewer.baseUrl),
    strategy: { ...SIM_STRATEGY, entry_ttl_ms: SIM_ENTRY_TTL_MS },
    engine: { ...SIM_ENGINE },
    risk: {
      ...SIM_CHURN,
      daily_loss_limit_quote: '100000',
      max_exposure_quote_total: '100000',
      max_exposure_quote_per_symbol: '100000',
    },
    supervisor: {
      ...SIM_SUPERVISOR,
      // A heap snapshot stops its thread for seconds: with --heap-snapshots the stall limits are
      // stretched so taking one is not a stall (a diagnostic run, not a fault-handling one).
      ...(o.heapSnapshots ? { heartbeat_interval_ms: 10_000, worker_stall_timeout_ms: 19_000, worker_mode_timeout_ms: 60_000 } : {}),
      degrade_stability_window_ms: 1000,
      event_loop_lag_degrade_ms: 60_000,
    },
    audit: o.pressure
      ? { audit_writer_queue_capacity: 100, audit_writer_batch_max: 5, audit_writer_flush_interval_ms: 20, audit_writer_max_lag_ms: 100 }
      : { backup_interval_ms: 60_000 },
    live: { fault_hooks_enabled: false },
    logging: { level: 'warn' },
  };
}

/** Starts the venue (at `tickMs`), the reviewer and the supervisor with its three worker threads. */
export async function startBot(o: BotOptions & { varDir: string }): Promise<Bot> {
  const { Supervisor } = await import('@vigil/supervisor');
  const { parseConfig, createLogger } = await import('@vigil/runtime');
  const { newRunId } = await import('@vigil/contracts');
  process.env['OPENAI_API_KEY'] = AI_KEY;
  const peers = await startPeers({ keys: [{ ...SIM_KEY }], seed: o.seed ?? 11, tickMs: o.tickMs, aiKey: AI_KEY });
  const { sim, reviewer } = peers;
  const r = parseConfig(overrides(reviewer, sim, o));
  if (!r.ok) throw new Error(`soak config invalid: ${JSON.stringify(r.error)}`);
  const config = r.config;
  const newSupervisor = async (): Promise<{ sup: Supervisor; runId: string }> => {
    const runId = newRunId();
    const log = createLogger({ thread: 'supervisor', logDir: join(o.varDir, 'log'), config: config.logging, console: false });
    const sup = new Supervisor({
      config,
      varDir: o.varDir,
      runId,
      secrets: { api_key: SIM_KEY.apiKey, api_secret: SIM_KEY.secretKey },
      log,
      consoleAlerts: false,
    });
    await sup.start();
    return { sup, runId };
  };
  const { sup, runId } = await newSupervisor();
  return { sup, sim, reviewer, peers, runId, config, newSupervisor };
}

/** The running bot: its supervisor (replaced on an operator restart), the peers and the configuration. */
export interface Bot {
  sup: Supervisor;
  readonly sim: Peers['sim'];
  readonly reviewer: Peers['reviewer'];
  readonly peers: Peers;
  readonly runId: string;
  readonly config: Config;
  readonly newSupervisor: () => Promise<{ sup: Supervisor; runId: string }>;
}

/** The reply of scripts/soak-peers.ts to { type: 'mem' }. */
interface PeerMem {
  readonly type: 'mem';
  readonly id: number;
  readonly rss_bytes: number;
  readonly heap_used_bytes: number;
  readonly heap_total_bytes: number;
  readonly external_bytes: number;
  readonly venue: Record<string, number> | null;
}
type PeerMessage = { readonly type: 'ready'; readonly sim: { rest: string; ws: string; admin: string }; readonly reviewer: { baseUrl: string } } | PeerMem;
interface Peers {
  readonly sim: { readonly rest: string; readonly ws: string; readonly admin: string };
  readonly reviewer: { readonly baseUrl: string };
  readonly pid: number | undefined;
  readonly mem: () => Promise<PeerMem | null>;
  readonly close: () => Promise<void>;
}

/**
 * The venue and the reviewer in a child process (scripts/soak-peers.ts): the bot's process then
 * holds the bot alone, and each side's memory is sampled on its own. `mem()` asks the child for its
 * memory use; `close()` stops it.
 */
async function startPeers(opts: PeerOptions): Promise<Peers> {
  const child = fork(fileURLToPath(new URL('./soak-peers.ts', import.meta.url)), [JSON.stringify(opts)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // The peers' script is TypeScript: its process runs it through tsx, whoever runs this one.
    execArgv: [...TSX_IMPORT],
  });
  const waiting = new Map<number, (m: PeerMem | null) => void>();
  let nextId = 0;
  const ready = await new Promise<Extract<PeerMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('soak peers not ready within 15 s')), 15_000);
    child.on('message', (msg) => {
      const m = msg as PeerMessage | undefined;
      if (m?.type === 'ready') {
        clearTimeout(timer);
        resolve(m);
      } else if (m?.type === 'mem') {
        waiting.get(m.id)?.(m);
        waiting.delete(m.id);
      }
    });
    child.once('exit', (code) => reject(new Error(`soak peers exited early (code ${code})`)));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    sim: ready.sim,
    reviewer: ready.reviewer,
    pid: child.pid,
    mem: () =>
      new Promise<PeerMem | null>((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        child.send({ type: 'mem', id });
        setTimeout(() => {
          if (waiting.delete(id)) resolve(null);
        }, 5000).unref();
      }),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'close' });
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function dbQuery<T = CountRow>(varDir: string, sql: string, ...args: unknown[]): Promise<T[]> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(join(varDir, 'data', 'audit.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

/** The first row's count (a COUNT(*) query always returns one row). */
const countOf = async (varDir: string, sql: string): Promise<number> => (await dbQuery(varDir, sql))[0]?.n ?? 0;

type Host = Supervisor['hosts']['engine'];
const counters = async (host: Host): Promise<ProducerCounters | null> => {
  try {
    return ((await host.request('status', {})).details['audit'] ?? null) as ProducerCounters | null;
  } catch {
    return null;
  }
};
const total = (c: ProducerCounters | null): number => (c ? c.sent + c.sent_critical : 0);
const failedOf = (c: ProducerCounters | null): number => c?.critical_failed ?? 0;

/**
 * The zero-silent-loss accounting: engine and gateway drained (they stop producing), their
 * counters read until stable, the supervisor's too, everything flushed; then sent == committed +
 * dropped (the writer's own counters), committed == rows in the DB, and drops carry their alert.
 */
export async function accounting(bot: Bot, varDir: string, rowsBefore = 0, carried: Carried | null = null) {
  const { sup } = bot;
  for (const w of ['engine', 'gateway'] as const) await sup.hosts[w].request('drain', {}).catch(() => undefined);
  let e = await counters(sup.hosts.engine);
  let g = await counters(sup.hosts.gateway);
  for (let i = 0; i < 20; i++) {
    await sleep(200);
    const e2 = await counters(sup.hosts.engine);
    const g2 = await counters(sup.hosts.gateway);
    const same = total(e2) === total(e) && total(g2) === total(g);
    e = e2;
    g = g2;
    if (same) break;
  }
  const s1 = sup.audit.counters();
  await sup.audit.flush();
  const p = await sup.audit.pressure();
  const s2 = sup.audit.counters();
  // Rows this supervisor's writer committed: the database also holds earlier runs' (soak restarts).
  const rows = (await countOf(varDir, 'SELECT count(*) AS n FROM events')) - rowsBefore;
  // A worker restarted during the run starts its counters from zero: what its earlier threads had
  // sent (last polled) is carried. Events such a thread sent after its last poll are committed but
  // not in `sent`, so with restarts only the loss direction (accounted >= sent) is exact.
  const carry = carried?.sent ?? 0;
  // A restarted audit writer starts its counters from zero too: its earlier threads' last polled
  // totals are carried (rows they committed after that poll make only the loss direction exact).
  const wc = carried?.writer ?? { committed: 0, dropped: 0, own: 0, restarts: 0 };
  // The audit worker's own events (backups, archiving) were sent by no producer.
  const sent = total(e) + total(g) + total(s1) + carry + (p.own_total ?? 0) + wc.own;
  const clientDropped = (e?.dropped ?? 0) + (g?.dropped ?? 0) + s1.dropped;
  // A critical append whose request failed (its writer died) was reported to its caller as not
  // durable: it may or may not be in the database, so it counts only on the upper bound.
  const failed = failedOf(e) + failedOf(g) + failedOf(s1) + (carried?.failed ?? 0);
  const held = (e?.held ?? 0) + (g?.held ?? 0) + s1.held;
  // Supervisor events sent between s1 and the pressure reading are the only slack (usually none).
  const slack = total(s2) - total(s1);
  const committed = p.committed_total + wc.committed;
  // A writer that dies commits rows after its last poll: then the database's own count is the
  // ground truth of the loss direction (rows + drops must cover what producers sent).
  const accounted = (wc.restarts ? Math.max(committed, rows) : committed) + p.dropped_total + wc.dropped;
  const dropAlerts = await countOf(
    varDir,
    "SELECT count(*) AS n FROM events WHERE reason_code = 'DB_WRITER_DROPPED' AND event_type IN ('REASON_RAISED','ALERT_RAISED')",
  );
  const transitions = await dbQuery<{ reason_code: string; event_type: string; n: number }>(
    varDir,
    "SELECT reason_code, event_type, count(*) AS n FROM events WHERE reason_code IN ('DB_WRITER_QUEUE_HIGH','DB_WRITER_QUEUE_FULL','DB_WRITER_BACKPRESSURE','DB_WRITER_DROPPED') AND event_type IN ('REASON_RAISED','REASON_CLEARED') GROUP BY reason_code, event_type ORDER BY reason_code, event_type",
  );
  const checks = {
    sent_accounted: accounted >= sent - failed && (carried?.restarts || wc.restarts ? true : accounted <= sent + slack),
    db_matches_writer: wc.restarts ? rows >= committed : rows === committed,
    drops_alerted: p.dropped_total + clientDropped === 0 || dropAlerts > 0,
    nothing_held: held === 0,
  };
  return {
    producers: { engine: e, gateway: g, supervisor: s1 },
    sent,
    slack,
    carried_from_restarted_workers: carried ?? ({ sent: 0, restarts: 0 } as Carried),
    unpolled_after_restart: Math.max(0, accounted - sent - slack),
    writer: { committed_total: committed, dropped_total: p.dropped_total + wc.dropped, state: p.state, restarts: wc.restarts },
    db_rows: rows,
    silent_loss: Math.max(0, sent - failed - accounted),
    critical_failed: failed,
    client_dropped: clientDropped,
    drop_alerts: dropAlerts,
    writer_transitions: transitions,
    checks,
  };
}

async function integrity(varDir: string) {
  const dupEvents = await countOf(varDir, 'SELECT count(*) - count(DISTINCT event_id) AS n FROM events');
  const dupIntents = await countOf(varDir, 'SELECT count(*) - count(DISTINCT client_order_id) AS n FROM order_intents');
  const seqGaps = await countOf(varDir, 'SELECT max(seq) - min(seq) + 1 - count(*) AS n FROM events');
  const intents = await countOf(varDir, 'SELECT count(*) AS n FROM order_intents');
  const created = await countOf(varDir, "SELECT count(*) AS n FROM events WHERE event_type = 'INTENT_CREATED'");
  return {
    duplicate_events: dupEvents,
    duplicate_intents: dupIntents,
    seq_gaps: seqGaps,
    intents,
    intent_created_events: created,
    checks: { no_duplicates: dupEvents === 0 && dupIntents === 0, no_gaps: seqGaps === 0, intents_derived: intents === created },
  };
}

function canaryLeaks(varDir: string): string[] {
  const leaks: string[] = [];
  // Every file, dot files and all: a secret must not be anywhere under var/.
  for (const f of walkFiles(varDir, { skip: () => false })) {
    const text = readFileSync(f).toString('latin1');
    for (const c of [AI_KEY, SIM_KEY.secretKey]) if (text.includes(c)) leaks.push(f.slice(varDir.length));
  }
  return leaks;
}

/** A fault for the simulator's admin API; clearAfterMs is this script's, not the venue's. */
interface Fault {
  readonly kind: string;
  readonly ms?: number;
  readonly status?: number;
  readonly execute?: boolean;
  readonly once?: boolean;
  readonly route?: string;
  readonly clearAfterMs?: number;
}
const FAULTS: readonly [Fault, ...Fault[]] = [
  { kind: 'latency', ms: 400, once: true },
  { kind: 'http_5xx', status: 503, execute: false, once: true },
  { kind: 'http_5xx', status: 502, execute: true, once: true, route: 'POST /api/v3/order' },
  { kind: 'drop_response_after_execute', once: true, route: 'POST /api/v3/order' },
  { kind: 'error_1007', execute: true, once: true },
  { kind: 'ws_disconnect', once: true },
  { kind: 'ws_stall', clearAfterMs: 3000 },
  { kind: 'query_not_found', ms: 1500, once: true },
  { kind: 'rate_limit_429', ms: 1000, once: true },
  { kind: 'clock_skew', ms: 200, clearAfterMs: 5000 },
];

async function inject(sim: { admin: string }, rnd: () => number): Promise<{ kind: string; status: number | string }> {
  const f = FAULTS[Math.floor(rnd() * FAULTS.length)] ?? FAULTS[0];
  const { clearAfterMs, ...body } = f;
  const res = await fetch(`${sim.admin}/admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (clearAfterMs) setTimeout(() => void fetch(`${sim.admin}/admin/faults`, { method: 'DELETE' }).catch(() => undefined), clearAfterMs).unref();
  return { kind: f.kind, status: res.status };
}

function mulberry32(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** --load: market data at `tickMs` for `seconds`, then the accounting. */
export async function runLoad(o: BotOptions & { readonly seconds: number }) {
  const varDir = o.varDir ?? mkdtempSync(join(tmpdir(), 'vigil-load-'));
  const bot = await startBot({ ...o, varDir });
  const t0 = Date.now();
  let burstEvents = 0;
  // --pressure: on top of the trading bot, the supervisor's own producer sends bursts of bulk
  // HEALTH_SAMPLED events (counted as sent like any other) so the small queue goes HIGH/FULL and drops.
  const burst = o.pressure
    ? setInterval(() => {
        // 80 rows in one frame: above the 70% HIGH mark of the 100-row queue on arrival, or refused
        // whole (DB_WRITER_DROPPED, FULL) if the queue still holds more than 20; however fast the writer.
        for (let i = 0; i < 80; i++) bot.sup.audit.append(bot.sup.events.make('HEALTH_SAMPLED', { load_burst: i }));
        burstEvents += 80;
      }, 50)
    : null;
  try {
    await sleep(o.seconds * 1000);
    if (burst) clearInterval(burst);
    await sleep(500);
    const acc = await accounting(bot, varDir);
    const cycles = await countOf(varDir, "SELECT count(*) AS n FROM events WHERE event_type = 'STAGE_CHANGED'");
    await bot.sup.stop('load end');
    const integ = await integrity(varDir);
    return {
      mode: 'load' as const,
      seconds: (Date.now() - t0) / 1000,
      tick_ms: o.tickMs,
      pressure: !!o.pressure,
      var_dir: varDir,
      stage_changes: cycles,
      ...acc,
      integrity: integ,
      ok: Object.values(acc.checks).every(Boolean) && Object.values(integ.checks).every(Boolean),
      burst_events: burstEvents,
    };
  } finally {
    if (burst) clearInterval(burst);
    await bot.sup.stop('load end').catch(() => undefined);
    await bot.peers.close();
    if (!o.keep && !o.varDir) rmSync(varDir, { recursive: true, force: true });
  }
}

/** --soak: faults every few seconds, RSS and WAL sampled, slopes and end-state checks. */
export async function runSoak(
  o: BotOptions & { readonly minutes: number; readonly sampleS: number; readonly faultEveryS: number; readonly operatorAfterS: number },
) {
  const varDir = o.varDir ?? mkdtempSync(join(tmpdir(), 'vigil-soak-'));
  const bot = await startBot({ ...o, varDir });
  const rnd = mulberry32(o.seed ?? 7);
  const rss: Sample[] = [];
  const wal: Sample[] = [];
  // Memory per part: the bot's threads (each has its own V8 heap; the workers report theirs in
  // every heartbeat) and the venue's process, sampled separately.
  const mem: Record<MemorySeries, Sample[]> = {
    supervisor_heap: [],
    engine_heap: [],
    gateway_heap: [],
    audit_heap: [],
    heaps_total: [],
    heaps_new: [],
    heaps_old: [],
    heaps_code: [],
    heaps_other: [],
    supervisor_external: [],
    workers_external: [],
    native_brk: [],
    native_arenas: [],
    native_anon_other: [],
    native_file: [],
    venue_rss: [],
    venue_heap: [],
  };
  let venueState: Record<string, number> | null = null;
  let arenaCount = 0;
  // --heap-snapshots DIR: each thread's heap written at a quarter and at the end of the run, for
  // scripts/heap-diff.ts (what grew between the two).
  const snapAt = [o.minutes * 60_000 * 0.25, o.minutes * 60_000 - 2 * o.sampleS * 1000];
  const faults: { at_s: number; kind: string; status: number | string }[] = [];
  const t0 = Date.now();
  const end = t0 + o.minutes * 60_000;
  let nextFault = t0 + o.faultEveryS * 1000;
  // The operator: a PAUSE held by a reason only an operator may clear is looked at and, after
  // `operatorAfterS`, answered the way the runbook says: restart the bot (STARTUP_RECONCILE then
  // rebuilds everything from the venue). Each run's audit accounting is checked before its stop.
  const { REASON_CODES } = await import('@vigil/contracts');
  const clearOf = (code: string): string | undefined => (REASON_CODES as Record<string, { clear: string } | undefined>)[code]?.clear;
  const segments: Awaited<ReturnType<typeof accounting>>[] = [];
  const restarts: { at_s: number; reasons: string[] }[] = [];
  const stretches: { mode: Mode; reasons: string; from_s: number; to_s: number }[] = [];
  let rowsBefore = 0;
  let manualSince: number | null = null;
  // Producer counters per worker thread: a restarted worker's earlier threads are carried.
  type Seen = { thread: number | null; total: number; failed: number };
  const seen: Record<'engine' | 'gateway', Seen> = { engine: { thread: null, total: 0, failed: 0 }, gateway: { thread: null, total: 0, failed: 0 } };
  let carried: Carried = { sent: 0, restarts: 0 };
  const seenWriter: { thread: number | null; committed: number; dropped: number; own: number } = { thread: null, committed: 0, dropped: 0, own: 0 };
  const pollProducers = async () => {
    const ah = bot.sup.hosts.audit;
    const wp = await bot.sup.audit.pressure().catch(() => null);
    if (seenWriter.thread !== null && ah.threadId !== seenWriter.thread) {
      const w = carried.writer ?? { committed: 0, dropped: 0, own: 0, restarts: 0 };
      carried = {
        ...carried,
        writer: {
          committed: w.committed + seenWriter.committed,
          dropped: w.dropped + seenWriter.dropped,
          own: w.own + seenWriter.own,
          restarts: w.restarts + 1,
        },
      };
      Object.assign(seenWriter, { committed: 0, dropped: 0, own: 0 });
    }
    seenWriter.thread = ah.threadId;
    if (wp) Object.assign(seenWriter, { committed: wp.committed_total, dropped: wp.dropped_total, own: wp.own_total ?? 0 });
    for (const w of ['engine', 'gateway'] as const) {
      const h = bot.sup.hosts[w];
      const c = await counters(h);
      if (seen[w].thread !== null && h.threadId !== seen[w].thread) {
        carried = { ...carried, sent: carried.sent + seen[w].total, failed: (carried.failed ?? 0) + seen[w].failed, restarts: carried.restarts + 1 };
        seen[w].total = 0;
        seen[w].failed = 0;
      }
      seen[w].thread = h.threadId;
      if (c) {
        seen[w].total = total(c);
        seen[w].failed = failedOf(c);
      }
    }
  };
  const resetProducers = () => {
    carried = { sent: 0, restarts: 0 };
    Object.assign(seenWriter, { thread: null, committed: 0, dropped: 0, own: 0 });
    for (const w of ['engine', 'gateway'] as const) seen[w] = { thread: null, total: 0, failed: 0 };
  };
  try {
    while (Date.now() < end) {
      const t = Date.now() - t0;
      // Stretches of one mode with one set of reasons: a PAUSE that outlives its fault is a finding.
      const ms = bot.sup.modeState;
      const reasons = ms.reasons
        .map((x) => `${x.code}@${x.source}`)
        .sort()
        .join(',');
      const open = stretches.at(-1);
      if (open?.mode === ms.mode && open.reasons === reasons) open.to_s = Math.round(t / 1000);
      else stretches.push({ mode: ms.mode, reasons, from_s: Math.round(t / 1000), to_s: Math.round(t / 1000) });
      const manual: string[] = ms.mode === 'PAUSE' ? ms.reasons.filter((x) => clearOf(x.code) === 'manual').map((x) => x.code) : [];
      manualSince = manual.length > 0 ? (manualSince ?? Date.now()) : null;
      if (manualSince !== null && Date.now() - manualSince >= o.operatorAfterS * 1000) {
        await pollProducers();
        segments.push(await accounting(bot, varDir, rowsBefore, carried));
        resetProducers();
        await bot.sup.stop('operator restart after a manual PAUSE');
        rowsBefore = await countOf(varDir, 'SELECT count(*) AS n FROM events');
        restarts.push({ at_s: Math.round(t / 1000), reasons: manual });
        bot.sup = (await bot.newSupervisor()).sup;
        manualSince = null;
      }
      await pollProducers();
      if (o.heapSnapshots && snapAt.length > 0 && t >= (snapAt[0] ?? Infinity)) {
        snapAt.shift();
        await heapSnapshots(bot.sup, o.heapSnapshots, `t${Math.round(t / 1000)}`);
      }
      const mu = process.memoryUsage();
      rss.push({ t_ms: t, v: mu.rss });
      mem.supervisor_heap.push({ t_ms: t, v: mu.heapUsed });
      mem.supervisor_external.push({ t_ms: t, v: mu.external });
      // V8 heap reserved by all four threads: the part of the RSS that is JavaScript heaps.
      let heapsTotal = mu.heapTotal;
      let workersExternal = 0;
      // ...and per V8 space (which of them creeps): young generation, old, code, the rest.
      const spaces = { heaps_new: 0, heaps_old: 0, heaps_code: 0, heaps_other: 0 };
      const addSpaces = (sp: Readonly<Record<string, number>> | undefined) => {
        for (const [name, bytes] of Object.entries(sp ?? {}))
          spaces[name.startsWith('new_') ? 'heaps_new' : name === 'old_space' ? 'heaps_old' : name.startsWith('code_') ? 'heaps_code' : 'heaps_other'] += bytes;
      };
      addSpaces(Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, x.space_size])));
      for (const w of ['engine', 'gateway', 'audit'] as const) {
        const hb = bot.sup.hosts[w].lastHeartbeat;
        if (hb) mem[`${w}_heap`].push({ t_ms: t, v: hb.mem.heap_used_bytes });
        heapsTotal += hb?.mem.heap_total_bytes ?? 0;
        workersExternal += hb?.mem.external_bytes ?? 0;
        addSpaces(hb?.mem.heap_spaces);
      }
      mem.heaps_total.push({ t_ms: t, v: heapsTotal });
      mem.workers_external.push({ t_ms: t, v: workersExternal });
      const nm = nativeMemory();
      if (nm) {
        mem.native_brk.push({ t_ms: t, v: nm.brk_bytes });
        mem.native_arenas.push({ t_ms: t, v: nm.arenas_bytes });
        mem.native_anon_other.push({ t_ms: t, v: nm.anon_other_bytes });
        mem.native_file.push({ t_ms: t, v: nm.file_bytes });
        arenaCount = nm.arenas;
      }
      for (const [k, v] of Object.entries(spaces)) mem[k as keyof typeof spaces].push({ t_ms: t, v });
      const pm = await bot.peers.mem();
      if (pm) {
        mem.venue_rss.push({ t_ms: t, v: pm.rss_bytes });
        mem.venue_heap.push({ t_ms: t, v: pm.heap_used_bytes });
        if (pm.venue) venueState = pm.venue;
      }
      const w = join(varDir, 'data', 'audit.sqlite-wal');
      wal.push({ t_ms: t, v: existsSync(w) ? statSync(w).size : 0 });
      if (Date.now() >= nextFault) {
        faults.push({ at_s: Math.round(t / 1000), ...(await inject(bot.sim, rnd).catch((e: unknown) => ({ kind: 'error', status: String(e) }))) });
        nextFault = Date.now() + o.faultEveryS * 1000 * (0.5 + rnd());
      }
      if (o.progress)
        process.stderr.write(
          `soak ${Math.round(t / 1000)} s  rss ${((rss.at(-1)?.v ?? 0) / 2 ** 20).toFixed(1)} MiB  heap sup/eng/gw/aud ${['supervisor', 'engine', 'gateway', 'audit'].map((k) => ((mem[`${k}_heap` as MemorySeries].at(-1)?.v ?? 0) / 2 ** 20).toFixed(1)).join('/')} MiB  venue ${((mem.venue_rss.at(-1)?.v ?? 0) / 2 ** 20).toFixed(1)} MiB  wal ${((wal.at(-1)?.v ?? 0) / 2 ** 20).toFixed(2)} MiB  brk/arenas/anon/file ${(['native_brk', 'native_arenas', 'native_anon_other', 'native_file'] as const).map((k) => ((mem[k].at(-1)?.v ?? 0) / 2 ** 20).toFixed(1)).join('/')} MiB  wext ${((mem.workers_external.at(-1)?.v ?? 0) / 2 ** 20).toFixed(1)}  mode ${bot.sup.modeState.mode}  faults ${faults.length}\n`,
        );
      await sleep(o.sampleS * 1000);
    }
    await fetch(`${bot.sim.admin}/admin/faults`, { method: 'DELETE' }).catch(() => undefined);
    await pollProducers();
    const last = await accounting(bot, varDir, rowsBefore, carried);
    segments.push(last);
    const acc = {
      ...last,
      sent: segments.reduce((a, x) => a + x.sent, 0),
      db_rows: segments.reduce((a, x) => a + x.db_rows, 0),
      silent_loss: segments.reduce((a, x) => a + x.silent_loss, 0),
      critical_failed: segments.reduce((a, x) => a + x.critical_failed, 0),
      client_dropped: segments.reduce((a, x) => a + x.client_dropped, 0),
      worker_restarts: segments.reduce((a, x) => a + x.carried_from_restarted_workers.restarts + (x.carried_from_restarted_workers.writer?.restarts ?? 0), 0),
      unpolled_after_restart: segments.reduce((a, x) => a + x.unpolled_after_restart, 0),
      checks: Object.fromEntries(
        (Object.keys(last.checks) as (keyof typeof last.checks)[]).map((k) => [k, segments.every((x) => x.checks[k])]),
      ) as typeof last.checks,
    };
    const orders = await countOf(varDir, "SELECT count(*) AS n FROM events WHERE event_type = 'INTENT_CREATED'");
    const modes = await dbQuery<{ to_mode: string; n: number }>(varDir, 'SELECT to_mode, count(*) AS n FROM mode_changes GROUP BY to_mode');
    await bot.sup.stop('soak end');
    const integ = await integrity(varDir);
    const leaks = canaryLeaks(varDir);
    return {
      mode: 'soak' as const,
      minutes: (Date.now() - t0) / 60_000,
      samples: rss.length,
      faults_injected: faults.length,
      faults,
      rss_bytes: series(rss),
      memory: Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, series(v)])) as Record<MemorySeries, Series>,
      venue_state: venueState,
      glibc_arenas: arenaCount,
      // glibc reads it once at process start: the run's allocator shape, recorded beside its figures.
      malloc_arena_max: process.env['MALLOC_ARENA_MAX'] ?? null,
      wal_bytes: { max: Math.max(...wal.map((s) => s.v)), last: wal.at(-1)?.v, slope_bytes_per_min: Math.round(slopePerMin(wal)) },
      intents_created: orders,
      mode_changes: modes,
      operator_restarts: restarts,
      final_mode: ((s) => (s ? [s.mode, s.reasons].filter(Boolean).join(' ') : null))(stretches.at(-1)),
      longest_pauses: stretches
        .filter((x) => x.mode === 'PAUSE')
        .map((x) => ({ reasons: x.reasons, from_s: x.from_s, seconds: x.to_s - x.from_s }))
        .sort((a, b) => b.seconds - a.seconds)
        .slice(0, 5),
      ...acc,
      integrity: integ,
      canary_leaks: leaks,
      ok: Object.values(acc.checks).every(Boolean) && Object.values(integ.checks).every(Boolean) && leaks.length === 0,
      var_dir: varDir,
    };
  } finally {
    await bot.sup.stop('soak end').catch(() => undefined);
    await bot.peers.close();
    if (!o.keep && !o.varDir) rmSync(varDir, { recursive: true, force: true });
  }
}

const mib = (b: number): string => (b / 2 ** 20).toFixed(2);

/** Heap snapshots of the supervisor thread and each worker thread into `dir` (diagnostics only). */
async function heapSnapshots(sup: Supervisor, dir: string, tag: string): Promise<void> {
  const { mkdirSync, createWriteStream } = await import('node:fs');
  const { pipeline } = await import('node:stream/promises');
  const v8 = await import('node:v8');
  mkdirSync(dir, { recursive: true });
  v8.writeHeapSnapshot(join(dir, `supervisor-${tag}.heapsnapshot`));
  for (const w of ['engine', 'gateway', 'audit'] as const) {
    // WorkerHost keeps its Worker private; a diagnostic script reaches it anyway.
    const worker = (sup.hosts[w] as unknown as { worker: import('node:worker_threads').Worker | null }).worker;
    if (!worker) continue;
    const stream = await worker.getHeapSnapshot();
    await pipeline(stream, createWriteStream(join(dir, `${w}-${tag}.heapsnapshot`)));
  }
}

/** First, last and median value, least-squares slopes over the whole run and its second half. */
export interface Series {
  readonly first: number;
  readonly last: number;
  readonly median: number;
  readonly slope_bytes_per_min: number;
  readonly slope_second_half_bytes_per_min: number;
}
export function series(samples: readonly Sample[]): Series {
  const half = Math.floor(samples.length / 2);
  const sorted = samples.map((s) => s.v).sort((a, b) => a - b);
  return {
    first: samples[0]?.v ?? 0,
    last: samples.at(-1)?.v ?? 0,
    median: sorted[Math.floor(sorted.length / 2)] ?? 0,
    slope_bytes_per_min: Math.round(slopePerMin(samples)),
    slope_second_half_bytes_per_min: Math.round(slopePerMin(samples.slice(half))),
  };
}

type MemorySeries =
  | 'supervisor_heap'
  | 'engine_heap'
  | 'gateway_heap'
  | 'audit_heap'
  | 'heaps_total'
  | 'heaps_new'
  | 'heaps_old'
  | 'heaps_code'
  | 'heaps_other'
  | 'supervisor_external'
  | 'workers_external'
  | 'native_brk'
  | 'native_arenas'
  | 'native_anon_other'
  | 'native_file'
  | 'venue_rss'
  | 'venue_heap';
const MEMORY_LABELS: Record<MemorySeries, string> = {
  supervisor_heap: 'bot: supervisor thread heap',
  engine_heap: 'bot: engine thread heap',
  gateway_heap: 'bot: gateway thread heap',
  audit_heap: 'bot: audit thread heap',
  heaps_total: 'bot: V8 heap reserved, all four threads',
  heaps_new: 'bot:   of it young generation (new space)',
  heaps_old: 'bot:   of it old space',
  heaps_code: 'bot:   of it code space',
  heaps_other: 'bot:   of it other spaces (large objects, maps, read-only)',
  supervisor_external: 'bot: supervisor thread external (buffers)',
  workers_external: 'bot: worker threads external (buffers, zlib, sockets)',
  native_brk: 'bot RSS: glibc main arena (brk heap)',
  native_arenas: 'bot RSS: glibc thread arenas (64 MiB mappings)',
  native_anon_other: 'bot RSS: other anonymous mappings (V8 pages, large mallocs, stacks)',
  native_file: 'bot RSS: file-backed mappings (code, libraries)',
  venue_rss: 'venue + reviewer process RSS',
  venue_heap: 'venue + reviewer process heap',
};

/** docs/SOAK.md: the soak report as tables, with the machine it ran on. */
export function soakMarkdown(r: SoakReport, startedIso: string): string {
  const row = (k: string, v: string | number): string => `| ${k} | ${v} |`;
  const faultKinds: Record<string, number> = {};
  for (const f of r.faults) faultKinds[f.kind] = (faultKinds[f.kind] ?? 0) + 1;
  const checks = { ...r.checks, ...r.integrity.checks, no_canary_leak: r.canary_leaks.length === 0 };
  return [
    '# Soak report',
    '',
    `Generated by \`npm run soak -- --soak --minutes ${Math.round(r.minutes)} --write\` (scripts/soak.ts); do not edit by hand.`,
    '',
    `Started ${startedIso}; machine: ${machineLine()}; glibc malloc: MALLOC_ARENA_MAX=${r.malloc_arena_max ?? 'unset'}.`,
    '',
    "The whole bot (supervisor and its three worker threads, in one process) trades on the simulator while random faults are injected through its admin API. The venue and the reviewer run in a child process of their own, so the bot's RSS is the bot's alone (plus this script's sampling) and the venue's is reported apart. RSS is a process's resident memory; each thread's heap is its own V8 heap (used bytes, as the worker reports it in its heartbeat); slopes are least squares over all samples (and over the second half, after warm-up).",
    '',
    '| figure | value |',
    '| --- | --- |',
    row('wall time (min)', r.minutes.toFixed(1)),
    row('samples', r.samples),
    row(
      'faults injected',
      `${r.faults_injected} (${Object.entries(faultKinds)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')})`,
    ),
    row('intents created', r.intents_created),
    row('mode changes', r.mode_changes.map((m) => `${m.to_mode} ${m.n}`).join(', ')),
    row(
      'operator restarts (manual PAUSE)',
      r.operator_restarts.length === 0
        ? '0'
        : `${r.operator_restarts.length}: ${r.operator_restarts.map((x) => `${x.at_s}s ${x.reasons.join('+')}`).join(', ')}`,
    ),
    row('mode at the end (reasons)', r.final_mode ?? '-'),
    row('longest PAUSE stretches', r.longest_pauses.map((x) => `${x.seconds}s from ${x.from_s}s: ${x.reasons || '-'}`).join('; ') || '-'),
    row('bot RSS first / median / last (MiB)', `${mib(r.rss_bytes.first)} / ${mib(r.rss_bytes.median)} / ${mib(r.rss_bytes.last)}`),
    row('bot RSS slope, whole run (MiB/min)', mib(r.rss_bytes.slope_bytes_per_min)),
    row('bot RSS slope, second half (MiB/min)', mib(r.rss_bytes.slope_second_half_bytes_per_min)),
    row('WAL max / last (MiB)', `${mib(r.wal_bytes.max)} / ${mib(r.wal_bytes.last ?? NaN)}`),
    row('WAL slope (MiB/min)', mib(r.wal_bytes.slope_bytes_per_min)),
    row('events sent by producers / rows in the DB', `${r.sent} / ${r.db_rows}`),
    ...(r.worker_restarts !== undefined
      ? [row('worker threads restarted (counters carried) / events they sent after their last poll', `${r.worker_restarts} / ${r.unpolled_after_restart}`)]
      : []),
    row('critical events failed to their caller (writer died first; in the DB or not)', r.critical_failed),
    row('silent loss', r.silent_loss),
    row('duplicate events / intents', `${r.integrity.duplicate_events} / ${r.integrity.duplicate_intents}`),
    row('canary leaks', r.canary_leaks.length),
    '',
    '| memory series | first / median / last (MiB) | slope, whole run (MiB/min) | slope, second half (MiB/min) |',
    '| --- | --- | --- | --- |',
    ...Object.entries(r.memory).map(
      ([k, v]) =>
        `| ${MEMORY_LABELS[k as MemorySeries] ?? k} | ${mib(v.first)} / ${mib(v.median)} / ${mib(v.last)} | ${mib(v.slope_bytes_per_min)} | ${mib(v.slope_second_half_bytes_per_min)} |`,
    ),
    '',
    `glibc thread arenas at the end: ${r.glibc_arenas}.`,
    ...(r.venue_state
      ? [
          '',
          `Venue state at the end: ${Object.entries(r.venue_state)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}.`,
        ]
      : []),
    '',
    '| check | result |',
    '| --- | --- |',
    ...Object.entries(checks).map(([k, v]) => row(k, v ? 'PASS' : 'FAIL')),
    '',
    `Overall: ${r.ok ? 'PASS' : 'FAIL'}`,
    '',
  ].join('\n');
}

/** The report of --soak (runSoak) and of --load (runLoad). */
export type SoakReport = Awaited<ReturnType<typeof runSoak>>;
export type LoadReport = Awaited<ReturnType<typeof runLoad>>;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : dflt;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const flags = new Set(process.argv.slice(2));
  const common = { keep: flags.has('--keep'), progress: !flags.has('--json') };
  let report: SoakReport | LoadReport;
  const startedIso = new Date().toISOString();
  if (flags.has('--load'))
    report = await runLoad({ ...common, seconds: arg('--seconds', 60), tickMs: arg('--tick-ms', 10), pressure: flags.has('--pressure') });
  else if (flags.has('--soak'))
    report = await runSoak({
      ...common,
      minutes: arg('--minutes', 60),
      sampleS: arg('--sample-s', 5),
      faultEveryS: arg('--fault-every-s', 20),
      tickMs: arg('--tick-ms', 100),
      operatorAfterS: arg('--operator-after-s', 30),
      heapSnapshots: process.argv.includes('--heap-snapshots') ? (process.argv[process.argv.indexOf('--heap-snapshots') + 1] ?? null) : null,
    });
  else {
    console.error(
      'usage: node scripts/run.mjs scripts/soak.ts --load [--seconds 60] [--tick-ms 10] [--pressure] | --soak [--minutes 60] [--sample-s 5] [--fault-every-s 20] [--operator-after-s 30] [--json] [--keep] [--write]',
    );
    process.exit(2);
  }
  if (flags.has('--json')) console.log(JSON.stringify(report, null, 2));
  else {
    const { faults, ...rest } = { faults: undefined, ...report };
    console.log(JSON.stringify(rest, null, 2));
    if (faults) console.log(`faults: ${faults.map((f) => `${f.at_s}s ${f.kind}`).join(', ')}`);
    console.log(report.ok ? 'SOAK OK' : 'SOAK FAILED');
  }
  if (flags.has('--write') && report.mode === 'soak') {
    const file = fileURLToPath(new URL('../docs/SOAK.md', import.meta.url));
    writeFileSync(file, soakMarkdown(report, startedIso));
    console.log(`wrote ${file}`);
  }
  process.exit(report.ok ? 0 : 1);
}
