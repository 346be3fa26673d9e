import { Dec, isDecimalString, type DecimalString, type RoundMode } from './decimal.js';

/**
 * Exact decimals as a scaled integer: the value is n / 10^s. The order path (local filter checks in
 * the gateway, quantization in the engine) runs a handful of comparisons, grid checks and products
 * per order, once in a while: code that V8 never gets to optimise. decimal.js does each of those in
 * JavaScript over digit arrays; a BigInt does it natively, so the cold path stays short
 * (docs/12_DECISIONS_LOG.md, 2026-12-07). Same inputs as parseDecimal, same results as Dec: the
 * property tests in exact.test.ts hold the two side by side.
 *
 * Invariants: s >= 0 is an integer; no operation rounds unless its name says so.
 */
export type Exact = { readonly n: bigint; readonly s: number };

const POW10: bigint[] = [1n];
/** 10^k as a BigInt, cached: scales stay small (parseExact's 64 characters; exactOf's exponent limit). */
export function pow10(k: number): bigint {
  for (let i = POW10.length; i <= k; i++) POW10.push((POW10[i - 1] as bigint) * 10n);
  return POW10[k] as bigint;
}

export const EXACT_ZERO: Exact = { n: 0n, s: 0 };

/** The largest decimal exponent exactOf writes out: far beyond any price, quantity or balance. */
const EXPONENT_LIMIT = 100;

/** Strict parse, as parseDecimal: a plain decimal string ("-12.340"), anything else undefined. */
export function parseExact(v: unknown): Exact | undefined {
  return isDecimalString(v) ? plain(v) : undefined;
}

/** A string already known to be digits with an optional fraction and sign. */
function plain(v: string): Exact {
  const dot = v.indexOf('.');
  if (dot < 0) return { n: BigInt(v), s: 0 };
  return { n: BigInt(v.slice(0, dot) + v.slice(dot + 1)), s: v.length - dot - 1 };
}

/**
 * Any text `new Dec(text)` reads ("1e-7" too), as an Exact; throws where Dec throws, and on an
 * exponent beyond ±EXPONENT_LIMIT. For values computed elsewhere in the bot: plain decimals take
 * the fast path, anything else goes through Dec.
 */
export function exactOf(v: string): Exact {
  const x = parseExact(v);
  if (x) return x;
  const d = new Dec(v);
  if (!d.isFinite()) throw new Error(`${v.slice(0, 40)} is not a finite decimal`);
  // "1e999999" is a valid Dec; written out it is a million digits. Nothing the bot trades is near.
  if (Math.abs(d.e) > EXPONENT_LIMIT) throw new Error(`${v.slice(0, 40)} is out of range (exponent beyond ±${EXPONENT_LIMIT})`);
  // toFixed never writes an exponent; its text may be longer than parseExact's input limit.
  return plain(d.toFixed());
}

/** The two numerators on the larger of the two scales. */
function aligned(a: Exact, b: Exact): [bigint, bigint, number] {
  if (a.s === b.s) return [a.n, b.n, a.s];
  return a.s > b.s ? [a.n, b.n * pow10(a.s - b.s), a.s] : [a.n * pow10(b.s - a.s), b.n, b.s];
}

export function cmpExact(a: Exact, b: Exact): -1 | 0 | 1 {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function mulExact(a: Exact, b: Exact): Exact {
  return { n: a.n * b.n, s: a.s + b.s };
}

export function subExact(a: Exact, b: Exact): Exact {
  const [x, y, s] = aligned(a, b);
  return { n: x - y, s };
}

/** True when x lies on the grid anchor + k*step (k any integer); step must not be zero. */
export function onGridExact(x: Exact, anchor: Exact, step: Exact): boolean {
  const d = subExact(x, anchor);
  const [dn, sn] = aligned(d, step);
  return dn % sn === 0n;
}

/** Integer quotient a/b rounded in `mode` (down = toward -inf, up = toward +inf, nearest = half away from zero). */
function divRound(a: bigint, b: bigint, mode: RoundMode): bigint {
  const q = a / b;
  const r = a % b;
  if (r === 0n) return q;
  // Sign of the exact quotient: BigInt division truncates toward zero.
  const negative = a < 0n !== b < 0n;
  if (mode === 'down') return negative ? q - 1n : q;
  if (mode === 'up') return negative ? q : q + 1n;
  const r2 = (r < 0n ? -r : r) * 2n;
  return r2 >= (b < 0n ? -b : b) ? (negative ? q - 1n : q + 1n) : q;
}

/** Snap x onto anchor + k*step in the given direction (step not zero); exact, as snapToGrid. */
export function snapExact(x: Exact, anchor: Exact, step: Exact, mode: RoundMode): Exact {
  const d = subExact(x, anchor);
  const [dn, sn, s] = aligned(d, step);
  const k = divRound(dn, sn, mode);
  // s >= anchor.s: the difference was taken on the larger scale.
  return { n: anchor.n * pow10(s - anchor.s) + k * sn, s };
}

/** x rounded to `dp` decimals in the given direction. */
export function roundExact(x: Exact, dp: number, mode: RoundMode): Exact {
  if (x.s <= dp) return x;
  return { n: divRound(x.n, pow10(x.s - dp), mode), s: dp };
}

/** ceil(a / b) for positive a and b, as an integer. */
export function ceilDivExact(a: Exact, b: Exact): bigint {
  const [x, y] = aligned(a, b);
  return divRound(x, y, 'up');
}

/** a / b truncated toward zero to `dp` decimals; b must not be zero. */
export function divTruncExact(a: Exact, b: Exact, dp: number): Exact {
  return { n: (a.n * pow10(b.s + dp)) / (b.n * pow10(a.s)), s: dp };
}

export function maxExact(a: Exact, b: Exact): Exact {
  return cmpExact(a, b) >= 0 ? a : b;
}

export function minExact(a: Exact, b: Exact): Exact {
  return cmpExact(a, b) <= 0 ? a : b;
}

export function addExact(a: Exact, b: Exact): Exact {
  const [x, y, s] = aligned(a, b);
  return { n: x + y, s };
}

/** Decimals that matter: 0.00100 -> 3, 1.000 -> 0 (Dec's decimalPlaces). */
export function decimalsOf(x: Exact): number {
  if (x.n === 0n) return 0;
  let n = x.n;
  let s = x.s;
  while (s > 0 && n % 10n === 0n) {
    n /= 10n;
    s--;
  }
  return s;
}

/** Fixed-point text with exactly `dp` decimals, truncated toward zero and never "-0": as formatDecimal. */
export function formatExact(x: Exact, dp: number): DecimalString {
  const n = x.s > dp ? x.n / pow10(x.s - dp) : x.n * pow10(dp - x.s);
  const neg = n < 0n;
  const digits = (neg ? -n : n).toString().padStart(dp + 1, '0');
  const body = dp === 0 ? digits : `${digits.slice(0, digits.length - dp)}.${digits.slice(digits.length - dp)}`;
  return neg ? `-${body}` : body;
}

/** Canonical shortest text, as Dec's toFixed(): "1.2300" -> "1.23", "5.000" -> "5". */
export function plainExact(x: Exact): DecimalString {
  return formatExact(x, decimalsOf(x));
}
