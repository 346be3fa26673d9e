import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { MirrorCheck } from './jsonl-mirror.js';
import type { SetVerdict } from './verify.js';

/** One read-only check of an audit, run on its own thread (check-worker.ts). */
export type CheckTask =
  | { readonly kind: 'CHAIN'; readonly dbFile: string; readonly archiveDir: string }
  | { readonly kind: 'MIRROR'; readonly dbFile: string; readonly jsonlDir: string; readonly runId: string | null };

export type CheckAnswer = { readonly kind: 'CHAIN'; readonly verdict: SetVerdict } | { readonly kind: 'MIRROR'; readonly check: MirrorCheck | null };

/**
 * The worker's file by the package's name: this module is also bundled into the supervisor CLI,
 * where a path relative to the bundle would not find it. The bundle (scripts/worker-bundles.ts) is
 * one file to load instead of the package's modules one by one.
 */
const workerFile = (): string => createRequire(import.meta.url).resolve('@vigil/audit/check-worker.bundle');

function inThread<A extends CheckAnswer>(task: CheckTask, kind: A['kind']): Promise<A> {
  // Resolved at each check, not at import: every importer of @vigil/audit loads this module.
  return new Promise((resolve, reject) => {
    const w = new Worker(workerFile(), { workerData: task });
    let answered = false;
    w.once('message', (m: CheckAnswer | { readonly kind: 'FAILED'; readonly message: string }) => {
      answered = true;
      if (m.kind === kind) resolve(m as A);
      else reject(new Error(m.kind === 'FAILED' ? m.message : `audit check answered ${m.kind} for ${kind}`));
    });
    w.once('error', (e) => {
      answered = true;
      reject(e);
    });
    // A worker that exits without a word (killed, out of memory) is a failed check, never a pass.
    w.once('exit', (code) => {
      if (!answered) reject(new Error(`audit check thread exited (code ${code}) without an answer`));
    });
  });
}

/**
 * verifyAuditSet on a thread of its own: the chain walk hashes every row of the database and its
 * archives, and the caller (replay, verify-audit) has its own pass over the rows to make meanwhile.
 */
export function verifyAuditSetInThread(dbFile: string, archiveDir: string): Promise<SetVerdict> {
  return inThread<Extract<CheckAnswer, { kind: 'CHAIN' }>>({ kind: 'CHAIN', dbFile, archiveDir }, 'CHAIN').then((a) => a.verdict);
}

/** checkDatabaseMirror on a thread of its own, over its own read-only connection to `dbFile`. */
export function checkDatabaseMirrorInThread(dbFile: string, jsonlDir: string, runId?: string): Promise<MirrorCheck | null> {
  return inThread<Extract<CheckAnswer, { kind: 'MIRROR' }>>({ kind: 'MIRROR', dbFile, jsonlDir, runId: runId ?? null }, 'MIRROR').then((a) => a.check);
}
