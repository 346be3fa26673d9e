import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { swapAfterCancel, swapAfterListQuery, swapAfterPlace, swapAfterValidate, WORKING_STATUSES } from './swap.js';

const RUNS = 10_000 * Math.max(1, Number(process.env['FUZZ_RUNS'] ?? '1') || 1);
const opts = { numRuns: RUNS, seed: Number(process.env['FUZZ_SEED'] ?? 20261205) };

const kind = fc.constantFrom('OK', 'REJECTED', 'UNKNOWN', 'THROTTLED', 'NETWORK_BEFORE_SEND', 'NOT_SENT') as fc.Arbitrary<
  'OK' | 'REJECTED' | 'UNKNOWN' | 'THROTTLED' | 'NETWORK_BEFORE_SEND' | 'NOT_SENT'
>;
const outcome = fc.record({ kind, code: fc.constantFrom(-2011, -2013, -2010, -1013, -1022) });
const status = fc.option(fc.constantFrom('NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'PENDING_NEW', 'EXPIRED_IN_MATCH'));
const unchanged = (k: string): boolean => k === 'THROTTLED' || k === 'NOT_SENT' || k === 'NETWORK_BEFORE_SEND';

describe('protection swap verdicts over every venue outcome', () => {
  it('S1: a validate or cancel that changed nothing at the venue (throttled, not sent, failed before sending) defers the swap and never fails it', () => {
    fc.assert(
      fc.property(outcome, fc.boolean(), (o, filled) => {
        if (!unchanged(o.kind)) return;
        expect(swapAfterValidate(o)).toBe('DEFER');
        expect(swapAfterCancel(o, filled)).toBe('DEFER');
      }),
      opts,
    );
  });

  it('S2: the OCO is cancelled only after the venue validated the trailing stop (order/test OK); a refusal fails with the OCO kept', () => {
    fc.assert(
      fc.property(outcome, (o) => {
        const v = swapAfterValidate(o);
        expect(v === 'CANCEL_OCO').toBe(o.kind === 'OK');
        if (o.kind === 'REJECTED') expect(v).toBe('FAIL_KEEP_OCO');
        if (o.kind === 'UNKNOWN') expect(v).toBe('DEFER');
      }),
      opts,
    );
  });

  it('S3: an unknown cancel is settled by querying the list; the list decides ended (done) or deferred (still executing), and no answer is unconfirmed', () => {
    fc.assert(
      fc.property(outcome, fc.boolean(), fc.boolean(), (q, filled, done) => {
        expect(swapAfterCancel({ kind: 'UNKNOWN' }, filled)).toBe('QUERY_LIST');
        expect(swapAfterListQuery(q, done)).toBe(q.kind !== 'OK' ? 'FAIL_UNCONFIRMED' : done ? 'PROTECTION_ENDED' : 'DEFER');
      }),
      opts,
    );
  });

  it('S4: after a confirmed cancel nothing is placed when a leg had filled (fills learned first); a cancel refused with -2011 means the protection ended', () => {
    fc.assert(
      fc.property(outcome, fc.boolean(), (o, filled) => {
        const v = swapAfterCancel(o, filled);
        if (v === 'PLACE_TRAILING') expect(o.kind === 'OK' && !filled).toBe(true);
        if (o.kind === 'OK') expect(v).toBe(filled ? 'LEARN_FILLS' : 'PLACE_TRAILING');
        if (o.kind === 'REJECTED') expect(v).toBe(o.code === -2011 ? 'PROTECTION_ENDED' : 'FAIL_UNCONFIRMED');
      }),
      opts,
    );
  });

  it('S5 and S6: an unknown placement never re-protects unless the venue shows the trailing stop working; only a working status completes the swap', () => {
    fc.assert(
      fc.property(outcome, status, (placed, st) => {
        const v = swapAfterPlace(placed, st);
        const working = st !== null && WORKING_STATUSES.has(st);
        expect(v === 'SWAPPED').toBe(working);
        if (placed.kind === 'UNKNOWN') expect(v).not.toBe('FAIL_REPROTECT');
        if (!working) expect(v).toBe(placed.kind === 'UNKNOWN' ? 'AWAIT_RESOLUTION' : 'FAIL_REPROTECT');
      }),
      opts,
    );
  });
});
