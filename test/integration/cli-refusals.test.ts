import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it, vi } from 'vitest';
import { startCommand } from '../../apps/supervisor/src/start.js';

/**
 * The real CLI, as an operator runs it: every live-lock refusal names the lock, exits non-zero,
 * and starts nothing (no var/data, no panel).
 *
 * Loading the CLI in a child costs 1.5 s of CPU: the refusals decided by `startCommand` (the
 * function the CLI's `start` action awaits and exits with) are asserted in-process; the --live flag
 * (parsed by the CLI itself) and the `experiments` usage error are asserted on real children.
 */
const cli = fileURLToPath(new URL('../../apps/supervisor/bin/supervisor.mjs', import.meta.url));

function sandbox(opts: { lock?: boolean; config?: object } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
  const varDir = join(dir, 'var');
  const config = { paths: { var_dir: varDir }, panel: { port: 0 }, ...opts.config };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  if (opts.lock !== false) {
    mkdirSync(varDir, { recursive: true });
    writeFileSync(join(varDir, 'LIVE.ok'), '');
  }
  return { dir, varDir, configFile: join(dir, 'config.json') };
}

const baseEnv = { MODE: 'LIVE', AI_DEC: '2', BINANCE_API_KEY: 'test-key-0123456789', BINANCE_API_SECRET: 'test-secret-0123456789' };

// 40 s: loading the CLI took more than 20 s of wall time at load 36 on this 2-core machine (the
// child was killed, exit code undefined); the bound only has to tell a hung child from a slow one.
async function run(args: string[], env: Record<string, string | undefined>) {
  return execa(process.execPath, [cli, ...args], { env: { ...env, VIGIL_CONFIG: undefined }, extendEnv: false, reject: false, timeout: 40_000 });
}

/** `supervisor start [--live] --config <file>` in this process: the exit code and what was written to stderr (console included). */
async function start(flags: { live: boolean; config: string }, env: Record<string, string | undefined>) {
  let stderr = '';
  const spies = [
    vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true)),
    ...(['warn', 'error'] as const).map((m) => vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void (stderr += `${a.join(' ')}\n`))),
  ];
  try {
    return { exitCode: await startCommand(flags, { ...env }), stderr };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

describe('supervisor CLI refusals', () => {
  it.each([
    ['MODE', { ...baseEnv, MODE: 'PAPER' }, 'MODE_NOT_LIVE'],
    ['AI_DEC', { ...baseEnv, AI_DEC: '1' }, 'AI_DEC_NOT_2'],
  ])('refuses when lock %s fails', async (lock, env, code) => {
    const s = sandbox();
    const r = await start({ live: true, config: s.configFile }, env);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(`live lock "${lock}" failed (${code})`);
    expect(existsSync(join(s.varDir, 'data'))).toBe(false);
  });

  it('refuses when lock --live fails (the real CLI without the flag)', async () => {
    const s = sandbox();
    const r = await run(['start', '--config', s.configFile], baseEnv);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('live lock "--live" failed (LIVE_FLAG_MISSING)');
    expect(existsSync(join(s.varDir, 'data'))).toBe(false);
  });

  it('refuses when the live lock file is missing', async () => {
    const s = sandbox({ lock: false });
    const r = await start({ live: true, config: s.configFile }, baseEnv);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('LIVE_LOCK_FILE_MISSING');
    expect(r.stderr).toContain('LIVE.ok');
  });

  it('refuses without credentials, and with a world-readable secrets file', async () => {
    const s = sandbox();
    const { BINANCE_API_KEY: _k, BINANCE_API_SECRET: _s, ...noKeys } = baseEnv;
    let r = await start({ live: true, config: s.configFile }, noKeys);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('SECRETS_MISSING');
    const f = join(s.varDir, 'secrets.json');
    writeFileSync(f, JSON.stringify({ api_key: 'k-0123456789', api_secret: 's-0123456789' }));
    chmodSync(f, 0o644);
    r = await start({ live: true, config: s.configFile }, noKeys);
    expect(r.stderr).toContain('SECRETS_FILE_INSECURE');
    expect(r.stderr).not.toContain('s-0123456789');
  });

  it('refuses a bad config with one message naming the key and the rule, exit 78', async () => {
    const s = sandbox({ config: { audit: { audit_writer_queue_full_pct: 250 } } });
    const r = await start({ live: true, config: s.configFile }, baseEnv);
    expect(r.exitCode).toBe(78);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('key "audit.audit_writer_queue_full_pct" violates rule "maximum"');
    expect(existsSync(join(s.varDir, 'data'))).toBe(false);
  });

  it('a command line the parser refuses exits 64, never 1 (which replay and verify-audit give a divergence or a broken chain): a missing required option, an unknown command; help asked for exits 0', async () => {
    const missing = await run(['replay'], baseEnv);
    expect(missing.exitCode).toBe(64);
    expect(missing.stderr).toContain("error: required option '--var <dir>' not specified");
    const unknown = await run(['verify-audti'], baseEnv);
    expect(unknown.exitCode).toBe(64);
    expect(unknown.stderr).toContain("error: unknown command 'verify-audti'");
    const help = await run(['replay', '--help'], baseEnv);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: supervisor replay');
  });

  it('experiments without data says what it needs: EXPERIMENTS_USAGE, exit 64', async () => {
    const r = await run(['experiments'], baseEnv);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toContain('EXPERIMENTS_USAGE: --data');
  });
});
