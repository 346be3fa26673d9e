import type { PayloadOf } from '@vigil/contracts';
import { unlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AuditConfig, EventEnvelope, EventType, ReasonCode } from '@vigil/contracts';
import type { EventFactory } from '@vigil/runtime';
import { backupDatabase, finishBackup, newestBackupMs, pruneBackups } from './backup.js';
import { nextBackupAt } from './backup-schedule.js';
import { archiveOldDays, type RetentionResult } from './retention.js';
import type { CopyVerdict } from './verify.js';
import type { AuditWriter } from './writer.js';

/** Longest single wait of the schedule: the clock is looked at again at least hourly (a wall-clock jump, a new day). */
const MAX_WAIT_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface HousekeeperDeps {
  readonly writer: AuditWriter;
  readonly varDir: string;
  readonly config: AuditConfig;
  readonly now: () => number;
  readonly events: EventFactory;
  /**
   * Hands an event of the writer's own to its queue and resolves once it is committed (durably, like
   * a critical write). The housekeeper waits for it before its next step: a record queued but not yet
   * committed is lost with a writer replaced meanwhile (a backup on disk with no BACKUP_DONE, seen
   * when retention's first batch held the thread past the stall bound right after the backup).
   */
  readonly submit: (ev: EventEnvelope) => Promise<void>;
  /** Integrity check + hash chain of a copy; the worker runs it on another thread (a 4 GiB walk takes minutes). */
  readonly verify: (file: string) => Promise<CopyVerdict>;
  readonly log: { info(m: string): void; warn(m: string): void };
  /** Between archive batches: lets queued commits through (setImmediate in the worker). */
  readonly pause?: () => Promise<void>;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (h: unknown) => void;
}

export type BackupOutcome =
  | { readonly kind: 'done'; readonly file: string; readonly bytes: number; readonly duration_ms: number; readonly pruned: readonly string[] }
  | {
      readonly kind: 'failed';
      readonly failure: 'WRITE_FAILED' | 'INTEGRITY_CHECK_FAILED' | 'CHAIN_BROKEN' | 'UNREADABLE' | 'NOT_OPEN';
      readonly detail: string;
    }
  | { readonly kind: 'skipped_low_disk' };

/**
 * The audit writer's daily chores, on its thread and off its hot path: the online backup at
 * backup_at_utc (and at start when the newest backup on disk is too old), each copy verified before
 * it counts, then retention (old days to the monthly archive). Every outcome is an event in the
 * audit (BACKUP_DONE / BACKUP_FAILED / BACKUP_SKIPPED / AUDIT_ARCHIVED), not only a log line.
 */
export class Housekeeper {
  private lastFailureMs: number | null = null;
  /** With backups disabled, the slot still paces retention: when it last ran (this run's memory). */
  private lastSlotRunMs: number | null = null;
  private timer: unknown = null;
  private busy = false;
  private stopped = false;
  /** The first tick of a run also resumes retention when a backup on disk already holds the old days. */
  private firstTick = true;
  readonly backupDir: string;
  readonly archiveDir: string;

  constructor(private readonly d: HousekeeperDeps) {
    this.backupDir = join(d.varDir, 'backup');
    this.archiveDir = join(d.varDir, 'data', 'archive');
  }

  /** When the next backup is due (judged from the backup directory, so a restart does not reset it). */
  nextDue(): number {
    const last = this.d.config.backup_enabled ? newestBackupMs(this.backupDir) : this.lastSlotRunMs;
    return nextBackupAt({ nowMs: this.d.now(), lastBackupMs: last, lastFailureMs: this.lastFailureMs, config: this.d.config });
  }

  start(): void {
    // At start: at once (the backup when due, or retention left over from the last run).
    this.arm(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) (this.d.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout)))(this.timer);
    this.timer = null;
  }

  /** Sets the next wake-up: after `waitMs`, or when the next backup is due (at least hourly). */
  private arm(waitMs?: number): void {
    if (this.stopped) return;
    const wait = waitMs ?? Math.max(0, Math.min(MAX_WAIT_MS, this.nextDue() - this.d.now()));
    const set = this.d.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms).unref());
    this.timer = set(() => void this.tick(), wait);
  }

  /** Runs what is due now (backup, then retention), then sets the next wake-up. */
  async tick(): Promise<void> {
    this.timer = null;
    if (this.busy || this.stopped) return;
    this.busy = true;
    const first = this.firstTick;
    this.firstTick = false;
    try {
      if (this.d.now() >= this.nextDue()) {
        const b = this.d.config.backup_enabled ? await this.backup() : null;
        // Old days leave the live database only after a fresh verified backup holds them too.
        if (this.d.config.retention_enabled && (b === null || b.kind === 'done')) await this.retention();
        if (b === null) this.lastSlotRunMs = this.d.now();
      } else if (first && this.d.config.retention_enabled && this.backupHoldsOldDays()) {
        // A run that ended (or a writer replaced) between its backup and the end of retention: the
        // verified backup on disk holds every day old enough to leave, so they leave now, not a
        // day later at the next slot.
        await this.retention();
      }
    } finally {
      this.busy = false;
      this.arm();
    }
  }

  /**
   * The newest backup on disk (verified: only a verified copy gets its final name) was taken after
   * the end of every day retention would move now (days older than retention_days whole days). With
   * no backup due, the newest is less than a day old, so this holds; it is checked all the same,
   * since that is the rule retention keeps.
   */
  private backupHoldsOldDays(): boolean {
    if (!this.d.config.backup_enabled) return false;
    const newest = newestBackupMs(this.backupDir);
    if (newest === null) return false;
    const now = this.d.now();
    const cutoff = now - (now % DAY_MS) - this.d.config.retention_days * DAY_MS;
    return newest >= cutoff;
  }

  async backup(): Promise<BackupOutcome> {
    const w = this.d.writer;
    const db = w.connection;
    const started = this.d.now();
    if (!db) return this.failed('NOT_OPEN', 'database not open', started, null);
    // Incident 9: never on low disk, and never a copy that would itself take the volume below the
    // DEGRADE mark (a backup is about the size of the database and its WAL).
    const sample = w.sampleDisk();
    const needed = sample.db_bytes + sample.wal_bytes;
    if (w.diskLow() || sample.free_bytes - needed < this.d.config.disk_free_degrade_bytes) {
      const detail = {
        free_bytes: sample.free_bytes,
        backup_needs_bytes: needed,
        disk_free_degrade_bytes: this.d.config.disk_free_degrade_bytes,
        disk_free_pause_bytes: this.d.config.disk_free_pause_bytes,
      };
      w.reason('BACKUP_SKIPPED_LOW_DISK', true, detail);
      this.lastFailureMs = started;
      // Low disk frees space first (operations rules, incident 9): every backup but the newest
      // verified one goes. Each is a full copy of the database; kept, they left the bot in PAUSE
      // on low disk until a human deleted them.
      let pruned: string[] = [];
      try {
        pruned = pruneBackups(this.backupDir, started, this.d.config.backup_retention_days, 1);
      } catch (e) {
        this.d.log.warn(`audit backups not pruned on low disk: ${(e as Error).message}`);
      }
      await this.emit('BACKUP_SKIPPED', { ...detail, next_try_ms: started + this.d.config.backup_retry_ms, pruned }, 'BACKUP_SKIPPED_LOW_DISK');
      this.d.log.warn(`audit backup skipped: low disk${pruned.length > 0 ? `; ${pruned.length} older backup file(s) deleted to free space` : ''}`);
      return { kind: 'skipped_low_disk' };
    }
    w.reason('BACKUP_SKIPPED_LOW_DISK', false, {});
    let copy: { file: string; partial: string; bytes: number };
    try {
      copy = await backupDatabase(db, this.backupDir, started);
    } catch (e) {
      // A shutdown closed the database under the copy: not a failure to report.
      if (this.stopped) return { kind: 'failed', failure: 'NOT_OPEN', detail: 'stopping' };
      return this.failed('WRITE_FAILED', (e as Error).message, started, null);
    }
    const v = await this.d.verify(copy.partial);
    if (this.stopped) {
      this.removePartial(copy.partial);
      return { kind: 'failed', failure: 'NOT_OPEN', detail: 'stopping' };
    }
    if (!v.ok) {
      this.removePartial(copy.partial);
      return this.failed(v.failure, v.detail, started, copy.file);
    }
    try {
      finishBackup(copy);
    } catch (e) {
      return this.failed('WRITE_FAILED', (e as Error).message, started, copy.file);
    }
    const pruned = pruneBackups(this.backupDir, this.d.now(), this.d.config.backup_retention_days, this.d.config.backup_keep_count);
    const duration = this.d.now() - started;
    this.lastFailureMs = null;
    w.reason('BACKUP_FAILED', false, {});
    w.reason('BACKUP_VERIFY_FAILED', false, {});
    await this.emit('BACKUP_DONE', { path: this.rel(copy.file), bytes: copy.bytes, duration_ms: duration, verified_rows: v.rows, pruned });
    this.d.log.info(`audit backup written and verified: ${copy.file} (${copy.bytes} bytes, ${v.rows} events)`);
    return { kind: 'done', file: copy.file, bytes: copy.bytes, duration_ms: duration, pruned };
  }

  async retention(): Promise<RetentionResult | null> {
    const db = this.d.writer.connection;
    if (!db) return null;
    if (this.d.writer.diskLow()) {
      this.d.log.warn('audit retention skipped: low disk (the archive copy needs space first)');
      return null;
    }
    try {
      const r = await archiveOldDays(db, {
        archiveDir: this.archiveDir,
        nowMs: this.d.now(),
        retentionDays: this.d.config.retention_days,
        batchRows: this.d.config.retention_batch_rows,
        pause: async () => {
          await (this.d.pause ?? (() => new Promise<void>((res) => setImmediate(res))))();
          // A shutdown between batches ends the run there (each batch is whole; the next run resumes).
          if (this.stopped) throw new Error('stopping');
        },
        // Each day's record as soon as that day has left (committed before the next day starts): a
        // writer replaced in the middle of a long retention loses no record of the days already moved.
        onArchived: (day) =>
          this.emit('AUDIT_ARCHIVED', { ...day, path: this.rel(join(this.archiveDir, day.archive)), retention_days: this.d.config.retention_days }),
      });
      if (r.stopped) this.d.log.warn(`audit retention stopped at ${r.stopped.day}: ${r.stopped.why}`);
      if (r.released + r.pruned.intents + r.pruned.orders > 0)
        this.d.log.info(
          `audit retention: ${r.released} kept-live event(s) released, ${r.pruned.intents} resolved intent(s) and ${r.pruned.orders} terminal order(s) moved to the archive`,
        );
      this.d.writer.reason('RETENTION_FAILED', false, {});
      return r;
    } catch (e) {
      if (this.stopped) return null;
      this.d.writer.reason('RETENTION_FAILED', true, { error: (e as Error).message });
      this.d.log.warn(`audit retention failed: ${(e as Error).message}`);
      return null;
    }
  }

  private failed(failure: Extract<BackupOutcome, { kind: 'failed' }>['failure'], detail: string, started: number, file: string | null): BackupOutcome {
    const code: ReasonCode = failure === 'INTEGRITY_CHECK_FAILED' || failure === 'CHAIN_BROKEN' ? 'BACKUP_VERIFY_FAILED' : 'BACKUP_FAILED';
    this.lastFailureMs = started;
    const payload = {
      path: file === null ? null : this.rel(file),
      failure,
      error: detail,
      duration_ms: this.d.now() - started,
      next_try_ms: started + this.d.config.backup_retry_ms,
    };
    this.d.writer.reason(code, true, payload);
    // Not waited for: a failing database may never commit it (the writer raises that on its own).
    void this.emit('BACKUP_FAILED', payload, code);
    this.d.log.warn(`audit backup failed (${failure}): ${detail}`);
    return { kind: 'failed', failure, detail };
  }

  /**
   * Resolves once the record is committed, or once the writer has given it up (closed, or its
   * database failing: the writer raises that itself); never rejects, so a tick always ends.
   */
  private emit<T extends EventType>(type: T, payload: PayloadOf<T>, reason?: ReasonCode): Promise<void> {
    return this.d.submit(this.d.events.make(type, payload, reason ? { reason } : {})).catch(() => undefined);
  }

  private removePartial(partial: string): void {
    for (const f of [partial, `${partial}-wal`, `${partial}-shm`]) {
      try {
        unlinkSync(f);
      } catch {
        /* not there */
      }
    }
  }

  private rel(file: string): string {
    return relative(this.d.varDir, file);
  }
}
