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
  const rows: number[] = [];
  const lines = text.split(/\r?\n/);
  let last = -Infinity;
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] ?? '').trim();
    if (line === '' || /^open_time|^[a-z]/i.test(line)) continue;
    const f = line.split(',');
    const nums = f.slice(0, 6).map(Number);
    if (f.length < 6 || nums.some((x) => !Number.isFinite(x)))
      throw new Error(`kline CSV line ${n + 1}: expected open_time,open,high,low,close,volume numbers`);
    const [t, o, h, l, c] = nums as [number, number, number, number, number];
    if (!(h >= Math.max(o, c) && l <= Math.min(o, c) && l > 0)) throw new Error(`kline CSV line ${n + 1}: high/low inconsistent with open/close`);
    const ms = t > 1e14 ? Math.floor(t / 1000) : t;
    if (ms <= last) throw new Error(`kline CSV line ${n + 1}: open_time not increasing`);
    last = ms;
    const [so, sh, sl, sc] = [f[1], f[2], f[3], f[4]].map((x) => (x ?? '').trim()) as [string, string, string, string];
    rows.push(ms, o, h, l, c, exact(so, n + 1), exact(sh, n + 1), exact(sl, n + 1), exact(sc, n + 1));
  }
  const a = new Float64Array(new SharedArrayBuffer(rows.length * 8));
  a.set(rows);
  return a;
}

export const barCount = (a: Float64Array): number => a.length / BAR_FIELDS;

/** Seeded synthetic klines in the same CSV layout (for fixtures and experiments without data). */
export function syntheticKlineCsv(o: {
  readonly seed: number;
  readonly bars: number;
  readonly start_ms: number;
  readonly bar_ms: number;
  readonly price: number;
  readonly vol_bps: number;
}): string {
  let x = o.seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) % 1_000_000) / 1_000_000;
  };
  const rows: string[] = [];
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
    const t = o.start_ms + i * o.bar_ms;
    rows.push([t, open.toFixed(2), hi.toFixed(2), lo.toFixed(2), p.toFixed(2), (rnd() * 10).toFixed(4), t + o.bar_ms - 1, '0', '0', '0', '0', '0'].join(','));
  }
  return `${rows.join('\n')}\n`;
}
