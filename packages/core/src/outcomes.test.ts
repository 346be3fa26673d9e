import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intentAfter, replaceAfter, resolveAfterQuery } from './outcomes.js';

const RUNS = 10_000 * Math.max(1, Number(process.env['FUZZ_RUNS'] ?? '1') || 1);
const opts = { numRuns: RUNS, seed: Number(process.env['FUZZ_SEED'] ?? 20261205) };

type Kind = 'OK' | 'REJECTED' | 'UNKNOWN' | 'THROTTLED' | 'NETWORK_BEFORE_SEND' | 'NOT_SENT';
const kind = fc.constantFrom<Kind>('OK', 'REJECTED', 'UNKNOWN', 'THROTTLED', 'NETWORK_BEFORE_SEND', 'NOT_SENT');
const result = fc.constantFrom('REPLACED', 'NEW_FAILED', 'CANCEL_FAILED', 'CANCEL_FAILED_NEW_PLACED', 'BOTH_FAILED') as fc.Arbitrary<
  'REPLACED' | 'NEW_FAILED' | 'CANCEL_FAILED' | 'CANCEL_FAILED_NEW_PLACED' | 'BOTH_FAILED'
>;
const code = fc.constantFrom(-2011, -2013, -2010, -1013, -1021, -1022);
const status = fc.constantFrom('NEW', 'PARTIALLY_FILLED', 'PENDING_NEW', 'FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'EXPIRED_IN_MATCH');

describe('outcome -> intent: one mapping over every venue outcome', () => {
  it('O1/O2: a placement or cancel is CONFIRMED only on the venue answer, SENT_UNKNOWN exactly when it may have executed, FAILED_TERMINAL only when refused or never sent', () => {
    fc.assert(
      fc.property(kind, (k) => {
        expect(intentAfter({ kind: k })).toBe(k === 'OK' ? 'CONFIRMED' : k === 'UNKNOWN' ? 'SENT_UNKNOWN' : 'FAILED_TERMINAL');
      }),
      opts,
    );
  });

  it('O3: a cancelReplace confirms the new entry only on REPLACED; CANCEL_FAILED and a whole refusal fail both halves; a lost reply or an answer STOP_ON_FAILURE cannot give leaves both unknown, never failed', () => {
    fc.assert(
      fc.property(kind, result, (k, r) => {
        const v = replaceAfter(k === 'OK' ? { kind: k, body: { result: r } } : { kind: k });
        expect(v.placed === 'CONFIRMED').toBe(k === 'OK' && r === 'REPLACED');
        if (k === 'UNKNOWN' || (k === 'OK' && (r === 'CANCEL_FAILED_NEW_PLACED' || r === 'BOTH_FAILED')))
          expect(v).toEqual({ cancel: 'SENT_UNKNOWN', placed: 'SENT_UNKNOWN', then: 'AWAIT_RESOLUTION' });
        if (k !== 'OK' && k !== 'UNKNOWN') expect(v).toEqual({ cancel: 'FAILED_TERMINAL', placed: 'FAILED_TERMINAL', then: 'NOTHING_HAPPENED' });
        if (k === 'OK' && r === 'CANCEL_FAILED') expect(v.then).toBe('CANCEL_REFUSED');
        if (k === 'OK' && r === 'NEW_FAILED') expect(v).toEqual({ cancel: 'CONFIRMED', placed: 'FAILED_TERMINAL', then: 'REPORTS' });
      }),
      opts,
    );
  });

  it('O4: a query settles an unknown intent only on the venue answer; "unknown order" is one not-found answer (-2011 only for a list); no answer changes nothing; a cancel whose target still works is NOT_FOUND', () => {
    fc.assert(
      fc.property(
        kind,
        code,
        fc.constantFrom<'ORDER' | 'CANCEL'>('ORDER', 'CANCEL'),
        fc.constantFrom<'ORDER' | 'LIST'>('ORDER', 'LIST'),
        status,
        fc.boolean(),
        (k, c, intent, target, st, done) => {
          const r = resolveAfterQuery({ kind: k, code: c }, { intent, target, status: st, list_done: done });
          if (k !== 'OK' && k !== 'REJECTED') expect(r).toBe('WAIT');
          if (k === 'REJECTED') expect(r).toBe(c === -2013 || (target === 'LIST' && c === -2011) ? 'NOT_FOUND_ANSWER' : 'WAIT');
          if (k === 'OK' && intent === 'ORDER') expect(r).toBe('CONFIRMED');
          if (k === 'OK' && intent === 'CANCEL' && target === 'LIST') expect(r).toBe(done ? 'CONFIRMED' : 'NOT_FOUND');
          if (k === 'OK' && intent === 'CANCEL' && target === 'ORDER')
            expect(r).toBe(['NEW', 'PARTIALLY_FILLED', 'PENDING_NEW'].includes(st) ? 'NOT_FOUND' : 'CONFIRMED');
        },
      ),
      opts,
    );
  });
});
