import { describe, expect, it } from 'vitest';
import { AdvanceableClock, systemClock } from './clock.js';

/** A wall clock that stands still: only `advance` moves the advanceable clock in these tests. */
const frozenWall = (): (() => number) => () => 1_000_000;

describe('systemClock', () => {
  it('reads Date.now and runs a timeout on the Node timers', async () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    const ran = await new Promise<boolean>((r) => systemClock.setTimeout(() => r(true), 1));
    expect(ran).toBe(true);
  });

  it('a cleared interval does not run again', async () => {
    let n = 0;
    const t = systemClock.setInterval(() => n++, 1);
    systemClock.clear(t);
    await new Promise((r) => setTimeout(r, 20));
    expect(n).toBe(0);
  });
});

describe('AdvanceableClock', () => {
  it('is the wall clock until advanced, then ahead of it by exactly the advances', () => {
    const c = new AdvanceableClock(frozenWall());
    expect(c.now()).toBe(1_000_000);
    c.advance(5_000);
    c.advance(250);
    expect(c.now()).toBe(1_005_250);
    expect(c.advancedMs).toBe(5_250);
  });

  it('never runs backwards: a negative, zero or non-finite advance changes nothing', () => {
    const c = new AdvanceableClock(frozenWall());
    for (const ms of [-1, 0, Number.NaN, Number.POSITIVE_INFINITY]) c.advance(ms);
    expect(c.now()).toBe(1_000_000);
  });

  it('an advance runs the timeouts it made due, in due order, and leaves the others pending', () => {
    const c = new AdvanceableClock(frozenWall());
    const ran: string[] = [];
    c.setTimeout(() => ran.push('b@3000'), 3000);
    c.setTimeout(() => ran.push('a@1000'), 1000);
    const late = c.setTimeout(() => ran.push('c@9000'), 9000);
    c.advance(5000);
    expect(ran).toEqual(['a@1000', 'b@3000']);
    c.advance(1000);
    expect(ran).toEqual(['a@1000', 'b@3000']);
    c.clear(late);
    c.advance(10_000);
    expect(ran).toEqual(['a@1000', 'b@3000']);
  });

  it('an interval runs once per period the advance skipped, and keeps its period after', () => {
    const c = new AdvanceableClock(frozenWall());
    const at: number[] = [];
    const t = c.setInterval(() => at.push(c.now()), 100);
    c.advance(350);
    expect(at).toHaveLength(3);
    c.advance(50);
    expect(at).toHaveLength(4);
    c.clear(t);
    c.advance(1000);
    expect(at).toHaveLength(4);
  });

  it('a timeout set by a timer during an advance runs in the same advance when it is due by then', () => {
    const c = new AdvanceableClock(frozenWall());
    const ran: string[] = [];
    c.setTimeout(() => {
      ran.push('first');
      c.setTimeout(() => ran.push('second'), 100);
    }, 100);
    c.advance(1000);
    expect(ran).toEqual(['first', 'second']);
  });

  it('runs a pending timeout on the wall clock when nobody advances it', async () => {
    const c = new AdvanceableClock();
    const ran = await new Promise<boolean>((r) => c.setTimeout(() => r(true), 5));
    expect(ran).toBe(true);
  });
});
