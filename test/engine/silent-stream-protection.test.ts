import { describe, expect, it } from 'vitest';
import type { ReasonCode } from '@vigil/contracts';
import { signedAsBot } from '../integration/harness.js';
import { breakoutNow, engineDetails, LOAD_TOLERANT_SUPERVISOR, startTrading, waitFor } from './engine-harness.js';
import { SIM_ENGINE } from '../../scripts/lib/sim-profile.ts';

/**
 * A position that loses its protection while the market stream is silent (connected, nothing flows:
 * WS_STALE) is protected again from the venue's REST book (GET /api/v3/ticker/bookTicker), not left
 * unprotected until the stream returns (MARKET_STATE_LOST, PROTECTION_MISSING, PAUSE).
 */
type Ev = { event_type: string; reason_code: string | null; payload: string };
const reasons = (t: { sup: { modeState: { reasons: readonly { code: ReasonCode }[] } } }) => t.sup.modeState.reasons.map((r) => r.code);

describe('protection while the market stream is silent', () => {
  it('an OCO cancelled at the venue during WS_STALE is replaced, priced from the REST bookTicker: no MARKET_STATE_LOST, no PROTECTION_MISSING', async ({
    onTestFinished,
  }) => {
    const t = await startTrading({
      extra: {
        supervisor: LOAD_TOLERANT_SUPERVISOR,
        exchange: { ws_stale_ms: 1500 },
        // Quotes older than 1 s are stale, and an unprotected position is PROTECTION_MISSING after
        // 2 s: well within the stall below, so only a quote from elsewhere can protect it in time.
        engine: { ...SIM_ENGINE, trailing_enabled: false, quote_max_age_ms: 1000, unprotected_max_ms: 2000 },
      },
    });
    onTestFinished(() => t.stopAll());
    // The market frozen from the breakout on: neither OCO can trigger while the test looks at them.
    await breakoutNow(t, { until: 'protected', freeze: true });
    const firstList = await waitFor(
      'the first OCO',
      async () => ((await engineDetails(t.sup))['slots'] as { protection: { kind: string } | null }[])[0]?.protection,
      30_000,
    );
    expect(firstList.kind).toBe('OCO');

    await fetch(`${t.sim.admin}/admin/faults`, { method: 'POST', body: JSON.stringify({ kind: 'ws_stall' }) });
    onTestFinished(async () => void (await fetch(`${t.sim.admin}/admin/faults`, { method: 'DELETE' })));
    await waitFor('WS_STALE', () => reasons(t).includes('WS_STALE'), 15_000);

    // Someone cancels the bot's OCO at the venue (another client on the same account).
    const lists = (await signedAsBot(t.sim, 'GET', '/api/v3/openOrderList', {})) as unknown as { orderListId: number; symbol: string }[];
    expect(lists).toHaveLength(1);
    const cancelled = await signedAsBot(t.sim, 'DELETE', '/api/v3/orderList', { symbol: lists[0]!.symbol, orderListId: String(lists[0]!.orderListId) });
    expect(cancelled['listOrderStatus']).toBe('ALL_DONE');

    // A new OCO, placed while the stream is still silent: a PROTECTION_PLACED naming another list (the
    // audit may commit the first list's own row late under load: it does not count).
    const placed = await waitFor(
      'a new OCO',
      () =>
        t.q<Ev>(
          "SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED' AND json_extract(payload, '$.order_list_id') != ? ORDER BY seq DESC LIMIT 1",
          lists[0]!.orderListId,
        )[0],
      20_000,
      50,
    );
    expect(reasons(t)).toContain('WS_STALE');
    const raised = t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_RAISED' AND reason_code IN ('MARKET_STATE_LOST', 'PROTECTION_MISSING')");
    expect(raised).toEqual([]);
    // The read that priced it (a bulk audit row: it may commit after the critical PROTECTION_PLACED).
    await waitFor(
      'the bookTicker read in the audit',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'REST_CALLED' AND json_extract(payload, '$.path') = '/api/v3/ticker/bookTicker'").length > 0,
      10_000,
      50,
    );
    // The new OCO is another list, working at the venue (the market is frozen: nothing triggers it).
    const listId = (JSON.parse(placed.payload) as { order_list_id: number }).order_list_id;
    const atVenue = await signedAsBot(t.sim, 'GET', '/api/v3/orderList', { orderListId: String(listId) });
    expect(atVenue).toMatchObject({ orderListId: listId, listOrderStatus: 'EXECUTING' });
  }, 90_000);
});
