import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffVenue, isOwnOrderId, judgeDrift, type HeldSymbol, type VenueListView, type VenueOrderView } from './venue-diff.js';

const RUNS = 10_000 * Math.max(1, Number(process.env['FUZZ_RUNS'] ?? '1') || 1);
const opts = { numRuns: RUNS, seed: Number(process.env['FUZZ_SEED'] ?? 20261205) };
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];

const coid = fc.oneof(
  fc.constantFrom('vge', 'vgr', 'vgs', 'vgt', 'vgc', 'vgx').chain((p) => fc.integer({ min: 0, max: 9 }).map((n) => `${p}${'a'.repeat(32)}${'abcdefghij'[n]}`)),
  fc.constantFrom('web_abc', 'manual-1', 'x-vgfake', 'and-1'),
);
const order = fc.record({
  symbol: fc.constantFrom('BTCUSDT', 'ETHUSDT', 'BNBUSDT'),
  client_order_id: coid,
  order_list_id: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 4 })),
  type: fc.constantFrom('LIMIT', 'STOP_LOSS', 'LIMIT_MAKER', 'STOP_LOSS_LIMIT'),
  side: fc.constantFrom('BUY', 'SELL'),
  status: fc.constantFrom('NEW', 'PARTIALLY_FILLED'),
  executed_qty: fc.constantFrom('0', '0.001'),
  orig_qty: fc.constant('0.002'),
});
const list = fc.record({
  symbol: fc.constantFrom('BTCUSDT', 'ETHUSDT', 'BNBUSDT'),
  list_client_order_id: fc.oneof(
    fc.integer({ min: 0, max: 4 }).map((n) => `vgl${'b'.repeat(32)}${'abcde'[n]}`),
    fc.constant('foreign-list'),
  ),
  order_list_id: fc.integer({ min: 1, max: 4 }),
});
const held: fc.Arbitrary<HeldSymbol> = fc.record({
  entry_client_order_id: fc.oneof(fc.constant(null), coid),
  protection: fc.oneof(
    fc.constant(null),
    fc.record({
      kind: fc.constant('OCO' as const),
      list_client_order_id: fc.integer({ min: 0, max: 4 }).map((n) => `vgl${'b'.repeat(32)}${'abcde'[n]}`),
      leg_ids: fc.constant([] as string[]),
      active: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('TRAILING' as const),
      client_order_id: fc.integer({ min: 0, max: 9 }).map((n) => `vgr${'a'.repeat(32)}${n}`),
      active: fc.boolean(),
    }),
  ),
});
const input = fc.record({
  orders: fc.array(order, { maxLength: 12 }),
  lists: fc.uniqueArray(list, { maxLength: 4, selector: (l) => l.list_client_order_id }),
  btc: held,
  eth: held,
  intents: fc.uniqueArray(coid, { maxLength: 3 }),
});
const run = (x: { orders: VenueOrderView[]; lists: VenueListView[]; btc: HeldSymbol; eth: HeldSymbol; intents: string[] }) =>
  diffVenue({ symbols: SYMBOLS, held: (s) => (s === 'BTCUSDT' ? x.btc : x.eth), hasIntent: (c) => x.intents.includes(c), orders: x.orders, lists: x.lists });

describe('diffVenue', () => {
  it('a held OCO whose list is no longer open but one of whose legs still is (ALL_DONE with a leg working) is PROTECTION_LEG_WORKING, neither seen nor ended; with no leg open it is PROTECTION_ENDED', () => {
    const lid = `vgl${'b'.repeat(33)}`;
    const tp = `vgt${'b'.repeat(33)}`;
    const held: HeldSymbol = {
      entry_client_order_id: null,
      protection: { kind: 'OCO', list_client_order_id: lid, leg_ids: [tp, `vgs${'b'.repeat(33)}`], active: true },
    };
    const leg: VenueOrderView = {
      symbol: 'BTCUSDT',
      client_order_id: tp,
      order_list_id: 7,
      type: 'LIMIT_MAKER',
      side: 'SELL',
      status: 'PARTIALLY_FILLED',
      executed_qty: '0.0001',
      orig_qty: '0.00074',
    };
    const diff = (orders: VenueOrderView[]) => diffVenue({ symbols: ['BTCUSDT'], held: () => held, hasIntent: () => false, orders, lists: [] });
    expect(diff([leg])).toEqual([{ kind: 'PROTECTION_LEG_WORKING', symbol: 'BTCUSDT' }]);
    expect(diff([])).toEqual([{ kind: 'PROTECTION_ENDED', symbol: 'BTCUSDT', id: lid, protection: 'OCO' }]);
  });

  it('a working leg of ours whose list is no longer open and that nothing holds (after a restart) is adopted through its list, so it is cancelled before anything new is placed; beside a held protection it is left to the operator', () => {
    const lid = `vgl${'c'.repeat(33)}`;
    const leg: VenueOrderView = {
      symbol: 'BTCUSDT',
      client_order_id: `vgt${'c'.repeat(33)}`,
      order_list_id: 9,
      type: 'LIMIT_MAKER',
      side: 'SELL',
      status: 'PARTIALLY_FILLED',
      executed_qty: '0.0001',
      orig_qty: '0.00074',
    };
    const none: HeldSymbol = { entry_client_order_id: null, protection: null };
    const acts = diffVenue({ symbols: ['BTCUSDT'], held: () => none, hasIntent: () => false, orders: [leg], lists: [] });
    expect(acts).toEqual([{ kind: 'ADOPT_LIST', list: { symbol: 'BTCUSDT', list_client_order_id: lid, order_list_id: 9 }, legs: [leg] }]);
    const other: HeldSymbol = { entry_client_order_id: null, protection: { kind: 'TRAILING', client_order_id: `vgr${'d'.repeat(33)}`, active: true } };
    const beside = diffVenue({ symbols: ['BTCUSDT'], held: () => other, hasIntent: () => false, orders: [leg], lists: [] });
    expect(beside.map((a) => a.kind)).toContain('EXTRA_PROTECTION_LIST');
    expect(beside.map((a) => a.kind)).not.toContain('ADOPT_LIST');
  });

  it('adopts as protection only what sells: a trailing-role id on a BUY limit is UNTRACKED_ORDER, a list with a BUY leg EXTRA_PROTECTION_LIST', () => {
    const none: HeldSymbol = { entry_client_order_id: null, protection: null };
    const o = (over: Partial<VenueOrderView>): VenueOrderView => ({
      symbol: 'BTCUSDT',
      client_order_id: `vgr${'a'.repeat(33)}`,
      order_list_id: -1,
      type: 'LIMIT',
      side: 'BUY',
      status: 'NEW',
      executed_qty: '0',
      orig_qty: '1',
      ...over,
    });
    const diff = (orders: VenueOrderView[], lists: VenueListView[] = []) =>
      diffVenue({ symbols: ['BTCUSDT'], held: () => none, hasIntent: () => false, orders, lists }).map((a) => a.kind);
    expect(diff([o({})])).toEqual(['UNTRACKED_ORDER']);
    expect(diff([o({ side: 'SELL', type: 'STOP_LOSS_LIMIT' })])).toEqual(['ADOPT_TRAILING']);
    const lid = `vgl${'b'.repeat(33)}`;
    const legs = [
      o({ client_order_id: `vgt${'b'.repeat(33)}`, order_list_id: 7, side: 'SELL', type: 'LIMIT_MAKER' }),
      o({ client_order_id: `vgs${'b'.repeat(33)}`, order_list_id: 7, type: 'STOP_LOSS_LIMIT' }),
    ];
    const l: VenueListView = { symbol: 'BTCUSDT', list_client_order_id: lid, order_list_id: 7 };
    expect(diff(legs, [l])).toEqual(['EXTRA_PROTECTION_LIST']);
    expect(
      diff(
        legs.map((x) => ({ ...x, side: 'SELL' })),
        [l],
      ),
    ).toEqual(['ADOPT_LIST']);
    expect(diff([], [l])).toEqual(['EXTRA_PROTECTION_LIST']);
  });

  it('never cancels or adopts an order that is not the bot own, nor anything on a symbol it does not trade', () => {
    fc.assert(
      fc.property(input, (x) => {
        for (const a of run(x)) {
          if ('order' in a) {
            assert.ok(SYMBOLS.includes(a.order.symbol), `symbol ${a.order.symbol}`);
            if (!isOwnOrderId(a.order.client_order_id)) assert.strictEqual(a.kind, 'FOREIGN_ORDER');
            else assert.notStrictEqual(a.kind, 'FOREIGN_ORDER');
          }
          if (a.kind === 'ADOPT_LIST' || a.kind === 'EXTRA_PROTECTION_LIST') assert.strictEqual(a.list.list_client_order_id.startsWith('vgl'), true);
        }
      }),
      opts,
    );
  });

  it('gives each open order of the bot that the state does not hold exactly one action, list legs through their list', () => {
    fc.assert(
      fc.property(input, (x) => {
        const acts = run(x);
        for (const [i, o] of x.orders.entries()) {
          const mine = isOwnOrderId(o.client_order_id) && SYMBOLS.includes(o.symbol);
          const h = o.symbol === 'BTCUSDT' ? x.btc : x.eth;
          const heldIt =
            h.entry_client_order_id === o.client_order_id ||
            (h.protection?.kind === 'TRAILING' && h.protection.client_order_id === o.client_order_id) ||
            x.intents.includes(o.client_order_id);
          const n = acts.filter((a) => 'order' in a && a.order === x.orders[i]).length;
          assert.strictEqual(n, mine && !heldIt && o.order_list_id < 0 ? 1 : SYMBOLS.includes(o.symbol) && !isOwnOrderId(o.client_order_id) ? 1 : 0);
        }
      }),
      opts,
    );
  });

  it('adopts at most one protection per symbol, and none where the state holds one', () => {
    fc.assert(
      fc.property(input, (x) => {
        const acts = run(x);
        for (const sym of SYMBOLS) {
          const adopted = acts.filter((a) => (a.kind === 'ADOPT_LIST' && a.list.symbol === sym) || (a.kind === 'ADOPT_TRAILING' && a.order.symbol === sym));
          assert.ok(adopted.length <= 1, `${adopted.length} > 1`);
          if ((sym === 'BTCUSDT' ? x.btc : x.eth).protection) assert.deepStrictEqual(adopted, []);
        }
      }),
      opts,
    );
  });

  it('reports an active held protection that the venue no longer shows as ended, and only then', () => {
    fc.assert(
      fc.property(input, (x) => {
        const acts = run(x);
        for (const sym of SYMBOLS) {
          const p = (sym === 'BTCUSDT' ? x.btc : x.eth).protection;
          const gone =
            p !== null &&
            p.active &&
            (p.kind === 'OCO'
              ? !x.lists.some((l) => l.list_client_order_id === p.list_client_order_id)
              : !x.orders.some((o) => o.client_order_id === p.client_order_id));
          assert.strictEqual(
            acts.some((a) => a.kind === 'PROTECTION_ENDED' && a.symbol === sym),
            gone,
          );
        }
      }),
      opts,
    );
  });

  it('reports a held protection that the venue shows open as seen (an OCO by its list, a trailing stop by its order: the latter only while not yet active), and only then', () => {
    fc.assert(
      fc.property(input, (x) => {
        const acts = run(x);
        for (const sym of SYMBOLS) {
          const p = (sym === 'BTCUSDT' ? x.btc : x.eth).protection;
          const seen =
            p !== null &&
            (p.kind === 'OCO'
              ? x.lists.some((l) => l.symbol === sym && l.list_client_order_id === p.list_client_order_id)
              : !p.active && x.orders.some((o) => o.client_order_id === p.client_order_id));
          assert.strictEqual(acts.filter((a) => a.kind === 'PROTECTION_SEEN' && a.symbol === sym).length, seen ? 1 : 0);
        }
      }),
      opts,
    );
  });

  it('judges the same orders foreign, stray and ended whatever the order of the venue rows', () => {
    fc.assert(
      fc.property(input, fc.integer(), (x, seed) => {
        const key = (a: ReturnType<typeof run>[number]) =>
          `${a.kind}:${'order' in a ? a.order.client_order_id + a.order.symbol : 'symbol' in a ? a.symbol : ''}`;
        const pick = (acts: ReturnType<typeof run>) =>
          acts
            .filter((a) => ['FOREIGN_ORDER', 'CANCEL_STRAY_ENTRY', 'PROTECTION_ENDED'].includes(a.kind))
            .map(key)
            .sort();
        const shuffled = {
          ...x,
          orders: [...x.orders].sort((a, b) => ((a.client_order_id.length * 7 + seed) % 5) - ((b.client_order_id.length * 7 + seed) % 5)).reverse(),
        };
        assert.deepStrictEqual(pick(run(shuffled)), pick(run(x)));
      }),
      opts,
    );
  });
});

describe('judgeDrift: the drift verdict over a sequence of reconciles', () => {
  const diff = fc.record({
    kind: fc.constantFrom('FOREIGN_ORDER', 'MISSED_FILLS', 'PROTECTION_ENDED_UNSEEN', 'POSITION_EXCEEDS_BALANCE'),
    severity: fc.constantFrom<'WARN' | 'BAD'>('WARN', 'BAD'),
  });
  const round = fc.record({ dt: fc.integer({ min: 0, max: 120_000 }), diffs: fc.array(diff, { maxLength: 4 }) });
  const BAD_AFTER = 300_000;

  it('foreign orders alone are OK and reset the clock; any BAD diff is BAD; WARN turns BAD only after correctable drift lasting longer than the bound without a clean reconcile', () => {
    fc.assert(
      fc.property(fc.array(round, { minLength: 1, maxLength: 30 }), (rounds) => {
        let since: number | null = null;
        let now = 0;
        // The model: when the current unbroken run of correctable drift began.
        let runStart: number | null = null;
        for (const r of rounds) {
          now += r.dt;
          const relevant = r.diffs.filter((x) => x.kind !== 'FOREIGN_ORDER');
          const bad = r.diffs.some((x) => x.severity === 'BAD');
          const out = judgeDrift(r.diffs, since, now, BAD_AFTER);
          if (relevant.length === 0) runStart = null;
          else if (!bad) runStart ??= now;
          since = out.warn_since;
          assert.strictEqual(since, runStart);
          if (bad) assert.strictEqual(out.drift, 'BAD');
          else if (relevant.length === 0) assert.strictEqual(out.drift, 'OK');
          else assert.strictEqual(out.drift, runStart !== null && now - runStart > BAD_AFTER ? 'BAD' : 'WARN');
        }
      }),
      opts,
    );
  });

  it('a foreign order reported for longer than the bound does not make the first correctable diff after it BAD', () => {
    const foreign = [{ kind: 'FOREIGN_ORDER', severity: 'WARN' as const }];
    let since = judgeDrift(foreign, null, 0, BAD_AFTER).warn_since;
    since = judgeDrift(foreign, since, 400_000, BAD_AFTER).warn_since;
    expect(judgeDrift([...foreign, { kind: 'MISSED_FILLS', severity: 'WARN' }], since, 800_000, BAD_AFTER).drift).toBe('WARN');
  });
});
