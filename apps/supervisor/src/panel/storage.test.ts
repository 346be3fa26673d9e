import { mkdtempSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditWriter } from '@vigil/audit';
import { envelopeOf } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { createPanelApp } from './app.js';
import { daysUntil, growthPerDay, storageProjection } from './storage.js';

const D = 86_400_000;

describe('disk projection', () => {
  it('daysUntil: free bytes above the threshold divided by the growth per day; 0 when already below; null without growth', () => {
    expect(daysUntil(10_000, 2_000, 1_000)).toBe(8);
    expect(daysUntil(10_000, 2_000, 3_000)).toBe(2.6);
    expect(daysUntil(1_000, 2_000, 3_000)).toBe(0);
    expect(daysUntil(10_000, 2_000, 0)).toBeNull();
  });

  it('growthPerDay: JSONL day files averaged, database events per day times bytes per event, counted once more per kept backup', () => {
    expect(growthPerDay({ jsonlDayBytes: [100, 300], eventsInWindow: 70, windowDays: 7, dbBytes: 5000, liveEvents: 500, backupKeepCount: 2 })).toEqual({
      jsonl_bytes_per_day: 200,
      db_bytes_per_day: 100,
      total_bytes_per_day: 200 + 100 * 3,
    });
  });

  it('storageProjection reads a real var/ (audit database and JSONL of 10 days) and projects the days to the DEGRADE and PAUSE marks', () => {
    const varDir = mkdtempSync(join(tmpdir(), 'vigil-storage-'));
    const r = parseConfig({ audit: { synchronous: 'NORMAL', disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
    if (!r.ok) throw new Error('config');
    const start = Date.UTC(2026, 0, 1, 12);
    let now = start;
    const w = new AuditWriter({
      dbFile: join(varDir, 'data', 'audit.sqlite'),
      jsonlDir: join(varDir, 'jsonl'),
      config: r.config.audit,
      now: () => now,
      setReason: () => {},
    });
    w.open();
    for (let day = 0; day < 10; day++) {
      now = start + day * D;
      w.enqueue(
        Array.from({ length: 50 }, (_, i) =>
          envelopeOf({ ts_ms: now, run_id: 'run_s', source: 'engine', event_type: 'HEALTH_SAMPLED', payload: { day, i, pad: 'x'.repeat(100) } }),
        ),
      );
      w.drainAll();
    }
    w.close();
    const free = (() => {
      const fs = statfsSync(join(varDir, 'data'));
      return Number(fs.bavail) * Number(fs.bsize);
    })();
    const cfg = {
      ...r.config.audit,
      disk_growth_window_days: 7,
      backup_keep_count: 1,
      disk_free_degrade_bytes: Math.floor(free / 2),
      disk_free_pause_bytes: Math.floor(free / 4),
    };
    const p = storageProjection(varDir, cfg, start + 9 * D);
    const jsonlDay = statSync(join(varDir, 'jsonl', 'events-2026-01-05.jsonl')).size;
    expect(p).toMatchObject({ window_days: 7, days_measured: 7, jsonl_bytes_per_day: jsonlDay });
    const perDay = p['total_bytes_per_day'] as number;
    // Each part is rounded on its own: the sum may differ by a byte or two.
    expect(Math.abs(perDay - (jsonlDay + (p['db_bytes_per_day'] as number) * 2))).toBeLessThanOrEqual(2);
    expect(p['db_bytes_per_day']).toBeGreaterThan(0);
    // Within the rounding of free space sampled a moment apart.
    expect(p['days_to_warn'] as number).toBeCloseTo((free - cfg.disk_free_degrade_bytes) / perDay, -3);
    expect(p['days_to_critical'] as number).toBeGreaterThan(p['days_to_warn'] as number);
  });

  it('is served read-only at /api/storage', async () => {
    const app = createPanelApp({ status: () => ({}), health: () => ({}), storage: () => ({ days_to_warn: 12.5 }) }, () => 8787);
    const r = await app.request('/api/storage', { headers: { host: '127.0.0.1:8787' } });
    expect(await r.json()).toEqual({ days_to_warn: 12.5 });
  });
});
