import {
  type PayloadOf,
  REASON_CODES,
  envelopeOf,
  type Correlation,
  type EventEnvelope,
  type EventType,
  type ReasonCode,
  type Severity,
  type ThreadName,
} from '@vigil/contracts';
import { redact } from '@vigil/core';

/**
 * Builds envelopes for one thread of one run. Payloads are redacted here, at creation, so no
 * secret can enter the audit stream whatever path it later takes.
 */
export class EventFactory {
  constructor(
    readonly runId: string,
    readonly source: ThreadName,
    private readonly now: () => number = Date.now,
  ) {}

  make<T extends EventType>(
    type: T,
    payload: PayloadOf<T>,
    opts: { readonly reason?: ReasonCode | null; readonly severity?: Severity; readonly corr?: Partial<Correlation> } = {},
  ): EventEnvelope {
    const reason = opts.reason ?? null;
    return envelopeOf({
      ts_ms: this.now(),
      run_id: this.runId,
      source: this.source,
      ...opts.corr,
      event_type: type,
      reason_code: reason,
      severity: opts.severity ?? (reason ? REASON_CODES[reason].severity : 'INFO'),
      payload: redact(payload),
    });
  }
}
