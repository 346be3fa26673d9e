import { jsonArray } from '@vigil/contracts';
import type { JsonObject } from '@vigil/contracts';

/** One sample of what the charts draw and the audit does not keep: prices and writer pressure. */
export interface Sample {
  readonly ts_ms: number;
  /** Mid price per symbol from the engine's quotes (null when the engine had none). */
  readonly mid: Readonly<Record<string, number | null>>;
  readonly lag_ms: number | null;
  readonly queue_pct: number | null;
  readonly pnl_total: number | null;
}

export interface SamplerInputs {
  /** The engine's quotes (bid/ask per symbol); null when the engine cannot answer. */
  quotes(): Promise<Record<string, { bid: string; ask: string }> | null>;
  writer(): { lag_ms: number | null; queue_pct: number | null };
  pnlTotal(): number | null;
}

/**
 * A bounded ring of samples taken every `everyMs` (default 2 s, 1800 samples = 1 hour) by the
 * supervisor, off the engine's path: a quote request that is still in flight is skipped, never
 * queued, so a slow engine is asked less, not more.
 */
export class Sampler {
  private readonly ring: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;

  constructor(
    private readonly inputs: SamplerInputs,
    private readonly everyMs = 2000,
    private readonly capacity = 1800,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async sample(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      const ts = this.now();
      let q: Record<string, { bid: string; ask: string }> | null = null;
      try {
        q = await this.inputs.quotes();
      } catch {
        q = null;
      }
      const mid: Record<string, number | null> = {};
      for (const [s, v] of Object.entries(q ?? {})) {
        const m = (Number(v.bid) + Number(v.ask)) / 2;
        mid[s] = Number.isFinite(m) && m > 0 ? m : null;
      }
      const w = this.inputs.writer();
      this.ring.push({ ts_ms: ts, mid, lag_ms: w.lag_ms, queue_pct: w.queue_pct, pnl_total: this.inputs.pnlTotal() });
      if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    } finally {
      this.inFlight = false;
    }
  }

  /** Samples newer than `sinceMs`, oldest first. */
  since(sinceMs: number): Sample[] {
    return this.ring.filter((s) => s.ts_ms >= sinceMs);
  }

  toJson(sinceMs: number): JsonObject[] {
    return jsonArray(this.since(sinceMs));
  }
}
