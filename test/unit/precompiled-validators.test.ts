import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { ValidatorSet } from '../../packages/runtime/src/precompiled-validators.js';
import { ajvErrorsText } from '../../packages/runtime/src/precompiled-validators.js';
import { GATEWAY_VALIDATORS } from '../../packages/gateway/src/reply-validators.js';
import { AIGATE_VALIDATORS, DECISION_BUILD_VALIDATORS } from '../../packages/engine/src/decision-validators.js';
import { GATEWAY_REPLY_SET } from '../../packages/gateway/src/reply-schemas.js';
import { AIGATE_SET, DECISION_BUILD_SET } from '../../packages/engine/src/decision-schemas.js';
import { CONFIG_SET } from '../../packages/runtime/src/config-schema.js';
import { loadPrecompiledValidators } from '../../packages/runtime/src/precompiled-validators.js';
import { rng } from '../../apps/exchange-sim/src/rng.js';
import { PRECOMPILED, setAjv, validatorCode } from '../../scripts/validators.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

type Schema = { readonly [k: string]: unknown };
const STRINGS = [
  '',
  'x',
  '1',
  '0.5',
  '12.34000000',
  '1e5',
  '-1',
  'BTCUSDT',
  'BTC',
  'dec_0123456789abcdef0123456789abcdef',
  'ÄÖ',
  'NEW',
  'LIMIT',
  'SUCCESS',
  '9'.repeat(70),
];
const NUMBERS = [0, 1, -1, -2, 5, 18, 19, 2000, 2001, 1.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2];

/** A leaf schema's own check (bounds, pattern, length), compiled once per schema object. */
const leafChecks = new Map<Schema, ValidateFunction>();
const leafAjv = new Ajv({ strict: false });
function leafCheck(schema: Schema): ValidateFunction {
  let v = leafChecks.get(schema);
  if (v === undefined) leafChecks.set(schema, (v = leafAjv.compile(schema)));
  return v;
}

/** Values shaped after `schema` (mostly close to valid, sometimes not at all): inputs on which two validators can disagree. */
function sample(schema: Schema, r: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const junk = (): unknown => pick<unknown>([null, true, 7, 'junk', [], {}, 1.25]);
  if (depth > 6 || r() < 0.01) return junk();
  // Mostly a value within the schema's own bounds (so that whole objects are valid often enough), sometimes any.
  const fits = (v: string | number): boolean => leafCheck(schema)(v);
  const bounded = <T extends string | number>(pool: readonly T[]): T => {
    const ok = pool.filter(fits);
    return ok.length > 0 && r() < 0.95 ? pick(ok) : pick(pool);
  };
  if (Array.isArray(schema['enum'])) return r() < 0.9 ? pick(schema['enum'] as unknown[]) : pick(STRINGS);
  if ('const' in schema) return r() < 0.9 ? schema['const'] : pick(STRINGS);
  if (Array.isArray(schema['anyOf'])) return sample(pick(schema['anyOf'] as Schema[]), r, depth + 1);
  const type = Array.isArray(schema['type']) ? pick(schema['type'] as string[]) : (schema['type'] as string | undefined);
  switch (type) {
    case 'object': {
      let props = { ...((schema['properties'] as Record<string, Schema> | undefined) ?? {}) };
      let required = [...((schema['required'] as string[] | undefined) ?? [])];
      // A filter entry: one of its if/then branches (the filterType and the fields it then requires).
      if (Array.isArray(schema['allOf'])) {
        const branch = pick(schema['allOf'] as Schema[]);
        const cond = (branch['if'] ?? {}) as Schema;
        const then = (branch['then'] ?? {}) as Schema;
        props = { ...props, ...(cond['properties'] as object), ...(then['properties'] as object) };
        required = [...required, ...((cond['required'] as string[] | undefined) ?? []), ...((then['required'] as string[] | undefined) ?? [])];
      }
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(props)) if (r() < (required.includes(k) ? 0.99 : 0.5)) out[k] = sample(s, r, depth + 1);
      if (r() < 0.03) out['extra'] = pick(STRINGS);
      return out;
    }
    case 'array': {
      const n = Math.floor(r() * 3);
      return Array.from({ length: n }, () => sample((schema['items'] as Schema | undefined) ?? {}, r, depth + 1));
    }
    case 'string':
      return bounded(STRINGS);
    case 'integer':
    case 'number':
      return bounded(NUMBERS);
    case 'boolean':
      return r() < 0.9 ? r() < 0.5 : pick(STRINGS);
    case 'null':
      return null;
    default:
      return junk();
  }
}

const LOADED: readonly { readonly name: string; readonly set: ValidatorSet; readonly validators: Readonly<Record<string, ValidateFunction>> }[] = [
  { name: 'gateway replies', set: GATEWAY_REPLY_SET, validators: GATEWAY_VALIDATORS },
  { name: 'decision build', set: DECISION_BUILD_SET, validators: DECISION_BUILD_VALIDATORS },
  { name: 'AI gate', set: AIGATE_SET, validators: AIGATE_VALIDATORS },
  {
    name: 'configuration',
    set: CONFIG_SET,
    validators: loadPrecompiledValidators(
      new URL('../../packages/runtime/src/config-load.ts', import.meta.url).href,
      '@vigil/runtime/config-validator.generated',
      CONFIG_SET,
    ),
  },
];

describe('validators compiled at build time (ajv standalone)', () => {
  it.each(PRECOMPILED.map((p) => [p.out, p] as const))(
    '%s in dist is what the current schemas generate (a schema changed without `npm run build` fails here)',
    (_out, p) => {
      expect(readFileSync(join(root, p.out), 'utf8')).toBe(validatorCode(p.set));
    },
  );

  it.each(LOADED.map((l) => [l.name, l] as const))(
    '%s: each precompiled validator gives the same verdict, the same errors and the same defaults filled in as ajv compiling its schema at run time, over 400 generated inputs',
    (_name, l) => {
      const ajv = setAjv(l.set, false);
      for (const [key, schema] of Object.entries(l.set.schemas)) {
        const reference = ajv.compile(schema);
        const pre = l.validators[key];
        expect(pre, key).toBeTypeOf('function');
        const r = rng(key.length * 7919 + 1);
        let valid = 0;
        for (let i = 0; i < 400; i++) {
          const input = sample(schema as Schema, r);
          // Each validator gets its own copy: with useDefaults (the configuration) validating fills the input in.
          const filled = structuredClone(input);
          const want = reference(input);
          expect(pre!(filled), `${key} #${i}: ${JSON.stringify(input)}`).toBe(want);
          expect(pre!.errors ?? null, `${key} #${i}`).toEqual(reference.errors ?? null);
          expect(filled, `${key} #${i}: the defaults filled in`).toEqual(input);
          if (want) valid++;
        }
        // The inputs exercise both verdicts, or the comparison above proves little.
        expect(valid, `${key}: valid inputs`).toBeGreaterThan(0);
        expect(valid, `${key}: invalid inputs`).toBeLessThan(400);
      }
    },
  );

  it('ajvErrorsText formats errors exactly as ajv.errorsText does', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const v = ajv.compile(DECISION_BUILD_SET.schemas.decision);
    expect(v({ symbol: 'bad symbol', side: 'UP' })).toBe(false);
    expect(v.errors?.length).toBeGreaterThan(1);
    expect(ajvErrorsText(v.errors)).toBe(ajv.errorsText(v.errors));
    expect(ajvErrorsText(null)).toBe(ajv.errorsText(null));
    expect(ajvErrorsText([])).toBe(ajv.errorsText([]));
  });
});
