// WAL pages and time of the intent's fsynced commit (issue 19), against a bare one-row commit.
//
//   node scripts/run.mjs scripts/audit-commit-pages.ts [rounds=200] [prefill=100000]
//
// The real AuditWriter (built: packages/audit/dist) on a fresh database prefilled with `prefill`
// events of an entry's mix, then `rounds` rounds of what an entry does to the audit: the cycle's
// bulk rows (committed without fsync, the WAL then synced as the checkpointer does), a short idle
// gap, and the intent's commit as the engine sends it (the records queued after the gate's answer,
// the gate's record and INTENT_CREATED: synchronous FULL). Pages are the WAL frames the commit
// appended (mxFrame of the WAL index before and after), named by the b-tree that owns each page
// (dbstat). The floor is a one-row FULL commit into a one-table database on the same disk, taken
// in the same rounds. Prints JSON.
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditRow, EventEnvelope, EventType, JsonObject } from '../packages/contracts/dist/index.js';

const { AuditWriter } = await import('../packages/audit/dist/index.js');
const { parseConfig, toAuditRow } = await import('../packages/runtime/dist/index.js');
const { newEventId, newIntentId } = await import('../packages/contracts/dist/index.js');

const ROUNDS = Number(process.argv[2] ?? 200);
const PREFILL = Number(process.argv[3] ?? 100_000);
const GAP_MS = 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
const filler = (bytes: number): string => hex(bytes);

/** The number of valid frames in the WAL (WalIndexHdr.mxFrame in the -shm file). */
function mxFrame(dbFile: string): number {
  const b = Buffer.alloc(4);
  const fd = openSync(`${dbFile}-shm`, 'r');
  try {
    readSync(fd, b, 0, 4, 16);
  } finally {
    closeSync(fd);
  }
  return b.readUInt32LE(0);
}

/** Page numbers of WAL frames (from, to], 1-based. */
function framePages(dbFile: string, from: number, to: number, pageSize: number): number[] {
  const fd = openSync(`${dbFile}-wal`, 'r');
  const h = Buffer.alloc(4);
  const out: number[] = [];
  try {
    for (let i = from + 1; i <= to; i++) {
      readSync(fd, h, 0, 4, 32 + (i - 1) * (pageSize + 24));
      out.push(h.readUInt32BE(0));
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-commit-pages-'));
const dbFile = join(dir, 'data', 'audit.sqlite');
const cfg = parseConfig({ audit: { synchronous: 'FULL', disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
if (!cfg.ok) throw new Error(JSON.stringify(cfg.error));
let now = Date.UTC(2026, 11, 6, 0, 0, 0);
const writer = new AuditWriter({ dbFile, jsonlDir: join(dir, 'jsonl'), config: cfg.config.audit, now: () => now, setReason: () => {} });
writer.open();

let cycle = 0;
const run = 'run_pages';
const ev = (type: EventType, payload: JsonObject, over: Partial<EventEnvelope> = {}): AuditRow =>
  toAuditRow({
    event_id: newEventId(now),
    ts_ms: now,
    run_id: run,
    source: 'engine',
    cycle_id: cycle,
    stage: null,
    snapshot_id: null,
    decision_id: null,
    order_intent_id: null,
    event_type: type,
    reason_code: null,
    severity: 'INFO',
    payload,
    ...over,
  });
const stage = (to: NonNullable<EventEnvelope['stage']>, decision: string | null = null): AuditRow =>
  ev('STAGE_CHANGED', { from: 'X', to }, { stage: to, decision_id: decision });

/** One entry's rows around the intent: what the cycle queued as bulk, then the intent's commit. */
function entry(): { bulk: AuditRow[]; critical: AuditRow[]; after: AuditRow[] } {
  cycle++;
  now += 1000;
  const decision = hex(64);
  const intent = newIntentId(now);
  const bulk = [
    stage('MARKET_SNAPSHOT'),
    stage('STRATEGY_PROPOSE'),
    ev('DECISION_PROPOSED', { body: filler(700) }, { decision_id: decision }),
    stage('AIGATE_CALL', decision),
    ev('CYCLE_INPUTS_RECORDED', { v: 1, snapshots: filler(760) }),
    ev('REST_CALLED', { path: '/api/v3/ticker', ms: 3, body: filler(200) }, { source: 'gateway', cycle_id: null }),
    ev('LIFECYCLE_STEPPED', { v: 1, symbol: 'BTCUSDT', input: { kind: 'TICK', phase: 'FLAT' }, commands: [], state: filler(300) }),
  ];
  const critical = [
    stage('RISK_VERDICT', decision),
    ev('RISK_VERDICT_GIVEN', { ok: true, inputs: filler(560) }, { decision_id: decision }),
    stage('EXECUTE', decision),
    ev('AIGATE_CALL', { verdict: 'ALLOW', model: 'm', reasons: [], latency_ms: 40, notes: filler(300) }, { decision_id: decision }),
    ev(
      'INTENT_CREATED',
      { kind: 'ENTRY', symbol: 'BTCUSDT', side: 'BUY', client_order_id: `vge${hex(33)}`, detail: filler(150) },
      { decision_id: decision, order_intent_id: intent },
    ),
  ];
  const after = [
    ev('INTENT_STATE_CHANGED', { from: 'CREATED', to: 'CONFIRMED' }, { order_intent_id: intent }),
    ev('USER_EVENT_RECEIVED', { e: 'executionReport', body: filler(350) }, { source: 'gateway', cycle_id: null }),
    ev('ORDER_UPDATED', { client_order_id: `vge${hex(33)}`, status: 'FILLED', symbol: 'BTCUSDT' }, { order_intent_id: intent }),
    ev('FILL_RECORDED', { symbol: 'BTCUSDT', trade_id: String(cycle), price: '64000', qty: '0.001' }, { order_intent_id: intent }),
    ev('POSITION_UPDATED', { symbol: 'BTCUSDT', qty: '0.001', avg_price: '64000' }),
    stage('PROTECT'),
    stage('IDLE'),
  ];
  return { bulk, critical, after };
}

/** Commits rows, `durable` as a critical append (FULL), and returns the WAL frames it appended. */
function commit(rows: AuditRow[], durable: boolean): { frames: number[]; ms: number } {
  const before = mxFrame(dbFile);
  const t0 = performance.now();
  if (durable) writer.enqueueRows(rows, { resolve: () => {}, reject: () => {} });
  else writer.enqueueRows(rows);
  writer.drainOnce();
  const ms = performance.now() - t0;
  const after = mxFrame(dbFile);
  return { frames: framePages(dbFile, after >= before ? before : 0, after, pageSize), ms };
}

const db = writer.connection;
if (db === null) throw new Error('the audit writer did not open its database');
const pageSize = db.pragma('page_size', { simple: true }) as number;
// Prefill: the mix of entries, in bulk commits of about 1000 rows.
for (let i = 0; i < PREFILL;) {
  const rows: AuditRow[] = [];
  while (rows.length < 1000) {
    const e = entry();
    rows.push(...e.bulk, ...e.critical, ...e.after);
  }
  writer.enqueueRows(rows);
  while (writer.queueDepth > 0) writer.drainOnce();
  i += rows.length;
}
db.pragma('wal_checkpoint(TRUNCATE)');
writer.flushJsonl();

const floorFile = join(dir, 'floor.sqlite');
const floorDb = new Database(floorFile);
floorDb.pragma('journal_mode = WAL');
floorDb.pragma('synchronous = FULL');
floorDb.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
const floorInsert = floorDb.prepare('INSERT INTO t (body) VALUES (?)');
const floorCommit = floorDb.transaction((b: string) => floorInsert.run(b));

const walFd = () => openSync(`${dbFile}-wal`, 'r');
const intent: { frames: number; ms: number }[] = [];
const floor: number[] = [];
const owners = new Map<string, number>();
const pending: number[][] = [];
for (let r = 0; r < ROUNDS + 5; r++) {
  const e = entry();
  commit(e.bulk, false);
  // The checkpointer's background WAL sync after a bulk-only commit (FULL configured).
  const fd = walFd();
  fsyncSync(fd);
  closeSync(fd);
  await sleep(GAP_MS);
  const c = commit(e.critical, true);
  await sleep(GAP_MS);
  const t0 = performance.now();
  floorCommit(filler(200));
  const f = performance.now() - t0;
  commit(e.after, false);
  writer.flushJsonl();
  if (r < 5) continue; // warm-up
  intent.push({ frames: c.frames.length, ms: c.ms });
  floor.push(f);
  pending.push(c.frames);
}
// Pages keep their b-tree (no deletes here): name them once, at the end.
const owner = new Map<number, string>();
for (const row of db.prepare('SELECT name, pageno FROM dbstat').all() as { name: string; pageno: number }[]) owner.set(row.pageno, row.name);
for (const frames of pending) for (const p of new Set(frames)) owners.set(owner.get(p) ?? 'new/free', (owners.get(owner.get(p) ?? 'new/free') ?? 0) + 1);
const version = db.pragma('user_version', { simple: true }) as number;
writer.close();
floorDb.close();
rmSync(dir, { recursive: true, force: true });

const byTree = Object.fromEntries([...owners].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Number((v / pending.length).toFixed(2))]));
console.log(
  JSON.stringify(
    {
      schema_version: version,
      page_size: pageSize,
      rounds: intent.length,
      prefill_events: PREFILL,
      intent_commit: {
        frames_p50: pct(
          intent.map((x) => x.frames),
          50,
        ),
        frames_mean: Number((intent.reduce((a, x) => a + x.frames, 0) / intent.length).toFixed(2)),
        ms_p50: Number(
          pct(
            intent.map((x) => x.ms),
            50,
          ).toFixed(3),
        ),
        ms_p90: Number(
          pct(
            intent.map((x) => x.ms),
            90,
          ).toFixed(3),
        ),
      },
      floor_one_row_commit: { frames: 1, ms_p50: Number(pct(floor, 50).toFixed(3)), ms_p90: Number(pct(floor, 90).toFixed(3)) },
      pages_per_intent_commit_by_btree: byTree,
    },
    null,
    2,
  ),
);
