/**
 * The time a worker's logic reads and waits on. Production wires `systemClock` (Date.now and the
 * Node timers); a process with test fault hooks enabled gets an `AdvanceableClock`, which is the
 * same wall clock until a test moves it forward (the `advance_clock` fault hook), so a test can
 * skip a back-off or a window instead of sleeping through it. Time never runs backwards on either.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): ClockTimer;
  setInterval(fn: () => void, ms: number): ClockTimer;
  clear(timer: ClockTimer): void;
}

/** An opaque handle; `unref` lets the process exit while it is pending (as Node's timers do). */
export interface ClockTimer {
  unref(): ClockTimer;
}

class NodeTimer implements ClockTimer {
  constructor(
    readonly handle: NodeJS.Timeout,
    readonly repeat: boolean,
  ) {}
  unref(): ClockTimer {
    this.handle.unref();
    return this;
  }
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => new NodeTimer(setTimeout(fn, ms), false),
  setInterval: (fn, ms) => new NodeTimer(setInterval(fn, ms), true),
  clear: (t) => {
    if (!(t instanceof NodeTimer)) return;
    if (t.repeat) clearInterval(t.handle);
    else clearTimeout(t.handle);
  },
};

/** A timer of the advanceable clock: due at `due` on that clock; re-armed on the wall clock after every move. */
class AdvTimer implements ClockTimer {
  handle: NodeJS.Timeout | null = null;
  refed = true;
  constructor(
    readonly fn: () => void,
    public due: number,
    readonly every: number | null,
  ) {}
  unref(): ClockTimer {
    this.refed = false;
    this.handle?.unref();
    return this;
  }
}

/**
 * The wall clock plus a forward-only offset. `advance(ms)` moves `now()` forward by `ms` and runs,
 * in due order, every timer that the move made due (an interval once per period it skipped; at most
 * `MAX_CATCH_UP` runs in one advance, a bound on a timer that keeps re-arming itself at zero delay).
 */
export class AdvanceableClock implements Clock {
  private offset = 0;
  private readonly timers = new Set<AdvTimer>();
  static readonly MAX_CATCH_UP = 1000;

  constructor(private readonly wall: () => number = Date.now) {}

  now(): number {
    return this.wall() + this.offset;
  }

  /** How far this clock is ahead of the wall clock. */
  get advancedMs(): number {
    return this.offset;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    return this.arm(new AdvTimer(fn, this.now() + Math.max(0, ms), null));
  }

  setInterval(fn: () => void, ms: number): ClockTimer {
    const every = Math.max(1, ms);
    return this.arm(new AdvTimer(fn, this.now() + every, every));
  }

  clear(t: ClockTimer): void {
    if (!(t instanceof AdvTimer)) return;
    if (t.handle) clearTimeout(t.handle);
    t.handle = null;
    this.timers.delete(t);
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) return;
    const target = this.now() + ms;
    // Time steps through each due timer: a timer reads its own due time as now(), and what it
    // sets up from there (a follow-up timeout) runs in this advance too when due by the target.
    for (let n = 0; n < AdvanceableClock.MAX_CATCH_UP; n++) {
      let next: AdvTimer | null = null;
      for (const t of this.timers) if (t.due <= target && (next === null || t.due < next.due)) next = t;
      if (next === null) break;
      this.moveTo(next.due);
      this.fire(next);
    }
    this.moveTo(target);
    for (const t of this.timers) this.rearm(t);
  }

  /** Moves now() forward to `at` (never back). */
  private moveTo(at: number): void {
    const d = at - this.now();
    if (d > 0) this.offset += d;
  }

  private arm(t: AdvTimer): AdvTimer {
    this.timers.add(t);
    this.rearm(t);
    return t;
  }

  private rearm(t: AdvTimer): void {
    if (t.handle) clearTimeout(t.handle);
    t.handle = setTimeout(() => this.fire(t), Math.max(0, t.due - this.now()));
    if (!t.refed) t.handle.unref();
  }

  private fire(t: AdvTimer): void {
    if (!this.timers.has(t)) return;
    if (t.every === null) {
      this.clear(t);
    } else {
      t.due += t.every;
      this.rearm(t);
    }
    t.fn();
  }
}
