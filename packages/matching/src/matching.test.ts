import { describe, expect, it } from 'vitest';
import { barPath, limitOnPath, marketOnPath, pathTouches, sellOcoOnPath, sellTrailingOnPath, type Touch } from './bars.js';
import { fmt, fx } from './fx.js';
import {
  commissionOf,
  filterFailure,
  levelSpacing,
  restingTakes,
  stopHit,
  takerPlan,
  touchAround,
  trailStep,
  walkCost,
  type FilterSpec,
  type Level,
} from './rules.js';

const lv = (price: string, qty: string): Level => ({ price: fx(price), qty: fx(qty) });
const asks = (): Level[] => [lv('100.01', '1'), lv('100.02', '2'), lv('100.03', '5')];
const t = (bid: string, ask: string): Touch => ({ bid: fx(bid), ask: fx(ask) });

describe('matching rules', () => {
  it('commission: a BUY pays 0.1 % of the quantity in base, a SELL 0.1 % of the proceeds in quote, rounded down', () => {
    expect(fmt(commissionOf('BUY', fx('0.12345678'), fx('1')))).toBe('0.00012345');
    expect(fmt(commissionOf('SELL', fx('1'), fx('64000.55')))).toBe('64.00055000');
    expect(fmt(commissionOf('SELL', fx('1'), fx('100'), 5n))).toBe('0.05000000');
  });

  it('stop triggers: a SELL stop-loss at or below its stop, a SELL take-profit at or above, a BUY the mirror', () => {
    expect(stopHit('SELL', 'STOP_LOSS_LIMIT', fx('99'), fx('99'))).toBe(true);
    expect(stopHit('SELL', 'STOP_LOSS', fx('99.01'), fx('99'))).toBe(false);
    expect(stopHit('SELL', 'TAKE_PROFIT', fx('101'), fx('101'))).toBe(true);
    expect(stopHit('SELL', 'TAKE_PROFIT_LIMIT', fx('100.99'), fx('101'))).toBe(false);
    expect(stopHit('BUY', 'STOP_LOSS', fx('101'), fx('101'))).toBe(true);
    expect(stopHit('BUY', 'TAKE_PROFIT', fx('99'), fx('98'))).toBe(false);
  });

  it('a trailing SELL follows the highest bid and triggers delta BIPS behind it', () => {
    const a = trailStep('SELL', fx('100'), fx('110'), 100);
    expect([fmt(a.best), a.hit]).toEqual(['110.00000000', false]);
    expect(trailStep('SELL', a.best, fx('108.91'), 100).hit).toBe(false); // 1 % below 110 is 108.90
    expect(trailStep('SELL', a.best, fx('108.9'), 100).hit).toBe(true);
    const b = trailStep('BUY', fx('100'), fx('90'), 100);
    expect([fmt(b.best), trailStep('BUY', b.best, fx('90.9'), 100).hit, trailStep('BUY', b.best, fx('90.89'), 100).hit]).toEqual(['90.00000000', true, false]);
  });

  it('a taker walks levels up to its limit, one take per level; a quote-sized MARKET buys what its budget buys', () => {
    const p = takerPlan('BUY', asks(), fx('2.5'), fx('100.02'), null, fx('0.001'), fx('100.01'));
    expect(p.takes.map(([i, q]) => [i, fmt(q)])).toEqual([
      [0, '1.00000000'],
      [1, '1.50000000'],
    ]);
    const limited = takerPlan('BUY', asks(), fx('5'), fx('100.01'), null, fx('0.001'), fx('100.01'));
    expect(limited.takes.map(([, q]) => fmt(q))).toEqual(['1.00000000']);
    // 150.03 quote: 1 at 100.01, then 0.5 at 100.02 (step 0.001 floors 0.50019...)
    const q = takerPlan('BUY', asks(), 0n, null, fx('150.03'), fx('0.001'), fx('100.01'));
    expect(q.takes.map(([, x]) => fmt(x))).toEqual(['1.00000000', '0.50000000']);
    expect(fmt(q.sizedQty!)).toBe('1.50000000');
  });

  it('a resting order takes every level that crosses its price, and none that does not', () => {
    expect(restingTakes('SELL', fx('100.02'), [lv('100.03', '1'), lv('100.02', '1'), lv('100.01', '9')], fx('5')).map(([i, q]) => [i, fmt(q)])).toEqual([
      [0, '1.00000000'],
      [1, '1.00000000'],
    ]);
    expect(restingTakes('BUY', fx('100'), asks(), fx('1'))).toEqual([]);
  });

  it('walk cost prices what the book lacks at its last level', () => {
    expect(fmt(walkCost(asks(), fx('10'), fx('100.01')))).toBe(fmt(fx('100.01') + fx('200.04') + fx('500.15') + fx('200.06')));
  });

  it('the touch: half the spread each side on the tick grid, ask above bid; levels half a bps apart', () => {
    const a = touchAround(fx('64000'), 1, fx('0.01'));
    expect([fmt(a.bid), fmt(a.ask)]).toEqual(['63996.80000000', '64003.21000000']); // 0.5 bps of 64000 each side, the ask one tick up
    const thin = touchAround(fx('1'), 1, fx('0.01'));
    expect(thin.ask > thin.bid).toBe(true);
    expect(fmt(levelSpacing(fx('64000'), fx('0.01')))).toBe('3.20000000');
  });

  const SPEC: FilterSpec = {
    tickSize: fx('0.01'),
    minPrice: fx('0.01'),
    maxPrice: fx('1000000'),
    stepSize: fx('0.00001'),
    minQty: fx('0.00001'),
    maxQty: fx('9000'),
    marketStepSize: 0n,
    marketMinQty: 0n,
    marketMaxQty: fx('100'),
    minNotional: fx('5'),
    maxNotional: fx('9000000'),
    bidMultiplierUp: fx('5'),
    bidMultiplierDown: fx('0.2'),
    askMultiplierUp: fx('5'),
    askMultiplierDown: fx('0.2'),
    minTrailingDelta: 10,
    maxTrailingDelta: 2000,
  };
  const book = { bid: fx('63999'), ask: fx('64001'), avg: fx('64000') };
  const order = {
    side: 'BUY' as const,
    type: 'LIMIT' as const,
    quantity: fx('0.001'),
    quoteOrderQty: null,
    price: fx('64000'),
    stopPrice: null,
    trailingDelta: null,
  };

  it('filters: each failure is named as Binance names it, in Binance order', () => {
    expect(filterFailure(SPEC, order, book)).toBeNull();
    expect(filterFailure(SPEC, { ...order, price: fx('64000.001') }, book)).toBe('PRICE_FILTER');
    expect(filterFailure(SPEC, { ...order, stopPrice: fx('0.001') }, book)).toBe('PRICE_FILTER');
    expect(filterFailure(SPEC, { ...order, quantity: fx('0.000015') }, book)).toBe('LOT_SIZE');
    expect(filterFailure(SPEC, { ...order, type: 'MARKET', price: null, quantity: fx('101') }, book)).toBe('MARKET_LOT_SIZE');
    expect(filterFailure(SPEC, { ...order, quantity: fx('0.00001') }, book)).toBe('NOTIONAL');
    expect(filterFailure(SPEC, { ...order, price: fx('320001'), quantity: fx('0.00002') }, book)).toBe('PERCENT_PRICE_BY_SIDE');
    expect(filterFailure(SPEC, { ...order, type: 'STOP_LOSS', price: null, trailingDelta: 5 }, book)).toBe('TRAILING_DELTA');
    // An unpriced order's notional is judged at the touch it would take.
    expect(filterFailure(SPEC, { ...order, type: 'MARKET', price: null, quantity: fx('0.00008') }, book)).toBe(null);
    expect(filterFailure(SPEC, { ...order, type: 'MARKET', price: null, quantity: fx('0.00007') }, book)).toBe('NOTIONAL');
  });
});

describe('matching on bars', () => {
  it('a bar is replayed open, low, high, close', () => {
    expect(barPath(fx('10'), fx('12'), fx('9'), fx('11')).map(fmt)).toEqual(['10.00000000', '9.00000000', '12.00000000', '11.00000000']);
    expect(pathTouches([fx('100')], 1, fx('0.01'))).toEqual([touchAround(fx('100'), 1, fx('0.01'))]);
  });

  it('a fresh marketable LIMIT BUY takes the open ask as taker; one below the market fills at its own price as maker when the ask comes down', () => {
    const path = [t('99.99', '100.01'), t('98.99', '99.01'), t('101.99', '102.01'), t('100.99', '101.01')];
    expect(limitOnPath('BUY', fx('100.5'), fx('1'), path, 0, true)).toEqual({ at: 0, price: fx('100.01'), maker: false });
    expect(limitOnPath('BUY', fx('99.5'), fx('1'), path, 0, true)).toEqual({ at: 1, price: fx('99.5'), maker: true });
    expect(limitOnPath('BUY', fx('98'), fx('1'), path, 0, true)).toBeNull();
    // Resting from an earlier bar, a gap down through it fills at its own price (a maker), not the open.
    expect(limitOnPath('BUY', fx('100.5'), fx('1'), path, 0, false)).toEqual({ at: 0, price: fx('100.5'), maker: true });
  });

  it('a MARKET SELL takes the bid of its point', () => {
    expect(marketOnPath('SELL', [t('99', '101')], 0)).toEqual({ at: 0, price: fx('99'), maker: false });
  });

  const oco = { takeProfit: fx('105'), stopPrice: fx('95'), stopLimit: fx('94.8') };

  it('an OCO: the take-profit fills at its price; a stop crossed between points fills at its limit; the stop wins a bar that reaches both', () => {
    const up = [t('100', '100.02'), t('99', '99.02'), t('106', '106.02'), t('104', '104.02')];
    expect(sellOcoOnPath(oco, fx('1'), up, 0)).toEqual({ kind: 'TAKE_PROFIT', fill: { at: 2, price: fx('105'), maker: true } });
    const both = [t('100', '100.02'), t('90', '90.02'), t('106', '106.02'), t('104', '104.02')];
    expect(sellOcoOnPath(oco, fx('1'), both, 0)).toEqual({ kind: 'STOP', fill: { at: 1, price: fx('94.8'), maker: true } });
    const flat = [t('100', '100.02'), t('99', '99.02'), t('101', '101.02'), t('100', '100.02')];
    expect(sellOcoOnPath(oco, fx('1'), flat, 0)).toEqual({ kind: 'NONE' });
  });

  it('an OCO whose stop is gapped through below its limit: the stop triggers and rests until a bid reaches the limit', () => {
    const gap = [t('90', '90.02'), t('89', '89.02'), t('94', '94.02'), t('93', '93.02')];
    expect(sellOcoOnPath(oco, fx('1'), gap, 0)).toEqual({ kind: 'STOP_RESTING', at: 0 });
    const back = [t('90', '90.02'), t('89', '89.02'), t('95', '95.02'), t('93', '93.02')];
    expect(sellOcoOnPath(oco, fx('1'), back, 0)).toEqual({ kind: 'STOP', fill: { at: 2, price: fx('94.8'), maker: true } });
  });

  it('a trailing stop: follows the high bid, sells at its trigger level when crossed between points, at the bid on a gap', () => {
    const path = [t('100', '100.02'), t('99', '99.02'), t('110', '110.02'), t('100', '100.02')];
    const r = sellTrailingOnPath(fx('100'), 500, fx('0.01'), path, 0); // 5 % behind 110 = 104.5
    expect(r).toEqual({ ref: fx('110'), fill: { at: 3, price: fx('104.5'), maker: false } });
    const quiet = sellTrailingOnPath(fx('100'), 500, fx('0.01'), [t('99', '99.02'), t('98', '98.02')], 0);
    expect(quiet).toEqual({ ref: fx('100'), fill: null });
    // 1 % behind 100.07 is 99.0693: the bid first reaches it at 99.06 on a 0.01 grid.
    const odd = sellTrailingOnPath(fx('100.07'), 100, fx('0.01'), [t('100', '100.02'), t('98', '98.02')], 0);
    expect(odd.fill).toEqual({ at: 1, price: fx('99.06'), maker: false });
    const gapped = sellTrailingOnPath(fx('110'), 500, fx('0.01'), [t('100', '100.02')], 0);
    expect(gapped.fill).toEqual({ at: 0, price: fx('100'), maker: false });
  });
});
