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
  it('ocoAllowed false: SYMBOL_NOT_PROTECTABLE is raised naming the symbol and why, the engine blocks entries on it, and no decision or order is made there', async () => {
    const venue = await startVenue();
    await post(`${venue.admin}/admin/symbol`, { symbol: 'BTCUSDT', status: 'TRADING', ocoAllowed: false });
    const t = await startTrading({ sim: venue });
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
    // The reason is raised by the first entry cycle; by then, and ever after, nothing was decided on the symbol.
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type IN ('DECISION_PROPOSED', 'INTENT_CREATED')")).toHaveLength(0);
  }, 90_000);
});
