// Engine benchmarks for `npm run bench`: market event -> order request leaving the gateway through
// the three threads (AI gate answered locally, its model time excluded), and startup reconcile time
// with many open orders. Everything runs against the local simulator and reviewer.
//
// BENCH_PROGRESS=1 prints each step of a run on stderr (time, mode, reasons, the run's var dir), so
// a run that stops making progress shows where.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Supervisor } from '@vigil/supervisor';
import type { ExchangeSim } from '@vigil/exchange-sim';
import { REASON_CODES, type JsonObject, type JsonValue, type WorkerName } from '@vigil/contracts';

const root = new URL('..', import.meta.url).pathname;
const load = async () => {
  const [sup, runtime, sim, reviewer] = await Promise.all([
    import('@vigil/supervisor'),
    import('@vigil/runtime'),
    import('@vigil/exchange-sim'),
    import('@vigil/ai-reviewer/server'),
  ]);
  return {
    Supervisor: sup.Supervisor,
    parseConfig: runtime.parseConfig,
    createLogger: runtime.createLogger,
    createExchangeSim: sim.createExchangeSim,
    startReviewer: reviewer.startReviewer,
  };
};
type Loaded = Awaited<ReturnType<typeof load>>;

const KEY = {
  apiKey: 'benchkey000000000000000000000002',
  secretKey: 'benchsecret0000000000000000000002',
  canTrade: true,
  enableWithdrawals: false,
  ipRestrict: true,
};

const t0 = Date.now();
const progress = (msg: string): void => {
  if (process.env['BENCH_PROGRESS']) process.stderr.write(`[bench-engine +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN) : NaN;
};

async function supervisorFor(m: Loaded, sim: ExchangeSim, extra: JsonObject): Promise<{ sup: Supervisor; varDir: string }> {
  const varDir = mkdtempSync(join(tmpdir(), 'vigil-bench-engine-'));
  const r = m.parseConfig({
    paths: { var_dir: varDir },
    exchange: { rest_base_url: sim.rest, ws_market_url: sim.ws, ws_api_url: `${sim.ws}/ws-api/v3`, symbols: ['BTCUSDT'] },
    logging: { level: 'error' },
    ...extra,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  const log = m.createLogger({ thread: 'supervisor', logDir: null, config: r.config.logging, console: false });
  const sup = new m.Supervisor({
    config: r.config,
    varDir,
    runId: `run_bench_${Date.now()}`,
    secrets: { api_key: KEY.apiKey, api_secret: KEY.secretKey },
    log,
    consoleAlerts: false,
  });
  progress('supervisor starting');
  await sup.start();
  progress(`supervisor started (var dir ${varDir})`);
  return { sup, varDir };
}

const until = async <T>(what: string, fn: () => T | Promise<T>, ms = 20_000, everyMs = 5): Promise<NonNullable<T>> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await sleep(everyMs);
  }
};

/**
 * Rounds of tickToOrder start at least this far apart. A round may place three new orders (the
 * entry and its OCO's two legs): 3 per second keeps them at 30 per 10 s, within the venue's 50
 * (the simulator, as Binance) and the 45 the gateway's governor allows itself.
 */
const ROUND_MIN_MS = 1000;

/**
 * Waits for NORMAL. A reason the system clears itself (a loop-lag spike, a worker restarted after a
 * stall and its startup reconcile, on a loaded machine) is waited out, up to `ms`. A reason only an
 * operator clears (CLOSE_SAFELY, RISK_DAILY_LOSS_LIMIT_HIT: 'manual' in the reason table) fails
 * the run at once, naming it: before, each later round waited 3-5 s for an entry that could not
 * come, for up to 129 rounds, past the 600 s timeout, with nothing printed (the "hang").
 */
const waitNormal = async (sup: Supervisor, where: string, tick: () => Promise<void>, ms = 60_000): Promise<void> => {
  let tickAt = Date.now();
  const normal = async (): Promise<boolean> => {
    const st = sup.modeState;
    if (st.mode === 'NORMAL') return true;
    const manual = st.reasons.filter((r) => REASON_CODES[r.code].clear === 'manual');
    if (manual.length > 0)
      throw new Error(`mode ${st.mode} until an operator clears ${manual.map((r) => `${r.code}@${r.source} ${JSON.stringify(r.detail)}`).join('; ')}`);
    // The market moves only when this bench sets a price: while it waits, a quote every 500 ms
    // keeps the stream from going stale (WS_STALE would hold the mode in DEGRADE by itself).
    if (Date.now() - tickAt >= 500) {
      tickAt = Date.now();
      await tick();
    }
    return false;
  };
  await until('NORMAL', normal, ms, 50).catch((e: Error) => {
    const st = sup.modeState;
    if (!e.message.startsWith('timeout')) throw new Error(`${e.message} (before ${where})`);
    const why = st.reasons.map((r) => `${r.code}@${r.source} ${JSON.stringify(r.detail)}`).join('; ');
    throw new Error(`mode ${st.mode}, not NORMAL for ${ms} ms before ${where}: ${why}`);
  });
};

// The status details this bench reads, checked as they arrive (they are JSON from another thread).
const isObj = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const numbers = (v: JsonValue | undefined, what: string): number[] => {
  if (!Array.isArray(v) || !v.every((x): x is number => typeof x === 'number')) throw new Error(`status: ${what} is not a list of numbers`);
  return [...v];
};
const stageRows = (v: JsonValue | undefined): Record<string, number>[] => {
  if (!Array.isArray(v)) throw new Error('status: tick_to_order_stages_ms is not a list');
  return v.map((row) => {
    if (!isObj(row)) throw new Error('status: a stage row is not an object');
    const out: Record<string, number> = {};
    for (const [k, x] of Object.entries(row)) if (typeof x === 'number') out[k] = x;
    return out;
  });
};
interface SlotView {
  readonly active: boolean;
  readonly flat: boolean;
  readonly stopPrice: string | null;
}
const slotViews = (v: JsonValue | undefined): SlotView[] => {
  if (!Array.isArray(v)) throw new Error('status: engine slots is not a list');
  return v.filter(isObj).map((s) => {
    const protection = s['protection'];
    const plan = s['plan'];
    const stop = isObj(plan) ? plan['stop_price'] : undefined;
    return {
      active: isObj(protection) && protection['active'] === true,
      flat: (protection === null || protection === undefined) && (s['entry'] === null || s['entry'] === undefined),
      stopPrice: typeof stop === 'string' ? stop : null,
    };
  });
};

/**
 * A worker's status details. On a loaded machine the supervisor restarts a worker whose heartbeat
 * stalled (WORKER_STALLED, as in production): its channel closes under a pending request, and the
 * new thread answers once it runs. Asked again for up to 20 s rather than failing the whole run.
 */
const statusDetails = async (sup: Supervisor, w: WorkerName): Promise<JsonObject> => {
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      return (await sup.hosts[w].request('status', {})).details;
    } catch (e) {
      if (Date.now() > end) throw e;
      progress(`  status of ${w} failed (${(e as Error).message}); asking again`);
      await sleep(200);
    }
  }
};

/** Each stage's percentile over the traced entries (OrderTrace.marks), in path order. */
const stagePct = (traced: readonly Record<string, number>[], p: number): Record<string, number> =>
  Object.fromEntries(
    Object.keys(traced[0] ?? {}).map((k) => [
      k,
      pct(
        traced.map((t) => t[k] ?? NaN),
        p,
      ),
    ]),
  );

export interface TickToOrderResult {
  readonly commit_p50_ms: number;
  readonly commit_p99_ms: number;
  readonly n: number;
  readonly first_ms: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
  readonly stages_p50_ms: Record<string, number>;
  readonly stages_p99_ms: Record<string, number>;
  readonly gate_n: number;
  readonly gate_p50_ms: number;
  readonly gate_p99_ms: number;
}

/**
 * market event -> order leaving the gateway, p50/p99 over `n` entries driven by scripted prices,
 * after `warmup` entries (reported apart as the first order after start), as pathFloor does.
 */
export async function tickToOrder(n = 25, synchronous: 'FULL' | 'NORMAL' = 'FULL', audit: JsonObject = {}, warmup = 3): Promise<TickToOrderResult> {
  const m = await load();
  const aiKey = 'sk-bench-local-000000000000000000';
  process.env['OPENAI_API_KEY'] = aiKey;
  const reviewer = await m.startReviewer({ apiKey: aiKey });
  // The market moves only when we set a price (one book frame per price): bars are ours to shape.
  const sim = await m.createExchangeSim({ keys: [{ ...KEY }], seed: 5, tickMs: 3_600_000 });
  const admin = (path: string, body: JsonObject): Promise<Response> => fetch(`${sim.admin}${path}`, { method: 'POST', body: JSON.stringify(body) });
  const { sup } = await supervisorFor(m, sim, {
    aigate: { base_url: reviewer.baseUrl, model: 'vigil-reviewer-1' },
    strategy: {
      bar_ms: 100,
      lookback_bars: 3,
      vol_bars: 3,
      hold_bars: 30,
      stop_vol_mult: '2',
      take_profit_r: '2',
      win_rate_prior: '0.5',
      min_stop_bps: 120,
      cooldown_ms: 0,
      entry_ttl_ms: 5000,
    },
    engine: { cycle_interval_ms: 50, manage_only_stable_ms: 200, reconcile_interval_ms: 60_000, intent_query_interval_ms: 50, trailing_enabled: false },
    supervisor: { degrade_stability_window_ms: 200 },
    // Every round ends in a stop-out by design (about 1 USDT lost each): at the default 50 USDT a
    // day, RISK_DAILY_LOSS_LIMIT_HIT stopped entries for the rest of the day after about 50 rounds.
    risk: { churn_limit_10s: 1000, churn_limit_60s: 10000, daily_loss_limit_quote: '100000' },
    audit: { synchronous, ...audit },
  });
  try {
    await until('NORMAL', () => sup.modeState.mode === 'NORMAL', 30_000);
    const details = (w: WorkerName): Promise<JsonObject> => statusDetails(sup, w);
    let price = 64000;
    const set = async (p: number): Promise<void> => {
      await admin('/admin/price', { symbol: 'BTCUSDT', price: p.toFixed(2) });
      await sleep(105); // next bar
    };
    // The samples are collected here, not read from the gateway at the end: a gateway restarted
    // after a stall starts its lists empty, and comparing lengths then never saw another entry.
    const collected: number[] = [];
    const collectedStages: Record<string, number>[] = [];
    let seen = 0; // entries of the current gateway thread already collected
    const collect = async (): Promise<boolean> => {
      const gw = await details('gateway');
      const xs = numbers(gw['tick_to_order_ms'], 'tick_to_order_ms');
      const st = stageRows(gw['tick_to_order_stages_ms']);
      if (xs.length < seen) seen = 0; // a new gateway thread
      if (xs.length === seen) return false;
      collected.push(...xs.slice(seen));
      collectedStages.push(...st.slice(seen));
      seen = xs.length;
      return true;
    };
    let samples = 0;
    let roundAt = 0;
    let dry = 0; // rounds in a row without an entry
    for (let i = 0; i < (n + warmup) * 3 && samples < n + warmup; i++) {
      // A run that keeps not entering while the mode is NORMAL is broken somewhere: say so now,
      // rather than after the remaining rounds (3-5 s each).
      if (dry >= 10) throw new Error(`no traced entry in 10 rounds in a row (round ${i}, ${samples} entries so far)`);
      await sleep(Math.max(0, roundAt + ROUND_MIN_MS - Date.now()));
      roundAt = Date.now();
      await waitNormal(
        sup,
        `round ${i} of tickToOrder (${samples} entries so far)`,
        async () => void (await admin('/admin/price', { symbol: 'BTCUSDT', price: price.toFixed(2) })),
      );
      progress(`tickToOrder ${synchronous} round ${i}, ${samples} entries`);
      // A quiet channel with some noise, then a breakout bar, closed by the next tick.
      for (const k of [0, 0.0004, -0.0003, 0.0002, -0.0001]) await set(price * (1 + k));
      await set(price * 1.002);
      await set(price * 1.0015); // closes the breakout bar; its own close is no new high
      const got = await until(
        'an entry',
        collect,
        3000,
        // Each look is a status request the gateway thread answers: asked every 5 ms, the bench
        // itself took that thread from the order it measures. 25 ms leaves the path alone.
        25,
      ).catch(() => null);
      samples = collected.length;
      dry = got ? 0 : dry + 1;
      // Close any position through its stop (a fall is no breakout) so the next round starts flat.
      const slot = await until('protected', async () => slotViews((await details('engine'))['slots']).find((s) => s.active), got ? 5000 : 1000).catch(
        () => null,
      );
      if (!slot?.stopPrice) {
        progress(`  entry ${got ? 'traced' : 'not traced'}, no protected position`);
        continue;
      }
      price = Number(slot.stopPrice) * 0.999;
      await admin('/admin/price', { symbol: 'BTCUSDT', price: price.toFixed(2) });
      await until('flat', async () => slotViews((await details('engine'))['slots']).every((s) => s.flat), 10_000);
    }
    await collect();
    // The engine's own lists (gate overhead, intent commit) start anew if it was restarted.
    const engine = await details('engine');
    const all = collected;
    const xs = all.slice(warmup);
    // Where the time went: each stage's median over the same entries (OrderTrace.marks).
    const traced = collectedStages.slice(warmup);
    const gate = numbers(engine['ai_gate_overhead_ms'], 'ai_gate_overhead_ms').slice(warmup);
    const commit = numbers(engine['intent_commit_ms'], 'intent_commit_ms').slice(warmup);
    return {
      commit_p50_ms: pct(commit, 50),
      commit_p99_ms: pct(commit, 99),
      n: xs.length,
      first_ms: all[0] ?? NaN,
      p50_ms: pct(xs, 50),
      p99_ms: pct(xs, 99),
      max_ms: Math.max(...xs),
      stages_p50_ms: stagePct(traced, 50),
      stages_p99_ms: stagePct(traced, 99),
      gate_n: gate.length,
      gate_p50_ms: pct(gate, 50),
      gate_p99_ms: pct(gate, 99),
    };
  } finally {
    progress('tickToOrder: stopping');
    await sup.stop('bench');
    await sim.close();
    await reviewer.close();
    progress('tickToOrder: stopped');
  }
}

export interface ReconcileResult {
  readonly count: number;
  readonly reconcile_ms: number;
  readonly diffs: JsonValue;
  readonly baseline_open_orders_ms: number;
}

/** Startup reconcile with `count` open orders at the venue, and a bare signed openOrders call as the baseline. */
export async function startupReconcile(count: number): Promise<ReconcileResult> {
  const m = await load();
  delete process.env['OPENAI_API_KEY'];
  const sim = await m.createExchangeSim({ keys: [{ ...KEY }], seed: 9, tickMs: 3_600_000 });
  try {
    const btc = sim.exchange.symbols.get('BTCUSDT');
    if (!btc) throw new Error('the simulator lists no BTCUSDT');
    btc.maxNumOrders = count + 10;
    await fetch(`${sim.admin}/admin/price`, { method: 'POST', body: JSON.stringify({ symbol: 'BTCUSDT', price: '64000' }) });
    for (let i = 0; i < count; i++) {
      const r = sim.exchange.place(KEY.apiKey, {
        symbol: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: '0.0001',
        price: (60000 + (i % 1000)).toFixed(2),
        newClientOrderId: `ext${i}`,
      });
      if (!r.ok) throw new Error(`setup order ${i}: ${r.err.msg}`);
    }
    // Baseline: one signed GET /api/v3/openOrders of the same size, median of 5.
    const base: number[] = [];
    for (let i = 0; i < 5; i++) {
      const q = new URLSearchParams({ timestamp: String(Date.now()), recvWindow: '5000' }).toString();
      const sig = createHmac('sha256', KEY.secretKey).update(q).digest('hex');
      const started = performance.now();
      const res = await fetch(`${sim.rest}/api/v3/openOrders?${q}&signature=${sig}`, { headers: { 'X-MBX-APIKEY': KEY.apiKey } });
      await res.json();
      base.push(performance.now() - started);
    }
    const { sup } = await supervisorFor(m, sim, { engine: { manage_only_stable_ms: 200 } });
    try {
      const last = await until(
        'startup reconcile',
        async () => {
          const l = (await statusDetails(sup, 'engine'))['last_reconcile'];
          return isObj(l) ? l : null;
        },
        60_000,
      );
      const ms = last['duration_ms'];
      if (typeof ms !== 'number') throw new Error('status: last_reconcile.duration_ms is not a number');
      return { count, reconcile_ms: ms, diffs: last['diffs'] ?? null, baseline_open_orders_ms: pct(base, 50) };
    } finally {
      await sup.stop('bench');
    }
  } finally {
    await sim.close();
  }
}

export interface FloorResult {
  readonly n: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly samples_ms: number[];
}

/**
 * The floor of that path on this machine: the same four thread hops (gateway -> engine -> audit ->
 * engine -> gateway) between otherwise idle threads, with nothing but one single-row SQLite commit
 * (WAL, `synchronous`) at the audit hop, sampled with the same idle gaps as real entries. What the
 * product adds is the difference; what this costs, no product on this machine can avoid while an
 * intent is committed before its order leaves.
 */
export async function pathFloor(n = 40, synchronous: 'FULL' | 'NORMAL' = 'FULL', gapMs = 100): Promise<FloorResult> {
  progress(`pathFloor ${synchronous}, ${n} samples`);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-floor-'));
  const sqlite = join(root, 'node_modules/better-sqlite3/lib/index.js');
  const audit = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require(workerData.sqlite);
     const db = new Database(workerData.file);
     db.pragma('journal_mode = WAL'); db.pragma('synchronous = ' + workerData.sync);
     db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
     const ins = db.prepare('INSERT INTO t (body) VALUES (?)');
     const commit = db.transaction((b) => ins.run(b));
     parentPort.once('message', ({ port }) => port.on('message', (m) => { commit(m.body); port.postMessage(m); }));`,
    { eval: true, workerData: { sqlite, file: join(dir, 'floor.sqlite'), sync: synchronous } },
  );
  const engine = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.once('message', ({ gw, au }) => {
       gw.on('message', (m) => au.postMessage(m));
       au.on('message', (m) => gw.postMessage(m));
     });`,
    { eval: true },
  );
  const gateway = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.once('message', ({ en }) => {
       let t0 = 0;
       en.on('message', () => parentPort.postMessage(performance.now() - t0));
       parentPort.on('message', () => { t0 = performance.now(); en.postMessage({ body: 'x'.repeat(400) }); });
     });`,
    { eval: true },
  );
  const ge = new MessageChannel();
  const ea = new MessageChannel();
  audit.postMessage({ port: ea.port2 }, [ea.port2]);
  engine.postMessage({ gw: ge.port2, au: ea.port1 }, [ge.port2, ea.port1]);
  gateway.postMessage({ en: ge.port1 }, [ge.port1]);
  const xs: number[] = [];
  try {
    for (let i = 0; i < n + 3; i++) {
      await sleep(gapMs);
      const ms = await new Promise<number>((res, rej) => {
        // A floor thread that dies answers nothing: fail the run rather than wait for ever.
        const failed = (e: Error): void => rej(new Error(`pathFloor: a thread failed: ${e.message}`));
        for (const w of [audit, engine, gateway]) w.once('error', failed);
        gateway.once('message', (v: number) => {
          for (const w of [audit, engine, gateway]) w.off('error', failed);
          res(v);
        });
        gateway.postMessage('go');
      });
      if (i >= 3) xs.push(ms); // the first round trips warm the threads up
    }
  } finally {
    await Promise.all([audit.terminate(), engine.terminate(), gateway.terminate()]);
    rmSync(dir, { recursive: true, force: true });
  }
  return { n: xs.length, p50_ms: pct(xs, 50), p99_ms: pct(xs, 99), samples_ms: xs };
}

/**
 * The floor around a measurement: half its samples taken right before `measure`, half right after,
 * pooled, so the floor saw the same stretch of a shared machine's load as what it is compared with.
 */
export async function floorAround<T>(
  n: number,
  synchronous: 'FULL' | 'NORMAL',
  measure: () => Promise<T>,
): Promise<{ floor: { n: number; p50_ms: number; p99_ms: number }; result: T }> {
  const before = await pathFloor(Math.ceil(n / 2), synchronous);
  const result = await measure();
  const after = await pathFloor(Math.floor(n / 2), synchronous);
  const xs = [...before.samples_ms, ...after.samples_ms];
  return { floor: { n: xs.length, p50_ms: pct(xs, 50), p99_ms: pct(xs, 99) }, result };
}
