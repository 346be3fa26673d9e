import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi, type OnTestFinishedHandler } from 'vitest';
import type { ReasonCode } from '@vigil/contracts';
import { startVenue } from '../integration/harness.js';
import { startReviewer } from '../../apps/ai-reviewer/src/server.js';
import { advanceEngineClock, AI_KEY, breakoutNow, LOAD_TOLERANT_SUPERVISOR, startTrading, waitFor, TEST_STRATEGY } from './engine-harness.js';
import { SIM_ENGINE } from '../../scripts/lib/sim-profile.ts';

/**
 * The operations rules' incidents, driven through the simulator's and the reviewer's fault
 * injection against real workers, the real database and real sockets. Each asserts the mode, the
 * reason code and the audit trail (and, where the rules say so, the recovery).
 */
type Ev = { seq: number; event_type: string; order_intent_id: string | null; reason_code: string | null; payload: string };
// Each test has its own venue, reviewer, supervisor and var dir, and mostly waits (on the market,
// back-offs, the reviewer): two run at once, each ending what it started (onTestFinished).
vi.setConfig({ maxConcurrency: 2 });
// A thread starved of CPU by the tests beside it is not a stalled one here.
const SUP = { supervisor: LOAD_TOLERANT_SUPERVISOR };

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
const reasons = (t: { sup: { modeState: { reasons: readonly { code: ReasonCode }[] } } }) => t.sup.modeState.reasons.map((r) => r.code);
const transitions = (t: { q: <T>(sql: string, ...a: unknown[]) => T[] }) =>
  t
    .q<Ev>("SELECT * FROM events WHERE event_type = 'INTENT_STATE_CHANGED' ORDER BY seq")
    .map((e) => ({ ...e, p: JSON.parse(e.payload) as Record<string, unknown> }));

/**
 * A bot whose position is OCO-protected in a calm, then frozen market, with `fault` armed at the
 * venue, and the price moved into profit (short of the take-profit): the engine starts its swap to a
 * trailing stop. Calm: on a loaded machine a volatile stretch can stop the position out first.
 */
async function swapWithFault(onEnd: (f: OnTestFinishedHandler) => void, fault: Record<string, unknown>) {
  const t = await startTrading({
    extra: {
      ...SUP,
      engine: { trailing_activate_bps: 1, cycle_interval_ms: 100, reconcile_interval_ms: 1000, manage_only_stable_ms: 300, intent_query_interval_ms: 100 },
    },
  });
  onEnd(t.stopAll);
  await post(`${t.sim.admin}/admin/regime`, { symbol: 'BTCUSDT', regime: 'calm' });
  await breakoutNow(t, { freeze: true, until: 'protected' });
  const placed = await waitFor('protection placed', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED'")[0], 30_000, 100);
  const pp = JSON.parse(placed.payload) as { symbol: string; list_client_order_id: string };
  await post(`${t.sim.admin}/admin/market`, { paused: true });
  await post(`${t.sim.admin}/admin/faults`, fault);
  const avg = Number(
    (JSON.parse(t.q<Ev>("SELECT * FROM events WHERE event_type = 'POSITION_UPDATED' ORDER BY seq DESC")[0]!.payload) as { avg_price: string }).avg_price,
  );
  await post(`${t.sim.admin}/admin/price`, { symbol: pp.symbol, price: (avg * 1.004).toFixed(2) });
  return { t, pp };
}

// Each test that needs a position or an entry makes its first breakout (breakoutNow) rather than
// waiting for the seeded path's; where the market's later moves are not under test it stands still
// from there (freeze), as the swap tests already made it once protected.
// The AI gate failures, the failed swap validation, BAD reconcile drift and excessive churn are
// driven once, by their rows of the fault matrix (test/chaos/fault-matrix.test.ts), which assert
// what these tests asserted besides the mode and the reason.
describe.concurrent('incidents on the simulator', () => {
  it('a lost order reply (executed at the venue) is SENT_UNKNOWN, resolved by clientOrderId, never resent', async ({ onTestFinished }) => {
    const t = await startTrading({ extra: SUP });
    onTestFinished(t.stopAll);
    await post(`${t.sim.admin}/admin/faults`, { kind: 'drop_response_after_execute', route: 'POST /api/v3/order', once: true });
    await breakoutNow(t, { freeze: true });
    const resolved = await waitFor('entry resolved', () => transitions(t).find((e) => e.p['kind'] === 'ENTRY' && e.p['from'] === 'SENT_UNKNOWN'), 30_000, 100);
    expect(resolved.p['to']).toBe('CONFIRMED');
    expect(resolved.p['resolved_by']).toBe('query_order');
    const coid = resolved.p['client_order_id'] as string;
    const raised = t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = 'INTENT_SENT_UNKNOWN'");
    expect(raised.length).toBeGreaterThan(0);
    await waitFor('INTENT_SENT_UNKNOWN cleared', () => !reasons(t).includes('INTENT_SENT_UNKNOWN'), 5000, 50);
    // Exactly one order with that clientOrderId ever reached the venue, and it got protected.
    const state = (await (await fetch(`${t.sim.admin}/admin/state`)).json()) as { orders: { clientOrderId: string }[] };
    expect(state.orders.filter((o) => o.clientOrderId === coid)).toHaveLength(1);
    await waitFor('protected', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED'").length > 0, 10_000, 100);
  }, 90_000);

  it('an order that never executed (HTTP 5xx) becomes NOT_FOUND only after repeated -2013 answers over time', async ({ onTestFinished }) => {
    const t = await startTrading({ extra: SUP });
    onTestFinished(t.stopAll);
    await post(`${t.sim.admin}/admin/faults`, { kind: 'http_5xx', route: 'POST /api/v3/order', once: true, execute: false, status: 503 });
    await breakoutNow(t, { freeze: true });
    const nf = await waitFor('NOT_FOUND', () => transitions(t).find((e) => e.p['to'] === 'NOT_FOUND'), 30_000, 100);
    expect(nf.p['answers']).toBeGreaterThanOrEqual(2);
    expect(nf.p['waited_ms']).toBeGreaterThanOrEqual(1000);
    const before = transitions(t)
      .filter((e) => e.order_intent_id === nf.order_intent_id)
      .map((e) => e.p['to']);
    expect(before).toEqual(['SENT_UNKNOWN', 'NOT_FOUND']);
    const state = (await (await fetch(`${t.sim.admin}/admin/state`)).json()) as { orders: { clientOrderId: string }[] };
    expect(state.orders.filter((o) => o.clientOrderId === nf.p['client_order_id'])).toHaveLength(0);
  }, 90_000);

  for (const c of [
    // The 429 blocks the gateway (RATE_LIMIT, DEGRADE) for its window: the later try waits for that to end first.
    {
      name: 'its validation throttled (429)',
      fault: { kind: 'rate_limit_429', route: 'POST /api/v3/order/test', once: true },
      step: 'validate',
      blocks: 'RATE_LIMIT',
    },
    {
      name: 'its cancel answered 503 without executing (unknown, the list still executing)',
      fault: { kind: 'http_5xx', status: 503, execute: false, route: 'DELETE /api/v3/orderList', once: true },
      step: 'cancel',
      blocks: null,
    },
  ]) {
    it(`a swap step that changed nothing at the venue (${c.name}) is deferred, not failed: no PAUSE, the OCO stands, the swap completes on a later try`, async ({
      onTestFinished,
    }) => {
      const { t, pp } = await swapWithFault(onTestFinished, c.fault);
      const deferred = await waitFor(
        'the deferred swap',
        () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_SWAPPED' AND json_extract(payload, '$.deferred') = 1")[0],
        15_000,
        50,
      );
      expect(JSON.parse(deferred.payload)).toMatchObject({ ok: false, deferred: true, step: c.step, kept: pp.list_client_order_id });
      expect(deferred.reason_code).toBeNull();
      const state = (await (await fetch(`${t.sim.admin}/admin/state`)).json()) as { lists: { listClientOrderId: string; status: string }[] };
      expect(state.lists.find((l) => l.listClientOrderId === pp.list_client_order_id)?.status).toBe('EXECUTING');
      // The later try comes in NORMAL only, after the deferral's back-off: 5 s doubling with each
      // deferral (the lifecycle's rule). Once the block is over and NORMAL is back, the engine's
      // clock is moved past that back-off instead of sleeping through it.
      const cleared = (code: string): boolean => t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_CLEARED' AND reason_code = ?", code).length > 0;
      await waitFor('NORMAL again', () => (c.blocks === null || cleared(c.blocks)) && t.sup.modeState.mode === 'NORMAL', 30_000, 50);
      const deferrals = t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_SWAPPED' AND json_extract(payload, '$.deferred') = 1").length;
      await advanceEngineClock(t.sup, 5_000 * 2 ** (deferrals - 1));
      const swapped = await waitFor(
        'the swap on a later try',
        () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_SWAPPED' AND json_extract(payload, '$.ok') = 1")[0],
        30_000,
        100,
      );
      expect((JSON.parse(swapped.payload) as { to: string }).to).toBe('TRAILING');
      expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = 'PROTECTION_SWAP_FAILED'")).toHaveLength(0);
    }, 90_000);
  }

  it('a swap whose trailing stop is acknowledged but not yet visible to GET /order completes on the acknowledgement: no second protection, no PAUSE', async ({
    onTestFinished,
  }) => {
    // The venue's read side lags: an order younger than 3 s is -2013 to GET /order.
    const { t } = await swapWithFault(onTestFinished, { kind: 'query_not_found', ms: 3000 });
    const swapped = await waitFor(
      'swap',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_SWAPPED' AND json_extract(payload, '$.ok') = 1")[0],
      15_000,
      50,
    );
    const sw = JSON.parse(swapped.payload) as { to: string; client_order_id: string };
    expect(sw.to).toBe('TRAILING');
    await new Promise((r) => setTimeout(r, 1500));
    const state = (await (await fetch(`${t.sim.admin}/admin/state`)).json()) as {
      orders: { clientOrderId: string; status: string; side: string }[];
      lists: { listClientOrderId: string; status: string }[];
    };
    // Exactly one protection stands: the trailing stop; no fresh OCO beside it.
    expect(state.lists.filter((l) => l.status === 'EXECUTING')).toEqual([]);
    expect(state.orders.filter((o) => o.side === 'SELL' && o.status === 'NEW').map((o) => o.clientOrderId)).toEqual([sw.client_order_id]);
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = 'PROTECTION_SWAP_FAILED'")).toHaveLength(0);
  }, 90_000);

  it('a position in profit swaps its OCO for a trailing stop: validated first, the gap measured, the trailing stop verified at the venue', async ({
    onTestFinished,
  }) => {
    const t = await startTrading({
      extra: {
        ...SUP,
        engine: { trailing_activate_bps: 1, cycle_interval_ms: 100, reconcile_interval_ms: 1000, manage_only_stable_ms: 300, intent_query_interval_ms: 100 },
      },
    });
    onTestFinished(t.stopAll);
    await breakoutNow(t, { freeze: true, until: 'protected' });
    const placed = await waitFor('protection placed', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED'")[0], 30_000, 100);
    const pp = JSON.parse(placed.payload) as { symbol: string; list_client_order_id: string };
    await post(`${t.sim.admin}/admin/market`, { paused: true });
    const avg = Number(
      (JSON.parse(t.q<Ev>("SELECT * FROM events WHERE event_type = 'POSITION_UPDATED' ORDER BY seq DESC")[0]!.payload) as { avg_price: string }).avg_price,
    );
    await post(`${t.sim.admin}/admin/price`, { symbol: pp.symbol, price: (avg * 1.004).toFixed(2) });
    const swapped = await waitFor(
      'swap',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_SWAPPED' AND json_extract(payload, '$.ok') = 1")[0],
      15_000,
      50,
    );
    const sw = JSON.parse(swapped.payload) as { to: string; unprotected_ms: number; client_order_id: string };
    expect(sw.to).toBe('TRAILING');
    expect(sw.unprotected_ms).toBeGreaterThanOrEqual(0);
    const state = (await (await fetch(`${t.sim.admin}/admin/state`)).json()) as {
      orders: { clientOrderId: string; status: string; type: string }[];
      lists: { listClientOrderId: string; status: string }[];
    };
    expect(state.lists.find((l) => l.listClientOrderId === pp.list_client_order_id)?.status).toBe('ALL_DONE');
    expect(state.orders.find((o) => o.clientOrderId === sw.client_order_id)).toMatchObject({ status: 'NEW', type: 'STOP_LOSS' });
    expect(t.sup.modeState.reasons.map((r) => r.code)).not.toContain('PROTECTION_SWAP_FAILED');
  }, 90_000);

  /** A position in profit, protected by an OCO, with `fault` set on the trailing stop's placement. */
  async function swapWith(onEnd: (f: OnTestFinishedHandler) => void, fault: Record<string, unknown>) {
    const t = await startTrading({
      extra: {
        ...SUP,
        engine: {
          trailing_activate_bps: 1,
          ...SIM_ENGINE,
        },
      },
    });
    onEnd(t.stopAll);
    await breakoutNow(t, { freeze: true, until: 'protected' });
    const placed = await waitFor('protection placed', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED'")[0], 30_000, 100);
    const pp = JSON.parse(placed.payload) as { symbol: string; list_client_order_id: string };
    await post(`${t.sim.admin}/admin/faults`, { route: 'POST /api/v3/order', once: true, ...fault });
    await post(`${t.sim.admin}/admin/market`, { paused: true });
    const avg = Number(
      (JSON.parse(t.q<Ev>("SELECT * FROM events WHERE event_type = 'POSITION_UPDATED' ORDER BY seq DESC")[0]!.payload) as { avg_price: string }).avg_price,
    );
    await post(`${t.sim.admin}/admin/price`, { symbol: pp.symbol, price: (avg * 1.004).toFixed(2) });
    const trailing = await waitFor(
      'the trailing stop intent',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'INTENT_CREATED' AND json_extract(payload, '$.replaces') = ?", pp.list_client_order_id)[0],
      15_000,
      50,
    );
    const coid = (JSON.parse(trailing.payload) as { client_order_id: string }).client_order_id;
    const venueState = async () =>
      (await (await fetch(`${t.sim.admin}/admin/state`)).json()) as {
        orders: { clientOrderId: string; status: string; type: string }[];
        lists: { listClientOrderId: string; status: string }[];
      };
    return { t, pp, trailing, coid, venueState };
  }

  it('a swap whose trailing stop reply is lost (placed at the venue): resolved by its clientOrderId, the swap completes, no manual PAUSE', async ({
    onTestFinished,
  }) => {
    const { t, pp, trailing, coid, venueState } = await swapWith(onTestFinished, { kind: 'drop_response_after_execute' });
    const swapped = await waitFor('the swap completed by query', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_SWAPPED'")[0], 15_000, 50);
    expect(JSON.parse(swapped.payload)).toMatchObject({ ok: true, to: 'TRAILING', resolved_by: 'query_order', client_order_id: coid });
    expect(
      t
        .q<{ to_state: string }>('SELECT to_state FROM intent_transitions WHERE order_intent_id = ? ORDER BY seq', trailing.order_intent_id)
        .map((r) => r.to_state),
    ).toEqual(['SENT_UNKNOWN', 'CONFIRMED']);
    const state = await venueState();
    expect(state.lists.find((l) => l.listClientOrderId === pp.list_client_order_id)?.status).toBe('ALL_DONE');
    expect(state.orders.filter((o) => o.clientOrderId === coid)).toMatchObject([{ status: 'NEW', type: 'STOP_LOSS' }]);
    // One protection at the venue: no fresh OCO was placed beside the trailing stop.
    expect(state.lists.filter((l) => l.status === 'EXECUTING')).toEqual([]);
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED'")).toHaveLength(1);
    await waitFor('back to NORMAL', () => t.sup.modeState.mode === 'NORMAL', 15_000, 50);
    expect(reasons(t)).not.toContain('PROTECTION_SWAP_FAILED');
  }, 90_000);

  it('a swap whose trailing stop outcome is unknown and is not at the venue: NOT_FOUND after repeated queries, PROTECTION_SWAP_FAILED, a fresh OCO at once', async ({
    onTestFinished,
  }) => {
    const { t, coid, venueState } = await swapWith(onTestFinished, { kind: 'http_5xx', status: 503, execute: false });
    // A bound for a loaded machine (5-7 s alone; it missed 15 s once in a full run at load ~8).
    await waitFor('PROTECTION_SWAP_FAILED', () => reasons(t).includes('PROTECTION_SWAP_FAILED') && t.sup.modeState.mode === 'PAUSE', 40_000, 50);
    const ev = await waitFor('the swap record', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_SWAPPED'")[0], 5000, 50);
    expect(JSON.parse(ev.payload)).toMatchObject({ ok: false, step: 'place', outcome: { resolved_by: 'query_order', status: 'NOT_FOUND' } });
    const reprotected = await waitFor('a fresh OCO', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED'")[1], 10_000, 50);
    expect(reprotected.seq).toBeGreaterThan(ev.seq);
    const state = await venueState();
    expect(state.orders.filter((o) => o.clientOrderId === coid)).toEqual([]);
    expect(state.lists.filter((l) => l.status === 'EXECUTING')).toHaveLength(1);
  }, 90_000);

  it('a symbol whose exchangeInfo does not allow trailing stops keeps its OCO in profit: no swap is attempted', async ({ onTestFinished }) => {
    const sim = await startVenue();
    sim.exchange.symbols.get('BTCUSDT')!.allowTrailingStop = false;
    const t = await startTrading({
      sim,
      extra: {
        ...SUP,
        engine: { trailing_activate_bps: 1, cycle_interval_ms: 100, reconcile_interval_ms: 1000, manage_only_stable_ms: 300, intent_query_interval_ms: 100 },
      },
    });
    onTestFinished(async () => {
      await t.stopAll();
      await sim.close();
    });
    await breakoutNow(t, { freeze: true, until: 'protected' });
    const placed = await waitFor('protection placed', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED'")[0], 30_000, 100);
    const pp = JSON.parse(placed.payload) as { symbol: string; list_client_order_id: string };
    await post(`${t.sim.admin}/admin/market`, { paused: true });
    const avg = Number(
      (JSON.parse(t.q<Ev>("SELECT * FROM events WHERE event_type = 'POSITION_UPDATED' ORDER BY seq DESC")[0]!.payload) as { avg_price: string }).avg_price,
    );
    await post(`${t.sim.admin}/admin/price`, { symbol: pp.symbol, price: (avg * 1.004).toFixed(2) });
    // The same move swaps within a second where trailing stops are allowed (test above); here 30
    // management passes later nothing was validated, cancelled or placed.
    await new Promise((r) => setTimeout(r, 3000));
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_SWAPPED'")).toEqual([]);
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'REST_CALLED' AND json_extract(payload, '$.path') = '/api/v3/order/test'")).toEqual([]);
    const state = (await (await fetch(`${t.sim.admin}/admin/state`)).json()) as { lists: { listClientOrderId: string; status: string }[] };
    expect(state.lists.find((l) => l.listClientOrderId === pp.list_client_order_id)?.status).toBe('EXECUTING');
    expect(t.sup.modeState.mode).toBe('NORMAL');
  }, 90_000);

  it('a stage that does not progress within its bound raises LOOP_STUCK', async ({ onTestFinished }) => {
    // The model answers after 3.5 s, within the gate's 4 s timeout but beyond the 1 s stage bound.
    const reviewer = await startReviewer({ apiKey: AI_KEY });
    await post(`${reviewer.adminUrl}/admin/mode`, { mode: 'slow', delay_ms: 3500 });
    const t = await startTrading({
      reviewer,
      extra: {
        ...SUP,
        aigate: { base_url: reviewer.baseUrl, model: 'vigil-reviewer-1', timeout_ms: 4000 },
        engine: { stage_stuck_ms: 1000, cycle_interval_ms: 100, reconcile_interval_ms: 1000, manage_only_stable_ms: 300, intent_query_interval_ms: 100 },
      },
    });
    onTestFinished(async () => {
      await t.stopAll();
      await reviewer.close();
    });
    await breakoutNow(t, { until: 'gate' });
    await waitFor('LOOP_STUCK', () => reasons(t).includes('LOOP_STUCK') && t.sup.modeState.mode === 'PAUSE', 30_000, 50);
    // The gate's stage, not the first raise: under load the startup reconcile of this 1 s bound
    // has itself been stuck for a moment (raised and cleared before the breakout).
    const raised = await waitFor(
      'the raise audited',
      () =>
        t.q<Ev>(
          "SELECT * FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = 'LOOP_STUCK' AND json_extract(payload, '$.detail.stage') = 'AIGATE_CALL'",
        )[0],
      5000,
      50,
    );
    expect(JSON.parse(raised.payload)).toMatchObject({ detail: { stage: 'AIGATE_CALL', bound_ms: 1000 } });
    // Progress clears it: the slow answer arrives and the stage moves on.
    await waitFor('LOOP_STUCK cleared', () => !reasons(t).includes('LOOP_STUCK'), 10_000, 50);
  }, 90_000);

  it('protection refused protect_attempts_max times: CLOSE_SAFELY is raised with its exit plan, the position is sold at market, PAUSE until the operator', async ({
    onTestFinished,
  }) => {
    const t = await startTrading({
      extra: {
        ...SUP,
        engine: {
          cycle_interval_ms: 100,
          reconcile_interval_ms: 1000,
          manage_only_stable_ms: 300,
          intent_query_interval_ms: 100,
          protect_attempts_max: 2,
          trailing_enabled: false,
        },
      },
    });
    onTestFinished(t.stopAll);
    // Every OCO refused (not a filter failure: no quarantine), from the first one on.
    await post(`${t.sim.admin}/admin/faults`, {
      kind: 'reject',
      route: 'POST /api/v3/orderList/oco',
      code: -2010,
      msg: 'Account has insufficient balance for requested action.',
    });
    await breakoutNow(t, { freeze: true });
    const raised = await waitFor(
      'CLOSE_SAFELY',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = 'CLOSE_SAFELY'")[0],
      40_000,
      50,
    );
    const detail = (
      JSON.parse(raised.payload) as { detail: { symbol: string; why: string; plan: { side: string; type: string; quantity: string; client_order_id: string } } }
    ).detail;
    expect(detail.why).toMatch(/protection failed 2 times/);
    expect(detail.plan).toMatchObject({ side: 'SELL', type: 'MARKET' });
    expect(Number(detail.plan.quantity)).toBeGreaterThan(0);
    await waitFor('PAUSE', () => t.sup.modeState.mode === 'PAUSE' && reasons(t).includes('CLOSE_SAFELY'), 5000, 20);
    const state = async () =>
      (
        (await (await fetch(`${t.sim.admin}/admin/state`)).json()) as {
          orders: { clientOrderId: string; status: string; side: string; type: string; executedQty: string }[];
        }
      ).orders;
    const exit = await waitFor(
      'the exit filled at the venue',
      async () => (await state()).find((o) => o.clientOrderId === detail.plan.client_order_id && o.status === 'FILLED'),
      10_000,
      50,
    );
    expect(exit).toMatchObject({ side: 'SELL', type: 'MARKET', executedQty: expect.stringMatching(/^0\.000/) });
    expect(Number(exit.executedQty)).toBeCloseTo(Number(detail.plan.quantity), 8);
    // The reason is the operator's to clear: still there after the position is gone.
    await new Promise((r) => setTimeout(r, 1500));
    expect(reasons(t)).toContain('CLOSE_SAFELY');
  }, 90_000);

  it('the operator kill switch file pauses the system and refuses entries', async ({ onTestFinished }) => {
    const t = await startTrading({ extra: SUP });
    onTestFinished(t.stopAll);
    await waitFor('NORMAL', () => t.sup.modeState.mode === 'NORMAL', 15_000, 50);
    writeFileSync(join(t.varDir, 'KILL'), 'operator stop\n');
    await waitFor('KILL_SWITCH_ACTIVE', () => reasons(t).includes('KILL_SWITCH_ACTIVE') && t.sup.modeState.mode === 'PAUSE', 5000, 20);
    const check = await t.sup.hosts.engine.request('entry_check', { symbol: 'BTCUSDT' });
    expect(check.allowed).toBe(false);
    expect(check.blocked_by).toContain('KILL_SWITCH_ACTIVE');
  }, 90_000);

  it('the kill switch cancels a resting entry at the next management pass: nothing that adds risk rests on the venue in PAUSE', async ({ onTestFinished }) => {
    // Entries rest 80 bps under the ask with a TTL far beyond the test: only the halt can end them.
    const t = await startTrading({
      extra: {
        ...SUP,
        strategy: {
          ...TEST_STRATEGY,
          entry_ttl_ms: 600_000,
          entry_offset_bps: 80,
          max_requotes: 0,
        },
      },
    });
    onTestFinished(t.stopAll);
    await breakoutNow(t, { freeze: true });
    const working = await waitFor(
      'a resting entry',
      () => t.q<{ client_order_id: string }>("SELECT client_order_id FROM orders WHERE client_order_id LIKE 'vge%' AND status = 'NEW'")[0],
      40_000,
      50,
    );
    writeFileSync(join(t.varDir, 'KILL'), 'operator stop\n');
    await waitFor('KILL_SWITCH_ACTIVE', () => reasons(t).includes('KILL_SWITCH_ACTIVE') && t.sup.modeState.mode === 'PAUSE', 5000, 20);
    const venueStatus = async () =>
      ((await (await fetch(`${t.sim.admin}/admin/state`)).json()) as { orders: { clientOrderId: string; status: string }[] }).orders.find(
        (o) => o.clientOrderId === working.client_order_id,
      )?.status;
    await waitFor('the entry cancelled at the venue', async () => (await venueStatus()) === 'CANCELED', 10_000, 50);
    const cancel = await waitFor(
      'the CANCEL intent',
      () => t.q<{ payload: string }>("SELECT payload FROM events WHERE event_type = 'INTENT_CREATED' AND json_extract(payload, '$.kind') = 'CANCEL'")[0],
      5000,
      50,
    );
    expect(JSON.parse(cancel.payload)).toMatchObject({ why: 'halt', target: working.client_order_id });
    // And no entry order of ours is left working at the venue.
    const open = ((await (await fetch(`${t.sim.admin}/admin/state`)).json()) as { orders: { clientOrderId: string; status: string }[] }).orders.filter(
      (o) => o.clientOrderId.startsWith('vge') && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'),
    );
    expect(open).toEqual([]);
  }, 90_000);

  it('a halted symbol is quarantined for entries while the others trade', async ({ onTestFinished }) => {
    // Halted before the bot starts: its first exchangeInfo already says so.
    const sim = await startVenue();
    await post(`${sim.admin}/admin/symbol`, { symbol: 'BTCUSDT', status: 'HALT' });
    const t = await startTrading({ symbols: ['BTCUSDT', 'ETHUSDT'], sim, extra: SUP });
    onTestFinished(async () => {
      await t.stopAll();
      await sim.close();
    });
    await waitFor('NORMAL', () => t.sup.modeState.mode === 'NORMAL' || reasons(t).includes('SYMBOL_NOT_TRADING'), 15_000, 50);
    await waitFor(
      'rules say HALT',
      async () => (await t.sup.hosts.engine.request('entry_check', { symbol: 'BTCUSDT' })).blocked_by.includes('SYMBOL_QUARANTINED'),
      15_000,
      100,
    );
    await breakoutNow(t, { symbol: 'ETHUSDT' });
    await waitFor(
      'an ETH entry',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'INTENT_CREATED' AND json_extract(payload, '$.symbol') = 'ETHUSDT'").length > 0,
      40_000,
      100,
    );
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'INTENT_CREATED' AND json_extract(payload, '$.symbol') = 'BTCUSDT'")).toHaveLength(0);
  }, 90_000);
});
