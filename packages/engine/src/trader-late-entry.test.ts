import { describe, expect, it } from 'vitest';
import type { EventEnvelope, OrderReport } from '@vigil/contracts';
import { BTCUSDT_PRICE_LOT_RULES } from '@vigil/core';
import { parseConfig } from '@vigil/runtime';
import { ChurnCounter } from './churn.js';
import { IntentBook, type Intent } from './intents.js';
import { Ledger } from './ledger.js';
import { Trader } from './trader.js';
import type { VenueCall } from './venue.js';

/**
 * An entry declared NOT_FOUND (the venue answered "does not exist" for as long as the bound, the user
 * stream silent) that had filled was forgotten: coins bought, never protected, its trade taken for
 * someone else's. Such an entry is asked about again for a while; found, its fills are learned.
 */
describe('an entry declared NOT_FOUND that turns up at the venue', () => {
  it('is asked about again after LATE_WATCH_EVERY_MS; found FILLED, its order id is registered as ours, its trades are read again from its creation, and an alert says so', async () => {
    const r = parseConfig({});
    if (!r.ok) throw new Error('config');
    let now = 1_000_000;
    let found = false;
    const events: [string, Record<string, unknown>][] = [];
    const intents = new IntentBook({ now: () => now, make: () => ({}) as EventEnvelope, commit: async () => undefined, record: () => undefined });
    const report = (coid: string): OrderReport => ({
      symbol: 'BTCUSDT',
      order_id: 77,
      order_list_id: -1,
      client_order_id: coid,
      status: 'FILLED',
      type: 'LIMIT',
      side: 'BUY',
      price: '64000.00',
      orig_qty: '0.001',
      executed_qty: '0.001',
      cummulative_quote_qty: '64',
      time_in_force: 'GTC',
      stop_price: null,
      ts_ms: now,
      fills: [],
    });
    const call = (async (type: string, input: { client_order_id: string }) => {
      if (type !== 'query_order') throw new Error(`unexpected ${type}`);
      return found ? { kind: 'OK', body: report(input.client_order_id) } : { kind: 'REJECTED', code: -2013, msg: 'Order does not exist.', http_status: 400 };
    }) as unknown as VenueCall;
    const t = new Trader({
      cfg: r.config.engine,
      now: () => now,
      call: () => call,
      intents,
      ledger: new Ledger(() => ({ base: 'BTC', quote: 'USDT' })),
      churn: new ChurnCounter(() => 0),
      rules: () => BTCUSDT_PRICE_LOT_RULES,
      quote: () => null,
      event: (type, payload) => void events.push([type, payload as Record<string, unknown>]),
      reason: () => undefined,
      orderTimeoutMs: 1000,
    });
    const i: Intent = await intents.create('ENTRY', 'BTCUSDT', 'BUY', 'entry', {}, { stop_price: '63000', take_profit_price: '66000' });
    intents.transition(i, 'SENT_UNKNOWN', 'INTENT_SENT_UNKNOWN');
    const internals = t as unknown as { notFoundAnswer(i: Intent, now: number): void; askLate(): Promise<void>; lastTradeId: Map<string, number> };
    for (let k = 0; k < r.config.engine.not_found_min_queries; k++) {
      now += r.config.engine.not_found_after_ms;
      internals.notFoundAnswer(i, now);
    }
    expect(i.state).toBe('NOT_FOUND');
    t.lastTradeId.set('BTCUSDT', 500);
    // Still "does not exist": watched on.
    now += 15_000;
    await internals.askLate();
    expect(t.pendingTrades.has('BTCUSDT')).toBe(false);
    found = true;
    now += 15_000;
    await internals.askLate();
    expect(t.pendingTrades.has('BTCUSDT')).toBe(true);
    expect(t.lastTradeId.has('BTCUSDT')).toBe(false);
    expect(t.tradesStart('BTCUSDT', now)).toBeLessThanOrEqual(i.created_ms);
    expect(events.find(([type]) => type === 'ALERT_RAISED')?.[1]['detail']).toMatch(/declared NOT_FOUND, is at the venue \(FILLED/);
    // Once found, not asked again.
    t.pendingTrades.delete('BTCUSDT');
    now += 15_000;
    await internals.askLate();
    expect(t.pendingTrades.has('BTCUSDT')).toBe(false);
  });
});
