import { describe, expect, it } from 'vitest';
import { createClockEstimator, median, sampleOffset } from './clock.js';

/** A sample from a local clock `offset` ms behind the server, with asymmetric legs. */
const sample = (t: number, offset: number, upMs: number, downMs: number) => ({
  sendLocalMs: t,
  serverTimeMs: t + upMs + offset,
  recvLocalMs: t + upMs + downMs,
});

describe('clock estimator', () => {
  it('is UNSYNCED with no samples and gives no exchange time', () => {
    const c = createClockEstimator({ driftMaxMs: 500 });
    expect(c.status()).toEqual({ state: 'UNSYNCED' });
    expect(c.exchangeNow(1000)).toBeUndefined();
  });
  it('compensates the round trip (server time at the midpoint)', () => {
    expect(sampleOffset(sample(1000, 250, 20, 20))).toEqual({ offsetMs: 250, rttMs: 40 });
    const c = createClockEstimator({ driftMaxMs: 500 });
    c.addSample(sample(1000, 250, 20, 20));
    expect(c.exchangeNow(5000)).toBe(5250);
    expect(c.status()).toMatchObject({ state: 'SYNCED', offsetMs: 250, driftMs: 250, driftOk: true });
  });
  it('takes the median over the last N samples', () => {
    const c = createClockEstimator({ driftMaxMs: 500, windowSize: 5 });
    for (const [i, o] of [100, 102, 98, 900, 101].entries()) c.addSample(sample(i * 1000, o, 10, 10));
    expect(c.status()).toMatchObject({ offsetMs: 101, samples: 5 });
    for (let i = 0; i < 5; i++) c.addSample(sample(10_000 + i * 1000, -40, 10, 10));
    expect(c.status()).toMatchObject({ offsetMs: -40, samples: 5 });
  });
  it('rejects samples whose RTT is far above the median, and negative RTTs', () => {
    const c = createClockEstimator({ driftMaxMs: 500 });
    for (let i = 0; i < 3; i++) expect(c.addSample(sample(i * 1000, 0, 10, 10)).accepted).toBe(true);
    expect(c.addSample(sample(5000, 0, 400, 10))).toMatchObject({ accepted: false });
    expect(c.addSample(sample(6000, 0, 40, 10))).toMatchObject({ accepted: true });
    expect(c.addSample({ sendLocalMs: 10, serverTimeMs: 10, recvLocalMs: 5 })).toMatchObject({ accepted: false });
    expect(c.addSample({ sendLocalMs: 10, serverTimeMs: Number.NaN, recvLocalMs: 15 })).toMatchObject({ accepted: false });
  });
  it('asymmetric legs bias a single sample by at most rtt/2', () => {
    const { offsetMs, rttMs } = sampleOffset(sample(0, 0, 90, 10));
    expect(Math.abs(offsetMs)).toBeLessThanOrEqual(rttMs / 2);
  });
  it('flags drift above clock_drift_max_ms_live, either sign', () => {
    const c = createClockEstimator({ driftMaxMs: 500 });
    c.addSample(sample(0, -501, 5, 5));
    expect(c.status()).toMatchObject({ driftMs: 501, driftOk: false });
    c.reset();
    c.addSample(sample(0, 500, 5, 5));
    expect(c.status()).toMatchObject({ driftOk: true });
  });
  it('median of even and odd sets', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
