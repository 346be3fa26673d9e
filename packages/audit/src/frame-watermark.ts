/**
 * The writer's side of one producer's bulk-frame accounting. Frames are settled out of order
 * relative to what the producer needs to know (a refused frame at once, a queued one at its
 * commit), but a producer may forget a frame's rows only when every frame before it is settled
 * too: so only the highest frame below which all are settled is reported, at most once per turn
 * of the event loop.
 *
 * Invariant: the reported frame numbers are increasing, and each reported frame and every frame
 * tracked before it have been settled.
 */
export class FrameWatermark {
  private readonly open: { readonly frame: number; done: boolean }[] = [];
  private head = 0;
  private toReport: number | null = null;
  private scheduled = false;
  private lastReported = 0;

  constructor(
    private readonly report: (frame: number) => void,
    private readonly defer: (fn: () => void) => void = setImmediate,
  ) {}

  /** Registers a frame in arrival order; the returned function settles it (idempotent). */
  track(frame: number): () => void {
    const entry = { frame, done: false };
    this.open.push(entry);
    return () => {
      if (entry.done) return;
      entry.done = true;
      this.advance();
    };
  }

  /** Reports what is settled now rather than on the next turn (before a flush reply, say). */
  reportNow(): void {
    if (this.toReport === null) return;
    this.lastReported = this.toReport;
    this.toReport = null;
    this.report(this.lastReported);
  }

  /** Frames tracked and not yet reported settled. */
  get pending(): number {
    return this.open.length - this.head;
  }

  private advance(): void {
    let last: number | null = null;
    for (let e = this.open[this.head]; e?.done; e = this.open[this.head]) {
      last = e.frame;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.open.length) {
      this.open.splice(0, this.head);
      this.head = 0;
    }
    // A re-sent frame may carry a number at or below one already reported (it was settled by an
    // earlier writer, or reported before the producer re-sent it): the report never goes back.
    if (last === null || last <= this.lastReported) return;
    this.toReport = last;
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.reportNow();
    });
  }
}
