import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { LoopDelay, MemoryUse } from '@vigil/contracts';

/**
 * Event-loop delay of the calling thread, per sampling interval: a stalled loop delays heartbeats
 * and also makes signed requests late (timestamp rejections), so every thread reports its own.
 */
export class LoopDelayMonitor {
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  constructor() {
    this.h.enable();
  }
  /** Percentiles since the previous call, in ms; resets the window. */
  sample(): LoopDelay {
    const ms = (ns: number): number => Math.round((ns / 1e6) * 100) / 100;
    const out =
      this.h.count === 0
        ? { p50_ms: 0, p99_ms: 0, max_ms: 0 }
        : { p50_ms: ms(this.h.percentile(50)), p99_ms: ms(this.h.percentile(99)), max_ms: ms(this.h.max) };
    this.h.reset();
    return out;
  }
  stop(): void {
    this.h.disable();
  }
}

export function memoryUse(): MemoryUse {
  const m = process.memoryUsage();
  const heap_spaces: Record<string, number> = {};
  for (const sp of getHeapSpaceStatistics()) heap_spaces[sp.space_name] = sp.space_size;
  return {
    rss_bytes: m.rss,
    heap_used_bytes: m.heapUsed,
    heap_total_bytes: m.heapTotal,
    external_bytes: m.external,
    array_buffers_bytes: m.arrayBuffers,
    heap_spaces,
  };
}

/** This thread's start in epoch ms: a constant, and its getter is not free on a hot path. */
const ORIGIN_MS = performance.timeOrigin;

/** Wall-clock ms with sub-ms precision, comparable across threads of one process. */
export function preciseNowMs(): number {
  return ORIGIN_MS + performance.now();
}
