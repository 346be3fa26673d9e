import { afterEach, describe, expect, it } from 'vitest';
import { orderRole, type ReasonCode } from '@vigil/contracts';
import { advanceGatewayClock, LOAD_TOLERANT_SUPERVISOR, startTrading, waitFor } from './engine-harness.js';
import { SIM_ENGINE } from '../../scripts/lib/sim-profile.ts';

/**
 * Incident 10 of the operations rules on the simulator, over sockets: a symbol quarantined by
 * persistent filter rejections blocks new entries only. The position it holds still gets its
 * protection (or its CLOSE_SAFELY exit) placed at the venue, and once the rejections stop the
 * quarantine is lifted, audited, and the engine allows entries on the symbol again.
 */
type Ev = { seq: number; event_type: string; reason_code: string | null; payload: string };
let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
const reasons = (t: { sup: { modeState: { reasons: readonly { code: ReasonCode }[] } } }) => t.sup.modeState.reasons.map((r) => r.code);
// Longer than the whole test on the wall clock: the window passes only when the test moves the
// gateway's clock past it (advanceGatewayClock), never early on a slow machine.
const CLEAR_MS = 120_000;

describe('symbol quarantine on the simulator', () => {
  it('a position on a symbol quarantined by filter rejections gets its protection at the venue; the quarantine is lifted and audited once the rejections stop', async () => {
    const t = await startTrading({
      extra: {
        // The harness's engine timings, with room for the rejected protection attempts before
        // CLOSE_SAFELY.
        engine: {
          ...SIM_ENGINE,
          protect_attempts_max: 10,
        },
        exchange: { quarantine_clear_ms: CLEAR_MS },
        // A thread starved of CPU on a loaded machine is not a stalled one here.
        supervisor: LOAD_TOLERANT_SUPERVISOR,
      },
    });
    stop = t.stopAll;
    // Every OCO is refused by a filter until the fault is removed: the filled entry cannot be protected.
    await post(`${t.sim.admin}/admin/faults`, { kind: 'reject', route: 'POST /api/v3/orderList/oco', code: -1013, msg: 'Filter failure: PRICE_FILTER' });
    const raised = await waitFor(
      'SYMBOL_QUARANTINED',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = 'SYMBOL_QUARANTINED' ORDER BY seq")[0],
      60_000,
      100,
    );
    expect(JSON.parse(raised.payload)).toMatchObject({ detail: { symbols: ['BTCUSDT'] } });
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED'")).toHaveLength(0);
    await fetch(`${t.sim.admin}/admin/faults`, { method: 'DELETE' });
    // The engine knows: entries on the symbol are blocked.
    await waitFor(
      'entries blocked',
      async () => (await t.sup.hosts.engine.request('entry_check', { symbol: 'BTCUSDT' })).blocked_by.includes('SYMBOL_QUARANTINED'),
      5000,
      50,
    );

    // Protection (or, if the price has run through the stop, the exit) reaches the venue while quarantined.
    const managed = await waitFor(
      'protection or exit placed at the venue',
      () =>
        t.q<Ev>(
          "SELECT * FROM events WHERE seq > ? AND (event_type = 'PROTECTION_PLACED' OR (event_type = 'INTENT_STATE_CHANGED' AND json_extract(payload, '$.kind') = 'EXIT' AND json_extract(payload, '$.to') = 'CONFIRMED')) ORDER BY seq",
          raised.seq,
        )[0],
      30_000,
      100,
    );
    const m = JSON.parse(managed.payload) as { list_client_order_id?: string; client_order_id?: string };
    const state = (await (await fetch(`${t.sim.admin}/admin/state`)).json()) as {
      orders: { clientOrderId: string; side: string }[];
      lists: { listClientOrderId: string; status: string }[];
    };
    if (managed.event_type === 'PROTECTION_PLACED') {
      expect(orderRole(m.list_client_order_id!)).toBe('list');
      expect(state.lists.find((l) => l.listClientOrderId === m.list_client_order_id)).toBeDefined();
    } else {
      expect(orderRole(m.client_order_id!)).toBe('close');
      expect(state.orders.find((o) => o.clientOrderId === m.client_order_id)).toMatchObject({ side: 'SELL' });
    }
    // Still held: the clean window has not passed on the gateway's clock.
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'SYMBOL_QUARANTINE_LIFTED'")).toHaveLength(0);
    expect((await t.sup.hosts.engine.request('entry_check', { symbol: 'BTCUSDT' })).blocked_by).toContain('SYMBOL_QUARANTINED');

    // No rejection since: lifted one clean window later, on rules reloaded TRADING, and audited.
    await advanceGatewayClock(t.sup, CLEAR_MS);
    const lift = await waitFor('SYMBOL_QUARANTINE_LIFTED', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'SYMBOL_QUARANTINE_LIFTED'")[0], 20_000, 100);
    expect(JSON.parse(lift.payload)).toMatchObject({
      symbol: 'BTCUSDT',
      cause: { kind: 'FILTER_REJECTS', last_msg: 'Filter failure: PRICE_FILTER' },
      cleared_by: { status: 'TRADING', quarantine_clear_ms: CLEAR_MS, last_bad: 'filter reject: Filter failure: PRICE_FILTER' },
      quarantined: [],
    });
    expect((JSON.parse(lift.payload) as { cleared_by: { clean_ms: number } }).cleared_by.clean_ms).toBeGreaterThanOrEqual(CLEAR_MS);
    const imposed = t.q<Ev>("SELECT * FROM events WHERE event_type = 'SYMBOL_QUARANTINE_IMPOSED'");
    expect(imposed).toHaveLength(1);
    expect(imposed[0]!.reason_code).toBe('SYMBOL_QUARANTINED');
    expect(JSON.parse(imposed[0]!.payload)).toMatchObject({ symbol: 'BTCUSDT', cause: { kind: 'FILTER_REJECTS' } });
    // The rules the lift rests on were recorded before it.
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'FILTERS_REFRESHED' AND seq < ? AND seq > ?", lift.seq, managed.seq).length).toBeGreaterThan(0);
    await waitFor('SYMBOL_QUARANTINED cleared', () => !reasons(t).includes('SYMBOL_QUARANTINED'), 5000, 50);
    // The supervisor's mode state changes at once; its REASON_CLEARED reaches the audit thread after.
    await waitFor(
      'the clear audited',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_CLEARED' AND reason_code = 'SYMBOL_QUARANTINED'").length > 0,
      5000,
      50,
    );
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_CLEARED' AND reason_code = 'SYMBOL_QUARANTINED'")).toHaveLength(1);
    // The lift was broadcast: the engine no longer blocks entries on the symbol for quarantine.
    await waitFor(
      'entries no longer blocked by quarantine',
      async () => !(await t.sup.hosts.engine.request('entry_check', { symbol: 'BTCUSDT' })).blocked_by.includes('SYMBOL_QUARANTINED'),
      5000,
      50,
    );
  }, 150_000);
});
