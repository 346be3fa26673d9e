import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type EventEnvelope, type JsonObject, envelopeOf } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { AuditReader } from './read.js';
import { AuditWriter } from './writer.js';

/** What the supervisor and the engine read from the audit database at start (operator pause, day P&L). */
function db() {
  const r = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
  if (!r.ok) throw new Error('config');
  const dir = mkdtempSync(join(tmpdir(), 'audit-state-'));
  const dbFile = join(dir, 'data', 'audit.sqlite');
  const w = new AuditWriter({ dbFile, jsonlDir: join(dir, 'jsonl'), config: r.config.audit, now: Date.now, setReason: () => {} });
  w.open();
  const ev = (type: EventEnvelope['event_type'], payload: JsonObject, ts = Date.now()): EventEnvelope =>
    envelopeOf({ ts_ms: ts, run_id: 'run_s', source: 'engine', event_type: type, payload });
  const write = (...e: EventEnvelope[]): void => {
    w.enqueue(e);
    w.drainAll();
  };
  return { dbFile, ev, write, close: () => w.close() };
}

const NOW = Date.UTC(2026, 11, 5, 15, 0, 0);
const sample = (day: string, realized: string, total: string): JsonObject => ({ day, realized, unrealized: '0', total, exposure: '0', symbols: [] });

describe('state read at start', () => {
  it("restores today's realized P&L from the last PNL_SAMPLED of the UTC day and the day's peak total", () => {
    const d = db();
    d.write(
      d.ev('PNL_SAMPLED', sample('2026-12-04', '-999.00000000', '-999.00000000'), NOW - 86_400_000),
      d.ev('PNL_SAMPLED', sample('2026-12-05', '0.00000000', '12.50000000'), NOW - 60_000),
      d.ev('PNL_SAMPLED', sample('2026-12-05', '-20.00000000', '30.25000000'), NOW - 40_000),
      d.ev('PNL_SAMPLED', sample('2026-12-05', '-55.10000000', '-60.00000000'), NOW - 20_000),
    );
    const r = new AuditReader(d.dbFile);
    expect(r.dayPnl(NOW)).toMatchObject({ day: '2026-12-05', realized: '-55.10000000', peak_total: '30.25', samples: 3 });
    expect(r.engineMemory(NOW).today).toMatchObject({ day: '2026-12-05', realized: '-55.10000000', peak_total: '30.25' });
    // The next UTC day starts from zero: yesterday's samples are not today's.
    expect(r.dayPnl(NOW + 86_400_000)).toBeNull();
    r.close();
    d.close();
  });

  it('skips samples whose values are not exact decimals', () => {
    const d = db();
    d.write(
      d.ev('PNL_SAMPLED', sample('2026-12-05', '-5.00000000', '1.00000000'), NOW - 2000),
      d.ev('PNL_SAMPLED', { day: '2026-12-05', realized: 1e21, total: 'NaN' }, NOW - 1000),
    );
    const r = new AuditReader(d.dbFile);
    expect(r.dayPnl(NOW)).toMatchObject({ realized: '-5.00000000', peak_total: '1', samples: 1 });
    r.close();
    d.close();
  });

  it('finds a standing operator pause: the last OPERATOR_PAUSED not followed by OPERATOR_RESUMED', () => {
    const d = db();
    const r = new AuditReader(d.dbFile);
    expect(r.operatorPause()).toBeNull();
    d.write(d.ev('OPERATOR_PAUSED', { reason: 'first' }), d.ev('OPERATOR_NOTE', { text: 'looking' }));
    expect(r.operatorPause()).toMatchObject({ reason: 'first' });
    d.write(d.ev('OPERATOR_RESUMED', { note: 'ok' }));
    expect(r.operatorPause()).toBeNull();
    d.write(d.ev('OPERATOR_PAUSED', { reason: 'exchange incident #2' }), d.ev('OPERATOR_COMMAND_REFUSED', { cmd: 'resume' }));
    expect(r.operatorPause()).toMatchObject({ reason: 'exchange incident #2' });
    r.close();
    d.close();
  });
});
