import { quantizeQty, validateOrder } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { diffRules, parseExchangeInfo } from './exchange-info.js';

const symbol = (over: Record<string, unknown> = {}) => ({
  symbol: 'BTCUSDT',
  status: 'TRADING',
  baseAsset: 'BTC',
  baseAssetPrecision: 8,
  quoteAsset: 'USDT',
  quotePrecision: 8,
  quoteAssetPrecision: 8,
  orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
  icebergAllowed: true,
  ocoAllowed: true,
  cancelReplaceAllowed: true,
  allowTrailingStop: true,
  isSpotTradingAllowed: true,
  permissions: [],
  permissionSets: [['SPOT', 'MARGIN']],
  filters: [
    { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
    { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
    { filterType: 'ICEBERG_PARTS', limit: 10 },
    { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: '76.96', stepSize: '0.00000000' },
    { filterType: 'TRAILING_DELTA', minTrailingAboveDelta: 10, maxTrailingAboveDelta: 2000, minTrailingBelowDelta: 10, maxTrailingBelowDelta: 2000 },
    { filterType: 'PERCENT_PRICE_BY_SIDE', bidMultiplierUp: '5', bidMultiplierDown: '0.2', askMultiplierUp: '5', askMultiplierDown: '0.2', avgPriceMins: 5 },
    { filterType: 'NOTIONAL', minNotional: '5.00000000', applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
    { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
    { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
    { filterType: 'MAX_NUM_ORDER_LISTS', maxNumOrderLists: 20 },
  ],
  ...over,
});
const reply = (symbols: unknown[] = [symbol()]) => ({
  timezone: 'UTC',
  serverTime: 1_700_000_000_000,
  rateLimits: [
    { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
    { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
    { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
    { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
  ],
  exchangeFilters: [],
  symbols,
});

describe('parseExchangeInfo', () => {
  it('parses symbols, filters, permissionSets and rate limits', () => {
    const r = parseExchangeInfo(reply());
    if (!r.ok) throw new Error(r.reason);
    expect(r.serverTime).toBe(1_700_000_000_000);
    expect(r.rateLimits).toHaveLength(4);
    const btc = r.rules.get('BTCUSDT')!;
    expect(btc.permissions).toEqual(['MARGIN', 'SPOT']);
    expect(btc.filters.LOT_SIZE).toEqual({ filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' });
    expect(btc.filters.TRAILING_DELTA?.maxTrailingBelowDelta).toBe(2000);
    expect(Object.keys(btc.filters)).not.toContain('MAX_NUM_ORDER_LISTS');
    expect([btc.cancelReplaceAllowed, btc.allowTrailingStop]).toEqual([true, true]);
  });
  it('reads cancelReplaceAllowed and allowTrailingStop as not offered when absent or false', () => {
    const { cancelReplaceAllowed: _c, allowTrailingStop: _t, ...bare } = symbol();
    for (const s of [bare, symbol({ cancelReplaceAllowed: false, allowTrailingStop: false })]) {
      const r = parseExchangeInfo(reply([s]));
      if (!r.ok) throw new Error(r.reason);
      expect([r.rules.get('BTCUSDT')!.cancelReplaceAllowed, r.rules.get('BTCUSDT')!.allowTrailingStop]).toEqual([false, false]);
    }
    expect(parseExchangeInfo(reply([symbol({ cancelReplaceAllowed: 'yes' })]))).toMatchObject({ ok: false, code: 'EXCHANGE_REPLY_INVALID' });
  });
  it('yields rules the core functions use directly', () => {
    const r = parseExchangeInfo(reply());
    if (!r.ok) throw new Error(r.reason);
    const btc = r.rules.get('BTCUSDT')!;
    expect(quantizeQty('0.0123456', btc)).toEqual({ ok: true, value: '0.01234' });
    expect(validateOrder({ side: 'BUY', type: 'LIMIT', price: '60000.00', quantity: '0.01234' }, btc, { avgPrice: '60000', openOrders: 0 })).toEqual({
      ok: true,
    });
  });
  it.each([
    ['not an object', 'nope'],
    ['missing symbols', { serverTime: 1, rateLimits: [] }],
    ['a numeric tick size', reply([symbol({ filters: [{ filterType: 'PRICE_FILTER', minPrice: '0.01', maxPrice: '1', tickSize: 0.01 }] })])],
    ['an exponent decimal', reply([symbol({ filters: [{ filterType: 'LOT_SIZE', minQty: '1e-5', maxQty: '1', stepSize: '0.1' }] })])],
    ['a missing LOT_SIZE field', reply([symbol({ filters: [{ filterType: 'LOT_SIZE', minQty: '0.1', maxQty: '1' }] })])],
    ['a counted rate limit without its limit', { ...reply(), rateLimits: [{ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10 }] }],
    ['a duplicate symbol', reply([symbol(), symbol()])],
    [
      'a duplicate filter',
      reply([
        symbol({
          filters: [
            { filterType: 'ICEBERG_PARTS', limit: 1 },
            { filterType: 'ICEBERG_PARTS', limit: 2 },
          ],
        }),
      ]),
    ],
  ])('rejects %s as EXCHANGE_REPLY_INVALID', (_name, json) => {
    expect(parseExchangeInfo(json)).toMatchObject({ ok: false, code: 'EXCHANGE_REPLY_INVALID' });
  });
});

describe('parseExchangeInfo: what the live venue adds without notice', () => {
  it('skips rate-limit types and intervals it does not count (CONNECTIONS, a future interval) and keeps the rest', () => {
    const r = parseExchangeInfo({
      ...reply(),
      rateLimits: [
        ...reply().rateLimits,
        { rateLimitType: 'CONNECTIONS', interval: 'MINUTE', intervalNum: 5, limit: 300 },
        { rateLimitType: 'ORDERS', interval: 'FORTNIGHT', intervalNum: 1, limit: 5 },
        { rateLimitType: 'FUTURE', odd: true },
      ],
    });
    if (!r.ok) throw new Error(r.reason);
    expect(r.rateLimits.map((l) => l.rateLimitType)).toEqual(['REQUEST_WEIGHT', 'ORDERS', 'ORDERS', 'RAW_REQUESTS']);
  });
  it('with the traded symbols named, reads only those: other entries (non-ASCII names, unknown shapes) are not looked at', () => {
    const odd = [
      symbol({ symbol: '测试币456' }),
      { symbol: 'WEIRD', status: 7 },
      'not even an object',
      symbol({ symbol: 'ETHUSDT', status: 'FUTURE_STATUS', futureField: { x: 1 } }),
    ];
    const r = parseExchangeInfo(reply([...odd, symbol()]), ['BTCUSDT', 'ETHUSDT']);
    if (!r.ok) throw new Error(r.reason);
    expect([...r.rules.keys()].sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(r.rules.get('ETHUSDT')!.status).toBe('FUTURE_STATUS');
    // A traded symbol's own entry is still held to what we use.
    expect(parseExchangeInfo(reply([symbol({ baseAssetPrecision: 'eight' })]), ['BTCUSDT'])).toMatchObject({ ok: false, code: 'EXCHANGE_REPLY_INVALID' });
  });
  it('skips filters of types it does not model, with or without a filterType, and fields added to the ones it does', () => {
    const base = symbol();
    const filters = [
      ...(base.filters as object[]).map((f) => ({ ...f, addedLater: 'x' })),
      { filterType: 'MAX_NUM_ORDER_AMENDS', maxNumOrderAmends: 10 },
      { noType: true },
    ];
    const r = parseExchangeInfo(reply([{ ...base, filters }]), ['BTCUSDT']);
    if (!r.ok) throw new Error(r.reason);
    expect(r.rules.get('BTCUSDT')!.filters.PRICE_FILTER).toEqual({
      filterType: 'PRICE_FILTER',
      minPrice: '0.01000000',
      maxPrice: '1000000.00000000',
      tickSize: '0.01000000',
    });
  });
});

describe('diffRules', () => {
  it('reports status, filter field, added and removed symbols', () => {
    const a = parseExchangeInfo(reply([symbol(), symbol({ symbol: 'ETHUSDT' })]));
    const b = parseExchangeInfo(
      reply([
        symbol({ status: 'HALT', filters: [{ filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00010000' }] }),
        symbol({ symbol: 'SOLUSDT' }),
      ]),
    );
    if (!a.ok || !b.ok) throw new Error('fixture');
    const d = diffRules(a.rules, b.rules);
    expect(d).toContainEqual({ symbol: 'BTCUSDT', change: 'STATUS', from: 'TRADING', to: 'HALT' });
    expect(d).toContainEqual({ symbol: 'BTCUSDT', change: 'FIELD', field: 'LOT_SIZE.stepSize', from: '0.00001000', to: '0.00010000' });
    expect(d).toContainEqual({ symbol: 'BTCUSDT', change: 'FIELD', field: 'PRICE_FILTER.tickSize', from: '0.01000000', to: null });
    expect(d).toContainEqual({ symbol: 'ETHUSDT', change: 'REMOVED' });
    expect(d).toContainEqual({ symbol: 'SOLUSDT', change: 'ADDED' });
    expect(diffRules(a.rules, a.rules)).toEqual([]);
  });
});

describe('exchangeInfo refusal code (regression found by test/fuzz/parsers.fuzz.test.ts)', () => {
  it('refuses with a code from the reason catalogue', async () => {
    const { REASON_CODES } = await import('@vigil/contracts');
    const r = parseExchangeInfo(0);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(REASON_CODES)).toContain(r.code);
  });
});

describe('exchangeInfo integers (regression found by test/fuzz/parsers.fuzz.test.ts)', () => {
  it('refuses an integer field beyond 2^53 (not exact in JSON numbers)', () => {
    const info = { serverTime: 1, rateLimits: [{ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 2 ** 53 }], symbols: [] };
    expect(parseExchangeInfo(info)).toMatchObject({ ok: false, code: 'EXCHANGE_REPLY_INVALID' });
    expect(parseExchangeInfo({ ...info, rateLimits: [{ ...info.rateLimits[0], limit: 100 }] }).ok).toBe(true);
  });
});
