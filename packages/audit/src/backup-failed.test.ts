import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newEventId, type JsonObject, type ReasonCode } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { AuditWriter } from './writer.js';

/**
 * BACKUP_FAILED from a backup that really cannot be written: its directory path runs through a
 * regular file, so mkdir fails with ENOTDIR even for root (chmod would not stop root).
 */
describe('AuditWriter backup failure', () => {
  it('raises BACKUP_FAILED when the backup directory cannot be created, and clears it on the next successful backup', async () => {
    const r = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const dir = mkdtempSync(join(tmpdir(), 'audit-bf-'));
    const reasons = new Map<ReasonCode, JsonObject>();
    const w = new AuditWriter({
      dbFile: join(dir, 'data', 'audit.sqlite'),
      jsonlDir: join(dir, 'jsonl'),
      config: r.config.audit,
      now: Date.now,
      setReason: (code, on, detail) => (on ? reasons.set(code, detail) : reasons.delete(code)),
    });
    w.open();
    w.enqueue([{ event_id: newEventId(Date.now()), ts_ms: Date.now(), run_id: 'run_t', source: 'engine', cycle_id: null, stage: null, snapshot_id: null, decision_id: null, order_intent_id: null, event_type: 'HEALTH_SAMPLED', reason_code: null, severity: 'INFO', payload: {} }]);
    w.drainAll();
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    const failed = await w.backup(join(dir, 'not-a-dir', 'backup'));
    expect(failed.done).toBe(false);
    expect(reasons.has('BACKUP_FAILED')).toBe(true);
    expect(String(reasons.get('BACKUP_FAILED')?.['error'])).toMatch(/ENOTDIR|EEXIST/);
    const ok = await w.backup(join(dir, 'backup'));
    expect(ok.done).toBe(true);
    expect(reasons.has('BACKUP_FAILED')).toBe(false);
    w.close();
  });
});
