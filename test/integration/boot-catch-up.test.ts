import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { admin } from '../exchange-sim/helpers.js';
import { startSupervisor, startVenue, waitFor } from './harness.js';

/**
 * The gateway's boot steps against a venue that throttles it at start: each step it could not do
 * is retried with a back-off (not left to its periodic timer: rules every 30 min), so startup
 * reconcile runs seconds after the venue answers again. Real workers, real SQLite, real sockets.
 */
type Ev = { seq: number; ts_ms: number; event_type: string; reason_code: string | null; payload: string };
let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

describe('gateway boot under a throttling venue', () => {
  it('rules, clock and the key check are caught up once the venue answers, and startup reconcile runs', async () => {
    const sim = await startVenue();
    // The first exchangeInfo is answered 429 and the venue refuses everything for 3 s.
    await admin(sim, 'POST', '/admin/faults', { kind: 'rate_limit_429', route: 'GET /api/v3/exchangeInfo', once: true, ms: 3000 });
    const s = await startSupervisor({}, sim);
    stop = async () => {
      await s.stop();
      await sim.close();
    };
    const q = (sql: string, ...a: unknown[]): Ev[] => {
      const db = new Database(join(s.varDir, 'data', 'audit.sqlite'), { readonly: true });
      try {
        return db.prepare(sql).all(...a) as Ev[];
      } finally {
        db.close();
      }
    };
    const refused = await waitFor(
      'the throttled exchangeInfo',
      () =>
        q(
          "SELECT * FROM events WHERE event_type = 'REST_CALLED' AND json_extract(payload, '$.path') = '/api/v3/exchangeInfo' AND json_extract(payload, '$.status') = 429",
        )[0],
      10_000,
      50,
    );
    const loaded = await waitFor(
      'rules loaded',
      () => q("SELECT * FROM events WHERE event_type = 'FILTERS_REFRESHED' AND json_extract(payload, '$.ok') = 1")[0],
      20_000,
      50,
    );
    // Within the 3 s block plus the back-off (1 + 2 + 4 s at most), far from the 30-minute refresh.
    expect(loaded.ts_ms - refused.ts_ms).toBeLessThan(15_000);
    const reconciled = await waitFor(
      'startup reconcile',
      () =>
        q("SELECT * FROM events WHERE event_type = 'RECONCILE_COMPLETED' AND json_extract(payload, '$.startup') = 1 AND json_extract(payload, '$.ok') = 1")[0],
      20_000,
      50,
    );
    expect(reconciled.seq).toBeGreaterThan(loaded.seq);
    // The key check was answered too (its account call is weight 20, after the block).
    await waitFor(
      'the key checked',
      () =>
        q(
          "SELECT * FROM events WHERE event_type = 'REST_CALLED' AND json_extract(payload, '$.path') = '/sapi/v1/account/apiRestrictions' AND json_extract(payload, '$.outcome') = 'OK'",
        )[0],
      20_000,
      50,
    );
  }, 60_000);
});
