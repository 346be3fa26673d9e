// `npm start`: the embedded default. Generates local credentials under var/ (0600), starts the local
// Binance-compatible venue (apps/exchange-sim) on loopback, writes the embedded configuration
// pointing at it, then runs `supervisor start --live` with MODE=LIVE and AI_DEC=2. Same code paths
// as production: only the base URLs differ. Ctrl-C stops the bot first (orderly), then the venue.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const varDir = join(root, 'var');
const embedded = join(varDir, 'embedded');
mkdirSync(embedded, { recursive: true });

const writeSecret = (file, data) => {
  writeFileSync(file, JSON.stringify(data, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
};

// Local credentials: random per var/, known only to this bot and its local venue.
const secretsFile = join(varDir, 'secrets.json');
if (!existsSync(secretsFile)) {
  writeSecret(secretsFile, { api_key: randomBytes(32).toString('hex'), api_secret: randomBytes(32).toString('hex') });
  console.log('start: generated local exchange credentials in var/secrets.json (0600)');
}
const secrets = JSON.parse(readFileSync(secretsFile, 'utf8'));
const keysFile = join(embedded, 'sim-keys.json');
writeSecret(keysFile, [{ apiKey: secrets.api_key, secretKey: secrets.api_secret, canTrade: true, enableWithdrawals: false, ipRestrict: true }]);

// The external live lock of the embedded default: created once, visibly, for the local venue only.
const lock = join(varDir, 'LIVE.ok');
if (!existsSync(lock)) {
  writeFileSync(lock, `created by npm start for the embedded local venue on ${new Date().toISOString()}\n`);
  console.log('start: created var/LIVE.ok (the external live lock) for the embedded default');
}

const children = [];
let stopping = false;

async function startSim() {
  const cli = join(root, 'apps/exchange-sim/dist/cli.js');
  if (!existsSync(cli)) throw new Error('apps/exchange-sim is not built (npm run build)');
  const sim = execa(process.execPath, [cli, '--port', '0', '--ws-port', '0', '--admin-port', '0', '--seed', '42', '--state', join(embedded, 'sim-state.json'), '--keys', keysFile], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'inherit',
    reject: false,
    cleanup: true,
    // Its own process group: Ctrl-C reaches the bot first, and the venue is stopped after the bot
    // has shut down in order (otherwise the bot's last seconds are a spurious WS_DISCONNECTED).
    detached: true,
  });
  children.push(sim);
  const urls = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('exchange-sim did not report ready within 15 s')), 15_000);
    sim.stdout.on('data', (d) => {
      buf += d.toString();
      const m = /EXCHANGE_SIM_READY (\{.*\})/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]));
      }
    });
    sim.then((r) => reject(new Error(`exchange-sim exited early (code ${r.exitCode})`)));
  });
  sim.stdout.on('data', () => {}); // keep draining
  return urls;
}

async function main() {
  // The embedded default never points at a real venue: without the local one, nothing starts.
  const sim = await startSim();
  console.log(`start: exchange-sim on ${sim.rest} (ws ${sim.ws}, admin ${sim.admin})`);
  const config = {
    paths: { var_dir: varDir },
    exchange: { rest_base_url: sim.rest, ws_market_url: sim.ws, ws_api_url: `${sim.ws}/ws-api/v3`, symbols: ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'] },
  };
  const configFile = join(embedded, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const bot = execa(process.execPath, [join(root, 'apps/supervisor/dist/cli.js'), 'start', '--live', '--config', configFile], {
    env: { MODE: 'LIVE', AI_DEC: '2' },
    stdio: 'inherit',
    reject: false,
  });
  children.unshift(bot);
  const r = await bot;
  await stopAll();
  process.exit(r.exitCode ?? 1);
}

async function stopAll() {
  stopping = true;
  for (const c of children) {
    if (c.exitCode === null && !c.killed) {
      c.kill('SIGINT');
      await Promise.race([c, new Promise((r) => setTimeout(r, 15_000))]);
      if (c.exitCode === null) c.kill('SIGKILL');
    }
  }
}

// Ctrl-C reaches the whole process group; the bot stops itself in order. Only forward if needed.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    const [bot, ...rest] = children;
    bot?.kill(sig);
    Promise.resolve(bot)
      .catch(() => {})
      .then(async () => {
        for (const c of rest) c.kill(sig);
        await Promise.all(rest.map((c) => c.catch(() => {})));
        process.exit(0);
      });
  });
}

main().catch(async (e) => {
  console.error(`start: ${e.message}`);
  await stopAll();
  process.exit(1);
});
