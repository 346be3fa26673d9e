// `npm run doctor`: `supervisor doctor` against the embedded default's configuration (the one
// `npm start` writes to var/demo/config.json), with the local reviewer's key of the running embedded
// setup when there is one. It checks the demo's own var dir (var/demo/), not the default var/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { embeddedPaths } from './embedded-setup.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const paths = embeddedPaths(root);
if (!existsSync(paths.config)) {
  console.error('doctor: no embedded configuration yet: run `npm start` first (it writes var/demo/config.json)');
  process.exit(1);
}
// The embedded venue and reviewer live as long as `npm start` does: without it every network check
// fails, and the first line should say why rather than leave five FAILs to decode.
const cfg = JSON.parse(readFileSync(paths.config, 'utf8')) as { exchange?: { rest_base_url?: string } };
const rest = cfg.exchange?.rest_base_url;
if (rest) {
  const up = await fetch(new URL('/api/v3/ping', rest), { signal: AbortSignal.timeout(1000) }).then(
    (r) => r.ok,
    () => false,
  );
  if (!up) console.error(`doctor: the embedded venue at ${rest} does not answer: is \`npm start\` running? (its network checks below will fail without it)`);
}
const env = { MODE: 'LIVE', AI_DEC: '2', ...(existsSync(paths.aiKey) ? JSON.parse(readFileSync(paths.aiKey, 'utf8')) : {}) };
const r = await execa(process.execPath, [join(root, 'apps/supervisor/bin/supervisor.mjs'), 'doctor', '--config', paths.config, ...process.argv.slice(2)], {
  env,
  stdio: 'inherit',
  reject: false,
});
process.exit(r.exitCode ?? 1);
