import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { panelUrlOf, SIM_KEY, startVenue, venueConfig } from './harness.js';

/**
 * `supervisor start --live` as a real process: it comes up, serves the panel, and on SIGINT shuts
 * down in order: PAUSE, workers drained, EXIT and RUN_STOPPED recorded, audit flushed last, exit 0.
 */
const cli = fileURLToPath(new URL('../../apps/supervisor/bin/supervisor.mjs', import.meta.url));

let sim: ExchangeSim;
beforeAll(async () => {
  sim = await startVenue();
});
afterAll(async () => {
  await sim.close();
});

describe('supervisor start lifecycle', () => {
  it('starts, answers on the panel, and stops in order on SIGINT; RUN_STARTED records the package version and the MALLOC_ARENA_MAX it ran with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-life-'));
    const varDir = join(dir, 'var');
    mkdirSync(varDir, { recursive: true });
    writeFileSync(join(varDir, 'LIVE.ok'), '');
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ ...venueConfig(sim), paths: { var_dir: varDir }, panel: { port: 0 }, logging: { level: 'warn' } }),
    );
    const proc = execa(process.execPath, [cli, 'start', '--live', '--config', join(dir, 'config.json')], {
      env: { MODE: 'LIVE', AI_DEC: '2', BINANCE_API_KEY: SIM_KEY.apiKey, BINANCE_API_SECRET: SIM_KEY.secretKey, MALLOC_ARENA_MAX: '3' },
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
    const url = await panelUrlOf(proc);
    const status = (await (await fetch(`${url}/api/status`)).json()) as {
      mode: string;
      reasons: { code: string }[];
      workers: Record<string, { state: string }>;
    };
    expect(status.mode).toBe('PAUSE');
    expect(status.reasons.map((r) => r.code)).toContain('STARTUP_RECOVER');
    expect(Object.values(status.workers).map((w) => w.state)).toEqual(['running', 'running', 'running']);
    expect((await fetch(`${url}/dashboard`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    // The panel reads the audit database: the engine's STARTUP_RECOVER stage change is there.
    const stages = (await (await fetch(`${url}/api/stages`)).json()) as { stages: { stage: string }[] };
    expect(stages.stages.map((x) => x.stage)).toContain('STARTUP_RECOVER');
    expect(((await (await fetch(`${url}/api/alerts`)).json()) as { alerts: unknown[] }).alerts).toEqual([]);
    const intents = (await (await fetch(`${url}/api/intents`)).json()) as { states: { state: string; count: number }[] };
    expect(intents.states[0]).toEqual({ state: 'SENT_UNKNOWN', count: 0 });

    proc.kill('SIGINT');
    const r = await proc;
    expect(r.exitCode).toBe(0);

    // The audit trail ends with the orderly shutdown, committed before the writer stopped.
    const db = new Database(join(varDir, 'data', 'audit.sqlite'), { readonly: true });
    const types = (db.prepare('SELECT event_type FROM events ORDER BY seq').all() as { event_type: string }[]).map((x) => x.event_type);
    const modes = (db.prepare("SELECT payload FROM events WHERE event_type = 'MODE_CHANGED' ORDER BY seq").all() as { payload: string }[]).map(
      (x) => (JSON.parse(x.payload) as { to: string }).to,
    );
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const started = db.prepare("SELECT payload FROM events WHERE event_type = 'RUN_STARTED'").get() as { payload: string };
    db.close();
    expect(types[0]).toBeDefined();
    expect(types).toContain('RUN_STARTED');
    // The version is read by the package's name: the CLI runs from its bundle in dist/bin/.
    const app = (JSON.parse(readFileSync(new URL('../../apps/supervisor/package.json', import.meta.url), 'utf8')) as { version: string }).version;
    expect((JSON.parse(started.payload) as { versions: Record<string, unknown> }).versions).toMatchObject({ malloc_arena_max: '3', app });
    expect(types.indexOf('RUN_STOPPED')).toBeGreaterThan(types.indexOf('RUN_STARTED'));
    expect(modes.at(-1)).toBe('EXIT');
    // The secret never reached the audit, the JSONL or the logs.
    const everything = [
      ...readdirSync(join(varDir, 'jsonl')).map((f) => readFileSync(join(varDir, 'jsonl', f), 'utf8')),
      ...readdirSync(join(varDir, 'log')).map((f) => readFileSync(join(varDir, 'log', f), 'utf8')),
      readFileSync(join(varDir, 'data', 'audit.sqlite')).toString('latin1'),
    ].join('\n');
    expect(everything).not.toContain(SIM_KEY.secretKey);
    expect(everything).not.toContain(SIM_KEY.apiKey);
    // The tamper-evidence command verifies the whole run's chain.
    const v = await execa(process.execPath, [cli, 'verify-audit', '--config', join(dir, 'config.json')], { reject: false });
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toMatch(/audit chain OK: \d+ events verified/);
  });
});
