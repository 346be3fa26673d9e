import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newEventId, type EventEnvelope } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { AuditWriter } from './writer.js';

function setup() {
  const r = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0, synchronous: 'FULL' } });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  const dir = mkdtempSync(join(tmpdir(), 'audit-critical-jsonl-'));
  const jsonlDir = join(dir, 'jsonl');
  const w = new AuditWriter({ dbFile: join(dir, 'audit.sqlite'), jsonlDir, config: r.config.audit, now: Date.now, setReason: () => {} });
  w.open();
  const ev = (type: EventEnvelope['event_type']): EventEnvelope => ({
    event_id: newEventId(Date.now()),
    ts_ms: Date.now(),
    run_id: 'run_t',
    source: 'engine',
    cycle_id: null,
    stage: null,
    snapshot_id: null,
    decision_id: null,
    order_intent_id: null,
    event_type: type,
    reason_code: null,
    severity: 'INFO',
    payload: {},
  });
  const lines = (): string[] => {
    const files = existsSync(jsonlDir) ? readdirSync(jsonlDir) : [];
    return files.flatMap((f) => readFileSync(join(jsonlDir, f), 'utf8').split('\n').filter(Boolean));
  };
  return { w, ev, lines };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('JSONL lines around a critical commit (issue 19)', () => {
  it('a critical commit is acknowledged without appending the JSONL lines of the bulk commit before it; both follow in commit order on the next turn', async () => {
    const { w, ev, lines } = setup();
    w.enqueue([ev('HEALTH_SAMPLED'), ev('STAGE_CHANGED')]);
    w.drainOnce(); // bulk: its lines wait for the next turn
    expect(lines()).toEqual([]);
    let acked = false;
    w.enqueue([ev('INTENT_CREATED')], {
      resolve: () => {
        acked = true;
      },
      reject: () => undefined,
    });
    w.drainOnce();
    await Promise.resolve();
    expect(acked).toBe(true);
    // No file append ahead of the acknowledgement: the earlier bulk lines are still queued.
    expect(lines()).toEqual([]);
    await turn();
    const seqs = lines().map((l) => (JSON.parse(l) as { seq: number; event_type: string }).event_type);
    expect(seqs).toEqual(['HEALTH_SAMPLED', 'STAGE_CHANGED', 'INTENT_CREATED']);
    w.close();
  });

  it('a bulk commit still appends the lines queued before it first', () => {
    const { w, ev, lines } = setup();
    w.enqueue([ev('HEALTH_SAMPLED')]);
    w.drainOnce();
    w.enqueue([ev('STAGE_CHANGED')]);
    w.drainOnce();
    expect(lines().map((l) => (JSON.parse(l) as { event_type: string }).event_type)).toEqual(['HEALTH_SAMPLED']);
    w.close();
  });
});
