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
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database.Database): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw Object.assign(new Error(`audit database schema v${from} is newer than this build (v${SCHEMA_VERSION})`), { code: 'AUDIT_SCHEMA_NEWER' });
  }
  for (let v = from; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return { from, to: SCHEMA_VERSION };
}
