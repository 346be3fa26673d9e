import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decisionBody, decisionIdOf, type Decision } from '@vigil/contracts';
import { MODIFY_FIELDS, MODIFY_RULES, applyModify } from './aigate-modify.js';
import { parseDecimal } from './decimal.js';

function decision(o: Partial<Decision> = {}): Decision {
  const base: Omit<Decision, 'ids'> = {
    symbol: 'BTCUSDT',
    side: 'BUY',
    intent: 'ENTRY',
    quantity: '0.004',
    entry_type: 'LIMIT',
    entry_price: '64000',
    stop_price: '63000',
    take_profit_price: '66000',
    trailing_delta_bps: null,
    expected_edge_bps: 40,
    expected_cost_bps: 12,
    constraints: { max_quantity: '0.01', max_notional: '1000', ttl_ms: 30_000, max_requotes: 3 },
    ...o,
  };
  return { ids: { run_id: 'run_1', cycle_id: 1, snapshot_id: 'snp_1', decision_id: decisionIdOf(base) }, ...base } as Decision;
}

const NONE = { quantity: null, stop_price: null, take_profit_price: null, entry_price: null, ttl_ms: null, max_requotes: null };

describe('applyModify', () => {
  it('applies a size reduction and a tighter stop, with a new decision_id', () => {
    const d = decision();
    const r = applyModify(d, { ...NONE, quantity: '0.002', stop_price: '63500' }, null);
    if (!r.ok) throw new Error(r.why);
    expect(r.decision).toMatchObject({ quantity: '0.002', stop_price: '63500', symbol: 'BTCUSDT', side: 'BUY' });
    expect(r.changed).toEqual(['quantity', 'stop_price']);
    expect(r.decision.ids.decision_id).not.toBe(d.ids.decision_id);
    expect(r.decision.ids.decision_id).toBe(decisionIdOf(decisionBody(r.decision)));
  });

  it.each([
    [{ quantity: '0.005' }, /larger/],
    [{ stop_price: '62000' }, /looser/],
    [{ entry_price: '64100' }, /more aggressive/],
    [{ take_profit_price: '67000' }, /further/],
    [{ ttl_ms: 30_001 }, /longer/],
    [{ ttl_ms: 1e12 }, /longer/],
    [{ ttl_ms: 0 }, /positive integer/],
    [{ ttl_ms: 1.5 }, /positive integer/],
    [{ max_requotes: 10 }, /more than/],
    [{ quantity: '0' }, /positive/],
    [{ quantity: 0.002 }, /positive decimal string/],
    [{ stop_price: '64500' }, /losing side/],
  ])('rejects %j', (m, why) => {
    const r = applyModify(decision(), { ...NONE, ...m }, null);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('AIGATE_MODIFY_INVALID');
      expect(r.why).toMatch(why);
    }
  });

  it('rejects any attempt to touch an immutable field', () => {
    for (const k of ['symbol', 'side', 'intent', 'constraints', 'ids', 'decision_id', 'max_quantity']) {
      const r = applyModify(decision(), { ...NONE, [k]: 'x' }, null);
      expect(r.ok).toBe(false);
    }
  });

  it('mirrors the rules for a short', () => {
    const d = decision({ side: 'SELL', entry_price: '64000', stop_price: '65000', take_profit_price: '62000' });
    expect(applyModify(d, { ...NONE, stop_price: '64500' }, null).ok).toBe(true);
    expect(applyModify(d, { ...NONE, stop_price: '65500' }, null).ok).toBe(false);
    expect(applyModify(d, { ...NONE, entry_price: '64100' }, null).ok).toBe(true);
    expect(applyModify(d, { ...NONE, entry_price: '63900' }, null).ok).toBe(false);
  });

  it('applies a shorter TTL and fewer requotes (both only ever fall)', () => {
    const r = applyModify(decision(), { ...NONE, ttl_ms: 10_000, max_requotes: 1 }, null);
    if (!r.ok) throw new Error(r.why);
    expect(r.decision.constraints).toMatchObject({ ttl_ms: 10_000, max_requotes: 1 });
    expect(r.changed).toEqual(['ttl_ms', 'max_requotes']);
  });

  it('never adds a take-profit to a decision that has none', () => {
    const r = applyModify(decision({ take_profit_price: null }), { ...NONE, take_profit_price: '65000' }, null);
    expect(r).toMatchObject({ ok: false, why: expect.stringMatching(/cannot add one/) });
  });

  it('the rule table covers exactly the MODIFY fields as its mutable rows, and every field of a Decision body', () => {
    const mutable = MODIFY_RULES.filter((r) => r.buy !== 'immutable' || r.sell !== 'immutable').map((r) => r.field);
    expect(mutable).toEqual([...MODIFY_FIELDS]);
    const body = decisionBody(decision()) as unknown as Record<string, unknown>;
    const named = new Set(MODIFY_RULES.map((r) => r.field));
    for (const [k, v] of Object.entries(body)) {
      if (k === 'constraints') for (const c of Object.keys(v as object)) expect(named.has(`constraints.${c}`) || named.has(c)).toBe(true);
      else expect(named.has(k)).toBe(true);
    }
  });

  it('never changes the price of a MARKET entry', () => {
    expect(applyModify(decision({ entry_type: 'MARKET', entry_price: null }), { ...NONE, entry_price: '63000' }, null).ok).toBe(false);
  });

  /**
   * The property the issue asks for: no generated MODIFY that increases risk is ever applied.
   * Each field is absent (60 %) or the old value nudged either way, so both applied and refused
   * modifies are frequent; the test also checks that it applied a meaningful number of them.
   */
  it('property: an applied MODIFY never increases risk', () => {
    let applied = 0;
    let refused = 0;
    const nudge = (base: number, span: number, scale: number) =>
      fc.option(
        fc.integer({ min: -span, max: span }).map((k) => Math.max(0, base + k) / scale),
        { nil: null, freq: 3 },
      );
    fc.assert(
      fc.property(
        fc
          .record({
            side: fc.constantFrom('BUY' as const, 'SELL' as const),
            entry: fc.integer({ min: 10_000, max: 100_000 }),
            stopGap: fc.integer({ min: 50, max: 5000 }),
            tpGap: fc.integer({ min: 50, max: 5000 }),
            qty: fc.integer({ min: 2, max: 100_000 }),
            market: fc.boolean(),
          })
          .chain((g) => {
            const long = g.side === 'BUY';
            const stop = long ? g.entry - g.stopGap : g.entry + g.stopGap;
            const tp = long ? g.entry + g.tpGap : g.entry - g.tpGap;
            return fc.record({
              g: fc.constant(g),
              m: fc.record({
                quantity: nudge(g.qty, g.qty, 10_000).map((v) => (v === null ? null : v.toString())),
                stop_price: nudge(stop * 100, g.stopGap * 150, 100).map((v) => (v === null ? null : v.toFixed(2))),
                take_profit_price: nudge(tp * 100, g.tpGap * 150, 100).map((v) => (v === null ? null : v.toFixed(2))),
                entry_price: nudge(g.entry * 100, 500 * 100, 100).map((v) => (v === null ? null : v.toFixed(2))),
                ttl_ms: nudge(30_000, 30_000, 1).map((v) => (v === null ? null : Math.round(v))),
                max_requotes: nudge(3, 3, 1).map((v) => (v === null ? null : Math.round(v))),
              }),
            });
          }),
        ({ g, m }) => {
          const long = g.side === 'BUY';
          const d = decision({
            side: g.side,
            quantity: (g.qty / 10_000).toString(),
            entry_type: g.market ? 'MARKET' : 'LIMIT',
            entry_price: g.market ? null : g.entry.toString(),
            stop_price: (long ? g.entry - g.stopGap : g.entry + g.stopGap).toString(),
            take_profit_price: (long ? g.entry + g.tpGap : g.entry - g.tpGap).toString(),
          });
          const r = applyModify(d, m, null);
          if (!r.ok) {
            refused++;
            return;
          }
          applied++;
          const n = r.decision;
          const D = (s: string | null) => parseDecimal(s)!;
          expect(D(n.quantity).lte(D(d.quantity))).toBe(true);
          expect(D(n.quantity).gt(0)).toBe(true);
          expect(long ? D(n.stop_price).gte(D(d.stop_price)) : D(n.stop_price).lte(D(d.stop_price))).toBe(true);
          if (d.entry_price !== null) expect(long ? D(n.entry_price).lte(D(d.entry_price)) : D(n.entry_price).gte(D(d.entry_price))).toBe(true);
          else expect(n.entry_price).toBeNull();
          if (d.take_profit_price !== null && n.take_profit_price !== null) {
            expect(long ? D(n.take_profit_price).lte(D(d.take_profit_price)) : D(n.take_profit_price).gte(D(d.take_profit_price))).toBe(true);
          }
          expect(n.constraints.ttl_ms).toBeLessThanOrEqual(d.constraints.ttl_ms);
          expect(n.constraints.ttl_ms).toBeGreaterThan(0);
          expect(n.constraints.max_requotes).toBeLessThanOrEqual(d.constraints.max_requotes);
          expect([n.symbol, n.side, n.intent, n.constraints.max_quantity, n.constraints.max_notional, n.ids.run_id, n.ids.cycle_id]).toEqual([
            d.symbol,
            d.side,
            d.intent,
            d.constraints.max_quantity,
            d.constraints.max_notional,
            d.ids.run_id,
            d.ids.cycle_id,
          ]);
          expect(n.ids.decision_id === d.ids.decision_id).toBe(r.changed.length === 0);
        },
      ),
      { numRuns: 5000, seed: 20261124 },
    );
    expect(applied).toBeGreaterThan(150);
    expect(refused).toBeGreaterThan(150);
  });
});
