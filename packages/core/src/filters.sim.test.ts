import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SymbolFilters, SymbolRules } from '@vigil/contracts';
import { Dec } from './decimal.js';
import { quantizePrice, quantizeQty, validateOrder, type OrderSide, type OrderType } from './filters.js';

/**
 * Quantization and local validation against the simulator's own filter checks, over HTTP: for
 * random symbol filters and random raw prices and quantities, the order we would send is either
 * refused here with a reason, or accepted by the venue (POST /api/v3/order/test); and what we
 * refuse after quantizing, the venue refuses too (-1013), so the local checks are not merely
 * stricter by accident. The simulator runs as its own process (its CLI) so that core depends on
 * nothing but HTTP. Filters the admin API can set (stepSize, minNotional) and the last price (the
 * venue's avgPrice) are drawn per case; the rest (tickSize, minQty, maxQty, percent-price
 * multipliers) are the symbols' own, read from exchangeInfo like every other filter.
 */

const CLI = fileURLToPath(new URL('../../../apps/exchange-sim/dist/cli.js', import.meta.url));
const KEY = {
  apiKey: 'filterpropkey000000000000000000001',
  secretKey: 'filterpropsecret00000000000000001',
  canTrade: true,
  enableWithdrawals: false,
  ipRestrict: true,
};
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'] as const;

let child: ChildProcess | null = null;
let urls: { rest: string; admin: string } = { rest: '', admin: '' };

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: build first (npm run build)`);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-filters-'));
  const keys = join(dir, 'keys.json');
  writeFileSync(keys, JSON.stringify([KEY]));
  const c = spawn(process.execPath, [CLI, '--keys', keys, '--seed', '17', '--tick-ms', '3600000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  child = c;
  urls = await new Promise((resolve, reject) => {
    c.once('exit', (code) => reject(new Error(`exchange-sim exited with ${code}`)));
    createInterface({ input: c.stdout! }).on('line', (l) => {
      if (l.startsWith('EXCHANGE_SIM_READY ')) resolve(JSON.parse(l.slice('EXCHANGE_SIM_READY '.length)) as { rest: string; admin: string });
    });
  });
  // A still market (nothing moves the last price between our read and the order), and balances
  // large enough that only the filters can refuse an order.
  await admin('/admin/market', { paused: true });
  for (const asset of ['USDT', 'BTC', 'ETH', 'BNB']) await admin('/admin/balance', { apiKey: KEY.apiKey, asset, free: '100000000000' });
});

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const c = child;
  await new Promise<void>((r) => {
    c.once('exit', () => r());
    c.kill('SIGTERM');
  });
});

async function admin(path: string, body: Record<string, unknown>): Promise<unknown> {
  const r = await fetch(`${urls.admin}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`admin ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function getJson(path: string): Promise<unknown> {
  const r = await fetch(`${urls.rest}${path}`);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

type RawSymbol = {
  symbol: string;
  status: string;
  baseAsset: string;
  quoteAsset: string;
  baseAssetPrecision: number;
  quoteAssetPrecision: number;
  orderTypes: string[];
  ocoAllowed: boolean;
  icebergAllowed: boolean;
  cancelReplaceAllowed: boolean;
  allowTrailingStop: boolean;
  filters: Array<{ filterType: string }>;
};

/** SymbolRules straight from the venue's exchangeInfo entry: filters keyed by filterType. */
function rulesOf(s: RawSymbol): SymbolRules {
  return {
    symbol: s.symbol,
    status: s.status,
    baseAsset: s.baseAsset,
    quoteAsset: s.quoteAsset,
    baseAssetPrecision: s.baseAssetPrecision,
    quoteAssetPrecision: s.quoteAssetPrecision,
    orderTypes: s.orderTypes,
    ocoAllowed: s.ocoAllowed,
    icebergAllowed: s.icebergAllowed,
    cancelReplaceAllowed: s.cancelReplaceAllowed,
    allowTrailingStop: s.allowTrailingStop,
    permissions: ['SPOT'],
    filters: Object.fromEntries(s.filters.map((f) => [f.filterType, f])) as SymbolFilters,
  };
}

/** The venue's own verdict on an order, signed like any client would (string values only). */
async function venueTest(params: Record<string, string>): Promise<{ status: number; body: { code?: number; msg?: string } }> {
  const q = new URLSearchParams({ ...params, recvWindow: '5000', timestamp: String(Date.now()) }).toString();
  const sig = createHmac('sha256', KEY.secretKey).update(q).digest('hex');
  const r = await fetch(`${urls.rest}/api/v3/order/test?${q}&signature=${sig}`, { method: 'POST', headers: { 'x-mbx-apikey': KEY.apiKey } });
  return { status: r.status, body: (await r.json()) as { code?: number; msg?: string } };
}

const cents = (n: number): string => new Dec(n).div(100).toFixed(2);
/**
 * stepSize as on live symbols (it divides minQty, so the grid minQty + k*step is the grid of
 * multiples of step), or any step of up to 8 decimals (a venue may publish odd ones: the
 * quantizer must still never produce what the venue refuses).
 */
const arbStep = (minQty: string): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .record({ div: fc.constantFrom(1, 2, 4, 5, 10, 20, 25, 50, 100, 1000) })
        .map(({ div }) => new Dec(minQty).div(div))
        .filter((d) => d.decimalPlaces() <= 8)
        .map((d) => d.toFixed()),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ mant: fc.constantFrom(1, 2, 5, 25), scale: fc.integer({ min: 2, max: 8 }) })
        .map(({ mant, scale }) => new Dec(mant).div(new Dec(10).pow(scale)).toFixed()),
    },
  );
const arbOrder = fc.record({
  side: fc.constantFrom<OrderSide>('BUY', 'SELL'),
  type: fc.constantFrom<OrderType>('LIMIT', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'),
  mode: fc.constantFrom('down' as const, 'up' as const, 'nearest' as const),
  /** Price as a percentage of the last price: both sides of the 0.2x..5x percent-price band. */
  pricePct: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 15, max: 550 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 1000 }) }),
  stopPct: fc.integer({ min: 50, max: 150 }),
  /** Notional as a percentage of minNotional: mostly near it, sometimes far above maxNotional. */
  notionalPct: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 20, max: 1000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 5_000_000_000 }) },
  ),
  /** Extra digits below the venue's 8 decimals, so that quantization has to round. */
  noise: fc.bigInt({ min: 0n, max: 10n ** 12n - 1n }),
});
const arbCase = (minQty: Readonly<Record<string, string>>) =>
  fc.constantFrom(...SYMBOLS).chain((symbol) =>
    fc.record({
      symbol: fc.constant(symbol),
      stepSize: arbStep(minQty[symbol]!),
      minNotional: fc.integer({ min: 1, max: 100_000 }).map(cents),
      last: fc.integer({ min: 100, max: 10_000_000 }).map(cents),
      orders: fc.array(arbOrder, { minLength: 1, maxLength: 5 }),
    }),
  );

describe('quantized orders against the simulator', () => {
  it('are refused locally with a reason or pass the venue filters; what we refuse, the venue refuses', async () => {
    const seen = { quantizeRefused: 0, validateRefused: 0, accepted: 0 };
    const all = (await getJson('/api/v3/exchangeInfo')) as { symbols: RawSymbol[] };
    const minQty = Object.fromEntries(all.symbols.map((s) => [s.symbol, rulesOf(s).filters.LOT_SIZE!.minQty]));
    await fc.assert(
      fc.asyncProperty(arbCase(minQty), async (c) => {
        await admin('/admin/symbol', { symbol: c.symbol, status: 'TRADING', stepSize: c.stepSize, minNotional: c.minNotional });
        await admin('/admin/price', { symbol: c.symbol, price: c.last });
        const info = (await getJson(`/api/v3/exchangeInfo?symbol=${c.symbol}`)) as { symbols: RawSymbol[] };
        const rules = rulesOf(info.symbols[0]!);
        expect(rules.filters.LOT_SIZE?.stepSize).toBe(new Dec(c.stepSize).toFixed(8));
        const avgPrice = ((await getJson(`/api/v3/avgPrice?symbol=${c.symbol}`)) as { price: string }).price;
        for (const o of c.orders) {
          const noise = new Dec(o.noise.toString()).div(new Dec(10).pow(12)).div(100);
          // Raw values as a strategy would produce them: 14 decimals, more than any filter allows.
          const raw = (d: Dec): string => d.toFixed(14);
          const rawPrice = raw(new Dec(c.last).times(o.pricePct).div(100).plus(noise));
          const rawStop = raw(new Dec(rawPrice).times(o.stopPct).div(100).plus(noise));
          const rawQty = raw(new Dec(c.minNotional).times(o.notionalPct).div(100).div(rawPrice).plus(noise));
          const p = quantizePrice(rawPrice, rules, o.mode);
          const sp = o.type === 'LIMIT' ? null : quantizePrice(rawStop, rules, o.mode);
          const q = quantizeQty(rawQty, rules);
          const refusal = [p, sp, q].find((r) => r !== null && !r.ok);
          if (refusal && !refusal.ok) {
            expect(refusal.reason).toMatch(/\S/);
            seen.quantizeRefused++;
            continue;
          }
          if (!p.ok || !q.ok || (sp && !sp.ok)) throw new Error('unreachable');
          const order = { side: o.side, type: o.type, price: p.value, quantity: q.value, ...(sp ? { stopPrice: sp.value } : {}) };
          const v = validateOrder(order, rules, { avgPrice, referencePrice: 'NONE', openOrders: 0, openAlgoOrders: 0 });
          const venue = await venueTest({
            symbol: c.symbol,
            side: o.side,
            type: o.type,
            timeInForce: 'GTC',
            quantity: q.value,
            price: p.value,
            ...(sp ? { stopPrice: sp.value } : {}),
          });
          const what = `${JSON.stringify(order)} rules step ${c.stepSize} minNotional ${c.minNotional} avg ${avgPrice}: local ${JSON.stringify(v)}, venue ${venue.status} ${JSON.stringify(venue.body)}`;
          if (v.ok) {
            expect(venue, what).toEqual({ status: 200, body: {} });
            seen.accepted++;
          } else {
            expect(v.reason).toMatch(/\S/);
            expect({ status: venue.status, code: venue.body.code }, what).toEqual({ status: 400, code: -1013 });
            seen.validateRefused++;
          }
        }
      }),
      { numRuns: 100 },
    );
    // The cases must exercise every branch, or the property says little.
    expect(seen.accepted).toBeGreaterThan(20);
    expect(seen.validateRefused).toBeGreaterThan(20);
    expect(seen.quantizeRefused).toBeGreaterThan(5);
  });
});
