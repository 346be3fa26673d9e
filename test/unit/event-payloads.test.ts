import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type EventPayloads, type PayloadOf } from '@vigil/contracts';
import { EventFactory } from '@vigil/runtime';

/**
 * The typed audit payloads are checked by the compiler (`npm run typecheck`, part of
 * `npm test`): each @ts-expect-error below must be an error, or the type-check fails. At run time,
 * the typed event types are real event types and a typed event keeps its fields.
 */
const f = new EventFactory('run_test', 'engine', () => 1_000);

describe('typed audit payloads', () => {
  it('every typed event type is a catalogued event type, and a typed payload reaches the envelope unchanged', () => {
    const typed: (keyof EventPayloads)[] = [
      'RUN_STARTED',
      'RUN_STOPPED',
      'MODE_CHANGED',
      'STAGE_CHANGED',
      'INTENT_CREATED',
      'INTENT_STATE_CHANGED',
      'ORDER_UPDATED',
      'FILL_RECORDED',
      'POSITION_UPDATED',
      'RECONCILE_COMPLETED',
      'RECONCILE_DIFF',
    ];
    for (const t of typed) expect(EVENT_TYPES).toContain(t);
    const p: PayloadOf<'FILL_RECORDED'> = {
      client_order_id: 'vgeabc',
      symbol: 'BTCUSDT',
      side: 'BUY',
      price: '64000.10',
      qty: '0.001',
      commission: '0.000001',
      commission_asset: 'BTC',
      trade_id: '7',
    };
    expect(f.make('FILL_RECORDED', p).payload).toEqual(p);
  });

  it('a payload missing a field its table needs, or with a float where a decimal text goes, does not compile', () => {
    const noQty = {
      symbol: 'BTCUSDT',
      avg_price: '1',
      protected: true,
      opened_ms: null,
      stop_price: null,
      take_profit_price: null,
      trailing_delta_bps: null,
      last_trade_id: null,
    };
    const floatPrice = {
      client_order_id: 'x',
      symbol: 'BTCUSDT',
      side: 'BUY' as const,
      price: 64000.1,
      qty: '1',
      commission: '0',
      commission_asset: 'BTC',
      trade_id: '1',
    };
    const badState = { from: 'CREATED' as const, to: 'DONE', kind: 'ENTRY', symbol: 'BTCUSDT', client_order_id: 'x' };
    // @ts-expect-error qty is missing
    f.make('POSITION_UPDATED', noQty);
    // @ts-expect-error price must be decimal text, never a binary float
    f.make('FILL_RECORDED', floatPrice);
    // @ts-expect-error an intent state that does not exist
    f.make('INTENT_STATE_CHANGED', badState);
    // Untyped event types take any JSON object.
    expect(f.make('HEALTH_SAMPLED', { anything: 1 }).event_type).toBe('HEALTH_SAMPLED');
  });
});
