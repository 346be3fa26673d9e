/**
 * Clock offset against the exchange from /api/v3/time samples. Each sample assumes the server
 * read its clock at the midpoint of our round trip, so offset = server - (send + recv) / 2 with an
 * error of at most rtt/2. The estimate is the median over the last N accepted samples (one slow or
 * asymmetric trip cannot move it), and samples whose RTT is far above the median RTT are dropped
 * because their midpoint assumption is the least trustworthy. Until a sample is accepted the clock
 * is UNSYNCED and `exchangeNow` has no answer: signed requests must not be built on a guess.
 */

export type ClockSample = { readonly sendLocalMs: number; readonly serverTimeMs: number; readonly recvLocalMs: number };

export const CLOCK_DEFAULTS = {
  windowSize: 9,
  /** A sample is rejected when its RTT exceeds both factor*median and median+floor. */
  rttRejectFactor: 3,
  rttRejectFloorMs: 50,
  /** Median RTT needs this many accepted samples before outliers can be judged. */
  minSamplesForRejection: 3,
} as const;
export type ClockConfig = { readonly [K in keyof typeof CLOCK_DEFAULTS]: number } & { readonly driftMaxMs: number };

export type ClockStatus =
  | { readonly state: 'UNSYNCED' }
  | {
      readonly state: 'SYNCED';
      readonly offsetMs: number;
      readonly driftMs: number;
      readonly rttMs: number;
      readonly driftOk: boolean;
      readonly samples: number;
      readonly lastSampleLocalMs: number;
    };

export type SampleVerdict =
  { readonly accepted: true; readonly offsetMs: number; readonly rttMs: number } | { readonly accepted: false; readonly reason: string };

export type ClockEstimator = {
  addSample(s: ClockSample): SampleVerdict;
  /** Local time + offset, rounded to whole ms; undefined while unsynced. */
  exchangeNow(localNowMs: number): number | undefined;
  status(): ClockStatus;
  reset(): void;
};

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function sampleOffset(s: ClockSample): { offsetMs: number; rttMs: number } {
  return { offsetMs: s.serverTimeMs - (s.sendLocalMs + s.recvLocalMs) / 2, rttMs: s.recvLocalMs - s.sendLocalMs };
}

export function createClockEstimator(config: Partial<ClockConfig> & { readonly driftMaxMs: number }): ClockEstimator {
  const cfg: ClockConfig = { ...CLOCK_DEFAULTS, ...config };
  let accepted: Array<{ offsetMs: number; rttMs: number; localMs: number }> = [];

  const addSample = (s: ClockSample): SampleVerdict => {
    if (![s.sendLocalMs, s.serverTimeMs, s.recvLocalMs].every(Number.isFinite)) return { accepted: false, reason: 'non-finite sample' };
    const { offsetMs, rttMs } = sampleOffset(s);
    if (rttMs < 0) return { accepted: false, reason: `negative rtt ${rttMs} ms (local clock stepped back)` };
    if (accepted.length >= cfg.minSamplesForRejection) {
      const m = median(accepted.map((a) => a.rttMs));
      if (rttMs > m * cfg.rttRejectFactor && rttMs > m + cfg.rttRejectFloorMs) return { accepted: false, reason: `rtt ${rttMs} ms far above median ${m} ms` };
    }
    accepted.push({ offsetMs, rttMs, localMs: s.recvLocalMs });
    if (accepted.length > cfg.windowSize) accepted = accepted.slice(-cfg.windowSize);
    return { accepted: true, offsetMs, rttMs };
  };

  const offset = (): number | undefined => (accepted.length === 0 ? undefined : median(accepted.map((a) => a.offsetMs)));

  return {
    addSample,
    exchangeNow: (localNowMs) => {
      const o = offset();
      return o === undefined ? undefined : Math.round(localNowMs + o);
    },
    status: () => {
      const o = offset();
      const last = accepted[accepted.length - 1];
      if (o === undefined || !last) return { state: 'UNSYNCED' };
      const driftMs = Math.abs(o);
      return {
        state: 'SYNCED',
        offsetMs: o,
        driftMs,
        rttMs: median(accepted.map((a) => a.rttMs)),
        driftOk: driftMs <= cfg.driftMaxMs,
        samples: accepted.length,
        lastSampleLocalMs: last.localMs,
      };
    },
    reset: () => {
      accepted = [];
    },
  };
}
