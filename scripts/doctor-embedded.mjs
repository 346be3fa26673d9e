// `npm run doctor`: `supervisor doctor` against the embedded default's configuration (the one
// `npm start` writes), with the local reviewer's key of the running embedded setup when there is one.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const embedded = join(root, 'var', 'embedded');
const config = join(embedded, 'config.json');
if (!existsSync(config)) {
  console.error('doctor: no embedded configuration yet: run `npm start` first (it writes var/embedded/config.json)');
  process.exit(1);
}
const keyFile = join(embedded, 'ai-key.json');
const env = { MODE: 'LIVE', AI_DEC: '2', ...(existsSync(keyFile) ? JSON.parse(readFileSync(keyFile, 'utf8')) : {}) };
const r = await execa(process.execPath, [join(root, 'apps/supervisor/dist/cli.js'), 'doctor', '--config', config, ...process.argv.slice(2)], { env, stdio: 'inherit', reject: false });
process.exit(r.exitCode ?? 1);
