import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerHost } from '../../apps/supervisor/src/worker-host.js';
import { handHost, testConfig, waitFor } from './harness.js';

const STUCK = fileURLToPath(new URL('../fixtures/workers/stuck-in-native.mjs', import.meta.url));
let host: WorkerHost | null = null;
afterEach(async () => {
  await host?.stop();
  host = null;
});

const ports = () => [
  { name: 'audit' as const, port: new MessageChannel().port1 },
  { name: 'market' as const, port: new MessageChannel().port1 },
];

describe('a worker host replacing its thread', () => {
  it('starts the replacement only after the terminated thread has exited, even while that thread is held in native code', async () => {
    const { config, varDir } = testConfig();
    const h = handHost({ name: 'audit', entry: STUCK, config, varDir });
    host = h;
    void h.start(ports()).catch(() => undefined); // never ready: it only sleeps
    const first = await waitFor('the first thread', () => (h.threadId > 0 ? h.threadId : null), 5000);
    // Well inside its 1.5 s native call by then (a thread starts in about 60 ms here).
    await new Promise((r) => setTimeout(r, 500));
    let exitedAt = 0;
    const killed = h.kill().then(() => (exitedAt = performance.now()));
    void h.start(ports()).catch(() => undefined);
    await waitFor('a second thread', () => h.threadId !== first, 10_000);
    const secondAt = performance.now();
    await killed;
    // The kill resolves on the old thread's exit; the new thread id appears only after it.
    expect(exitedAt).toBeGreaterThan(0);
    expect(secondAt).toBeGreaterThanOrEqual(exitedAt);
  }, 20_000);
});
