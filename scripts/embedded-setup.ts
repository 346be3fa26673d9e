// The embedded default's state, kept apart from a real run's. `npm start` runs a simulated venue:
// its live lock, its credentials, its audit database (with simulated positions), its logs and the
// simulator's state all live in var/demo/, never in var/ itself, so that a later real
// `supervisor start --live` on the default var/ neither inherits the lock nor a simulated inventory.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every path the embedded default uses, under `root` (the repository). */
/** Every path the embedded default uses (see embeddedPaths). */
export interface EmbeddedPaths {
  readonly varDir: string;
  readonly demoDir: string;
  readonly config: string;
  readonly secrets: string;
  readonly simKeys: string;
  readonly simState: string;
  readonly aiKey: string;
  readonly liveLock: string;
}

/** The local exchange credentials in var/demo/secrets.json. */
export interface EmbeddedSecrets {
  readonly api_key: string;
  readonly api_secret: string;
}

export function embeddedPaths(root: string): EmbeddedPaths {
  const varDir = join(root, 'var');
  const demoDir = join(varDir, 'demo');
  return {
    varDir,
    demoDir,
    config: join(demoDir, 'config.json'),
    secrets: join(demoDir, 'secrets.json'),
    simKeys: join(demoDir, 'sim-keys.json'),
    simState: join(demoDir, 'sim-state.json'),
    aiKey: join(demoDir, 'ai-key.json'),
    liveLock: join(demoDir, 'LIVE.ok'),
  };
}

const LOCK_MARK = 'created by npm start';

export const writeSecret = (file: string, data: unknown): void => {
  writeFileSync(file, JSON.stringify(data, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
};

/**
 * Creates var/demo/ with the local credentials (0600), the simulator's key file and the embedded
 * live lock. A var/LIVE.ok that an older `npm start` left in the default var/ (recognised by its
 * text) is removed: a real start must not find a lock nobody created for it. Returns the paths and
 * what it did, for the caller to print.
 */
export function prepareEmbedded(root: string): { paths: EmbeddedPaths; secrets: EmbeddedSecrets; notes: string[] } {
  const p = embeddedPaths(root);
  const notes: string[] = [];
  mkdirSync(p.demoDir, { recursive: true });
  if (!existsSync(p.secrets)) {
    writeSecret(p.secrets, { api_key: randomBytes(32).toString('hex'), api_secret: randomBytes(32).toString('hex') });
    notes.push('generated local exchange credentials in var/demo/secrets.json (0600)');
  }
  const secrets = JSON.parse(readFileSync(p.secrets, 'utf8')) as EmbeddedSecrets;
  writeSecret(p.simKeys, [{ apiKey: secrets.api_key, secretKey: secrets.api_secret, canTrade: true, enableWithdrawals: false, ipRestrict: true }]);
  if (!existsSync(p.liveLock)) {
    writeFileSync(p.liveLock, `${LOCK_MARK} for the embedded local venue on ${new Date().toISOString()}\n`);
    notes.push('created var/demo/LIVE.ok (the external live lock) for the embedded default');
  }
  const oldLock = join(p.varDir, 'LIVE.ok');
  if (existsSync(oldLock) && readFileSync(oldLock, 'utf8').startsWith(LOCK_MARK)) {
    rmSync(oldLock);
    notes.push('removed var/LIVE.ok left by an older npm start: a real start now needs its own lock');
  }
  if (existsSync(join(p.varDir, 'embedded')) || existsSync(join(p.varDir, 'data', 'audit.sqlite'))) {
    notes.push(
      'note: var/embedded/ or var/data/ may hold state of an older npm start (simulated positions); the demo now uses var/demo/ only. Remove them before a real start if they are not yours.',
    );
  }
  return { paths: p, secrets, notes };
}

/** The embedded configuration: the local peers' addresses, and var/demo/ as the bot's var dir. */
export function embeddedConfig(
  paths: EmbeddedPaths,
  sim: { readonly rest: string; readonly ws: string },
  ai: { readonly base_url: string; readonly model: string },
) {
  return {
    paths: { var_dir: paths.demoDir },
    exchange: { rest_base_url: sim.rest, ws_market_url: sim.ws, ws_api_url: `${sim.ws}/ws-api/v3`, symbols: ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'] },
    aigate: { base_url: ai.base_url, model: ai.model },
    // Short bars so a newcomer sees the whole cycle (proposal, review, execution, protection,
    // reconcile) within a minute or two on the simulated market; docs/12 records the choice.
    strategy: {
      bar_ms: 1000,
      lookback_bars: 10,
      vol_bars: 10,
      hold_bars: 60,
      stop_vol_mult: '2',
      take_profit_r: '2',
      win_rate_prior: '0.5',
      min_stop_bps: 120,
      cooldown_ms: 20000,
      entry_ttl_ms: 10000,
    },
    engine: { reconcile_interval_ms: 10000, manage_only_stable_ms: 3000 },
  };
}
