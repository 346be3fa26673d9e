import { randomUUID } from 'node:crypto';
import type { EventEnvelope, JsonObject, WorkerAlert } from '@vigil/contracts';

/**
 * Running counts of the events one worker thread appended to the audit, kept as they are appended
 * (never by reading the database back): by event type, by reason code, and the block codes of
 * refused risk verdicts (EDGE_TOO_LOW, COST_TOO_HIGH, ...). The supervisor turns them into the
 * health signals of the operations rules. `epoch` is new per thread start: a restarted worker
 * starts from zero, and the supervisor adds the dead thread's last counts to its base.
 */
export class EventTally {
  readonly epoch = randomUUID();
  private readonly byType = new Map<string, number>();
  private readonly byReason = new Map<string, number>();
  private readonly blocks = new Map<string, number>();
  private readonly lastTs = new Map<string, number>();

  add(ev: EventEnvelope): void {
    this.byType.set(ev.event_type, (this.byType.get(ev.event_type) ?? 0) + 1);
    this.lastTs.set(ev.event_type, ev.ts_ms);
    if (ev.reason_code) this.byReason.set(ev.reason_code, (this.byReason.get(ev.reason_code) ?? 0) + 1);
    if (ev.event_type === 'RISK_VERDICT_GIVEN' && ev.payload['ok'] === false && Array.isArray(ev.payload['blocks'])) {
      for (const b of ev.payload['blocks']) if (typeof b === 'string') this.blocks.set(b, (this.blocks.get(b) ?? 0) + 1);
    }
  }

  toJson(): JsonObject {
    return {
      epoch: this.epoch,
      by_type: Object.fromEntries(this.byType),
      by_reason: Object.fromEntries(this.byReason),
      blocks: Object.fromEntries(this.blocks),
      last_ts_ms: Object.fromEntries(this.lastTs),
    };
  }
}

/** The alert a worker's ALERT_RAISED event carries to the supervisor. */
export function alertOf(ev: EventEnvelope, worker: string): WorkerAlert {
  const p = ev.payload;
  const detail = p['detail'];
  return {
    event_id: ev.event_id,
    ts_ms: ev.ts_ms,
    severity: ev.severity,
    reason_code: ev.reason_code,
    source: typeof p['source'] === 'string' ? p['source'] : worker,
    symbol: typeof p['symbol'] === 'string' ? p['symbol'] : symbolIn(detail),
    detail:
      typeof detail === 'object' && detail !== null && !Array.isArray(detail)
        ? (detail as JsonObject)
        : { ...p, ...(typeof detail === 'string' ? { detail } : {}) },
  };
}

/** Engine alerts name the symbol at the start of their text ("BTCUSDT: ..."), or in a field. */
function symbolIn(detail: unknown): string | null {
  if (typeof detail === 'string') {
    const m = /^(?:manage )?([A-Z0-9]{5,20}):/.exec(detail);
    return m ? m[1]! : null;
  }
  if (typeof detail === 'object' && detail !== null && typeof (detail as Record<string, unknown>)['symbol'] === 'string')
    return (detail as Record<string, string>)['symbol']!;
  return null;
}
