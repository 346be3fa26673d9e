// Builds every workspace: its sources transpiled into dist/ (scripts/transpile.ts, TypeScript's own
// emitter, file by file, without type-checking), then the validators compiled ahead of time
// (scripts/validators.ts) and the entry bundles (scripts/worker-bundles.ts). Used by `prepare` (so a
// fresh `npm ci` leaves runnable JavaScript), `start`, `test` and `bench`. Types are checked by
// `npm run typecheck` (tsconfig.json: one program over every source, test and script), which
// `npm test` runs beside the suite.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
try {
  createRequire(join(root, 'package.json')).resolve('typescript');
} catch {
  // `npm ci --omit=dev` or a partial install: nothing to build with. Say so instead of a stack trace.
  console.error('build: typescript is not installed; run `npm ci` first');
  process.exit(1);
}
const { transpileWorkspaces } = await import('./transpile.ts');
try {
  transpileWorkspaces(root, workspaces);
} catch (e) {
  console.error(`build: ${(e as Error).message}`);
  process.exit(1);
}
// The validators compiled ahead of time, at every build: they are read from the sources' schemas,
// which need the packages just built (@vigil/contracts, @vigil/core).
const { writePrecompiledValidators } = await import('./validators.ts');
writePrecompiledValidators(root);
// The entry bundles, made from the dist just written.
const { writeWorkerBundles } = await import('./worker-bundles.ts');
await writeWorkerBundles(root);
