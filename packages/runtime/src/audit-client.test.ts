import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type EventEnvelope } from '@vigil/contracts';
import { AuditClient } from './audit-client.js';
import { EventFactory } from './event-factory.js';

const events = new EventFactory('run_t', 'engine');
const ev = (n: number): EventEnvelope => events.make('HEALTH_SAMPLED', { n });

describe('AuditClient', () => {
  it('a critical append carries the bulk events queued before it, ahead of it, in one frame', async () => {
    const { port1, port2 } = new MessageChannel();
    const frames: { k: string; body: { type: string; rows: unknown[][] } }[] = [];
    port2.on('message', (m: { k: string; id: number; body: { type: string; rows: unknown[][] } }) => {
      frames.push(m);
      if (m.k === 'req') port2.postMessage({ v: PROTOCOL_VERSION, k: 'res', id: m.id, ok: true, body: { last_seq: 3, commit_ts_ms: 1 } });
    });
    const client = new AuditClient({ label: 'engine', requestTimeoutMs: 5000, holdCapacity: 10 });
    client.attach(port1);
    client.append(ev(1));
    client.append(ev(2));
    await client.appendCritical([ev(3)]);
    client.close();
    port2.close();
    expect(frames.map((f) => `${f.k}:${f.body.type}`)).toEqual(['req:append_critical']);
    expect(frames[0]!.body.rows.map((r) => JSON.parse(r[12] as string) as { n: number }).map((p) => p.n)).toEqual([1, 2, 3]);
    expect(client.counters()).toMatchObject({ sent: 2, sent_critical: 1 });
  });

  it('a critical append with no writer attached fails, and the bulk events before it wait for the next writer', async () => {
    const client = new AuditClient({ label: 'engine', requestTimeoutMs: 5000, holdCapacity: 10 });
    client.append(ev(1));
    await expect(client.appendCritical([ev(2)])).rejects.toMatchObject({ code: 'AUDIT_DETACHED' });
    expect(client.heldCount).toBe(1);
  });
});
