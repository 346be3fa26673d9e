/**
 * The experiments command's own inputs, checked before anything runs: a refusal names its reason
 * code and what was wrong, and nothing is started or written. The parameter values themselves are
 * checked later by the configuration schema (each set as a Live configuration).
 */
export type InputCheck<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: InputCode; readonly message: string };

export type InputCode =
  'EXPERIMENTS_GRID_INVALID' | 'EXPERIMENTS_THREADS_INVALID' | 'EXPERIMENTS_GENERATE_INVALID' | 'EXPERIMENTS_DATA_INVALID' | 'EXPERIMENTS_OUT_INVALID';

export type Grid = Readonly<Record<string, readonly (string | number)[]>>;

/** Above this many parameter sets a grid is a typo, not a study: the expansion alone would fill memory. */
export const MAX_GRID_SETS = 10_000;
/** Values per key, and the length of a value written as text. */
export const MAX_GRID_VALUES = 1_000;
const MAX_VALUE_CHARS = 64;
export const MAX_THREADS = 256;
/** The generated CSV is one string in memory: a JavaScript string holds at most about 512 M characters (~100 a line). */
export const MAX_GENERATE_BARS = 2_000_000;

const refuse = <T>(code: InputCode, message: string): InputCheck<T> => ({ ok: false, code, message });

/** A grid: a JSON object of configuration keys, each with a non-empty list of strings or finite numbers. */
export function checkGrid(v: unknown): InputCheck<Grid> {
  const bad = (m: string): InputCheck<Grid> => refuse('EXPERIMENTS_GRID_INVALID', m);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('the grid must be a JSON object of key -> list of values');
  const entries = Object.entries(v);
  if (entries.length === 0) return bad('the grid has no key');
  let sets = 1;
  for (const [k, values] of entries) {
    if (!Array.isArray(values)) return bad(`grid key ${JSON.stringify(k)} is not a list of values`);
    if (values.length === 0) return bad(`grid key ${JSON.stringify(k)} has no value`);
    if (values.length > MAX_GRID_VALUES) return bad(`grid key ${JSON.stringify(k)} has ${values.length} values, more than ${MAX_GRID_VALUES}`);
    for (const x of values as unknown[]) {
      const ok = (typeof x === 'number' && Number.isFinite(x)) || (typeof x === 'string' && x.length > 0 && x.length <= MAX_VALUE_CHARS);
      if (!ok) return bad(`grid key ${JSON.stringify(k)}: value ${JSON.stringify(x)?.slice(0, 80) ?? String(x)} is not a finite number or a short string`);
    }
    if (new Set(values.map(String)).size !== values.length) return bad(`grid key ${JSON.stringify(k)} repeats a value`);
    sets *= values.length;
    if (sets > MAX_GRID_SETS) return bad(`the grid expands to more than ${MAX_GRID_SETS} parameter sets`);
  }
  return { ok: true, value: v as Grid };
}

/** `--threads`: a whole number from 1 to MAX_THREADS, written as digits. */
export function checkThreads(text: string): InputCheck<number> {
  const n = /^[0-9]{1,4}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_THREADS))
    return refuse('EXPERIMENTS_THREADS_INVALID', `--threads ${JSON.stringify(text)} is not a whole number from 1 to ${MAX_THREADS}`);
  return { ok: true, value: n };
}

/** `--generate`'s `--bars` (1..MAX_GENERATE_BARS) and `--seed` (0..2^32-1), written as digits. */
export function checkGenerate(bars: string, seed: string): InputCheck<{ bars: number; seed: number }> {
  const b = /^[0-9]{1,9}$/.test(bars) ? Number(bars) : NaN;
  if (!(b >= 1 && b <= MAX_GENERATE_BARS))
    return refuse('EXPERIMENTS_GENERATE_INVALID', `--bars ${JSON.stringify(bars)} is not a whole number from 1 to ${MAX_GENERATE_BARS}`);
  const s = /^[0-9]{1,10}$/.test(seed) ? Number(seed) : NaN;
  if (!(s >= 0 && s <= 0xffff_ffff)) return refuse('EXPERIMENTS_GENERATE_INVALID', `--seed ${JSON.stringify(seed)} is not a whole number from 0 to 4294967295`);
  return { ok: true, value: { bars: b, seed: s } };
}
