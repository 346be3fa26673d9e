// `npm start`: the embedded default. Generates local credentials under var/demo/ (0600), starts the local
// Binance-compatible venue (apps/exchange-sim) and the local OpenAI-compatible reviewer
// (apps/ai-reviewer) on loopback, writes the embedded configuration pointing at them, then runs
// `supervisor start --live` with MODE=LIVE and AI_DEC=2. Same code paths as production: only the
// base URLs differ. Ctrl-C stops the bot first (orderly), then the peers.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { embeddedConfig, prepareEmbedded, writeSecret } from './embedded-setup.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// All of the demo's state lives in var/demo/ (see scripts/embedded-setup.ts), never in var/.
const { paths } = (() => {
  const r = prepareEmbedded(root);
  for (const n of r.notes) console.log(`start: ${n}`);
  return r;
})();

const children: ResultPromise[] = [];
let stopping = false;

/** Starts a local peer in its own process group and waits for its `<TAG> {json}` ready line. */
async function startPeer<T>(name: string, cli: string, args: readonly string[], tag: string, env: Record<string, string> = {}): Promise<T> {
  if (!existsSync(cli)) throw new Error(`${name} is not built (npm run build)`);
  const child = execa(process.execPath, [cli, ...args], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'inherit',
    reject: false,
    cleanup: true,
    env,
    // Its own process group: Ctrl-C reaches the bot first, and the peer is stopped after the bot
    // has shut down in order (otherwise the bot's last seconds are a spurious WS_DISCONNECTED).
    detached: true,
  });
  children.push(child);
  const ready = await new Promise<T>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not report ready within 15 s`)), 15_000);
    child.stdout.on('data', (d) => {
      buf += d.toString();
      const m = new RegExp(`${tag} (\\{.*\\})`).exec(buf);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]) as T);
      }
    });
    child.then((r) => reject(new Error(`${name} exited early (code ${r.exitCode})`)));
  });
  child.stdout.on('data', () => {}); // keep draining
  return ready;
}

async function main() {
  // The embedded default never points at a real venue or a real model: without the local peers,
  // nothing starts. The reviewer's key is random per start and travels only in the environment.
  const aiKey = `sk-local-${randomBytes(24).toString('hex')}`;
  // Kept (0600) only so `npm run doctor` can probe this run's local reviewer with the same key.
  writeSecret(paths.aiKey, { OPENAI_API_KEY: aiKey });
  const sim = await startPeer<{ rest: string; ws: string; admin: string }>(
    'exchange-sim',
    join(root, 'apps/exchange-sim/dist/cli.js'),
    ['--port', '0', '--ws-port', '0', '--admin-port', '0', '--seed', '42', '--state', paths.simState, '--keys', paths.simKeys],
    'EXCHANGE_SIM_READY',
  );
  console.log(`start: exchange-sim on ${sim.rest} (ws ${sim.ws}, admin ${sim.admin})`);
  const ai = await startPeer<{ base_url: string; model: string; admin: string }>(
    'ai-reviewer',
    join(root, 'apps/ai-reviewer/dist/cli.js'),
    ['--port', '0', '--admin-port', '0'],
    'AI_REVIEWER_READY',
    {
      OPENAI_API_KEY: aiKey,
    },
  );
  console.log(`start: ai-reviewer on ${ai.base_url} (admin ${ai.admin})`);
  const config = embeddedConfig(paths, sim, ai);
  const configFile = paths.config;
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const bot = execa(process.execPath, [join(root, 'apps/supervisor/bin/supervisor.mjs'), 'start', '--live', '--config', configFile], {
    // glibc's malloc arenas bounded as the README recommends for a service (an operator's own value is kept).
    env: { MODE: 'LIVE', AI_DEC: '2', OPENAI_API_KEY: aiKey, MALLOC_ARENA_MAX: process.env['MALLOC_ARENA_MAX'] ?? '2' },
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
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
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

main().catch(async (e: unknown) => {
  console.error(`start: ${e instanceof Error ? e.message : String(e)}`);
  await stopAll();
  process.exit(1);
});
