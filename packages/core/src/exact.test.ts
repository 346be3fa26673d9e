import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec, formatDecimal, onGrid, parseDecimal, snapToGrid, stepDecimals, type RoundMode } from './decimal.js';
import {
  addExact,
  ceilDivExact,
  divTruncExact,
  exactOf,
  maxExact,
  minExact,
  cmpExact,
  decimalsOf,
  formatExact,
  mulExact,
  onGridExact,
  parseExact,
  plainExact,
  roundExact,
  snapExact,
  subExact,
  type Exact,
} from './exact.js';

// Exact is the order path's fast twin of Dec: every operation must agree with decimal.js on every
// input parseDecimal accepts. Plain decimal strings of up to 12 + 12 digits, either sign, with
// leading and trailing zeros (as exchangeInfo pads them).
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const decimal = fc
  .tuple(fc.boolean(), digits(1, 12), fc.option(digits(1, 12), { nil: undefined }))
  .map(([neg, i, f]) => `${neg ? '-' : ''}${i}${f === undefined ? '' : `.${f}`}`);
const positive = fc.tuple(digits(1, 10), fc.option(digits(1, 10), { nil: undefined })).map(([i, f]) => `${i}${f === undefined ? '' : `.${f}`}`);
const nonZeroPositive = positive.filter((s) => !new Dec(s).isZero());
const mode = fc.constantFrom<RoundMode>('down', 'up', 'nearest');

const ex = (s: string): Exact => {
  const x = parseExact(s);
  if (!x) throw new Error(`test input ${s} did not parse`);
  return x;
};
const dec = (s: string): Dec => {
  const d = parseDecimal(s);
  if (!d) throw new Error(`test input ${s} did not parse`);
  return d;
};
/** The same number, whatever the scale. */
const same = (x: Exact, d: Dec): boolean => new Dec(plainExact(x)).eq(d);

describe('exact decimals agree with decimal.js', () => {
  it('parse the same strings as parseDecimal and nothing else', () => {
    for (const bad of ['1e-7', '1E3', ' 1', '+1', '.5', '1.', '', 'NaN', 'Infinity', '0x10', '1_000', '１']) expect(parseExact(bad)).toBeUndefined();
    expect(parseExact(0.1 as unknown)).toBeUndefined();
    expect(parseExact('9'.repeat(65))).toBeUndefined();
    fc.assert(fc.property(decimal, (s) => parseExact(s) !== undefined && parseDecimal(s) !== undefined));
  });
  it('write the canonical text Dec.toFixed() writes', () => {
    expect(plainExact(ex('0.00100000'))).toBe('0.001');
    expect(plainExact(ex('5.000'))).toBe('5');
    expect(plainExact(ex('000.000'))).toBe('0');
    fc.assert(fc.property(positive, (s) => plainExact(ex(s)) === dec(s).toFixed()));
  });
  it('format with a fixed number of decimals as formatDecimal does, never "-0"', () => {
    expect(formatExact(ex('-0.0001'), 2)).toBe('0.00');
    expect(formatExact(ex('-1.239'), 2)).toBe('-1.23');
    fc.assert(fc.property(decimal, fc.integer({ min: 0, max: 14 }), (s, dp) => formatExact(ex(s), dp) === formatDecimal(dec(s), dp)));
  });
  it('compare as Dec.cmp', () => {
    fc.assert(fc.property(decimal, decimal, (a, b) => cmpExact(ex(a), ex(b)) === dec(a).cmp(dec(b))));
  });
  it('subtract and multiply exactly', () => {
    fc.assert(
      fc.property(decimal, decimal, (a, b) => same(subExact(ex(a), ex(b)), dec(a).minus(dec(b))) && same(mulExact(ex(a), ex(b)), dec(a).times(dec(b)))),
    );
  });
  it('add, and take the larger and the smaller, as Dec.plus, Dec.max and Dec.min', () => {
    fc.assert(
      fc.property(
        decimal,
        decimal,
        (a, b) =>
          same(addExact(ex(a), ex(b)), dec(a).plus(dec(b))) &&
          same(maxExact(ex(a), ex(b)), Dec.max(dec(a), dec(b))) &&
          same(minExact(ex(a), ex(b)), Dec.min(dec(a), dec(b))),
      ),
    );
  });
  it('divide truncated toward zero as div then toFixed(dp) under ROUND_DOWN', () => {
    const nonZero = decimal.filter((s) => !new Dec(s).isZero());
    fc.assert(
      fc.property(
        decimal,
        nonZero,
        fc.integer({ min: 0, max: 8 }),
        (a, b, dp) => formatExact(divTruncExact(ex(a), ex(b), dp), dp) === formatDecimal(dec(a).div(dec(b)), dp),
      ),
    );
  });
  it('read what Dec reads, exponents included, and refuse what it refuses', () => {
    expect(plainExact(exactOf('1e-7'))).toBe('0.0000001');
    expect(plainExact(exactOf('-2.5E3'))).toBe('-2500');
    expect(plainExact(exactOf('12.3400'))).toBe('12.34');
    for (const bad of ['', 'abc', '1..2']) expect(() => exactOf(bad)).toThrow();
    expect(() => exactOf('Infinity')).toThrow();
    // Written out, these would be a million digits: refused at once, not expanded.
    expect(() => exactOf('1e999999')).toThrow(/out of range/);
    expect(() => exactOf('1e-999999')).toThrow(/out of range/);
    expect(plainExact(exactOf('1e100'))).toBe(`1${'0'.repeat(100)}`);
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e100, max: 1e100 }).filter((x) => x === 0 || Math.abs(x) >= 1e-100),
        (x) => same(exactOf(String(x)), new Dec(String(x))),
      ),
    );
  });
  it('count the decimals that matter as stepDecimals', () => {
    fc.assert(fc.property(positive, (s) => decimalsOf(ex(s)) === stepDecimals(dec(s))));
  });
  it('judge grid membership as onGrid', () => {
    expect(onGridExact(ex('60000.01'), ex('0.01000000'), ex('0.01000000'))).toBe(true);
    expect(onGridExact(ex('60000.015'), ex('0.01'), ex('0.01'))).toBe(false);
    fc.assert(fc.property(decimal, positive, nonZeroPositive, (x, a, st) => onGridExact(ex(x), ex(a), ex(st)) === onGrid(dec(x), dec(a), dec(st))));
  });
  it('snap onto a grid as snapToGrid in every mode, on and between grid points', () => {
    const onAndOff = fc.oneof(
      decimal,
      fc.tuple(positive, nonZeroPositive, fc.integer({ min: -50, max: 50 })).map(([a, st, k]) => dec(a).plus(dec(st).times(k)).toFixed()),
    );
    fc.assert(
      fc.property(onAndOff, positive, nonZeroPositive, mode, (x, a, st, m) => same(snapExact(ex(x), ex(a), ex(st), m), snapToGrid(dec(x), dec(a), dec(st), m))),
    );
  });
  it('round to a number of decimals as toDecimalPlaces with the same rounding', () => {
    const rm = { down: Dec.ROUND_FLOOR, up: Dec.ROUND_CEIL, nearest: Dec.ROUND_HALF_UP } as const;
    expect(plainExact(roundExact(ex('-1.25'), 1, 'nearest'))).toBe('-1.3');
    fc.assert(fc.property(decimal, fc.integer({ min: 0, max: 10 }), mode, (s, dp, m) => same(roundExact(ex(s), dp, m), dec(s).toDecimalPlaces(dp, rm[m]))));
  });
  it('divide with the quotient rounded up as div then ROUND_CEIL', () => {
    fc.assert(
      fc.property(
        nonZeroPositive,
        nonZeroPositive,
        (a, b) => ceilDivExact(ex(a), ex(b)).toString() === dec(a).div(dec(b)).toDecimalPlaces(0, Dec.ROUND_CEIL).toFixed(),
      ),
    );
  });
});
