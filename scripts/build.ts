// Builds every workspace with TypeScript project references (tsc -b), in dependency order.
// Then writes the validators compiled ahead of time into the packages' dist (scripts/validators.ts).
// Used by `prepare` (so a fresh `npm ci` leaves runnable JavaScript), `start`, `test` and `bench`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
const projects = workspaces.filter((w) => existsSync(join(root, w, 'tsconfig.json')));
let tsc: string;
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  // `npm ci --omit=dev` or a partial install: nothing to build with. Say so instead of a stack trace.
  console.error('build: typescript is not installed; run `npm ci` first');
  process.exit(1);
}
const r = spawnSync(process.execPath, [tsc, '-b', ...projects], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
// The validators compiled ahead of time (scripts/validators.ts), at every build: they are read from
// the sources' schemas, which need the packages just built (@vigil/contracts, @vigil/core).
const { writePrecompiledValidators } = await import('./validators.ts');
writePrecompiledValidators(root);
// The worker threads' entry bundles (scripts/worker-bundles.ts), made from the dist just written.
const { writeWorkerBundles } = await import('./worker-bundles.ts');
await writeWorkerBundles(root);
