import { ENVELOPE_KEYS, type EventEnvelope } from '../envelope.js';
import type { BodyCheck, ChannelSpec, Direction } from '../frames.js';

/** Writer pressure as the audit writer measures it (operations rules, "DB and process health"). */
export type WriterState = 'OK' | 'HIGH' | 'FULL';
export interface WriterPressure {
  readonly state: WriterState;
  readonly queue_depth: number;
  readonly queue_capacity: number;
  readonly queue_pct: number;
  readonly lag_ms: number;
  readonly last_writer_commit_ts_ms: number | null;
  readonly events_per_min: number;
  readonly dropped_total: number;
  readonly committed_total: number;
}

export interface CommitAck {
  /** Sequence number of the last committed event row (the audit's own monotonic counter). */
  readonly last_seq: number;
  readonly commit_ts_ms: number;
}

// --- producer (supervisor, engine, gateway) -> audit writer
/** Bulk: batched by the writer, fire-and-forget for the sender. */
export type AuditProducerEvent = { readonly type: 'append'; readonly events: readonly EventEnvelope[] };

export type AuditProducerRequests = {
  /** Critical: acknowledged only after the events are committed to SQLite (intents, mode changes, AI gate results). */
  readonly append_critical: { readonly input: { readonly events: readonly EventEnvelope[] }; readonly output: CommitAck };
  /** Commit everything queued so far and report. */
  readonly flush: { readonly input: Record<string, never>; readonly output: CommitAck };
  readonly pressure: { readonly input: Record<string, never>; readonly output: WriterPressure };
};

// --- audit writer -> producer: replies only
export type AuditWriterEvent = never;
export type AuditWriterRequests = Record<never, never>;

export type AuditProducerSide = Direction<AuditProducerEvent, AuditProducerRequests>;
export type AuditWriterSide = Direction<{ readonly type: never }, AuditWriterRequests>;

/** Every element of `events` must carry the whole envelope; the writer relies on it. */
const envelopes: BodyCheck = (body) => {
  const evs = body['events'];
  if (!Array.isArray(evs)) return 'field events must be array';
  for (let i = 0; i < evs.length; i++) {
    const e: unknown = evs[i];
    if (typeof e !== 'object' || e === null) return `events[${i}] must be object`;
    for (const k of ENVELOPE_KEYS) if (!(k in e)) return `events[${i}] lacks ${k}`;
  }
  return null;
};

export const AUDIT_CHANNEL: ChannelSpec = {
  name: 'audit',
  a: {
    events: { append: envelopes },
    requests: { append_critical: envelopes, flush: null, pressure: null },
  },
  b: { events: {}, requests: {} },
};
