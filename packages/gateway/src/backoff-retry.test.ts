import { describe, expect, it } from 'vitest';
import { backoffRetry } from './backoff-retry.js';

describe('backoffRetry', () => {
  it('retries while needed, 1 s then doubling to 30 s apart, never two at once, and starts over once done', async () => {
    let now = 0;
    let needed = true;
    const at: number[] = [];
    const tick = backoffRetry(
      () => needed,
      async () => void at.push(now),
      () => now,
    );
    for (; now <= 70_000; now += 500) await tick();
    expect(at).toEqual([0, 1000, 3000, 7000, 15_000, 31_000, 61_000]);
    needed = false;
    await tick();
    needed = true;
    now = 80_000;
    await tick();
    now = 81_000;
    await tick();
    expect(at.slice(-2)).toEqual([80_000, 81_000]);
  });

  it('does not start a second attempt while one is in flight', async () => {
    let release: () => void = () => undefined;
    let runs = 0;
    let now = 0;
    const tick = backoffRetry(
      () => true,
      () => new Promise<void>((r) => (runs++, (release = r))),
      () => now,
    );
    const first = tick();
    now = 60_000;
    await tick();
    expect(runs).toBe(1);
    release();
    await first;
  });
});
