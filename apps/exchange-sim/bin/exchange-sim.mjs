#!/usr/bin/env node
// Committed entry point, so the bin is linked by `npm ci` before the build has run.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('exchange-sim: not built yet; run `npm run build`\n');
  process.exit(1);
}
await import(cli.href);
