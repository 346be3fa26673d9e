import { mkdirSync, mkdtempSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { REASON_CODES, type Mode, type ReasonCode } from '@vigil/contracts';
import { SIM_KEY } from '../integration/harness.js';
import { SIM_ENTRY_TTL_MS } from '../../scripts/lib/sim-profile.ts';
import { auditTail, breakoutNow, engineDetails, LOAD_TOLERANT_SUPERVISOR, startTrading, waitFor, TEST_STRATEGY } from '../engine/engine-harness.js';

/**
 * The fault matrix of docs/RELIABILITY.md (second table; `npm run chaos` runs this file and reads
 * the rows back from $CHAOS_FAULTS_OUT). Each row: an in-process supervisor with real workers, the
 * real simulator and reviewer over sockets; the fault injected through the venue's or the
 * reviewer's admin API (or the worker fault hooks, or the database itself); the strictest mode and
 * the reasons seen; then the fault cleared and the time until the system is back to NORMAL.
 * Reasons the rules make manual ("require intervention") are not cleared: recovery is "manual".
 */
type T = Awaited<ReturnType<typeof startTrading>>;
type Ev = { seq: number; event_type: string; decision_id: string | null; order_intent_id: string | null; reason_code: string | null; payload: string };
interface Row {
  readonly n: string;
  readonly incident: string;
  readonly fault: string;
  readonly expected_mode: Mode;
  /** Any of these codes is the expected one. */
  readonly expected: readonly ReasonCode[];
  readonly symbols?: string[];
  readonly extra?: Record<string, unknown>;
  readonly varDir?: () => string;
  /** The fault is there from the start (no NORMAL first). */
  readonly atStart?: boolean;
  /**
   * The fault is armed as the bot starts, before anything it injects on could happen (the first
   * AI review comes after NORMAL): armed after NORMAL, a review could come first and pass.
   */
  readonly armAtBoot?: boolean;
  /** A refused start is the expected fail-closed answer when its error matches this (and only then). */
  readonly refusal?: RegExp;
  readonly inject?: (t: T) => Promise<void>;
  /**
   * What the row's incident must also have left behind (audit records, the venue's state), checked
   * once the expected reason is up and before the fault is cleared; a failed check fails the row.
   * The incident tests' own assertions live here, so each incident is driven once (issue 20).
   */
  readonly verify?: { readonly what: string; readonly check: (t: T) => Promise<void> };
  /** Clears the fault (null: the rules require an operator; the row reports "manual"). */
  readonly clear: ((t: T) => Promise<void>) | null;
}
interface Result {
  n: string;
  incident: string;
  fault: string;
  expected_mode: Mode;
  expected_reason: string;
  observed_mode: Mode | null;
  observed_reasons: string[];
  recovery_ms: number | null;
  recovery: string;
  verdict: 'PASS' | 'FAIL';
  note?: string;
  /** Where the row's time went: `name@ms since the row began` (as the crash rows report it). */
  phases: string[];
}
const results: Result[] = [];
afterAll(() => {
  const out = process.env['CHAOS_FAULTS_OUT'];
  // The rows run concurrently and finish in any order: reported in the matrix's order.
  const order = new Map(ROWS.map((r, i) => [r.n, i]));
  results.sort((a, b) => (order.get(a.n) ?? 0) - (order.get(b.n) ?? 0));
  if (out) writeFileSync(out, JSON.stringify({ rows: results }, null, 2));
});

const RANK: Record<Mode, number> = { NORMAL: 0, DEGRADE: 1, PAUSE: 2, EXIT: 3 };
const IGNORED = new Set<string>(['FAULT_HOOKS_ENABLED', 'STARTUP_RECOVER', 'RECOVERY_STABILIZING']);
const post = (url: string, body: unknown): Promise<unknown> => fetch(url, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
const del = (url: string): Promise<unknown> => fetch(url, { method: 'DELETE' }).then((r) => r.json());
const codes = (t: T): string[] => t.sup.modeState.reasons.map((r) => r.code).filter((c) => !IGNORED.has(c));
/**
 * For rows whose question is a stream's or a route's fault, not a position's: a channel of 10,000
 * bars (over half an hour of 200 ms bars) is never complete within a row, so the strategy never
 * enters. An entry filled as the fault begins is a position the fault can leave unprotectable for a
 * moment (its OCO refused against a moved market, its placement answered 429): PROTECTION_MISSING,
 * PAUSE, by design, and another row's question (seen in CI in row 4b, under load).
 */
const NO_ENTRIES = { strategy: { ...TEST_STRATEGY, entry_ttl_ms: SIM_ENTRY_TTL_MS, lookback_bars: 10_000 } };
const TRAIL = {
  engine: { trailing_activate_bps: 1, cycle_interval_ms: 100, reconcile_interval_ms: 1000, manage_only_stable_ms: 300, intent_query_interval_ms: 100 },
};

async function withPosition(t: T, o: { freeze?: boolean } = {}): Promise<{ symbol: string; avg: number }> {
  // Moved into a breakout rather than waiting for the seeded walk's own: under load a slow boot
  // misses the early one, and the next may come after the wait (row 8 waited 40 s for none, once).
  await breakoutNow(t, { ...o, until: 'protected' });
  const placed = await waitFor(
    'protection placed',
    () => t.q<{ payload: string }>("SELECT payload FROM events WHERE event_type = 'PROTECTION_PLACED'")[0],
    40_000,
    100,
  );
  const symbol = (JSON.parse(placed.payload) as { symbol: string }).symbol;
  const pos = t.q<{ payload: string }>("SELECT payload FROM events WHERE event_type = 'POSITION_UPDATED' ORDER BY seq DESC")[0]!;
  return { symbol, avg: Number((JSON.parse(pos.payload) as { avg_price: string }).avg_price) };
}

async function run(row: Row): Promise<Result> {
  const res: Result = {
    n: row.n,
    incident: row.incident,
    fault: row.fault,
    expected_mode: row.expected_mode,
    expected_reason: row.expected.join(' or '),
    observed_mode: null,
    observed_reasons: [],
    recovery_ms: null,
    recovery: '-',
    verdict: 'FAIL',
    phases: [],
  };
  const t00 = Date.now();
  const mark = (name: string): void => void res.phases.push(`${name}@${Date.now() - t00}`);
  let t: T;
  try {
    t = await startTrading({
      symbols: row.symbols ?? ['BTCUSDT'],
      // Rows run side by side on a loaded machine: a starved thread is not a stalled one here.
      extra: { supervisor: LOAD_TOLERANT_SUPERVISOR, ...row.extra },
      ...(row.varDir ? { varDir: row.varDir() } : {}),
    });
    mark('booted');
  } catch (e) {
    // Refusing to start is the fail-closed answer too (never operate without audit).
    res.observed_reasons = [`start refused: ${(e as Error).message.slice(0, 160)}`];
    res.verdict = row.refusal?.test((e as Error).message) ? 'PASS' : 'FAIL';
    res.recovery = 'manual';
    return res;
  }
  try {
    if (row.armAtBoot) {
      await row.inject?.(t);
      await waitFor('NORMAL before the fault acts', () => t.sup.modeState.mode === 'NORMAL' || row.expected.some((c) => codes(t).includes(c)), 30_000, 20);
    } else if (!row.atStart) await waitFor('NORMAL before the fault', () => t.sup.modeState.mode === 'NORMAL', 30_000, 20);
    // A fault there from the start: judged once the boot PAUSE (startup reconcile) is over.
    // The boot PAUSE outlives its reason until the relaxation's MODE_CHANGED is committed, so wait
    // for a mode that follows from the reasons now active (PAUSE only if one of them forces it).
    else
      await waitFor(
        'startup released',
        () =>
          !t.sup.modeState.reasons.some((r) => r.code === 'STARTUP_RECOVER') &&
          (t.sup.modeState.mode !== 'PAUSE' || t.sup.modeState.reasons.some((r) => REASON_CODES[r.code].forces === 'PAUSE')),
        30_000,
        20,
      ).catch(() => undefined);
    // Settled: no entry in flight and no position waiting for its protection. A fault that stops the
    // market data while a fill is being protected leaves that position unpriceable, which is
    // PROTECTION_MISSING (PAUSE) by design: another row's question than the one this row asks
    // (seen once under load in row 4b). A row that wants a position makes it in its inject.
    if (!row.armAtBoot && !row.atStart)
      await waitFor(
        'no entry in flight and every position protected',
        async () =>
          ((await engineDetails(t.sup))['slots'] as { entry: unknown; unprotected_since_ms: number | null }[]).every(
            (s) => s.entry === null && s.unprotected_since_ms === null,
          ),
        30_000,
        20,
      );
    mark('ready');
    if (!row.armAtBoot) await row.inject?.(t);
    mark('injected');
    // The strictest mode and every reason while the fault acts, until the expected reason is up.
    let worst: Mode = 'NORMAL';
    const seen = new Set<string>();
    const end = Date.now() + 30_000;
    for (;;) {
      const m = t.sup.modeState.mode;
      if (RANK[m] > RANK[worst]) worst = m;
      for (const c of codes(t)) seen.add(c);
      const hit = row.expected.some((c) => seen.has(c));
      if ((hit && RANK[worst] >= RANK[row.expected_mode]) || Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    mark('observed');
    res.observed_mode = worst;
    res.observed_reasons = [...seen];
    // A row without entries made none (else the strategy override above no longer does its part).
    const entries =
      row.extra?.['strategy'] === NO_ENTRIES.strategy
        ? t.q<{ n: number }>("SELECT count(*) AS n FROM events WHERE event_type = 'INTENT_CREATED' AND json_extract(payload, '$.kind') = 'ENTRY'")[0]!.n
        : 0;
    const ok = row.expected.some((c) => seen.has(c)) && worst === row.expected_mode && entries === 0;
    // A wrong verdict says why: the reasons raised beside the expected ones, with their payloads.
    if (!ok) {
      const other = [...seen].filter((c) => !row.expected.includes(c as ReasonCode));
      const raised = t.q<{ seq: number; reason_code: string; payload: string }>(
        `SELECT seq, reason_code, payload FROM events WHERE event_type = 'REASON_RAISED' AND reason_code IN (${other.map(() => '?').join(',') || "''"}) ORDER BY seq`,
        ...other,
      );
      res.note = `${entries} entries; raised beside the expected: ${raised.map((x) => `${x.seq} ${x.reason_code} ${x.payload.slice(0, 300)}`).join('; ')}; engine slots ${JSON.stringify((await engineDetails(t.sup).catch(() => ({ slots: 'unreadable' })))['slots'])}; the audit's last events: ${auditTail(t, 60)}`;
    }
    await row.verify?.check(t);
    mark('verified');
    if (row.clear === null) {
      res.recovery = 'manual';
      res.verdict = ok ? 'PASS' : 'FAIL';
      return res;
    }
    const c0 = Date.now();
    await row.clear(t);
    const back = await waitFor('back to NORMAL', () => t.sup.modeState.mode === 'NORMAL' && !row.expected.some((c) => codes(t).includes(c)), 60_000, 5).then(
      () => true,
      () => false,
    );
    mark('recovered');
    res.recovery_ms = back ? Date.now() - c0 : null;
    res.recovery = back ? String(res.recovery_ms) : 'not within 60 s';
    if (!back)
      res.note = `${res.note ? `${res.note}; ` : ''}still ${t.sup.modeState.mode}: ${codes(t).join(', ')}; ${JSON.stringify(t.q("SELECT count(*) AS n, max(seq) AS s FROM events WHERE event_type = 'FILTERS_REFRESHED'"))} ${JSON.stringify(t.q("SELECT reason_code, count(*) AS n FROM events WHERE event_type IN ('REASON_RAISED','REASON_CLEARED') GROUP BY 1"))}`;
    res.verdict = ok && back ? 'PASS' : 'FAIL';
    return res;
  } catch (e) {
    // The audit's tail says where the row stood (a CI log is all there is of a failed run).
    res.note = `${(e as Error).message}; the audit's last events: ${auditTail(t)}`;
    return res;
  } finally {
    await t.stopAll();
    mark('stopped');
  }
}

const AI: readonly [string, ReasonCode][] = [
  ['malformed_json', 'AIGATE_PARSE_FAIL'],
  ['schema_invalid', 'AIGATE_SCHEMA_INVALID'],
  ['unknown_reason', 'AIGATE_REASON_UNKNOWN'],
  ['modify_increase_qty', 'AIGATE_MODIFY_INVALID'],
  ['modify_loosen_stop', 'AIGATE_MODIFY_INVALID'],
  ['modify_change_symbol', 'AIGATE_MODIFY_INVALID'],
  ['slow', 'AIGATE_TIMEOUT'],
  ['http_429', 'AIGATE_TRANSPORT_ERROR'],
  ['http_500', 'AIGATE_TRANSPORT_ERROR'],
];

const ROWS: Row[] = [
  {
    n: '1',
    incident: 'timestamp / signature rejected',
    fault: 'venue clock 30 s behind (sim clock_skew)',
    expected_mode: 'PAUSE',
    expected: ['CLOCK_DRIFT', 'TIMESTAMP_REJECTED'],
    extra: { exchange: { time_sync_interval_ms: 1000 } },
    inject: async (t) => void (await post(`${t.sim.admin}/admin/faults`, { kind: 'clock_skew', ms: -30_000 })),
    clear: async (t) => void (await del(`${t.sim.admin}/admin/faults`)),
  },
  {
    n: '2',
    incident: 'user data stream unstable',
    fault: 'venue terminates the user stream (eventStreamTerminated)',
    expected_mode: 'DEGRADE',
    expected: ['USER_STREAM_TERMINATED', 'USER_STREAM_UNSTABLE'],
    inject: async (t) => void (await post(`${t.sim.admin}/admin/user-stream/terminate`, {})),
    clear: async () => undefined, // one-shot: the gateway resubscribes by itself
  },
  {
    n: '3',
    incident: 'protection swap failed',
    fault: 'order/test rejected (-1013 TRAILING_DELTA) when the OCO is to become a trailing stop',
    expected_mode: 'PAUSE',
    expected: ['PROTECTION_SWAP_FAILED'],
    // Held past the swap whatever the machine's speed: the row is about the swap, not the time exit.
    extra: { ...TRAIL, strategy: { ...TEST_STRATEGY, entry_ttl_ms: SIM_ENTRY_TTL_MS, hold_bars: 600 } },
    inject: async (t) => {
      await post(`${t.sim.admin}/admin/faults`, { kind: 'reject', route: 'POST /api/v3/order/test', code: -1013, msg: 'Filter failure: TRAILING_DELTA' });
      // A calm market frozen from the entry on, as the incident tests' swaps have it: on a loaded
      // machine the seeded walk can take the position away (a stop, the time exit) before the
      // engine's swap. Once, under a full suite beside two soaks, the row waited 30 s in NORMAL.
      await post(`${t.sim.admin}/admin/regime`, { symbol: 'BTCUSDT', regime: 'calm' });
      const p = await withPosition(t, { freeze: true });
      await post(`${t.sim.admin}/admin/price`, { symbol: p.symbol, price: (p.avg * 1.004).toFixed(2) });
    },
    verify: {
      what: 'the OCO kept at the venue, the failed step recorded with the order state',
      check: async (t) => {
        const placed = await waitFor('the OCO placed', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED' ORDER BY seq")[0], 5000, 50);
        const pp = JSON.parse(placed.payload) as {
          list_client_order_id: string;
        };
        const ev = await waitFor(
          'the swap record',
          () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_SWAPPED' AND reason_code = 'PROTECTION_SWAP_FAILED'")[0],
          5000,
          50,
        );
        expect(JSON.parse(ev.payload)).toMatchObject({ ok: false, step: 'validate', kept: pp.list_client_order_id, order_state: 'OCO active' });
        const state = (await (await fetch(`${t.sim.admin}/admin/state`)).json()) as { lists: { listClientOrderId: string; status: string }[] };
        expect(state.lists.find((l) => l.listClientOrderId === pp.list_client_order_id)?.status).toBe('EXECUTING');
      },
    },
    clear: null,
  },
  {
    n: '4a',
    incident: 'WS down',
    fault: 'market stream dropped (sim ws_disconnect)',
    expected_mode: 'DEGRADE',
    expected: ['WS_DISCONNECTED', 'WS_UNSTABLE', 'WS_STALE'],
    extra: NO_ENTRIES,
    inject: async (t) => void (await post(`${t.sim.admin}/admin/faults`, { kind: 'ws_disconnect', once: true })),
    clear: async () => undefined, // one-shot: the gateway reconnects by itself
  },
  {
    n: '4b',
    incident: 'WS silent (connected, nothing flows)',
    fault: 'market stream stalled (sim ws_stall)',
    expected_mode: 'DEGRADE',
    expected: ['WS_STALE'],
    // The venue ticks every 100 ms: 2 s of silence is unmistakable (the 10 s default only made the
    // row wait 10 s for the same reason).
    extra: { ...NO_ENTRIES, exchange: { ws_stale_ms: 2000 } },
    inject: async (t) => void (await post(`${t.sim.admin}/admin/faults`, { kind: 'ws_stall' })),
    clear: async (t) => void (await del(`${t.sim.admin}/admin/faults`)),
  },
  {
    n: '5',
    incident: 'rate limit 429',
    fault: '429 window of 3 s on every route (sim rate_limit_429)',
    expected_mode: 'DEGRADE',
    expected: ['RATE_LIMIT'],
    extra: NO_ENTRIES,
    inject: async (t) => void (await post(`${t.sim.admin}/admin/faults`, { kind: 'rate_limit_429', once: true, ms: 3000 })),
    clear: async () => undefined, // the window ends by itself
  },
  {
    n: '6',
    incident: 'DB lock/busy, persistent',
    fault: 'another connection holds an exclusive lock on audit.sqlite for 4 s',
    expected_mode: 'PAUSE',
    expected: ['DB_BUSY_PERSISTENT'],
    extra: { audit: { busy_timeout_ms: 20, db_busy_persistent_ms: 1500 } },
    inject: lockAuditDb,
    // Persistent: the rules say PAUSE "and require action"; DB_BUSY_PERSISTENT is cleared only by an operator.
    clear: null,
  },
  {
    n: '6b',
    incident: 'DB lock/busy, transient',
    fault: 'an exclusive lock on audit.sqlite, released before it is persistent',
    expected_mode: 'DEGRADE',
    expected: ['DB_BUSY_TRANSIENT'],
    extra: { audit: { busy_timeout_ms: 20, db_busy_persistent_ms: 5000 } },
    inject: lockAuditDb,
    clear: unlockAuditDb,
  },
  {
    n: '6c',
    incident: 'full writer queue',
    fault: 'audit.sqlite locked with a 100-event writer queue (the smallest allowed): the queue fills (the supervisor adds 150 health samples)',
    expected_mode: 'PAUSE',
    expected: ['DB_WRITER_QUEUE_FULL'],
    extra: { audit: { busy_timeout_ms: 20, db_busy_persistent_ms: 600_000, audit_writer_queue_capacity: 100 } },
    // The bot alone fills 100 places in ~10 s; a burst from a real producer (the supervisor's own
    // audit client, as the load test's pressure does) fills them at once.
    inject: async (t) => {
      await lockAuditDb(t);
      for (let i = 0; i < 150; i++) t.sup.audit.append(t.sup.events.make('HEALTH_SAMPLED', { chaos_6c: i }));
    },
    // Events were dropped (DB_WRITER_DROPPED): the rules require an operator.
    clear: null,
  },
  {
    n: '8',
    incident: 'reconcile drift above tolerance',
    fault: "the account's base balance set to 0 under an open position",
    expected_mode: 'PAUSE',
    expected: ['DRIFT_LIMIT_EXCEEDED'],
    extra: {
      engine: { reconcile_tolerance_steps: 0, cycle_interval_ms: 100, reconcile_interval_ms: 1000, manage_only_stable_ms: 300, intent_query_interval_ms: 100 },
    },
    inject: async (t) => {
      const p = await withPosition(t);
      await post(`${t.sim.admin}/admin/balance`, { apiKey: SIM_KEY.apiKey, asset: p.symbol.replace('USDT', ''), free: '0' });
    },
    verify: {
      what: 'the diff and a BAD reconcile run recorded',
      check: async (t) => {
        const diff = await waitFor(
          'the diff row',
          () => t.q<{ kind: string; detail: string }>("SELECT * FROM reconcile_diffs WHERE kind = 'POSITION_EXCEEDS_BALANCE'")[0],
          5000,
          50,
        );
        expect(JSON.parse(diff.detail)).toMatchObject({ balance: expect.any(String), position: expect.any(String), tolerance: '0' });
        await waitFor('a BAD reconcile run', () => t.q<{ drift: string }>("SELECT drift FROM reconcile_runs WHERE drift = 'BAD'").length > 0, 5000, 50);
      },
    },
    clear: null,
  },
  {
    n: '9a',
    incident: 'low disk (DEGRADE threshold)',
    fault: 'disk_free_degrade_bytes set above the free space at start',
    expected_mode: 'DEGRADE',
    expected: ['DISK_LOW_DEGRADE'],
    atStart: true,
    extra: { audit: { disk_free_degrade_bytes: freeBytes() * 2, disk_free_pause_bytes: 0, disk_check_interval_ms: 200 } },
    clear: null,
  },
  {
    n: '9b',
    incident: 'low disk (PAUSE threshold)',
    fault: 'disk_free_pause_bytes set above the free space at start',
    expected_mode: 'PAUSE',
    expected: ['DISK_LOW_PAUSE'],
    atStart: true,
    extra: { audit: { disk_free_degrade_bytes: freeBytes() * 3, disk_free_pause_bytes: freeBytes() * 2, disk_check_interval_ms: 200 } },
    clear: null,
  },
  {
    n: '10',
    incident: 'symbol not TRADING',
    fault: 'ETHUSDT set to HALT at the venue (BTCUSDT trades on)',
    expected_mode: 'NORMAL',
    expected: ['SYMBOL_NOT_TRADING', 'SYMBOL_QUARANTINED'],
    symbols: ['BTCUSDT', 'ETHUSDT'],
    // The quarantine is lifted one clean window after the symbol trades again.
    extra: { exchange: { filters_max_age_ms: 2000, quarantine_clear_ms: 2000 } },
    inject: async (t) => void (await post(`${t.sim.admin}/admin/symbol`, { symbol: 'ETHUSDT', status: 'HALT' })),
    clear: async (t) => void (await post(`${t.sim.admin}/admin/symbol`, { symbol: 'ETHUSDT', status: 'TRADING' })),
  },
  {
    n: '11',
    incident: 'excessive churn',
    fault: 'resting entries re-quoted every 400 ms against a cancel-replace limit of 2 per 10 s',
    expected_mode: 'DEGRADE',
    expected: ['RISK_CANCEL_REPLACE_LIMIT_HIT', 'RISK_CHURN_LIMIT_HIT'],
    extra: {
      strategy: {
        ...TEST_STRATEGY,
        entry_ttl_ms: 400,
        entry_offset_bps: 80,
        max_requotes: 5,
      },
      risk: { churn_limit_10s: 50, churn_limit_60s: 200, cancel_replace_limit_10s: 2, cancel_replace_limit_60s: 10 },
    },
    verify: {
      what: "each decision's re-quotes numbered in order and never above its first price, never three re-quotes within 10 s, at least three cancels",
      check: async (t) => {
        // Which decision meets the limit is timing: under load a re-quote can be refused for a reason
        // of its own (a stale quote, the audit's lag; each refusal is a RISK_VERDICT_GIVEN with
        // requote true), and the next decision's re-quotes then fill the window. The limit's promise
        // is not timing: at most two re-quotes in any 10 s (a re-quote is allowed only while fewer
        // than two were recorded in the last 10 s, and its intent is created after that check).
        const rows = (kind: string): (Ev & { ts_ms: number })[] =>
          t.q<Ev & { ts_ms: number }>("SELECT * FROM events WHERE event_type = 'INTENT_CREATED' AND json_extract(payload, '$.kind') = ? ORDER BY seq", kind);
        const entries = rows('ENTRY').map((e) => {
          const p = JSON.parse(e.payload) as { price: string; requote?: number };
          return { decision: e.decision_id, ts: e.ts_ms, price: Number(p.price), requote: p.requote ?? 0 };
        });
        const refusals = t
          .q<Ev>("SELECT * FROM events WHERE event_type = 'RISK_VERDICT_GIVEN' AND json_extract(payload, '$.requote') = 1")
          .map((e) => e.payload);
        const why = JSON.stringify({ entries, refusals });
        const decisions = new Map<string | null, typeof entries>();
        for (const e of entries) decisions.set(e.decision, [...(decisions.get(e.decision) ?? []), e]);
        for (const [, own] of decisions) {
          expect(
            own.map((e) => e.requote),
            why,
          ).toEqual(own.map((_, i) => i));
          for (const e of own.slice(1)) expect(e.price, why).toBeLessThanOrEqual(own[0]!.price);
        }
        // The limit was reached by re-quotes: two of them within 10 s.
        const requotes = entries.filter((e) => e.requote > 0);
        expect(requotes.length, why).toBeGreaterThanOrEqual(2);
        for (let i = 0; i + 2 < requotes.length; i++) expect(requotes[i + 2]!.ts - requotes[i]!.ts, why).toBeGreaterThanOrEqual(10_000);
        // The third cancel (the last re-quote's TTL ending, with no re-quote allowed) can follow the
        // reason by a TTL and a round trip: waited for.
        const cancels = await waitFor(
          'three CANCEL intents',
          () => {
            const r = rows('CANCEL');
            return r.length >= 3 ? r : null;
          },
          5000,
          50,
        ).catch(() => rows('CANCEL'));
        expect(cancels.length, why).toBeGreaterThanOrEqual(3);
      },
    },
    clear: async () => undefined, // the windows roll on by themselves
  },
  {
    n: 'A',
    incident: 'audit-worker death',
    fault: 'the audit worker thread terminated',
    expected_mode: 'PAUSE',
    expected: ['AUDIT_WORKER_EXITED'],
    inject: async (t) => void (await t.sup.hosts.audit.kill()),
    clear: async () => undefined, // the supervisor restarts it
  },
  {
    n: 'B1',
    incident: 'unwritable DB (in flight)',
    // Real refusals by SQLite at the writer's own INSERT (chmod does not stop root, which the tests
    // may run as; a trigger does): every write fails until the trigger is dropped again.
    fault: 'another connection adds a trigger that makes SQLite refuse every insert into events',
    expected_mode: 'PAUSE',
    expected: ['AUDIT_DB_UNUSABLE', 'DB_WRITE_FAILED'],
    inject: async (t) => {
      const db = new Database(join(t.varDir, 'data', 'audit.sqlite'));
      try {
        db.pragma('busy_timeout = 5000');
        db.exec("CREATE TRIGGER chaos_unwritable BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'database unwritable (chaos B1)'); END;");
      } finally {
        db.close();
      }
    },
    clear: async (t) => {
      const db = new Database(join(t.varDir, 'data', 'audit.sqlite'));
      try {
        db.pragma('busy_timeout = 5000');
        db.exec('DROP TRIGGER chaos_unwritable');
      } finally {
        db.close();
      }
    },
  },
  {
    n: 'B2',
    incident: 'unwritable DB (at start)',
    fault: 'var/data/audit.sqlite is a directory: the database cannot be opened',
    expected_mode: 'PAUSE',
    expected: ['AUDIT_DB_UNUSABLE', 'DB_WRITE_FAILED', 'AUDIT_WORKER_EXITED', 'AUDIT_WORKER_ERROR'],
    atStart: true,
    // The audit worker cannot open its database: the start is refused (no audit, no operation).
    refusal: /^audit worker went down during start: .*unable to open database file/,
    varDir: () => {
      const d = mkdtempSync(join(tmpdir(), 'vigil-unwritable-'));
      mkdirSync(join(d, 'data', 'audit.sqlite'), { recursive: true });
      writeFileSync(join(d, 'LIVE.ok'), '');
      return d;
    },
    clear: null,
  },
  ...AI.map(([mode, code], i): Row => ({
    n: `7${'abcdefghi'[i]}`,
    incident: `AI gate failure: ${mode}`,
    fault: `reviewer answers ${mode}${mode === 'slow' ? ' (after the 4 s timeout)' : ''}`,
    expected_mode: 'PAUSE',
    expected: [code],
    armAtBoot: true,
    inject: async (t) => void (await post(`${t.reviewer.adminUrl}/admin/mode`, { mode, delay_ms: 5000 })),
    verify: {
      what: 'both audit records written, no order, no further review',
      check: async (t) => {
        const gate = t.q<{ verdict: string; error_code: string }>('SELECT * FROM ai_gate_events')[0];
        expect(gate).toMatchObject({ verdict: 'ERROR', error_code: code });
        expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'AIGATE_CALL' AND reason_code = ?", code)).toHaveLength(1);
        expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'INTENT_CREATED'")).toHaveLength(0);
        await new Promise((r) => setTimeout(r, 800));
        expect(t.q('SELECT * FROM ai_gate_events')).toHaveLength(1);
      },
    },
    clear: null,
  })),
];
const locks = new Map<string, Database.Database>();

/** Another connection takes an exclusive lock on the bot's audit database (rows 6, 6b, 6c). */
async function lockAuditDb(t: T): Promise<void> {
  const db = new Database(join(t.varDir, 'data', 'audit.sqlite'));
  db.exec('BEGIN EXCLUSIVE');
  locks.set(t.varDir, db);
}

async function unlockAuditDb(t: T): Promise<void> {
  const db = locks.get(t.varDir)!;
  locks.delete(t.varDir);
  db.exec('ROLLBACK');
  db.close();
}

// A row whose recovery is manual leaves its lock held: released once the matrix is done.
afterAll(() => {
  for (const db of locks.values()) db.close();
  locks.clear();
});

function freeBytes(): number {
  const s = statfsSync(tmpdir());
  return s.bavail * s.bsize;
}

// Each row has its own venue, reviewer, supervisor and var dir, and mostly waits (on the market, on
// windows, on the reviewer): up to VIGIL_FAULT_ROW_CONCURRENCY (2) rows run at once. Not three: with
// three (86 s -> 51 s alone at load 8), row 11's timing (entries re-quoted every 400 ms) failed in
// two full runs of the suite, at load 18 and at load 4, its first decision re-quoted once, not twice.
vi.setConfig({ maxConcurrency: Number(process.env['VIGIL_FAULT_ROW_CONCURRENCY'] ?? 2) });

describe.concurrent('fault matrix', () => {
  for (const row of ROWS.filter((r) => !process.env['CHAOS_FAULT_ROWS'] || process.env['CHAOS_FAULT_ROWS'].split(',').includes(r.n))) {
    it(`${row.n} ${row.incident}: ${row.expected_mode} / ${row.expected.join('|')}${row.verify ? `; ${row.verify.what}` : ''}`, async () => {
      const r = await run(row);
      results.push(r);
      expect(r, JSON.stringify(r)).toMatchObject({ verdict: 'PASS' });
    }, 150_000);
  }
});
