import { join } from 'node:path';
import { Worker, type MessagePort } from 'node:worker_threads';
import { AUDIT_CHANNEL, type AuditProducerSide, type AuditWriterSide, type CommitAck, type JsonObject } from '@vigil/contracts';
import { Endpoint, type WorkerContext, type WorkerLogic } from '@vigil/runtime';
import type { CheckpointerIn, CheckpointerInit, CheckpointerOut } from './checkpointer.js';
import { Housekeeper } from './housekeeping.js';
import { verifyCopyOffThread } from './verify-thread.js';
import { AuditWriter } from './writer.js';
import { FrameWatermark } from './frame-watermark.js';
import { AuditReader } from './read.js';

/**
 * The audit-writer worker's logic: one producer endpoint per producer (supervisor, gateway,
 * engine; a fresh one arrives when a producer restarts), the writer, and its schedules (batch
 * drain, checkpoint, disk sampling, JSONL retention).
 */
export function createAuditWorker(ctx: WorkerContext): WorkerLogic {
  const cfg = ctx.init.config.audit;
  const writer = new AuditWriter({
    dbFile: join(ctx.init.var_dir, 'data', 'audit.sqlite'),
    jsonlDir: join(ctx.init.var_dir, 'jsonl'),
    config: cfg,
    now: Date.now,
    setReason: (code, on, detail) => (on ? ctx.raise(code, detail) : ctx.clear(code)),
  });
  try {
    writer.open();
  } catch (e) {
    ctx.raise('AUDIT_DB_UNUSABLE', { error: (e as Error).message, phase: 'open' });
    throw e;
  }

  let scheduled: NodeJS.Immediate | NodeJS.Timeout | null = null;
  let scheduledNow = false;
  let lastDrainAt = 0;
  let draining = false;
  const runDrain = (): void => {
    scheduled = null;
    scheduledNow = false;
    if (draining) return;
    draining = true;
    lastDrainAt = Date.now();
    try {
      // One batch per turn of the event loop keeps heartbeats and requests flowing under a storm.
      writer.drainOnce();
    } finally {
      draining = false;
    }
    // A bulk batch went to the WAL without an fsync: have it synced now, off this thread, so the
    // next critical commit (an intent on its way to the venue) does not pay for it.
    if (writer.walUnsynced) checkpointer?.postMessage({ type: 'sync_wal' } satisfies CheckpointerIn);
    if (writer.queueDepth > 0) schedule(true);
  };
  const schedule = (now: boolean): void => {
    // A critical write must not wait behind a bulk batch's timer: replace the timer by an immediate.
    if (scheduled && (scheduledNow || !now)) return;
    if (scheduled) clearTimeout(scheduled as NodeJS.Timeout);
    scheduledNow = now || cfg.audit_writer_flush_interval_ms === 0;
    scheduled = scheduledNow ? setImmediate(runDrain) : setTimeout(runDrain, cfg.audit_writer_flush_interval_ms);
  };

  const producers = new Set<Endpoint<AuditWriterSide, AuditProducerSide>>();
  const attach = (port: MessagePort): void => {
    // Tells the producer which of its bulk frames it may forget (committed or counted as dropped).
    const frames = new FrameWatermark((frame) => ep.emit({ type: 'settled', frame }));
    const ep: Endpoint<AuditWriterSide, AuditProducerSide> = new Endpoint<AuditWriterSide, AuditProducerSide>(port, {
      spec: AUDIT_CHANNEL,
      side: 'b',
      label: 'audit:writer',
      requestTimeoutMs: ctx.init.config.supervisor.request_timeout_ms,
      onReject: (r) => ctx.log.warn(`audit channel rejected a frame: ${r.code} ${r.detail}`),
      onClose: () => producers.delete(ep),
      onEvent: (ev) => {
        const now = bulkDrainsAtOnce(writer.queueDepth, Date.now() - lastDrainAt, cfg.audit_writer_flush_interval_ms);
        const settle = frames.track(ev.frame);
        // A refused frame is counted by the writer (DB_WRITER_DROPPED): the producer need not keep it.
        if (!writer.enqueueRows(ev.rows, undefined, settle)) settle();
        schedule(now);
      },
      onRequest: {
        append_critical: (i) =>
          new Promise<CommitAck>((resolve, reject) => {
            writer.enqueueRows(i.rows, { resolve, reject }, i.frame === undefined ? undefined : frames.track(i.frame));
            schedule(true);
          }),
        flush: () => {
          writer.drainAll();
          // The producer learns which frames it may forget before it reads the reply.
          frames.reportNow();
          return writer.ackNow();
        },
        pressure: () => writer.pressure(),
        // Read after everything queued is committed: a restarted engine sees what its predecessor sent.
        engine_memory: (i) => {
          writer.drainAll();
          const reader = new AuditReader(join(ctx.init.var_dir, 'data', 'audit.sqlite'));
          try {
            return reader.engineMemory(i.now_ms);
          } finally {
            reader.close();
          }
        },
      },
    });
    producers.add(ep);
  };
  for (const p of ctx.ports('audit_producer')) attach(p);

  // Checkpoints run on their own thread and connection, off the commit path.
  const dbFile = join(ctx.init.var_dir, 'data', 'audit.sqlite');
  let checkpointer: Worker | null = null;
  const startCheckpointer = (): void => {
    const init: CheckpointerInit = {
      dbFile,
      intervalMs: cfg.checkpoint_interval_ms,
      truncateBytes: cfg.wal_truncate_bytes,
      busyTimeoutMs: cfg.busy_timeout_ms,
    };
    const w = new Worker(new URL('./checkpointer.js', import.meta.url), { workerData: { checkpointer: init }, name: 'vigil-audit-checkpointer' });
    w.on('message', (m: CheckpointerOut) => {
      if (m.type === 'error') ctx.log.warn(`checkpoint failed: ${m.message}`);
      else lastCheckpoint = m;
    });
    w.on('error', (e) => ctx.log.error(`checkpointer thread failed: ${e.message}`));
    w.on('exit', () => {
      // A dead checkpointer lets the WAL grow (WAL_GROWTH_ABNORMAL watches that): restart it.
      if (checkpointer === w && !stopped) setTimeout(startCheckpointer, 1000).unref();
    });
    checkpointer = w;
  };
  let lastCheckpoint: CheckpointerOut | null = null;
  let stopped = false;
  startCheckpointer();

  const timers = [
    setInterval(() => checkpointer?.postMessage({ type: 'idle', idle: writer.isIdle() } satisfies CheckpointerIn), cfg.checkpoint_interval_ms),
    setInterval(() => {
      try {
        writer.sampleDisk();
      } catch (e) {
        ctx.log.error(`disk sampling failed: ${(e as Error).message}`);
      }
    }, cfg.disk_check_interval_ms),
    // Persistence bounds are judged by the clock too: a stuck writer gets no rows and no commits.
    setInterval(
      () => writer.evaluatePersistence(),
      Math.max(50, Math.min(1000, Math.floor(Math.min(cfg.audit_writer_full_persistent_ms, cfg.db_busy_persistent_ms) / 4) || 50)),
    ),
    setInterval(() => writer.pruneJsonl(), 3_600_000),
    ...(cfg.vacuum_interval_ms > 0
      ? [
          setInterval(() => {
            const r = writer.vacuum();
            ctx.log.info(r.done ? 'audit database vacuumed' : `audit VACUUM skipped: ${r.why ?? ''}`);
          }, cfg.vacuum_interval_ms),
        ]
      : []),
  ];
  writer.sampleDisk();
  writer.pruneJsonl();

  // Daily backup (and at start when the newest on disk is too old), then retention: see Housekeeper.
  const housekeeper = new Housekeeper({
    writer,
    varDir: ctx.init.var_dir,
    config: cfg,
    now: Date.now,
    events: ctx.events,
    // Acknowledged like a critical write: committed (durably) on the next turn, and the housekeeper
    // goes on only then.
    submit: (ev) =>
      new Promise<void>((resolve, reject) => {
        writer.enqueueOwn([ev], { resolve: () => resolve(), reject });
        schedule(true);
      }),
    verify: verifyCopyOffThread,
    log: ctx.log,
  });
  housekeeper.start();

  return {
    metrics: (): JsonObject => ({
      ...writer.pressure(),
      ...(writer.disk ? { disk: { ...writer.disk } } : {}),
      ...(lastCheckpoint ? { last_checkpoint: { ...lastCheckpoint } } : {}),
    }),
    details: (): JsonObject => ({ pressure: { ...writer.pressure() }, producers: producers.size }),
    onPort: (name, port) => {
      if (name === 'audit_producer') attach(port);
    },
    onFault: (f) => {
      if (f.kind !== 'report_db_unusable') return false;
      writer.markUnusable({ injected: true });
      return true;
    },
    requests: {
      drain: () => {
        writer.drainAll();
        for (const t of timers) clearInterval(t);
        housekeeper.stop();
        stopped = true;
        checkpointer?.postMessage({ type: 'stop' } satisfies CheckpointerIn);
        writer.close();
        return { drained: true };
      },
    },
  };
}

/**
 * Whether a bulk frame is committed on the next turn (still without an fsync) rather than after
 * the batch timer: when the writer is idle (nothing queued, no drain within the flush interval).
 * The timer pays off only for frames arriving back to back, which keep finding a queue or a recent
 * drain. A lone frame left waiting would ride in the next critical write's transaction instead (an
 * entry's records from before its AI gate call in its intent's commit), on the path from a market
 * event to its order.
 */
export function bulkDrainsAtOnce(queueDepth: number, msSinceLastDrain: number, flushIntervalMs: number): boolean {
  return queueDepth === 0 && msSinceLastDrain >= flushIntervalMs;
}
