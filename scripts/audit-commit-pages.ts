// WAL pages and time of the intent's fsynced commit (issue 19), per audit database layout, paired
// round by round with a bare one-row commit (the engine bench's floor) under the same load.
//
//   node scripts/run.mjs scripts/audit-commit-pages.ts [rounds=200] [prefill=50000]
//
// Each layout is the real AuditWriter (built: packages/audit/dist) on its own database, prefilled
// with `prefill` events of an entry's mix:
//   - current: this build's schema;
//   - v4: this build's schema with the indexes of schema v4 put back (what the intent's commit
//     wrote before schema v5);
//   - v4-migrated: v4 after the prefill, then schema v5's migration (a database written by an
//     older build: the dropped indexes' pages are on the freelist, which new pages come from);
//   - current-8k: this build's schema in a database of 8 KiB pages (default 4 KiB);
//   - current+typed: this build's schema with events_type_seq narrowed to the 8 types the product
//     looks up by type (evaluated, not adopted: see TYPED_LAYOUT).
// Every round does, for each layout in a shuffled order, what an entry does to the audit: the
// cycle's bulk rows (committed without fsync, the WAL then synced as the checkpointer does), a short
// idle gap, then the intent's commit as the engine sends it (the records queued after the gate's
// answer, the gate's record and INTENT_CREATED: synchronous FULL); then one floor commit. Pages are
// the WAL frames a commit appended (mxFrame of the WAL index before and after), named by the
// b-tree owning each page (dbstat). Ratios are per round (commit / that round's floor), then the
// median: load on a shared machine moves both alike. Prints JSON.
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditRow, EventEnvelope, EventType, JsonObject } from '@vigil/contracts';

const { AuditWriter, SCHEMA_VERSION } = await import('@vigil/audit');
const { parseConfig, toAuditRow } = await import('@vigil/runtime');
const { envelopeOf, newIntentId } = await import('@vigil/contracts');

const ROUNDS = Number(process.argv[2] ?? 200);
const PREFILL = Number(process.argv[3] ?? 50_000);
const GAP_MS = 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const r3 = (x: number): number => Number(x.toFixed(3));
const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');

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

/** Schema v4's indexes, put back over this build's schema. */
const V4_LAYOUT = `
  CREATE INDEX IF NOT EXISTS events_cycle ON events(cycle_id) WHERE cycle_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS events_decision ON events(decision_id) WHERE decision_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS events_intent ON events(order_intent_id) WHERE order_intent_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS replay_records_run ON replay_records(run_id, seq);
`;

/**
 * Evaluated, not adopted: events by type only for the types the product looks up by type (a
 * partial index; building it scans the whole events table, minutes at the start of a large
 * database, hence not a migration; see NOTES-dur.md).
 */
const LOOKED_UP = `event_type IN ('ORDER_UPDATED', 'PNL_SAMPLED', 'PROTECTION_PLACED', 'OPERATOR_PAUSED', 'OPERATOR_RESUMED', 'SYMBOL_QUARANTINE_IMPOSED', 'SYMBOL_QUARANTINE_RENEWED', 'SYMBOL_QUARANTINE_LIFTED')`;
const TYPED_LAYOUT = `DROP INDEX events_type_seq; CREATE INDEX events_read_type_seq ON events(event_type, seq) WHERE ${LOOKED_UP};`;

const root = mkdtempSync(join(tmpdir(), 'vigil-commit-pages-'));
const cfg = parseConfig({ audit: { synchronous: 'FULL', disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
if (!cfg.ok) throw new Error(JSON.stringify(cfg.error));
const auditConfig = cfg.config.audit;
let now = Date.UTC(2026, 11, 6, 0, 0, 0);
let cycle = 0;

const ev = (type: EventType, payload: JsonObject, over: Partial<EventEnvelope> = {}): AuditRow =>
  toAuditRow(envelopeOf({ ts_ms: now, run_id: 'run_pages', source: 'engine', cycle_id: cycle, event_type: type, payload, ...over }));
const stage = (to: NonNullable<EventEnvelope['stage']>, decision: string | null = null): AuditRow =>
  ev('STAGE_CHANGED', { from: 'X', to }, { stage: to, decision_id: decision });

/** One entry's rows around the intent (as the engine bench's audit shows them): bulk, the intent's commit, after. */
function entry(): { bulk: AuditRow[]; critical: AuditRow[]; after: AuditRow[] } {
  cycle++;
  now += 1000;
  const decision = hex(64);
  const intent = newIntentId(now);
  return {
    bulk: [
      stage('MARKET_SNAPSHOT'),
      stage('STRATEGY_PROPOSE'),
      ev('DECISION_PROPOSED', { body: hex(700) }, { decision_id: decision }),
      stage('AIGATE_CALL', decision),
      ev('CYCLE_INPUTS_RECORDED', { v: 1, snapshots: hex(760) }),
      ev('REST_CALLED', { path: '/api/v3/ticker', ms: 3, body: hex(200) }, { source: 'gateway', cycle_id: null }),
      ev('LIFECYCLE_STEPPED', { v: 1, symbol: 'BTCUSDT', input: { kind: 'TICK', phase: 'FLAT' }, commands: [], state: hex(300) }),
    ],
    critical: [
      stage('RISK_VERDICT', decision),
      ev('RISK_VERDICT_GIVEN', { ok: true, inputs: hex(560) }, { decision_id: decision }),
      stage('EXECUTE', decision),
      ev('AIGATE_CALL', { verdict: 'ALLOW', model: 'm', reasons: [], latency_ms: 40, notes: hex(300) }, { decision_id: decision }),
      ev(
        'INTENT_CREATED',
        { kind: 'ENTRY', symbol: 'BTCUSDT', side: 'BUY', client_order_id: `vge${hex(33)}`, detail: hex(150) },
        { decision_id: decision, order_intent_id: intent },
      ),
    ],
    after: [
      ev('INTENT_STATE_CHANGED', { from: 'CREATED', to: 'CONFIRMED' }, { order_intent_id: intent }),
      ev('USER_EVENT_RECEIVED', { e: 'executionReport', body: hex(350) }, { source: 'gateway', cycle_id: null }),
      ev('ORDER_UPDATED', { client_order_id: `vge${hex(33)}`, status: 'FILLED', symbol: 'BTCUSDT' }, { order_intent_id: intent }),
      ev('FILL_RECORDED', { symbol: 'BTCUSDT', trade_id: String(cycle), price: '64000', qty: '0.001' }, { order_intent_id: intent }),
      ev('POSITION_UPDATED', { symbol: 'BTCUSDT', qty: '0.001', avg_price: '64000' }),
      stage('PROTECT'),
      stage('IDLE'),
    ],
  };
}

interface Layout {
  readonly name: string;
  readonly dbFile: string;
  readonly writer: InstanceType<typeof AuditWriter>;
  readonly db: Database.Database;
  readonly pageSize: number;
  readonly ms: number[];
  readonly frames: number[][];
}

function layout(name: string, pageSize: number | null, sql: string | null): Layout {
  const dir = join(root, name);
  const dbFile = join(dir, 'data', 'audit.sqlite');
  if (pageSize !== null) {
    mkdirSync(join(dir, 'data'), { recursive: true });
    const pre = new Database(dbFile);
    pre.pragma(`page_size = ${pageSize}`);
    pre.pragma('journal_mode = WAL');
    pre.close();
  }
  const writer = new AuditWriter({ dbFile, jsonlDir: join(dir, 'jsonl'), config: auditConfig, now: () => now, setReason: () => {} });
  writer.open();
  const db = writer.connection;
  if (db === null) throw new Error('the audit writer did not open its database');
  if (sql !== null) db.exec(sql);
  return { name, dbFile, writer, db, pageSize: db.pragma('page_size', { simple: true }) as number, ms: [], frames: [] };
}

/** Commits rows on a layout, `durable` as a critical append (FULL); returns the pages it appended to the WAL and its time. */
function commit(l: Layout, rows: AuditRow[], durable: boolean): { pages: number[]; ms: number } {
  const before = mxFrame(l.dbFile);
  const t0 = performance.now();
  if (durable) l.writer.enqueueRows(rows, { resolve: () => {}, reject: () => {} });
  else l.writer.enqueueRows(rows);
  l.writer.drainOnce();
  const ms = performance.now() - t0;
  const after = mxFrame(l.dbFile);
  return { pages: framePages(l.dbFile, after >= before ? before : 0, after, l.pageSize), ms };
}

/** Schema v5's migration as an existing v4 database gets it (the dropped indexes' pages go to the freelist). */
const V5_MIGRATION = 'DROP INDEX events_cycle; DROP INDEX events_decision; DROP INDEX events_intent; DROP INDEX replay_records_run;';

const layouts = [
  layout('current', null, null),
  layout('v4', null, V4_LAYOUT),
  layout('v4-migrated', null, V4_LAYOUT),
  layout('current-8k', 8192, null),
  layout('current+typed', null, TYPED_LAYOUT),
];
// The same prefill in each layout: the mix of entries, in bulk commits of about 1000 rows.
for (let i = 0; i < PREFILL;) {
  const rows: AuditRow[] = [];
  while (rows.length < 1000) {
    const e = entry();
    rows.push(...e.bulk, ...e.critical, ...e.after);
  }
  for (const l of layouts) {
    l.writer.enqueueRows(rows);
    while (l.writer.queueDepth > 0) l.writer.drainOnce();
  }
  i += rows.length;
}
for (const l of layouts) {
  if (l.name === 'v4-migrated') l.db.exec(V5_MIGRATION);
  l.db.pragma('wal_checkpoint(TRUNCATE)');
  l.writer.flushJsonl();
}

const floorDb = new Database(join(root, 'floor.sqlite'));
floorDb.pragma('journal_mode = WAL');
floorDb.pragma('synchronous = FULL');
floorDb.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
const floorInsert = floorDb.prepare('INSERT INTO t (body) VALUES (?)');
const floorCommit = floorDb.transaction((b: string) => floorInsert.run(b));
const floor: number[] = [];

for (let r = 0; r < ROUNDS + 5; r++) {
  const e = entry();
  const order = [...layouts].sort(() => Math.random() - 0.5);
  for (const l of order) {
    commit(l, e.bulk, false);
    // The checkpointer's background WAL sync after a bulk-only commit (FULL configured).
    const fd = openSync(`${l.dbFile}-wal`, 'r');
    fsyncSync(fd);
    closeSync(fd);
    await sleep(GAP_MS);
    const c = commit(l, e.critical, true);
    commit(l, e.after, false);
    l.writer.flushJsonl();
    if (r >= 5) {
      l.ms.push(c.ms);
      l.frames.push(c.pages);
    }
  }
  await sleep(GAP_MS);
  const t0 = performance.now();
  floorCommit(hex(200));
  if (r >= 5) floor.push(performance.now() - t0);
}

const out: Record<string, unknown> = {};
for (const l of layouts) {
  // Pages keep their b-tree (nothing is deleted here): named once, at the end.
  const owner = new Map<number, string>();
  for (const row of l.db.prepare('SELECT name, pageno FROM dbstat').all() as { name: string; pageno: number }[]) owner.set(row.pageno, row.name);
  const trees = new Map<string, number>();
  for (const pages of l.frames) for (const p of new Set(pages)) trees.set(owner.get(p) ?? 'other', (trees.get(owner.get(p) ?? 'other') ?? 0) + 1);
  const vsV4 = layouts.find((x) => x.name === 'v4');
  out[l.name] = {
    page_size: l.pageSize,
    frames_mean: r3(l.frames.reduce((a, f) => a + f.length, 0) / l.frames.length),
    kib_mean: r3((l.frames.reduce((a, f) => a + f.length, 0) / l.frames.length) * (l.pageSize / 1024)),
    ms_p50: r3(pct(l.ms, 50)),
    ms_p90: r3(pct(l.ms, 90)),
    ratio_to_floor_p50: r3(
      pct(
        l.ms.map((m, i) => m / (floor[i] ?? NaN)),
        50,
      ),
    ),
    ms_minus_v4_p50: vsV4
      ? r3(
          pct(
            l.ms.map((m, i) => m - (vsV4.ms[i] ?? NaN)),
            50,
          ),
        )
      : null,
    pages_by_btree: Object.fromEntries([...trees].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, r3(v / l.frames.length)])),
  };
  l.writer.close();
}
floorDb.close();
rmSync(root, { recursive: true, force: true });
console.log(
  JSON.stringify(
    {
      rounds: floor.length,
      prefill_events: PREFILL,
      schema_version: SCHEMA_VERSION,
      floor_one_row_commit: { frames: 1, ms_p50: r3(pct(floor, 50)), ms_p90: r3(pct(floor, 90)) },
      layouts: out,
    },
    null,
    2,
  ),
);
