import type { IntentState, SymbolRules } from '@vigil/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BTCUSDT_PRICE_LOT_RULES, SIM_BTCUSDT_RULES } from './btcusdt-rules.js';
import { Dec } from './decimal.js';
import {
  EMPTY_LIFECYCLE,
  RISK_COMMANDS,
  TICK_PHASES,
  VENUE_COMMANDS,
  classifyHolding,
  protectCommand,
  protectionGap,
  protectionVerdict,
  step,
  type LifecycleCommand,
  type LifecycleConfig,
  type LifecycleEntry,
  type LifecycleFacts,
  type LifecycleState,
  type TickPhase,
} from './lifecycle.js';

/** fast-check runs per property: 10 000 in CI (fixed seed); FUZZ_RUNS multiplies them (npm run fuzz), FUZZ_SEED changes the seed. */
const RUNS = 10_000 * Math.max(1, Number(process.env['FUZZ_RUNS'] ?? '1') || 1);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261205);
const opts = { numRuns: RUNS, seed: SEED };

const RULES: SymbolRules = BTCUSDT_PRICE_LOT_RULES;

const CFG: LifecycleConfig = {
  intent_query_interval_ms: 1_000,
  protect_attempts_max: 3,
  stop_limit_offset_bps: 20,
  trailing_enabled: true,
  trailing_activate_bps: 50,
  requote_mode: 'cancel_replace',
};

const intentState = fc.constantFrom<IntentState>('CREATED', 'SENT_UNKNOWN', 'CONFIRMED', 'NOT_FOUND', 'FAILED_TERMINAL');
const price = (min: number, max: number) => fc.integer({ min: min * 100, max: max * 100 }).map((n) => new Dec(n).div(100).toFixed(2));
const time = fc.integer({ min: 0, max: 200_000 });
const plan = fc.option(
  fc.record({
    stop_price: price(90, 100),
    take_profit_price: fc.option(price(100, 120), { freq: 5 }),
    trailing_delta_bps: fc.option(fc.integer({ min: 10, max: 500 }), { freq: 3 }),
  }),
  { freq: 5 },
);
const entryOf = (coid: string, successor: fc.Arbitrary<LifecycleEntry | null>): fc.Arbitrary<LifecycleEntry> =>
  fc.record({
    coid: fc.constant(coid),
    intent: intentState,
    status: fc.constantFrom('CREATED', 'NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'UNKNOWN'),
    cancel_pending: fc.boolean(),
    deadline_ms: time,
    last_query_ms: time,
    has_decision: fc.boolean(),
    requotes_left: fc.integer({ min: 0, max: 3 }),
    filled_qty: fc.constantFrom('0', '0.001'),
    cancel_why: fc.option(fc.constantFrom('ttl', 'partial_fill', 'halt')),
    successor,
  });
const entry = entryOf('vgE1', fc.option(entryOf('vgE2', fc.constant(null)), { freq: 3 }));
const state: fc.Arbitrary<LifecycleState> = fc.record({
  entry: fc.option(entry, { freq: 2 }),
  requote_pending: fc.boolean(),
  plan,
  protection: fc.option(
    fc.record({ kind: fc.constantFrom<'OCO' | 'TRAILING'>('OCO', 'TRAILING'), active: fc.boolean(), intent: intentState, last_query_ms: time }),
    { freq: 2 },
  ),
  close_pending: fc.boolean(),
  resize: fc.boolean(),
  protect_failures: fc.integer({ min: 0, max: 5 }),
  failures_in_row: fc.integer({ min: 0, max: 6 }),
  retry_at_ms: time,
  unprotected_since: fc.option(time),
  swap_failed: fc.boolean(),
  swap_retry_at: time,
  swap_deferrals: fc.integer({ min: 0, max: 8 }),
});
const facts: fc.Arbitrary<LifecycleFacts> = fc.record({
  now: time,
  holding: fc.constantFrom<LifecycleFacts['holding']>('NONE', 'DUST', 'TRADABLE'),
  halted: fc.option(fc.constantFrom('PAUSE', 'kill switch', 'mode unconfirmed'), { freq: 2 }),
  frozen: fc.boolean(),
  trades_pending: fc.boolean(),
  quote: fc.option(
    fc.tuple(price(80, 130), fc.integer({ min: 1, max: 50 })).map(([bid, spread]) => ({ bid, ask: new Dec(bid).plus(new Dec(spread).div(100)).toFixed(2) })),
    { freq: 6 },
  ),
  avg_price: fc.oneof(price(90, 110), fc.constant('0')),
  rules: fc.option(fc.constant(RULES), { freq: 8 }),
  swap_allowed: fc.boolean(),
});
const phase = fc.constantFrom<TickPhase>(...TICK_PHASES);

const kinds = (c: readonly LifecycleCommand[]) => c.map((x) => x.kind);
const tick = (s: LifecycleState, p: TickPhase, f: LifecycleFacts) => step(s, { kind: 'TICK', phase: p, facts: f }, CFG);

describe('lifecycle step: invariants of one phase over random states and facts', () => {
  it('I1: a frozen symbol (PAUSE_NEEDS_MANUAL) gets no command in the POSITION phase', () => {
    fc.assert(
      fc.property(state, facts, (s, f) => {
        expect(tick(s, 'POSITION', { ...f, frozen: true }).commands).toEqual([]);
      }),
      opts,
    );
  });

  it('I2: halted, no phase issues a command that adds risk, and a confirmed working entry without a pending cancel is cancelled for "halt"', () => {
    fc.assert(
      fc.property(state, facts, phase, fc.constantFrom('PAUSE', 'kill switch'), (s, f, p, why) => {
        const out = tick(s, p, { ...f, halted: why });
        for (const c of out.commands) expect(RISK_COMMANDS.has(c.kind)).toBe(false);
        if (p === 'ENTRY' && s.entry?.intent === 'CONFIRMED' && !s.entry.cancel_pending) expect(out.commands).toEqual([{ kind: 'CANCEL_ENTRY', why: 'halt' }]);
        if (p === 'REQUOTE' && s.requote_pending && s.entry === null && f.holding !== 'TRADABLE') {
          expect(out.commands).toEqual([{ kind: 'DROP_REQUOTE', why }]);
          expect(out.state.requote_pending).toBe(false);
        }
      }),
      opts,
    );
  });

  it('I3: protection and exits do not depend on the mode: PROTECT and CLOSE_SAFELY are issued the same whether halted or not', () => {
    fc.assert(
      fc.property(state, facts, (s, f) => {
        const keep = (c: readonly LifecycleCommand[]) => c.filter((x) => x.kind === 'PROTECT' || x.kind === 'CLOSE_SAFELY' || x.kind === 'DROP_PROTECTION');
        const free = tick(s, 'POSITION', { ...f, halted: null, swap_allowed: true });
        const halted = tick(s, 'POSITION', { ...f, halted: 'PAUSE', swap_allowed: false });
        expect(keep(halted.commands)).toEqual(keep(free.commands));
      }),
      opts,
    );
  });

  it('I4: no protect or close while an entry works, a close is pending, fills are being learned or the protection intent is unresolved; no second cancel of an entry', () => {
    fc.assert(
      fc.property(state, facts, phase, (s, f, p) => {
        const out = kinds(tick(s, p, f).commands);
        const placing = out.includes('PROTECT') || out.includes('CLOSE_SAFELY');
        if (s.entry !== null || s.close_pending || f.trades_pending) expect(placing).toBe(false);
        if (s.protection !== null && (s.protection.active || s.protection.intent === 'CREATED' || s.protection.intent === 'SENT_UNKNOWN'))
          expect(placing).toBe(false);
        if (s.entry?.cancel_pending) expect(out.filter((k) => k === 'CANCEL_ENTRY' || k === 'REPLACE_ENTRY')).toEqual([]);
        if (s.entry !== null && s.entry.intent !== 'CONFIRMED')
          expect(out.filter((k) => k === 'CANCEL_ENTRY' || k === 'REPLACE_ENTRY' || k === 'QUERY_ENTRY')).toEqual([]);
      }),
      opts,
    );
  });

  it('I5: without a tradable holding nothing is protected, closed or swapped, and dust clears the unprotected mark and any unplaced protection', () => {
    fc.assert(
      fc.property(state, facts, fc.constantFrom<LifecycleFacts['holding']>('NONE', 'DUST'), (s, f, h) => {
        const out = tick(s, 'POSITION', { ...f, holding: h });
        for (const k of kinds(out.commands)) expect(['PROTECT', 'CLOSE_SAFELY', 'SWAP_TO_TRAILING']).not.toContain(k);
        if (!f.frozen && !(s.resize && s.protection?.active) && s.entry === null && !s.close_pending && !f.trades_pending) {
          expect(out.state.unprotected_since).toBeNull();
          if (out.state.protection !== null) expect(out.state.protection.active).toBe(true);
          if (out.state.protection === null) expect(out.state.plan).toBeNull();
        }
      }),
      opts,
    );
  });

  it('I6: after protect_attempts_max failures a due unprotected position is closed (CLOSE_SAFELY, critical), never protected; before its retry time nothing is placed', () => {
    fc.assert(
      fc.property(state, facts, (s0, f) => {
        const s = { ...s0, entry: null, close_pending: false, protection: null, resize: false };
        const g = { ...f, holding: 'TRADABLE' as const, frozen: false, trades_pending: false };
        const out = tick(s, 'POSITION', g);
        if (g.now < s.retry_at_ms) expect(out.commands).toEqual([]);
        else if (s.protect_failures >= CFG.protect_attempts_max)
          expect(out.commands).toEqual([{ kind: 'CLOSE_SAFELY', why: `protection failed ${s.protect_failures} times`, critical: true }]);
      }),
      opts,
    );
  });

  it('I7: a PROTECT is priced inside the book: stop-limit at or below the stop and on the tick, bid above the stop, ask below the take-profit', () => {
    let reached = 0;
    fc.assert(
      // Half the cases are cleared of what blocks a protection, so the pricing itself is reached.
      fc.property(state, facts, fc.boolean(), (s0, f0, clear) => {
        const s = clear ? { ...s0, entry: null, close_pending: false, protection: null, resize: false, retry_at_ms: 0, protect_failures: 0 } : s0;
        const f = clear ? { ...f0, holding: 'TRADABLE' as const, frozen: false, trades_pending: false } : f0;
        for (const c of tick(s, 'POSITION', f).commands) {
          if (c.kind !== 'PROTECT') continue;
          reached++;
          expect(new Dec(c.stop_limit_price).lte(c.stop_price)).toBe(true);
          expect(new Dec(c.stop_limit_price).mod('0.01').isZero()).toBe(true);
          expect(new Dec(f.quote!.bid).gt(c.stop_price)).toBe(true);
          expect(new Dec(f.quote!.ask).lt(c.take_profit_price)).toBe(true);
        }
      }),
      opts,
    );
    // The property is only worth its runs if random states reach a PROTECT often enough.
    expect(reached).toBeGreaterThan(RUNS / 20);
  });

  it('I8: at most one venue command per phase', () => {
    fc.assert(
      fc.property(state, facts, phase, (s, f, p) => {
        expect(tick(s, p, f).commands.filter((c) => VENUE_COMMANDS.has(c.kind)).length).toBeLessThanOrEqual(1);
      }),
      opts,
    );
  });

  it('I9: a tradable position without standing or pending protection is marked unprotected at or before now by the POSITION phase', () => {
    fc.assert(
      fc.property(state, facts, (s0, f) => {
        const s = { ...s0, entry: null, close_pending: false, resize: false, protection: null };
        const out = tick(s, 'POSITION', { ...f, holding: 'TRADABLE', frozen: false, trades_pending: false });
        expect(out.state.unprotected_since).not.toBeNull();
        expect(out.state.unprotected_since!).toBeLessThanOrEqual(Math.max(f.now, s.unprotected_since ?? f.now));
      }),
      opts,
    );
  });

  it('a swap is issued only from an active OCO, in a mode that allows it, not halted, with the bid in profit by the activation margin', () => {
    fc.assert(
      fc.property(state, facts, (s, f) => {
        const out = tick(s, 'POSITION', f);
        if (!kinds(out.commands).includes('SWAP_TO_TRAILING')) return;
        expect(s.protection?.active && s.protection.kind === 'OCO').toBe(true);
        expect(f.swap_allowed && f.halted === null && !s.swap_failed && f.now >= s.swap_retry_at).toBe(true);
        expect(new Dec(f.quote!.bid).gte(new Dec(f.avg_price).mul(1 + CFG.trailing_activate_bps / 10_000))).toBe(true);
      }),
      opts,
    );
  });
});

describe('lifecycle step: what reconcile feeds in', () => {
  const adopted = fc.record({ protection: fc.constantFrom<'OCO' | 'TRAILING'>('OCO', 'TRAILING'), plan, now: time });

  it('I10: PROTECTION_ADOPTED changes nothing where the state holds a protection; else the adopted one stands (active, confirmed), the state keeps its own plan, and the position is no longer unprotected; no command either way', () => {
    fc.assert(
      fc.property(state, adopted, (s, a) => {
        const out = step(s, { kind: 'PROTECTION_ADOPTED', ...a }, CFG);
        expect(out.commands).toEqual([]);
        if (s.protection !== null) {
          expect(out.state).toEqual(s);
          return;
        }
        expect(out.state.protection).toEqual({ kind: a.protection, active: true, intent: 'CONFIRMED', last_query_ms: 0 });
        expect(out.state.plan).toEqual(s.plan ?? a.plan);
        expect(out.state.unprotected_since).toBeNull();
        expect({ ...out.state, protection: s.protection, plan: s.plan, unprotected_since: s.unprotected_since }).toEqual(s);
      }),
      opts,
    );
  });

  it('I10: PROTECTION_SEEN marks a held protection active and the position protected, changes nothing else, and is ignored with no protection held', () => {
    fc.assert(
      fc.property(state, time, (s, now) => {
        const out = step(s, { kind: 'PROTECTION_SEEN', now }, CFG);
        expect(out.commands).toEqual([]);
        if (s.protection === null) expect(out.state).toEqual(s);
        else expect(out.state).toEqual({ ...s, protection: { ...s.protection, active: true }, unprotected_since: null });
      }),
      opts,
    );
  });
});

describe('lifecycle step: reports of the working entry', () => {
  const status = fc.constantFrom('NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'EXPIRED_IN_MATCH', 'PENDING_NEW');
  const report = fc.record({ status, executed_qty: fc.constantFrom('0', '0.001', '0.5'), ts_ms: time, flat: fc.boolean() });

  it('an ended entry that filled always has its fills learned and is marked unprotected; one that did not never is', () => {
    fc.assert(
      fc.property(state, entry, report, (s0, e, r) => {
        const s = { ...s0, entry: e };
        const out = step(s, { kind: 'ENTRY_REPORT', coid: e.coid, ...r }, CFG);
        const ended = ['FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'EXPIRED_IN_MATCH'].includes(r.status);
        const filled = r.executed_qty !== '0';
        expect(kinds(out.commands).includes('LEARN_FILLS')).toBe(ended && filled);
        expect(kinds(out.commands).includes('ENTRY_ENDED')).toBe(ended);
        if (ended && filled) expect(out.state.unprotected_since).toBe(s.unprotected_since ?? r.ts_ms);
        if (!ended) {
          expect(out.state.entry).toEqual({ ...e, status: r.status, filled_qty: r.executed_qty });
          if (r.status === 'PARTIALLY_FILLED') expect(out.state.unprotected_since).toBe(s.unprotected_since ?? r.ts_ms);
        }
      }),
      opts,
    );
  });

  it('a successor takes the slot only when the entry was CANCELED and the successor is not known to have failed; a re-quote only for an unfilled TTL cancel with re-quotes left and no successor', () => {
    fc.assert(
      fc.property(state, entry, report, (s0, e, r) => {
        const s = { ...s0, entry: e, requote_pending: false };
        const out = step(s, { kind: 'ENTRY_REPORT', coid: e.coid, ...r }, CFG);
        const ended = out.commands.find((c) => c.kind === 'ENTRY_ENDED');
        if (!ended || ended.kind !== 'ENTRY_ENDED') return;
        const succ = e.successor;
        const takes = r.status === 'CANCELED' && succ !== null && succ.intent !== 'FAILED_TERMINAL' && succ.intent !== 'NOT_FOUND';
        expect(out.state.entry).toEqual(takes ? succ : null);
        expect(ended.next).toBe(takes ? succ!.coid : null);
        const requote = r.status === 'CANCELED' && r.executed_qty === '0' && e.cancel_why === 'ttl' && e.has_decision && e.requotes_left > 0 && succ === null;
        expect(ended.requote).toBe(requote);
        expect(out.state.requote_pending).toBe(requote);
        // Nothing filled, nothing held, nothing next: the plan goes.
        if (r.executed_qty === '0' && !takes && r.flat) expect(out.state.plan).toBeNull();
        else expect(out.state.plan).toEqual(s.plan);
      }),
      opts,
    );
  });

  it('a report of another order than the working entry changes nothing', () => {
    fc.assert(
      fc.property(state, report, (s, r) => {
        expect(step(s, { kind: 'ENTRY_REPORT', coid: 'vgOTHER', ...r }, CFG)).toEqual({ state: s, commands: [] });
      }),
      opts,
    );
  });
});

describe('lifecycle step: outcome inputs', () => {
  it('a failed protection counts one failure, drops the protection, keeps the first unprotected time and backs off 1 s doubling to 30 s', () => {
    fc.assert(
      fc.property(state, time, (s, now) => {
        const out = step(s, { kind: 'PROTECTION_FAILED', now }, CFG).state;
        expect(out.protection).toBeNull();
        expect(out.protect_failures).toBe(s.protect_failures + 1);
        expect(out.unprotected_since).toBe(s.unprotected_since ?? now);
        expect(out.retry_at_ms - now).toBe(Math.min(30_000, 1000 * 2 ** s.failures_in_row));
      }),
      opts,
    );
  });

  it('a confirmed protection is active and resets the unprotected mark, the failures and the back-off', () => {
    fc.assert(
      fc.property(state, time, (s, now) => {
        const out = step(s, { kind: 'PROTECTION_CONFIRMED', now }, CFG).state;
        if (s.protection === null) return void expect(out).toEqual(s);
        expect(out.protection?.active).toBe(true);
        expect([out.unprotected_since, out.protect_failures, out.failures_in_row, out.retry_at_ms]).toEqual([null, 0, 0, 0]);
      }),
      opts,
    );
  });

  it('ended protection is dropped, the swap is allowed again, and the fills are learned (LEARN_FILLS)', () => {
    const s = {
      ...EMPTY_LIFECYCLE,
      protection: { kind: 'OCO' as const, active: true, intent: 'CONFIRMED' as const, last_query_ms: 0 },
      swap_failed: true,
      swap_deferrals: 3,
      swap_retry_at: 99,
    };
    const out = step(s, { kind: 'PROTECTION_ENDED', now: 5 }, CFG);
    expect(out.commands).toEqual([{ kind: 'LEARN_FILLS' }]);
    expect(out.state).toEqual({ ...s, protection: null, swap_failed: false, swap_deferrals: 0, swap_retry_at: 0 });
  });

  it('a deferred swap waits 5 s doubling to 5 min', () => {
    let s = EMPTY_LIFECYCLE;
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      s = step(s, { kind: 'SWAP_DEFERRED', now: 1_000 }, CFG).state;
      waits.push(s.swap_retry_at - 1_000);
    }
    expect(waits).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });
});

/**
 * A model of the runner and the venue around the pure step: random sequences of management passes
 * (all phases) at random clock steps and random facts, with each command answered at random the
 * way the venue can answer (protection confirmed, refused, unknown then resolved either way, a leg
 * filling). The invariants hold over the whole sequence, not just one step.
 */
describe('lifecycle step: random sequences of passes against a model venue', () => {
  type Answer = 'confirm' | 'fail' | 'unknown_then_confirm' | 'unknown_then_fail';
  const answer = fc.constantFrom<Answer>('confirm', 'fail', 'unknown_then_confirm', 'unknown_then_fail');
  const pass = fc.record({ dt: fc.integer({ min: 100, max: 40_000 }), halted: fc.boolean(), frozen: fc.boolean(), answer, leg_fills: fc.boolean() });

  it('an open position is never left without a protect or close attempt longer than the back-off bound, attempts stop at protect_attempts_max, and no PROTECT goes out while one is unresolved', () => {
    const reached = { protect: 0, close: 0, unknown: 0 };
    fc.assert(
      fc.property(fc.array(pass, { minLength: 1, maxLength: 40 }), (passes) => {
        let s: LifecycleState = { ...EMPTY_LIFECYCLE, plan: { stop_price: '95.00', take_profit_price: '110.00', trailing_delta_bps: null } };
        let now = 0;
        let lastAttempt = 0;
        let pendingUnknown: Answer | null = null;
        let failuresSinceConfirm = 0;
        let closed = false;
        for (const p of passes) {
          now += p.dt;
          // The venue settles an unknown placement on the next pass (resolveUnknown's query).
          if (pendingUnknown !== null && s.protection !== null) {
            s = step(s, pendingUnknown === 'unknown_then_confirm' ? { kind: 'PROTECTION_CONFIRMED', now } : { kind: 'PROTECTION_FAILED', now }, CFG).state;
            if (pendingUnknown === 'unknown_then_confirm') failuresSinceConfirm = 0;
            else failuresSinceConfirm++;
            pendingUnknown = null;
          }
          if (p.leg_fills && s.protection?.active) {
            s = step(s, { kind: 'PROTECTION_ENDED', now }, CFG).state;
            closed = true; // the position is gone: nothing more to protect
          }
          const f: LifecycleFacts = {
            now,
            holding: closed ? 'NONE' : 'TRADABLE',
            halted: p.halted ? 'PAUSE' : null,
            frozen: p.frozen,
            trades_pending: false,
            quote: { bid: '100.00', ask: '100.05' },
            avg_price: '100.00',
            rules: RULES,
            swap_allowed: !p.halted,
          };
          for (const ph of TICK_PHASES) {
            const out = tick(s, ph, f);
            s = out.state;
            for (const c of out.commands) {
              if (c.kind === 'PROTECT') {
                expect(s.protection === null || (!s.protection.active && s.protection.intent !== 'CREATED' && s.protection.intent !== 'SENT_UNKNOWN')).toBe(
                  true,
                );
                expect(failuresSinceConfirm).toBeLessThan(CFG.protect_attempts_max);
                lastAttempt = now;
                reached.protect++;
                if (p.answer.startsWith('unknown')) reached.unknown++;
                // The runner commits the intent and sends: the protection is now CREATED, then answered.
                s = { ...s, protection: { kind: 'OCO', active: false, intent: 'CREATED', last_query_ms: now } };
                if (p.answer === 'confirm') {
                  s = step(s, { kind: 'PROTECTION_CONFIRMED', now }, CFG).state;
                  failuresSinceConfirm = 0;
                } else if (p.answer === 'fail') {
                  s = step(s, { kind: 'PROTECTION_FAILED', now }, CFG).state;
                  failuresSinceConfirm++;
                } else {
                  s = { ...s, protection: { ...s.protection!, intent: 'SENT_UNKNOWN' } };
                  pendingUnknown = p.answer;
                }
              }
              if (c.kind === 'CLOSE_SAFELY') {
                expect(c.critical).toBe(true);
                expect(failuresSinceConfirm).toBeGreaterThanOrEqual(CFG.protect_attempts_max);
                lastAttempt = now;
                reached.close++;
                closed = true; // the model's market exit fills
              }
            }
          }
          const waiting = s.protection !== null && (s.protection.active || s.protection.intent === 'SENT_UNKNOWN');
          if (!closed && !p.frozen && !waiting) expect(now - lastAttempt).toBeLessThanOrEqual(30_000 + 40_000);
          if (!closed && !p.frozen && s.protection === null) expect(s.unprotected_since).not.toBeNull();
        }
      }),
      { ...opts, numRuns: Math.max(1_000, RUNS / 5) },
    );
    // Every path of the model is walked many times: placements, unknown outcomes and closes after repeated failures.
    const runs = Math.max(1_000, RUNS / 5);
    expect(reached.protect).toBeGreaterThan(runs);
    expect(reached.unknown).toBeGreaterThan(runs / 10);
    expect(reached.close).toBeGreaterThan(runs / 50);
  });
});

describe('lifecycle helpers', () => {
  it('classifyHolding: zero is NONE, below the lot step is DUST, on the grid is TRADABLE, no rules means TRADABLE', () => {
    expect(classifyHolding('0', RULES)).toBe('NONE');
    expect(classifyHolding('0.000001', RULES)).toBe('DUST');
    expect(classifyHolding('0.00002', RULES)).toBe('TRADABLE');
    expect(classifyHolding('0.000001', null)).toBe('TRADABLE');
  });

  it('classifyHolding with a bid: a lot-sized holding worth less than the market minimum notional is DUST, at or above it TRADABLE; a minimum that does not apply to market orders is not judged', () => {
    // 0.00002 BTC at 64000 = 1.28 USDT < 5; 0.0001 at 64000 = 6.4 >= 5.
    expect(classifyHolding('0.00002', SIM_BTCUSDT_RULES, '64000')).toBe('DUST');
    expect(classifyHolding('0.0001', SIM_BTCUSDT_RULES, '64000')).toBe('TRADABLE');
    expect(classifyHolding('0.00002', SIM_BTCUSDT_RULES, null)).toBe('TRADABLE');
    const notMarket: SymbolRules = {
      ...SIM_BTCUSDT_RULES,
      filters: { ...SIM_BTCUSDT_RULES.filters, NOTIONAL: { ...SIM_BTCUSDT_RULES.filters.NOTIONAL!, applyMinToMarket: false } },
    };
    expect(classifyHolding('0.00002', notMarket, '64000')).toBe('TRADABLE');
  });

  it('protectionGap: names what the rules lack for the OCO and the market exit (spot, SPOT permission, ocoAllowed, LIMIT_MAKER/STOP_LOSS_LIMIT/MARKET), null for full rules', () => {
    expect(protectionGap(RULES)).toBeNull();
    expect(protectionGap({ ...RULES, ocoAllowed: false })).toBe('OCO orders are not allowed');
    expect(protectionGap({ ...RULES, isSpotTradingAllowed: false })).toBe('spot trading is not allowed');
    expect(protectionGap({ ...RULES, permissions: ['MARGIN'] })).toMatch(/do not include SPOT/);
    expect(protectionGap({ ...RULES, permissions: [] })).toBeNull();
    expect(protectionGap({ ...RULES, orderTypes: ['LIMIT', 'MARKET', 'LIMIT_MAKER'] })).toBe('order types STOP_LOSS_LIMIT not offered');
  });

  it('protectCommand puts a plan priced on an older tick onto the current grid: the stop rounded down, the take-profit up, the stop-limit below the stop', () => {
    const coarse: SymbolRules = {
      ...RULES,
      filters: { ...RULES.filters, PRICE_FILTER: { filterType: 'PRICE_FILTER', minPrice: '0.1', maxPrice: '1000000', tickSize: '0.1' } },
    };
    const c = protectCommand(
      { stop_price: '63000.37', take_profit_price: '66000.21', trailing_delta_bps: null },
      { quote: { bid: '64000.0', ask: '64000.1' }, rules: coarse },
      { stop_limit_offset_bps: 20 },
    );
    expect(c).toEqual({ kind: 'PROTECT', stop_price: '63000.3', stop_limit_price: '62874.2', take_profit_price: '66000.3' });
  });

  it('an entry partly filled while what it filled is dust keeps working until its TTL; once the holding is tradable it is cancelled for partial_fill', () => {
    const e: LifecycleEntry = {
      coid: 'vgE1',
      intent: 'CONFIRMED',
      status: 'PARTIALLY_FILLED',
      cancel_pending: false,
      deadline_ms: 10_000,
      last_query_ms: 0,
      has_decision: true,
      requotes_left: 0,
      filled_qty: '0.00002',
      cancel_why: null,
      successor: null,
    };
    const st: LifecycleState = { ...EMPTY_LIFECYCLE, entry: e };
    const f = (holding: LifecycleFacts['holding'], now: number): LifecycleFacts => ({
      now,
      holding,
      halted: null,
      frozen: false,
      trades_pending: false,
      quote: { bid: '64000', ask: '64000.01' },
      avg_price: '64000',
      rules: SIM_BTCUSDT_RULES,
      swap_allowed: true,
    });
    const cmds = (holding: LifecycleFacts['holding'], now: number) => step(st, { kind: 'TICK', phase: 'ENTRY', facts: f(holding, now) }, CFG).commands;
    expect(cmds('DUST', 5_000)).not.toContainEqual(expect.objectContaining({ kind: 'CANCEL_ENTRY' }));
    expect(cmds('DUST', 10_000)).toContainEqual({ kind: 'CANCEL_ENTRY', why: 'ttl' });
    expect(cmds('TRADABLE', 5_000)).toContainEqual({ kind: 'CANCEL_ENTRY', why: 'partial_fill' });
  });

  it('protectionVerdict: missing past the bound, blind when also without a quote, all clear only with nothing unprotected or closing', () => {
    const v = protectionVerdict(
      [
        { symbol: 'A', unprotected_since: 0, close_pending: false, has_quote: true },
        { symbol: 'B', unprotected_since: 0, close_pending: false, has_quote: false },
        { symbol: 'C', unprotected_since: 9_000, close_pending: false, has_quote: false },
      ],
      10_000,
      5_000,
    );
    expect(v).toEqual({ missing: ['A', 'B'], blind: ['B'], all_clear: false });
    expect(protectionVerdict([{ symbol: 'A', unprotected_since: null, close_pending: true, has_quote: true }], 0, 1).all_clear).toBe(false);
    expect(protectionVerdict([{ symbol: 'A', unprotected_since: null, close_pending: false, has_quote: true }], 0, 1).all_clear).toBe(true);
  });
});
