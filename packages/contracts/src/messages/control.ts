import type { MessagePort } from 'node:worker_threads';
import { fields } from '../checks.js';
import type { ChannelSpec, Direction } from '../frames.js';
import type { Mode, Severity, WorkerName } from '../modes.js';
import type { ReasonCode } from '../reason-codes.js';
import type { JsonObject } from '../envelope.js';
import type { Stage } from '../stages.js';

/** One active reason as the mode authority holds it. */
export interface ActiveReason {
  readonly code: ReasonCode;
  readonly source: string;
  readonly severity: Severity;
  readonly since_ms: number;
  readonly last_ts_ms: number;
  readonly count: number;
  readonly detail: JsonObject;
}

/** The mode as broadcast by the supervisor. seq increases by one per change; re-broadcasts keep it. */
export interface ModeState {
  readonly mode: Mode;
  readonly seq: number;
  readonly since_ms: number;
  readonly reasons: readonly ActiveReason[];
}

export interface LoopDelay {
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
}

export interface MemoryUse {
  readonly rss_bytes: number;
  readonly heap_used_bytes: number;
  readonly heap_total_bytes: number;
  /** Memory of C++ objects bound to this thread's JavaScript objects (buffers, zlib, sockets). */
  readonly external_bytes?: number;
  /** Of external_bytes, the ArrayBuffers and Buffers. */
  readonly array_buffers_bytes?: number;
  /**
   * Bytes each V8 heap space holds reserved (space_size: new_space, old_space, code_space, ...):
   * which part of heap_total grows when it creeps over weeks.
   */
  readonly heap_spaces?: Readonly<Record<string, number>>;
}

/** Test-only fault hooks; honoured only when live.fault_hooks_enabled (recorded as FAULT_HOOKS_ENABLED). */
export type FaultSpec =
  | { readonly kind: 'throw'; readonly message: string }
  | { readonly kind: 'block'; readonly ms: number }
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'report_db_unusable' }
  /** Moves the worker's clock (WorkerContext.clock) forward by `ms`: a test skips a back-off or a window instead of sleeping. */
  | { readonly kind: 'advance_clock'; readonly ms: number }
  /** Keeps allocating and holding `mb_per_tick` MiB per turn of the loop: a leak that reaches the heap ceiling. */
  | { readonly kind: 'leak'; readonly mb_per_tick: number };

export interface WorkerStatus {
  readonly worker: WorkerName;
  readonly mode_seen: Mode | null;
  readonly mode_seq: number;
  readonly mode_age_ms: number | null;
  readonly failsafe_pause: boolean;
  readonly channel_rejects: number;
  readonly details: JsonObject;
}

export interface EntryCheck {
  readonly allowed: boolean;
  readonly mode: Mode;
  readonly blocked_by: readonly ReasonCode[];
  readonly stage: Stage;
}

// --- supervisor -> worker
export type SupervisorEvent =
  | ({ readonly type: 'mode' } & ModeState)
  | { readonly type: 'shutdown'; readonly reason: string }
  /** A fresh port after a peer worker restarted (the old one died with it). */
  | { readonly type: 'attach_port'; readonly name: PortName; readonly port: MessagePort };

/**
 * Port roles: `audit` is a producer's end of a channel to the audit writer, `audit_producer` the
 * writer's end of one; `market` is the engine's or the gateway's end of their channel.
 */
export type PortName = 'audit' | 'audit_producer' | 'market';

export type SupervisorRequests = {
  readonly ping: { readonly input: { readonly sent_ts_ms: number }; readonly output: { readonly sent_ts_ms: number; readonly worker_ts_ms: number } };
  readonly status: { readonly input: Record<string, never>; readonly output: WorkerStatus };
  readonly fault: { readonly input: { readonly fault: FaultSpec }; readonly output: { readonly applied: boolean } };
  /** Stop taking new work and finish what is in flight; the audit writer commits everything queued. */
  readonly drain: { readonly input: Record<string, never>; readonly output: { readonly drained: boolean } };
  /** Engine only: would an entry be allowed right now, and if not, why. */
  readonly entry_check: { readonly input: { readonly symbol: string }; readonly output: EntryCheck };
};

// --- worker -> supervisor
export type WorkerEvent =
  | { readonly type: 'ready'; readonly worker: WorkerName; readonly thread_id: number; readonly ts_ms: number }
  | {
      readonly type: 'heartbeat';
      readonly worker: WorkerName;
      readonly seq: number;
      readonly ts_ms: number;
      readonly loop: LoopDelay;
      readonly mem: MemoryUse;
      readonly channel_rejects: number;
      readonly metrics: JsonObject;
    }
  | { readonly type: 'reason_raised'; readonly code: ReasonCode; readonly detail: JsonObject }
  | { readonly type: 'reason_cleared'; readonly code: ReasonCode }
  | { readonly type: 'mode_applied'; readonly seq: number; readonly mode: Mode; readonly failsafe: boolean; readonly applied_ts_ms: number }
  | { readonly type: 'stage'; readonly stage: Stage; readonly cycle_id: number | null; readonly ts_ms: number }
  /** An ALERT_RAISED this worker appended to the audit: the supervisor sends it to console, panel and webhooks. */
  | { readonly type: 'alert'; readonly alert: WorkerAlert };

/** What a worker's ALERT_RAISED carries to the supervisor (payload already redacted at creation). */
export interface WorkerAlert {
  readonly event_id: string;
  readonly ts_ms: number;
  readonly severity: Severity;
  readonly reason_code: ReasonCode | null;
  readonly source: string;
  readonly symbol: string | null;
  readonly detail: JsonObject;
}

export type WorkerRequests = Record<never, never>;

export type SupervisorSide = Direction<SupervisorEvent, SupervisorRequests>;
export type WorkerSide = Direction<WorkerEvent, WorkerRequests>;

export const CONTROL_CHANNEL: ChannelSpec = {
  name: 'control',
  a: {
    events: {
      mode: fields({ mode: 'string', seq: 'number', since_ms: 'number', reasons: 'array' }),
      shutdown: fields({ reason: 'string' }),
      attach_port: fields({ name: 'string', port: 'object' }),
    },
    requests: {
      ping: fields({ sent_ts_ms: 'number' }),
      status: null,
      fault: fields({ fault: 'object' }),
      drain: null,
      entry_check: fields({ symbol: 'string' }),
    },
  },
  b: {
    events: {
      ready: fields({ worker: 'string', thread_id: 'number', ts_ms: 'number' }),
      heartbeat: fields({ worker: 'string', seq: 'number', ts_ms: 'number', loop: 'object', mem: 'object', metrics: 'object' }),
      reason_raised: fields({ code: 'string', detail: 'object' }),
      reason_cleared: fields({ code: 'string' }),
      mode_applied: fields({ seq: 'number', mode: 'string', failsafe: 'boolean', applied_ts_ms: 'number' }),
      stage: fields({ stage: 'string', cycle_id: 'number|null', ts_ms: 'number' }),
      alert: fields({ alert: 'object' }),
    },
    requests: {},
  },
};
