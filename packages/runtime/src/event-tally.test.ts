import { describe, expect, it } from 'vitest';
import { EventFactory } from './event-factory.js';
import { alertOf, EventTally } from './event-tally.js';

describe('event tally', () => {
  it('counts appended events by type and reason, each block code of a refused verdict, and the last time per type', () => {
    let t = 1_000;
    const f = new EventFactory('run_t', 'engine', () => t);
    const tally = new EventTally();
    tally.add(f.make('RISK_VERDICT_GIVEN', { ok: false, blocks: ['EDGE_TOO_LOW', 'COST_TOO_HIGH'] }, { reason: 'EDGE_TOO_LOW' }));
    tally.add(f.make('RISK_VERDICT_GIVEN', { ok: true, blocks: [] }));
    tally.add(f.make('AIGATE_CALL', { verdict: 'ERROR' }, { reason: 'AIGATE_TIMEOUT' }));
    t = 2_000;
    tally.add(f.make('FILTERS_REFRESHED', {}));
    const j = tally.toJson() as Record<string, Record<string, number>>;
    expect(j['by_type']).toEqual({ RISK_VERDICT_GIVEN: 2, AIGATE_CALL: 1, FILTERS_REFRESHED: 1 });
    expect(j['by_reason']).toEqual({ EDGE_TOO_LOW: 1, AIGATE_TIMEOUT: 1 });
    expect(j['blocks']).toEqual({ EDGE_TOO_LOW: 1, COST_TOO_HIGH: 1 });
    expect(j['last_ts_ms']!['FILTERS_REFRESHED']).toBe(2_000);
  });

  it('reads an engine alert: its source, the symbol its text starts with, and the text as detail', () => {
    const f = new EventFactory('run_t', 'engine');
    const a = alertOf(f.make('ALERT_RAISED', { source: 'engine', detail: 'manage BTCUSDT: query failed' }, { reason: 'RECONCILE_FAILED' }), 'engine');
    expect(a).toMatchObject({ source: 'engine', symbol: 'BTCUSDT', reason_code: 'RECONCILE_FAILED', detail: { detail: 'manage BTCUSDT: query failed' } });
    const b = alertOf(f.make('ALERT_RAISED', { detail: { symbol: 'ETHUSDT', why: 'x' } }), 'gateway');
    expect(b).toMatchObject({ source: 'gateway', symbol: 'ETHUSDT', reason_code: null, detail: { symbol: 'ETHUSDT', why: 'x' } });
  });
});
