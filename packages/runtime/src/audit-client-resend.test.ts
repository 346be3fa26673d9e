import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_CHANNEL, type AuditProducerEvent, type AuditRow, type AuditProducerSide, type AuditWriterSide } from '@vigil/contracts';
import { AuditClient } from './audit-client.js';
import { Endpoint } from './channel.js';
import { EventFactory } from './event-factory.js';

/**
 * The producer's side of bulk frames across writer deaths, over real MessagePorts. The "writer"
 * here is only the far endpoint of the audit channel: it records the frames it receives and
 * settles them when the test says so; its death is its port closing.
 */
function writerEnd() {
  const { port1, port2 } = new MessageChannel();
  const frames: AuditProducerEvent[] = [];
  const criticals: { readonly rows: readonly AuditRow[]; readonly frame?: number }[] = [];
  const ep = new Endpoint<AuditWriterSide, AuditProducerSide>(port2, {
    spec: AUDIT_CHANNEL,
    side: 'b',
    requestTimeoutMs: 500,
    onEvent: (ev) => frames.push(ev),
    // A writer that dies before it commits: critical requests are never answered.
    onRequest: { append_critical: (i) => (criticals.push(i), new Promise<never>(() => undefined)) },
  });
  return { producerPort: port1, frames, criticals, settle: (frame: number) => ep.emit({ type: 'settled', frame }), die: () => ep.close() };
}

const turn = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
const f = new EventFactory('run_t', 'engine');
const ev = (i: number) => f.make('HEALTH_SAMPLED', { i });
const idsOf = (frames: readonly AuditProducerEvent[]) => frames.flatMap((fr) => fr.rows.map((r) => r[0]));

const clients: AuditClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
function client(holdCapacity: number, dropped: number[]) {
  const c = new AuditClient({ label: 't', requestTimeoutMs: 500, holdCapacity, onDropped: (n) => dropped.push(n) });
  clients.push(c);
  return c;
}

describe('AuditClient bulk frames across a writer death', () => {
  it('re-sends to the next writer, under their frame numbers and before held rows, exactly the frames the dead writer never settled', async () => {
    const dropped: number[] = [];
    const c = client(1000, dropped);
    const w1 = writerEnd();
    c.attach(w1.producerPort);
    const events = Array.from({ length: 9 }, (_, i) => ev(i));
    for (const [k, e] of events.entries()) {
      c.append(e);
      if (k % 3 === 2) await turn(); // three frames of three rows
    }
    expect(w1.frames.map((fr) => fr.frame)).toEqual([1, 2, 3]);
    w1.settle(1);
    await turn();
    expect(c.counters()).toMatchObject({ sent: 9, in_flight: 6, resent: 0 });
    w1.die();
    await turn();
    expect(c.attached).toBe(false);
    c.append(ev(99)); // no writer: held
    await turn();
    const w2 = writerEnd();
    c.attach(w2.producerPort);
    await turn();
    expect(w2.frames.map((fr) => fr.frame)).toEqual([2, 3, 4]);
    expect(idsOf(w2.frames)).toEqual([...events.slice(3).map((e) => e.event_id), expect.any(String)]);
    expect(c.counters()).toMatchObject({ sent: 10, in_flight: 7, resent: 6, held: 0, dropped: 0 });
    w2.settle(4);
    await turn();
    expect(c.counters()).toMatchObject({ in_flight: 0 });
    expect(dropped).toEqual([]);
  });

  it('counts as dropped only the rows whose copies were released over holdCapacity and whose writer died before settling them', async () => {
    const dropped: number[] = [];
    const c = client(4, dropped);
    const w1 = writerEnd();
    c.attach(w1.producerPort);
    for (let k = 0; k < 4; k++) {
      c.append(ev(2 * k));
      c.append(ev(2 * k + 1));
      await turn(); // four frames of two rows: only the newest two frames' copies fit
    }
    expect(c.counters()).toMatchObject({ sent: 8, in_flight: 8 });
    w1.settle(1); // frame 1 was released but settled: not lost
    await turn();
    expect(c.counters()).toMatchObject({ in_flight: 6 });
    w1.die();
    await turn();
    // Frame 2 was released and never settled: its two rows may be lost, and are counted.
    expect(dropped).toEqual([2]);
    const w2 = writerEnd();
    c.attach(w2.producerPort);
    await turn();
    expect(w2.frames.map((fr) => fr.frame)).toEqual([3, 4]);
    expect(c.counters()).toMatchObject({ dropped: 2, in_flight: 4, resent: 4 });
  });

  it('re-sends the bulk rows that rode ahead of a critical append in its request, and not the critical rows (counted as failed to their caller), when the writer dies before settling it', async () => {
    const dropped: number[] = [];
    const c = client(1000, dropped);
    const w1 = writerEnd();
    c.attach(w1.producerPort);
    const bulk = [ev(1), ev(2)];
    for (const e of bulk) c.append(e);
    const critical = ev(3);
    const outcome = c.appendCritical([critical]).then(
      () => 'acked',
      (e: { code?: string }) => e.code,
    );
    await turn();
    expect(w1.criticals).toHaveLength(1);
    expect(w1.criticals[0]!.frame).toBe(1);
    expect(w1.criticals[0]!.rows.map((r) => r[0])).toEqual([...bulk, critical].map((e) => e.event_id));
    w1.die();
    expect(await outcome).toBe('CHANNEL_CLOSED');
    const w2 = writerEnd();
    c.attach(w2.producerPort);
    await turn();
    expect(w2.frames.map((fr) => fr.frame)).toEqual([1]);
    expect(idsOf(w2.frames)).toEqual(bulk.map((e) => e.event_id));
    expect(c.counters()).toMatchObject({ sent: 2, sent_critical: 1, critical_failed: 1, resent: 2, dropped: 0 });
  });
});

describe('drops reported while no writer is attached', () => {
  it('a drop report that appends its own event (as the supervisor raising DB_WRITER_DROPPED does) is reported at most once a second, and timers still run meanwhile', async () => {
    const reports: number[] = [];
    const c: AuditClient = new AuditClient({
      label: 't',
      requestTimeoutMs: 500,
      holdCapacity: 5,
      // The report is itself an audit row, dropped in its turn: the loop the client must not spin in.
      onDropped: (n) => {
        reports.push(n);
        c.append(ev(-1));
      },
    });
    clients.push(c);
    for (let i = 0; i < 20; i++) c.append(ev(i));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await new Promise((r) => setTimeout(r, 1500));
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(10);
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports.length).toBeLessThanOrEqual(2);
    expect(reports[0]).toBe(15);
    // Every drop is counted; at most the last report's own row is not yet reported.
    const reported = reports.reduce((a, b) => a + b, 0);
    expect(c.counters().dropped - reported).toBeGreaterThanOrEqual(0);
    expect(c.counters().dropped - reported).toBeLessThanOrEqual(1);
  });
});
