import type { MessagePort } from 'node:worker_threads';
import {
  AUDIT_CHANNEL,
  type AuditProducerSide,
  type AuditRow,
  type AuditWriterSide,
  type CommitAck,
  type EngineMemory,
  type EventEnvelope,
  type WriterPressure,
} from '@vigil/contracts';
import { toAuditRow } from './audit-row.js';
import { ChannelError, Endpoint, type Rejection } from './channel.js';

export interface AuditClientOptions {
  readonly label: string;
  readonly requestTimeoutMs: number;
  /** Bulk events held while no writer is attached (it died; a new port is on its way). */
  readonly holdCapacity: number;
  /** Bulk events are coalesced into one frame per this many ms (0: per microtask). */
  readonly batchDelayMs?: number;
  readonly onReject?: (r: Rejection) => void;
  /** Events had to be dropped because the hold buffer overflowed: the caller must alert and PAUSE. */
  readonly onDropped?: (count: number) => void;
  readonly onDetached?: () => void;
  /** Sees every event handed to append/appendCritical (health counters, alert routing). */
  readonly onAppend?: (ev: EventEnvelope) => void;
}

/**
 * A producer's connection to the audit writer. Every event is redacted and serialized to canonical
 * JSON here, on the producer's thread (toAuditRow), so the writer's thread only hashes, inserts and
 * appends. Bulk appends are coalesced into one frame per tick and never block the caller; critical
 * appends resolve only after the writer committed them. While
 * the writer is detached (its thread died), bulk events wait in a bounded buffer and critical
 * appends fail at once: a caller that needs durability must not proceed without it.
 *
 * A bulk frame's rows are kept after it is sent, until the writer reports the frame settled
 * (committed, or refused and counted by the writer). Rows in flight to a writer that dies (in its
 * port, or queued and not committed) are re-sent, in order, to the next writer, which skips those
 * already in the database (event_id). The copies are bounded by holdCapacity; rows whose copy had
 * to be released are counted as dropped if their writer dies before settling them (they may or may
 * not be in the database: the caller alerts and PAUSEs, as for any drop).
 */
export class AuditClient {
  private ep: Endpoint<AuditProducerSide, AuditWriterSide> | null = null;
  private batch: AuditRow[] = [];
  private scheduled = false;
  private held: AuditRow[] = [];
  private nextFrame = 1;
  /** Frames sent and not yet settled by the writer, oldest first, with their rows. */
  private inflight: { readonly frame: number; readonly rows: readonly AuditRow[] }[] = [];
  private inflightRows = 0;
  /** Unsettled frames whose copies were released (over holdCapacity): only their row counts. */
  private released: { readonly frame: number; readonly count: number }[] = [];
  dropped = 0;
  private unreportedDrops = 0;
  private dropTimer: ReturnType<typeof setTimeout> | null = null;
  private lastDropReportAt = Number.NEGATIVE_INFINITY;
  /** Rows sent again to a new writer because their first writer died before settling them. */
  resent = 0;
  /** Bulk events handed to a writer (the producer side of the zero-silent-loss accounting). */
  sent = 0;
  /** Events of critical appends sent to a writer (each acknowledged after commit, or failed to its caller). */
  sentCritical = 0;
  /**
   * Events of critical appends whose request failed (writer died, timed out or refused): their
   * caller was told they are not durable; they may or may not be in the database.
   */
  criticalFailed = 0;

  constructor(private readonly opts: AuditClientOptions) {}

  get attached(): boolean {
    return this.ep !== null && !this.ep.isClosed;
  }

  attach(port: MessagePort): void {
    this.ep?.close();
    const ep = new Endpoint<AuditProducerSide, AuditWriterSide>(port, {
      spec: AUDIT_CHANNEL,
      side: 'a',
      label: `audit:${this.opts.label}`,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      ...(this.opts.onReject ? { onReject: this.opts.onReject } : {}),
      onEvent: (ev) => {
        if (this.ep === ep) this.settled(ev.frame);
      },
      onClose: () => {
        if (this.ep === ep) {
          this.ep = null;
          this.writerLost();
          this.opts.onDetached?.();
        }
      },
    });
    this.ep = ep;
    // What the previous writer never settled goes first, in its order, under its frame numbers.
    for (const f of this.inflight) {
      this.resent += f.rows.length;
      ep.emit({ type: 'append', frame: f.frame, rows: f.rows });
    }
    if (this.held.length > 0) {
      const held = this.held;
      this.held = [];
      this.send(ep, held);
    }
  }

  append(ev: EventEnvelope): void {
    this.opts.onAppend?.(ev);
    this.batch.push(toAuditRow(ev));
    if (!this.scheduled) {
      this.scheduled = true;
      const delay = this.opts.batchDelayMs ?? 0;
      if (delay > 0) setTimeout(() => this.flushBatch(), delay);
      else queueMicrotask(() => this.flushBatch());
    }
  }

  async appendCritical(events: readonly EventEnvelope[]): Promise<CommitAck> {
    for (const ev of events) this.opts.onAppend?.(ev);
    const rows = events.map(toAuditRow);
    if (!this.ep || this.ep.isClosed) {
      this.flushBatch(); // into the hold buffer, for the next writer
      throw new ChannelError('AUDIT_DETACHED', 'no audit writer attached: not durable', true);
    }
    // Bulk events queued before this one ride ahead of it in the same request and transaction (the
    // writer wakes once: issue 19), kept as a numbered bulk frame until the writer settles it, so a
    // writer that dies first gets them re-sent; the critical rows are not (their caller gets the failure).
    const before = this.batch;
    this.batch = [];
    this.sentCritical += rows.length;
    const request =
      before.length === 0
        ? this.ep.request('append_critical', { rows })
        : this.ep.request('append_critical', { rows: [...before, ...rows], frame: this.keep(before) });
    return request.catch((e: unknown) => {
      this.criticalFailed += rows.length;
      throw e;
    });
  }

  async flush(): Promise<CommitAck> {
    this.flushBatch();
    if (!this.ep || this.ep.isClosed) throw new ChannelError('AUDIT_DETACHED', 'no audit writer attached', true);
    return this.ep.request('flush', {});
  }

  async pressure(): Promise<WriterPressure> {
    if (!this.ep || this.ep.isClosed) throw new ChannelError('AUDIT_DETACHED', 'no audit writer attached', true);
    return this.ep.request('pressure', {});
  }

  /** The engine's memory across a restart, read by the writer after it committed what was queued. */
  async engineMemory(nowMs: number): Promise<EngineMemory> {
    this.flushBatch();
    if (!this.ep || this.ep.isClosed) throw new ChannelError('AUDIT_DETACHED', 'no audit writer attached', true);
    return this.ep.request('engine_memory', { now_ms: nowMs });
  }

  /** Producer-side counters for the audit accounting (soak/load checks, status details). */
  counters(): {
    readonly sent: number;
    readonly sent_critical: number;
    readonly critical_failed: number;
    readonly held: number;
    readonly dropped: number;
    readonly in_flight: number;
    readonly resent: number;
  } {
    return {
      sent: this.sent,
      sent_critical: this.sentCritical,
      critical_failed: this.criticalFailed,
      held: this.held.length,
      dropped: this.dropped,
      in_flight: this.inflightRows + this.released.reduce((n, r) => n + r.count, 0),
      resent: this.resent,
    };
  }

  get heldCount(): number {
    return this.held.length;
  }

  close(): void {
    this.flushBatch();
    this.ep?.close();
    this.ep = null;
  }

  private flushBatch(): void {
    this.scheduled = false;
    if (this.batch.length === 0) return;
    const events = this.batch;
    this.batch = [];
    if (this.ep && !this.ep.isClosed) {
      this.send(this.ep, events);
      return;
    }
    const room = this.opts.holdCapacity - this.held.length;
    if (room >= events.length) {
      this.held.push(...events);
      return;
    }
    if (room > 0) this.held.push(...events.slice(0, room));
    this.reportDropped(events.length - Math.max(0, room));
  }

  /**
   * Drops are reported from a timer, summed, at most once a second. The report is itself audited
   * (a reason raised, a mode change), and with no writer those rows are dropped in turn: reported
   * inline, from the flush's microtask, each report scheduled the next flush and the thread never
   * left that chain. Seen in a full test run: the supervisor, its writer replaced and its hold
   * buffer full, spun at 100% with no timer run (no mode broadcast, no restart) until killed.
   */
  private reportDropped(n: number): void {
    this.dropped += n;
    this.unreportedDrops += n;
    if (this.dropTimer !== null) return;
    this.dropTimer = setTimeout(
      () => {
        this.dropTimer = null;
        this.lastDropReportAt = Date.now();
        const count = this.unreportedDrops;
        this.unreportedDrops = 0;
        this.opts.onDropped?.(count);
      },
      Math.max(0, this.lastDropReportAt + 1000 - Date.now()),
    );
    this.dropTimer.unref();
  }

  private send(ep: Endpoint<AuditProducerSide, AuditWriterSide>, rows: AuditRow[]): void {
    const frame = this.keep(rows);
    ep.emit({ type: 'append', frame, rows });
  }

  /** Numbers a bulk frame and keeps its rows until the writer settles it. */
  private keep(rows: AuditRow[]): number {
    const frame = this.nextFrame++;
    this.sent += rows.length;
    this.inflight.push({ frame, rows });
    this.inflightRows += rows.length;
    while (this.inflightRows > this.opts.holdCapacity && this.inflight.length > 1) {
      const oldest = this.inflight.shift();
      if (!oldest) break;
      this.inflightRows -= oldest.rows.length;
      this.released.push({ frame: oldest.frame, count: oldest.rows.length });
    }
    return frame;
  }

  private settled(frame: number): void {
    const keep = this.inflight.findIndex((f) => f.frame > frame);
    const gone = keep < 0 ? this.inflight : this.inflight.slice(0, keep);
    for (const f of gone) this.inflightRows -= f.rows.length;
    this.inflight = keep < 0 ? [] : this.inflight.slice(keep);
    this.released = this.released.filter((r) => r.frame > frame);
  }

  /** The writer died: rows whose copies were released cannot be re-sent, and may be lost. */
  private writerLost(): void {
    const lost = this.released.reduce((n, r) => n + r.count, 0);
    this.released = [];
    if (lost === 0) return;
    this.reportDropped(lost);
  }
}
