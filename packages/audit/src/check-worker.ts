// A worker thread's entry: one read-only check of an audit (the hash chain, or the JSONL mirror),
// answered with one message. Run beside other work by check-thread.ts; small on purpose (no writer,
// no runtime): every check pays this module graph's load.
import { parentPort, workerData } from 'node:worker_threads';
import { checkDatabaseFileMirror } from './jsonl-mirror.js';
import { verifyAuditSet } from './verify.js';
import type { CheckAnswer, CheckTask } from './check-thread.js';

function run(task: CheckTask): CheckAnswer {
  switch (task.kind) {
    case 'CHAIN':
      return { kind: 'CHAIN', verdict: verifyAuditSet(task.dbFile, task.archiveDir) };
    case 'MIRROR':
      return { kind: 'MIRROR', check: checkDatabaseFileMirror(task.dbFile, task.jsonlDir, task.runId ?? undefined) };
  }
}

let answer: CheckAnswer | { readonly kind: 'FAILED'; readonly message: string };
try {
  answer = run(workerData as CheckTask);
} catch (e) {
  answer = { kind: 'FAILED', message: e instanceof Error ? e.message : String(e) };
}
parentPort?.postMessage(answer);
