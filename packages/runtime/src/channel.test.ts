import { once } from 'node:events';
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTROL_CHANNEL, PROTOCOL_VERSION, type SupervisorSide, type WorkerEvent, type WorkerSide } from '@vigil/contracts';
import { ChannelError, Endpoint, type Rejection } from './channel.js';

/** Real MessagePorts (one thread): the frames really go through structured clone. */
function pair(opts: { onRequestDelayMs?: number } = {}) {
  const { port1, port2 } = new MessageChannel();
  const rejectsA: Rejection[] = [];
  const rejectsB: Rejection[] = [];
  const eventsA: WorkerEvent[] = [];
  const a = new Endpoint<SupervisorSide, WorkerSide>(port1, {
    spec: CONTROL_CHANNEL,
    side: 'a',
    requestTimeoutMs: 200,
    onReject: (r) => rejectsA.push(r),
    onEvent: (e) => eventsA.push(e),
  });
  const b = new Endpoint<WorkerSide, SupervisorSide>(port2, {
    spec: CONTROL_CHANNEL,
    side: 'b',
    requestTimeoutMs: 200,
    onReject: (r) => rejectsB.push(r),
    onRequest: {
      ping: async (i) => {
        if (opts.onRequestDelayMs) await new Promise((r) => setTimeout(r, opts.onRequestDelayMs));
        return { sent_ts_ms: i.sent_ts_ms, worker_ts_ms: 42 };
      },
      fault: () => {
        throw Object.assign(new Error('nope'), { code: 'FAULT_REFUSED' });
      },
    },
  });
  return { a, b, port1, port2, rejectsA, rejectsB, eventsA };
}

const open: Array<{ a: Endpoint<SupervisorSide, WorkerSide>; b: Endpoint<WorkerSide, SupervisorSide> }> = [];
afterEach(() => {
  for (const p of open.splice(0)) {
    p.a.close();
    p.b.close();
  }
});
const tick = () => new Promise((r) => setTimeout(r, 20));

describe('Endpoint', () => {
  it('carries events and request/reply with correlation', async () => {
    const p = pair();
    open.push(p);
    p.b.emit({ type: 'reason_cleared', code: 'WS_STALE' });
    const replies = await Promise.all([1, 2, 3].map((n) => p.a.request('ping', { sent_ts_ms: n })));
    expect(replies.map((r) => r.sent_ts_ms)).toEqual([1, 2, 3]);
    await tick();
    expect(p.eventsA).toEqual([{ type: 'reason_cleared', code: 'WS_STALE' }]);
  });

  it('rejects malformed, unknown and wrong-version frames with a reason code, counted, without throwing', async () => {
    const p = pair();
    open.push(p);
    const raw = p.port2; // write raw frames "from the worker side" to the supervisor endpoint
    // Endpoint b listens on port2 too; send from a third party instead: post on port2 goes to port1 (a).
    raw.postMessage('not an object');
    raw.postMessage({ v: 99, k: 'ev', body: { type: 'ready' } });
    raw.postMessage({ v: PROTOCOL_VERSION, k: 'ev', body: { type: 'launch_missiles' } });
    raw.postMessage({ v: PROTOCOL_VERSION, k: 'ev', body: { type: 'heartbeat', worker: 'engine' } });
    raw.postMessage({ v: PROTOCOL_VERSION, k: 'zz', body: {} });
    raw.postMessage({ v: PROTOCOL_VERSION, k: 'req', id: 'x', body: {} });
    await tick();
    expect(p.rejectsA.map((r) => r.code)).toEqual([
      'CHANNEL_MALFORMED',
      'CHANNEL_VERSION_MISMATCH',
      'CHANNEL_UNKNOWN_TYPE',
      'CHANNEL_MALFORMED',
      'CHANNEL_MALFORMED',
      'CHANNEL_MALFORMED',
    ]);
    expect(p.a.rejects).toBe(6);
    expect(p.rejectsA[3]?.detail).toMatch(/heartbeat: field seq must be number/);
    expect(p.eventsA).toEqual([]);
    // Still alive after all of it.
    expect((await p.a.request('ping', { sent_ts_ms: 7 })).worker_ts_ms).toBe(42);
  });

  it('describes a frame field String() cannot convert without throwing (found by the channel fuzzer)', async () => {
    const p = pair();
    open.push(p);
    // Structured clone keeps an own `toString` that is not callable: String() of it throws.
    p.port2.postMessage({ v: PROTOCOL_VERSION, k: { toString: 'x' }, body: {} });
    p.port2.postMessage({ v: { valueOf: 1, toString: 2 }, k: 'ev', body: {} });
    p.port2.postMessage({ v: PROTOCOL_VERSION, k: 'ev', body: { type: { toString: 'ready' } } });
    await tick();
    expect(p.rejectsA.map((r) => r.code)).toEqual(['CHANNEL_MALFORMED', 'CHANNEL_VERSION_MISMATCH', 'CHANNEL_UNKNOWN_TYPE']);
    expect(p.rejectsA[0]?.detail).toContain('{"toString":"x"}');
    expect((await p.a.request('ping', { sent_ts_ms: 8 })).worker_ts_ms).toBe(42);
  });

  it('answers a malformed or unknown request with an error instead of leaving the caller to time out', async () => {
    const p = pair();
    open.push(p);
    const bad = (p.a as unknown as { request: (t: string, i: object) => Promise<unknown> }).request('self_destruct', {});
    await expect(bad).rejects.toMatchObject({ code: 'CHANNEL_UNKNOWN_TYPE' });
    expect(p.rejectsB.map((r) => r.code)).toEqual(['CHANNEL_UNKNOWN_TYPE']);
    const noHandler = p.a.request('status', {});
    await expect(noHandler).rejects.toMatchObject({ code: 'UNSUPPORTED_REQUEST' });
  });

  it('turns a handler error into an error reply compared by code', async () => {
    const p = pair();
    open.push(p);
    const e = await p.a.request('fault', { fault: { kind: 'block', ms: 1 } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChannelError);
    expect((e as ChannelError).code).toBe('FAULT_REFUSED');
  });

  it('times out a request that gets no reply, and ignores the late reply', async () => {
    const p = pair({ onRequestDelayMs: 400 });
    open.push(p);
    await expect(p.a.request('ping', { sent_ts_ms: 1 }, 50)).rejects.toMatchObject({ code: 'CHANNEL_REQUEST_TIMEOUT' });
    await new Promise((r) => setTimeout(r, 450));
    expect(p.a.rejects).toBe(0);
    expect(p.a.pendingCount).toBe(0);
  });

  it('takes a reply that arrived in time but waited behind its own thread being held up past the deadline, instead of timing it out', async () => {
    // The answering side is another thread; this one is held up (a starved or paused process)
    // until that answer is in its port's queue and the deadline has passed.
    const { port1, port2 } = new MessageChannel();
    const a = new Endpoint<SupervisorSide, WorkerSide>(port1, { spec: CONTROL_CHANNEL, side: 'a', requestTimeoutMs: 100 });
    const answered = new Int32Array(new SharedArrayBuffer(4));
    const w = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const { port, answered } = workerData;
       port.on('message', (f) => {
         port.postMessage({ v: f.v, k: 'res', id: f.id, ok: true, body: { sent_ts_ms: f.body.sent_ts_ms, worker_ts_ms: 7 } });
         Atomics.store(answered, 0, 1);
         Atomics.notify(answered, 0);
       });
       parentPort.postMessage('listening');`,
      { eval: true, workerData: { port: port2, answered }, transferList: [port2] },
    );
    try {
      await once(w, 'message');
      const started = Date.now();
      const reply = a.request('ping', { sent_ts_ms: 1 });
      expect(Atomics.wait(answered, 0, 0, 10_000)).toBe('ok');
      while (Date.now() < started + 200) {
        /* this thread's loop held up past the 100 ms deadline */
      }
      await expect(reply).resolves.toEqual({ sent_ts_ms: 1, worker_ts_ms: 7 });
    } finally {
      a.close();
      await w.terminate();
    }
  });

  it('rejects every pending request when the other end closes', async () => {
    const p = pair({ onRequestDelayMs: 1000 });
    open.push(p);
    const pending = p.a.request('ping', { sent_ts_ms: 1 }, 5000);
    p.b.close();
    await expect(pending).rejects.toMatchObject({ code: 'CHANNEL_CLOSED' });
    expect(p.a.isClosed).toBe(true);
    expect(p.a.emit({ type: 'shutdown', reason: 'x' })).toBe(false);
  });
});
