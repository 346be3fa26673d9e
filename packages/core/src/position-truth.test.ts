import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from './decimal.js';
import { judgeHoldings, splitTrades, type TradeRow } from './position-truth.js';

/** fast-check runs per property: 10 000 in CI (fixed seed); FUZZ_RUNS multiplies them (npm run fuzz), FUZZ_SEED changes the seed. */
const RUNS = 10_000 * Math.max(1, Number(process.env['FUZZ_RUNS'] ?? '1') || 1);
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
        const shuffled = [...rows, ...rows.slice(0, seed % 7 >= 0 ? seed % 7 : 0)].sort(
          (x, y) => ((x.trade_id * 31 + seed) % 17) - ((y.trade_id * 31 + seed) % 17),
        );
        const b = splitTrades(known, shuffled);
        const idsOf = (t: readonly TradeRow[]) => t.map((x) => x.trade_id);
        const all = [...idsOf(a.own), ...idsOf(a.foreign), ...idsOf(a.counted)].sort((x, y) => x - y);
        assert.deepStrictEqual(
          all,
          [...new Set(rows.map((r) => r.trade_id))].sort((x, y) => x - y),
        );
        assert.deepStrictEqual(idsOf(b.own), idsOf(a.own));
        assert.deepStrictEqual(idsOf(b.foreign), idsOf(a.foreign));
        assert.strictEqual(a.last_trade_id, rows.length ? Math.max(...rows.map((r) => r.trade_id)) : null);
        // Ascending, and a foreign trade is never of a known order or list.
        for (const part of [a.own, a.foreign, a.counted])
          assert.deepStrictEqual(
            idsOf(part),
            [...idsOf(part)].sort((x, y) => x - y),
          );
        for (const f of a.foreign) assert.strictEqual(orders.has(f.order_id) || (f.order_list_id >= 0 && lists.has(f.order_list_id)), false);
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
        assert.deepStrictEqual(again.own, []);
        assert.deepStrictEqual(
          again.foreign.map((t) => t.trade_id),
          first.foreign.map((t) => t.trade_id),
        );
      }),
      opts,
    );
  });
});

describe('judgeHoldings', () => {
  const foreignTrade = fc.record({
    trade_id: fc.integer({ min: 1, max: 1000 }),
    order_id: fc.constant(999),
    order_list_id: fc.constant(-1),
    is_buyer: fc.boolean(),
    qty,
    commission: fc.constant('0'),
    commission_asset: fc.constantFrom('BTC', 'USDT'),
  });
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
        assert.strictEqual(q.gte(0), true);
        assert.strictEqual(q.lte(h.position), true);
        assert.strictEqual(q.lte(h.balance), true);
        assert.strictEqual(q.mod(h.step).isZero(), true);
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
        if (held && (soldByOthers || short)) assert.notStrictEqual(v.kind, 'CONSISTENT');
        if (!held || (!soldByOthers && !short)) assert.strictEqual(v.kind, 'CONSISTENT');
      }),
      opts,
    );
  });

  it('leaves a change to the operator under the pause policy and adopts it under the adopt policy', () => {
    fc.assert(
      fc.property(input, (h) => {
        const v = judgeHoldings(h);
        if (h.policy === 'pause') assert.notStrictEqual(v.kind, 'ADOPT');
        else assert.notStrictEqual(v.kind, 'NEEDS_MANUAL');
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
    expect(
      judgeHoldings({ position: '0', balance: '0.5', base_asset: 'BTC', step: '0.00001', tolerance_steps: 1, foreign: s.foreign, policy: 'pause' }),
    ).toEqual({ kind: 'CONSISTENT' });
  });
});

/**
 * The reconcile loop as the engine runs it (splitTrades, count the own trades, judgeHoldings on
 * the others' trades while holding and on the balance), over random sequences of what happens at
 * the venue: the bot's fills it may not have seen (a restart, a lost stream), the operator's trades
 * and withdrawals while the bot is down. Invariants after every reconcile: the bot's position is
 * never more than its own fills net (it never owns the operator's coins), never more than the
 * balance unless the symbol is left to the operator, and the bot only ever sells what it holds.
 */
describe('the reconcile loop over random venue histories', () => {
  type Step =
    | { k: 'bot_buy'; q: number }
    | { k: 'bot_sell' }
    | { k: 'op_sell'; q: number }
    | { k: 'op_buy'; q: number }
    | { k: 'withdraw'; q: number }
    | { k: 'reconcile' };
  const units = fc.integer({ min: 1, max: 500 });
  const step: fc.Arbitrary<Step> = fc.oneof(
    units.map((q) => ({ k: 'bot_buy' as const, q })),
    fc.constant({ k: 'bot_sell' as const }),
    units.map((q) => ({ k: 'op_sell' as const, q })),
    units.map((q) => ({ k: 'op_buy' as const, q })),
    units.map((q) => ({ k: 'withdraw' as const, q })),
    fc.constant({ k: 'reconcile' as const }),
  );
  const LOT = new Dec('0.00001');
  const u = (n: number) => LOT.mul(n);

  it('keeps the position within the bot own fills and the balance, under both policies, with restarts at any point', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 40 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.constantFrom('adopt' as const, 'pause' as const),
        (steps, opHold, policy) => {
          let balance = u(opHold);
          const trades: TradeRow[] = [];
          const ownOrders = new Set<number>();
          let nextId = 1;
          let ownNet = new Dec(0); // what the bot's own orders bought minus sold, at the venue
          // The bot's audited state (a restart keeps exactly this).
          let pos = new Dec(0);
          const counted = new Set<number>();
          let last = 0;
          let frozen = false;
          const trade = (own: boolean, buyer: boolean, q: Dec) => {
            const order = nextId + 10_000;
            if (own) ownOrders.add(order);
            trades.push({
              trade_id: nextId++,
              order_id: order,
              order_list_id: -1,
              is_buyer: buyer,
              qty: q.toFixed(),
              commission: '0',
              commission_asset: 'USDT',
            });
          };
          for (const s of [...steps, { k: 'reconcile' as const }]) {
            switch (s.k) {
              case 'bot_buy':
                if (frozen) break;
                balance = balance.plus(u(s.q));
                ownNet = ownNet.plus(u(s.q));
                trade(true, true, u(s.q)); // filled; the bot learns it at the next reconcile
                break;
              case 'bot_sell': {
                if (frozen) break;
                // The protection sells what the bot holds, capped by the balance (as protectableQty).
                const q = Dec.min(pos, balance);
                if (q.lte(0)) break;
                assert.strictEqual(q.lte(pos), true);
                balance = balance.minus(q);
                ownNet = ownNet.minus(q);
                pos = pos.minus(q);
                trade(true, false, q);
                counted.add(nextId - 1);
                break;
              }
              case 'op_sell': {
                const q = Dec.min(u(s.q), balance);
                if (q.lte(0)) break;
                balance = balance.minus(q);
                trade(false, false, q);
                break;
              }
              case 'op_buy':
                balance = balance.plus(u(s.q));
                trade(false, true, u(s.q));
                break;
              case 'withdraw':
                balance = balance.minus(Dec.min(u(s.q), balance));
                break;
              case 'reconcile': {
                const split = splitTrades(
                  { orders: ownOrders, lists: new Set(), counted },
                  trades.filter((t) => t.trade_id > last),
                );
                for (const t of split.own) {
                  counted.add(t.trade_id);
                  pos = t.is_buyer ? pos.plus(t.qty) : Dec.max(0, pos.minus(t.qty));
                }
                const held = pos.gt(0);
                const v = judgeHoldings({
                  position: pos.toFixed(),
                  balance: balance.toFixed(),
                  base_asset: 'BTC',
                  step: LOT.toFixed(),
                  tolerance_steps: 0,
                  foreign: held ? split.foreign : [],
                  policy,
                });
                if (v.kind === 'ADOPT') pos = new Dec(v.qty);
                if (v.kind === 'NEEDS_MANUAL') frozen = true;
                else if (split.last_trade_id !== null) last = split.last_trade_id;
                // Invariants.
                assert.strictEqual(pos.lte(Dec.max(ownNet, 0)), true);
                if (!frozen) assert.strictEqual(pos.lte(balance), true);
                if (policy === 'adopt') assert.strictEqual(frozen, false);
                break;
              }
            }
          }
        },
      ),
      { numRuns: Math.max(1000, Math.floor(RUNS / 2)), seed: SEED },
    );
  });
});
