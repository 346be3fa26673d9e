import type { EventType } from './event-types.js';
import { newEventId } from './ids.js';
import type { Severity, ThreadName } from './modes.js';
import type { ReasonCode } from './reason-codes.js';
import type { Stage } from './stages.js';

/** JSON-safe payload values: what structured clone, SQLite TEXT and JSONL all carry unchanged. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };
export type JsonObject = { readonly [k: string]: JsonValue };

/**
 * Every audit event carries this envelope, in SQLite and in JSONL alike. Correlation ids are null
 * where the event has none (a mode change belongs to no cycle). Never mutated after creation.
 */
export interface EventEnvelope {
  readonly event_id: string;
  readonly ts_ms: number;
  readonly run_id: string;
  readonly source: ThreadName;
  readonly cycle_id: number | null;
  readonly stage: Stage | null;
  readonly snapshot_id: string | null;
  readonly decision_id: string | null;
  readonly order_intent_id: string | null;
  readonly event_type: EventType;
  readonly reason_code: ReasonCode | null;
  readonly severity: Severity;
  readonly payload: JsonObject;
}

/** The correlation part of the envelope, carried along a cycle. */
export interface Correlation {
  readonly cycle_id: number | null;
  readonly stage: Stage | null;
  readonly snapshot_id: string | null;
  readonly decision_id: string | null;
  readonly order_intent_id: string | null;
}

export const NO_CORRELATION: Correlation = Object.freeze({
  cycle_id: null,
  stage: null,
  snapshot_id: null,
  decision_id: null,
  order_intent_id: null,
});

/** What an envelope must be told; envelopeOf fills the rest. */
export type EnvelopeFields = Pick<EventEnvelope, 'ts_ms' | 'run_id' | 'source' | 'event_type' | 'payload'> & Partial<EventEnvelope>;

/**
 * An envelope from its required fields, the others defaulted: no correlation, no reason, INFO, and
 * an event id from ts_ms. The product's events come from EventFactory, which also redacts the
 * payload; this is the one shape for rows written directly (tests, benchmarks, tools).
 */
export function envelopeOf(f: EnvelopeFields): EventEnvelope {
  return {
    event_id: f.event_id ?? newEventId(f.ts_ms),
    ts_ms: f.ts_ms,
    run_id: f.run_id,
    source: f.source,
    cycle_id: f.cycle_id ?? null,
    stage: f.stage ?? null,
    snapshot_id: f.snapshot_id ?? null,
    decision_id: f.decision_id ?? null,
    order_intent_id: f.order_intent_id ?? null,
    event_type: f.event_type,
    reason_code: f.reason_code ?? null,
    severity: f.severity ?? 'INFO',
    payload: f.payload,
  };
}

export const ENVELOPE_KEYS = [
  'event_id',
  'ts_ms',
  'run_id',
  'source',
  'cycle_id',
  'stage',
  'snapshot_id',
  'decision_id',
  'order_intent_id',
  'event_type',
  'reason_code',
  'severity',
  'payload',
] as const satisfies readonly (keyof EventEnvelope)[];
