import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type EventEnvelope, envelopeOf } from '@vigil/contracts';
import { AuditWriter } from '@vigil/audit';
import { parseConfig } from '@vigil/runtime';
import { startReviewer, type Reviewer } from '../../apps/ai-reviewer/src/server.js';
import { createExchangeSim, type ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { runDoctor, type DoctorReport } from '../../apps/supervisor/src/doctor.js';
import { SIM_KEY, SIM_SEED, testConfig, venueConfig } from './harness.js';

/**
 * The two reason codes only `supervisor doctor` reports (the release checklist, not the running
 * bot): a key without an IP restriction (WARN) and an audit chain that does not verify (FAIL).
 * Both against real things: a simulator whose key is unrestricted, a real audit file edited on disk.
 */
const AI = 'sk-doctor-codes-0000000000000000';
let sim: ExchangeSim | null = null;
let reviewer: Reviewer | null = null;
afterEach(async () => {
  await sim?.close();
  await reviewer?.close();
  sim = null;
  reviewer = null;
});

async function doctor(ipRestrict: boolean, prepare?: (varDir: string) => void): Promise<DoctorReport> {
  sim = await createExchangeSim({ keys: [{ ...SIM_KEY, ipRestrict }], seed: SIM_SEED, tickMs: 100 });
  reviewer = await startReviewer({ apiKey: AI });
  const { config, varDir } = testConfig({
    ...venueConfig(sim),
    aigate: { base_url: reviewer.baseUrl, model: 'vigil-reviewer-1', timeout_ms: 2000 },
    panel: { port: 1 },
  });
  writeFileSync(join(varDir, 'LIVE.ok'), 'test\n');
  prepare?.(varDir);
  return runDoctor({ config, varDir, env: { OPENAI_API_KEY: AI }, secrets: { api_key: SIM_KEY.apiKey, api_secret: SIM_KEY.secretKey }, timeoutMs: 3000 });
}

/** A real audit database of four chained events, then one payload edited behind the writer's back. */
function tamperedAudit(varDir: string): void {
  const r = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  mkdirSync(join(varDir, 'data'), { recursive: true });
  const dbFile = join(varDir, 'data', 'audit.sqlite');
  const w = new AuditWriter({ dbFile, jsonlDir: join(varDir, 'jsonl'), config: r.config.audit, now: Date.now, setReason: () => {} });
  w.open();
  const ev = (n: number): EventEnvelope => envelopeOf({ ts_ms: Date.now(), run_id: 'run_t', source: 'engine', event_type: 'HEALTH_SAMPLED', payload: { n } });
  w.enqueue([1, 2, 3, 4].map(ev));
  w.drainAll();
  w.close();
  const db = new Database(dbFile);
  db.prepare('UPDATE events SET payload = \'{"n":20}\' WHERE seq = 2').run();
  db.close();
}

const item = (r: DoctorReport, name: string) => r.checks.find((c) => c.item === name);

describe('doctor-only reason codes', () => {
  it('a key not restricted to trusted IPs is a WARN row with API_KEY_IP_UNRESTRICTED; a restricted key is OK', async () => {
    const open = await doctor(false);
    expect(item(open, 'API key: IP restriction')).toMatchObject({ status: 'WARN', reason: 'API_KEY_IP_UNRESTRICTED' });
    await sim?.close();
    await reviewer?.close();
    const closed = await doctor(true);
    expect(item(closed, 'API key: IP restriction')?.status).toBe('OK');
  }, 60_000);

  it('an audit database edited on disk FAILs the hash chain row with AUDIT_CHAIN_BROKEN and is not releasable', async () => {
    const r = await doctor(true, tamperedAudit);
    expect(item(r, 'audit hash chain')).toMatchObject({ status: 'FAIL', reason: 'AUDIT_CHAIN_BROKEN' });
    expect(item(r, 'audit hash chain')?.value).toMatch(/HASH_MISMATCH at seq 2/);
    expect(r.releasable).toBe(false);
  }, 60_000);
});
