import { parseFx } from '@vigil/matching';

/**
 * Historical bars for `supervisor experiments`, loaded once into one SharedArrayBuffer that every
 * worker thread reads in place (nothing is copied per task). Per bar, BAR_FIELDS doubles: the open
 * time, the prices as numbers (what the strategy's signal math reads, as Live's bars are numbers),
 * and the same prices as exact integers in 1e-8 units (what orders are matched against: the CSV's
 * decimal text parsed exactly, never through a float; exact in a double up to 9e7 per unit).
 */
export const BAR_FIELDS = 9;
export const F = { t: 0, open: 1, high: 2, low: 3, close: 4, openFx: 5, highFx: 6, lowFx: 7, closeFx: 8 } as const;

export interface KlineBar {
  readonly start_ms: number;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
}

/** Largest price an exact 1e-8 integer holds in a double (2^53 / 1e8). */
const MAX_EXACT = 90_071_992;

function exact(s: string, line: number): number {
  return exactFast(s) ?? exactChecked(s, line);
}

/**
 * The common case without BigInt (the parse of a year of 1-minute bars is the command's longest
 * serial step): digits, an optional point and digits, at most 8 significant places, the whole part
 * at most MAX_EXACT - 1. Then whole * 1e8 + fraction < 2^53, every step exact in a double: the
 * same value parseFx gives. Anything else (null) goes through parseFx and its errors.
 */
function exactFast(s: string): number | null {
  const n = s.length;
  let whole = 0;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
    if (whole >= MAX_EXACT) return null;
  }
  if (i === 0) return null;
  if (i === n) return whole * 1e8;
  if (s.charCodeAt(i) !== 46 || i === n - 1) return null;
  let end = n;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return null;
  }
  while (end > i + 1 && s.charCodeAt(end - 1) === 48) end--;
  if (end - i - 1 > 8) return null;
  let frac = 0;
  for (let j = i + 1; j < i + 9; j++) frac = frac * 10 + (j < end ? s.charCodeAt(j) - 48 : 0);
  return whole * 1e8 + frac;
}

function exactChecked(s: string, line: number): number {
  const r = parseFx(s);
  if (!r.ok) throw new Error(`kline CSV line ${line}: price ${s} is not a plain decimal with at most 8 places`);
  if (r.value > BigInt(MAX_EXACT) * 100_000_000n) throw new Error(`kline CSV line ${line}: price ${s} above ${MAX_EXACT}`);
  return Number(r.value);
}

/**
 * Binance public-data kline CSV (open_time, open, high, low, close, volume, close_time, ...), with
 * or without a header; open_time in ms or (newer spot files) µs. Bad rows are errors with a line
 * number, never skipped silently. Returns the packed shared array.
 */
export function parseKlineCsv(text: string): Float64Array {
  const lines = text.split(/\r?\n/);
  // Written in place (no growing array of numbers: the parse's garbage was most of its time), then
  // copied once into shared memory of the exact size.
  const out = new Float64Array(lines.length * BAR_FIELDS);
  let k = 0;
  let last = -Infinity;
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] ?? '').trim();
    // A header (a line starting with a letter) only before the first row: later, such a line is a
    // bad row and stops the parse like any other.
    if (line === '' || (k === 0 && /^[a-z]/i.test(line))) continue;
    const f = line.split(',', 6);
    const t = Number(f[0]);
    const o = Number(f[1]);
    const h = Number(f[2]);
    const l = Number(f[3]);
    const c = Number(f[4]);
    if (
      f.length < 6 ||
      !Number.isFinite(t) ||
      !Number.isFinite(o) ||
      !Number.isFinite(h) ||
      !Number.isFinite(l) ||
      !Number.isFinite(c) ||
      !Number.isFinite(Number(f[5]))
    )
      throw new Error(`kline CSV line ${n + 1}: expected open_time,open,high,low,close,volume numbers`);
    if (!(Number.isInteger(t) && t > 0)) throw new Error(`kline CSV line ${n + 1}: open_time ${f[0]} is not a positive whole number`);
    if (!(Number(f[5]) >= 0)) throw new Error(`kline CSV line ${n + 1}: volume ${f[5]} is negative`);
    if (!(h >= Math.max(o, c) && l <= Math.min(o, c) && l > 0)) throw new Error(`kline CSV line ${n + 1}: high/low inconsistent with open/close`);
    const ms = t > 1e14 ? Math.floor(t / 1000) : t;
    if (ms <= last) throw new Error(`kline CSV line ${n + 1}: open_time not increasing`);
    last = ms;
    out[k] = ms;
    out[k + 1] = o;
    out[k + 2] = h;
    out[k + 3] = l;
    out[k + 4] = c;
    out[k + 5] = exact((f[1] ?? '').trim(), n + 1);
    out[k + 6] = exact((f[2] ?? '').trim(), n + 1);
    out[k + 7] = exact((f[3] ?? '').trim(), n + 1);
    out[k + 8] = exact((f[4] ?? '').trim(), n + 1);
    k += BAR_FIELDS;
  }
  const a = new Float64Array(new SharedArrayBuffer(k * 8));
  a.set(out.subarray(0, k));
  return a;
}

export const barCount = (a: Float64Array): number => a.length / BAR_FIELDS;

/** What a seeded synthetic market is drawn from. */
export interface SyntheticMarket {
  readonly seed: number;
  readonly bars: number;
  readonly start_ms: number;
  readonly bar_ms: number;
  readonly price: number;
  readonly vol_bps: number;
}

/**
 * The seeded synthetic market, bar by bar: open time, the four prices as 2-decimal text, the
 * volume's text. One generator for the CSV and for the packed bars, so both are the same market.
 */
function eachSyntheticBar(o: SyntheticMarket, bar: (t: number, open: string, high: string, low: string, close: string, volume: string) => void): void {
  let x = o.seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) % 1_000_000) / 1_000_000;
  };
  let p = o.price;
  for (let i = 0; i < o.bars; i++) {
    const open = p;
    let hi = open;
    let lo = open;
    for (let k = 0; k < 4; k++) {
      p = p * (1 + ((rnd() - 0.5) * 2 * o.vol_bps) / 10_000);
      hi = Math.max(hi, p);
      lo = Math.min(lo, p);
    }
    bar(o.start_ms + i * o.bar_ms, open.toFixed(2), hi.toFixed(2), lo.toFixed(2), p.toFixed(2), (rnd() * 10).toFixed(4));
  }
}

/** Seeded synthetic klines in the same CSV layout (for fixtures and experiments without data). */
export function syntheticKlineCsv(o: SyntheticMarket): string {
  const rows: string[] = [];
  eachSyntheticBar(o, (t, open, high, low, close, volume) =>
    rows.push([t, open, high, low, close, volume, t + o.bar_ms - 1, '0', '0', '0', '0', '0'].join(',')),
  );
  return `${rows.join('\n')}\n`;
}

/**
 * The same market packed as parseKlineCsv packs it, without writing and reading CSV text: a fresh
 * worker's warm-up runs the experiment code over it, and the text was two thirds of that warm-up's
 * time (about 165 of 250 ms in a new thread), spent on code the real tasks never run.
 */
export function syntheticBars(o: SyntheticMarket): Float64Array {
  const a = new Float64Array(new SharedArrayBuffer(o.bars * BAR_FIELDS * 8));
  let k = 0;
  eachSyntheticBar(o, (t, open, high, low, close) => {
    a[k + F.t] = t;
    a[k + F.open] = Number(open);
    a[k + F.high] = Number(high);
    a[k + F.low] = Number(low);
    a[k + F.close] = Number(close);
    a[k + F.openFx] = exact(open, k / BAR_FIELDS + 1);
    a[k + F.highFx] = exact(high, k / BAR_FIELDS + 1);
    a[k + F.lowFx] = exact(low, k / BAR_FIELDS + 1);
    a[k + F.closeFx] = exact(close, k / BAR_FIELDS + 1);
    k += BAR_FIELDS;
  });
  return a;
}
