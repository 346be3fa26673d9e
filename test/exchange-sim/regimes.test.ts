import { afterEach, describe, expect, it } from 'vitest';
import { Exchange, type ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, startSim } from './helpers.js';

/** The seeded price process: calm and volatile regimes, repeatable for a seed. */
let sim: ExchangeSim | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

function run(seed: number, ticks: number): { prices: string[]; regimes: string[] } {
  const ex = new Exchange(seed, []);
  const prices: string[] = [];
  const regimes: string[] = [];
  for (let i = 0; i < ticks; i++) {
    ex.tick();
    prices.push(String(ex.books.get('BTCUSDT')!.last));
    regimes.push(ex.regimes.get('BTCUSDT')!);
  }
  return { prices, regimes };
}

describe('exchange-sim volatility regimes', () => {
  it('the same seed gives the same prices and regimes; another seed does not', () => {
    const a = run(42, 3000);
    expect(run(42, 3000)).toEqual(a);
    expect(run(43, 3000).prices).not.toEqual(a.prices);
  });

  it('switches between calm and volatile, and moves more when volatile', () => {
    const { prices, regimes } = run(7, 20_000);
    const moves: Record<string, number[]> = { calm: [], volatile: [] };
    for (let i = 1; i < prices.length; i++)
      moves[regimes[i]!]!.push(Math.abs(Number(BigInt(prices[i]!) - BigInt(prices[i - 1]!))) / Number(BigInt(prices[i - 1]!)));
    expect(moves['calm']!.length).toBeGreaterThan(1000);
    expect(moves['volatile']!.length).toBeGreaterThan(1000);
    const switches = regimes.filter((r, i) => i > 0 && r !== regimes[i - 1]).length;
    expect(switches).toBeGreaterThan(10);
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    expect(median(moves['volatile']!)).toBeGreaterThan(2 * median(moves['calm']!));
  });

  it('the admin API pins a regime and shows it in the state', async () => {
    const s = (sim = await startSim());
    expect(await admin(s, 'POST', '/admin/regime', { symbol: 'ETHUSDT', regime: 'volatile' })).toEqual({ symbol: 'ETHUSDT', regime: 'volatile' });
    await admin(s, 'POST', '/admin/tick', { n: 50 });
    expect(((await admin(s, 'GET', '/admin/state')) as { regimes: Record<string, string> }).regimes['ETHUSDT']).toBe('volatile');
    expect((await fetch(`${s.admin}/admin/regime`, { method: 'POST', body: JSON.stringify({ symbol: 'ETHUSDT', regime: 'wild' }) })).status).toBe(400);
  });
});
