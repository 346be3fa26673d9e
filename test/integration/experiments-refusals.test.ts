import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { experimentsCommand } from '../../apps/supervisor/src/experiments/command.js';
import { checkGenerate, checkGrid, checkThreads, MAX_GRID_SETS } from '../../apps/supervisor/src/experiments/inputs.js';

// `supervisor experiments` as an operator mistypes it: every bad input is refused before any work
// with its reason code and exit 64 (EX_USAGE), and leaves no report directory behind.
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'klines', 'SYNTH-1m-seed5.csv');

async function experiments(args: Partial<Parameters<typeof experimentsCommand>[0]>) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-exp-refusal-'));
  const varDir = join(dir, 'var');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ paths: { var_dir: varDir } }));
  let stderr = '';
  let stdout = '';
  const spies = [
    vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true)),
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true)),
  ];
  try {
    const code = await experimentsCommand({ config: join(dir, 'config.json'), bars: '10000', seed: '1', ...args }, {}, { write: () => true });
    return { code, stderr, stdout, dir, varDir };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

describe('supervisor experiments: refusals', () => {
  const cases: [string, Partial<Parameters<typeof experimentsCommand>[0]>, RegExp][] = [
    ['no --data', {}, /EXPERIMENTS_USAGE: --data/],
    ['--grid not JSON', { data: [FIXTURE], grid: '{bad' }, /EXPERIMENTS_GRID_INVALID: --grid is not JSON/],
    ['--grid an array', { data: [FIXTURE], grid: '[1,2]' }, /EXPERIMENTS_GRID_INVALID: the grid must be a JSON object/],
    ['--grid {}', { data: [FIXTURE], grid: '{}' }, /EXPERIMENTS_GRID_INVALID: the grid has no key/],
    ['--grid key without values', { data: [FIXTURE], grid: '{"lookback_bars":[]}' }, /EXPERIMENTS_GRID_INVALID: grid key "lookback_bars" has no value/],
    ['--grid key not a list', { data: [FIXTURE], grid: '{"lookback_bars":10}' }, /EXPERIMENTS_GRID_INVALID: grid key "lookback_bars" is not a list/],
    ['--grid value null', { data: [FIXTURE], grid: '{"lookback_bars":[null]}' }, /EXPERIMENTS_GRID_INVALID: .*value null/],
    ['--grid repeated value', { data: [FIXTURE], grid: '{"lookback_bars":[10,"10"]}' }, /EXPERIMENTS_GRID_INVALID: .*repeats a value/],
    ['--grid unknown key', { data: [FIXTURE], grid: '{"nosuch":[1]}' }, /EXPERIMENTS_GRID_INVALID: parameter set \{"nosuch":1\}: CONFIG_INVALID/],
    ['--grid value out of range', { data: [FIXTURE], grid: '{"lookback_bars":[1]}' }, /EXPERIMENTS_GRID_INVALID: .*strategy\.lookback_bars/],
    ['--threads 0', { data: [FIXTURE], threads: '0' }, /EXPERIMENTS_THREADS_INVALID: --threads "0"/],
    ['--threads abc', { data: [FIXTURE], threads: 'abc' }, /EXPERIMENTS_THREADS_INVALID/],
    ['--threads 1.5', { data: [FIXTURE], threads: '1.5' }, /EXPERIMENTS_THREADS_INVALID/],
    ['missing data file', { data: ['/nonexistent/k.csv'] }, /EXPERIMENTS_DATA_INVALID: \/nonexistent\/k\.csv: ENOENT/],
    ['a device as data', { data: ['/dev/zero'] }, /EXPERIMENTS_DATA_INVALID: \/dev\/zero: not a regular file/],
    ['--gate-verdicts missing', { data: [FIXTURE], gateVerdicts: '/nonexistent/v.json' }, /EXPERIMENTS_VERDICTS_INVALID/],
    ['--generate --bars -5', { generate: '/tmp/never-written.csv', bars: '-5' }, /EXPERIMENTS_GENERATE_INVALID: --bars "-5"/],
    ['--generate --seed x', { generate: '/tmp/never-written.csv', seed: 'x' }, /EXPERIMENTS_GENERATE_INVALID: --seed "x"/],
  ];
  for (const [name, args, err] of cases)
    it(`${name}: exit 64, the reason code on stderr, no report directory`, async () => {
      const r = await experiments(args);
      expect(r.code).toBe(64);
      expect(r.stderr).toMatch(err);
      expect(r.stdout).toBe('');
      expect(existsSync(join(r.varDir, 'experiments'))).toBe(false);
    });

  it('a data file without kline rows, and a header-only one, are refused by name; the run removes the report directory it made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-exp-empty-'));
    writeFileSync(join(dir, 'empty.csv'), '');
    writeFileSync(join(dir, 'header.csv'), 'open_time,open,high,low,close,volume\n');
    for (const f of ['empty.csv', 'header.csv']) {
      const r = await experiments({ data: [join(dir, f)], out: join(dir, `out-${f}`) });
      expect(r.code).toBe(64);
      expect(r.stderr).toContain(`EXPERIMENTS_DATA_INVALID: ${join(dir, f)}: no kline rows`);
      expect(existsSync(join(dir, `out-${f}`))).toBe(false);
    }
  });

  it('a report directory that cannot be made is refused before the run (EXPERIMENTS_OUT_INVALID)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-exp-out-'));
    writeFileSync(join(dir, 'file'), '');
    const r = await experiments({ data: [FIXTURE], grid: '{"lookback_bars":[10]}', out: join(dir, 'file', 'sub') });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/EXPERIMENTS_OUT_INVALID: report directory .*ENOTDIR/);
  });

  it('--generate into a directory that does not exist fails with EXPERIMENTS_GENERATE_FAILED (exit 1), no stack trace', async () => {
    const r = await experiments({ generate: '/nonexistent/dir/k.csv', bars: '10' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^supervisor experiments: EXPERIMENTS_GENERATE_FAILED: ENOENT[^\n]*\n$/);
  });

  it('a good run writes exactly the four report files, none left as .partial', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-exp-ok-'));
    mkdirSync(join(dir, 'out'));
    const r = await experiments({ data: [FIXTURE], grid: '{"lookback_bars":[10]}', threads: '1', out: join(dir, 'out') });
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['equity.csv', 'report.csv', 'report.html', 'report.json']);
  }, 60_000);
});

describe('experiments input checks (property)', () => {
  it('any JSON value is either a grid (non-empty lists of distinct finite numbers or short strings, at most MAX_GRID_SETS sets) or refused with EXPERIMENTS_GRID_INVALID; never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.array(fc.oneof(fc.integer(), fc.string(), fc.double()), { maxLength: 5 }))), (v) => {
        const r = checkGrid(v);
        if (!r.ok) {
          expect(r.code).toBe('EXPERIMENTS_GRID_INVALID');
          return;
        }
        const lists = Object.values(r.value);
        expect(lists.length).toBeGreaterThan(0);
        let sets = 1;
        for (const l of lists) {
          expect(l.length).toBeGreaterThan(0);
          expect(new Set(l.map(String)).size).toBe(l.length);
          for (const x of l) expect(typeof x === 'string' ? x.length > 0 && x.length <= 64 : Number.isFinite(x)).toBe(true);
          sets *= l.length;
        }
        expect(sets).toBeLessThanOrEqual(MAX_GRID_SETS);
      }),
      { numRuns: 2000 },
    );
  });

  it('a grid past MAX_GRID_SETS sets is refused before it is expanded', () => {
    const many = Array.from({ length: 101 }, (_, i) => i + 2);
    expect(checkGrid({ a: many, b: many })).toMatchObject({ ok: false, message: expect.stringMatching(/more than 10000 parameter sets/) });
  });

  it('--threads and --generate numbers: digits only, in range; anything else refused with its code', () => {
    fc.assert(
      fc.property(fc.string(), (t) => {
        const r = checkThreads(t);
        if (r.ok) expect(/^[0-9]+$/.test(t) && r.value >= 1 && r.value <= 256 && String(r.value) === String(Number(t))).toBe(true);
        else expect(r.code).toBe('EXPERIMENTS_THREADS_INVALID');
        const g = checkGenerate(t, '1');
        if (g.ok) expect(g.value.bars >= 1 && g.value.bars <= 2_000_000).toBe(true);
        else expect(g.code).toBe('EXPERIMENTS_GENERATE_INVALID');
      }),
    );
    expect(checkThreads('2')).toEqual({ ok: true, value: 2 });
    expect(checkGenerate('525600', '4294967295')).toEqual({ ok: true, value: { bars: 525_600, seed: 4_294_967_295 } });
    expect(checkGenerate('10', '4294967296').ok).toBe(false);
  });
});
