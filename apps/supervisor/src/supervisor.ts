import type { PayloadOf } from '@vigil/contracts';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import {
  type ActiveReason,
  type Config,
  type EventEnvelope,
  type EventType,
  type JsonObject,
  jsonObject,
  MODE_RANK,
  type ModeState,
  REASON_CODES,
  type ReasonCode,
  type Stage,
  type StandingQuarantine,
  type WorkerEvent,
  type WorkerInit,
  type WorkerName,
  WORKERS,
} from '@vigil/contracts';
import { AuditReader } from '@vigil/audit';
import { backoffMs, ModeAuthority, type ModeChange } from '@vigil/core';
import { AuditClient, configForRecord, EventFactory, registerProcessSecrets, type Logger, type Rejection } from '@vigil/runtime';
import { AlertHub, noticeOfReason, noticeOfWorker } from './alert-hub.js';
import { WebhookNotifier } from './alerts.js';
import { HealthSignals } from './health-signals.js';
import { WorkerHost, type DownCause } from './worker-host.js';

const require = createRequire(import.meta.url);

export interface SupervisorOptions {
  readonly config: Config;
  readonly varDir: string;
  readonly runId: string;
  readonly secrets: WorkerInit['secrets'];
  readonly log: Logger;
  readonly versions?: JsonObject;
  readonly configHash?: string;
  readonly now?: () => number;
  /** Worker entry files; defaults to the built packages. */
  readonly entries?: Partial<Record<WorkerName, string>>;
  /** Write alerts to the log (its console and file); off in tests that keep their output quiet. */
  readonly consoleAlerts?: boolean;
}

export interface StageInfo {
  readonly stage: Stage;
  readonly cycle_id: number | null;
  readonly ts_ms: number;
}

/** One observation of a worker applying a mode broadcast (used to measure time-to-PAUSE). */
export interface ModeApplied {
  readonly worker: WorkerName;
  readonly seq: number;
  readonly mode: string;
  readonly failsafe: boolean;
  readonly applied_ts_ms: number;
}

/** The stages of one entry cycle (snapshot to protection); back to IDLE from one = a completed cycle. */
const CYCLE_STAGES: ReadonlySet<Stage> = new Set(['MARKET_SNAPSHOT', 'STRATEGY_PROPOSE', 'AIGATE_CALL', 'RISK_VERDICT', 'EXECUTE', 'PROTECT']);

const DEATH_CODES: Readonly<Record<'audit' | 'other', Readonly<Record<DownCause['kind'], ReasonCode>>>> = {
  audit: { exited: 'AUDIT_WORKER_EXITED', error: 'AUDIT_WORKER_ERROR', stalled: 'AUDIT_WORKER_STALLED' },
  other: { exited: 'WORKER_EXITED', error: 'WORKER_ERROR', stalled: 'WORKER_STALLED' },
};

/** How often a running writer that could not yet record its recovery is asked again. */
const AUDIT_RECOVERY_RETRY_MS = 2000;

/**
 * The supervisor: the mode authority, the workers' lifecycle and every channel between them.
 * Order of start: audit writer first (no audit, no operation), then gateway and engine. If the
 * audit writer dies, stalls or reports its database unusable, PAUSE is broadcast at once, the
 * writer is restarted, and PAUSE holds until the recovery itself is committed to the new writer.
 */
export class Supervisor {
  readonly authority: ModeAuthority;
  readonly hosts: Record<WorkerName, WorkerHost>;
  readonly audit: AuditClient;
  readonly events: EventFactory;
  readonly modeApplied: ModeApplied[] = [];
  stage: StageInfo | null = null;
  /** When the engine last came back to IDLE from an entry-cycle stage (health: last completed cycle). */
  lastCycleCompletedAt: number | null = null;
  /** Alerting outside the page (webhooks); a no-op without configured URLs. */
  readonly webhooks: WebhookNotifier;
  /** The one alert path: console, panel and webhooks for every ALERT_RAISED of every thread. */
  readonly alerts: AlertHub;
  /** Health signals (operations rules) from the workers' heartbeats and event tallies. */
  readonly signals = new HealthSignals();
  channelRejects = 0;
  startedAt = 0;
  private published: ModeState;
  private relaxing = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly restarts: Record<WorkerName, number[]> = { audit: [], gateway: [], engine: [] };
  private readonly restartTimers = new Map<WorkerName, NodeJS.Timeout>();
  private stopping = false;
  private lastWatchdogAt = 0;
  /** End of the supervisor's last own loop gap, until every worker has been heard from after it. */
  private loopGapSince: number | null = null;
  /** Restarts run one at a time: a writer restart and a producer's restart must not interleave. */
  private restartChain: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly cfg: Config;
  /** The symbol quarantines last read from the audit: kept for a gateway restart whose read fails. */
  private quarantines: readonly StandingQuarantine[] = [];

  constructor(private readonly o: SupervisorOptions) {
    // Redaction is per thread: this one relays the workers' reasons and alerts (console, log,
    // audit, panel, webhooks), so it must know every secret of the process, the AI key included.
    registerProcessSecrets(o.config, o.secrets, process.env);
    this.cfg = o.config;
    this.now = o.now ?? Date.now;
    this.authority = new ModeAuthority({
      stabilityWindowMs: this.cfg.supervisor.degrade_stability_window_ms,
      now: this.now,
      boot: { code: 'STARTUP_RECOVER', source: 'engine', detail: { why: 'boot: startup reconcile has not released the engine' } },
    });
    this.published = this.authority.state();
    this.webhooks = new WebhookNotifier(this.cfg.alerts, o.runId);
    this.alerts = new AlertHub({ log: o.log, webhooks: this.webhooks, console: o.consoleAlerts !== false });
    this.events = new EventFactory(o.runId, 'supervisor', this.now);
    this.audit = new AuditClient({
      label: 'supervisor',
      requestTimeoutMs: this.cfg.supervisor.request_timeout_ms,
      holdCapacity: this.cfg.audit.audit_writer_queue_capacity,
      onReject: (r) => this.onReject(r),
      onDropped: (n) => this.raise('DB_WRITER_DROPPED', 'supervisor', { producer: 'supervisor', dropped: n }),
    });
    const mk = (name: WorkerName): WorkerHost =>
      new WorkerHost({
        name,
        // The one-file build of the worker (scripts/worker-bundles.ts): a thread loads it in a third of
        // the CPU its module graph costs file by file, at every boot and every restart.
        entry: o.entries?.[name] ?? require.resolve(`@vigil/${name}/worker.bundle`),
        config: this.cfg,
        runId: o.runId,
        varDir: o.varDir,
        secrets: o.secrets,
        now: this.now,
        onEvent: (ev) => this.onWorkerEvent(name, ev),
        onDown: (cause, at) => this.onWorkerDown(name, cause, at),
        onReject: (r) => this.onReject(r),
      });
    this.hosts = { audit: mk('audit'), gateway: mk('gateway'), engine: mk('engine') };
  }

  get config(): Config {
    return this.cfg;
  }

  get modeState(): ModeState {
    return { ...this.published, reasons: this.authority.reasons() };
  }

  /** Boot: STARTUP_RECOVER, audit writer, then gateway and engine, then the watchdogs. */
  async start(): Promise<void> {
    this.startedAt = this.now();
    this.record('REASON_RAISED', { source: 'engine', detail: { why: 'boot' }, count: 1 }, { reason: 'STARTUP_RECOVER' });
    if (this.cfg.live.fault_hooks_enabled) this.raise('FAULT_HOOKS_ENABLED', 'supervisor', { crash_point: this.cfg.live.crash_point });
    this.restoreOperatorPause();
    this.readQuarantines();
    await this.startAudit();
    this.record('RUN_STARTED', { versions: this.o.versions ?? {}, config_hash: this.o.configHash ?? null, pid: process.pid }, { critical: true });
    this.record('CONFIG_LOADED', { config_hash: this.o.configHash ?? null, config: jsonObject(configForRecord(this.cfg)) });
    const { port1: engineMarket, port2: gatewayMarket } = new MessageChannel();
    await Promise.all([
      this.hosts.gateway.start(
        [
          { name: 'audit', port: this.producerPort('gateway') },
          { name: 'market', port: gatewayMarket },
        ],
        { quarantines: this.quarantines },
      ),
      this.hosts.engine.start([
        { name: 'audit', port: this.producerPort('engine') },
        { name: 'market', port: engineMarket },
      ]),
    ]);
    for (const w of ['gateway', 'engine'] as const) this.record('WORKER_STARTED', { worker: w, thread_id: this.hosts[w].threadId });
    const s = this.cfg.supervisor;
    this.every(s.mode_broadcast_interval_ms, () => this.broadcast());
    this.every(Math.max(5, Math.floor(s.heartbeat_interval_ms / 4)), () => this.watchdog());
    this.every(Math.max(50, Math.min(1000, Math.floor(s.degrade_stability_window_ms / 10) || 50)), () => this.apply(this.authority.tick()));
  }

  /** Orderly shutdown: PAUSE, drain engine and gateway, EXIT recorded, audit flushed last. */
  async stop(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.restartTimers.values()) clearTimeout(t);
    if (this.recoveryRetry) clearTimeout(this.recoveryRetry);
    this.raise('SHUTDOWN_REQUESTED', 'supervisor', { reason });
    const budget = this.cfg.supervisor.shutdown_timeout_ms;
    for (const name of ['engine', 'gateway'] as const) {
      const h = this.hosts[name];
      if (h.state === 'running') {
        try {
          await h.request('drain', {}, Math.floor(budget / 3));
        } catch (e) {
          this.o.log.warn(`${name} did not drain: ${(e as Error).message}`);
        }
      }
      await h.stop();
    }
    this.apply(this.authority.exit());
    this.record('RUN_STOPPED', { reason, uptime_ms: this.now() - this.startedAt }, { critical: true });
    for (const t of this.timers) clearInterval(t);
    try {
      await this.audit.flush();
      if (this.hosts.audit.state === 'running') await this.hosts.audit.request('drain', {}, Math.floor(budget / 2));
    } catch (e) {
      this.o.log.error(`audit flush at shutdown failed: ${(e as Error).message}`);
    }
    this.audit.close();
    await this.hosts.audit.stop();
    // Last: the EXIT change gets a short, bounded chance to reach the receivers (a hung receiver
    // holds the shutdown for at most 2 s).
    await this.webhooks.close(Math.min(this.cfg.alerts.webhook_timeout_ms, 2000));
  }

  raise(code: ReasonCode, source: string, detail: JsonObject = {}): void {
    const r = this.authority.raise(code, source, detail);
    this.record('REASON_RAISED', { source, detail, count: r.reason.count }, { reason: code });
    if (r.fresh && REASON_CODES[code].severity !== 'INFO') this.alert(r.reason);
    this.apply(r.change);
  }

  clear(code: ReasonCode, source: string, by: 'source' | 'operator' = 'source'): void {
    const r = this.authority.clear(code, source, by);
    if (!r.ok) {
      this.o.log.warn(`reason ${code}@${source} not cleared: ${r.why}`);
      return;
    }
    if (r.cleared) this.record('REASON_CLEARED', by === 'operator' ? { source, by } : { source }, { reason: code, severity: 'INFO' });
    this.apply(r.change);
  }

  /** A request refused on a channel the supervisor serves itself (the operator control socket). */
  channelRejected(r: Rejection): void {
    this.onReject(r);
  }

  /**
   * A manual PAUSE the operator set and did not lift survives a restart: the audit remembers it
   * (OPERATOR_PAUSED not followed by OPERATOR_RESUMED) and it is raised again before any worker
   * starts. An audit database that cannot be read leaves the operator's state unknown: PAUSE.
   */
  private restoreOperatorPause(): void {
    const file = join(this.o.varDir, 'data', 'audit.sqlite');
    if (!existsSync(file)) return;
    let reader: AuditReader | null = null;
    try {
      reader = new AuditReader(file);
      const p = reader.operatorPause();
      if (p) this.raise('OPERATOR_PAUSE', 'operator', { reason: p.reason, paused_ms: p.ts_ms, paused_seq: p.seq, restored: true });
    } catch (e) {
      this.raise('OPERATOR_PAUSE', 'operator', { reason: 'operator state unreadable at start: fail closed', why: (e as Error).message, restored: true });
    } finally {
      reader?.close();
    }
  }

  /**
   * A symbol quarantine survives a restart: the standing ones are read from the audit and the
   * gateway starts with them held. An audit that cannot be read keeps the last set known (at boot
   * none, but then restoreOperatorPause has already raised OPERATOR_PAUSE: fail closed).
   */
  private readQuarantines(): void {
    const file = join(this.o.varDir, 'data', 'audit.sqlite');
    if (!existsSync(file)) return;
    let reader: AuditReader | null = null;
    try {
      reader = new AuditReader(file);
      this.quarantines = reader.standingQuarantines().filter((q) => this.cfg.exchange.symbols.includes(q.symbol));
      if (this.quarantines.length > 0) this.o.log.warn(`symbol quarantines restored from the audit: ${this.quarantines.map((q) => q.symbol).join(', ')}`);
    } catch (e) {
      this.o.log.error(`symbol quarantines not readable from the audit, keeping the last known set: ${(e as Error).message}`);
    } finally {
      reader?.close();
    }
  }

  // --- mode publication

  private apply(change: ModeChange | null): void {
    if (change) {
      this.o.log.info(`mode ${change.from} -> ${change.to} (seq ${change.state.seq})`, { reasons: change.state.reasons.map((r) => `${r.code}@${r.source}`) });
    }
    this.sync();
  }

  /**
   * Stricter modes are broadcast at once and then audited: PAUSE must not wait for a disk. A
   * relaxation is broadcast only after its MODE_CHANGED is committed: no audit, no operation.
   */
  private sync(): void {
    const s = this.authority.state();
    if (s.seq === this.published.seq) return;
    if (MODE_RANK[s.mode] >= MODE_RANK[this.published.mode]) {
      const from = this.published.mode;
      this.published = s;
      this.broadcast();
      this.webhooks.modeChanged(from, s.mode, s.seq, reasonsJson(s.reasons), s.since_ms);
      this.record(
        'MODE_CHANGED',
        { from, to: s.mode, seq: s.seq, since_ms: s.since_ms, reasons: reasonsJson(s.reasons) },
        { critical: true, severity: s.mode === 'NORMAL' ? 'INFO' : 'WARN' },
      );
      return;
    }
    if (this.relaxing) return;
    this.relaxing = true;
    const from = this.published.mode;
    const ev = this.events.make('MODE_CHANGED', { from, to: s.mode, seq: s.seq, since_ms: s.since_ms, reasons: reasonsJson(s.reasons) });
    this.audit
      .appendCritical([ev])
      .then(() => {
        // Publish only if nothing changed meanwhile; otherwise the next sync handles the newer state.
        const cur = this.authority.state();
        if (cur.seq === s.seq) {
          this.published = cur;
          this.broadcast();
          this.webhooks.modeChanged(from, cur.mode, cur.seq, reasonsJson(cur.reasons), cur.since_ms);
        }
      })
      .catch((e: unknown) => this.o.log.warn(`mode relaxation to ${s.mode} held back: not durable (${(e as Error).message})`))
      .finally(() => {
        this.relaxing = false;
        if (this.authority.state().seq !== this.published.seq) setImmediate(() => this.sync());
      });
  }

  private broadcast(): void {
    const st = this.modeState;
    for (const name of WORKERS) {
      const h = this.hosts[name];
      if (h.state === 'running' || h.state === 'starting') h.control?.emit({ type: 'mode', ...st });
    }
  }

  // --- worker events and deaths

  private onWorkerEvent(name: WorkerName, ev: WorkerEvent): void {
    switch (ev.type) {
      case 'ready':
      case 'heartbeat':
        if (ev.type === 'heartbeat') {
          this.checkLoopLag(name, ev.loop.p99_ms);
          this.signals.observe(name, ev.metrics);
        }
        return;
      case 'alert':
        // Already in the audit (the worker appended it): console, panel and webhooks from here.
        this.alerts.deliver(noticeOfWorker(ev.alert));
        return;
      case 'reason_raised':
        this.raise(ev.code, name, ev.detail);
        return;
      case 'reason_cleared':
        this.clear(ev.code, name);
        return;
      case 'mode_applied':
        this.modeApplied.push({ worker: name, seq: ev.seq, mode: ev.mode, failsafe: ev.failsafe, applied_ts_ms: ev.applied_ts_ms });
        if (this.modeApplied.length > 1000) this.modeApplied.splice(0, 500);
        return;
      case 'stage':
        if (ev.stage === 'IDLE' && this.stage && CYCLE_STAGES.has(this.stage.stage)) this.lastCycleCompletedAt = ev.ts_ms;
        this.stage = { stage: ev.stage, cycle_id: ev.cycle_id, ts_ms: ev.ts_ms };
        return;
      default: {
        const never: never = ev;
        throw new Error(`unhandled worker event ${JSON.stringify(never)}`);
      }
    }
  }

  private checkLoopLag(name: WorkerName, p99: number): void {
    const over = p99 > this.cfg.supervisor.event_loop_lag_degrade_ms;
    const active = this.authority.isActive('EVENT_LOOP_LAG_HIGH', `${name}-loop`);
    if (over && !active)
      this.raise('EVENT_LOOP_LAG_HIGH', `${name}-loop`, { worker: name, p99_ms: p99, limit_ms: this.cfg.supervisor.event_loop_lag_degrade_ms });
    else if (!over && active) this.clear('EVENT_LOOP_LAG_HIGH', `${name}-loop`);
  }

  /**
   * Stall detection, corrected for the supervisor's own freezes. When this loop itself did not run
   * for longer than a heartbeat interval (the whole process stopped: VM pause, I/O stall, SIGSTOP,
   * or a long GC here), the silence it now sees is its own: heartbeats the workers sent are still
   * queued behind this timer, and workers that were frozen with it have not had a turn yet. That
   * silence is no evidence of a dead worker, so every worker's silent clock restarts at the end of
   * the gap; a worker that really hung is still caught one stall timeout later. The gap itself is
   * raised as EVENT_LOOP_LAG_HIGH@supervisor-loop (DEGRADE): entries wait out the stability window.
   */
  private watchdog(): void {
    const now = this.now();
    const gap = this.lastWatchdogAt === 0 ? 0 : now - this.lastWatchdogAt;
    this.lastWatchdogAt = now;
    const s = this.cfg.supervisor;
    if (gap > s.heartbeat_interval_ms) {
      for (const name of WORKERS) this.hosts[name].forgiveSilence(now);
      this.loopGapSince = now;
      if (gap > s.event_loop_lag_degrade_ms) {
        this.o.log.warn(`supervisor loop did not run for ${gap} ms (process stalled?): missed heartbeats forgiven`);
        this.raise('EVENT_LOOP_LAG_HIGH', 'supervisor-loop', { worker: 'supervisor', gap_ms: gap, limit_ms: s.event_loop_lag_degrade_ms, forgiven: true });
      }
      return;
    }
    // Cleared once the workers have been heard from since the gap: the process is whole again.
    if (this.loopGapSince !== null && WORKERS.every((n) => this.hosts[n].state !== 'running' || this.hosts[n].lastHeartbeatAt > this.loopGapSince!)) {
      this.loopGapSince = null;
      if (this.authority.isActive('EVENT_LOOP_LAG_HIGH', 'supervisor-loop')) this.clear('EVENT_LOOP_LAG_HIGH', 'supervisor-loop');
    }
    for (const name of WORKERS) {
      const h = this.hosts[name];
      if (h.state !== 'running') continue;
      const silent = now - h.lastHeartbeatAt;
      if (silent > this.cfg.supervisor.worker_stall_timeout_ms) h.reportStall(silent);
    }
  }

  private onWorkerDown(name: WorkerName, cause: DownCause, atMs: number): void {
    const code = DEATH_CODES[name === 'audit' ? 'audit' : 'other'][cause.kind];
    // Raise first: PAUSE reaches the surviving workers before anything else happens.
    this.raise(code, name === 'audit' ? 'supervisor' : name, { worker: name, cause: jsonObject(cause), down_at_ms: atMs });
    this.record('WORKER_EXITED', { worker: name, cause: jsonObject(cause), down_at_ms: atMs }, { reason: code });
    if (!this.stopping) this.scheduleRestart(name);
  }

  private scheduleRestart(name: WorkerName): void {
    const s = this.cfg.supervisor;
    const now = this.now();
    const recent = this.restarts[name].filter((t) => now - t < s.restart_window_ms);
    this.restarts[name] = recent;
    if (recent.length >= s.restart_max_in_window) {
      this.raise('WORKER_RESTART_EXHAUSTED', name, { worker: name, restarts: recent.length, window_ms: s.restart_window_ms });
      return;
    }
    const delay = backoffMs(recent.length, s.restart_backoff_initial_ms, s.restart_backoff_max_ms);
    recent.push(now);
    const run = (): void => {
      this.restartTimers.delete(name);
      this.restartChain = this.restartChain.then(async () => {
        if (this.stopping) return;
        // A producer started while no writer runs would get a channel to nowhere (its port is
        // emitted to a dead control channel): it waits for the writer, without using up a restart.
        if (name !== 'audit' && this.hosts.audit.state !== 'running') {
          this.restartTimers.set(name, setTimeout(run, Math.max(50, s.restart_backoff_initial_ms)));
          return;
        }
        await this.restart(name).catch((e: unknown) => {
          this.o.log.error(`restart of ${name} failed: ${(e as Error).message}`);
          if (!this.stopping && this.hosts[name].state !== 'running') this.scheduleRestart(name);
        });
      });
    };
    this.restartTimers.set(name, setTimeout(run, delay));
  }

  private async restart(name: WorkerName): Promise<void> {
    if (this.stopping) return;
    const h = this.hosts[name];
    if (h.state === 'running') await h.stop();
    if (name === 'audit') return this.restartAudit();
    if (name === 'engine') this.raise('STARTUP_RECOVER', 'engine', { why: 'engine restarted: startup reconcile runs again' });
    if (name === 'gateway') {
      // What the dead gateway sent the writer is committed first, then read: its quarantines
      // (imposed, renewed, lifted up to its death) hold in the new one.
      await this.audit.flush().catch((e: unknown) => this.o.log.warn(`audit flush before the gateway restart failed: ${(e as Error).message}`));
      this.readQuarantines();
    }
    const peer = name === 'engine' ? this.hosts.gateway : this.hosts.engine;
    const { port1: mine, port2: theirs } = new MessageChannel();
    await h.start(
      [
        { name: 'audit', port: this.producerPort(name) },
        { name: 'market', port: mine },
      ],
      name === 'gateway' ? { quarantines: this.quarantines } : {},
    );
    peer.emitPort('market', theirs);
    // The new gateway raised SYMBOL_QUARANTINED for what it restored while starting: that one stays.
    this.authority.clearSource(name, name === 'gateway' && this.quarantines.length > 0 ? ['STARTUP_RECOVER', 'SYMBOL_QUARANTINED'] : ['STARTUP_RECOVER']);
    this.apply(null);
    this.record('WORKER_RESTARTED', { worker: name, thread_id: h.threadId });
    this.o.log.warn(`${name} worker restarted`);
  }

  private async restartAudit(): Promise<void> {
    // What the dead writer raised goes with it, before the new one starts: the new one raises again
    // what still holds (a disk still low), and clearing after its start had wiped those raises
    // while the new writer, having sent them, never sent them again. The supervisor's own AUDIT_*
    // causes hold the PAUSE meanwhile.
    this.authority.clearSource('audit');
    await this.startAudit();
    // New producer channels for the surviving workers: their old ports died with the writer.
    for (const w of ['gateway', 'engine'] as const) {
      if (this.hosts[w].state === 'running') this.hosts[w].emitPort('audit', this.producerPort(w));
    }
    await this.recordAuditRecovery();
  }

  private recoveryRetry: NodeJS.Timeout | null = null;

  /**
   * PAUSE holds until the recovery itself is durable in the new writer. A writer that runs but
   * cannot commit yet (the disk it died of still full) is asked again every AUDIT_RECOVERY_RETRY_MS:
   * before, one failed attempt left the bot in PAUSE for good, the new writer running (so never
   * restarted) and the causes never cleared, even once the disk had room again.
   */
  private async recordAuditRecovery(): Promise<void> {
    if (this.recoveryRetry) clearTimeout(this.recoveryRetry);
    this.recoveryRetry = null;
    if (this.stopping || this.hosts.audit.state !== 'running') return;
    const causes = this.authority.reasons().filter((r) => r.source === 'supervisor' && r.code.startsWith('AUDIT_'));
    try {
      await this.audit.appendCritical([this.events.make('AUDIT_RECOVERED', { causes: reasonsJson(causes), thread_id: this.hosts.audit.threadId })]);
    } catch (e) {
      this.o.log.error(`audit recovery not recorded yet (${(e as Error).message}); PAUSE holds, asking again in ${AUDIT_RECOVERY_RETRY_MS} ms`);
      if (!this.stopping && this.hosts.audit.state === 'running')
        this.recoveryRetry = setTimeout(() => void this.recordAuditRecovery(), AUDIT_RECOVERY_RETRY_MS);
      return;
    }
    this.record('WORKER_RESTARTED', { worker: 'audit', thread_id: this.hosts.audit.threadId });
    for (const r of causes) this.clear(r.code, r.source);
    this.apply(null);
    this.o.log.warn('audit writer restarted and recovery recorded');
  }

  private async startAudit(): Promise<void> {
    const own = new MessageChannel();
    this.pendingProducerPorts.clear();
    const ports: { name: 'audit_producer'; port: MessagePort }[] = [{ name: 'audit_producer', port: own.port2 }];
    for (const w of ['gateway', 'engine'] as const) {
      const ch = new MessageChannel();
      this.pendingProducerPorts.set(w, ch.port1);
      ports.push({ name: 'audit_producer', port: ch.port2 });
    }
    await this.hosts.audit.start(ports);
    this.audit.attach(own.port1);
    this.record('WORKER_STARTED', { worker: 'audit', thread_id: this.hosts.audit.threadId });
  }

  private readonly pendingProducerPorts = new Map<'gateway' | 'engine', MessagePort>();

  /** A producer's end of a channel to the current audit writer; a fresh one if the writer already has it. */
  private producerPort(w: 'gateway' | 'engine'): MessagePort {
    const p = this.pendingProducerPorts.get(w);
    if (p) {
      this.pendingProducerPorts.delete(w);
      return p;
    }
    const ch = new MessageChannel();
    this.hosts.audit.emitPort('audit_producer', ch.port2);
    return ch.port1;
  }

  private onReject(r: Rejection): void {
    this.channelRejects++;
    this.record('CHANNEL_MESSAGE_REJECTED', { channel: r.channel, detail: r.detail }, { reason: r.code });
  }

  private alert(r: ActiveReason): void {
    this.record('ALERT_RAISED', { source: r.source, count: r.count, detail: r.detail, since_ms: r.since_ms }, { reason: r.code, severity: r.severity });
    this.alerts.deliver(noticeOfReason(r));
  }

  /** Records an event: critical ones wait for the commit when a writer is attached. */
  private record<T extends EventType>(
    type: T,
    payload: PayloadOf<T>,
    opts: { readonly critical?: boolean; readonly reason?: ReasonCode; readonly severity?: EventEnvelope['severity'] } = {},
  ): void {
    const ev = this.events.make(type, payload, { reason: opts.reason ?? null, ...(opts.severity ? { severity: opts.severity } : {}) });
    if (opts.critical && this.audit.attached) {
      this.audit.appendCritical([ev]).catch((e: unknown) => {
        // The writer died before acknowledging: hold the event for the next writer, which
        // ignores it if the dead one had committed it (event_id is unique).
        this.o.log.warn(`critical audit write of ${type} not acknowledged (${(e as Error).message}); held for the next writer`);
        this.audit.append(ev);
      });
    } else {
      this.audit.append(ev);
    }
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    this.timers.push(t);
  }
}

function reasonsJson(rs: readonly ActiveReason[]): JsonObject[] {
  return rs.map((r) => ({ code: r.code, source: r.source, severity: r.severity, since_ms: r.since_ms, count: r.count }));
}
