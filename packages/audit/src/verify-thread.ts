import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { verifyDatabaseCopy, type CopyVerdict } from './verify.js';

/**
 * Verifies a backup copy on its own thread: integrity_check and the chain walk read the whole file
 * (minutes for a large database), which must not stop the writer's commits or heartbeats.
 */
export function verifyCopyOffThread(file: string): Promise<CopyVerdict> {
  return new Promise((resolve) => {
    const w = new Worker(new URL('./verify-thread.js', import.meta.url), { workerData: { verifyCopy: file }, name: 'vigil-audit-verify' });
    let done = false;
    const finish = (v: CopyVerdict): void => {
      if (done) return;
      done = true;
      resolve(v);
    };
    w.once('message', (v: CopyVerdict) => finish(v));
    w.once('error', (e) => finish({ ok: false, failure: 'UNREADABLE', detail: `verifier thread failed: ${e.message}` }));
    w.once('exit', (code) => finish({ ok: false, failure: 'UNREADABLE', detail: `verifier thread exited (${code}) without a verdict` }));
  });
}

if (!isMainThread && parentPort && typeof (workerData as { verifyCopy?: unknown } | null)?.verifyCopy === 'string') {
  parentPort.postMessage(verifyDatabaseCopy((workerData as { verifyCopy: string }).verifyCopy));
}
