import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { CONTROL_CHANNEL, type SupervisorSide, type WorkerSide } from '@vigil/contracts';
import { Endpoint } from '../channel.js';

/** Echo peer for the channel benchmark: one raw port, one typed endpoint, same thread. */
const { raw, typed } = workerData as { raw: MessagePort; typed: MessagePort };
let rawCount = 0;
let typedCount = 0;
raw.on('message', (m: { k: string; n?: number }) => {
  if (m.k === 'ping') raw.postMessage(m);
  else if (m.k === 'count') raw.postMessage({ k: 'count', n: rawCount });
  else rawCount++;
});
const ep = new Endpoint<WorkerSide, SupervisorSide>(typed, {
  spec: CONTROL_CHANNEL,
  side: 'b',
  requestTimeoutMs: 10_000,
  onEvent: () => {
    typedCount++;
  },
  onRequest: {
    ping: (i) => ({ sent_ts_ms: i.sent_ts_ms, worker_ts_ms: typedCount }),
    status: () => ({ worker: 'engine', mode_seen: null, mode_seq: typedCount, mode_age_ms: null, failsafe_pause: false, channel_rejects: 0, details: {} }),
  },
});
void ep;
parentPort?.postMessage('ready');
