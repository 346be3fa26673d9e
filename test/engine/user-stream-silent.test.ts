import { afterEach, describe, expect, it } from 'vitest';
import type { ReasonCode } from '@vigil/contracts';
import { SIM_KEY } from '../integration/harness.js';
import { startTrading, waitFor } from './engine-harness.js';

/**
 * A user data stream that stays connected and subscribed but delivers nothing (the simulator's
 * user_stream_silent fault), against real workers over sockets: the gateway sees over REST order
 * changes the stream never delivered, raises USER_STREAM_SILENT (DEGRADE), resubscribes, and the
 * engine reconciles over REST at the degraded interval; once the fault is cleared and events flow
 * again the reason clears and the bot returns to NORMAL.
 */
type Ev = { seq: number; ts_ms: number; event_type: string; reason_code: string | null; payload: string };
let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});
const post = (url: string, body?: unknown) => fetch(url, { method: 'POST', ...(body ? { body: JSON.stringify(body) } : {}) }).then((r) => r.json());
const active = (t: { sup: { modeState: { reasons: readonly { code: ReasonCode }[] } } }, c: ReasonCode) => t.sup.modeState.reasons.some((r) => r.code === c);

describe('silent user data stream', () => {
  it('REST shows order changes the connected stream never delivered: DEGRADE with USER_STREAM_SILENT, faster REST reconcile, then recovery once events flow again', async () => {
    const t = await startTrading({
      extra: {
        exchange: { user_stream_silence_window_ms: 500, user_stream_silence_probation_ms: 600_000 },
        engine: {
          cycle_interval_ms: 100,
          reconcile_interval_ms: 4000,
          reconcile_stream_degraded_interval_ms: 500,
          manage_only_stable_ms: 300,
          intent_query_interval_ms: 100,
          not_found_after_ms: 1000,
          not_found_min_queries: 2,
        },
      },
    });
    stop = t.stopAll;
    await waitFor(
      'subscribed',
      () => t.q<Ev>("SELECT seq FROM events WHERE event_type = 'USER_EVENT_RECEIVED' AND json_extract(payload, '$.gap') = 1").length > 0,
      20_000,
      50,
    );
    await post(`${t.sim.admin}/admin/faults`, { kind: 'user_stream_silent' });

    // The next entry (and its protection) change orders the stream does not report.
    await waitFor('USER_STREAM_SILENT', () => active(t, 'USER_STREAM_SILENT'), 45_000, 50);
    await waitFor('DEGRADE', () => t.sup.modeState.mode === 'DEGRADE', 5000, 20);
    expect(t.sup.modeState.reasons.find((r) => r.code === 'USER_STREAM_SILENT')).toMatchObject({ source: 'gateway', severity: 'WARN' });
    // The link itself never dropped: this is not the UNSTABLE (disconnect) case.
    expect(active(t, 'USER_STREAM_UNSTABLE')).toBe(false);
    const raised = await waitFor(
      'raise audited',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = 'USER_STREAM_SILENT'")[0],
      5000,
      50,
    );
    const detail = (JSON.parse(raised.payload) as { detail: { undelivered: { client_order_id: string }[]; window_ms: number } }).detail;
    expect(detail.window_ms).toBe(500);
    expect(detail.undelivered.length).toBeGreaterThan(0);
    // The engine audits the gap it was told of on its own path, not in the raise's transaction.
    await waitFor(
      'the gap audited by the engine',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'USER_EVENT_RECEIVED' AND json_extract(payload, '$.why') LIKE 'silent:%'").length > 0,
      5000,
      50,
    );

    // REST-only reconcile while degraded: at the degraded interval (500 ms), not the normal 4 s.
    await waitFor(
      'settled',
      () => {
        const last = t.q<Ev>(
          "SELECT ts_ms FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = 'USER_STREAM_SILENT' ORDER BY seq DESC LIMIT 1",
        )[0]!;
        return Date.now() - last.ts_ms > 1000;
      },
      20_000,
      100,
    );
    const from = Date.now();
    await new Promise((r) => setTimeout(r, 2500));
    expect(active(t, 'USER_STREAM_SILENT')).toBe(true);
    const reconciles = t.q<Ev>("SELECT ts_ms FROM events WHERE event_type = 'RECONCILE_COMPLETED' AND ts_ms >= ?", from);
    expect(reconciles.length).toBeGreaterThanOrEqual(3);

    // The fault is cleared; an account change (a deposit) flows over the resubscribed stream.
    await fetch(`${t.sim.admin}/admin/faults`, { method: 'DELETE' });
    await post(`${t.sim.admin}/admin/balance`, { apiKey: SIM_KEY.apiKey, asset: 'BNB', free: '1.25' });
    await waitFor('USER_STREAM_SILENT cleared', () => !active(t, 'USER_STREAM_SILENT'), 10_000, 50);
    await waitFor(
      'clear audited',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'REASON_CLEARED' AND reason_code = 'USER_STREAM_SILENT'").length === 1,
      5000,
      50,
    );
    await waitFor('NORMAL again', () => t.sup.modeState.mode === 'NORMAL', 15_000, 50);
  }, 120_000);
});
