import { afterEach, describe, expect, it } from 'vitest';
import { startTrading, waitFor } from './engine-harness.js';

/**
 * The price warmer asks avgPrice and referencePrice for every symbol every 2 s. Audited one row per
 * call, that was a third of all audit rows (about 180 MB a day, as much again in the JSONL mirror):
 * a long-run probe projected a full disk within two weeks. Its answered polls are not audited; its
 * failures still are.
 */
type Ev = { seq: number; payload: string };
let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});
const post = (url: string, body: unknown) => fetch(url, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());

describe('the price warmer in the audit', () => {
  it('answered avgPrice and referencePrice polls leave no REST_CALLED row, while the venue saw them every 2 s', async () => {
    const t = await startTrading();
    stop = t.stopAll;
    // A 1 ms latency fault on the route: the venue's fault log counts every poll it answered.
    await post(`${t.sim.admin}/admin/faults`, { kind: 'latency', route: 'GET /api/v3/avgPrice', ms: 1 });
    const polls = async () =>
      ((await fetch(`${t.sim.admin}/admin/faults/log`).then((r) => r.json())) as { log: { route: string }[] }).log.filter(
        (f) => f.route === 'GET /api/v3/avgPrice',
      ).length;
    await waitFor('three avgPrice polls answered', async () => (await polls()) >= 3, 30_000, 200);
    const rows = (p: string) =>
      t.q<Ev>(
        "SELECT * FROM events WHERE event_type = 'REST_CALLED' AND json_extract(payload, '$.path') = ? AND json_extract(payload, '$.outcome') IN ('OK', 'REJECTED')",
        p,
      );
    expect(rows('/api/v3/avgPrice')).toEqual([]);
    expect(rows('/api/v3/referencePrice')).toEqual([]);
    // Other reads are still audited one by one.
    expect(
      t.q<Ev>("SELECT * FROM events WHERE event_type = 'REST_CALLED' AND json_extract(payload, '$.path') = '/api/v3/exchangeInfo'").length,
    ).toBeGreaterThan(0);
  }, 90_000);
});
