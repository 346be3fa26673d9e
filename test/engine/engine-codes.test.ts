import { describe, expect, it, vi } from 'vitest';
import type { ReasonCode } from '@vigil/contracts';
import { SIM_KEY, startVenue } from '../integration/harness.js';
import { createRestClient } from '../../packages/gateway/src/rest-client.js';
import { createRateGovernor } from '../../packages/gateway/src/rate-limits.js';
import { breakoutNow, LOAD_TOLERANT_SUPERVISOR, startTrading, waitFor } from './engine-harness.js';

/**
 * Engine reason codes made to happen with real workers, the real audit database and the simulator:
 * the venue is faulted (or changed behind the bot's back) and the test waits for the engine's own
 * reason, audited as REASON_RAISED, and where the reason is auto-cleared, for its clearing.
 */
type Ev = { seq: number; event_type: string; reason_code: string | null; payload: string };
// Each test has its own venue, reviewer, supervisor and var dir, and mostly waits (on the market,
// back-offs, reconcile intervals): two run at once, each ending what it started (onTestFinished).
vi.setConfig({ maxConcurrency: 2 });
// A thread starved of CPU by the tests beside it is not a stalled one here.
const SUP = { supervisor: LOAD_TOLERANT_SUPERVISOR };

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
const reasons = (t: { sup: { modeState: { reasons: readonly { code: ReasonCode }[] } } }) => t.sup.modeState.reasons.map((r) => r.code);
const raisedRow = (t: { q: <T>(sql: string, ...a: unknown[]) => T[] }, code: ReasonCode) =>
  t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = ? ORDER BY seq", code)[0];
const clearedAfter = (t: { q: <T>(sql: string, ...a: unknown[]) => T[] }, code: ReasonCode, seq: number) =>
  t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_CLEARED' AND reason_code = ? AND seq > ? ORDER BY seq", code, seq)[0];
const ENGINE = { cycle_interval_ms: 100, reconcile_interval_ms: 1000, manage_only_stable_ms: 300, intent_query_interval_ms: 100 };

describe.concurrent('engine reason codes on the simulator', () => {
  it('a refused protection raises PROTECTION_MISSING (PAUSE); it clears once a later protection is placed', async ({ onTestFinished }) => {
    const t = await startTrading({ extra: { ...SUP, engine: { ...ENGINE, protect_attempts_max: 5, trailing_enabled: false } } });
    onTestFinished(t.stopAll);
    // The first OCO only is refused (not a filter failure: no quarantine); the retry goes through.
    await post(`${t.sim.admin}/admin/faults`, {
      kind: 'reject',
      once: true,
      route: 'POST /api/v3/orderList/oco',
      code: -2010,
      msg: 'Account has insufficient balance for requested action.',
    });
    // The first breakout made now, the market frozen from there: the entry fills at the ask it saw.
    await breakoutNow(t, { freeze: true });
    const raised = await waitFor('PROTECTION_MISSING raised', () => raisedRow(t, 'PROTECTION_MISSING'), 40_000, 50);
    expect(JSON.parse(raised.payload)).toMatchObject({ detail: { why: expect.stringMatching(/^protection failed/), failures: 1 } });
    await waitFor('protection placed', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED' AND seq > ?", raised.seq)[0], 20_000, 50);
    await waitFor('PROTECTION_MISSING cleared', () => clearedAfter(t, 'PROTECTION_MISSING', raised.seq), 20_000, 50);
    expect(reasons(t)).not.toContain('PROTECTION_MISSING');
  }, 90_000);

  it('an unprotected position past unprotected_max_ms with no fresh quote raises MARKET_STATE_LOST', async ({ onTestFinished }) => {
    const t = await startTrading({
      extra: { ...SUP, engine: { ...ENGINE, protect_attempts_max: 10, trailing_enabled: false, unprotected_max_ms: 300, quote_max_age_ms: 500 } },
    });
    onTestFinished(t.stopAll);
    // Every OCO refused: the position stays unprotected.
    await post(`${t.sim.admin}/admin/faults`, {
      kind: 'reject',
      route: 'POST /api/v3/orderList/oco',
      code: -2010,
      msg: 'Account has insufficient balance for requested action.',
    });
    // The first breakout made now, the market frozen from there: the entry fills at the ask it saw.
    await breakoutNow(t, { freeze: true });
    await waitFor('PROTECTION_MISSING raised', () => raisedRow(t, 'PROTECTION_MISSING'), 40_000, 50);
    expect(raisedRow(t, 'MARKET_STATE_LOST')).toBeUndefined();
    // Then the market stream goes silent: the book the protection would be priced from ages out.
    await post(`${t.sim.admin}/admin/faults`, { kind: 'ws_stall' });
    const lost = await waitFor('MARKET_STATE_LOST raised', () => raisedRow(t, 'MARKET_STATE_LOST'), 20_000, 50);
    expect(JSON.parse(lost.payload)).toMatchObject({ detail: { symbols: ['BTCUSDT'] } });
  }, 90_000);

  it('a startup reconcile whose venue reads fail raises STARTUP_RECONCILE_FAILED and keeps the boot PAUSE; it clears once the venue answers', async ({
    onTestFinished,
  }) => {
    const sim = await startVenue();
    // Armed before the bot starts: its first reconcile cannot read the open orders.
    await post(`${sim.admin}/admin/faults`, {
      kind: 'reject',
      route: 'GET /api/v3/openOrders',
      status: 503,
      code: -1001,
      msg: 'Internal error; unable to process your request. Please try again.',
    });
    const t = await startTrading({ sim, extra: { ...SUP, engine: ENGINE } });
    onTestFinished(async () => {
      await t.stopAll();
      await sim.close();
    });
    const raised = await waitFor('STARTUP_RECONCILE_FAILED raised', () => raisedRow(t, 'STARTUP_RECONCILE_FAILED'), 30_000, 50);
    expect(t.sup.modeState.mode).toBe('PAUSE');
    expect(reasons(t)).toContain('STARTUP_RECOVER');
    await fetch(`${sim.admin}/admin/faults`, { method: 'DELETE' });
    await waitFor('STARTUP_RECONCILE_FAILED cleared', () => clearedAfter(t, 'STARTUP_RECONCILE_FAILED', raised.seq), 30_000, 50);
    await waitFor('released from STARTUP_RECOVER', () => !reasons(t).includes('STARTUP_RECOVER'), 30_000, 50);
  }, 90_000);

  it('a periodic reconcile whose venue reads fail raises RECONCILE_FAILED (DEGRADE); it clears on the next good one', async ({ onTestFinished }) => {
    const t = await startTrading({ extra: { ...SUP, engine: ENGINE } });
    onTestFinished(t.stopAll);
    await waitFor('released from STARTUP_RECOVER', () => !reasons(t).includes('STARTUP_RECOVER'), 30_000, 50);
    await post(`${t.sim.admin}/admin/faults`, {
      kind: 'reject',
      route: 'GET /api/v3/openOrders',
      status: 503,
      code: -1001,
      msg: 'Internal error; unable to process your request. Please try again.',
    });
    const raised = await waitFor('RECONCILE_FAILED raised', () => raisedRow(t, 'RECONCILE_FAILED'), 20_000, 50);
    expect(raisedRow(t, 'STARTUP_RECONCILE_FAILED')).toBeUndefined();
    await waitFor('DEGRADE or worse', () => t.sup.modeState.mode !== 'NORMAL', 5000, 20);
    await fetch(`${t.sim.admin}/admin/faults`, { method: 'DELETE' });
    await waitFor('RECONCILE_FAILED cleared', () => clearedAfter(t, 'RECONCILE_FAILED', raised.seq), 20_000, 50);
  }, 90_000);

  it('an order of ours the state does not track, found at reconcile, is drift within tolerance: RECONCILE_DRIFT (DEGRADE), the diff recorded', async ({
    onTestFinished,
  }) => {
    const t = await startTrading({ extra: { ...SUP, engine: { ...ENGINE, drift_bad_after_ms: 600_000 } } });
    onTestFinished(t.stopAll);
    await waitFor('released from STARTUP_RECOVER', () => !reasons(t).includes('STARTUP_RECOVER'), 30_000, 50);
    // Someone places, with the bot's key, a resting BUY whose clientOrderId carries the bot's prefix
    // but no kind the bot would adopt or cancel (not an entry, not a trailing stop).
    const rest = createRestClient({
      baseUrl: t.sim.rest,
      apiKey: SIM_KEY.apiKey,
      secret: SIM_KEY.secretKey,
      recvWindowMs: 5000,
      readTimeoutMs: 2000,
      orderTimeoutMs: 2000,
      clock: { localNow: Date.now, exchangeNow: Date.now },
      governor: createRateGovernor([]),
      sleep: async () => {},
    });
    try {
      const placed = await rest.signed(
        'POST',
        '/api/v3/order',
        { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.00100', price: '40000.00', newClientOrderId: 'vgzUntracked1' },
        { weight: 1, kind: 'order' },
      );
      expect(placed.kind).toBe('OK');
    } finally {
      rest.close();
    }
    const raised = await waitFor('RECONCILE_DRIFT raised', () => raisedRow(t, 'RECONCILE_DRIFT'), 20_000, 50);
    expect(JSON.parse(raised.payload)).toMatchObject({ detail: { diffs: expect.any(Number) } });
    expect(reasons(t)).not.toContain('DRIFT_LIMIT_EXCEEDED');
    const diff = await waitFor(
      'the diff row',
      () => t.q<{ kind: string; detail: string }>("SELECT * FROM reconcile_diffs WHERE kind = 'UNTRACKED_ORDER'")[0],
      5000,
      50,
    );
    expect(JSON.parse(diff.detail)).toMatchObject({ client_order_id: 'vgzUntracked1' });
  }, 90_000);
});
