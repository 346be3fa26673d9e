import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@vigil/runtime';
import { checkLiveLocks } from '../../apps/supervisor/src/live-locks.js';
import { embeddedConfig, prepareEmbedded } from '../../scripts/embedded-setup.ts';

/**
 * `npm start` (the embedded default) keeps all its state in var/demo/: a real `supervisor start
 * --live` with the default var/ must find neither the demo's live lock nor its audit database.
 */
const freshRoot = (): string => mkdtempSync(join(tmpdir(), 'vigil-embedded-'));

describe('embedded default state directory', () => {
  it('after the setup var/LIVE.ok does not exist, the lock and the 0600 credentials are in var/demo/, and a real start on the default var/ is refused for the missing lock', () => {
    const root = freshRoot();
    const { paths } = prepareEmbedded(root);
    expect(existsSync(join(root, 'var', 'LIVE.ok'))).toBe(false);
    expect(existsSync(join(root, 'var', 'secrets.json'))).toBe(false);
    expect(paths.liveLock).toBe(join(root, 'var', 'demo', 'LIVE.ok'));
    expect(existsSync(paths.liveLock)).toBe(true);
    expect(statSync(paths.secrets).mode & 0o777).toBe(0o600);
    expect(statSync(paths.simKeys).mode & 0o777).toBe(0o600);
    // The real start: default configuration, var_dir "var" resolved against the repository root.
    const real = parseConfig({});
    if (!real.ok) throw new Error('default config invalid');
    const lock = checkLiveLocks({ ...real.config, mode: 'LIVE', ai_dec: 2 }, { live: true }, resolve(root, real.config.paths.var_dir));
    expect(lock).toMatchObject({ ok: false, code: 'LIVE_LOCK_FILE_MISSING' });
  });

  it('the embedded configuration points the bot (audit database, logs, locks, secrets) at var/demo/, and its live lock check passes there', () => {
    const root = freshRoot();
    const { paths } = prepareEmbedded(root);
    const cfg = embeddedConfig(paths, { rest: 'http://127.0.0.1:1', ws: 'ws://127.0.0.1:2' }, { base_url: 'http://127.0.0.1:3/v1', model: 'm' });
    expect(cfg.paths.var_dir).toBe(join(root, 'var', 'demo'));
    const parsed = parseConfig({ ...cfg, mode: 'LIVE', ai_dec: 2 });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
    expect(checkLiveLocks(parsed.config, { live: true }, resolve(parsed.config.paths.var_dir))).toEqual({ ok: true });
    expect(resolve(parsed.config.paths.var_dir, parsed.config.live.secrets_file)).toBe(paths.secrets);
  });

  it('removes a var/LIVE.ok that an older npm start created, and keeps one an operator created', () => {
    const old = freshRoot();
    mkdirSync(join(old, 'var'), { recursive: true });
    writeFileSync(join(old, 'var', 'LIVE.ok'), 'created by npm start for the embedded local venue on 2026-01-01T00:00:00.000Z\n');
    const r = prepareEmbedded(old);
    expect(existsSync(join(old, 'var', 'LIVE.ok'))).toBe(false);
    expect(r.notes.join('\n')).toContain('removed var/LIVE.ok');

    const operator = freshRoot();
    mkdirSync(join(operator, 'var'), { recursive: true });
    writeFileSync(join(operator, 'var', 'LIVE.ok'), 'released for live by the operator\n');
    prepareEmbedded(operator);
    expect(readFileSync(join(operator, 'var', 'LIVE.ok'), 'utf8')).toBe('released for live by the operator\n');
  });
});
