/**
 * Fixed-point decimals with 8 places on BigInt: Binance quotes every price, quantity and balance
 * with at most 8 decimals. Independent of the bot's decimal code on purpose.
 */
export type Fx = bigint;
export const SCALE = 100_000_000n;
export const DP = 8;
const RE = /^(\d+)(?:\.(\d+))?$/;

export type ParseResult = { ok: true; value: Fx } | { ok: false; why: 'syntax' | 'precision' };

export function parseFx(s: string): ParseResult {
  const m = RE.exec(s);
  if (!m) return { ok: false, why: 'syntax' };
  const frac = m[2] ?? '';
  const significant = frac.replace(/0+$/, '');
  if (significant.length > DP) return { ok: false, why: 'precision' };
  return { ok: true, value: BigInt(m[1]!) * SCALE + BigInt(significant.padEnd(DP, '0') || '0') };
}

export function fx(s: string): Fx {
  const r = parseFx(s);
  if (!r.ok) throw new Error(`bad decimal ${s}`);
  return r.value;
}

export function fmt(v: Fx): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? '-' : ''}${a / SCALE}.${(a % SCALE).toString().padStart(DP, '0')}`;
}

export const mul = (a: Fx, b: Fx): Fx => (a * b) / SCALE;
export const div = (a: Fx, b: Fx): Fx => (a * SCALE) / b;
export const min = (a: Fx, b: Fx): Fx => (a < b ? a : b);
export const max = (a: Fx, b: Fx): Fx => (a > b ? a : b);
/** Is v a whole multiple of step above base (step 0 = no constraint)? */
export const onStep = (v: Fx, base: Fx, step: Fx): boolean => step === 0n || (v - base) % step === 0n;
export const floorStep = (v: Fx, step: Fx): Fx => (step === 0n ? v : v - (v % step));
