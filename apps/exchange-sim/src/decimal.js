export const SCALE = 100000000n;
export const DP = 8;
const RE = /^(\d+)(?:\.(\d+))?$/;
export function parseFx(s) {
    const m = RE.exec(s);
    if (!m)
        return { ok: false, why: 'syntax' };
    const frac = m[2] ?? '';
    const significant = frac.replace(/0+$/, '');
    if (significant.length > DP)
        return { ok: false, why: 'precision' };
    return { ok: true, value: BigInt(m[1]) * SCALE + BigInt(significant.padEnd(DP, '0') || '0') };
}
export function fx(s) {
    const r = parseFx(s);
    if (!r.ok)
        throw new Error(`bad decimal ${s}`);
    return r.value;
}
export function fmt(v) {
    const neg = v < 0n;
    const a = neg ? -v : v;
    return `${neg ? '-' : ''}${a / SCALE}.${(a % SCALE).toString().padStart(DP, '0')}`;
}
export const mul = (a, b) => (a * b) / SCALE;
export const div = (a, b) => (a * SCALE) / b;
export const min = (a, b) => (a < b ? a : b);
export const max = (a, b) => (a > b ? a : b);
/** Is v a whole multiple of step above base (step 0 = no constraint)? */
export const onStep = (v, base, step) => step === 0n || (v - base) % step === 0n;
export const floorStep = (v, step) => (step === 0n ? v : v - (v % step));
//# sourceMappingURL=decimal.js.map