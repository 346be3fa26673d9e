import { afterEach, describe, expect, it } from 'vitest';
import { startTrading, waitFor } from './engine-harness.js';
import { startVenue } from '../integration/harness.js';

/**
 * A symbol whose rules refuse the bot's protection (here ocoAllowed false, as exchangeInfo lists it)
 * gets no entry: before, the bot bought it, had its OCO refused twice and sold it at market, again
 * after every resume. The operator is told why (SYMBOL_NOT_PROTECTABLE, per symbol).
 */
type Ev = { seq: number; event_type: string; reason_code: string | null; payload: string };
let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});
const post = (url: string, body: unknown) => fetch(url, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());

describe('entries on a symbol that cannot be protected', () => {
  it('ocoAllowed false on BTCUSDT: SYMBOL_NOT_PROTECTABLE names it and why, the engine blocks entries on it, and while ETHUSDT runs its entry cycles BTCUSDT gets no cycle input, decision or order', async () => {
    const venue = await startVenue();
    await post(`${venue.admin}/admin/symbol`, { symbol: 'BTCUSDT', status: 'TRADING', ocoAllowed: false });
    const t = await startTrading({ sim: venue, symbols: ['BTCUSDT', 'ETHUSDT'] });
    stop = async () => {
      await t.stopAll();
      await venue.close();
    };
    const raised = await waitFor(
      'SYMBOL_NOT_PROTECTABLE',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = 'SYMBOL_NOT_PROTECTABLE'")[0],
      60_000,
      100,
    );
    expect(JSON.parse(raised.payload)).toMatchObject({ detail: { BTCUSDT: 'OCO orders are not allowed' } });
    const check = (await t.sup.hosts.engine.request('entry_check', { symbol: 'BTCUSDT' })) as { blocked_by: readonly string[] };
    expect(check.blocked_by).toContain('SYMBOL_NOT_PROTECTABLE');
    // Entry cycles run for the protectable symbol beside it (their inputs are recorded bar after bar);
    // none of them takes BTCUSDT in, nor decides or orders anything on it.
    await waitFor(
      'three entry cycles on ETHUSDT',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'CYCLE_INPUTS_RECORDED' AND payload LIKE '%ETHUSDT%'").length >= 3,
      60_000,
      100,
    );
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'CYCLE_INPUTS_RECORDED' AND payload LIKE '%BTCUSDT%'")).toHaveLength(0);
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type IN ('DECISION_PROPOSED', 'INTENT_CREATED') AND payload LIKE '%BTCUSDT%'")).toHaveLength(0);
    expect(JSON.parse(raised.payload).detail).not.toHaveProperty('ETHUSDT');
  }, 90_000);
});
