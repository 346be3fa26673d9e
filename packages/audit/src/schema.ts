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
  // which no query of the product used; events_type_seq covered every event type although the
  // product looks up only a few by type, so it becomes events_read_type_seq over those (a query
  // must carry LOOKED_UP_TERM, word for word, for SQLite to use it). The list is frozen here: a
  // type added later needs a migration of its own (a test compares the index with LOOKED_UP_TERM).
  `
  DROP INDEX IF EXISTS events_cycle;
  DROP INDEX IF EXISTS events_decision;
  DROP INDEX IF EXISTS events_intent;
  DROP INDEX IF EXISTS events_type_seq;
  DROP INDEX IF EXISTS replay_records_run;
  CREATE INDEX IF NOT EXISTS events_read_type_seq ON events(event_type, seq) WHERE event_type IN ('ORDER_UPDATED', 'PNL_SAMPLED', 'PROTECTION_PLACED', 'OPERATOR_PAUSED', 'OPERATOR_RESUMED', 'SYMBOL_QUARANTINE_IMPOSED', 'SYMBOL_QUARANTINE_RENEWED', 'SYMBOL_QUARANTINE_LIFTED');
  `,
];

/** The event types the product looks up by type (index events_read_type_seq, schema v5). */
export const LOOKED_UP_TYPES = [
  'ORDER_UPDATED',
  'PNL_SAMPLED',
  'PROTECTION_PLACED',
  'OPERATOR_PAUSED',
  'OPERATOR_RESUMED',
  'SYMBOL_QUARANTINE_IMPOSED',
  'SYMBOL_QUARANTINE_RENEWED',
  'SYMBOL_QUARANTINE_LIFTED',
] as const;
export type LookedUpType = (typeof LOOKED_UP_TYPES)[number];

/**
 * The partial index's own condition: SQLite uses events_read_type_seq only for a query whose WHERE
 * holds this very term (it does not infer `event_type IN (...)` from `event_type = 'X'`), so every
 * lookup by type ANDs it to its own condition.
 */
export const LOOKED_UP_TERM = `event_type IN (${LOOKED_UP_TYPES.map((t) => `'${t}'`).join(', ')})`;

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
