import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { doctorCommand } from '../../apps/supervisor/src/doctor-command.js';
import { startCommand } from '../../apps/supervisor/src/start.js';
import { panelUrlOf, SIM_KEY, startVenue, venueConfig } from './harness.js';

/**
 * Issue 17 through the real CLI: `supervisor start --live` with a bad config, secrets file or lock
 * file refuses before any thread starts, with its exit code (78 for config, 3 for locks and
 * secrets) and ONE line naming the key; it never blocks on a FIFO or a device, and never prints the
 * file's content or a secret. Each child has a timeout: the old code blocked forever on a FIFO.
 *
 * A child process costs 1.5 s of CPU (2-5 s under the suite's load) to load the CLI, so the
 * refusals that cannot block are asserted in-process, through the same `startCommand` the CLI's
 * `start` action awaits and exits with; a FIFO, a device, the exit codes of a real process and a
 * canary are still asserted on real children, started concurrently (they only wait).
 */
const cli = fileURLToPath(new URL('../../apps/supervisor/bin/supervisor.mjs', import.meta.url));
const CANARY_CONTENT = 'CANARYcfgcontent51e8d0';
const CANARY_SECRET = 'CANARYsecret9a8b7c6d5e4f3a2b';
const baseEnv = { MODE: 'LIVE', AI_DEC: '2', BINANCE_API_KEY: 'test-key-0123456789', BINANCE_API_SECRET: 'test-secret-0123456789' };

function sandbox(config: object = {}, opts: { lock?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cfg-'));
  const varDir = join(dir, 'var');
  mkdirSync(varDir, { recursive: true });
  if (opts.lock !== false) writeFileSync(join(varDir, 'LIVE.ok'), '');
  const configFile = join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      paths: { var_dir: varDir },
      panel: { port: 0 },
      exchange: { rest_base_url: 'http://127.0.0.1:9', ws_market_url: 'ws://127.0.0.1:9', ws_api_url: 'ws://127.0.0.1:9/ws-api/v3' },
      ...config,
    }),
  );
  return { dir, varDir, configFile };
}

// The timeout tells a child blocked for good (the old code on a FIFO) from a slow one: loading the
// CLI takes 1.5 s of CPU, and 20 s and more of wall time on a 2-core machine shared with other runs.
async function run(args: string[], env: Record<string, string | undefined> = baseEnv) {
  return execa(process.execPath, [cli, ...args], { env: { ...env, VIGIL_CONFIG: undefined }, extendEnv: false, reject: false, timeout: 30_000 });
}

/** Runs a CLI command's function in this process: its exit code and everything written to stdout and stderr meanwhile, console included. */
async function captured(command: () => Promise<number>) {
  let stdout = '';
  let stderr = '';
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true)),
    vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true)),
    ...(['log', 'info', 'debug'] as const).map((m) => vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void (stdout += `${a.join(' ')}\n`))),
    ...(['warn', 'error'] as const).map((m) => vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void (stderr += `${a.join(' ')}\n`))),
  ];
  try {
    const exitCode = await command();
    return { exitCode, stdout, stderr };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

/** `supervisor start --live --config <file>`: the same `startCommand` the CLI's `start` action awaits and exits with. */
const startLive = (configFile: string, env: Record<string, string | undefined> = baseEnv) =>
  captured(() => startCommand({ live: true, config: configFile }, { ...env }));

/** Exit code, exactly one stderr line, and nothing started (no var/data). */
function expectRefused(
  r: { exitCode?: number | undefined; stderr: string; stdout: string; timedOut?: boolean },
  code: number,
  line: RegExp,
  varDir?: string,
): void {
  expect(r.timedOut ?? false).toBe(false);
  expect(r.exitCode).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(line);
  if (varDir) expect(existsSync(join(varDir, 'data'))).toBe(false);
}

/**
 * Real child processes: a FIFO or a device must not block the CLI (the child's timeout would tell),
 * and the process really exits 78 or 3 with one line. One after the other: each child is CPU-bound
 * while it loads, so running them at once on two loaded cores only stretches every child's time.
 */
// Each case is a CLI child of its own on its own file: they wait on process starts, side by side.
describe.concurrent('config file that is not a regular file: refused at once by the real CLI, exit 78', () => {
  it.each([
    ['a FIFO', (p: string) => execFileSync('mkfifo', [p])],
    [
      'a symlink to a FIFO',
      (p: string) => {
        execFileSync('mkfifo', [`${p}.fifo`]);
        symlinkSync(`${p}.fifo`, p);
      },
    ],
    ['/dev/zero (symlinked)', (p: string) => symlinkSync('/dev/zero', p)],
  ])('%s', async (_what, make) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cfg-'));
    const f = join(dir, 'config.json');
    make(f);
    const r = await run(['start', '--live', '--config', f]);
    expectRefused(r, 78, /CONFIG_INVALID: key "\(file\)" violates rule "regular-file"/);
  });

  it('a secrets file that is a 0600 FIFO is refused without blocking, exit 3', async () => {
    const s = sandbox();
    execFileSync('mkfifo', ['-m', '600', join(s.varDir, 'secrets.json')]);
    const { BINANCE_API_KEY: _k, BINANCE_API_SECRET: _s, ...noKeys } = baseEnv;
    const r = await run(['start', '--live', '--config', s.configFile], noKeys);
    expectRefused(r, 3, /SECRETS_MISSING: .*not a regular file/, s.varDir);
  });
});

describe('config file that is not a regular file: refused at once, exit 78', () => {
  it('a directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cfg-'));
    const f = join(dir, 'config.json');
    mkdirSync(f);
    expectRefused(await startLive(f), 78, /CONFIG_INVALID: key "\(file\)" violates rule "regular-file"/);
  });

  it('a config file above 1 MiB', async () => {
    const s = sandbox();
    writeFileSync(s.configFile, `{${' '.repeat(1024 * 1024 + 10)}}`);
    expectRefused(await startLive(s.configFile), 78, /key "\(file\)" violates rule "max-bytes"/, s.varDir);
  });

  it('a malformed config file is refused without its content on stdout or stderr (console included)', async () => {
    const s = sandbox();
    // V8 quotes the start of the text in its JSON.parse message: a pasted bare word is echoed whole.
    writeFileSync(s.configFile, `${CANARY_CONTENT} {"paths": {}}`);
    const r = await startLive(s.configFile);
    expectRefused(r, 78, /key "\(file\)" violates rule "json"/);
    expect(r.stderr + r.stdout).not.toContain(CANARY_CONTENT);
  });
});

describe('rules that used to be checked after threads started: exit 78 before any thread', () => {
  it('panel.host not loopback', async () => {
    const s = sandbox({ panel: { host: '0.0.0.0', port: 0 } });
    expectRefused(await startLive(s.configFile), 78, /key "panel\.host" violates rule "loopback"/, s.varDir);
  });

  it('a var_dir too long for the control socket path', async () => {
    const s = sandbox();
    const long = join(s.dir, 'v'.repeat(120));
    mkdirSync(long);
    writeFileSync(join(long, 'LIVE.ok'), '');
    writeFileSync(
      s.configFile,
      JSON.stringify({
        paths: { var_dir: long },
        panel: { port: 0 },
        exchange: { rest_base_url: 'http://127.0.0.1:9', ws_market_url: 'ws://127.0.0.1:9', ws_api_url: 'ws://127.0.0.1:9/ws-api/v3' },
      }),
    );
    expectRefused(await startLive(s.configFile), 78, /key "paths\.var_dir" violates rule "socket-path"/, long);
  });

  it('a var_dir that is a regular file', async () => {
    const s = sandbox({ live: { live_lock_file_enabled: false } });
    const notDir = join(s.dir, 'not-a-dir');
    writeFileSync(notDir, 'x');
    writeFileSync(s.configFile, JSON.stringify({ paths: { var_dir: notDir }, live: { live_lock_file_enabled: false } }));
    expectRefused(await startLive(s.configFile), 78, /key "paths\.var_dir" violates rule "directory"/);
  });

  it('a URL with credentials, the password never printed', async () => {
    const s = sandbox({ aigate: { base_url: `https://reviewer:${CANARY_SECRET}@api.example.com/v1` } });
    const r = await startLive(s.configFile);
    expectRefused(r, 78, /key "aigate\.base_url" violates rule "url-userinfo"/, s.varDir);
    expect(r.stderr + r.stdout).not.toContain(CANARY_SECRET);
  });

  it('a URL scheme we do not speak', async () => {
    const s = sandbox({ exchange: { rest_base_url: 'ftp://127.0.0.1:9' } });
    expectRefused(await startLive(s.configFile), 78, /key "exchange\.rest_base_url" violates rule "url-scheme"/, s.varDir);
  });

  it.each(['2.0', ' 2', '02', '0x2', ''])('AI_DEC=%j is refused naming ai_dec, not taken for 2 nor for unset', async (v) => {
    const s = sandbox();
    expectRefused(await startLive(s.configFile, { ...baseEnv, AI_DEC: v }), 78, /key "ai_dec" violates rule "env-exact"/, s.varDir);
  });
});

describe('secrets and lock files: regular files only, never echoed, exit 3', () => {
  const { BINANCE_API_KEY: _k, BINANCE_API_SECRET: _s, ...noKeys } = baseEnv;

  it('a malformed secrets file never echoes the key', async () => {
    const s = sandbox();
    const f = join(s.varDir, 'secrets.json');
    writeFileSync(f, `{"api_key": ${CANARY_SECRET}, "api_secret": "x"}`);
    chmodSync(f, 0o600);
    const r = await startLive(s.configFile, noKeys);
    expectRefused(r, 3, /SECRETS_MISSING/, s.varDir);
    expect(r.stderr + r.stdout).not.toContain(CANARY_SECRET.slice(0, 10));
  });

  it('a LIVE.ok that is a directory is refused', async () => {
    const s = sandbox({}, { lock: false });
    mkdirSync(join(s.varDir, 'LIVE.ok'));
    expectRefused(await startLive(s.configFile), 3, /LIVE_LOCK_FILE_MISSING.*not a regular file/, s.varDir);
  });
});

// Two independent cases (a child bot, doctor in this process), each with its own var/: side by side.
describe.concurrent('URL secrets are redacted wherever a URL is audited, logged or shown', () => {
  let sim: ExchangeSim;
  beforeAll(async () => {
    sim = await startVenue();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('a webhook URL with a key and a signature in its query string: absent from CONFIG_LOADED, JSONL, logs, stdout and the panel', async () => {
    const hook = `http://127.0.0.1:9/hook?key=${CANARY_SECRET}&Signature=${CANARY_CONTENT}&ch=ops`;
    // No audit backup at start: it costs the child's boot seconds and no URL is in it that the
    // database itself (searched below) does not hold.
    const s = sandbox({ ...venueConfig(sim), alerts: { webhook_urls: [hook] }, logging: { level: 'debug' }, audit: { backup_enabled: false } });
    const proc = execa(process.execPath, [cli, 'start', '--live', '--config', s.configFile], {
      env: { MODE: 'LIVE', AI_DEC: '2', BINANCE_API_KEY: SIM_KEY.apiKey, BINANCE_API_SECRET: SIM_KEY.secretKey },
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
    // A whole start (workers, audit backup) in a child: 60 s, not 30, before calling it stuck on a loaded machine.
    const url = await panelUrlOf(proc, 60_000);
    const panel = [await (await fetch(`${url}/api/status`)).text(), await (await fetch(`${url}/metrics`)).text()].join('\n');
    proc.kill('SIGINT');
    const r = await proc;
    expect(r.exitCode).toBe(0);
    const db = new Database(join(s.varDir, 'data', 'audit.sqlite'), { readonly: true });
    const loaded = db.prepare("SELECT payload FROM events WHERE event_type = 'CONFIG_LOADED'").all() as { payload: string }[];
    const all = (db.prepare('SELECT payload FROM events').all() as { payload: string }[]).map((x) => x.payload).join('\n');
    db.close();
    // The audited configuration still names the receiver: its host and a fingerprint of the whole
    // URL (a webhook's path and query are secrets, docs/05 "Webhook URLs are secrets").
    expect(loaded).toHaveLength(1);
    expect(loaded[0]!.payload).toContain('http://127.0.0.1:9/[webhook sha256:');
    const files = [
      ...readdirSync(join(s.varDir, 'jsonl')).map((f) => readFileSync(join(s.varDir, 'jsonl', f), 'utf8')),
      ...readdirSync(join(s.varDir, 'log')).map((f) => readFileSync(join(s.varDir, 'log', f), 'utf8')),
      readFileSync(join(s.varDir, 'data', 'audit.sqlite')).toString('latin1'),
    ].join('\n');
    for (const [where, text] of Object.entries({ audit: all, files, panel, stdout: r.stdout, stderr: r.stderr })) {
      expect(text, where).not.toContain(CANARY_SECRET);
      expect(text, where).not.toContain(CANARY_CONTENT);
    }
  }, 90_000);

  it('doctor prints a REST URL with an apikey in its query string redacted', async () => {
    const s = sandbox({
      exchange: {
        rest_base_url: `http://127.0.0.1:9/?apikey=${CANARY_SECRET}`,
        ws_market_url: `ws://127.0.0.1:9/?token=${CANARY_CONTENT}`,
        ws_api_url: 'ws://127.0.0.1:9/ws-api/v3',
      },
    });
    // `supervisor doctor --config <file>`, in this process: the function its action awaits and exits with.
    const r = await captured(() => doctorCommand({ config: s.configFile, json: false }, { ...baseEnv }));
    expect(r.stdout).toContain('127.0.0.1:9');
    expect(r.stdout + r.stderr).not.toContain(CANARY_SECRET);
    expect(r.stdout + r.stderr).not.toContain(CANARY_CONTENT);
  }, 60_000);
});
