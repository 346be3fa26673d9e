// Panel benchmark: /api/* latency against a generated 10-million-event audit database (beside the
// same routes on an empty database, measured in the same run), and the dashboard's time to first
// full render in headless Chromium (beside an empty static page). `node --import tsx
// scripts/bench-panel.ts` prints JSON; scripts/bench.ts (`npm run bench panel`) tabulates it.
//
// The database is generated with raw better-sqlite3 batched inserts in the schema of
// packages/audit/src/schema.ts (migrate() itself, indexes dropped during the load and rebuilt),
// plus the derived tables the panel reads, and cached under os.tmpdir() keyed by schema version,
// generator version and size, so repeated runs reuse it. Its hash chain is not valid (the bench
// never verifies it): hashes are filler of the real width.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { JsonObject } from '@vigil/contracts';
import type { PanelSource } from '@vigil/supervisor';

const GEN_VERSION = 1;
const N = Number(process.env.BENCH_PANEL_EVENTS ?? 10_000_000);
const ROUNDS = Number(process.env.BENCH_PANEL_ROUNDS ?? 60);
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const CHROMIUM = '/usr/bin/chromium';

const { migrate, SCHEMA_VERSION } = await import('@vigil/audit/schema');
const { auditPanelReads } = await import('@vigil/supervisor/panel/read-source');
const { startPanel } = await import('@vigil/supervisor/panel/server');

// The page's globals, as far as the functions page.evaluate runs in the browser use them.
declare const document: { readonly body: { readonly dataset: Record<string, string | undefined> } };

const log = (s: string): boolean => process.stderr.write(`[bench-panel] ${s}\n`);
const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
const pct = (xs: readonly number[], p: number): number => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

// --- the database ---------------------------------------------------------------------------------

/** Event types by share per 1000 (a busy bot: stage changes and REST calls dominate). */
const MIX: readonly (readonly [string, number])[] = [
  ['STAGE_CHANGED', 430],
  ['REST_CALLED', 190],
  ['HEALTH_SAMPLED', 40],
  ['DECISION_PROPOSED', 50],
  ['RISK_VERDICT_GIVEN', 40],
  ['AIGATE_CALL', 10],
  ['INTENT_CREATED', 10],
  ['INTENT_STATE_CHANGED', 10],
  ['ORDER_UPDATED', 30],
  ['FILL_RECORDED', 10],
  ['POSITION_UPDATED', 10],
  ['PROTECTION_PLACED', 5],
  ['RECONCILE_STARTED', 20],
  ['RECONCILE_COMPLETED', 20],
  ['RECONCILE_DIFF', 2],
  ['ALERT_RAISED', 2],
  ['REASON_RAISED', 4],
  ['MODE_CHANGED', 1],
  ['PNL_SAMPLED', 26],
  ['USER_EVENT_RECEIVED', 40],
  ['RATE_LIMIT_OBSERVED', 30],
  ['WS_STATE_CHANGED', 10],
  ['CLOCK_SYNCED', 10],
];
const SLOTS: string[] = [];
for (const [t, n] of MIX) for (let i = 0; i < n; i++) SLOTS.push(t);
if (SLOTS.length !== 1000) throw new Error(`mix sums to ${SLOTS.length}, not 1000`);
const STAGES = ['IDLE', 'MARKET_SNAPSHOT', 'STRATEGY_PROPOSE', 'AIGATE_CALL', 'RISK_VERDICT', 'EXECUTE', 'PROTECT', 'MANAGE', 'RECONCILE'];
const HASH = 'f'.repeat(64);

function generate(varDir: string): { insert_s: number; total_s: number; bytes: number } {
  const dataDir = join(varDir, 'data');
  rmSync(varDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'audit.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  db.pragma('temp_store = MEMORY');
  // Derived rows are written before their event row in this loop; the writer's order is the reverse.
  db.pragma('foreign_keys = OFF');
  migrate(db);
  const indexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as { name: string; sql: string }[];
  for (const ix of indexes) db.exec(`DROP INDEX ${ix.name}`);
  const ins = db.prepare(
    'INSERT INTO events (seq, event_id, ts_ms, run_id, source, cycle_id, stage, snapshot_id, decision_id, order_intent_id, event_type, reason_code, severity, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const d = {
    stage: db.prepare('INSERT INTO stage_changes (seq, ts_ms, run_id, cycle_id, stage, from_stage) VALUES (?, ?, ?, ?, ?, ?)'),
    alert: db.prepare(
      'INSERT INTO alerts (seq, ts_ms, run_id, severity, reason_code, source, stage, cycle_id, decision_id, order_intent_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    intent: db.prepare(
      "INSERT INTO order_intents (order_intent_id, created_seq, created_ms, run_id, cycle_id, decision_id, symbol, side, client_order_id, state, state_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'CREATED', ?)",
    ),
    transition: db.prepare('INSERT INTO intent_transitions (seq, ts_ms, order_intent_id, from_state, to_state, reason_code) VALUES (?, ?, ?, ?, ?, ?)'),
    intentState: db.prepare('UPDATE order_intents SET state = ?, state_ms = ? WHERE order_intent_id = ?'),
    order:
      db.prepare(`INSERT INTO orders (client_order_id, last_seq, ts_ms, order_intent_id, symbol, side, type, status, price, orig_qty, executed_qty, exchange_order_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(client_order_id) DO UPDATE SET last_seq = excluded.last_seq, ts_ms = excluded.ts_ms, status = excluded.status, executed_qty = excluded.executed_qty`),
    fill: db.prepare(
      'INSERT INTO fills (seq, ts_ms, order_intent_id, client_order_id, symbol, side, price, qty, commission, commission_asset, trade_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    position: db.prepare(
      'INSERT INTO positions (symbol, last_seq, ts_ms, qty, avg_price, protected) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(symbol) DO UPDATE SET last_seq = excluded.last_seq, ts_ms = excluded.ts_ms, qty = excluded.qty',
    ),
    rrun: db.prepare('INSERT INTO reconcile_runs (seq, ts_ms, run_id, cycle_id, duration_ms, drift, diffs) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    rdiff: db.prepare('INSERT INTO reconcile_diffs (seq, ts_ms, cycle_id, decision_id, order_intent_id, kind, detail) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    gate: db.prepare(
      'INSERT INTO ai_gate_events (seq, ts_ms, cycle_id, decision_id, snapshot_hash, input_hash, model, verdict, reasons, error_code, latency_ms, tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    mode: db.prepare('INSERT INTO mode_changes (seq, ts_ms, run_id, from_mode, to_mode, mode_seq, reasons) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    run: db.prepare('INSERT INTO runs (run_id, started_ms, stopped_ms, stop_reason, versions, config_hash) VALUES (?, ?, ?, ?, ?, ?)'),
  };
  const end = Date.now();
  const span = 30 * 86_400_000;
  const start = end - span;
  const RUNS = 10;
  for (let r = 0; r < RUNS; r++)
    d.run.run(
      `run_bench${r}`,
      start + (r * span) / RUNS,
      r === RUNS - 1 ? null : start + ((r + 1) * span) / RUNS - 1000,
      r === RUNS - 1 ? null : 'SIGTERM',
      '{}',
      HASH,
    );
  let cycle = 0;
  let intentN = 0;
  let orderN = 0;
  let tradeN = 0;
  let stageI = 0;
  const lastIntent = () => `oi_${String(Math.max(0, intentN - 1)).padStart(10, '0')}`;
  const BATCH = 100_000;
  const t0 = Date.now();
  const batch = db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const seq = i + 1;
      const ts = Math.floor(start + (i * span) / N);
      const run = `run_bench${Math.min(RUNS - 1, Math.floor((i * RUNS) / N))}`;
      // A deterministic scramble of the slot, so types interleave the way a real run does.
      const type = SLOTS[(i * 7919) % 1000];
      const sym = SYMBOLS[i % 2];
      let reason = null;
      let severity = 'INFO';
      let oi = null;
      let dec = null;
      let payload = '{"n":1}';
      switch (type) {
        case 'STAGE_CHANGED': {
          const from = STAGES[stageI % STAGES.length];
          stageI++;
          const to = STAGES[stageI % STAGES.length];
          if (to === 'MARKET_SNAPSHOT') cycle++;
          payload = `{"from":"${from}","to":"${to}"}`;
          d.stage.run(seq, ts, run, cycle, to, from);
          break;
        }
        case 'ALERT_RAISED': {
          severity = i % 3 === 0 ? 'CRIT' : 'WARN';
          reason = severity === 'CRIT' ? 'CLOCK_DRIFT' : 'DB_WRITER_QUEUE_HIGH';
          payload = '{"source":"gateway","count":1,"detail":{"drift_ms":900}}';
          d.alert.run(seq, ts, run, severity, reason, 'gateway', 'IDLE', cycle, null, null, '{"drift_ms":900}');
          break;
        }
        case 'INTENT_CREATED': {
          oi = `oi_${String(intentN).padStart(10, '0')}`;
          dec = `dec_${String(intentN).padStart(32, '0')}`;
          const coid = `vg${String(intentN).padStart(20, '0')}`;
          payload = `{"symbol":"${sym}","side":"BUY","kind":"ENTRY","client_order_id":"${coid}"}`;
          d.intent.run(oi, seq, ts, run, cycle, dec, sym, 'BUY', coid, ts);
          intentN++;
          break;
        }
        case 'INTENT_STATE_CHANGED': {
          oi = lastIntent();
          // The newest few stay SENT_UNKNOWN / CREATED, as a live bot would have them.
          const to = i > N - 2000 && i % 2 ? 'SENT_UNKNOWN' : i % 97 === 0 ? 'NOT_FOUND' : 'CONFIRMED';
          payload = `{"from":"CREATED","to":"${to}"}`;
          d.transition.run(seq, ts, oi, 'CREATED', to, null);
          d.intentState.run(to, ts, oi);
          break;
        }
        case 'ORDER_UPDATED': {
          // Three updates per order: NEW, then (one in 50 stays open at the end) FILLED or CANCELED.
          const k = Math.floor(orderN / 3);
          const step = orderN % 3;
          orderN++;
          const coid = `vg${String(k).padStart(20, '0')}`;
          const status = step === 0 ? 'NEW' : i > N - 5000 && k % 50 === 0 ? 'NEW' : k % 4 === 0 ? 'CANCELED' : 'FILLED';
          oi = `oi_${String(k).padStart(10, '0')}`;
          payload = `{"client_order_id":"${coid}","symbol":"${sym}","side":"BUY","type":"LIMIT","status":"${status}","price":"64000.00","orig_qty":"0.00078","executed_qty":"${status === 'FILLED' ? '0.00078' : '0'}"}`;
          d.order.run(
            coid,
            seq,
            ts,
            oi,
            sym,
            k % 3 === 0 ? 'SELL' : 'BUY',
            k % 3 === 0 ? 'STOP_LOSS_LIMIT' : 'LIMIT',
            status,
            '64000.00',
            '0.00078',
            status === 'FILLED' ? '0.00078' : '0',
            String(k),
          );
          break;
        }
        case 'FILL_RECORDED': {
          const side = tradeN % 2 ? 'SELL' : 'BUY';
          const price = (64000 + (tradeN % 200) - 100).toFixed(2);
          oi = lastIntent();
          payload = `{"symbol":"${sym}","side":"${side}","price":"${price}","qty":"0.00078","commission":"0.0499","commission_asset":"USDT","trade_id":"${tradeN}"}`;
          d.fill.run(seq, ts, oi, `vg${String(tradeN).padStart(20, '0')}`, sym, side, price, '0.00078', '0.0499', 'USDT', String(tradeN));
          tradeN++;
          break;
        }
        case 'POSITION_UPDATED':
          payload = `{"symbol":"${sym}","qty":"0.00078","avg_price":"64000.00","protected":true}`;
          d.position.run(sym, seq, ts, '0.00078', '64000.00', 1);
          break;
        case 'PROTECTION_PLACED':
          payload = `{"symbol":"${sym}","kind":"OCO","qty":"0.00078","stop_price":"63000.00","take_profit_price":"65500.00","unprotected_ms":120}`;
          break;
        case 'RECONCILE_COMPLETED':
          payload = '{"duration_ms":22,"drift":"OK","diffs":0}';
          d.rrun.run(seq, ts, run, cycle, 22, i % 500 === 0 ? 'WARN' : 'OK', i % 500 === 0 ? 1 : 0);
          break;
        case 'RECONCILE_DIFF':
          payload = '{"kind":"ORDER_STATUS","detail":{"local":"NEW","venue":"FILLED"}}';
          d.rdiff.run(seq, ts, cycle, null, lastIntent(), 'ORDER_STATUS', '{"local":"NEW","venue":"FILLED"}');
          break;
        case 'AIGATE_CALL': {
          dec = `dec_${String(intentN).padStart(32, '0')}`;
          const v = i % 20 === 0 ? 'ERROR' : i % 7 === 0 ? 'BLOCK' : i % 11 === 0 ? 'MODIFY' : 'ALLOW';
          const lat = 120 + ((i * 31) % 700);
          payload = `{"model":"m","verdict":"${v}","latency_ms":${lat}}`;
          d.gate.run(seq, ts, cycle, dec, HASH, HASH, 'vigil-reviewer-1', v, '["OK"]', v === 'ERROR' ? 'AIGATE_TIMEOUT' : null, lat, 180);
          break;
        }
        case 'MODE_CHANGED':
          payload = '{"from":"NORMAL","to":"DEGRADE","seq":1,"reasons":[]}';
          d.mode.run(seq, ts, run, 'NORMAL', 'DEGRADE', 1, '[]');
          break;
        case 'PNL_SAMPLED': {
          const total = (Math.sin(i / 50_000) * 3).toFixed(8);
          payload = `{"day":"${new Date(ts).toISOString().slice(0, 10)}","realized":"${total}","unrealized":"0.00000000","total":"${total}","exposure":"49.90000000","symbols":[]}`;
          break;
        }
        case 'REST_CALLED':
          payload = '{"method":"GET","path":"/api/v3/openOrders","status":200,"weight":6,"duration_ms":41}';
          break;
        default:
          break;
      }
      ins.run(seq, `evt_${String(seq).padStart(26, '0')}`, ts, run, 'engine', cycle, null, null, dec, oi, type, reason, severity, payload, HASH, HASH);
    }
  });
  for (let i = 0; i < N; i += BATCH) {
    batch(i, Math.min(N, i + BATCH));
    if ((i / BATCH) % 10 === 0) log(`inserted ${i + BATCH} events (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const tIns = Date.now() - t0;
  for (const ix of indexes) db.exec(ix.sql);
  db.exec('ANALYZE');
  db.pragma('journal_mode = WAL');
  db.prepare("INSERT INTO meta (key, value) VALUES ('bench_complete', ?)").run(String(N));
  db.close();
  return { insert_s: tIns / 1000, total_s: (Date.now() - t0) / 1000, bytes: statSync(file).size };
}

function ensureDb() {
  const varDir = join(tmpdir(), `vigil-bench-panel-s${SCHEMA_VERSION}-g${GEN_VERSION}-n${N}`);
  const file = join(varDir, 'data', 'audit.sqlite');
  if (existsSync(file)) {
    try {
      const db = new Database(file, { readonly: true });
      const done = db.prepare("SELECT value FROM meta WHERE key = 'bench_complete'").get() as { value: string } | undefined;
      db.close();
      if (done?.value === String(N)) return { varDir, file, generated: null };
    } catch {
      /* incomplete: regenerate */
    }
  }
  log(`generating ${N} events into ${file} (cached for later runs)`);
  return { varDir, file, generated: generate(varDir) };
}

function emptyDb() {
  const varDir = join(tmpdir(), `vigil-bench-panel-empty-${process.pid}`);
  rmSync(varDir, { recursive: true, force: true });
  mkdirSync(join(varDir, 'data'), { recursive: true });
  const db = new Database(join(varDir, 'data', 'audit.sqlite'));
  db.pragma('journal_mode = WAL');
  migrate(db);
  db.close();
  return varDir;
}

// --- the panel over a database ------------------------------------------------------------------

/**
 * The audit-backed routes exactly as the supervisor composes them (apps/supervisor/src/status.ts),
 * with "now" at the database's last event so the time windows hold data. Status and health are the
 * supervisor's memory, not the database: a fixed object here, shaped like the real one.
 */
function sourceFor(varDir: string) {
  const db = new Database(join(varDir, 'data', 'audit.sqlite'), { readonly: true });
  const last = (db.prepare('SELECT max(ts_ms) AS t FROM events').get() as { t: number | null }).t ?? Date.now();
  db.close();
  const now = () => last;
  const reads = auditPanelReads(varDir, now);
  const w = (m: JsonObject) => ({
    state: 'running',
    thread_id: 1,
    heartbeat_age_ms: 90,
    loop: { p50_ms: 1, p99_ms: 3 },
    mem: { rss_bytes: 3e8, heap_used_bytes: 2e7, heap_total_bytes: 4e7 },
    metrics: m,
  });
  const status = () => ({
    ts_ms: Date.now(),
    run_id: 'run_bench9',
    mode: 'NORMAL',
    seq: 3,
    since_ms: Date.now() - 60_000,
    reasons: [],
    stage: { stage: 'IDLE', cycle_id: 7, ts_ms: Date.now() - 500 },
    stage_hint: { age_ms: 500, bound_ms: 30_000, active_stage: false, stuck: false },
    last_cycle_completed_ms: Date.now() - 500,
    uptime_ms: 60_000,
    channel_rejects: 0,
    supervisor_mem: { rss_bytes: 3e8, heap_used_bytes: 7e7, heap_total_bytes: 9e7, external_bytes: 4e6 },
    backups: reads.backups(),
    webhooks: { enabled: false, on: [], sent: 0, failed: 0, dropped: 0, targets: [] },
    workers: {
      audit: w({
        state: 'OK',
        queue_pct: 0,
        lag_ms: 0,
        events_per_min: 230,
        dropped_total: 0,
        last_writer_commit_ts_ms: Date.now() - 100,
        disk: { free_bytes: 7e10, db_bytes: 4e9, wal_bytes: 1e6 },
      }),
      gateway: w({}),
      engine: w({}),
    },
  });
  return {
    reads,
    source: {
      status,
      health: () => ({ mode: 'NORMAL' }),
      alerts: () => reads.alerts(),
      stages: () => reads.stages(),
      intents: () => reads.intents(),
      reconcile: () => reads.reconcile(),
      orders: () => ({ ...reads.orders(), engine_open_orders: null }),
      churn: () => ({ available: false, why: 'bench' }),
      pnl: () => ({ available: true, day: '2026-12-02', realized: '1.5', unrealized: '-0.2', total: '1.3', exposure: '49.9', fees: reads.feesToday(SYMBOLS) }),
      gate: () => ({ ...reads.gate(), engine: null }),
      charts: () => ({
        ts_ms: last,
        price: Object.fromEntries(SYMBOLS.map((s) => [s, []])),
        markers: reads.markers(SYMBOLS, 30 * 60_000),
        pnl: reads.pnlHistory(),
        events_per_min: reads.eventsPerMinute(),
        writer: [],
      }),
    } satisfies PanelSource,
  };
}

const ROUTES = ['/api/alerts', '/api/stages', '/api/intents', '/api/reconcile', '/api/orders', '/api/pnl', '/api/gate', '/api/charts'];

async function measureRoutes(bigUrl: string, emptyUrl: string) {
  const times = new Map(ROUTES.map((r) => [r, { big: [] as number[], empty: [] as number[] }]));
  const timesOf = (r: string): { big: number[]; empty: number[] } => times.get(r) ?? { big: [], empty: [] };
  const once = async (url: string): Promise<number> => {
    const t = performance.now();
    const r = await fetch(url);
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return performance.now() - t;
  };
  for (const r of ROUTES)
    for (let i = 0; i < 5; i++) {
      await once(bigUrl + r);
      await once(emptyUrl + r);
    }
  // Alternating rounds: the two databases see the same machine noise.
  for (let i = 0; i < ROUNDS; i++) {
    for (const r of ROUTES) {
      timesOf(r).big.push(await once(bigUrl + r));
      timesOf(r).empty.push(await once(emptyUrl + r));
    }
  }
  return Object.fromEntries(
    ROUTES.map((r) => [
      r,
      { p50: pct(timesOf(r).big, 50), p95: pct(timesOf(r).big, 95), empty_p50: pct(timesOf(r).empty, 50), empty_p95: pct(timesOf(r).empty, 95) },
    ]),
  );
}

async function measureRender(bigUrl: string, emptyUrl: string): Promise<{ big_ms: number; empty_ms: number; static_ms: number } | null> {
  if (!existsSync(CHROMIUM)) return null;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // The baseline: an empty static page from a local HTTP server, same browser, same run.
  const stat = createServer((_q, s) => s.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>x</title><p>baseline</p>'));
  await new Promise<void>((r) => stat.listen(0, '127.0.0.1', r));
  const staticUrl = `http://127.0.0.1:${(stat.address() as AddressInfo).port}/`;
  const out: { big: number[]; empty: number[]; static: number[] } = { big: [], empty: [], static: [] };
  try {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const dash = async (url: string): Promise<number> => {
      const page = await ctx.newPage();
      await page.goto(url + '/dashboard');
      await page.waitForFunction(() => document.body.dataset.rendered === '1', undefined, { timeout: 30_000 });
      const ms = await page.evaluate(() => performance.getEntriesByName('vigil-rendered')[0]?.startTime ?? NaN);
      await page.close();
      return ms;
    };
    const plain = async () => {
      const page = await ctx.newPage();
      await page.goto(staticUrl, { waitUntil: 'load' });
      // A browser entry type Node's typings do not list: PerformanceNavigationTiming.
      const ms = await page.evaluate(
        () => (performance.getEntriesByType('navigation' as 'mark')[0] as unknown as { loadEventEnd: number } | undefined)?.loadEventEnd ?? NaN,
      );
      await page.close();
      return ms;
    };
    await dash(bigUrl);
    await plain();
    for (let i = 0; i < 7; i++) {
      out.big.push(await dash(bigUrl));
      out.empty.push(await dash(emptyUrl));
      out.static.push(await plain());
    }
  } finally {
    await browser.close();
    stat.close();
  }
  return { big_ms: pct(out.big, 50), empty_ms: pct(out.empty, 50), static_ms: pct(out.static, 50) };
}

/** Query plans of the read side at 10M rows (the bench says which index each query uses). */
function plans(file: string): Record<string, string> {
  const db = new Database(file, { readonly: true });
  const q = {
    recentOrders: 'SELECT o.client_order_id FROM orders o LEFT JOIN order_intents i ON i.order_intent_id = o.order_intent_id ORDER BY o.last_seq DESC LIMIT 20',
    openOrders: "SELECT o.client_order_id FROM orders o WHERE o.status IN ('NEW', 'PARTIALLY_FILLED', 'PENDING_NEW') ORDER BY o.ts_ms DESC LIMIT 50",
    eventsPerMinute: 'SELECT (ts_ms / 60000) * 60000 AS minute_ms, count(*) FROM events WHERE ts_ms >= 0 GROUP BY minute_ms',
    byType: "SELECT seq FROM events WHERE event_type = 'PNL_SAMPLED' AND seq > 0 ORDER BY seq DESC LIMIT 360",
  };
  const out: Record<string, string> = {};
  for (const [k, sql] of Object.entries(q))
    out[k] = db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all()
      .map((r) => (r as { detail: string }).detail)
      .join('; ');
  db.close();
  return out;
}

export async function runPanelBench() {
  const big = ensureDb();
  const emptyDir = emptyDb();
  const a = sourceFor(big.varDir);
  const b = sourceFor(emptyDir);
  const pa = await startPanel(a.source, '127.0.0.1', 0);
  const pb = await startPanel(b.source, '127.0.0.1', 0);
  try {
    const routes = await measureRoutes(pa.url, pb.url);
    const render = await measureRender(pa.url, pb.url);
    const rows = (new Database(big.file, { readonly: true }).prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    return { events: rows, db_bytes: statSync(big.file).size, generated: big.generated, routes, render, plans: plans(big.file) };
  } finally {
    await pa.close();
    await pb.close();
    a.reads.close();
    b.reads.close();
    rmSync(emptyDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runPanelBench(), null, 2));
}
