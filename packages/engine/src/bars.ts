/**
 * Fixed-width bars of book mid prices, built from the quotes the gateway streams. The strategy
 * reads closed bars only: a bar still forming would make a decision depend on when in the bar the
 * cycle ran. Signal math works on numbers (never on the way to an order: prices sent to the venue
 * come from the book's decimal strings and exact decimal arithmetic).
 */
export interface Bar {
  readonly start_ms: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

export class BarSeries {
  private readonly closed: Bar[] = [];
  private current: { start_ms: number; open: number; high: number; low: number; close: number } | null = null;

  constructor(
    readonly barMs: number,
    private readonly keep: number,
  ) {}

  /** Feeds one mid price; true when it closed a bar. Bars with no quote in them are skipped, not invented. */
  onMid(tsMs: number, mid: number): boolean {
    if (!Number.isFinite(mid) || mid <= 0) return false;
    const start = Math.floor(tsMs / this.barMs) * this.barMs;
    const c = this.current;
    if (c && start === c.start_ms) {
      c.high = Math.max(c.high, mid);
      c.low = Math.min(c.low, mid);
      c.close = mid;
      return false;
    }
    if (c && start < c.start_ms) return false; // out of order: ignore rather than rewrite history
    if (c) {
      this.closed.push({ ...c });
      if (this.closed.length > this.keep) this.closed.splice(0, this.closed.length - this.keep);
    }
    this.current = { start_ms: start, open: mid, high: mid, low: mid, close: mid };
    return c !== null;
  }

  /** Closed bars, oldest first. A gap in the market stream clears them (see reset). */
  bars(): readonly Bar[] {
    return this.closed;
  }

  reset(): void {
    this.closed.length = 0;
    this.current = null;
  }
}

/** Standard deviation of close-to-close log returns over the last `n` bars, in basis points. */
export function volatilityBps(bars: readonly Bar[], n: number): number | null {
  if (bars.length < n + 1) return null;
  const rs: number[] = [];
  for (let i = bars.length - n; i < bars.length; i++) rs.push(Math.log(bars[i]!.close / bars[i - 1]!.close));
  const mean = rs.reduce((a, b) => a + b, 0) / rs.length;
  const v = rs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rs.length - 1);
  return Math.sqrt(v) * 10_000;
}
