import { createRequire } from 'node:module';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';

/**
 * A group of JSON schemas compiled together with one set of ajv options. The build turns each set
 * into a standalone CommonJS module of validate functions (ajv's standalone code generation, see
 * scripts/validators.ts), so a worker thread loads a few small functions instead of the ajv
 * compiler and compiling its schemas at every start (0.3-0.5 s of CPU per boot, measured).
 */
export interface ValidatorSet<K extends string = string> {
  readonly options: Pick<Options, 'allErrors' | 'strict' | 'useDefaults'>;
  readonly schemas: { readonly [name in K]: object };
  /** Keywords of ours that only annotate the schema (x-unit, x-maximum): the validators ignore them. */
  readonly annotations?: readonly string[];
  /** The schemas use ajv-formats' formats (`uri`), in its full mode. */
  readonly formats?: boolean;
}

/**
 * The set's validators as the build generated them, loaded from `specifier` (a package export of
 * its dist/*.generated.cjs) resolved from `from` (the caller's import.meta.url). A missing file or a
 * validator the file lacks (a build older than the schemas) throws: the thread does not start.
 */
export function loadPrecompiledValidators<K extends string>(from: string, specifier: string, set: ValidatorSet<K>): Readonly<Record<K, ValidateFunction>> {
  let mod: Record<string, unknown>;
  try {
    mod = createRequire(from)(specifier) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${specifier}: precompiled validators not loadable (run \`npm run build\`): ${e instanceof Error ? e.message : String(e)}`);
  }
  const out: Partial<Record<K, ValidateFunction>> = {};
  for (const name of Object.keys(set.schemas) as K[]) {
    const f = mod[name];
    if (typeof f !== 'function') throw new Error(`${specifier}: no validator '${name}' (a build older than the schemas: run \`npm run build\`)`);
    out[name] = f as ValidateFunction;
  }
  return out as Record<K, ValidateFunction>;
}

/** ajv's `errorsText` with its defaults (", " between errors, "data" for the root), without an ajv instance. */
export function ajvErrorsText(errors: readonly ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return 'No errors';
  return errors.map((e) => `data${e.instancePath} ${String(e.message)}`).join(', ');
}
