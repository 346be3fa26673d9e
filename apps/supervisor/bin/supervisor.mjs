#!/usr/bin/env node
// Committed entry point, so `npx supervisor` is linked by `npm ci` before the build has run. It runs
// the CLI's bundle (dist/bin/cli.bundle.mjs, scripts/worker-bundles.ts): the same code as dist/cli.js,
// loaded from one file with half the CPU.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/bin/cli.bundle.mjs', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('supervisor: not built yet; run `npm run build` (npm ci runs it through prepare)\n');
  process.exit(1);
}
await import(cli.href);
