import type { Stage } from '@vigil/contracts';

export interface StageReport {
  readonly type: 'stage';
  readonly stage: Stage;
  readonly cycle_id: number | null;
  readonly ts_ms: number;
}

/**
 * The engine's stage reports to the supervisor, sent after the current turn of the event loop:
 * every one, in order, each with the time its stage began. A cross-thread message wakes the
 * supervisor, and on a 2-core host the woken thread takes the CPU from the cycle between a market
 * event and its order (five stages in a row there). The turn ends at the cycle's next await (the
 * gate's model call, the intent's commit), so the reports travel while the cycle waits anyway.
 */
export class StageReports {
  private readonly queued: StageReport[] = [];
  private pending: NodeJS.Immediate | null = null;

  constructor(private readonly send: (r: StageReport) => void) {}

  report(r: StageReport): void {
    this.queued.push(r);
    this.pending ??= setImmediate(() => this.flush());
  }

  /** Sends what is queued now (shutdown: the supervisor may end the thread on the drain's reply). */
  flush(): void {
    if (this.pending) clearImmediate(this.pending);
    this.pending = null;
    for (const r of this.queued.splice(0)) this.send(r);
  }
}
