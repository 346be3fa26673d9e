import { describe, expect, it } from 'vitest';
import { parseFx } from '@vigil/matching';
import { createHash } from 'node:crypto';
import { BAR_FIELDS, F, parseKlineCsv, syntheticBars, syntheticKlineCsv } from '../../apps/supervisor/src/experiments/klines.js';

// The kline parse reads prices into exact 1e-8 integers without BigInt on the common path; every
// value must be the one parseFx gives, and every refusal the same as before.
const row = (t: number, o: string, h: string, l: string, c: string): string => `${t},${o},${h},${l},${c},1.5,${t + 59_999},0,0,0,0,0`;

describe('parseKlineCsv exact prices', () => {
  it('every exact column equals parseFx of the text: leading/trailing zeros, 1..8 places, whole numbers, spaces, the largest exact whole part', () => {
    const prices = ['0.00000001', '0012.50', '1.123456780000', '64000', '63933.27', ' 64000.5 ', '90071991.99999999', '90071992', '1.1', '7.00000000'];
    const lines = prices.map((p, i) => row(1_767_225_600_000 + i * 60_000, p, p, p, p));
    const a = parseKlineCsv(['open_time,open,high,low,close,volume', ...lines].join('\r\n'));
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(a.length).toBe(prices.length * BAR_FIELDS);
    prices.forEach((p, i) => {
      const r = parseFx(p.trim());
      if (!r.ok) throw new Error(p);
      for (const f of [F.openFx, F.highFx, F.lowFx, F.closeFx]) expect(a[i * BAR_FIELDS + f]).toBe(Number(r.value));
      expect(a[i * BAR_FIELDS + F.close]).toBe(Number(p));
    });
  });

  it('refuses what parseFx refuses or what exceeds an exact double, with the line number', () => {
    const bad: [string, RegExp][] = [
      ['1.123456789', /line 2: price 1.123456789 is not a plain decimal with at most 8 places/],
      ['12.', /line 2: price 12\. is not a plain decimal/],
      ['1e3', /line 2: price 1e3 is not a plain decimal/],
      ['0x10', /line 2: price 0x10 is not a plain decimal/],
      ['90071992.00000001', /line 2: price 90071992.00000001 above 90071992/],
      ['123456789012345678901234', /line 2: price 123456789012345678901234 above 90071992/],
    ];
    for (const [p, err] of bad) {
      const text = `${row(1_767_225_600_000, '10', '10', '10', '10')}\n${row(1_767_225_660_000, p, p, p, p)}\n`;
      expect(() => parseKlineCsv(text)).toThrow(err);
    }
    expect(() => parseKlineCsv(`${row(1_767_225_600_000, '1', '2', '1', '1')}\n${row(1_767_225_600_000, '1', '2', '1', '1')}\n`)).toThrow(
      /line 2: open_time not increasing/,
    );
    expect(() => parseKlineCsv('1767225600000,1,2,1,1\n')).toThrow(/line 1: expected open_time,open,high,low,close,volume numbers/);
  });

  it('a header is skipped only before the first row; a letter-led line after it, a fractional, zero or negative open_time and a negative volume are refused with the line', () => {
    const ok = row(1_767_225_600_000, '10', '11', '9', '10');
    expect(() => parseKlineCsv(`open_time,open,high,low,close,volume\n${ok}\n`)).not.toThrow();
    expect(() => parseKlineCsv(`${ok}\nx${row(1_767_225_660_000, '10', '11', '9', '10')}\n`)).toThrow(/line 2: expected open_time/);
    expect(() => parseKlineCsv(`${ok}\nopen_time,open,high,low,close,volume\n`)).toThrow(/line 2: expected open_time/);
    for (const t of ['1767225660000.5', '0', '-1767225660000'])
      expect(() => parseKlineCsv(`${t},10,11,9,10,1.5,0,0,0,0,0,0\n`)).toThrow(/line 1: open_time .* is not a positive whole number/);
    expect(() => parseKlineCsv('1767225660000,10,11,9,10,-1.5,0,0,0,0,0,0\n')).toThrow(/line 1: volume -1.5 is negative/);
  });
});

describe('the synthetic market', () => {
  const market = { seed: 7, bars: 3_000, start_ms: Date.UTC(2026, 0, 1), bar_ms: 60_000, price: 64_000, vol_bps: 8 };

  it('packed directly (syntheticBars) equals its CSV parsed (parseKlineCsv of syntheticKlineCsv), every field of every bar, in shared memory', () => {
    const direct = syntheticBars(market);
    const parsed = parseKlineCsv(syntheticKlineCsv(market));
    expect(direct.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(direct.length).toBe(market.bars * BAR_FIELDS);
    expect(Array.from(direct)).toEqual(Array.from(parsed));
  });

  it('keeps the CSV text of before the generator was shared (a fixture depends on it): same seed, same bytes', () => {
    const csv = syntheticKlineCsv({ ...market, bars: 500 });
    expect(csv.split('\n')[0]).toBe('1767225600000,64000.00,64048.80,63998.68,64048.80,8.4237,1767225659999,0,0,0,0,0');
    expect(createHash('sha256').update(csv).digest('hex').slice(0, 16)).toBe('a9fceb38b77d6061');
  });
});
