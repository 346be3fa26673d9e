import { describe, expect, it } from 'vitest';
import { clientOrderIdFor, listLegId, type EventEnvelope, type OrderReport, type OrderStatus } from '@vigil/contracts';
import { BTCUSDT_PRICE_LOT_RULES } from '@vigil/core';
import { parseConfig } from '@vigil/runtime';
import { ChurnCounter } from './churn.js';
import { IntentBook, type Intent } from './intents.js';
import { Ledger } from './ledger.js';
import { Trader } from './trader.js';
import type { VenueCall } from './venue.js';

/**
 * An OCO list is ALL_DONE as soon as one leg starts executing, while that leg may still be working
 * (a take-profit partly filled, a stop-limit triggered through its limit) and hold the position's
 * coins. Found by two probes: the bot took "list done" for "protection gone", protected or sold the
 * same coins again out of the account's other coins, and booked the over-sale as profit.
 */
const LIST = clientOrderIdFor('oi_p', 'list');
const TP = listLegId(LIST, 'take_profit');
const STOP = listLegId(LIST, 'stop');

const report = (coid: string, status: OrderStatus, executed: string): OrderReport => ({
  symbol: 'BTCUSDT',
  order_id: coid === TP ? 11 : 12,
  order_list_id: 5,
  client_order_id: coid,
  status,
  type: coid === TP ? 'LIMIT_MAKER' : 'STOP_LOSS_LIMIT',
  side: 'SELL',
  price: coid === TP ? '66000.00' : '62800.00',
  orig_qty: '0.00074',
  executed_qty: executed,
  cummulative_quote_qty: '0',
  time_in_force: coid === TP ? null : 'GTC',
  stop_price: coid === TP ? null : '63000.00',
  ts_ms: 1_000_000,
  fills: [],
});

function setup(o: { tp: OrderStatus; stop: OrderStatus; cancel: 'OK' | 'UNKNOWN' | 'REJECTED' }) {
  const r = parseConfig({});
  if (!r.ok) throw new Error('config');
  const events: [string, Record<string, unknown>][] = [];
  const calls: string[] = [];
  const ledger = new Ledger((s) => (s === 'BTCUSDT' ? { base: 'BTC', quote: 'USDT' } : null));
  const intents = new IntentBook({ now: () => 0, make: () => ({}) as EventEnvelope, commit: async () => undefined, record: () => undefined });
  const status: Record<string, OrderStatus> = { [TP]: o.tp, [STOP]: o.stop };
  const call = (async (type: string, input: Record<string, unknown>) => {
    const coid = input['client_order_id'] as string | undefined;
    calls.push(`${type}${coid ? ` ${coid === TP ? 'TP' : coid === STOP ? 'STOP' : coid}` : ''}`);
    switch (type) {
      case 'query_order_list':
        return {
          kind: 'OK',
          body: {
            symbol: 'BTCUSDT',
            order_list_id: 5,
            list_client_order_id: LIST,
            contingency_type: 'OCO',
            list_status_type: 'ALL_DONE',
            list_order_status: 'ALL_DONE',
            orders: [],
            reports: [],
          },
        };
      case 'query_order':
        return { kind: 'OK', body: report(coid!, status[coid!]!, status[coid!] === 'PARTIALLY_FILLED' ? '0.0001' : '0') };
      case 'cancel_order':
        if (o.cancel === 'OK') {
          status[coid!] = 'CANCELED';
          return { kind: 'OK', body: report(coid!, 'CANCELED', '0.0001') };
        }
        return o.cancel === 'UNKNOWN'
          ? { kind: 'UNKNOWN', reason: 'timeout' }
          : { kind: 'REJECTED', code: -2011, msg: 'Unknown order sent.', http_status: 400 };
      default:
        throw new Error(`unexpected ${type}`);
    }
  }) as unknown as VenueCall;
  const t = new Trader({
    cfg: r.config.engine,
    now: () => 1_000_000,
    call: () => call,
    intents,
    ledger,
    churn: new ChurnCounter(() => 0),
    rules: (s) => (s === 'BTCUSDT' ? BTCUSDT_PRICE_LOT_RULES : null),
    quote: () => null,
    event: (type, payload) => void events.push([type, payload as Record<string, unknown>]),
    reason: () => undefined,
    orderTimeoutMs: 1000,
  });
  const protect: Intent = {
    id: 'oi_p',
    kind: 'PROTECT',
    symbol: 'BTCUSDT',
    side: 'SELL',
    client_order_id: LIST,
    corr: {},
    state: 'CONFIRMED',
    created_ms: 0,
    state_ms: 0,
    unknown_since: null,
    not_found_answers: 0,
    last_query_ms: 0,
    detail: {},
  };
  const slot = t.slot('BTCUSDT');
  slot.protection = { kind: 'OCO', intent: protect, list_client_order_id: LIST, leg_ids: [TP, STOP], qty: '0.00074', active: true, placed_ms: 0 };
  const check = (): Promise<void> => (t as unknown as { checkProtection(s: typeof slot): Promise<void> }).checkProtection(slot);
  return { t, slot, check, calls, events, intents };
}

describe('an OCO list that is ALL_DONE with a leg still working', () => {
  it('cancels the working take-profit leg first and only then ends the protection (its fills to be learned)', async () => {
    const x = setup({ tp: 'PARTIALLY_FILLED', stop: 'EXPIRED', cancel: 'OK' });
    await x.check();
    expect(x.calls).toEqual(['query_order_list', 'query_order TP', 'query_order STOP', 'cancel_order TP']);
    expect(x.slot.protection).toBeNull();
    const swapped = x.events.find(([type]) => type === 'PROTECTION_SWAPPED');
    expect(swapped?.[1]['why']).toMatch(/working leg .* cancelled/);
    expect(x.t.pendingTrades.has('BTCUSDT')).toBe(true);
  });

  it('a stop-limit triggered through its limit (NEW, the other leg EXPIRED) is cancelled before anything else is placed', async () => {
    const x = setup({ tp: 'EXPIRED', stop: 'NEW', cancel: 'OK' });
    await x.check();
    expect(x.calls).toContain('cancel_order STOP');
    expect(x.slot.protection).toBeNull();
  });

  it('a cancel with an unknown outcome keeps the protection as it stands (nothing new is placed over a leg that may still sell), and the position is marked unprotected (no stop stands)', async () => {
    const x = setup({ tp: 'PARTIALLY_FILLED', stop: 'EXPIRED', cancel: 'UNKNOWN' });
    expect(x.slot.unprotected_since).toBeNull();
    await x.check();
    expect(x.slot.protection).not.toBeNull();
    expect(x.events.some(([type]) => type === 'PROTECTION_SWAPPED')).toBe(false);
    expect(x.slot.unprotected_since).toBe(1_000_000);
  });

  it('a cancel refused (the leg ended meanwhile) keeps the protection until a later read finds every leg over', async () => {
    const x = setup({ tp: 'PARTIALLY_FILLED', stop: 'EXPIRED', cancel: 'REJECTED' });
    await x.check();
    expect(x.slot.protection).not.toBeNull();
  });

  it('every leg CANCELED (someone else cancelled the list): an alert names the protection, and it ends so the position is protected again', async () => {
    const x = setup({ tp: 'CANCELED', stop: 'CANCELED', cancel: 'OK' });
    await x.check();
    const alert = x.events.find(([type]) => type === 'ALERT_RAISED');
    expect(alert?.[1]).toMatchObject({ symbol: 'BTCUSDT', detail: expect.stringContaining('cancelled outside the bot') });
    expect(x.slot.protection).toBeNull();
  });

  it('with every leg over (FILLED and EXPIRED) the protection ends at once, nothing cancelled, no alert', async () => {
    const x = setup({ tp: 'FILLED', stop: 'EXPIRED', cancel: 'OK' });
    await x.check();
    expect(x.calls.some((c) => c.startsWith('cancel_order'))).toBe(false);
    expect(x.slot.protection).toBeNull();
    expect(x.events.some(([type]) => type === 'ALERT_RAISED')).toBe(false);
  });
});

describe('a sale larger than the position', () => {
  it('realizes only the part the bot owned (no profit from coins that were not its own)', () => {
    const ledger = new Ledger(() => ({ base: 'BTC', quote: 'USDT' }));
    ledger.apply({ symbol: 'BTCUSDT', side: 'BUY', price: '100', qty: '1', commission: '0', commission_asset: 'USDT', trade_id: 1, ts_ms: 0 });
    ledger.apply({ symbol: 'BTCUSDT', side: 'SELL', price: '110', qty: '2', commission: '0', commission_asset: 'USDT', trade_id: 2, ts_ms: 1 });
    const p = ledger.position('BTCUSDT');
    expect(p.qty).toBe('0');
    expect(Number(p.realized)).toBe(10);
  });
});
