// The JSON-schema validators the build compiles ahead of time with ajv's standalone code generation:
// a worker thread then loads a few small validate functions instead of the ajv compiler, and
// compiles no schema at start. scripts/build.ts writes them into the packages' dist after tsc, at
// every build, from the schemas in the sources (so they cannot lag a build); the unit test
// test/unit/precompiled-validators.test.ts fails when a file in dist differs from what the current
// schemas generate (a schema changed without a build).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, _ } from 'ajv';
import formatsModule from 'ajv-formats';
import standaloneModule from 'ajv/dist/standalone/index.js';
import type { ValidatorSet } from '../packages/runtime/src/precompiled-validators.ts';
import { GATEWAY_REPLY_SET } from '../packages/gateway/src/reply-schemas.ts';
import { AIGATE_SET, DECISION_BUILD_SET } from '../packages/engine/src/decision-schemas.ts';
import { CONFIG_SET } from '../packages/runtime/src/config-schema.ts';

// ajv/dist/standalone is CommonJS: its default import is module.exports, the function, which also
// carries itself as `.default` (the property the types describe).
const standaloneCode = standaloneModule.default;
// ajv-formats is CommonJS too: the function, also exported as `.default`.
const addFormats = formatsModule.default;

/** Each set and the file (relative to the repository root) its validators are written to. */
export const PRECOMPILED: readonly { readonly out: string; readonly set: ValidatorSet }[] = [
  { out: 'packages/gateway/dist/reply-validators.generated.cjs', set: GATEWAY_REPLY_SET },
  { out: 'packages/engine/dist/decision-build-validators.generated.cjs', set: DECISION_BUILD_SET },
  { out: 'packages/engine/dist/aigate-validators.generated.cjs', set: AIGATE_SET },
  { out: 'packages/runtime/dist/config-validator.generated.cjs', set: CONFIG_SET },
];

/**
 * An ajv instance for the set, as the build compiles it and as a test compiles it at run time:
 * its options, ajv-formats when the set uses formats (the generated code then requires ajv-formats'
 * format functions), and its annotation keywords.
 */
export function setAjv(set: ValidatorSet, standalone: boolean): Ajv {
  const ajv = new Ajv({
    ...set.options,
    // code.source keeps each function's source for the generator; it does not change what is validated.
    ...(standalone ? { code: { source: true, ...(set.formats ? { formats: _`require("ajv-formats/dist/formats").fullFormats` } : {}) } } : {}),
  });
  if (set.formats) addFormats(ajv);
  for (const keyword of set.annotations ?? []) ajv.addKeyword({ keyword, schemaType: 'string' });
  return ajv;
}

/** The CommonJS module exporting one validate function per schema of the set, by the schema's name. */
export function validatorCode(set: ValidatorSet): string {
  const ajv = setAjv(set, true);
  const names = Object.keys(set.schemas);
  for (const name of names) ajv.addSchema(set.schemas[name] as object, name);
  const code = standaloneCode(ajv, Object.fromEntries(names.map((n) => [n, n])));
  return `// Generated at build time by scripts/validators.ts from the schemas in the sources: do not edit.\n${code}\n`;
}

export function writePrecompiledValidators(root: string): void {
  for (const { out, set } of PRECOMPILED) writeFileSync(join(root, out), validatorCode(set));
}
