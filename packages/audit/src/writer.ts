import { mkdirSync, statSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  canonicalJson,
  REASON_CODES,
  sha256Hex,
  type AuditConfig,
  type AuditRow,
  type CommitAck,
  type EventEnvelope,
  type JsonObject,
  type ReasonCode,
  type WriterPressure,
  type WriterState,
} from '@vigil/contracts';
import { jsonTextMayNeedRedaction, redact } from '@vigil/core';
import { toAuditRow } from '@vigil/runtime';
import { JsonlLog } from './jsonl.js';
import { GENESIS_HASH, canonicalRow } from './row-text.js';
import { migrate } from './schema.js';

const IDLE_MS = 2000;
/** The engine's replay recordings, indexed in replay_records (schema v4). */
const REPLAY_RECORD_TYPES = ['LIFECYCLE_STEPPED', 'CYCLE_INPUTS_RECORDED', 'RULES_RECORDED'] as const;

export interface WriterDeps {
  readonly dbFile: string;
  readonly jsonlDir: string;
  readonly config: AuditConfig;
  readonly now: () => number;
  /** Raise or clear a reason with the mode authority (idempotent on the writer's side). */
  readonly setReason: (code: ReasonCode, active: boolean, detail: JsonObject) => void;
}

interface Pending {
  readonly rows: readonly AuditRow[];
  readonly enqueuedAt: number;
  readonly ack?: { resolve: (a: CommitAck) => void; reject: (e: Error) => void };
  /** A bulk frame's producer is told once it is committed (it keeps the rows until then). */
  readonly settle?: () => void;
}

export interface DiskSample {
  readonly free_bytes: number;
  readonly db_bytes: number;
  readonly wal_bytes: number;
  readonly ts_ms: number;
}

/** The most JSONL lines held for a retry while the mirror cannot be written (about 1 KB each). */
const JSONL_PENDING_MAX = 100_000;

/**
 * The audit writer: a bounded queue drained in batches, one SQLite transaction per batch, the JSONL
 * log after the commit, and acknowledgements only after both. Every event row carries a hash chained
 * to the previous row's. Pressure, lag, disk and failures become reason codes, never silence.
 */
export class AuditWriter {
  private db: Database.Database | null = null;
  private insert: Database.Statement | null = null;
  private readonly derived = new Map<string, Database.Statement>();
  private queue: Pending[] = [];
  private depth = 0;
  private lastHash = GENESIS_HASH;
  private lastSeq = 0;
  private lastCommitTs: number | null = null;
  private committedTotal = 0;
  private ownTotal = 0;
  private droppedTotal = 0;
  private synchronous: 'FULL' | 'NORMAL' = 'FULL';
  /**
   * The last commit was written to the WAL without the fsync the configured FULL asks for (a
   * bulk-only batch): the WAL holds rows not yet power-safe, and the next critical commit's fsync
   * would pay for them on the order path unless they are synced before, off this thread.
   */
  walUnsynced = false;
  private jsonlPending: { readonly lines: readonly string[]; readonly ts: readonly number[] }[] = [];
  private jsonlScheduled = false;
  /** JSONL lines let go past JSONL_PENDING_MAX while the mirror could not be written. */
  private jsonlDropped = 0;
  /** A bulk frame was refused since the last commit: the state is FULL until the writer makes progress. */
  private overflowed = false;
  private readonly perSecond: number[] = new Array<number>(60).fill(0);
  private perSecondAt = 0;
  private busySince: number | null = null;
  /** Since when the queue has been FULL without a break, and the free disk below the DEGRADE mark. */
  private fullSince: number | null = null;
  private diskLowSince: number | null = null;
  private failing = false;
  /**
   * The database and -wal files as opened (device and inode). SQLite keeps writing into a -wal
   * file that was deleted or replaced under it, and everything committed there since is gone at
   * the next crash: a probe deleted the -wal of a running bot, and an intent the writer had
   * acknowledged vanished, its order filled at the venue. Checked before every acknowledged commit.
   */
  private files: { db: string; wal: string | null } | null = null;
  /** Why the files no longer are the ones opened: sticky until a restart opens them again. */
  private storageLost: string | null = null;
  private readonly active = new Set<ReasonCode>();
  private jsonl: JsonlLog;
  disk: DiskSample | null = null;

  constructor(private readonly d: WriterDeps) {
    this.jsonl = new JsonlLog(d.jsonlDir);
  }

  /** Opens the database: WAL, busy_timeout, synchronous per config, migrations, chain head. */
  open(): void {
    const c = this.d.config;
    mkdirSync(dirname(this.d.dbFile), { recursive: true });
    const db = new Database(this.d.dbFile);
    db.pragma('journal_mode = WAL');
    db.pragma(`busy_timeout = ${c.busy_timeout_ms}`);
    db.pragma(`synchronous = ${c.synchronous}`);
    this.synchronous = c.synchronous;
    db.pragma(`journal_size_limit = ${c.journal_size_limit_bytes}`);
    // Checkpoints are ours (off the commit path), not SQLite's automatic ones inside a commit.
    db.pragma('wal_autocheckpoint = 0');
    migrate(db);
    this.files = { db: fileIdentity(this.d.dbFile) ?? '', wal: fileIdentity(`${this.d.dbFile}-wal`) };
    const last = db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    // Retention keeps the newest event live; should every row still be gone, the chain continues
    // from the archive anchor, never from the genesis hash again.
    const anchor = last
      ? undefined
      : (db
          .prepare("SELECT (SELECT value FROM meta WHERE key = 'chain_anchor_seq') AS seq, (SELECT value FROM meta WHERE key = 'chain_anchor_hash') AS hash")
          .get() as { seq: string | null; hash: string | null });
    this.lastSeq = last?.seq ?? (anchor?.seq ? Number(anchor.seq) : 0);
    this.lastHash = last?.hash ?? anchor?.hash ?? GENESIS_HASH;
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO events (event_id, ts_ms, run_id, source, cycle_id, stage, snapshot_id, decision_id, order_intent_id,
        event_type, reason_code, severity, payload, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.derived.set('RUN_STARTED', db.prepare(`INSERT OR IGNORE INTO runs (run_id, started_ms, versions, config_hash) VALUES (?, ?, ?, ?)`));
    this.derived.set('RUN_STOPPED', db.prepare(`UPDATE runs SET stopped_ms = ?, stop_reason = ? WHERE run_id = ?`));
    this.derived.set(
      'MODE_CHANGED',
      db.prepare(`INSERT INTO mode_changes (seq, ts_ms, run_id, from_mode, to_mode, mode_seq, reasons) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    );
    this.derived.set('STAGE_CHANGED', db.prepare(`INSERT INTO stage_changes (seq, ts_ms, run_id, cycle_id, stage, from_stage) VALUES (?, ?, ?, ?, ?, ?)`));
    this.derived.set(
      'ALERT_RAISED',
      db.prepare(
        `INSERT INTO alerts (seq, ts_ms, run_id, severity, reason_code, source, stage, cycle_id, decision_id, order_intent_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    );
    const prep = (type: string, sql: string): void => void this.derived.set(type, db.prepare(sql));
    prep(
      'INTENT_CREATED',
      `INSERT OR IGNORE INTO order_intents (order_intent_id, created_seq, created_ms, run_id, cycle_id, decision_id, symbol, side, client_order_id, state, state_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'CREATED', ?)`,
    );
    prep('INTENT_STATE_CHANGED', `INSERT INTO intent_transitions (seq, ts_ms, order_intent_id, from_state, to_state, reason_code) VALUES (?, ?, ?, ?, ?, ?)`);
    prep('INTENT_STATE_CHANGED/update', `UPDATE order_intents SET state = ?, state_ms = ? WHERE order_intent_id = ?`);
    prep(
      'ORDER_UPDATED',
      `INSERT INTO orders (client_order_id, last_seq, ts_ms, order_intent_id, symbol, side, type, status, price, orig_qty, executed_qty, exchange_order_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(client_order_id) DO UPDATE SET last_seq = excluded.last_seq, ts_ms = excluded.ts_ms, status = excluded.status, executed_qty = excluded.executed_qty,
        exchange_order_id = coalesce(excluded.exchange_order_id, orders.exchange_order_id)`,
    );
    prep(
      'FILL_RECORDED',
      `INSERT INTO fills (seq, ts_ms, order_intent_id, client_order_id, symbol, side, price, qty, commission, commission_asset, trade_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    prep(
      'POSITION_UPDATED',
      `INSERT INTO positions (symbol, last_seq, ts_ms, qty, avg_price, protected) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(symbol) DO UPDATE SET last_seq = excluded.last_seq, ts_ms = excluded.ts_ms, qty = excluded.qty, avg_price = excluded.avg_price, protected = excluded.protected`,
    );
    prep('RECONCILE_COMPLETED', `INSERT INTO reconcile_runs (seq, ts_ms, run_id, cycle_id, duration_ms, drift, diffs) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    prep('RECONCILE_DIFF', `INSERT INTO reconcile_diffs (seq, ts_ms, cycle_id, decision_id, order_intent_id, kind, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    prep(
      'AIGATE_CALL',
      `INSERT INTO ai_gate_events (seq, ts_ms, cycle_id, decision_id, snapshot_hash, input_hash, model, verdict, reasons, error_code, latency_ms, tokens, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    prep('FILTERS_REFRESHED', `INSERT INTO filters_snapshots (seq, ts_ms, symbols, diff) VALUES (?, ?, ?, ?)`);
    const replayRow = `INSERT INTO replay_records (seq, ts_ms, run_id, cycle_id, record, symbol, input, commands) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
    for (const t of REPLAY_RECORD_TYPES) prep(t, replayRow);
    this.db = db;
  }

  get isOpen(): boolean {
    return this.db !== null;
  }

  get queueDepth(): number {
    return this.depth;
  }

  /**
   * Accepts events. Bulk events beyond the queue capacity are dropped, counted and reported
   * (DB_WRITER_DROPPED); critical events are always accepted, since their sender waits and a refusal
   * would only move the loss elsewhere.
   */
  /** Events the audit worker itself records (housekeeping): counted apart, so producers' sent + own = committed + dropped. */
  enqueueOwn(events: readonly EventEnvelope[], ack?: Pending['ack']): boolean {
    this.ownTotal += events.length;
    return this.enqueue(events, ack);
  }

  enqueue(events: readonly EventEnvelope[], ack?: Pending['ack']): boolean {
    return this.enqueueRows(events.map(toAuditRow), ack);
  }

  /**
   * Accepts rows as producers serialize them (toAuditRow), shape-checked by the channel. Their
   * payloads still pass the last-door redaction check when they are written.
   */
  enqueueRows(rows: readonly AuditRow[], ack?: Pending['ack'], settle?: () => void): boolean {
    const cap = this.d.config.audit_writer_queue_capacity;
    if (!ack && this.depth + rows.length > cap) {
      // The queue could not take what arrived: that is FULL, however empty a big frame left it.
      this.overflowed = true;
      this.droppedTotal += rows.length;
      this.setReason('DB_WRITER_DROPPED', true, { dropped: rows.length, dropped_total: this.droppedTotal, queue_capacity: cap });
      this.updatePressure();
      return false;
    }
    this.queue.push({ rows, enqueuedAt: this.d.now(), ...(ack ? { ack } : {}), ...(settle ? { settle } : {}) });
    this.depth += rows.length;
    this.updatePressure();
    return true;
  }

  /**
   * Commits up to audit_writer_batch_max queued events in one transaction (fsynced only when it
   * acknowledges someone, or `durable`), acknowledges the critical ones among them, and queues their
   * JSONL lines for the next turn. Returns the number committed.
   */
  drainOnce(durable = false): number {
    const db = this.db;
    const max = this.d.config.audit_writer_batch_max;
    const batch: Pending[] = [];
    let n = 0;
    for (const p of this.queue) {
      if (batch.length > 0 && n + p.rows.length > max) break;
      batch.push(p);
      n += p.rows.length;
    }
    // Lines of earlier commits go out first, except ahead of a commit someone waits for (an intent
    // before its order): those lines stay queued in commit order and follow on the next turn with
    // this batch's own, so the acknowledgement does not wait for a file append (issue 19).
    if (!batch.some((p) => p.ack !== undefined)) this.flushJsonl();
    if (!db || this.queue.length === 0) return 0;
    // A commit someone waits for (an intent before its order) is never acknowledged into files
    // that are no longer the database's: it stays queued, unacknowledged, and the bot pauses.
    if ((durable || batch.some((p) => p.ack !== undefined)) && this.checkFiles() !== null) return 0;
    // Only a batch that acknowledges someone pays for the fsync (synchronous FULL): a bulk-only
    // commit is written to the WAL without one (NORMAL), survives a process crash, and becomes
    // power-safe with the next FULL commit's fsync of the same WAL file or at the checkpoint. So
    // an intent's commit never waits behind a bulk batch's fsync.
    this.setSynchronous(durable || batch.some((p) => p.ack !== undefined) ? this.d.config.synchronous : 'NORMAL');
    const startHash = this.lastHash;
    const startSeq = this.lastSeq;
    const lines: string[] = [];
    const linesTs: number[] = [];
    let inserted = 0;
    try {
      db.transaction(() => {
        let prev = this.lastHash;
        for (const p of batch) {
          for (const row of p.rows) {
            const payload = lastDoor(row[12]);
            const canon = canonicalRow(row, payload);
            const hash = sha256Hex(prev + canon);
            // Positional binding: measurably cheaper than named parameters on the hot path.
            const r = this.insert!.run(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11], payload, prev, hash);
            // A producer may resend an event whose acknowledgement it lost with a dead writer:
            // event_id makes the append idempotent, and the chain continues from the stored row.
            if (r.changes === 0) continue;
            inserted++;
            const seq = Number(r.lastInsertRowid);
            const st = this.derived.get(row[9]);
            if (st) this.derive(st, envelopeOf(row), JSON.parse(payload) as Record<string, unknown>, seq);
            lines.push(`{"seq":${seq},"prev_hash":"${prev}","hash":"${hash}",${canon.slice(1)}`);
            linesTs.push(row[1]);
            prev = hash;
            this.lastSeq = seq;
          }
        }
        this.lastHash = prev;
      })();
    } catch (e) {
      this.lastHash = startHash;
      this.lastSeq = startSeq;
      this.onWriteError(e);
      return 0;
    }
    const now = this.d.now();
    this.queue.splice(0, batch.length);
    this.depth -= n;
    this.lastCommitTs = now;
    this.walUnsynced = this.d.config.synchronous === 'FULL' && this.synchronous !== 'FULL';
    // Rows inserted: a re-sent row already in the database is settled but not committed twice.
    this.committedTotal += inserted;
    this.overflowed = false;
    this.countPerSecond(now, n);
    this.onWriteOk();
    // Acknowledged once committed to SQLite: the acknowledgement promises the database row. The
    // JSONL lines follow on the next turn of the event loop, after the replies have left (in
    // order: a later drain, flush or close writes pending lines first); a JSONL failure is raised
    // on its own (PAUSE) and never hides a commit.
    const ack: CommitAck = { last_seq: this.lastSeq, commit_ts_ms: now };
    for (const p of batch) {
      if (p.ack) p.ack.resolve(ack);
      p.settle?.();
    }
    this.jsonlPending.push({ lines, ts: linesTs });
    if (!this.jsonlScheduled) {
      this.jsonlScheduled = true;
      setImmediate(() => this.flushJsonl());
    }
    this.updatePressure();
    return n;
  }

  /** Drains everything queued (used by flush/drain and shutdown), as durably as a critical write. */
  drainAll(): number {
    let total = 0;
    for (;;) {
      const n = this.drainOnce(true);
      total += n;
      if (n === 0) {
        this.flushJsonl();
        return total;
      }
    }
  }

  /** Appends the JSONL lines of committed batches, in commit order. */
  flushJsonl(): void {
    this.jsonlScheduled = false;
    if (this.jsonlPending.length === 0) return;
    const pending = this.jsonlPending;
    this.jsonlPending = [];
    try {
      this.jsonl.append(
        pending.flatMap((p) => p.lines),
        pending.flatMap((p) => p.ts),
      );
      this.setReason('JSONL_WRITE_FAILED', false, {});
    } catch (e) {
      // Kept, in order, for the next flush (after the next commit): a mirror that could not be
      // written for a while (a full disk, a day file that was a directory) is whole once it can.
      // Lines beyond JSONL_PENDING_MAX are let go, oldest first, and counted.
      this.jsonlPending = [...pending, ...this.jsonlPending];
      let held = this.jsonlPending.reduce((n, p) => n + p.lines.length, 0);
      while (held > JSONL_PENDING_MAX && this.jsonlPending.length > 1) {
        const dropped = this.jsonlPending.shift()?.lines.length ?? 0;
        held -= dropped;
        this.jsonlDropped += dropped;
      }
      this.setReason('JSONL_WRITE_FAILED', true, { error: (e as Error).message, pending_lines: held, dropped_lines: this.jsonlDropped });
    }
  }

  ackNow(): CommitAck {
    return { last_seq: this.lastSeq, commit_ts_ms: this.lastCommitTs ?? this.d.now() };
  }

  pressure(): WriterPressure {
    const cap = this.d.config.audit_writer_queue_capacity;
    const pct = Math.round((this.depth / cap) * 10_000) / 100;
    const oldest = this.queue[0]?.enqueuedAt;
    return {
      state: this.state(pct),
      queue_depth: this.depth,
      queue_capacity: cap,
      queue_pct: pct,
      lag_ms: oldest === undefined ? 0 : this.d.now() - oldest,
      last_writer_commit_ts_ms: this.lastCommitTs,
      events_per_min: this.eventsPerMin(this.d.now()),
      dropped_total: this.droppedTotal,
      committed_total: this.committedTotal,
      own_total: this.ownTotal,
    };
  }

  /** Idle = nothing queued and no commit for a while: a TRUNCATE checkpoint then costs no one anything. */
  isIdle(): boolean {
    return this.queue.length === 0 && (this.lastCommitTs === null || this.d.now() - this.lastCommitTs > IDLE_MS);
  }

  /** Disk free of the volume, DB and WAL sizes, and the reasons their thresholds imply. */
  sampleDisk(): DiskSample {
    const c = this.d.config;
    this.checkFiles();
    const fs = statfsSync(dirname(this.d.dbFile));
    const s: DiskSample = {
      free_bytes: Number(fs.bavail) * Number(fs.bsize),
      db_bytes: fileSize(this.d.dbFile),
      wal_bytes: fileSize(`${this.d.dbFile}-wal`),
      ts_ms: this.d.now(),
    };
    this.disk = s;
    // Incident 9: DEGRADE at once; PAUSE below the PAUSE mark, or when the low disk persists. A
    // PAUSE for persistence holds until the disk is back above the DEGRADE mark (no flapping at
    // the boundary), then the stability window applies as for any recovery.
    const low = s.free_bytes < c.disk_free_degrade_bytes;
    this.diskLowSince = low ? (this.diskLowSince ?? s.ts_ms) : null;
    const lowMs = this.diskLowSince === null ? 0 : s.ts_ms - this.diskLowSince;
    const persistent = this.diskLowSince !== null && lowMs >= c.disk_low_persistent_ms;
    const detail = {
      ...s,
      disk_free_degrade_bytes: c.disk_free_degrade_bytes,
      disk_free_pause_bytes: c.disk_free_pause_bytes,
      wal_abnormal_bytes: c.wal_abnormal_bytes,
      low_ms: lowMs,
      disk_low_persistent_ms: c.disk_low_persistent_ms,
      persistent,
    };
    this.setReason('DISK_LOW_PAUSE', s.free_bytes < c.disk_free_pause_bytes || persistent, detail);
    this.setReason('DISK_LOW_DEGRADE', low, detail);
    this.setReason('WAL_GROWTH_ABNORMAL', c.wal_abnormal_bytes > 0 && s.wal_bytes > c.wal_abnormal_bytes, detail);
    return s;
  }

  /** The writer's connection, for housekeeping on the writer's thread (online backup, retention); null when closed. */
  get connection(): Database.Database | null {
    return this.db;
  }

  /** Incident 9: below the DEGRADE mark no backup, VACUUM or archive copy may take the space the audit needs. */
  diskLow(): boolean {
    return this.active.has('DISK_LOW_DEGRADE') || this.active.has('DISK_LOW_PAUSE');
  }

  /** Raise or clear a reason through the writer's dedup (housekeeping's reasons). */
  reason(code: ReasonCode, on: boolean, detail: JsonObject): void {
    this.setReason(code, on, detail);
  }

  /**
   * Optional VACUUM (audit.vacuum_interval_ms > 0). It rewrites the whole file, so it needs free
   * space about the size of the database and blocks this thread while it runs: never on low disk.
   */
  vacuum(): { readonly done: boolean; readonly why?: string } {
    if (!this.db) return { done: false, why: 'database not open' };
    if (this.diskLow()) return { done: false, why: 'low disk' };
    this.drainAll();
    try {
      this.db.exec('VACUUM');
      return { done: true };
    } catch (e) {
      this.onWriteError(e);
      return { done: false, why: (e as Error).message };
    }
  }

  pruneJsonl(): string[] {
    return this.jsonl.prune(this.d.now(), this.d.config.jsonl_retention_days);
  }

  /** For the fault hook and for callers that detect unusability outside a write. */
  markUnusable(detail: JsonObject): void {
    this.failing = true;
    this.setReason('AUDIT_DB_UNUSABLE', true, detail);
  }

  close(): void {
    this.flushJsonl();
    for (const p of this.queue) p.ack?.reject(Object.assign(new Error('audit writer closed before commit'), { code: 'AUDIT_CLOSED' }));
    this.queue = [];
    this.depth = 0;
    if (this.db) {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        /* closing anyway */
      }
      this.db.close();
    }
    this.db = null;
  }

  private derive(st: Database.Statement, ev: RowEnvelope, p: Record<string, unknown>, seq: number): void {
    const s = (k: string): string | null => (typeof p[k] === 'string' ? (p[k] as string) : null);
    const n = (k: string): number | null => (typeof p[k] === 'number' ? (p[k] as number) : null);
    const j = (k: string): string | null => (p[k] === undefined ? null : JSON.stringify(p[k]));
    switch (ev.event_type) {
      case 'RUN_STARTED':
        st.run(ev.run_id, ev.ts_ms, j('versions'), s('config_hash'));
        return;
      case 'RUN_STOPPED':
        st.run(ev.ts_ms, s('reason'), ev.run_id);
        return;
      case 'MODE_CHANGED':
        st.run(seq, ev.ts_ms, ev.run_id, s('from'), s('to') ?? 'UNKNOWN', n('seq'), j('reasons'));
        return;
      case 'STAGE_CHANGED':
        st.run(seq, ev.ts_ms, ev.run_id, ev.cycle_id, s('to') ?? ev.stage, s('from'));
        return;
      case 'ALERT_RAISED':
        st.run(seq, ev.ts_ms, ev.run_id, ev.severity, ev.reason_code, s('source'), ev.stage, ev.cycle_id, ev.decision_id, ev.order_intent_id, j('detail'));
        return;
      case 'INTENT_CREATED':
        if (ev.order_intent_id === null) return;
        st.run(ev.order_intent_id, seq, ev.ts_ms, ev.run_id, ev.cycle_id, ev.decision_id, s('symbol'), s('side'), s('client_order_id'), ev.ts_ms);
        return;
      case 'INTENT_STATE_CHANGED': {
        const to = s('to');
        if (ev.order_intent_id === null || to === null) return;
        st.run(seq, ev.ts_ms, ev.order_intent_id, s('from'), to, ev.reason_code);
        this.derived.get('INTENT_STATE_CHANGED/update')!.run(to, ev.ts_ms, ev.order_intent_id);
        return;
      }
      case 'ORDER_UPDATED': {
        const coid = s('client_order_id');
        if (coid === null) return;
        st.run(
          coid,
          seq,
          ev.ts_ms,
          ev.order_intent_id,
          s('symbol'),
          s('side'),
          s('type'),
          s('status'),
          s('price'),
          s('orig_qty'),
          s('executed_qty'),
          s('exchange_order_id'),
        );
        return;
      }
      case 'FILL_RECORDED':
        st.run(
          seq,
          ev.ts_ms,
          ev.order_intent_id,
          s('client_order_id'),
          s('symbol'),
          s('side'),
          s('price'),
          s('qty'),
          s('commission'),
          s('commission_asset'),
          s('trade_id'),
        );
        return;
      case 'POSITION_UPDATED': {
        const sym = s('symbol');
        if (sym === null) return;
        st.run(sym, seq, ev.ts_ms, s('qty'), s('avg_price'), typeof p['protected'] === 'boolean' ? (p['protected'] ? 1 : 0) : null);
        return;
      }
      case 'RECONCILE_COMPLETED':
        st.run(seq, ev.ts_ms, ev.run_id, ev.cycle_id, n('duration_ms'), s('drift'), n('diffs'));
        return;
      case 'RECONCILE_DIFF':
        st.run(seq, ev.ts_ms, ev.cycle_id, ev.decision_id, ev.order_intent_id, s('kind'), j('detail'));
        return;
      case 'AIGATE_CALL':
        st.run(
          seq,
          ev.ts_ms,
          ev.cycle_id,
          ev.decision_id,
          s('snapshot_hash'),
          s('input_hash'),
          s('model'),
          s('verdict'),
          j('reasons'),
          s('error_code'),
          n('latency_ms'),
          n('tokens'),
          s('notes'),
        );
        return;
      case 'FILTERS_REFRESHED':
        st.run(seq, ev.ts_ms, n('symbols'), j('diff'));
        return;
      case 'LIFECYCLE_STEPPED': {
        const input = p['input'] as { kind?: unknown; phase?: unknown } | undefined;
        const kind = typeof input?.kind === 'string' ? input.kind : null;
        const commands = Array.isArray(p['commands']) ? p['commands'].length : null;
        st.run(
          seq,
          ev.ts_ms,
          ev.run_id,
          ev.cycle_id,
          'STEP',
          s('symbol'),
          kind === 'TICK' && typeof input?.phase === 'string' ? `TICK/${input.phase}` : kind,
          commands,
        );
        return;
      }
      case 'CYCLE_INPUTS_RECORDED':
        st.run(seq, ev.ts_ms, ev.run_id, ev.cycle_id, 'CYCLE', null, null, null);
        return;
      case 'RULES_RECORDED': {
        const r = p['rules'] as { symbol?: unknown } | undefined;
        st.run(seq, ev.ts_ms, ev.run_id, ev.cycle_id, 'RULES', typeof r?.symbol === 'string' ? r.symbol : null, s('ref'), null);
        return;
      }
      default:
        return;
    }
  }

  /**
   * Null while the database and -wal files on disk are the ones opened; else why not, raised as
   * AUDIT_DB_UNUSABLE (PAUSE), and kept: only a new writer, opening the files again, clears it.
   */
  checkFiles(): string | null {
    if (this.storageLost !== null || this.files === null) return this.storageLost;
    const db = fileIdentity(this.d.dbFile);
    const wal = fileIdentity(`${this.d.dbFile}-wal`);
    let why: string | null = null;
    if (db === null) why = 'the database file was removed under the writer';
    else if (db !== this.files.db) why = 'the database file was replaced under the writer';
    else if (this.files.wal !== null && wal === null) why = 'the -wal file was removed under the writer';
    else if (this.files.wal !== null && wal !== this.files.wal) why = 'the -wal file was replaced under the writer';
    // A -wal created after the open (none then) is the one SQLite writes to from now on.
    if (this.files.wal === null && wal !== null) this.files.wal = wal;
    if (why === null) return null;
    this.storageLost = why;
    this.failing = true;
    this.setReason('AUDIT_DB_UNUSABLE', true, { code: 'AUDIT_FILES_CHANGED', error: why, file: this.d.dbFile });
    return why;
  }

  private onWriteOk(): void {
    this.busySince = null;
    // Bulk rows still commit into the lost files (and reach the JSONL): that is no recovery.
    if (this.failing && this.storageLost === null) {
      this.failing = false;
      this.setReason('AUDIT_DB_UNUSABLE', false, {});
    }
    this.setReason('DB_WRITE_FAILED', false, {});
    this.setReason('DB_BUSY_TRANSIENT', false, {});
    this.setReason('DB_BUSY_PERSISTENT', false, {});
  }

  private onWriteError(e: unknown): void {
    const code = (e as { code?: unknown }).code;
    const msg = (e as Error).message;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT') {
      const now = this.d.now();
      this.busySince ??= now;
      const busyMs = now - this.busySince;
      const persistent = busyMs >= this.d.config.db_busy_persistent_ms;
      this.setReason(persistent ? 'DB_BUSY_PERSISTENT' : 'DB_BUSY_TRANSIENT', true, {
        code: String(code),
        busy_ms: busyMs,
        limit_ms: this.d.config.db_busy_persistent_ms,
      });
      return;
    }
    this.failing = true;
    this.setReason('DB_WRITE_FAILED', true, { code: String(code ?? 'UNKNOWN'), error: msg });
    this.setReason('AUDIT_DB_UNUSABLE', true, { code: String(code ?? 'UNKNOWN'), error: msg });
  }

  private setSynchronous(mode: 'FULL' | 'NORMAL'): void {
    if (mode === this.synchronous || !this.db) return;
    this.db.pragma(`synchronous = ${mode}`);
    this.synchronous = mode;
  }

  private state(pct: number): WriterState {
    const c = this.d.config;
    if (this.overflowed || pct >= c.audit_writer_queue_full_pct) return 'FULL';
    if (pct >= c.audit_writer_queue_high_pct) return 'HIGH';
    return 'OK';
  }

  private updatePressure(): void {
    const p = this.pressure();
    const c = this.d.config;
    const detail = {
      queue_pct: p.queue_pct,
      queue_depth: p.queue_depth,
      lag_ms: p.lag_ms,
      high_pct: c.audit_writer_queue_high_pct,
      full_pct: c.audit_writer_queue_full_pct,
      max_lag_ms: c.audit_writer_max_lag_ms,
    };
    this.setReason('DB_WRITER_QUEUE_FULL', p.state === 'FULL', detail);
    this.setReason('DB_WRITER_QUEUE_HIGH', p.state !== 'OK', detail);
    this.setReason('DB_WRITER_BACKPRESSURE', p.lag_ms > c.audit_writer_max_lag_ms, detail);
    // Incident 6: a FULL queue that lasts is persistent: PAUSE until an operator acts.
    const now = this.d.now();
    this.fullSince = p.state === 'FULL' ? (this.fullSince ?? now) : null;
    if (this.fullSince !== null && now - this.fullSince >= c.audit_writer_full_persistent_ms) {
      this.setReason('DB_WRITER_QUEUE_FULL_PERSISTENT', true, { ...detail, full_ms: now - this.fullSince, limit_ms: c.audit_writer_full_persistent_ms });
    }
  }

  /**
   * Re-judges the time-bound conditions (a FULL queue, a busy database) when nothing else happens:
   * a stuck writer gets neither new rows nor commits, so persistence must be noticed by the clock.
   */
  evaluatePersistence(): void {
    this.updatePressure();
    if (this.busySince !== null && this.d.now() - this.busySince >= this.d.config.db_busy_persistent_ms) {
      this.setReason('DB_BUSY_PERSISTENT', true, { busy_ms: this.d.now() - this.busySince, limit_ms: this.d.config.db_busy_persistent_ms });
    }
  }

  private setReason(code: ReasonCode, on: boolean, detail: JsonObject): void {
    if (on === this.active.has(code)) return;
    // A manual reason stays latched here: only an operator clears it at the mode authority, and a
    // clear from the writer would only be refused there.
    if (!on && REASON_CODES[code].clear === 'manual') return;
    if (on) this.active.add(code);
    else this.active.delete(code);
    this.d.setReason(code, on, detail);
  }

  private countPerSecond(now: number, n: number): void {
    const sec = Math.floor(now / 1000);
    if (sec !== this.perSecondAt) {
      const gap = Math.min(60, sec - this.perSecondAt);
      for (let i = 1; i <= gap; i++) this.perSecond[(this.perSecondAt + i) % 60] = 0;
      this.perSecondAt = sec;
    }
    this.perSecond[sec % 60]! += n;
  }

  private eventsPerMin(now: number): number {
    this.countPerSecond(now, 0);
    return this.perSecond.reduce((a, b) => a + b, 0);
  }
}

/**
 * Payloads pass redaction once more at the last door: whatever a producer did, no secret is
 * written. The cheap text test rules out almost every payload; one that may hold a secret (or
 * only looks like it might) is parsed, redacted and serialized to canonical JSON again.
 */
function lastDoor(payloadJson: string): string {
  if (!jsonTextMayNeedRedaction(payloadJson)) return payloadJson;
  return canonicalJson(redact(JSON.parse(payloadJson) as unknown));
}

/** The envelope fields of a row (everything but the payload), as derive reads them. */
type RowEnvelope = Omit<EventEnvelope, 'payload'>;
function envelopeOf(r: AuditRow): RowEnvelope {
  return {
    event_id: r[0],
    ts_ms: r[1],
    run_id: r[2],
    source: r[3],
    cycle_id: r[4],
    stage: r[5],
    snapshot_id: r[6],
    decision_id: r[7],
    order_intent_id: r[8],
    event_type: r[9],
    reason_code: r[10],
    severity: r[11],
  };
}

function fileSize(f: string): number {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
}

/** A file's device and inode ("dev:ino"), or null when there is none at the path. */
function fileIdentity(path: string): string | null {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}
