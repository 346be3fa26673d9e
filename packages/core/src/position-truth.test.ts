import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from './decimal.js';
import { judgeHoldings, splitTrades, type TradeRow } from './position-truth.js';

/** fast-check runs per property: 10 000 in CI (fixed seed), more with FUZZ_RUNS (npm run fuzz). */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261205);
const opts = { numRuns: RUNS, seed: SEED };

const qty = fc.integer({ min: 0, max: 5_000_000 }).map((n) => new Dec(n).div(100_000_000).toFixed());
const trade = fc.record({
  trade_id: fc.integer({ min: 1, max: 400 }),
  order_id: fc.integer({ min: 1, max: 40 }),
  order_list_id: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 10 })),
  is_buyer: fc.boolean(),
  qty,
  commission: fc.integer({ min: 0, max: 1000 }).map((n) => new Dec(n).div(100_000_000).toFixed()),
  commission_asset: fc.constantFrom('BTC', 'USDT', 'BNB'),
});
const ids = (max: number) => fc.uniqueArray(fc.integer({ min: 1, max }), { maxLength: max }).map((a) => new Set(a));

describe('splitTrades', () => {
  it('partitions the distinct trade ids into own, foreign and counted, whatever the order and repeats of the rows', () => {
    fc.assert(
      fc.property(fc.array(trade, { maxLength: 60 }), ids(40), ids(10), ids(400), fc.integer(), (rows, orders, lists, counted, seed) => {
        const known = { orders, lists, counted };
        const a = splitTrades(known, rows);
        const shuffled = [...rows, ...rows.slice(0, seed % 7 >= 0 ? seed % 7 : 0)].sort((x, y) => ((x.trade_id * 31 + seed) % 17) - ((y.trade_id * 31 + seed) % 17));
        const b = splitTrades(known, shuffled);
        const idsOf = (t: readonly TradeRow[]) => t.map((x) => x.trade_id);
        const all = [...idsOf(a.own), ...idsOf(a.foreign), ...idsOf(a.counted)].sort((x, y) => x - y);
        expect(all).toEqual([...new Set(rows.map((r) => r.trade_id))].sort((x, y) => x - y));
        expect(idsOf(b.own)).toEqual(idsOf(a.own));
        expect(idsOf(b.foreign)).toEqual(idsOf(a.foreign));
        expect(a.last_trade_id).toBe(rows.length ? Math.max(...rows.map((r) => r.trade_id)) : null);
        // Ascending, and a foreign trade is never of a known order or list.
        for (const part of [a.own, a.foreign, a.counted]) expect(idsOf(part)).toEqual([...idsOf(part)].sort((x, y) => x - y));
        for (const f of a.foreign) expect(orders.has(f.order_id) || (f.order_list_id >= 0 && lists.has(f.order_list_id))).toBe(false);
      }),
      opts,
    );
  });

  it('finds no new own trade when the same rows are split again after counting the own ones', () => {
    fc.assert(
      fc.property(fc.array(trade, { maxLength: 60 }), ids(40), ids(10), ids(400), (rows, orders, lists, counted) => {
        const first = splitTrades({ orders, lists, counted }, rows);
        const after = new Set([...counted, ...first.own.map((t) => t.trade_id)]);
        const again = splitTrades({ orders, lists, counted: after }, rows);
        expect(again.own).toEqual([]);
        expect(again.foreign.map((t) => t.trade_id)).toEqual(first.foreign.map((t) => t.trade_id));
      }),
      opts,
    );
  });
});

describe('judgeHoldings', () => {
  const foreignTrade = fc.record({ trade_id: fc.integer({ min: 1, max: 1000 }), order_id: fc.constant(999), order_list_id: fc.constant(-1), is_buyer: fc.boolean(), qty, commission: fc.constant('0'), commission_asset: fc.constantFrom('BTC', 'USDT') });
  const input = fc.record({
    position: qty,
    balance: qty,
    base_asset: fc.constant('BTC'),
    step: fc.constantFrom('0.00001000', '0.00100000', '1'),
    tolerance_steps: fc.integer({ min: 0, max: 3 }),
    foreign: fc.array(foreignTrade, { maxLength: 5 }),
    policy: fc.constantFrom('adopt' as const, 'pause' as const),
  });

  it('never adopts more than the own position nor more than the venue balance, never negative, on the lot grid', () => {
    fc.assert(
      fc.property(input, (h) => {
        const v = judgeHoldings(h);
        if (v.kind !== 'ADOPT') return;
        const q = new Dec(v.qty);
        expect(q.gte(0)).toBe(true);
        expect(q.lte(h.position)).toBe(true);
        expect(q.lte(h.balance)).toBe(true);
        expect(q.mod(h.step).isZero()).toBe(true);
      }),
      opts,
    );
  });

  it('says CONSISTENT only for a covered position that nobody else sold from, and judges every other held position', () => {
    fc.assert(
      fc.property(input, (h) => {
        const v = judgeHoldings(h);
        const held = new Dec(h.position).gt(0);
        const soldByOthers = h.foreign.some((t) => !t.is_buyer && new Dec(t.qty).plus(t.commission_asset === 'BTC' ? t.commission : '0').gt(0));
        const short = new Dec(h.balance).plus(new Dec(h.step).mul(h.tolerance_steps)).lt(h.position);
        if (held && (soldByOthers || short)) expect(v.kind).not.toBe('CONSISTENT');
        if (!held || (!soldByOthers && !short)) expect(v.kind).toBe('CONSISTENT');
      }),
      opts,
    );
  });

  it('leaves a change to the operator under the pause policy and adopts it under the adopt policy', () => {
    fc.assert(
      fc.property(input, (h) => {
        const v = judgeHoldings(h);
        if (h.policy === 'pause') expect(v.kind).not.toBe('ADOPT');
        else expect(v.kind).not.toBe('NEEDS_MANUAL');
      }),
      opts,
    );
  });

  it('an exit filled while the bot was down is the bot own trade: counting it leaves nothing to judge', () => {
    // Bought 0.002 (trade 1), the OCO stop leg (order 7 of list 3) sold it while the bot was down (trade 2).
    const known = { orders: new Set([5]), lists: new Set([3]), counted: new Set([1]) };
    const rows: TradeRow[] = [
      { trade_id: 1, order_id: 5, order_list_id: -1, is_buyer: true, qty: '0.002', commission: '0', commission_asset: 'USDT' },
      { trade_id: 2, order_id: 7, order_list_id: 3, is_buyer: false, qty: '0.002', commission: '0', commission_asset: 'USDT' },
    ];
    const s = splitTrades(known, rows);
    expect(s.own.map((t) => t.trade_id)).toEqual([2]);
    expect(s.foreign).toEqual([]);
    expect(judgeHoldings({ position: '0', balance: '0.5', base_asset: 'BTC', step: '0.00001', tolerance_steps: 1, foreign: s.foreign, policy: 'pause' })).toEqual({ kind: 'CONSISTENT' });
  });
});
