import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReviewer, type Reviewer } from '../../apps/ai-reviewer/src/server.js';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { SIM_KEY, startVenue, venueConfig } from './harness.js';

/**
 * The supervisor CLI as an operator runs it: apps/supervisor/bin/supervisor.mjs loads the CLI's
 * bundle (apps/supervisor/dist/bin/cli.bundle.mjs). The bundle's code finds files outside itself:
 * the experiments' task bundle and the panel's static files by paths relative to the module, the
 * openai SDK's bundle and the package's version by package names. Each command that reads one runs
 * here from the bundle (the panel's files: test/integration/cli-lifecycle.test.ts).
 */
const cli = fileURLToPath(new URL('../../apps/supervisor/bin/supervisor.mjs', import.meta.url));
const AI = 'sk-cli-bundle-0000000000000000000';

let sim: ExchangeSim;
let reviewer: Reviewer;
beforeAll(async () => {
  sim = await startVenue();
  reviewer = await startReviewer({ apiKey: AI });
});
afterAll(async () => {
  await sim.close();
  await reviewer.close();
});

function workdir(config: Record<string, unknown> = {}): { dir: string; varDir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-bundle-'));
  const varDir = join(dir, 'var');
  mkdirSync(varDir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ paths: { var_dir: varDir }, logging: { level: 'warn' }, ...config }));
  return { dir, varDir, config: join(dir, 'config.json') };
}

describe('the supervisor CLI from its bundle (bin/supervisor.mjs)', () => {
  it('is the bundle: the bin loads dist/bin/cli.bundle.mjs, which holds the CLI and its libraries (no import of a workspace package, commander or got)', () => {
    expect(readFileSync(cli, 'utf8')).toMatch(/new URL\('\.\.\/dist\/bin\/cli\.bundle\.mjs', import\.meta\.url\)/);
    const text = readFileSync(fileURLToPath(new URL('../../apps/supervisor/dist/bin/cli.bundle.mjs', import.meta.url)), 'utf8');
    // Import statements at the start of a line (the libraries' doc comments show imports too).
    expect(text).not.toMatch(/^import\b[^\n]*from\s+["']@vigil\//m);
    expect(text).not.toMatch(/^import\b[^\n]*from\s+["'](commander|got|hono|winston)["']|\brequire\(["'](commander|got|hono|winston)["']\)/m);
    // piscina finds its worker file beside its own module: it is loaded from node_modules.
    expect(text).toMatch(/^import\b[^\n]*from\s+["']piscina["']/m);
  });

  it('experiments: generates a kline file, then runs its pool of dist/experiments/task.bundle.mjs on it and writes the report', async () => {
    const w = workdir();
    const csv = join(w.dir, 'BTCUSDT-1m.csv');
    const gen = await execa(process.execPath, [cli, 'experiments', '--config', w.config, '--generate', csv, '--bars', '3000', '--seed', '5'], {
      reject: false,
      timeout: 60_000,
    });
    expect(gen.exitCode, gen.stderr).toBe(0);
    expect(readFileSync(csv, 'utf8').split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(3000);
    const out = join(w.dir, 'report');
    const r = await execa(process.execPath, [cli, 'experiments', '--config', w.config, '--data', csv, '--threads', '1', '--out', out], {
      reject: false,
      timeout: 60_000,
    });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['report.json', 'report.csv', 'report.html']));
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { rows: { split: string }[] };
    expect(report.rows.map((x) => x.split)).toEqual(expect.arrayContaining(['in_sample', 'out_of_sample']));
  });

  it("doctor --json: its AI gate loads the engine's openai bundle by package name and the reviewer answers the probe", async () => {
    const w = workdir({ ...venueConfig(sim), aigate: { base_url: reviewer.baseUrl, model: 'vigil-reviewer-1', timeout_ms: 4000 }, panel: { port: 1 } });
    writeFileSync(join(w.varDir, 'LIVE.ok'), '');
    const r = await execa(process.execPath, [cli, 'doctor', '--json', '--config', w.config], {
      env: { MODE: 'LIVE', AI_DEC: '2', BINANCE_API_KEY: SIM_KEY.apiKey, BINANCE_API_SECRET: SIM_KEY.secretKey, OPENAI_API_KEY: AI },
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
    expect(r.stdout.trimStart().startsWith('{'), `no report (exit ${r.exitCode}):\n${r.stderr.slice(-2000)}`).toBe(true);
    const report = JSON.parse(r.stdout) as { checks: { item: string; status: string; value: string }[] };
    expect(report.checks.find((c) => c.item === 'AI gate review call')).toMatchObject({
      status: 'OK',
      value: expect.stringMatching(/^(ALLOW|BLOCK|MODIFY) in \d+ ms/),
    });
    expect(existsSync(join(w.varDir, 'data', 'audit.sqlite')), 'doctor reads only').toBe(false);
  });
});
