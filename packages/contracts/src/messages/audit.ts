import type { EngineMemory } from '../engine-memory.js';
import type { EventType } from '../event-types.js';
import { isEventType } from '../event-types.js';
import type { Severity, ThreadName } from '../modes.js';
import { SEVERITIES, THREADS } from '../modes.js';
import type { ReasonCode } from '../reason-codes.js';
import { isReasonCode } from '../reason-codes.js';
import type { Stage } from '../stages.js';
import { STAGES } from '../stages.js';
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
  /** Events the audit worker wrote of its own (backups, archiving): no producer counted them as sent. */
  readonly own_total: number;
}

export interface CommitAck {
  /** Sequence number of the last committed event row (the audit's own monotonic counter). */
  readonly last_seq: number;
  readonly commit_ts_ms: number;
}

/**
 * One event as it travels to the writer: the envelope's fields in ENVELOPE_KEYS order, with the
 * payload already redacted and serialized to canonical JSON by the producer (runtime toAuditRow).
 * A flat tuple of primitives: structured clone copies it for a fraction of the cost of the object
 * graph, and the writer neither rebuilds nor re-serializes the payload.
 */
export type AuditRow = readonly [
  event_id: string,
  ts_ms: number,
  run_id: string,
  source: ThreadName,
  cycle_id: number | null,
  stage: Stage | null,
  snapshot_id: string | null,
  decision_id: string | null,
  order_intent_id: string | null,
  event_type: EventType,
  reason_code: ReasonCode | null,
  severity: Severity,
  payload_json: string,
];
export const AUDIT_ROW_LENGTH = 13;

// --- producer (supervisor, engine, gateway) -> audit writer
/**
 * Bulk: batched by the writer, never awaited by the sender. `frame` numbers a producer's bulk frames
 * (1, 2, ...; a frame re-sent to a new writer keeps its number): the producer keeps each frame's
 * rows until the writer reports it settled, so rows in flight to a writer that dies are re-sent.
 */
export type AuditProducerEvent = { readonly type: 'append'; readonly frame: number; readonly rows: readonly AuditRow[] };

export type AuditProducerRequests = {
  /** Critical: acknowledged only after the events are committed to SQLite (intents, mode changes, AI gate results). */
  /**
   * `frame` is present when bulk rows queued before the critical ones ride ahead of them in this
   * request: the producer keeps those rows as that bulk frame until the writer settles it.
   */
  readonly append_critical: { readonly input: { readonly rows: readonly AuditRow[]; readonly frame?: number }; readonly output: CommitAck };
  /** Commit everything queued so far and report. */
  readonly flush: { readonly input: Record<string, never>; readonly output: CommitAck };
  readonly pressure: { readonly input: Record<string, never>; readonly output: WriterPressure };
  /**
   * What the engine remembers across a restart, read by the writer after committing everything
   * queued before the request (so a restarted engine sees what its predecessor sent). `now_ms`
   * is the engine's clock: the day of the P&L and the windows of the read are the engine's.
   */
  readonly engine_memory: { readonly input: { readonly now_ms: number }; readonly output: EngineMemory };
};

// --- audit writer -> producer
/**
 * Every bulk frame of this producer up to `frame` is settled: committed (or already in the database,
 * for a re-sent frame), or refused and counted by the writer as dropped. Sent in frame order.
 */
export type AuditWriterEvent = { readonly type: 'settled'; readonly frame: number };
export type AuditWriterRequests = Record<never, never>;

export type AuditProducerSide = Direction<AuditProducerEvent, AuditProducerRequests>;
export type AuditWriterSide = Direction<AuditWriterEvent, AuditWriterRequests>;

const THREAD_SET: ReadonlySet<unknown> = new Set(THREADS);
const SEVERITY_SET: ReadonlySet<unknown> = new Set(SEVERITIES);
const STAGE_SET: ReadonlySet<unknown> = new Set(STAGES);
const strOrNull = (v: unknown): boolean => v === null || typeof v === 'string';

/**
 * The shape of one row, field by field, with the enumerations checked against their lists. The
 * payload must be a JSON object's text; its secrets are checked once more by the writer.
 */
export function auditRowProblem(r: unknown): string | null {
  if (!Array.isArray(r) || r.length !== AUDIT_ROW_LENGTH) return 'must be an array of 13 fields';
  if (typeof r[0] !== 'string' || r[0].length === 0) return 'event_id must be a non-empty string';
  if (typeof r[1] !== 'number' || !Number.isFinite(r[1])) return 'ts_ms must be a finite number';
  if (typeof r[2] !== 'string') return 'run_id must be a string';
  if (!THREAD_SET.has(r[3])) return 'source must be a thread name';
  if (r[4] !== null && (typeof r[4] !== 'number' || !Number.isFinite(r[4]))) return 'cycle_id must be a finite number or null';
  if (r[5] !== null && !STAGE_SET.has(r[5])) return 'stage must be a stage or null';
  if (!strOrNull(r[6]) || !strOrNull(r[7]) || !strOrNull(r[8])) return 'correlation ids must be strings or null';
  if (!isEventType(r[9])) return 'event_type must be an event type';
  if (r[10] !== null && !isReasonCode(r[10])) return 'reason_code must be a reason code or null';
  if (!SEVERITY_SET.has(r[11])) return 'severity must be a severity';
  const p: unknown = r[12];
  if (typeof p !== 'string' || p.charCodeAt(0) !== 0x7b || p.charCodeAt(p.length - 1) !== 0x7d) return 'payload_json must be the text of a JSON object';
  return null;
}

const frameNumber = (body: Record<string, unknown>): string | null => {
  const f = body['frame'];
  return typeof f === 'number' && Number.isSafeInteger(f) && f > 0 ? null : 'field frame must be a positive integer';
};

/** Every element of `rows` must be a whole row; the writer relies on it. */
const rows: BodyCheck = (body) => {
  const rs = body['rows'];
  if (!Array.isArray(rs)) return 'field rows must be array';
  for (let i = 0; i < rs.length; i++) {
    const bad = auditRowProblem(rs[i]);
    if (bad !== null) return `rows[${i}] ${bad}`;
  }
  return null;
};

export const AUDIT_CHANNEL: ChannelSpec = {
  name: 'audit',
  a: {
    events: { append: (b) => frameNumber(b) ?? rows(b) },
    requests: {
      append_critical: (b) => (b['frame'] === undefined ? null : frameNumber(b)) ?? rows(b),
      flush: null,
      pressure: null,
      engine_memory: (b) => (typeof b['now_ms'] === 'number' && Number.isFinite(b['now_ms']) ? null : 'field now_ms must be a finite number'),
    },
  },
  b: { events: { settled: frameNumber }, requests: {} },
};
