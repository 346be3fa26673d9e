import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startReviewer, type Reviewer } from '../../apps/ai-reviewer/src/server.js';
import { createExchangeSim, type ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { runDoctor, type DoctorReport } from '../../apps/supervisor/src/doctor.js';
import { SIM_KEY, startVenue, testConfig, venueConfig } from './harness.js';

/** `supervisor doctor` against the simulator and the reviewer: healthy, then one fault at a time. */
const AI = 'sk-doctor-test-000000000000000000';
let sim: ExchangeSim | null = null;
let reviewer: Reviewer | null = null;
afterEach(async () => {
  await sim?.close();
  await reviewer?.close();
  sim = null;
  reviewer = null;
});

async function doctor(
  overrides: Record<string, unknown> = {},
  o: { lock?: boolean; env?: NodeJS.ProcessEnv; prepare?: (varDir: string) => void } = {},
): Promise<DoctorReport> {
  sim ??= await startVenue();
  reviewer ??= await startReviewer({ apiKey: AI });
  const { config, varDir } = testConfig({
    ...venueConfig(sim),
    aigate: { base_url: reviewer.baseUrl, model: 'vigil-reviewer-1', timeout_ms: 2000 },
    panel: { port: 1 },
    ...overrides,
  });
  if (o.lock !== false) writeFileSync(join(varDir, 'LIVE.ok'), 'test\n');
  o.prepare?.(varDir);
  return runDoctor({
    config,
    varDir,
    env: o.env ?? { OPENAI_API_KEY: AI },
    secrets: { api_key: SIM_KEY.apiKey, api_secret: SIM_KEY.secretKey },
    timeoutMs: 3000,
  });
}

const item = (r: DoctorReport, name: string) => r.checks.find((c) => c.item === name);
const failed = (r: DoctorReport) => r.checks.filter((c) => c.status === 'FAIL').map((c) => `${c.item}:${c.reason}`);

describe('supervisor doctor', () => {
  it('reports which API key type signs (exchange.api_key_type): hmac by default, ed25519 with the PEM key verified by the venue and the user stream by session.logon', async () => {
    expect(item(await doctor(), 'API key type')).toMatchObject({ status: 'OK', value: expect.stringContaining('hmac') });
    await sim!.close();
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    sim = await createExchangeSim({
      keys: [
        {
          apiKey: 'edkey0000000000000000000000000000009',
          secretKey: '',
          publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          canTrade: true,
          enableWithdrawals: false,
          ipRestrict: true,
        },
      ],
      seed: 7,
      tickMs: 100,
    });
    const { config, varDir } = testConfig({
      ...venueConfig(sim),
      exchange: { ...(venueConfig(sim)['exchange'] as object), api_key_type: 'ed25519' },
      aigate: { base_url: reviewer!.baseUrl, model: 'vigil-reviewer-1', timeout_ms: 2000 },
      panel: { port: 1 },
    });
    writeFileSync(join(varDir, 'LIVE.ok'), 'test\n');
    const r = await runDoctor({
      config,
      varDir,
      env: { OPENAI_API_KEY: AI },
      secrets: { api_key: 'edkey0000000000000000000000000000009', api_secret: pem },
      timeoutMs: 3000,
    });
    expect(item(r, 'API key type')).toMatchObject({ status: 'OK', value: expect.stringContaining('ed25519') });
    expect(item(r, 'API key: trading')?.status).toBe('OK');
    expect(item(r, 'user data stream')?.status).toBe('OK');
    expect(failed(r)).toEqual([]);
    expect(JSON.stringify(r)).not.toContain(pem.split('\n')[1]!);
    // An HMAC secret where an Ed25519 key is configured: said so, before any request.
    const bad = await runDoctor({
      config,
      varDir,
      env: { OPENAI_API_KEY: AI },
      secrets: { api_key: 'edkey0000000000000000000000000000009', api_secret: 'an-hmac-secret' },
      timeoutMs: 3000,
    });
    expect(failed(bad)).toContain('API key type:API_KEY_INVALID');
  }, 30_000);

  it('passes on a healthy simulator setup: every section checked, releasable', async () => {
    const r = await doctor();
    expect(failed(r)).toEqual([]);
    expect(r.releasable).toBe(true);
    for (const s of ['1 mode and locks', '2 database and audit', '3 exchange: filters and clock', '4 streams and account', '5 limits and security'])
      expect(r.checks.some((c) => c.section === s)).toBe(true);
    expect(item(r, 'clock offset')?.status).toBe('OK');
    expect(item(r, 'market stream')?.status).toBe('OK');
    expect(item(r, 'user data stream')?.status).toBe('OK');
    expect(item(r, 'AI gate review call')?.status).toBe('OK');
    expect(JSON.stringify(r)).not.toContain(SIM_KEY.secretKey);
  }, 30_000);

  it('fails the matching item, with its reason code, for each injected fault', async () => {
    sim = await startVenue();
    const post = (path: string, body: unknown) => fetch(`${sim!.admin}${path}`, { method: 'POST', body: JSON.stringify(body) });

    expect(failed(await doctor({}, { lock: false }))).toContain('live lock file:LIVE_LOCK_FILE_MISSING');
    expect(failed(await doctor({ audit: { disk_free_pause_bytes: 2 ** 49, disk_free_degrade_bytes: 2 ** 50 } }))).toContain('disk free:DISK_LOW_PAUSE');
    const unwritable = await doctor({}, { prepare: (v) => mkdirSync(join(v, 'data', 'audit.sqlite'), { recursive: true }) });
    expect(failed(unwritable)).toContain('audit database writable:AUDIT_DB_UNUSABLE');

    await post('/admin/faults', { kind: 'clock_skew', ms: 5000 });
    expect(failed(await doctor())).toContain('clock offset:CLOCK_DRIFT');
    await fetch(`${sim.admin}/admin/faults`, { method: 'DELETE' });

    await post('/admin/key', { apiKey: SIM_KEY.apiKey, enableWithdrawals: true });
    expect(failed(await doctor())).toContain('API key: withdrawals:API_KEY_WITHDRAW_ENABLED');
    await post('/admin/key', { apiKey: SIM_KEY.apiKey, enableWithdrawals: false });

    await reviewer?.close();
    reviewer = await startReviewer({ apiKey: AI });
    const down = reviewer.baseUrl;
    await reviewer.close();
    reviewer = null;
    const r = await doctor({ aigate: { base_url: down, model: 'vigil-reviewer-1', timeout_ms: 1000 } });
    expect(failed(r)).toContain('AI gate review call:AIGATE_TRANSPORT_ERROR');
    expect(r.releasable).toBe(false);
    expect(failed(await doctor({}, { env: {} }))).toContain('AI gate:ENTRY_BLOCKED_NO_AIGATE');
  }, 90_000);
});
