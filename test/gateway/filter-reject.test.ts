import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { startVenue } from '../integration/harness.js';
import { gatewayOn } from './gateway-harness.js';

/**
 * FILTER_REJECT from a real venue rejection: the simulator tightens its NOTIONAL filter after the
 * gateway loaded the rules, so the order passes the local check and the venue itself refuses it
 * (-1013). The desk must raise FILTER_REJECT and reload the rules, after which the same order is
 * refused locally, without a venue call.
 */
let sim: ExchangeSim | null = null;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await sim?.close();
  sim = null;
});

describe('gateway FILTER_REJECT against apps/exchange-sim', () => {
  it('a venue filter rejection (-1013) raises FILTER_REJECT with the venue message and reloads the rules', async () => {
    sim = await startVenue();
    const g = await gatewayOn(sim, { order_timeout_ms: 600, rest_timeout_ms: 1500 });
    cleanups.push(() => g.rest.close());
    // 0.001 x 60000 = 60 USDT notional: fine under the loaded rules (min 5), not under the new ones.
    sim.exchange.symbols.get('BTCUSDT')!.minNotional = 1000n * 100_000_000n;
    const order = {
      symbol: 'BTCUSDT',
      side: 'BUY' as const,
      type: 'LIMIT' as const,
      client_order_id: 'vfr1',
      quantity: '0.001',
      price: '60000.00',
      time_in_force: 'GTC' as const,
    };
    const out = await g.desk.place(order);
    expect(out).toMatchObject({ kind: 'REJECTED', code: -1013 });
    expect(g.reasons.get('FILTER_REJECT')).toMatchObject({ symbol: 'BTCUSDT', count: 1, msg: expect.stringMatching(/NOTIONAL/) });
    // The reloaded rules now know the venue's minimum: the same order never leaves the process.
    expect(await g.desk.place({ ...order, client_order_id: 'vfr2' })).toMatchObject({ kind: 'NOT_SENT', cause: 'LOCAL_VALIDATION' });
  });
});
