import { afterEach, describe, expect, it } from 'vitest';
import { Dec } from '@vigil/core';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin } from '../exchange-sim/helpers.js';
import { startVenue } from '../integration/harness.js';
import { engineDetails, startTrading, waitFor } from './engine-harness.js';

/**
 * What happens to an entry after it left: a partial fill (the rest cancelled at once, the filled
 * part protected) and the re-quote at TTL in both modes (cancel + new, or one cancelReplace call),
 * on the real simulator, real workers and the real audit database.
 */
type Ev = { seq: number; ts_ms: number; event_type: string; decision_id: string | null; order_intent_id: string | null; reason_code: string | null; payload: string };
type Q = <T>(sql: string, ...a: unknown[]) => T[];

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

const STRATEGY = { bar_ms: 200, lookback_bars: 5, vol_bars: 5, hold_bars: 30, stop_vol_mult: '2', take_profit_r: '2', win_rate_prior: '0.5', min_stop_bps: 120, cooldown_ms: 500 };
const payload = (e: Ev): Record<string, unknown> => JSON.parse(e.payload) as Record<string, unknown>;
const created = (q: Q, kind: string): Ev[] => q<Ev>("SELECT * FROM events WHERE event_type = 'INTENT_CREATED' AND json_extract(payload, '$.kind') = ? ORDER BY seq", kind);
const states = (q: Q, intentId: string | null): string[] => q<{ to_state: string }>('SELECT to_state FROM intent_transitions WHERE order_intent_id = ? ORDER BY seq', intentId).map((r) => r.to_state);

/** A venue of our own, so its book can be set before the bot trades on it. */
async function venueWith(liquidity: Record<string, unknown> | null): Promise<ExchangeSim> {
  const sim = await startVenue();
  if (liquidity) await admin(sim, 'POST', '/admin/liquidity', { symbol: 'BTCUSDT', ...liquidity });
  return sim;
}

async function trade(sim: ExchangeSim, extra: Record<string, unknown>) {
  const t = await startTrading({ sim, extra });
  stop = async () => {
    await t.stopAll();
    await sim.close();
  };
  return t;
}

describe('entry management on the simulator', () => {
  it('a partly filled entry: the rest is cancelled at once (not at its TTL), the filled part is OCO-protected, the unprotected window counts from the first fill', async () => {
    // One ask level of 0.001 BTC: a LIMIT entry at the ask for ~0.0039 BTC takes it and rests PARTIALLY_FILLED.
    const sim = await venueWith({ askQty: '0.001', levels: 1 });
    const t = await trade(sim, { strategy: { ...STRATEGY, order_quote_notional: '250', entry_ttl_ms: 60_000, max_requotes: 3 } });
    const cancel = await waitFor('the partial_fill cancel', () => created(t.q, 'CANCEL').find((c) => payload(c)['why'] === 'partial_fill'), 40_000, 100);
    const entry = created(t.q, 'ENTRY').find((e) => payload(e)['client_order_id'] === payload(cancel)['target'])!;
    expect(entry).toBeDefined();
    // Well before the 60 s TTL: within a few seconds of the order leaving.
    expect(cancel.ts_ms - entry.ts_ms).toBeLessThan(5_000);
    await waitFor('the cancel confirmed', () => states(t.q, cancel.order_intent_id).includes('CONFIRMED'), 10_000, 100);
    const placed = await waitFor('protection placed', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED'")[0], 20_000, 100);
    const pp = payload(placed);

    // The venue: the entry ended CANCELED with part of it filled; the OCO covers exactly that part net of the BTC commission.
    const coid = payload(entry)['client_order_id'] as string;
    const state = (await admin(sim, 'GET', '/admin/state')) as { orders: { clientOrderId: string; status: string; executedQty: string; origQty: string }[]; lists: { listClientOrderId: string; status: string }[] };
    const order = state.orders.find((o) => o.clientOrderId === coid)!;
    expect(order.status).toBe('CANCELED');
    expect(new Dec(order.executedQty).gt(0) && new Dec(order.executedQty).lt(order.origQty)).toBe(true);
    const fills = t.q<Ev>("SELECT * FROM events WHERE event_type = 'FILL_RECORDED' AND json_extract(payload, '$.client_order_id') = ?", coid).map(payload);
    const bought = fills.reduce((a, f) => a.add(f['qty'] as string), new Dec(0));
    const fee = fills.filter((f) => f['commission_asset'] === 'BTC').reduce((a, f) => a.add(f['commission'] as string), new Dec(0));
    expect(bought.toFixed(8)).toBe(new Dec(order.executedQty).toFixed(8));
    expect(pp['qty']).toBe(bought.minus(fee).toDecimalPlaces(5, Dec.ROUND_DOWN).toFixed(5));
    expect(state.lists.filter((l) => l.status === 'EXECUTING').map((l) => l.listClientOrderId)).toContain(pp['list_client_order_id']);
    const slot = ((await engineDetails(t.sup))['slots'] as { symbol: string; protection: { kind: string; active: boolean } | null }[]).find((s) => s.symbol === 'BTCUSDT');
    expect(slot?.protection).toMatchObject({ kind: 'OCO', active: true });

    // Unprotected from the first fill (before the cancel was even decided) to the OCO's confirmation.
    expect(pp['unprotected_ms']).toBeGreaterThanOrEqual(placed.ts_ms - cancel.ts_ms);
    // No re-quote of a partly filled entry.
    expect(created(t.q, 'ENTRY').filter((e) => e.decision_id === entry.decision_id)).toHaveLength(1);
  }, 90_000);
});
