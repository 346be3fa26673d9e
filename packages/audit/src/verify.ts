import Database from 'better-sqlite3';
import { canonicalJson, sha256Hex, type EventEnvelope } from '@vigil/contracts';
import { GENESIS_HASH } from './writer.js';

export type ChainVerdict =
  | { readonly ok: true; readonly rows: number }
  | { readonly ok: false; readonly rows: number; readonly firstBadSeq: number; readonly reason: 'HASH_MISMATCH' | 'PREV_HASH_MISMATCH' | 'SEQ_GAP' };

/**
 * Walks the event chain of an audit database read-only: every row's hash must be
 * sha256(prev_hash + canonical envelope), every prev_hash the previous row's hash, and seq must
 * have no gap, so an edited, inserted or deleted row is detected at its position.
 */
export function verifyAuditChain(dbFile: string): ChainVerdict {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    let prev = GENESIS_HASH;
    let expectSeq: number | null = null;
    let rows = 0;
    const it = db.prepare('SELECT * FROM events ORDER BY seq').iterate() as IterableIterator<Record<string, unknown>>;
    for (const r of it) {
      const seq = r['seq'] as number;
      if (expectSeq !== null && seq !== expectSeq) return { ok: false, rows, firstBadSeq: seq, reason: 'SEQ_GAP' };
      if (r['prev_hash'] !== prev) return { ok: false, rows, firstBadSeq: seq, reason: 'PREV_HASH_MISMATCH' };
      const ev: EventEnvelope = {
        event_id: r['event_id'] as string,
        ts_ms: r['ts_ms'] as number,
        run_id: r['run_id'] as string,
        source: r['source'] as EventEnvelope['source'],
        cycle_id: r['cycle_id'] as number | null,
        stage: r['stage'] as EventEnvelope['stage'],
        snapshot_id: r['snapshot_id'] as string | null,
        decision_id: r['decision_id'] as string | null,
        order_intent_id: r['order_intent_id'] as string | null,
        event_type: r['event_type'] as EventEnvelope['event_type'],
        reason_code: r['reason_code'] as EventEnvelope['reason_code'],
        severity: r['severity'] as EventEnvelope['severity'],
        payload: JSON.parse(r['payload'] as string) as EventEnvelope['payload'],
      };
      if (sha256Hex(prev + canonicalJson(ev)) !== r['hash']) return { ok: false, rows, firstBadSeq: seq, reason: 'HASH_MISMATCH' };
      prev = r['hash'] as string;
      expectSeq = seq + 1;
      rows++;
    }
    return { ok: true, rows };
  } finally {
    db.close();
  }
}
