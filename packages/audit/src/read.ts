import Database from 'better-sqlite3';
import { Dec, isDecimalString } from '@vigil/core';
import {
  GATE_LATENCY_WINDOW,
  LATE_WATCH_MS,
  type DayPnl,
  type EngineMemory,
  type JsonValue,
  type QuarantineCause,
  type RememberedIntent,
  type StandingQuarantine,
} from '@vigil/contracts';

export interface ModeChangeRow {
  readonly seq: number;
  readonly ts_ms: number;
  readonly run_id: string;
  readonly from_mode: string | null;
  readonly to_mode: string;
  readonly reasons: unknown;
}

export interface StageChangeRow {
  readonly seq: number;
  readonly ts_ms: number;
  readonly run_id: string;
  readonly cycle_id: number | null;
  readonly stage: string | null;
  readonly from_stage: string | null;
}

export interface AlertRow {
  readonly seq: number;
  readonly ts_ms: number;
  readonly run_id: string;
  readonly severity: string;
  readonly reason_code: string | null;
  readonly source: string | null;
  readonly stage: string | null;
  readonly cycle_id: number | null;
  readonly decision_id: string | null;
  readonly order_intent_id: string | null;
  readonly detail: JsonValue;
}

export interface OrderRow {
  readonly client_order_id: string;
  readonly ts_ms: number;
  readonly order_intent_id: string | null;
  readonly intent_state: string | null;
  readonly symbol: string | null;
  readonly side: string | null;
  readonly type: string | null;
  readonly status: string | null;
  readonly price: string | null;
  readonly orig_qty: string | null;
  readonly executed_qty: string | null;
  readonly exchange_order_id: string | null;
  /** From the order's intent as committed before it was sent (INTENT_CREATED): a stop's trigger price. */
  readonly stop_price: string | null;
  /** A trailing stop's delta in basis points (its intent's), null otherwise. */
  readonly trailing_delta_bps: number | null;
}

/**
 * A stop order's levels as its intent recorded them (the orders table keeps what the venue
 * reports, where a stop's price is 0): joined by primary key, so no scan.
 */
const INTENT_STOP = "json_extract(ie.payload, '$.stop_price') AS stop_price, json_extract(ie.payload, '$.trailing_delta_bps') AS trailing_delta_bps";

export interface FillRow {
  readonly seq: number;
  readonly ts_ms: number;
  readonly symbol: string;
  readonly side: string | null;
  readonly price: string | null;
  readonly qty: string | null;
  readonly commission: string | null;
  readonly commission_asset: string | null;
  readonly client_order_id: string | null;
  readonly order_intent_id: string | null;
}

export interface GateSummary {
  /** Calls since `sinceMs` by verdict (and error code for ERROR). */
  readonly verdicts: { verdict: string; error_code: string | null; n: number }[];
  /** Latencies of the last calls, newest first (the panel derives p50/p95 from them). */
  readonly latencies_ms: number[];
}

/** Order statuses that are still working at the venue (as last recorded). */
export const OPEN_ORDER_STATUSES = ['NEW', 'PARTIALLY_FILLED', 'PENDING_NEW'] as const;

export interface RunRow {
  readonly run_id: string;
  readonly started_ms: number;
  readonly stopped_ms: number | null;
  readonly stop_reason: string | null;
  readonly config_hash: string | null;
}

/** The reader's statements, prepared once: one per query, by name. */
function prepareQueries(db: Database.Database) {
  return {
    modes: db.prepare('SELECT seq, ts_ms, run_id, from_mode, to_mode, reasons FROM mode_changes ORDER BY seq DESC LIMIT ?'),
    stages: db.prepare('SELECT seq, ts_ms, run_id, cycle_id, stage, from_stage FROM stage_changes ORDER BY seq DESC LIMIT ?'),
    alerts: db.prepare('SELECT * FROM alerts WHERE seq > ? ORDER BY seq DESC LIMIT ?'),
    runs: db.prepare('SELECT run_id, started_ms, stopped_ms, stop_reason, config_hash FROM runs ORDER BY started_ms DESC LIMIT ?'),
    perMinute: db.prepare('SELECT (ts_ms / 60000) * 60000 AS minute_ms, count(*) AS events FROM events WHERE ts_ms >= ? GROUP BY minute_ms ORDER BY minute_ms'),
    lastSeq: db.prepare('SELECT max(seq) AS seq FROM events'),
    intents: db.prepare('SELECT state, count(*) AS n FROM order_intents GROUP BY state'),
    lastReconcile: db.prepare('SELECT seq, ts_ms, cycle_id, duration_ms, drift, diffs FROM reconcile_runs ORDER BY seq DESC LIMIT 1'),
    diffs: db.prepare('SELECT seq, ts_ms, cycle_id, decision_id, order_intent_id, kind, detail FROM reconcile_diffs ORDER BY seq DESC LIMIT ?'),
    openOrders: db.prepare(
      `SELECT o.client_order_id, o.ts_ms, o.order_intent_id, i.state AS intent_state, o.symbol, o.side, o.type, o.status, o.price, o.orig_qty, o.executed_qty, o.exchange_order_id, ${INTENT_STOP}
       FROM orders o LEFT JOIN order_intents i ON i.order_intent_id = o.order_intent_id LEFT JOIN events ie ON ie.seq = i.created_seq
       WHERE o.status IN (${OPEN_ORDER_STATUSES.map((x) => `'${x}'`).join(', ')}) ORDER BY o.ts_ms DESC LIMIT ?`,
    ),
    // The most recently updated orders, found through the newest ORDER_UPDATED events (index
    // events_type_seq) rather than by sorting the whole orders table (which has no last_seq index).
    recentOrderIds: db.prepare(
      "SELECT json_extract(payload, '$.client_order_id') AS c FROM events WHERE event_type = 'ORDER_UPDATED' ORDER BY seq DESC LIMIT ?",
    ),
    recentOrders: db.prepare(
      `SELECT o.client_order_id, o.ts_ms, o.order_intent_id, i.state AS intent_state, o.symbol, o.side, o.type, o.status, o.price, o.orig_qty, o.executed_qty, o.exchange_order_id, ${INTENT_STOP}
       FROM orders o LEFT JOIN order_intents i ON i.order_intent_id = o.order_intent_id LEFT JOIN events ie ON ie.seq = i.created_seq
       WHERE o.client_order_id IN (SELECT value FROM json_each(?)) ORDER BY o.last_seq DESC`,
    ),
    intentsOpen: db.prepare("SELECT state, count(*) AS n FROM order_intents WHERE state IN ('CREATED', 'SENT_UNKNOWN') GROUP BY state"),
    intentsFinalSince: db.prepare(
      "SELECT state, count(*) AS n FROM order_intents WHERE state IN ('CONFIRMED', 'NOT_FOUND', 'FAILED_TERMINAL') AND state_ms >= ? GROUP BY state",
    ),
    maxFillSeq: db.prepare('SELECT max(seq) AS seq FROM fills'),
    fillsAfter: db.prepare(
      'SELECT seq, ts_ms, symbol, side, price, qty, commission, commission_asset, client_order_id, order_intent_id FROM fills WHERE seq > ? ORDER BY seq LIMIT ?',
    ),
    fillsSince: db.prepare(
      'SELECT seq, ts_ms, symbol, side, price, qty, commission, commission_asset, client_order_id, order_intent_id FROM fills WHERE symbol = ? AND ts_ms >= ? ORDER BY ts_ms LIMIT ?',
    ),
    gateVerdicts: db.prepare('SELECT verdict, error_code, count(*) AS n FROM ai_gate_events WHERE ts_ms >= ? GROUP BY verdict, error_code ORDER BY n DESC'),
    gateLatencies: db.prepare('SELECT latency_ms FROM ai_gate_events WHERE latency_ms IS NOT NULL ORDER BY seq DESC LIMIT ?'),
    byType: db.prepare('SELECT seq, ts_ms, payload FROM events WHERE event_type = ? AND seq > ? ORDER BY seq DESC LIMIT ?'),
  };
}

/**
 * The read side for the panel and doctor: a read-only, query-only connection (WAL readers never
 * block the writer) with typed, index-backed queries. It never writes, by construction.
 */
export class AuditReader {
  private readonly db: Database.Database;
  private readonly q: ReturnType<typeof prepareQueries>;

  constructor(dbFile: string) {
    this.db = new Database(dbFile, { readonly: true, fileMustExist: true });
    this.db.pragma('query_only = ON');
    this.db.pragma('busy_timeout = 1000');
    this.q = prepareQueries(this.db);
  }

  /** The last `n` mode changes, newest first. */
  modeChanges(n = 20): ModeChangeRow[] {
    return (this.q.modes.all(n) as (Omit<ModeChangeRow, 'reasons'> & { reasons: string | null })[]).map((r) => ({ ...r, reasons: parse(r.reasons) }));
  }

  /** The last `n` STAGE_CHANGED, newest first (the panel shows 20). */
  stageChanges(n = 20): StageChangeRow[] {
    return this.q.stages.all(n) as StageChangeRow[];
  }

  /** Alerts newer than `afterSeq`, newest first, at most `n`. */
  alerts(afterSeq = 0, n = 100): AlertRow[] {
    return (this.q.alerts.all(afterSeq, n) as (Omit<AlertRow, 'detail'> & { detail: string | null })[]).map((r) => ({ ...r, detail: parse(r.detail) }));
  }

  runs(n = 10): RunRow[] {
    return this.q.runs.all(n) as RunRow[];
  }

  /** Events per minute since `sinceMs` (uses the ts_ms index). */
  eventsPerMinute(sinceMs: number): { minute_ms: number; events: number }[] {
    return this.q.perMinute.all(sinceMs) as { minute_ms: number; events: number }[];
  }

  /** Order intents by state (the panel puts SENT_UNKNOWN first). */
  intentsByState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.q.intents.all() as { state: string; n: number }[]) out[r.state] = r.n;
    return out;
  }

  /** The last reconcile run (ts, duration, drift OK/WARN/BAD), or null before the first. */
  lastReconcile(): { seq: number; ts_ms: number; cycle_id: number | null; duration_ms: number | null; drift: string | null; diffs: number | null } | null {
    return (this.q.lastReconcile.get() as ReturnType<AuditReader['lastReconcile']> | undefined) ?? null;
  }

  /** Recent RECONCILE_DIFF rows with their ids, newest first. */
  recentDiffs(n = 20): {
    seq: number;
    ts_ms: number;
    cycle_id: number | null;
    decision_id: string | null;
    order_intent_id: string | null;
    kind: string | null;
    detail: JsonValue;
  }[] {
    return (
      this.q.diffs.all(n) as {
        seq: number;
        ts_ms: number;
        cycle_id: number | null;
        decision_id: string | null;
        order_intent_id: string | null;
        kind: string | null;
        detail: string | null;
      }[]
    ).map((r) => ({ ...r, detail: parse(r.detail) }));
  }

  /** Orders whose last recorded status is still working, newest first, with their intent's state. */
  openOrders(n = 50): OrderRow[] {
    return this.q.openOrders.all(n) as OrderRow[];
  }

  /** The most recently updated orders (any status), newest first. */
  recentOrders(n = 20): OrderRow[] {
    const ids: string[] = [];
    // Each order has a few updates; 5 x n of the newest events hold n distinct orders in practice.
    for (const r of this.q.recentOrderIds.all(n * 5) as { c: string | null }[]) {
      if (r.c !== null && !ids.includes(r.c)) ids.push(r.c);
      if (ids.length >= n) break;
    }
    return this.q.recentOrders.all(JSON.stringify(ids)) as OrderRow[];
  }

  /**
   * Intent counts: every CREATED and SENT_UNKNOWN (never windowed: each one needs an answer), and
   * the final states reached since `sinceMs` (index order_intents_state), so the count does not grow
   * with the database's age.
   */
  intentCounts(sinceMs: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.q.intentsOpen.all() as { state: string; n: number }[]) out[r.state] = r.n;
    for (const r of this.q.intentsFinalSince.all(sinceMs) as { state: string; n: number }[]) out[r.state] = r.n;
    return out;
  }

  maxFillSeq(): number {
    return (this.q.maxFillSeq.get() as { seq: number | null }).seq ?? 0;
  }

  /** Fills after `afterSeq` in commit order (the primary key), at most `n`: incremental readers. */
  fillsAfter(afterSeq: number, n = 10_000): FillRow[] {
    return this.q.fillsAfter.all(afterSeq, n) as FillRow[];
  }

  /** Fills of `symbol` since `sinceMs`, oldest first (index fills_symbol_ts). */
  fillsSince(symbol: string, sinceMs: number, n = 1000): FillRow[] {
    return this.q.fillsSince.all(symbol, sinceMs, n) as FillRow[];
  }

  /** AI gate verdict counts since `sinceMs` and the latencies of the last `n` calls. */
  gateSummary(sinceMs: number, n = 200): GateSummary {
    return {
      verdicts: this.q.gateVerdicts.all(sinceMs) as GateSummary['verdicts'],
      latencies_ms: (this.q.gateLatencies.all(n) as { latency_ms: number }[]).map((r) => r.latency_ms),
    };
  }

  /**
   * The last `n` events of one type (newest first, index events_type_seq), payload parsed; only
   * those after `afterSeq`.
   */
  eventsOfType(type: string, n = 100, afterSeq = 0): { seq: number; ts_ms: number; payload: Record<string, unknown> }[] {
    return (this.q.byType.all(type, afterSeq, n) as { seq: number; ts_ms: number; payload: string }[]).map((r) => ({
      seq: r.seq,
      ts_ms: r.ts_ms,
      payload: (parse(r.payload) ?? {}) as Record<string, unknown>,
    }));
  }

  /**
   * What the engine remembers across a restart: each symbol's last POSITION_UPDATED payload and
   * every intent not in a final state (with its INTENT_CREATED payload). Startup reconcile checks
   * all of it against REST before anything else happens.
   */
  /** Order intents with their creation record's payload, as the engine's memory carries them: `where` selects and orders. */
  private intentRows(where: string, arg: number): (RememberedIntent & { readonly state_ms: number })[] {
    const rows = this.db
      .prepare(
        `SELECT i.order_intent_id, i.state, i.created_ms, i.state_ms, i.symbol, i.side, i.client_order_id, i.cycle_id, i.decision_id, e.payload AS payload FROM order_intents i JOIN events e ON e.seq = i.created_seq ${where}`,
      )
      .all(arg) as (Omit<RememberedIntent, 'payload'> & { readonly state_ms: number; readonly payload: string })[];
    return rows.map((r) => ({ ...r, payload: (parse(r.payload) ?? {}) as Record<string, unknown> }));
  }

  engineMemory(nowMs: number = Date.now()): EngineMemory {
    const positions = (
      this.db
        .prepare('SELECT p.symbol AS symbol, p.ts_ms AS ts_ms, e.payload AS payload FROM positions p JOIN events e ON e.seq = p.last_seq ORDER BY p.symbol')
        .all() as { symbol: string; ts_ms: number; payload: string }[]
    ).map((r) => ({ symbol: r.symbol, ts_ms: r.ts_ms, payload: (parse(r.payload) ?? {}) as Record<string, unknown>, trade_ids: [] as string[] }));
    // The trades already counted in each remembered position (fills recorded up to its snapshot,
    // since shortly before it opened): a restart must not count them again when REST reports them.
    const tradeIds = this.db.prepare(
      'SELECT f.trade_id AS trade_id FROM fills f WHERE f.symbol = ? AND f.trade_id IS NOT NULL AND f.seq <= (SELECT last_seq FROM positions WHERE symbol = ?) AND f.ts_ms >= ? ORDER BY f.seq',
    );
    for (const p of positions) {
      const opened = typeof p.payload['opened_ms'] === 'number' ? p.payload['opened_ms'] : p.ts_ms - 86_400_000;
      p.trade_ids = (tradeIds.all(p.symbol, p.symbol, opened - 600_000) as { trade_id: string }[]).map((r) => r.trade_id);
    }
    // Unsettled intents, and confirmed entries whose order was last seen working: it may have filled
    // (or still be working) while the bot was down, and only the venue can say.
    const intents = this.intentRows(
      "WHERE i.state IN ('CREATED', 'SENT_UNKNOWN') OR (i.state = 'CONFIRMED' AND i.created_ms >= ? AND json_extract(e.payload, '$.kind') = 'ENTRY' AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.client_order_id = i.client_order_id AND o.status IN ('FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'EXPIRED_IN_MATCH'))) ORDER BY i.created_seq",
      nowMs - 86_400_000,
    );
    // The venue ids of the bot's own orders (an OCO's legs included) of the last 30 days: a trade
    // the venue reports for one of them while the bot was down is the bot's, not someone else's.
    const ownOrders = (
      this.db
        .prepare(
          "SELECT symbol, client_order_id, exchange_order_id FROM orders WHERE client_order_id LIKE 'vg%' AND exchange_order_id IS NOT NULL AND symbol IS NOT NULL AND ts_ms >= ?",
        )
        .all(nowMs - 30 * 86_400_000) as {
        symbol: string;
        client_order_id: string;
        exchange_order_id: string;
      }[]
    ).filter((r) => /^\d{1,15}$/.test(r.exchange_order_id));
    // The last trade id the bot knows per symbol: its own last fill, or a later trade it judged at
    // reconcile (recorded on the position snapshot). Trades are paged from the one after it.
    const lastTradeIds: Record<string, number> = {};
    for (const r of this.db
      .prepare("SELECT symbol, max(CAST(trade_id AS INTEGER)) AS id FROM fills WHERE trade_id IS NOT NULL AND trade_id GLOB '[0-9]*' GROUP BY symbol")
      .all() as { symbol: string; id: number | null }[]) {
      if (typeof r.id === 'number') lastTradeIds[r.symbol] = r.id;
    }
    for (const p of positions) {
      const seen = p.payload['last_trade_id'];
      if (typeof seen === 'number' && seen > (lastTradeIds[p.symbol] ?? -1)) lastTradeIds[p.symbol] = seen;
    }
    // Intents of the last 30 days whose order (or list) id never reached the audit: a crash right
    // after the venue's reply can lose the bulk rows that carried it. Startup asks the venue for them,
    // so a trade of such an order is still known as the bot's.
    const unmapped = this.db
      .prepare(
        "SELECT i.symbol, i.client_order_id, json_extract(e.payload, '$.kind') AS kind FROM order_intents i JOIN events e ON e.seq = i.created_seq WHERE i.created_ms >= ? AND i.symbol IS NOT NULL AND i.client_order_id IS NOT NULL AND json_extract(e.payload, '$.kind') IN ('ENTRY', 'PROTECT', 'EXIT') AND i.state NOT IN ('FAILED_TERMINAL', 'NOT_FOUND') AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.exchange_order_id IS NOT NULL AND (o.client_order_id = i.client_order_id OR (i.client_order_id LIKE 'vgl%' AND o.client_order_id IN ('vgs' || substr(i.client_order_id, 4), 'vgt' || substr(i.client_order_id, 4))))) ORDER BY i.created_seq DESC LIMIT 200",
      )
      .all(nowMs - 30 * 86_400_000) as { symbol: string; client_order_id: string; kind: string }[];
    // The gate's latency window, oldest first (the query gives the newest first).
    const gateLatenciesMs = (this.q.gateLatencies.all(GATE_LATENCY_WINDOW) as { latency_ms: number }[]).map((r) => r.latency_ms).reverse();
    // Entries declared NOT_FOUND lately: asked about again after the restart, as before it.
    const notFoundEntries = this.intentRows(
      "WHERE i.state = 'NOT_FOUND' AND i.state_ms >= ? AND json_extract(e.payload, '$.kind') = 'ENTRY' ORDER BY i.created_seq DESC LIMIT 100",
      nowMs - LATE_WATCH_MS,
    );
    return { positions, intents, ownOrders, lastTradeIds, unmapped, today: this.dayPnl(nowMs), gateLatenciesMs, notFoundEntries };
  }

  /**
   * Today's (UTC) P&L as the engine last sampled it before a restart: the realized total of the
   * last PNL_SAMPLED of the day and the highest total sampled that day. The daily loss and
   * drawdown limits count from these, not from zero, after a restart on the same day. Fills after
   * the last sample (at most one sampling interval) are not in it.
   */
  dayPnl(nowMs: number = Date.now()): DayPnl | null {
    const day = new Date(nowMs).toISOString().slice(0, 10);
    const dayStart = Date.parse(`${day}T00:00:00.000Z`);
    // ts_ms bounds the scan to the day (index events_ts); the payload's own day decides (an
    // engine samples the day of its clock, which a few ms of skew must not move).
    const rows = this.db
      .prepare(
        "SELECT seq, ts_ms, json_extract(payload, '$.day') AS day, json_extract(payload, '$.realized') AS realized, json_extract(payload, '$.total') AS total FROM events WHERE event_type = 'PNL_SAMPLED' AND ts_ms >= ? ORDER BY seq",
      )
      .all(dayStart - 60_000) as { seq: number; ts_ms: number; day: unknown; realized: unknown; total: unknown }[];
    let last: { realized: string; seq: number; ts_ms: number } | undefined;
    let peak: Dec | undefined;
    let samples = 0;
    for (const r of rows) {
      if (r.day !== day || !isDecimalString(r.realized) || !isDecimalString(r.total)) continue;
      const total = new Dec(r.total);
      if (peak === undefined || total.gt(peak)) peak = total;
      last = { realized: r.realized, seq: r.seq, ts_ms: r.ts_ms };
      samples++;
    }
    if (!last || !peak) return null;
    return { day, realized: last.realized, peak_total: peak.toFixed(), last_sample_seq: last.seq, last_sample_ms: last.ts_ms, samples };
  }

  /**
   * The operator's standing command: the last OPERATOR_PAUSED not followed by an OPERATOR_RESUMED,
   * or null. The supervisor raises OPERATOR_PAUSE again from it at start.
   */
  operatorPause(): { seq: number; ts_ms: number; reason: string } | null {
    const r = this.db
      .prepare(
        "SELECT seq, ts_ms, event_type, json_extract(payload, '$.reason') AS reason FROM events WHERE event_type IN ('OPERATOR_PAUSED', 'OPERATOR_RESUMED') ORDER BY seq DESC LIMIT 1",
      )
      .get() as { seq: number; ts_ms: number; event_type: string; reason: unknown } | undefined;
    if (!r || r.event_type !== 'OPERATOR_PAUSED') return null;
    return { seq: r.seq, ts_ms: r.ts_ms, reason: typeof r.reason === 'string' ? r.reason : '(no reason recorded)' };
  }

  /**
   * The symbol quarantines standing at the end of the audit: per symbol, the last
   * SYMBOL_QUARANTINE_IMPOSED (restored ones included) not followed by a SYMBOL_QUARANTINE_LIFTED,
   * with the newest SYMBOL_QUARANTINE_RENEWED after it giving the last sign of the cause. Rows
   * written before these fields existed fall back to the event time (the clean window then runs
   * from the imposition: later, never earlier, than it really started).
   */
  standingQuarantines(): StandingQuarantine[] {
    const rows = this.db
      .prepare(
        "SELECT ts_ms, event_type, payload FROM events WHERE event_type IN ('SYMBOL_QUARANTINE_IMPOSED', 'SYMBOL_QUARANTINE_RENEWED', 'SYMBOL_QUARANTINE_LIFTED') ORDER BY seq",
      )
      .all() as { ts_ms: number; event_type: string; payload: string | null }[];
    const standing = new Map<string, StandingQuarantine>();
    for (const r of rows) {
      const p = parse(r.payload) as Record<string, unknown> | null;
      const symbol = typeof p?.['symbol'] === 'string' ? p['symbol'] : null;
      if (!p || !symbol) continue;
      if (r.event_type === 'SYMBOL_QUARANTINE_LIFTED') {
        standing.delete(symbol);
        continue;
      }
      const prev = standing.get(symbol);
      if (r.event_type === 'SYMBOL_QUARANTINE_RENEWED' && !prev) continue;
      const num = (k: string, dflt: number): number => (typeof p[k] === 'number' && Number.isFinite(p[k]) ? p[k] : dflt);
      const lastBadMs = num('last_bad_ms', r.ts_ms);
      standing.set(symbol, {
        symbol,
        cause: quarantineCause(p['cause']),
        since_ms: prev && r.event_type === 'SYMBOL_QUARANTINE_RENEWED' ? prev.since_ms : num('since_ms', r.ts_ms),
        // Never earlier than a sign already seen: the clean window only moves later.
        last_bad_ms: Math.max(lastBadMs, prev?.last_bad_ms ?? lastBadMs),
        last_bad: typeof p['last_bad'] === 'string' ? p['last_bad'] : (prev?.last_bad ?? '(not recorded)'),
      });
    }
    return [...standing.values()];
  }

  lastSeq(): number {
    return (this.q.lastSeq.get() as { seq: number | null }).seq ?? 0;
  }

  close(): void {
    this.db.close();
  }
}

/** A cause as audited; one not readable is kept as a filter-rejection quarantine (held, not dropped). */
function quarantineCause(c: unknown): QuarantineCause {
  const o = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
  if (o['kind'] === 'STATUS_NOT_TRADING' && typeof o['status'] === 'string') return { kind: 'STATUS_NOT_TRADING', status: o['status'] };
  return {
    kind: 'FILTER_REJECTS',
    rejects: typeof o['rejects'] === 'number' ? o['rejects'] : 0,
    window_ms: typeof o['window_ms'] === 'number' ? o['window_ms'] : 0,
    last_msg: typeof o['last_msg'] === 'string' ? o['last_msg'] : '(cause not readable in the audit)',
  };
}

/** Our own JSON text from the database (or the text itself where it is not JSON). */
function parse(s: string | null): JsonValue {
  if (s === null) return null;
  try {
    return JSON.parse(s) as JsonValue;
  } catch {
    return s;
  }
}
