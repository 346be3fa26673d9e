import { afterEach, describe, expect, it } from 'vitest';
import { createExchangeSim, type ExchangeSim, type SimOptions } from '../../apps/exchange-sim/src/index.js';
import { SIM_KEY, SIM_SEED } from '../integration/harness.js';
import { gatewayOn } from './gateway-harness.js';

/**
 * The gateway against what the REAL Binance Spot API sends (issue 18), over real sockets to the
 * simulator made as strict and as wide as the venue: a wide exchangeInfo, statuses and events a
 * client does not model, the two 429 classes, the reference-price rule and signature refusals.
 */
let sim: ExchangeSim | null = null;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await sim?.close();
  sim = null;
});

async function gateway(simOpts: Partial<SimOptions> = {}, exchange: Record<string, unknown> = {}) {
  sim = await createExchangeSim({ keys: [{ ...SIM_KEY }], seed: SIM_SEED, tickMs: 100, ...simOpts });
  const g = await gatewayOn(sim, { order_timeout_ms: 1500, rest_timeout_ms: 1500, ...exchange });
  cleanups.push(() => g.rest.close());
  return { ...g, sim };
}

describe('exchangeInfo as wide as the live venue', () => {
  it('loads the configured symbols from a reply listing 3000 more (non-ASCII names, CONNECTIONS limits, unknown filters, statuses and fields)', async () => {
    const g = await gateway({ extraSymbols: 3000 });
    expect([...g.session.rules.keys()].sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(g.session.rules.get('BTCUSDT')?.filters.LOT_SIZE?.stepSize).toBe('0.00001000');
    // The limits we count were taken, the CONNECTIONS entry skipped.
    expect(g.governor.snapshot(Date.now()).used_weight_pct).not.toBeNull();
  });

  it('asks only for the configured symbols (symbols=[...]), as Binance recommends', async () => {
    const g = await gateway({ extraSymbols: 3000 });
    const listing = (await g.admin('GET', '/admin/exchange-info')) as { lastQuery: string };
    expect(new URLSearchParams(listing.lastQuery).get('symbols')).toBe('["BTCUSDT","ETHUSDT"]');
  });

  it('a configured symbol the venue does not list (-1121 for the whole request): the others still get rules, the missing one is quarantined', async () => {
    const g = await gateway({ extraSymbols: 100 }, { symbols: ['BTCUSDT', 'ETHUSDT', 'GONEUSDT'] });
    expect([...g.session.rules.keys()].sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(g.desk.quarantined).toEqual(['GONEUSDT']);
    expect(g.reasons.get('SYMBOL_NOT_TRADING')).toMatchObject({ symbols: ['GONEUSDT'], statuses: { GONEUSDT: 'MISSING' } });
  });

  it('the simulator answers symbol= and symbols= like Binance: only those, -1121 for one not listed', async () => {
    sim = await createExchangeSim({ keys: [{ ...SIM_KEY }], seed: SIM_SEED, tickMs: 100, extraSymbols: 50 });
    const get = async (q: string) => {
      const r = await fetch(`${sim!.rest}/api/v3/exchangeInfo${q}`);
      return { status: r.status, body: (await r.json()) as { symbols?: { symbol: string }[]; code?: number; rateLimits?: { rateLimitType: string }[] } };
    };
    const all = await get('');
    expect(all.body.symbols).toHaveLength(53);
    expect(all.body.symbols!.some((s) => /[^\x00-\x7f]/.test(s.symbol))).toBe(true);
    expect(all.body.rateLimits!.map((l) => l.rateLimitType)).toContain('CONNECTIONS');
    expect((await get(`?symbols=${encodeURIComponent('["ETHUSDT","BTCUSDT"]')}`)).body.symbols!.map((s) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect((await get('?symbol=BNBUSDT')).body.symbols!.map((s) => s.symbol)).toEqual(['BNBUSDT']);
    expect(await get(`?symbols=${encodeURIComponent('["BTCUSDT","NOPE"]')}`)).toMatchObject({ status: 400, body: { code: -1121 } });
    expect(await get('?symbol=NOPE')).toMatchObject({ status: 400, body: { code: -1121 } });
  });
});
