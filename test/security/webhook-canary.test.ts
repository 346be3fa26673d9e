import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newRunId } from '@vigil/contracts';
import { createLogger, webhookDisplay } from '@vigil/runtime';
import { doctorCommand } from '../../apps/supervisor/src/doctor-command.js';
import { startPanel, type PanelServer } from '../../apps/supervisor/src/panel/server.js';
import { supervisorPanelSource } from '../../apps/supervisor/src/status.js';
import { Supervisor } from '../../apps/supervisor/src/supervisor.js';
import { SIM_KEY, startVenue, testConfig, venueConfig, waitFor } from '../integration/harness.js';

/**
 * A webhook URL whose path is the secret (Slack `/services/T/B/<token>`, Discord
 * `/api/webhooks/<id>/<token>`) is configured, the bot runs on the simulator and every delivery fails
 * (one receiver answers 500, the other port refuses). The path tokens must appear nowhere the bot
 * writes or serves: any file under var/ (audit SQLite, JSONL, logs), the panel's /api/* and /metrics
 * replies, and doctor's text and --json output. The receiver still got the POST at the real path.
 */
const stamp = Date.now().toString(36);
const SLACK_TOKEN = `CANARYWEBHOOKTOKEN${stamp}`;
const DISCORD_TOKEN = `CANARYDISCORDTOKEN${stamp}`;
const TOKENS = [SLACK_TOKEN, DISCORD_TOKEN];
const forms = (s: string): string[] => [s, Buffer.from(s).toString('hex'), Buffer.from(s).toString('base64'), encodeURIComponent(s)];

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const API = ['status', 'health', 'alerts', 'signals', 'stages', 'intents', 'reconcile', 'churn', 'orders', 'pnl', 'gate', 'charts', 'storage'];

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
  vi.restoreAllMocks();
});

describe('security: webhook URLs whose path is the secret', () => {
  it('the path token appears in no var/ file, panel /api/* or /metrics reply, nor doctor text or --json output; the URL is shown as host and fingerprint', async () => {
    const hits: string[] = [];
    const receiver: Server = createServer((req, res) => {
      hits.push(req.url ?? '');
      req.resume();
      req.on('end', () => {
        res.statusCode = 500;
        res.end(`no such hook ${req.url ?? ''}`);
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const slack = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/services/T0/B0/${SLACK_TOKEN}`;
    const discord = `http://127.0.0.1:1/api/webhooks/123456/${DISCORD_TOKEN}`;
    const sim = await startVenue();
    const { config, varDir } = testConfig({
      ...venueConfig(sim),
      logging: { level: 'debug' },
      alerts: {
        webhook_urls: [slack, discord],
        webhook_on: ['CRIT', 'WARN', 'MODE_CHANGED'],
        webhook_attempts_max: 2,
        webhook_backoff_initial_ms: 10,
        webhook_backoff_max_ms: 20,
        webhook_timeout_ms: 1000,
      },
    });
    const runId = newRunId();
    const log = createLogger({ thread: 'supervisor', logDir: join(varDir, 'log'), config: config.logging, console: false });
    const sup = new Supervisor({ config, varDir, runId, secrets: { api_key: SIM_KEY.apiKey, api_secret: SIM_KEY.secretKey }, log, consoleAlerts: false });
    const source = supervisorPanelSource(sup, runId, varDir);
    let panel: PanelServer | null = null;
    // The bot stops before doctor runs; the venue stays up for doctor (against a closed venue its
    // user-stream check waits out its whole 5 s timeout, twice) and goes last.
    let botStopped = false;
    const stopBot = async (): Promise<void> => {
      if (botStopped) return;
      botStopped = true;
      await panel?.close();
      source.close();
      await sup.stop('test end');
    };
    cleanup = async () => {
      await stopBot();
      await sim.close();
      await new Promise<void>((r) => receiver.close(() => r()));
    };
    await sup.start();
    panel = await startPanel(source, '127.0.0.1', 0);
    // Both receivers failed at least once: a delivery error is on record for each.
    await waitFor('a delivery error for both webhooks', () => sup.webhooks.stats().targets.every((t) => t.last_error !== null) || null, 20_000, 50);
    expect(hits.some((h) => h === `/services/T0/B0/${SLACK_TOKEN}`)).toBe(true);
    const targets = sup.webhooks.stats().targets;
    expect(targets.map((t) => t.url)).toEqual([webhookDisplay(slack), webhookDisplay(discord)]);
    expect(targets[0]!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\[webhook sha256:[0-9a-f]{8}\]$/);
    expect(targets[0]!.url).not.toBe(targets[1]!.url);

    const served: [string, string][] = [];
    for (const p of [...API.map((a) => `/api/${a}`), '/metrics']) {
      const r = await fetch(`${panel.url}${p}`);
      served.push([p, await r.text()]);
    }
    expect(served.find(([p]) => p === '/api/status')![1]).toContain(webhookDisplay(slack));
    await stopBot();

    // Doctor on the same configuration, from a file, the way `supervisor doctor [--json]` runs.
    const cfgFile = join(varDir, 'config.json');
    writeFileSync(cfgFile, JSON.stringify(config));
    const env = { BINANCE_API_KEY: SIM_KEY.apiKey, BINANCE_API_SECRET: SIM_KEY.secretKey };
    const doctor: Record<string, string> = {};
    for (const json of [false, true]) {
      let out = '';
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out += String(chunk);
        return true;
      });
      try {
        await doctorCommand({ config: cfgFile, json }, env);
      } finally {
        spy.mockRestore();
      }
      doctor[json ? 'doctor --json' : 'doctor'] = out;
    }
    await cleanup();
    cleanup = null;
    expect(doctor['doctor']).toContain(webhookDisplay(slack));
    expect(doctor['doctor --json']).toContain(webhookDisplay(discord));

    const files = walk(varDir).filter((f) => f !== cfgFile);
    expect(files.some((f) => f.endsWith('audit.sqlite'))).toBe(true);
    expect(files.some((f) => f.includes(join(varDir, 'jsonl')))).toBe(true);
    expect(files.some((f) => f.includes(join(varDir, 'log')))).toBe(true);
    const leaks: string[] = [];
    for (const token of TOKENS) {
      for (const form of forms(token)) {
        for (const f of files) if (readFileSync(f).toString('latin1').includes(form)) leaks.push(`${token.slice(0, 13)} in ${f.slice(varDir.length)}`);
        for (const [p, body] of served) if (body.includes(form)) leaks.push(`${token.slice(0, 13)} in panel ${p}`);
        for (const [k, out] of Object.entries(doctor)) if (out.includes(form)) leaks.push(`${token.slice(0, 13)} in ${k} output`);
      }
    }
    expect(leaks).toEqual([]);
  }, 120_000);
});
