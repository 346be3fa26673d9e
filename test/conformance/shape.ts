import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'binance');

/** A documented reply (test/fixtures/binance/<name>.json); its provenance is in <name>.source.txt. */
export function fixture(name: string): unknown {
  const v = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as unknown;
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && '_source' in v) {
    const { _source: _ignored, ...rest } = v as Record<string, unknown>;
    return rest;
  }
  return v;
}

type Kind = 'null' | 'array' | 'object' | 'string' | 'number' | 'boolean';
const kindOf = (v: unknown): Kind => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as Kind));

/** Keys that tell the elements of a heterogeneous array apart (filters, rate limits, order legs). */
const DISCRIMINATORS = ['filterType', 'rateLimitType', 'type'] as const;

/**
 * Where `got` (the simulator's reply) differs in shape from `want` (Binance's documented reply):
 * a key on one side only, or a JSON type that differs. Paths read `$.a.b[].c` (`[]` an array
 * element; `[X]` the element whose discriminator is X). `optional` lists normalised paths of fields
 * the docs call conditional (present only in some cases): absent on either side is not a divergence.
 * Array elements of the simulator are compared with the documented element of the same
 * discriminator value, else with the first; a documented array whose elements differ in JSON type
 * (a kline row) is a tuple, compared position by position.
 */
export function shapeDiff(want: unknown, got: unknown, optional: readonly string[] = [], path = '$'): string[] {
  const norm = (p: string): string => p.replace(/\[[^\]]*\]/g, '[]');
  const isOptional = (p: string): boolean => optional.includes(norm(p));
  const wk = kindOf(want);
  const gk = kindOf(got);
  if (wk !== gk) return [`${path}: Binance sends ${wk}, the simulator ${gk}`];
  if (wk === 'object') {
    const w = want as Record<string, unknown>;
    const g = got as Record<string, unknown>;
    const out: string[] = [];
    for (const k of Object.keys(w)) if (!(k in g) && !isOptional(`${path}.${k}`)) out.push(`${path}.${k}: in Binance's reply, missing from the simulator's`);
    for (const k of Object.keys(g)) if (!(k in w) && !isOptional(`${path}.${k}`)) out.push(`${path}.${k}: in the simulator's reply, not in Binance's`);
    for (const k of Object.keys(w)) if (k in g) out.push(...shapeDiff(w[k], g[k], optional, `${path}.${k}`));
    return out;
  }
  if (wk === 'array') {
    const w = want as unknown[];
    const g = got as unknown[];
    if (w.length === 0) return [];
    if (g.length === 0) return isOptional(`${path}[]`) ? [] : [`${path}: Binance's example has elements, the simulator's reply is empty (nothing to compare)`];
    const kinds = new Set(w.map(kindOf));
    if (kinds.size > 1) {
      if (g.length !== w.length) return [`${path}: a tuple of ${w.length} in Binance's reply, ${g.length} in the simulator's`];
      return w.flatMap((x, i) => shapeDiff(x, g[i], optional, `${path}[${i}]`));
    }
    return g.flatMap((x, i) => {
      const d = DISCRIMINATORS.find((k) => kindOf(x) === 'object' && k in (x as object));
      const label = d ? String((x as Record<string, unknown>)[d]) : String(i);
      const template = (d && w.find((y) => kindOf(y) === 'object' && (y as Record<string, unknown>)[d] === (x as Record<string, unknown>)[d])) ?? w[0];
      if (d === 'filterType' || d === 'rateLimitType') {
        if (!w.some((y) => (y as Record<string, unknown>)[d] === (x as Record<string, unknown>)[d]))
          return [`${path}[${label}]: ${d} ${label} is not in Binance's example`];
      }
      return shapeDiff(template, x, optional, `${path}[${label}]`);
    });
  }
  return [];
}
