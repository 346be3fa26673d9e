// Runs a TypeScript script with tsx registered in this thread only:
//   node scripts/run.mjs scripts/soak.ts [args]
// `node --import tsx` is inherited (through execArgv) by every worker thread of the script's
// process: each would load the TypeScript loader too. The soak hosts the bot's worker threads in
// its own process and measures them, so they must start as in production, with plain node. tsx's
// register() hooks this process's imports without touching execArgv.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: node scripts/run.mjs <script.ts> [args]');
  process.exit(2);
}
register();
// The script sees itself as argv[1], as it would under `node --import tsx <script.ts>`.
process.argv.splice(1, 2, resolve(file));
await import(pathToFileURL(resolve(file)).href);
