import { describe, expect, it } from 'vitest';
import { REASON_CODES, type ActiveReason, type ModeState, type ReasonCode } from '@vigil/contracts';
import { reasonLatch } from './reason-latch.js';

const active = (code: ReasonCode): ActiveReason => ({
  code,
  source: 'engine',
  severity: REASON_CODES[code].severity,
  since_ms: 0,
  last_ts_ms: 0,
  count: 1,
  detail: {},
});

describe('reasonLatch', () => {
  it('raises a latched manual reason again once the mode no longer lists it (the operator cleared it) and the condition persists', () => {
    let t = 0;
    let state: ModeState = { mode: 'PAUSE', seq: 1, since_ms: 0, reasons: [] };
    const raised: ReasonCode[] = [];
    const latch = reasonLatch({ raise: (c) => raised.push(c), clear: () => undefined, modeState: () => state }, () => t);
    latch.set('AIGATE_TIMEOUT', true, {});
    // Within the grace period a broadcast that predates the raise does not cause a duplicate.
    t = 100;
    latch.set('AIGATE_TIMEOUT', true, {});
    expect(raised).toEqual(['AIGATE_TIMEOUT']);
    // Listed by the mode authority: nothing to do.
    state = { ...state, reasons: [active('AIGATE_TIMEOUT')] };
    t = 10_000;
    latch.set('AIGATE_TIMEOUT', true, {});
    expect(raised).toEqual(['AIGATE_TIMEOUT']);
    // The operator resumed: the code is gone from the mode, the condition is found again.
    state = { mode: 'NORMAL', seq: 3, since_ms: 0, reasons: [] };
    latch.set('AIGATE_TIMEOUT', true, {});
    expect(raised).toEqual(['AIGATE_TIMEOUT', 'AIGATE_TIMEOUT']);
  });

  it('never raises an automatic reason twice while it is latched', () => {
    let t = 0;
    const raised: ReasonCode[] = [];
    const latch = reasonLatch(
      { raise: (c) => raised.push(c), clear: () => undefined, modeState: () => ({ mode: 'NORMAL', seq: 1, since_ms: 0, reasons: [] }) },
      () => t,
    );
    latch.set('CLOCK_DRIFT', true, {});
    t = 60_000;
    latch.set('CLOCK_DRIFT', true, {});
    expect(raised).toEqual(['CLOCK_DRIFT']);
  });
});
