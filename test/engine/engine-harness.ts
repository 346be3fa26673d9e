import Database from 'better-sqlite3';
import { join } from 'node:path';
import { startReviewer, type Reviewer } from '../../apps/ai-reviewer/src/server.js';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import type { Supervisor } from '../../apps/supervisor/src/supervisor.js';
import { SIM_STRATEGY, simTradingOverrides } from '../../scripts/lib/sim-profile.ts';
import { startSupervisor, startVenue, waitFor } from '../integration/harness.js';

/** The key the engine thread reads from the environment; a canary for the secret checks too. */
export const AI_KEY = 'sk-test-canary-0123456789abcdefABCDEF';

/** The strategy every engine test trades with: the simulator trading profile's (scripts/lib/sim-profile.ts). */
export const TEST_STRATEGY = SIM_STRATEGY;

/** Timings and strategy parameters that make the whole cycle visible in seconds on the simulator. */
export function tradingOverrides(reviewer: Reviewer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...simTradingOverrides(reviewer.baseUrl), ...extra };
}

export async function startTrading(
  o: { symbols?: string[]; sim?: ExchangeSim; reviewer?: Reviewer; varDir?: string; extra?: Record<string, unknown>; seed?: number } = {},
) {
  process.env['OPENAI_API_KEY'] = AI_KEY;
  const reviewer = o.reviewer ?? (await startReviewer({ apiKey: AI_KEY }));
  const sim = o.sim ?? (await startVenue(o.seed));
  const overrides = tradingOverrides(reviewer, o.extra);
  // Exchange settings of `extra` (timings) are kept; the venue's addresses and the symbols win.
  const ex = {
    exchange: {
      ...((overrides['exchange'] as Record<string, unknown> | undefined) ?? {}),
      rest_base_url: sim.rest,
      ws_market_url: sim.ws,
      ws_api_url: `${sim.ws}/ws-api/v3`,
      symbols: o.symbols ?? ['BTCUSDT'],
    },
  };
  const s = await startSupervisor({ ...overrides, ...ex, ...(o.varDir ? { paths: { var_dir: o.varDir } } : {}) }, sim).catch(async (e: unknown) => {
    // A refused start leaves nothing of ours running: the venue and reviewer started here go too.
    if (!o.sim) await sim.close();
    if (!o.reviewer) await reviewer.close();
    throw e;
  });
  const db = () => new Database(join(s.varDir, 'data', 'audit.sqlite'), { readonly: true });
  const q = <T>(sql: string, ...args: unknown[]): T[] => {
    const d = db();
    try {
      return d.prepare(sql).all(...args) as T[];
    } finally {
      d.close();
    }
  };
  const stopAll = async (): Promise<void> => {
    await s.sup.stop('test end');
    if (!o.sim) await sim.close();
    if (!o.reviewer) await reviewer.close();
  };
  return { ...s, sim, reviewer, q, stopAll };
}

export async function engineDetails(sup: {
  hosts: { engine: { request: (t: 'status', i: Record<string, never>) => Promise<{ details: Record<string, unknown> }> } };
}): Promise<Record<string, unknown>> {
  return (await sup.hosts.engine.request('status', {})).details;
}

/**
 * Moves the engine thread's clock forward by `ms` (the `advance_clock` fault hook): the engine's
 * back-offs and windows see that time pass at once. The venue, the gateway and the supervisor keep
 * the wall clock. Throws when the hook was not applied (fault hooks off).
 */
export async function advanceEngineClock(sup: { hosts: { engine: { request: Supervisor['hosts']['engine']['request'] } } }, ms: number): Promise<void> {
  const r = await sup.hosts.engine.request('fault', { fault: { kind: 'advance_clock', ms } });
  if (!r.applied) throw new Error('the engine clock was not advanced (fault hooks disabled?)');
}

/**
 * Moves the gateway thread's clock forward by `ms`: its order desk (symbol quarantines, their clean
 * window) sees that time pass at once; the audit's timestamps, the venue, the engine and the
 * supervisor keep the wall clock. A restarted gateway starts again on the wall clock. Throws when
 * the hook was not applied (fault hooks off).
 */
export async function advanceGatewayClock(sup: { hosts: { gateway: { request: Supervisor['hosts']['gateway']['request'] } } }, ms: number): Promise<void> {
  const r = await sup.hosts.gateway.request('fault', { fault: { kind: 'advance_clock', ms } });
  if (!r.applied) throw new Error('the gateway clock was not advanced (fault hooks disabled?)');
}

export { waitFor };

/**
 * Supervisor timings for engine tests that do not test stall detection, on a loaded 2-core
 * machine: a worker thread starved of CPU for half a second (seen at load 20) is not declared
 * stalled and restarted (a restart costs that test a new thread and a new startup reconcile, 10 s
 * and more at that load). Stall detection itself is tested with the FAST timings
 * (test/integration). Pass as `extra: { supervisor: LOAD_TOLERANT_SUPERVISOR }`. A stall is 4 s of
 * silence, within the config's bound of two heartbeat intervals. It was 2 s, then 3 s: each was
 * crossed once in a full `npm test` (2026-12-06), the second by an engine at its first decision while
 * the suite's first minute ran eight bots' boots beside the checks (four integration forks).
 */
export const LOAD_TOLERANT_SUPERVISOR = {
  request_timeout_ms: 5000,
  heartbeat_interval_ms: 2000,
  worker_stall_timeout_ms: 4000,
  worker_mode_timeout_ms: 4000,
  // Four threads loading their modules at once, at that load, took more than the 15 s default.
  worker_ready_timeout_ms: 45_000,
} as const;

/**
 * Makes `symbol` break out now instead of waiting for the seeded path's own first breakout (with
 * some seeds 5-10 s after the engine is released, more when the boot was slow and the early one
 * was missed). Once the engine may enter (its entry check passes, its bars are warmed up), the
 * venue's price is moved `bps` above its last price: the bar that closes there closes above the
 * channel's high. Returns once an ENTRY intent for `symbol` exists (with `until: 'gate'`, once the
 * engine went to the AI gate with a decision: for tests of what the gate does with it). While no
 * decision follows in the engine's next cycles (the channel held a higher price), or a decision was
 * refused (cost, gate, risk), the price is moved again from there. The venue's own random
 * walk goes on around the new price; only the moment of the first breakout is the test's. With
 * `freeze`, the market stops ticking from the call on (quotes keep flowing at one price): the entry
 * then meets the book the decision saw, however long the machine takes to send it. With
 * `until: 'protected'`, returns once the engine holds a protection on `symbol` (kicking again while
 * an entry of the call's ends unfilled); `entriesBefore` counts only the entries after that many. A
 * failure names the mode, its reasons, the engine's slots and the audit's last 40 events.
 */
export async function breakoutNow(t: BreakoutBot, o: BreakoutOptions = {}): Promise<void> {
  try {
    await kick(t, o);
  } catch (e) {
    // A CI log is all there is of a failed run: say where the bot stood.
    throw new Error(`${(e as Error).message}\n${await whereItStands(t)}`, { cause: e });
  }
}

type BreakoutBot = { sim: ExchangeSim; sup: Supervisor; q: <T>(sql: string, ...a: unknown[]) => T[] };
type BreakoutOptions = { symbol?: string; bps?: number; timeoutMs?: number; freeze?: boolean; until?: 'entry' | 'gate' | 'protected'; entriesBefore?: number };
/** What the protected flow's inner kicks also end on: the engine holding a protection on the symbol. */
type KickOptions = BreakoutOptions & { readonly done?: () => Promise<boolean> };

/**
 * The audit's last `n` events, oldest first, as `seq TYPE[/REASON]` (or why they could not be read);
 * a raise's payload too (a stall's silence, a lag's gap: what a failed run's log has to say why).
 */
export function auditTail(t: { q: <T>(sql: string, ...a: unknown[]) => T[] }, n = 40): string {
  try {
    return t
      .q<{ seq: number; event_type: string; reason_code: string | null; payload: string }>(
        'SELECT seq, event_type, reason_code, payload FROM events ORDER BY seq DESC LIMIT ?',
        n,
      )
      .reverse()
      .map((x) => `${x.seq} ${x.event_type}${x.reason_code ? `/${x.reason_code}` : ''}${x.event_type === 'REASON_RAISED' ? ` ${x.payload.slice(0, 200)}` : ''}`)
      .join(', ');
  } catch (e) {
    return `unreadable (${(e as Error).message})`;
  }
}

/** The mode, its reasons, the engine's slots and the audit's tail: what a failed wait reports. */
async function whereItStands(t: BreakoutBot): Promise<string> {
  const m = t.sup.modeState;
  let slots: string;
  try {
    slots = JSON.stringify((await engineDetails(t.sup))['slots']);
  } catch (e) {
    slots = `unreadable (${(e as Error).message})`;
  }
  return `mode ${m.mode} (${m.reasons.map((r) => r.code).join(', ')}); engine slots ${slots}; the audit's last events: ${auditTail(t)}`;
}

async function kick(t: BreakoutBot, o: KickOptions): Promise<void> {
  const symbol = o.symbol ?? 'BTCUSDT';
  const count = (sql: string, ...args: unknown[]): number => t.q<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE ${sql}`, ...args)[0]!.n;
  const entries = (): number =>
    count("event_type = 'INTENT_CREATED' AND json_extract(payload, '$.kind') = 'ENTRY' AND json_extract(payload, '$.symbol') = ?", symbol);
  const timeoutMs = o.timeoutMs ?? 40_000;
  if (o.until === 'protected') {
    // An entry made before the call (from bars before a freeze) can rest below the frozen book
    // until its TTL ends: seen once under a full suite, as a 40 s wait for a protection. What counts
    // is the engine holding a protection on the symbol now (one placed before the call included: a
    // held position takes no new entry); an entry whose order ends unfilled is followed by another
    // breakout.
    const protectedNow = async (): Promise<boolean> =>
      ((await engineDetails(t.sup))['slots'] as { symbol: string; protection: unknown }[] | undefined)?.some(
        (s) => s.symbol === symbol && s.protection !== null,
      ) ?? false;
    // Entries of the call's own (from `seq0` on) whose orders ended without a fill. The engine can
    // enter again within a cycle of such an end, so "the newest entry ended" may never be seen.
    const seq0 = t.q<{ s: number | null }>('SELECT max(seq) AS s FROM events')[0]!.s ?? 0;
    const endedUnfilled = (): number =>
      count(
        `event_type = 'ORDER_UPDATED' AND json_extract(payload, '$.status') IN ('CANCELED', 'EXPIRED', 'EXPIRED_IN_MATCH', 'REJECTED')
         AND CAST(json_extract(payload, '$.executed_qty') AS REAL) = 0
         AND json_extract(payload, '$.client_order_id') IN (SELECT json_extract(payload, '$.client_order_id') FROM events
           WHERE seq > ? AND event_type = 'INTENT_CREATED' AND json_extract(payload, '$.kind') = 'ENTRY' AND json_extract(payload, '$.symbol') = ?)`,
        seq0,
        symbol,
      );
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (await protectedNow()) return;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no protected position on ${symbol} within ${timeoutMs} ms (${entries()} entries, ${endedUnfilled()} ended unfilled)`);
      const unfilled = endedUnfilled();
      // An entry of before the call may have filled with its protection still on its way: the slot
      // is busy (no cycles, no decisions) until the protection stands, so the kick ends on that too.
      await kick(t, { ...o, until: 'entry', entriesBefore: entries(), timeoutMs: left, done: protectedNow });
      const outcome = await waitFor(
        'the entry protected, or ended unfilled',
        async () => ((await protectedNow()) ? 'protected' : endedUnfilled() > unfilled ? 'unfilled' : null),
        Math.max(1, end - Date.now()),
        50,
      ).catch(() => 'out of time');
      if (outcome === 'protected') return;
    }
  }
  const decisions = (): number =>
    count("event_type = 'DECISION_PROPOSED' AND coalesce(json_extract(payload, '$.decision.symbol'), json_extract(payload, '$.symbol')) = ?", symbol);
  const entered = (): boolean =>
    o.until === 'gate' ? count("event_type = 'STAGE_CHANGED' AND json_extract(payload, '$.to') = 'AIGATE_CALL'") > 0 : entries() > (o.entriesBefore ?? 0);
  const done = o.done ?? ((): Promise<boolean> => Promise.resolve(false));
  const warm = SIM_STRATEGY.lookback_bars + 2;
  // Frozen from before the kick: no bar of the seeded walk breaks out while the test waits.
  if (o.freeze) t.sim.exchange.paused = true;
  await waitFor(
    'the engine ready to enter',
    async () => {
      if (entered() || (await done())) return true;
      const check = await t.sup.hosts.engine.request('entry_check', { symbol });
      const bars = ((await engineDetails(t.sup))['bars'] as Record<string, number> | undefined)?.[symbol] ?? 0;
      return check.allowed && bars >= warm;
    },
    timeoutMs,
    50,
  );
  // Cycles of the engine that looked at `symbol` (one per closed bar while its slot is free; none
  // while a decision on it is at the gate or its entry works). A decision's own records come before
  // those of the cycles after it.
  const cycles = (): number => count("event_type = 'CYCLE_INPUTS_RECORDED' AND instr(payload, ?) > 0", `"symbol":"${symbol}"`);
  const after = (n: number): Promise<'decided' | 'quiet'> => {
    const before = { decisions: decisions(), cycles: cycles() };
    return waitFor(
      `a decision on ${symbol} or ${n} cycles without one`,
      async () => (entered() || decisions() > before.decisions || (await done()) ? 'decided' : cycles() >= before.cycles + n ? 'quiet' : null),
      timeoutMs,
      20,
    );
  };
  const end = Date.now() + timeoutMs;
  while (!entered() && !(await done())) {
    if (Date.now() > end) throw new Error(`no ${o.until ?? 'entry'} on ${symbol} after moving its price up (${decisions()} decisions)`);
    // Not while a decision on the bars so far may be on its way (its entry would be left below the
    // kicked market): the engine first looks at two more bars without deciding.
    let state = await after(2);
    if (state === 'quiet') {
      const last = t.sim.exchange.books.get(symbol)!.last;
      const kicked = after(4);
      t.sim.exchange.setPrice(symbol, last + (last * BigInt(o.bps ?? 30)) / 10_000n);
      state = await kicked;
    }
    // A decision goes through the cost check, the gate and risk before its intent: give it time on a
    // loaded machine; one refused on the way (its edge too thin for the cost) is followed by another kick.
    if (state === 'decided') await waitFor('its entry', async () => entered() || (await done()), 10_000, 20).catch(() => false);
  }
}
