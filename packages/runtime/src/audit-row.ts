import { canonicalJson, type AuditRow, type EventEnvelope } from '@vigil/contracts';
import { redact } from '@vigil/core';

/**
 * An envelope as the audit channel carries it: payload redacted (with this thread's registered
 * secrets), then serialized to canonical JSON, on the producer's thread. The writer hashes exactly
 * this text and stores it; verify recomputes it from the stored payload. Throws
 * CanonicalJsonError for a payload JSON cannot carry faithfully (a non-finite number), at the
 * caller, instead of jamming the writer's batch.
 */
export function toAuditRow(ev: EventEnvelope): AuditRow {
  return [
    ev.event_id,
    ev.ts_ms,
    ev.run_id,
    ev.source,
    ev.cycle_id,
    ev.stage,
    ev.snapshot_id,
    ev.decision_id,
    ev.order_intent_id,
    ev.event_type,
    ev.reason_code,
    ev.severity,
    canonicalJson(redact(ev.payload)),
  ];
}
