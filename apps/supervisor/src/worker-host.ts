import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import {
  CONTROL_CHANNEL,
  PROTOCOL_VERSION,
  type Config,
  type LoopDelay,
  type MemoryUse,
  type JsonObject,
  type PortName,
  type SupervisorSide,
  type WorkerEvent,
  type WorkerInit,
  type WorkerName,
  type WorkerSide,
} from '@vigil/contracts';
import { ChannelError, Endpoint, type Rejection } from '@vigil/runtime';

/** Why a worker went down, as the supervisor classifies it. */
export type DownCause =
  | { readonly kind: 'exited'; readonly exit_code: number }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'stalled'; readonly silent_ms: number };

export type HostState = 'starting' | 'running' | 'stopping' | 'stopped' | 'down';

export interface WorkerHostDeps {
  readonly name: WorkerName;
  readonly entry: string;
  readonly config: Config;
  readonly runId: string;
  readonly varDir: string;
  readonly secrets: WorkerInit['secrets'];
  readonly onEvent: (ev: WorkerEvent) => void;
  readonly onDown: (cause: DownCause, downAtMs: number) => void;
  readonly onReject: (r: Rejection) => void;
  readonly now: () => number;
}

export interface LastHeartbeat {
  readonly ts_ms: number;
  readonly seq: number;
  readonly loop: LoopDelay;
  readonly mem: MemoryUse;
  readonly metrics: JsonObject;
  readonly channel_rejects: number;
}

/**
 * One worker thread under supervision: start (resolve on `ready`), heartbeat bookkeeping, stall
 * detection, and one report of its death, whatever form it takes (exit, uncaught error, stall).
 */
export class WorkerHost {
  state: HostState = 'stopped';
  control: Endpoint<SupervisorSide, WorkerSide> | null = null;
  lastHeartbeatAt = 0;
  lastHeartbeat: LastHeartbeat | null = null;
  startedAt = 0;
  threadId = -1;
  private worker: Worker | null = null;
  /** Settles when the last thread started here has exited (at once if none was). */
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly d: WorkerHostDeps) {}

  get name(): WorkerName {
    return this.d.name;
  }

  /** The V8 heap limits the running thread has (Node's view of them), or null without a thread. */
  get resourceLimits(): Worker['resourceLimits'] | null {
    return this.worker?.resourceLimits ?? null;
  }

  async start(ports: readonly { name: PortName; port: MessagePort }[], extra: Pick<WorkerInit, 'quarantines'> = {}): Promise<void> {
    // A replacement never runs beside the thread it replaces: a terminated thread caught inside
    // native code (a SQLite statement, an fsync) runs on until that call returns. Beside its
    // successor, the old audit writer met the new one's locks there, and better-sqlite3, throwing
    // SQLITE_BUSY into a terminating isolate, aborted the whole process (FATAL ERROR:
    // v8::ToLocalChecked Empty MaybeLocal, WiseLibs/better-sqlite3#842; seen in a full test run).
    // Until it is gone the system stays as its death left it (PAUSE for the audit writer).
    await this.exited;
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit = {
      worker: this.d.name,
      run_id: this.d.runId,
      config: this.d.config,
      var_dir: this.d.varDir,
      protocol_version: PROTOCOL_VERSION,
      control: port2,
      ports,
      secrets: this.d.name === 'gateway' ? this.d.secrets : null,
      ...(this.d.name === 'gateway' && extra.quarantines ? { quarantines: extra.quarantines } : {}),
    };
    this.state = 'starting';
    this.startedAt = this.d.now();
    const sup = this.d.config.supervisor;
    const worker = new Worker(this.d.entry, {
      workerData: init,
      transferList: [port2, ...ports.map((p) => p.port)],
      name: `vigil-${this.d.name}`,
      // Bounded heaps: a young generation V8 may not keep growing and shrinking with the allocation
      // rate (resident memory that creeps over days), and an old generation whose ceiling ends this
      // worker alone (a worker death, handled like any other) instead of the whole process.
      resourceLimits: {
        maxYoungGenerationSizeMb: Math.floor(sup.worker_young_generation_max_bytes / 2 ** 20),
        maxOldGenerationSizeMb: Math.floor(sup.worker_old_generation_max_bytes / 2 ** 20),
      },
    });
    this.worker = worker;
    this.threadId = worker.threadId;
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    const ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    const readyTimer = setTimeout(
      () => readyReject(new Error(`${this.d.name} worker not ready within ${this.d.config.supervisor.worker_ready_timeout_ms} ms`)),
      this.d.config.supervisor.worker_ready_timeout_ms,
    );

    this.control = new Endpoint<SupervisorSide, WorkerSide>(port1, {
      spec: CONTROL_CHANNEL,
      side: 'a',
      label: `control:${this.d.name}`,
      requestTimeoutMs: this.d.config.supervisor.request_timeout_ms,
      onReject: this.d.onReject,
      onEvent: (ev) => {
        if (worker !== this.worker) return; // a late frame from a replaced thread
        if (ev.type === 'heartbeat') {
          this.lastHeartbeatAt = this.d.now();
          this.lastHeartbeat = { ts_ms: ev.ts_ms, seq: ev.seq, loop: ev.loop, mem: ev.mem, metrics: ev.metrics, channel_rejects: ev.channel_rejects };
        } else if (ev.type === 'ready') {
          clearTimeout(readyTimer);
          this.state = 'running';
          this.lastHeartbeatAt = this.d.now();
          readyResolve();
        }
        this.d.onEvent(ev);
      },
    });

    let reported = false;
    const down = (cause: DownCause): void => {
      const at = this.d.now();
      clearTimeout(readyTimer);
      if (reported || worker !== this.worker) return;
      reported = true;
      const expected = this.state === 'stopping' || this.state === 'stopped';
      this.state = expected ? 'stopped' : 'down';
      this.control?.close();
      if (!expected) this.d.onDown(cause, at);
      readyReject(new Error(`${this.d.name} worker went down during start: ${JSON.stringify(cause)}`));
    };
    // An error thrown in the thread may arrive as a plain object (its class is not cloned): keep its message.
    worker.on('error', (e: unknown) =>
      down({
        kind: 'error',
        message:
          e instanceof Error
            ? e.message
            : typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string'
              ? (e as { message: string }).message
              : (JSON.stringify(e) ?? String(e)),
      }),
    );
    worker.on('exit', (code) => down({ kind: 'exited', exit_code: code }));
    this.reportStall = (silentMs) => {
      down({ kind: 'stalled', silent_ms: silentMs });
      void worker.terminate();
    };
    return ready;
  }

  /** The supervisor itself was frozen until `atMs`: silence before that is not the worker's. */
  forgiveSilence(atMs: number): void {
    if (this.state === 'running' && this.lastHeartbeatAt < atMs) this.lastHeartbeatAt = atMs;
  }

  /** Called by the supervisor's watchdog when heartbeats stop; terminates the hung thread. */
  reportStall: (silentMs: number) => void = () => {};

  emitPort(name: PortName, port: MessagePort): void {
    this.control?.emit({ type: 'attach_port', name, port }, [port]);
  }

  async request<K extends keyof SupervisorSide['requests'] & string>(
    type: K,
    input: SupervisorSide['requests'][K]['input'],
    timeoutMs?: number,
  ): Promise<SupervisorSide['requests'][K]['output']> {
    if (!this.control) throw new ChannelError('WORKER_NOT_RUNNING', `${this.d.name} is not running`, true);
    return this.control.request(type, input, timeoutMs);
  }

  /** Orderly stop: marks the death as expected, then terminates the thread. */
  async stop(): Promise<void> {
    const w = this.worker;
    if (!w || this.state === 'stopped') return;
    this.state = 'stopping';
    await w.terminate();
    this.state = 'stopped';
  }

  /** Test and fault path: terminate as if the thread had died on its own. */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }
}
