import { MODE_RANK, REASON_CODES, type ActiveReason, type ForcedMode, type JsonObject, type Mode, type ModeState, type ReasonCode } from '@vigil/contracts';

/**
 * The one mode of the system (ARCHITECTURE.md "Mode authority").
 * Invariants:
 * - PAUSE outranks DEGRADE outranks NORMAL; EXIT is terminal.
 * - The mode is the most severe mode forced by any active reason, except that leaving DEGRADE or
 *   PAUSE goes through DEGRADE (RECOVERY_STABILIZING) for the stability window, restarted by any
 *   new forcing reason, before NORMAL.
 * - A reason with clear policy "manual" is cleared only by the operator.
 * - A reason is keyed by (code, source): two sources raising one code are two causes.
 */
export const AUTHORITY_SOURCE = 'mode-authority';

export interface ModeChange {
  readonly from: Mode;
  readonly to: Mode;
  readonly state: ModeState;
}

export type ClearResult =
  | { readonly ok: true; readonly change: ModeChange | null; readonly cleared: boolean }
  | { readonly ok: false; readonly why: 'MANUAL_CLEAR_REQUIRED' | 'MODE_IS_EXIT' };

export interface RaiseResult {
  /** True when this (code, source) was not active before: an alert should be raised. */
  readonly fresh: boolean;
  readonly reason: ActiveReason;
  readonly change: ModeChange | null;
}

const FORCE_RANK: Readonly<Record<ForcedMode, number>> = { NONE: 0, DEGRADE: 1, PAUSE: 2 };

export class ModeAuthority {
  private readonly active = new Map<string, ActiveReason>();
  private mode: Mode = 'PAUSE';
  private seq = 0;
  private since: number;
  /** When the last DEGRADE/PAUSE-forcing reason cleared; null while one is active. */
  private calmSince: number | null = null;

  /**
   * Starts in PAUSE with the boot reason active (STARTUP_RECOVER): fail-closed from the first
   * instant, not merely until something happens to recompute the mode.
   */
  constructor(
    private readonly opts: {
      readonly stabilityWindowMs: number;
      readonly now: () => number;
      readonly boot: { readonly code: ReasonCode; readonly source: string; readonly detail?: JsonObject };
    },
  ) {
    this.since = opts.now();
    const { code, source, detail = {} } = opts.boot;
    const spec = REASON_CODES[code];
    this.active.set(key(code, source), { code, source, severity: spec.severity, since_ms: this.since, last_ts_ms: this.since, count: 1, detail });
  }

  state(): ModeState {
    return { mode: this.mode, seq: this.seq, since_ms: this.since, reasons: this.reasons() };
  }

  get current(): Mode {
    return this.mode;
  }

  reasons(): ActiveReason[] {
    return [...this.active.values()].sort((x, y) => MODE_RANK_OF(y) - MODE_RANK_OF(x) || x.since_ms - y.since_ms);
  }

  isActive(code: ReasonCode, source?: string): boolean {
    if (source !== undefined) return this.active.has(key(code, source));
    for (const r of this.active.values()) if (r.code === code) return true;
    return false;
  }

  raise(code: ReasonCode, source: string, detail: JsonObject = {}): RaiseResult {
    const now = this.opts.now();
    const k = key(code, source);
    const prev = this.active.get(k);
    const spec = REASON_CODES[code];
    const reason: ActiveReason = prev
      ? { ...prev, last_ts_ms: now, count: prev.count + 1, detail }
      : { code, source, severity: spec.severity, since_ms: now, last_ts_ms: now, count: 1, detail };
    this.active.set(k, reason);
    if (this.mode === 'EXIT') return { fresh: !prev, reason, change: null };
    if (spec.forces !== 'NONE') {
      this.calmSince = null;
      this.active.delete(key('RECOVERY_STABILIZING', AUTHORITY_SOURCE));
    }
    return { fresh: !prev, reason, change: this.recompute(now) };
  }

  clear(code: ReasonCode, source: string, by: 'source' | 'operator' = 'source'): ClearResult {
    if (this.mode === 'EXIT') return { ok: false, why: 'MODE_IS_EXIT' };
    const spec = REASON_CODES[code];
    if (spec.clear === 'manual' && by !== 'operator') return { ok: false, why: 'MANUAL_CLEAR_REQUIRED' };
    const existed = this.active.delete(key(code, source));
    return { ok: true, cleared: existed, change: existed ? this.recompute(this.opts.now()) : null };
  }

  /** Clears every reason of a source that the source may clear (a restarted worker starts clean). */
  clearSource(source: string, except: readonly ReasonCode[] = []): ModeChange | null {
    let any = false;
    for (const [k, r] of this.active) {
      if (r.source === source && REASON_CODES[r.code].clear === 'auto' && !except.includes(r.code)) {
        this.active.delete(k);
        any = true;
      }
    }
    return any ? this.recompute(this.opts.now()) : null;
  }

  /** Advances time-based transitions (the stability window). Call periodically. */
  tick(): ModeChange | null {
    if (this.mode === 'EXIT') return null;
    return this.recompute(this.opts.now());
  }

  exit(): ModeChange | null {
    if (this.mode === 'EXIT') return null;
    return this.transition('EXIT', this.opts.now());
  }

  private forced(): ForcedMode {
    let best: ForcedMode = 'NONE';
    for (const r of this.active.values()) {
      if (r.code === 'RECOVERY_STABILIZING') continue;
      const f = REASON_CODES[r.code].forces;
      if (FORCE_RANK[f] > FORCE_RANK[best]) best = f;
    }
    return best;
  }

  private recompute(now: number): ModeChange | null {
    const forced = this.forced();
    const stabKey = key('RECOVERY_STABILIZING', AUTHORITY_SOURCE);
    if (forced === 'PAUSE') return this.transition('PAUSE', now);
    if (forced === 'DEGRADE') return this.transition('DEGRADE', now);
    // Nothing forces a mode. From NORMAL stay; otherwise stabilize in DEGRADE first.
    if (this.mode === 'NORMAL') return null;
    if (this.calmSince === null) this.calmSince = now;
    if (now - this.calmSince >= this.opts.stabilityWindowMs) {
      this.active.delete(stabKey);
      this.calmSince = null;
      return this.transition('NORMAL', now);
    }
    if (!this.active.has(stabKey)) {
      this.active.set(stabKey, {
        code: 'RECOVERY_STABILIZING',
        source: AUTHORITY_SOURCE,
        severity: REASON_CODES.RECOVERY_STABILIZING.severity,
        since_ms: this.calmSince,
        last_ts_ms: now,
        count: 1,
        detail: { stability_window_ms: this.opts.stabilityWindowMs },
      });
    }
    return this.transition('DEGRADE', now);
  }

  private transition(to: Mode, now: number): ModeChange | null {
    if (to === this.mode) return null;
    const from = this.mode;
    this.mode = to;
    this.seq++;
    this.since = now;
    return { from, to, state: this.state() };
  }
}

function key(code: ReasonCode, source: string): string {
  return `${code}@${source}`;
}

function MODE_RANK_OF(r: ActiveReason): number {
  const f = REASON_CODES[r.code].forces;
  return f === 'PAUSE' ? MODE_RANK.PAUSE : f === 'DEGRADE' ? MODE_RANK.DEGRADE : 0;
}
