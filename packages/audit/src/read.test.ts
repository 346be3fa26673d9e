import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newEventId, type EventEnvelope, type JsonObject } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { AuditReader } from './read.js';
import { AuditWriter } from './writer.js';

describe('AuditReader', () => {
  it('reads mode changes, stages, alerts, runs and events/min while the writer keeps writing, and cannot write', () => {
    const r = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
    if (!r.ok) throw new Error('config');
    const dir = mkdtempSync(join(tmpdir(), 'audit-read-'));
    const dbFile = join(dir, 'data', 'audit.sqlite');
    const w = new AuditWriter({ dbFile, jsonlDir: join(dir, 'jsonl'), config: r.config.audit, now: Date.now, setReason: () => {} });
    w.open();
    const ev = (type: EventEnvelope['event_type'], payload: JsonObject, extra: Partial<EventEnvelope> = {}): EventEnvelope => ({
      event_id: newEventId(), ts_ms: Date.now(), run_id: 'run_r', source: 'supervisor', cycle_id: null, stage: null, snapshot_id: null,
      decision_id: null, order_intent_id: null, event_type: type, reason_code: null, severity: 'INFO', payload, ...extra,
    });
    w.enqueue([
      ev('RUN_STARTED', { config_hash: 'abc', versions: { app: '0.1.0' } }),
      ev('MODE_CHANGED', { from: 'PAUSE', to: 'DEGRADE', seq: 1, reasons: [{ code: 'RECOVERY_STABILIZING' }] }),
      ...Array.from({ length: 25 }, (_, i) => ev('STAGE_CHANGED', { from: 'IDLE', to: 'MARKET_SNAPSHOT' }, { cycle_id: i, stage: 'MARKET_SNAPSHOT', source: 'engine' })),
      ev('ALERT_RAISED', { source: 'gateway', detail: { drift_ms: 900 } }, { reason_code: 'CLOCK_DRIFT', severity: 'CRIT' }),
    ]);
    w.drainAll();
    const reader = new AuditReader(dbFile);
    expect(reader.runs()).toMatchObject([{ run_id: 'run_r', config_hash: 'abc', stopped_ms: null }]);
    expect(reader.modeChanges()).toMatchObject([{ from_mode: 'PAUSE', to_mode: 'DEGRADE', reasons: [{ code: 'RECOVERY_STABILIZING' }] }]);
    const stages = reader.stageChanges();
    expect(stages).toHaveLength(20);
    expect(stages[0]!.cycle_id).toBe(24);
    const alerts = reader.alerts();
    expect(alerts).toMatchObject([{ severity: 'CRIT', reason_code: 'CLOCK_DRIFT', source: 'gateway', detail: { drift_ms: 900 } }]);
    expect(reader.alerts(alerts[0]!.seq)).toEqual([]);
    expect(reader.eventsPerMinute(0).reduce((a, b) => a + b.events, 0)).toBe(28);
    // The writer goes on while a reader is open.
    w.enqueue([ev('RUN_STOPPED', { reason: 'test' })]);
    expect(w.drainAll()).toBe(1);
    expect(reader.runs()[0]!.stop_reason).toBe('test');
    expect(() => (reader as unknown as { db: { exec(s: string): void } }).db.exec('DELETE FROM events')).toThrow();
    reader.close();
    w.close();
  });
});
