import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@vigil/contracts';
import { auditSetup } from './testing-setup.test-helper.js';

function setup() {
  const { writer: w, ev: make, varDir } = auditSetup({ synchronous: 'FULL' });
  const jsonlDir = join(varDir, 'jsonl');
  const ev = (type: EventEnvelope['event_type']): EventEnvelope => make({}, type);
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
