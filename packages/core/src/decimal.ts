import { Decimal } from 'decimal.js';

/**
 * Exact decimals for prices and quantities. Values cross every boundary as plain decimal strings
 * ("123.45", no exponent, no sign other than a leading '-'); inside, decimal.js with enough
 * precision that no operation we do rounds implicitly. Binary floats never appear on the way to an
 * order: there is deliberately no function here that accepts a number.
 */
export const Dec = Decimal.clone({ precision: 80, rounding: Decimal.ROUND_DOWN, toExpNeg: -100, toExpPos: 100 });
export type Dec = Decimal;

/** A decimal as Binance writes it: digits, optional fraction, no exponent. */
export type DecimalString = string;

const DECIMAL_RE = /^-?\d+(\.\d+)?$/;

export function isDecimalString(s: unknown): s is DecimalString {
  return typeof s === 'string' && s.length <= 64 && DECIMAL_RE.test(s);
}

/** A decimal string without a sign: what a venue's price, quantity, commission or balance always is. */
export function isUnsignedDecimal(s: unknown): s is DecimalString {
  return isDecimalString(s) && s.charCodeAt(0) !== 45; // '-'
}

/** Strict parse; anything that is not a plain decimal string (including numbers) is undefined. */
export function parseDecimal(s: unknown): Dec | undefined {
  return isDecimalString(s) ? new Dec(s) : undefined;
}

/** Decimal places that matter in a step such as "0.00100000" (3) or "1.00000000" (0). */
export function stepDecimals(step: Dec): number {
  return step.isZero() ? 0 : Math.max(0, step.decimalPlaces());
}

/** Fixed-point text with exactly `dp` decimals; toFixed never uses exponent notation. */
export function formatDecimal(d: Dec, dp: number): DecimalString {
  const s = d.toFixed(dp, Dec.ROUND_DOWN);
  return s.startsWith('-') && /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
}

/** Canonical shortest form: "1.2300" -> "1.23", "5.000" -> "5". */
export function trimDecimal(d: Dec): DecimalString {
  return formatDecimal(d, Math.max(0, d.decimalPlaces()));
}

export type RoundMode = 'down' | 'up' | 'nearest';

/** Snap `x` onto the grid anchor + k*step (k integer) in the given direction; exact. */
export function snapToGrid(x: Dec, anchor: Dec, step: Dec, mode: RoundMode): Dec {
  const k = x.minus(anchor).div(step);
  const rm = mode === 'down' ? Dec.ROUND_FLOOR : mode === 'up' ? Dec.ROUND_CEIL : Dec.ROUND_HALF_UP;
  return anchor.plus(k.toDecimalPlaces(0, rm).times(step));
}

/** True when x lies on the grid anchor + k*step. */
export function onGrid(x: Dec, anchor: Dec, step: Dec): boolean {
  return x.minus(anchor).mod(step).isZero();
}
