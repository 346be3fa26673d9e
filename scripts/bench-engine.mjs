// Engine benchmarks for `npm run bench`: market event -> order request leaving the gateway through
// the three threads (AI gate answered locally, its model time excluded), and startup reconcile time
// with many open orders. Everything runs against the local simulator and reviewer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';

const root = new URL('..', import.meta.url).pathname;
const load = async () => ({
  ...(await import(join(root, 'apps/supervisor/dist/index.js'))),
  ...(await import(join(root, 'packages/runtime/dist/index.js'))),
  ...(await import(join(root, 'apps/exchange-sim/dist/index.js'))),
  ...(await import(join(root, 'apps/ai-reviewer/dist/server.js'))),
});
const KEY = {
  apiKey: 'benchkey000000000000000000000002',
  secretKey: 'benchsecret0000000000000000000002',
  canTrade: true,
  enableWithdrawals: false,
  ipRestrict: true,
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

async function supervisorFor(m, sim, extra) {
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
    runId: m.newRunId?.() ?? `run_bench_${Date.now()}`,
    secrets: { api_key: KEY.apiKey, api_secret: KEY.secretKey },
    log,
    consoleAlerts: false,
  });
  await sup.start();
  return { sup, varDir };
}

const until = async (what, fn, ms = 20_000, everyMs = 5) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await sleep(everyMs);
  }
};

/**
 * market event -> order leaving the gateway, p50/p99 over `n` entries driven by scripted prices,
 * after `warmup` entries (reported apart as the first order after start), as pathFloor does.
 */
export async function tickToOrder(n = 25, synchronous = 'FULL', audit = {}, warmup = 3) {
  const m = await load();
  const aiKey = 'sk-bench-local-000000000000000000';
  process.env.OPENAI_API_KEY = aiKey;
  const reviewer = await m.startReviewer({ apiKey: aiKey });
  // The market moves only when we set a price (one book frame per price): bars are ours to shape.
  const sim = await m.createExchangeSim({ keys: [{ ...KEY }], seed: 5, tickMs: 3_600_000 });
  const admin = (path, body) => fetch(`${sim.admin}${path}`, { method: 'POST', body: JSON.stringify(body) });
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
    risk: { churn_limit_10s: 1000, churn_limit_60s: 10000 },
    audit: { synchronous, ...audit },
  });
  try {
    await until('NORMAL', () => sup.modeState.mode === 'NORMAL', 30_000);
    const details = async (w) => (await sup.hosts[w].request('status', {})).details;
    let price = 64000;
    const set = async (p) => {
      await admin('/admin/price', { symbol: 'BTCUSDT', price: p.toFixed(2) });
      await sleep(105); // next bar
    };
    let samples = 0;
    for (let i = 0; i < (n + warmup) * 3 && samples < n + warmup; i++) {
      // A quiet channel with some noise, then a breakout bar, closed by the next tick.
      for (const k of [0, 0.0004, -0.0003, 0.0002, -0.0001]) await set(price * (1 + k));
      await set(price * 1.002);
      await set(price * 1.0015); // closes the breakout bar; its own close is no new high
      const got = await until(
        'an entry',
        async () => {
          const g = await details('gateway');
          return g.tick_to_order_ms.length > samples ? g.tick_to_order_ms : null;
        },
        3000,
        // Each look is a status request the gateway thread answers: asked every 5 ms, the bench
        // itself took that thread from the order it measures. 25 ms leaves the path alone.
        25,
      ).catch(() => null);
      if (got) samples = got.length;
      // Close any position through its stop (a fall is no breakout) so the next round starts flat.
      const slot = await until('protected', async () => (await details('engine')).slots.find((s) => s.protection?.active), got ? 5000 : 1000).catch(() => null);
      if (!slot) continue;
      price = Number(slot.plan.stop_price) * 0.999;
      await admin('/admin/price', { symbol: 'BTCUSDT', price: price.toFixed(2) });
      await until('flat', async () => (await details('engine')).slots.every((s) => !s.protection && !s.entry), 10_000);
    }
    const gw = await details('gateway');
    const all = gw.tick_to_order_ms;
    const xs = all.slice(warmup);
    // Where the time went: each stage's median over the same entries (OrderTrace.marks).
    const traced = gw.tick_to_order_stages_ms.slice(warmup);
    const stages = Object.fromEntries(
      Object.keys(traced[0] ?? {}).map((k) => [
        k,
        pct(
          traced.map((t) => t[k] ?? NaN),
          50,
        ),
      ]),
    );
    const stages99 = Object.fromEntries(
      Object.keys(traced[0] ?? {}).map((k) => [
        k,
        pct(
          traced.map((t) => t[k] ?? NaN),
          99,
        ),
      ]),
    );
    const gate = (await details('engine')).ai_gate_overhead_ms.slice(warmup);
    const commit = (await details('engine')).intent_commit_ms.slice(warmup);
    return {
      commit_p50_ms: pct(commit, 50),
      commit_p99_ms: pct(commit, 99),
      n: xs.length,
      first_ms: all[0],
      p50_ms: pct(xs, 50),
      p99_ms: pct(xs, 99),
      max_ms: Math.max(...xs),
      stages_p50_ms: stages,
      stages_p99_ms: stages99,
      gate_n: gate.length,
      gate_p50_ms: pct(gate, 50),
      gate_p99_ms: pct(gate, 99),
    };
  } finally {
    await sup.stop('bench');
    await sim.close();
    await reviewer.close();
  }
}

/** Startup reconcile with `count` open orders at the venue, and a bare signed openOrders call as the baseline. */
export async function startupReconcile(count) {
  const m = await load();
  delete process.env.OPENAI_API_KEY;
  const sim = await m.createExchangeSim({ keys: [{ ...KEY }], seed: 9, tickMs: 3_600_000 });
  try {
    sim.exchange.symbols.get('BTCUSDT').maxNumOrders = count + 10;
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
    const base = [];
    for (let i = 0; i < 5; i++) {
      const q = new URLSearchParams({ timestamp: String(Date.now()), recvWindow: '5000' }).toString();
      const sig = createHmac('sha256', KEY.secretKey).update(q).digest('hex');
      const t0 = performance.now();
      const res = await fetch(`${sim.rest}/api/v3/openOrders?${q}&signature=${sig}`, { headers: { 'X-MBX-APIKEY': KEY.apiKey } });
      await res.json();
      base.push(performance.now() - t0);
    }
    const { sup } = await supervisorFor(m, sim, { engine: { manage_only_stable_ms: 200 } });
    try {
      const last = await until('startup reconcile', async () => (await sup.hosts.engine.request('status', {})).details.last_reconcile, 60_000);
      return { count, reconcile_ms: last.duration_ms, diffs: last.diffs, baseline_open_orders_ms: pct(base, 50) };
    } finally {
      await sup.stop('bench');
    }
  } finally {
    await sim.close();
  }
}

/**
 * The floor of that path on this machine: the same four thread hops (gateway -> engine -> audit ->
 * engine -> gateway) between otherwise idle threads, with nothing but one single-row SQLite commit
 * (WAL, `synchronous`) at the audit hop, sampled with the same idle gaps as real entries. What the
 * product adds is the difference; what this costs, no product on this machine can avoid while an
 * intent is committed before its order leaves.
 */
export async function pathFloor(n = 40, synchronous = 'FULL', gapMs = 100) {
  const { Worker, MessageChannel } = await import('node:worker_threads');
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
  const xs = [];
  try {
    for (let i = 0; i < n + 3; i++) {
      await sleep(gapMs);
      const ms = await new Promise((res) => {
        gateway.once('message', res);
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
export async function floorAround(n, synchronous, measure) {
  const before = await pathFloor(Math.ceil(n / 2), synchronous);
  const result = await measure();
  const after = await pathFloor(Math.floor(n / 2), synchronous);
  const xs = [...before.samples_ms, ...after.samples_ms];
  return { floor: { n: xs.length, p50_ms: pct(xs, 50), p99_ms: pct(xs, 99) }, result };
}
