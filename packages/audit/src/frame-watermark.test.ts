import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameWatermark } from './frame-watermark.js';

/** A watermark whose deferred reports run when the test says so. */
function harness() {
  const reports: number[] = [];
  let deferred: (() => void)[] = [];
  const w = new FrameWatermark(
    (f) => reports.push(f),
    (fn) => deferred.push(fn),
  );
  const turn = (): void => {
    const d = deferred;
    deferred = [];
    for (const fn of d) fn();
  };
  return { w, reports, turn };
}

describe('FrameWatermark', () => {
  it('reports a frame only once every frame tracked before it is settled', () => {
    const { w, reports, turn } = harness();
    const s1 = w.track(1);
    const s2 = w.track(2);
    const s3 = w.track(3);
    s2();
    s3();
    turn();
    expect(reports).toEqual([]);
    s1();
    turn();
    expect(reports).toEqual([3]);
    expect(w.pending).toBe(0);
  });

  it('coalesces the settlements of one turn into one report, and reportNow reports without waiting', () => {
    const { w, reports, turn } = harness();
    const s = [1, 2, 3, 4].map((f) => w.track(f));
    s[0]!();
    s[1]!();
    turn();
    s[2]!();
    w.reportNow();
    s[3]!();
    turn();
    expect(reports).toEqual([2, 3, 4]);
  });

  it('never reports a number at or below one already reported (a re-sent frame settled again)', () => {
    const { w, reports, turn } = harness();
    w.track(5)();
    turn();
    w.track(3)();
    turn();
    w.track(6)();
    turn();
    expect(reports).toEqual([5, 6]);
  });

  it('over random settle orders: reports increase, and each report covers only settled frames', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 200 }), (n, steps) => {
        const { w, reports, turn } = harness();
        const settled = new Set<number>();
        const settles = Array.from({ length: n }, (_, i) => {
          const s = w.track(i + 1);
          return () => {
            settled.add(i + 1);
            s();
          };
        });
        let checked = 0;
        for (const [pick, doTurn] of steps) {
          settles[pick % n]!();
          if (doTurn) turn();
          for (; checked < reports.length; checked++) {
            const r = reports[checked]!;
            if (checked > 0) expect(r).toBeGreaterThan(reports[checked - 1]!);
            for (let f = 1; f <= r; f++) expect(settled.has(f)).toBe(true);
          }
        }
        for (const s of settles) s();
        turn();
        expect(reports.at(-1)).toBe(n);
        expect(w.pending).toBe(0);
      }),
    );
  });
});
