import { join } from 'node:path';
import { isMainThread, threadId, workerData, type MessagePort } from 'node:worker_threads';
import {
  CONTROL_CHANNEL,
  PROTOCOL_VERSION,
  type FaultSpec,
  type JsonObject,
  type Mode,
  type ModeState,
  type PortName,
  type ReasonCode,
  type SupervisorRequests,
  type SupervisorSide,
  type WorkerInit,
  type WorkerName,
  type WorkerSide,
  type WorkerStatus,
} from '@vigil/contracts';
import { AuditClient } from './audit-client.js';
import { AdvanceableClock, systemClock, type Clock } from './clock.js';
import { Endpoint, type RequestHandlers, type Rejection } from './channel.js';
import { EventFactory } from './event-factory.js';
import { alertOf, EventTally } from './event-tally.js';
import { createLogger, type Logger } from './logger.js';
import { LoopDelayMonitor, memoryUse, preciseNowMs } from './loop-delay.js';
import { redact } from '@vigil/core';
import { registerProcessSecrets } from './secrets.js';

/**
 * What a worker's logic gets from the bootstrap: its init data, the control endpoint, the mode as
 * last heard (fail-closed to PAUSE when it goes quiet), an event factory, a logger, and reasons.
 */
export interface WorkerContext {
  readonly init: WorkerInit;
  readonly control: Endpoint<WorkerSide, SupervisorSide>;
  readonly events: EventFactory;
  readonly log: Logger;
  /** Effective mode: the supervisor's, or PAUSE when none was heard within worker_mode_timeout_ms. */
  mode(): Mode;
  modeState(): ModeState | null;
  isFailsafe(): boolean;
  raise(code: ReasonCode, detail?: JsonObject): void;
  clear(code: ReasonCode): void;
  /** Initial ports of a role, in the order given. */
  ports(name: PortName): MessagePort[];
  /** Counts of the events this thread appended (sent with every heartbeat as metrics.event_tally). */
  readonly tally: EventTally;
  /**
   * The time the logic runs on: the system clock; with test fault hooks enabled, the same wall
   * clock that the `advance_clock` hook can move forward (never back).
   */
  readonly clock: Clock;
}

export interface WorkerLogic {
  /** Extra control requests this worker answers (entry_check, drain, ...). */
  readonly requests?: Omit<RequestHandlers<SupervisorRequests>, 'ping' | 'status' | 'fault'>;
  /** Worker-specific metrics attached to every heartbeat. */
  metrics?(): JsonObject;
  details?(): JsonObject;
  onMode?(mode: Mode, state: ModeState | null, failsafe: boolean): void;
  /** A replacement port after a peer restarted. */
  onPort?(name: PortName, port: MessagePort): void;
  onFault?(fault: FaultSpec): boolean;
}

/**
 * The whole body of a worker entry file: refuse to run on the main thread, then wire the control
 * channel, heartbeats, the mode watch and the fault hooks around the logic built by `build`.
 */
export function runWorker(expected: WorkerName, build: (ctx: WorkerContext) => WorkerLogic | Promise<WorkerLogic>): void {
  if (isMainThread) throw new Error(`${expected} worker must be started by the supervisor as a worker thread`);
  const init = workerData as WorkerInit;
  if (init?.worker !== expected || init.protocol_version !== PROTOCOL_VERSION) {
    throw new Error(`${expected} worker: bad workerData (worker=${String(init?.worker)}, protocol=${String(init?.protocol_version)})`);
  }
  const cfg = init.config;
  // Redaction is per thread: this one learns every secret of the process (the exchange credentials,
  // the AI key, the webhook URLs with secrets in their path) before any log line, whichever of them
  // it uses itself: a venue or a model may echo any of them in an error this thread passes on.
  registerProcessSecrets(cfg, init.secrets, process.env);
  const log = createLogger({ thread: expected, logDir: join(init.var_dir, 'log'), config: cfg.logging });
  const events = new EventFactory(init.run_id, expected);
  let logic: WorkerLogic = {};
  let modeState: ModeState | null = null;
  let lastModeAt = -Infinity;
  let failsafe = true; // nothing heard yet: PAUSE
  let hbSeq = 0;
  let failsafeRaised = false;
  let lastHbTickAt = Date.now();
  const loop = new LoopDelayMonitor();
  // Selected once at init: production never gets a clock that anything can move.
  const advanceable = cfg.live.fault_hooks_enabled ? new AdvanceableClock() : null;
  const clock: Clock = advanceable ?? systemClock;

  const control = new Endpoint<WorkerSide, SupervisorSide>(init.control, {
    spec: CONTROL_CHANNEL,
    side: 'b',
    label: `control:${expected}`,
    requestTimeoutMs: cfg.supervisor.request_timeout_ms,
    onReject: (r) => log.warn(`channel rejected a frame: ${r.code} ${r.detail}`, { channel: r.channel }),
    onHandlerError: (e, type) => log.error(`control handler ${type} failed: ${(e as Error)?.message ?? String(e)}`),
    onEvent: (ev) => {
      switch (ev.type) {
        case 'mode':
          modeState = { mode: ev.mode, seq: ev.seq, since_ms: ev.since_ms, reasons: ev.reasons };
          lastModeAt = Date.now();
          if (failsafe || ev.seq !== appliedSeq) applyMode(false);
          // The supervisor is heard again: the failsafe this worker raised is over (its PAUSE, if
          // still warranted, comes from the supervisor's own reasons).
          if (failsafeRaised) {
            failsafeRaised = false;
            ctx.clear('MODE_UNKNOWN_FAILSAFE');
          }
          return;
        case 'shutdown':
          log.info(`shutdown requested: ${ev.reason}`);
          return;
        case 'attach_port':
          logic.onPort?.(ev.name, ev.port);
          return;
        default:
          assertNever(ev);
      }
    },
    onRequest: {
      ping: (i) => ({ sent_ts_ms: i.sent_ts_ms, worker_ts_ms: preciseNowMs() }),
      status: (): WorkerStatus => ({
        worker: expected,
        mode_seen: modeState?.mode ?? null,
        mode_seq: modeState?.seq ?? 0,
        mode_age_ms: Number.isFinite(lastModeAt) ? Date.now() - lastModeAt : null,
        failsafe_pause: failsafe,
        channel_rejects: control.rejects,
        details: logic.details?.() ?? {},
      }),
      fault: (i) => ({ applied: applyFault(i.fault) }),
      drain: (i) => logic.requests?.drain?.(i) ?? { drained: true },
      entry_check: (i) => {
        const h = logic.requests?.entry_check;
        if (!h) throw Object.assign(new Error(`${expected} does not check entries`), { code: 'UNSUPPORTED_REQUEST' });
        return h(i);
      },
    },
  });

  let appliedSeq = -1;
  const applyMode = (toFailsafe: boolean): void => {
    failsafe = toFailsafe;
    const mode: Mode = failsafe ? 'PAUSE' : (modeState?.mode ?? 'PAUSE');
    appliedSeq = modeState?.seq ?? -1;
    control.emit({ type: 'mode_applied', seq: appliedSeq, mode, failsafe, applied_ts_ms: preciseNowMs() });
    logic.onMode?.(mode, modeState, failsafe);
  };

  const applyFault = (f: FaultSpec): boolean => {
    if (!cfg.live.fault_hooks_enabled) return false;
    log.warn(`fault hook applied: ${f.kind}`);
    switch (f.kind) {
      case 'throw':
        // After the reply has had a chance to leave: the caller learns the hook was applied.
        setTimeout(() => {
          throw new Error(f.message);
        }, 10);
        return true;
      case 'block':
        setImmediate(() => {
          const end = Date.now() + f.ms;
          while (Date.now() < end) {
            /* a stalled thread, on purpose */
          }
        });
        return true;
      case 'exit':
        setTimeout(() => process.exit(f.code), 10);
        return true;
      case 'report_db_unusable':
        return logic.onFault?.(f) ?? false;
      case 'leak': {
        if (!Number.isFinite(f.mb_per_tick) || f.mb_per_tick <= 0) return false;
        // One array of mb_per_tick MiB of small integers per turn, held until the thread dies: V8 puts
        // an array that large straight into the old generation's large-object space, so the heap
        // reaches its ceiling in a few turns and the collections near it have no object graph to
        // trace (many small objects took tens of seconds of collection at the ceiling on a starved
        // core).
        const held: number[][] = [];
        const grow = (): void => {
          held.push(new Array<number>(Math.ceil((f.mb_per_tick * 2 ** 20) / 8)).fill(held.length));
          setImmediate(grow);
        };
        setImmediate(grow);
        return true;
      }
      case 'advance_clock':
        if (!advanceable || !Number.isFinite(f.ms) || f.ms <= 0) return false;
        advanceable.advance(f.ms);
        return true;
      default:
        return assertNever(f);
    }
  };

  const ctx: WorkerContext = {
    init,
    control,
    events,
    log,
    mode: () => (failsafe ? 'PAUSE' : (modeState?.mode ?? 'PAUSE')),
    modeState: () => modeState,
    isFailsafe: () => failsafe,
    // Scrubbed where it is raised, before it crosses to the supervisor: a venue's or a model's error
    // text in a detail may quote a credential.
    raise: (code, detail = {}) => void control.emit({ type: 'reason_raised', code, detail: redact(detail) }),
    clear: (code) => void control.emit({ type: 'reason_cleared', code }),
    ports: (name) => init.ports.filter((p) => p.name === name).map((p) => p.port),
    tally: new EventTally(),
    clock,
  };

  const hbTimer = setInterval(() => {
    const now = Date.now();
    // This thread's own loop did not run for a while (the whole process was frozen, or this
    // thread was): the mode frames sent meanwhile are queued behind this timer and not yet read.
    // Silence that overlaps our own gap is not the supervisor's; its clock restarts now. A
    // supervisor that is really gone is still caught one worker_mode_timeout_ms later.
    if (now - lastHbTickAt > 2 * cfg.supervisor.heartbeat_interval_ms && Number.isFinite(lastModeAt)) lastModeAt = Math.max(lastModeAt, now);
    lastHbTickAt = now;
    if (now - lastModeAt > cfg.supervisor.worker_mode_timeout_ms && !failsafe) {
      log.error(`no mode heard for ${cfg.supervisor.worker_mode_timeout_ms} ms: treating myself as PAUSE`);
      applyMode(true);
      failsafeRaised = true;
      ctx.raise('MODE_UNKNOWN_FAILSAFE', { worker: expected, timeout_ms: cfg.supervisor.worker_mode_timeout_ms });
    }
    control.emit({
      type: 'heartbeat',
      worker: expected,
      seq: ++hbSeq,
      ts_ms: Date.now(),
      loop: loop.sample(),
      mem: memoryUse(),
      channel_rejects: control.rejects,
      metrics: { ...(logic.metrics?.() ?? {}), event_tally: ctx.tally.toJson() },
    });
  }, cfg.supervisor.heartbeat_interval_ms);
  hbTimer.unref();

  Promise.resolve()
    .then(() => build(ctx))
    .then((l) => {
      logic = l;
      control.emit({ type: 'ready', worker: expected, thread_id: threadId, ts_ms: Date.now() });
    })
    .catch((e: unknown) => {
      log.error(`${expected} failed to start: ${(e as Error)?.stack ?? String(e)}`);
      // Let the supervisor see an exit with a cause, not a silent half-started worker. A subclass
      // (SqliteError) loses its message crossing the thread boundary: send a plain Error instead.
      const plain =
        e instanceof Error && e.constructor !== Error ? Object.assign(new Error(`${e.name}: ${e.message}`), { code: (e as { code?: unknown }).code }) : e;
      setImmediate(() => {
        throw plain;
      });
    });
}

export function assertNever(x: never): never {
  throw new Error(`unhandled variant ${JSON.stringify(x)}`);
}

/**
 * A worker's producer connection to the audit writer, attached to its initial `audit` port. Drops
 * (hold buffer overflow while the writer is down) are raised as DB_WRITER_DROPPED.
 */
export function workerAuditClient(ctx: WorkerContext, label: string): AuditClient {
  const cfg = ctx.init.config;
  const audit = new AuditClient({
    label,
    requestTimeoutMs: cfg.supervisor.request_timeout_ms,
    holdCapacity: cfg.audit.audit_writer_queue_capacity,
    onDropped: (n) => ctx.raise('DB_WRITER_DROPPED', { producer: label, dropped: n }),
    // One alert path: an ALERT_RAISED goes to the audit and, as it is appended, to the supervisor
    // (console, panel, webhooks); every event feeds this thread's health counters.
    onAppend: (ev) => {
      ctx.tally.add(ev);
      if (ev.event_type === 'ALERT_RAISED') ctx.control.emit({ type: 'alert', alert: alertOf(ev, ctx.init.worker) });
    },
  });
  for (const p of ctx.ports('audit')) audit.attach(p);
  return audit;
}

/** Records a rejected channel frame in the audit (counted by the endpoint itself). */
export function auditRejection(ctx: WorkerContext, audit: AuditClient): (r: Rejection) => void {
  return (r) => audit.append(ctx.events.make('CHANNEL_MESSAGE_REJECTED', { channel: r.channel, detail: r.detail }, { reason: r.code }));
}
