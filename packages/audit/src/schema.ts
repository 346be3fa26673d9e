import type Database from 'better-sqlite3';

/**
 * Versioned schema. Each migration runs once, in order, inside a transaction, and bumps
 * PRAGMA user_version; a database from a newer build is refused rather than guessed at.
 */
const MIGRATIONS: readonly string[] = [
  // v1: the event log (the envelope of every event, hash-chained) and the tables the panel reads.
  `
  CREATE TABLE events (
    seq             INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL UNIQUE,
    ts_ms           INTEGER NOT NULL,
    run_id          TEXT NOT NULL,
    source          TEXT NOT NULL,
    cycle_id        INTEGER,
    stage           TEXT,
    snapshot_id     TEXT,
    decision_id     TEXT,
    order_intent_id TEXT,
    event_type      TEXT NOT NULL,
    reason_code     TEXT,
    severity        TEXT NOT NULL,
    payload         TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
  );
  CREATE INDEX events_type_seq ON events(event_type, seq);
  CREATE INDEX events_ts ON events(ts_ms);
  CREATE INDEX events_run_seq ON events(run_id, seq);
  CREATE INDEX events_cycle ON events(cycle_id) WHERE cycle_id IS NOT NULL;
  CREATE INDEX events_decision ON events(decision_id) WHERE decision_id IS NOT NULL;
  CREATE INDEX events_intent ON events(order_intent_id) WHERE order_intent_id IS NOT NULL;
  CREATE INDEX events_reason ON events(reason_code, seq) WHERE reason_code IS NOT NULL;

  CREATE TABLE runs (
    run_id      TEXT PRIMARY KEY,
    started_ms  INTEGER NOT NULL,
    stopped_ms  INTEGER,
    stop_reason TEXT,
    versions    TEXT,
    config_hash TEXT
  );
  CREATE TABLE mode_changes (
    seq       INTEGER PRIMARY KEY REFERENCES events(seq),
    ts_ms     INTEGER NOT NULL,
    run_id    TEXT NOT NULL,
    from_mode TEXT,
    to_mode   TEXT NOT NULL,
    mode_seq  INTEGER,
    reasons   TEXT
  );
  CREATE TABLE stage_changes (
    seq      INTEGER PRIMARY KEY REFERENCES events(seq),
    ts_ms    INTEGER NOT NULL,
    run_id   TEXT NOT NULL,
    cycle_id INTEGER,
    stage    TEXT,
    from_stage TEXT
  );
  CREATE TABLE alerts (
    seq             INTEGER PRIMARY KEY REFERENCES events(seq),
    ts_ms           INTEGER NOT NULL,
    run_id          TEXT NOT NULL,
    severity        TEXT NOT NULL,
    reason_code     TEXT,
    source          TEXT,
    stage           TEXT,
    cycle_id        INTEGER,
    decision_id     TEXT,
    order_intent_id TEXT,
    detail          TEXT
  );
  CREATE INDEX alerts_sev_seq ON alerts(severity, seq);
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // v2: order intents and their transitions, orders, fills, positions, reconcile runs and diffs,
  // AI gate events and filters snapshots, each derived from its event in the same transaction.
  `
  CREATE TABLE order_intents (
    order_intent_id TEXT PRIMARY KEY,
    created_seq     INTEGER NOT NULL REFERENCES events(seq),
    created_ms      INTEGER NOT NULL,
    run_id          TEXT NOT NULL,
    cycle_id        INTEGER,
    decision_id     TEXT,
    symbol          TEXT,
    side            TEXT,
    client_order_id TEXT,
    state           TEXT NOT NULL,
    state_ms        INTEGER NOT NULL
  );
  CREATE INDEX order_intents_state ON order_intents(state, state_ms);
  CREATE TABLE intent_transitions (
    seq             INTEGER PRIMARY KEY REFERENCES events(seq),
    ts_ms           INTEGER NOT NULL,
    order_intent_id TEXT NOT NULL,
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    reason_code     TEXT
  );
  CREATE INDEX intent_transitions_intent ON intent_transitions(order_intent_id, seq);
  CREATE TABLE orders (
    client_order_id TEXT PRIMARY KEY,
    last_seq        INTEGER NOT NULL REFERENCES events(seq),
    ts_ms           INTEGER NOT NULL,
    order_intent_id TEXT,
    symbol          TEXT,
    side            TEXT,
    type            TEXT,
    status          TEXT,
    price           TEXT,
    orig_qty        TEXT,
    executed_qty    TEXT,
    exchange_order_id TEXT
  );
  CREATE INDEX orders_status ON orders(status, ts_ms);
  CREATE TABLE fills (
    seq             INTEGER PRIMARY KEY REFERENCES events(seq),
    ts_ms           INTEGER NOT NULL,
    order_intent_id TEXT,
    client_order_id TEXT,
    symbol          TEXT,
    side            TEXT,
    price           TEXT,
    qty             TEXT,
    commission      TEXT,
    commission_asset TEXT,
    trade_id        TEXT
  );
  CREATE INDEX fills_symbol_ts ON fills(symbol, ts_ms);
  CREATE TABLE positions (
    symbol     TEXT PRIMARY KEY,
    last_seq   INTEGER NOT NULL REFERENCES events(seq),
    ts_ms      INTEGER NOT NULL,
    qty        TEXT,
    avg_price  TEXT,
    protected  INTEGER
  );
  CREATE TABLE reconcile_runs (
    seq         INTEGER PRIMARY KEY REFERENCES events(seq),
    ts_ms       INTEGER NOT NULL,
    run_id      TEXT NOT NULL,
    cycle_id    INTEGER,
    duration_ms INTEGER,
    drift       TEXT,
    diffs       INTEGER
  );
  CREATE TABLE reconcile_diffs (
    seq             INTEGER PRIMARY KEY REFERENCES events(seq),
    ts_ms           INTEGER NOT NULL,
    cycle_id        INTEGER,
    decision_id     TEXT,
    order_intent_id TEXT,
    kind            TEXT,
    detail          TEXT
  );
  CREATE INDEX reconcile_diffs_ts ON reconcile_diffs(ts_ms);
  CREATE TABLE ai_gate_events (
    seq           INTEGER PRIMARY KEY REFERENCES events(seq),
    ts_ms         INTEGER NOT NULL,
    cycle_id      INTEGER,
    decision_id   TEXT,
    snapshot_hash TEXT,
    input_hash    TEXT,
    model         TEXT,
    verdict       TEXT,
    reasons       TEXT,
    error_code    TEXT,
    latency_ms    REAL,
    tokens        INTEGER
  );
  CREATE INDEX ai_gate_events_ts ON ai_gate_events(ts_ms);
  CREATE TABLE filters_snapshots (
    seq     INTEGER PRIMARY KEY REFERENCES events(seq),
    ts_ms   INTEGER NOT NULL,
    symbols INTEGER,
    diff    TEXT
  );
  `,
  // v3: the AI gate reviewer's notes (redacted, bounded by the engine) next to its verdict.
  `
  ALTER TABLE ai_gate_events ADD COLUMN notes TEXT;
  `,
  // v4: the engine's replay recordings (supervisor replay), one row per recording event: which
  // record it is, for which run, symbol and cycle, and (a lifecycle step) which input and how many
  // commands. The record itself is the event's payload (typed in engine/replay-record.ts); runs
  // written before v4 have none and cannot be replayed.
  `
  CREATE TABLE replay_records (
    seq       INTEGER PRIMARY KEY REFERENCES events(seq),
    ts_ms     INTEGER NOT NULL,
    run_id    TEXT NOT NULL,
    cycle_id  INTEGER,
    record    TEXT NOT NULL,
    symbol    TEXT,
    input     TEXT,
    commands  INTEGER
  );
  CREATE INDEX replay_records_run ON replay_records(run_id, seq);
  `,
  // v5 (issue 19): fewer index pages written by each commit, the intent's fsynced one above all
  // (it wrote about 20 WAL pages: each index an event row enters costs a leaf, often two). Gone:
  // the indexes on events' cycle_id, decision_id and order_intent_id and on replay_records' run_id,
  // which no query of the product used. Dropping an index only frees its pages: the migration costs
  // a walk of those pages (0.1 s per million events), never a scan of the events table, which
  // would hold the audit worker's start (and retention's archive files) for minutes on a large
  // database.
  `
  DROP INDEX IF EXISTS events_cycle;
  DROP INDEX IF EXISTS events_decision;
  DROP INDEX IF EXISTS events_intent;
  DROP INDEX IF EXISTS replay_records_run;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Migrates to this build's schema; `to` stops earlier (tests build the databases older builds left). */
export function migrate(db: Database.Database, to: number = SCHEMA_VERSION): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw Object.assign(new Error(`audit database schema v${from} is newer than this build (v${SCHEMA_VERSION})`), { code: 'AUDIT_SCHEMA_NEWER' });
  }
  for (let v = from; v < Math.min(to, SCHEMA_VERSION); v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return { from, to: Math.max(from, Math.min(to, SCHEMA_VERSION)) };
}
