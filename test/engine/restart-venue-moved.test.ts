import { describe, expect, it, vi, type OnTestFinishedHandler } from 'vitest';
import type { ReasonCode } from '@vigil/contracts';
import { startReviewer, type Reviewer } from '../../apps/ai-reviewer/src/server.js';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { signedAsBot, startVenue } from '../integration/harness.js';
import { AI_KEY, breakoutNow, engineDetails, LOAD_TOLERANT_SUPERVISOR, startTrading, waitFor, TEST_STRATEGY } from './engine-harness.js';
import { SIM_ENGINE } from '../../scripts/lib/sim-profile.ts';

/**
 * The venue moves on while the bot is down: its protection fills, or someone trades the coin by
 * hand. The restarted bot must learn it from REST (order lists, myTrades paged from the last trade
 * it knew, balances) and never act on a position that is gone: no order for coins it does not own.
 */
// Each test has its own venue, reviewer, supervisors and var dir, and mostly waits (on the market,
// boots, reconciles): two run at once, each ending what it started (onTestFinished, last first).
vi.setConfig({ maxConcurrency: 2 });
type OnEnd = (f: OnTestFinishedHandler) => void;
// A thread starved of CPU by the test beside it is not a stalled one here; no backup at start (a
// thread of its own beside the booting workers; backups are not what these tests are about).
const BOT = { supervisor: LOAD_TOLERANT_SUPERVISOR };

type VenueOrder = { clientOrderId: string; side: string; status: string; type: string; symbol: string };
type State = { orders: VenueOrder[]; lists: { listClientOrderId: string; status: string }[]; balances?: unknown };
const venueState = async (sim: ExchangeSim): Promise<State> => (await (await fetch(`${sim.admin}/admin/state`)).json()) as State;
const post = (url: string, body: unknown) => fetch(url, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
const reasons = (t: { sup: { modeState: { reasons: readonly { code: ReasonCode }[] } } }) => t.sup.modeState.reasons.map((r) => r.code);
const ENGINE = {
  ...SIM_ENGINE,
  trailing_enabled: false,
};

const baseFree = async (sim: ExchangeSim): Promise<string> => {
  const a = (await signedAsBot(sim, 'GET', '/api/v3/account', {})) as { balances: { asset: string; free: string; locked: string }[] };
  const b = a.balances.find((x) => x.asset === 'BTC')!;
  return `${b.free}+${b.locked}`;
};

/** First run until its entry is OCO-protected, then stopped with the market frozen. */
async function protectedThenStopped(onEnd: OnEnd, engine: Record<string, unknown> = {}) {
  const sim = await startVenue();
  onEnd(() => sim.close());
  const reviewer: Reviewer = await startReviewer({ apiKey: AI_KEY });
  onEnd(() => reviewer.close());
  const first = await startTrading({ sim, reviewer, extra: { ...BOT, engine: { ...ENGINE, ...engine } } });
  let running: (() => Promise<void>) | null = first.stopAll;
  onEnd(async () => running?.());
  // The first breakout made now, the market frozen from there: the entry fills at the ask it saw.
  await breakoutNow(first, { freeze: true, until: 'protected' });
  const placed = await waitFor(
    'protection placed',
    () => first.q<{ payload: string }>("SELECT payload FROM events WHERE event_type = 'PROTECTION_PLACED'")[0],
    30_000,
    100,
  );
  const plan = JSON.parse(placed.payload) as { list_client_order_id: string; qty: string; stop_price: string; take_profit_price: string };
  await post(`${sim.admin}/admin/market`, { paused: true });
  const pos = ((await engineDetails(first.sup))['pnl'] as { symbols: { symbol: string; qty: string }[] }).symbols.find((s) => s.symbol === 'BTCUSDT')!;
  expect(Number(pos.qty)).toBeGreaterThan(0);
  await first.stopAll();
  running = null;
  const restart = async (extraEngine: Record<string, unknown> = {}) => {
    const second = await startTrading({ sim, reviewer, varDir: first.varDir, extra: { ...BOT, engine: { ...ENGINE, ...engine, ...extraEngine } } });
    onEnd(() => second.stopAll());
    return second;
  };
  return { sim, first, plan, position: pos.qty, restart };
}

const price = (x: number): string => x.toFixed(2);

/**
 * While the bot is down, the price goes through one leg of its OCO (the stop: between the stop and
 * its limit, so the triggered limit sells at once; the take-profit: just above it). Returns the venue
 * state once the list is done, and the base balance then.
 */
async function legFilledWhileDown(
  sim: ExchangeSim,
  plan: { list_client_order_id: string; stop_price: string; take_profit_price: string },
  leg: 'stop' | 'take_profit',
) {
  await post(`${sim.admin}/admin/price`, {
    symbol: 'BTCUSDT',
    price: price(leg === 'stop' ? Number(plan.stop_price) * 0.999 : Number(plan.take_profit_price) * 1.001),
  });
  const before = await waitFor(
    'the OCO done at the venue',
    async () => {
      const s = await venueState(sim);
      return s.lists.find((l) => l.listClientOrderId === plan.list_client_order_id)?.status === 'ALL_DONE' ? s : null;
    },
    5000,
    50,
  );
  return { before, balanceBefore: await baseFree(sim) };
}
/** The symbol's lot step: a position below it is commission dust, not a position (it cannot be sold). */
const lotStep = async (sim: ExchangeSim): Promise<number> => {
  const info = (await (await fetch(`${sim.rest}/api/v3/exchangeInfo?symbol=BTCUSDT`)).json()) as {
    symbols: { filters: { filterType: string; stepSize?: string }[] }[];
  };
  return Number(info.symbols[0]!.filters.find((f) => f.filterType === 'LOT_SIZE')!.stepSize);
};
const botSells = (s: State) => s.orders.filter((o) => o.clientOrderId.startsWith('vg') && o.side === 'SELL');
/**
 * Waits until `n` more periodic reconciles of this run are committed: each one follows management
 * passes on the venue's truth, so "nothing placed since" means the bot had its chances, however
 * slowly a loaded machine runs it (a fixed sleep would give it fewer passes the busier it is).
 */
async function afterReconciles(t: { q: <T>(sql: string, ...a: unknown[]) => T[]; runId: string }, n: number): Promise<void> {
  const count = (): number => t.q<{ n: number }>('SELECT count(*) AS n FROM reconcile_runs WHERE run_id = ?', t.runId)[0]?.n ?? 0;
  const target = count() + n;
  await waitFor(`${n} more reconciles`, () => count() >= target, 30_000, 50);
}

describe.concurrent('restart after the venue moved while the bot was down', () => {
  // Alone, not beside another test: a second bot starving this one of CPU would slow its entry and
  // restart (the engine is stopped first below, so the entry rests whatever the stop's speed).
  it.sequential(
    'resting entry partly filled while down: the restarted bot cancels the rest and protects exactly the filled part',
    async ({ onTestFinished }) => {
      const sim = await startVenue();
      onTestFinished(() => sim.close());
      const reviewer: Reviewer = await startReviewer({ apiKey: AI_KEY });
      onTestFinished(() => reviewer.close());
      const strategy = {
        ...TEST_STRATEGY,
        entry_ttl_ms: 600_000,
        entry_offset_bps: 80,
        max_requotes: 0,
      };
      const first = await startTrading({ sim, reviewer, extra: { ...BOT, engine: ENGINE, strategy } });
      let running: (() => Promise<void>) | null = first.stopAll;
      onTestFinished(async () => running?.());
      // The first breakout made now, the market frozen from there (nothing walks down to the entry).
      await breakoutNow(first, { freeze: true });
      const entry = await waitFor(
        'a resting entry',
        () =>
          first.q<{ client_order_id: string; price: string; orig_qty: string }>(
            "SELECT client_order_id, price, orig_qty FROM orders WHERE client_order_id LIKE 'vge%' AND status = 'NEW'",
          )[0],
        40_000,
        50,
      );
      await post(`${sim.admin}/admin/market`, { paused: true });
      // The engine thread goes first, as if it died: an orderly stop goes through PAUSE, where a
      // management pass cancels a resting entry ('halt'), and on a loaded machine (three forks
      // beside) the stop took long enough for that pass to run. The rest of the bot then stops.
      await first.sup.hosts.engine.stop();
      await first.stopAll();
      running = null;
      expect((await venueState(sim)).orders.find((x) => x.clientOrderId === entry.client_order_id)?.status).toBe('NEW');
      // While down: a thin book walks down through the entry's price and fills a third of it.
      const part = (Math.floor((Number(entry.orig_qty) / 3) * 100_000) / 100_000).toFixed(5);
      await post(`${sim.admin}/admin/liquidity`, { symbol: 'BTCUSDT', askQty: part, levels: 1 });
      await post(`${sim.admin}/admin/price`, { symbol: 'BTCUSDT', price: price(Number(entry.price) * 0.9995) });
      const partly = await waitFor(
        'the entry partly filled at the venue',
        async () => {
          const o = (await venueState(sim)).orders.find((x) => x.clientOrderId === entry.client_order_id) as (VenueOrder & { executedQty: string }) | undefined;
          return o?.status === 'PARTIALLY_FILLED' ? o : null;
        },
        5000,
        50,
      );
      expect(Number(partly.executedQty)).toBeGreaterThan(0);
      // The price back above the entry's limit, then a deep book again: the rest stays unfilled.
      await post(`${sim.admin}/admin/price`, { symbol: 'BTCUSDT', price: price(Number(entry.price) * 1.008) });
      await post(`${sim.admin}/admin/liquidity`, { symbol: 'BTCUSDT', askQty: '2.75', bidQty: '3.5', levels: 20 });
      expect((await venueState(sim)).orders.find((x) => x.clientOrderId === entry.client_order_id)?.status).toBe('PARTIALLY_FILLED');

      const second = await startTrading({ sim, reviewer, varDir: first.varDir, extra: { ...BOT, engine: ENGINE, strategy } });
      onTestFinished(() => second.stopAll());
      // The market stays frozen above the entry until its rest is cancelled: a market that moved on
      // first could walk down through the limit and fill more of it while a slow restart catches up.
      await waitFor(
        'the rest cancelled at the venue',
        async () => (await venueState(sim)).orders.find((x) => x.clientOrderId === entry.client_order_id)?.status === 'CANCELED',
        20_000,
        50,
      );
      await post(`${sim.admin}/admin/market`, { paused: false });
      const placed = await waitFor(
        'the filled part protected',
        () => second.q<{ payload: string }>("SELECT payload FROM events WHERE event_type = 'PROTECTION_PLACED' AND run_id = ?", second.runId)[0],
        20_000,
        50,
      );
      const qty = Number((JSON.parse(placed.payload) as { qty: string }).qty);
      expect(qty).toBeGreaterThan(0);
      expect(qty).toBeLessThanOrEqual(Number(partly.executedQty));
      expect(Number(partly.executedQty) - qty).toBeLessThan((await lotStep(sim)) + Number(partly.executedQty) * 0.002);
    },
    120_000,
  );

  it('an entry of ours working at the venue that the bot does not remember is cancelled at startup, through a CANCEL intent committed first', async ({
    onTestFinished,
  }) => {
    const sim = await startVenue();
    onTestFinished(() => sim.close());
    // An entry-shaped order of ours far below the market, placed before this bot's audit existed.
    const coid = `vge${'q'.repeat(33)}`;
    const placed = await signedAsBot(sim, 'POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.00100',
      price: '30000.00',
      newClientOrderId: coid,
    });
    expect(placed['status']).toBe('NEW');
    const t = await startTrading({ sim, extra: { ...BOT, engine: ENGINE } });
    onTestFinished(() => t.stopAll());
    await waitFor(
      'the stray cancelled at the venue',
      async () => (await venueState(sim)).orders.find((o) => o.clientOrderId === coid)?.status === 'CANCELED',
      20_000,
      50,
    );
    const intent = await waitFor(
      'its CANCEL intent',
      () =>
        t.q<{ seq: number; payload: string }>(
          "SELECT seq, payload FROM events WHERE event_type = 'INTENT_CREATED' AND json_extract(payload, '$.kind') = 'CANCEL' AND json_extract(payload, '$.target') = ?",
          coid,
        )[0],
      5000,
      50,
    );
    expect(JSON.parse(intent.payload)).toMatchObject({ why: 'stray entry', target: coid });
    const confirmed = await waitFor(
      'the intent confirmed',
      () =>
        t.q<{ seq: number }>(
          "SELECT seq FROM events WHERE event_type = 'INTENT_STATE_CHANGED' AND json_extract(payload, '$.to') = 'CONFIRMED' AND json_extract(payload, '$.kind') = 'CANCEL'",
        )[0],
      5000,
      50,
    );
    expect(confirmed.seq).toBeGreaterThan(intent.seq);
    // The reconcile records its diffs once it has finished, after the cancel's reply: on a loaded
    // machine that row may be committed after the intent's confirmation.
    await waitFor('the STRAY_ENTRY_CANCELLED diff', () => t.q("SELECT 1 FROM reconcile_diffs WHERE kind = 'STRAY_ENTRY_CANCELLED'").length > 0, 5000, 50);
  }, 90_000);

  it('stop leg filled while down: the restarted bot records the exit fill, is flat, and places nothing for the gone position', async ({ onTestFinished }) => {
    const { sim, plan, restart } = await protectedThenStopped(onTestFinished);
    const { before, balanceBefore } = await legFilledWhileDown(sim, plan, 'stop');

    const second = await restart();
    await waitFor('released to NORMAL', () => second.sup.modeState.mode === 'NORMAL', 20_000, 50);
    const pos = ((await engineDetails(second.sup))['pnl'] as { symbols: { symbol: string; qty: string }[] }).symbols.find((s) => s.symbol === 'BTCUSDT')!;
    expect(Number(pos.qty)).toBeLessThan(await lotStep(sim));
    const exit = second.q<{ payload: string }>(
      "SELECT payload FROM events WHERE event_type = 'FILL_RECORDED' AND run_id = ? AND json_extract(payload, '$.side') = 'SELL'",
      second.runId,
    );
    expect(exit.length).toBeGreaterThan(0);
    expect((JSON.parse(exit[0]!.payload) as { client_order_id: string }).client_order_id).toMatch(/^vg[st]/);
    // Two more reconciles (and the management passes between them): nothing placed for the position that is gone, no coin sold.
    await afterReconciles(second, 2);
    const after = await venueState(sim);
    expect(botSells(after)).toHaveLength(botSells(before).length);
    expect(await baseFree(sim)).toBe(balanceBefore);
  }, 120_000);

  it('take-profit leg filled while down: the exit and its realized profit are recorded, the bot is flat and sells nothing more', async ({ onTestFinished }) => {
    const { sim, plan, restart } = await protectedThenStopped(onTestFinished);
    const { before, balanceBefore } = await legFilledWhileDown(sim, plan, 'take_profit');

    const second = await restart();
    await waitFor('released to NORMAL', () => second.sup.modeState.mode === 'NORMAL', 20_000, 50);
    const d = await engineDetails(second.sup);
    const pos = (d['pnl'] as { symbols: { symbol: string; qty: string; realized: string }[] }).symbols.find((s) => s.symbol === 'BTCUSDT')!;
    expect(Number(pos.qty)).toBeLessThan(await lotStep(sim));
    expect(Number(pos.realized)).toBeGreaterThan(0);
    const exit = second.q<{ payload: string }>(
      "SELECT payload FROM events WHERE event_type = 'FILL_RECORDED' AND run_id = ? AND json_extract(payload, '$.side') = 'SELL'",
      second.runId,
    );
    expect((JSON.parse(exit[0]!.payload) as { client_order_id: string }).client_order_id).toMatch(/^vgt/);
    await afterReconciles(second, 2);
    expect(botSells(await venueState(sim))).toHaveLength(botSells(before).length);
    expect(await baseFree(sim)).toBe(balanceBefore);
  }, 120_000);

  it('coin sold by hand while down, policy pause: PAUSE_NEEDS_MANUAL with the inventory, and the bot places nothing on the symbol', async ({
    onTestFinished,
  }) => {
    const { sim, plan, restart } = await protectedThenStopped(onTestFinished);
    const sold = await signedAsBot(sim, 'POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      type: 'MARKET',
      quantity: '0.00100',
      newClientOrderId: 'operator-by-hand-1',
    });
    expect(sold['status']).toBe('FILLED');
    const before = await venueState(sim);

    const second = await restart();
    await waitFor('PAUSE_NEEDS_MANUAL', () => reasons(second).includes('PAUSE_NEEDS_MANUAL') && second.sup.modeState.mode === 'PAUSE', 20_000, 50);
    const diff = await waitFor(
      'the diff row',
      () => second.q<{ kind: string; detail: string }>("SELECT * FROM reconcile_diffs WHERE kind = 'POSITION_SOLD_OUTSIDE'")[0],
      5000,
      50,
    );
    const inv = JSON.parse(diff.detail) as {
      why: string;
      foreign_sold: string;
      foreign_trades: { side: string }[];
      state: { position_qty: string; protection: { id: string } | null };
    };
    expect(inv.why).toBe('SOLD_BY_OTHERS');
    expect(Number(inv.foreign_sold)).toBeCloseTo(0.001, 8);
    expect(inv.foreign_trades.every((t) => t.side === 'SELL')).toBe(true);
    expect(Number(inv.state.position_qty)).toBeGreaterThan(0);
    await afterReconciles(second, 2);
    const after = await venueState(sim);
    // Nothing new from the bot, and its standing protection untouched.
    expect(after.orders.filter((o) => o.clientOrderId.startsWith('vg')).length).toBe(before.orders.filter((o) => o.clientOrderId.startsWith('vg')).length);
    expect(after.lists.find((l) => l.listClientOrderId === plan.list_client_order_id)?.status).toBe('EXECUTING');
    expect(second.sup.modeState.mode).toBe('PAUSE');
  }, 120_000);

  it('coin sold by hand while down, policy adopt: the position shrinks to what is left, protection larger than it is cancelled', async ({ onTestFinished }) => {
    const { sim, plan, position, restart } = await protectedThenStopped(onTestFinished, { manual_change_policy: 'adopt' });
    // More than the bot's position: the adopted position is zero and its OCO must not sell on.
    const sold = await signedAsBot(sim, 'POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      type: 'MARKET',
      quantity: (Math.ceil(Number(position) * 100_000) / 100_000 + 0.00001).toFixed(5),
      newClientOrderId: 'operator-by-hand-2',
    });
    expect(sold['status']).toBe('FILLED');

    const second = await restart();
    const diff = await waitFor(
      'the adoption',
      () => second.q<{ kind: string; detail: string }>("SELECT * FROM reconcile_diffs WHERE kind = 'POSITION_ADOPTED_FROM_VENUE'")[0],
      20_000,
      50,
    );
    expect((JSON.parse(diff.detail) as { adopted_qty: string }).adopted_qty).toBe('0');
    await waitFor(
      'the OCO cancelled at the venue',
      async () => (await venueState(sim)).lists.find((l) => l.listClientOrderId === plan.list_client_order_id)?.status === 'ALL_DONE',
      10_000,
      50,
    );
    const legs = (await venueState(sim)).orders.filter((o) => o.clientOrderId.slice(3) === plan.list_client_order_id.slice(3));
    expect(legs.map((o) => o.status).sort()).toEqual(['CANCELED', 'CANCELED']);
    await waitFor('released to NORMAL', () => second.sup.modeState.mode === 'NORMAL', 20_000, 50);
    expect(reasons(second)).not.toContain('PAUSE_NEEDS_MANUAL');
    const pos = ((await engineDetails(second.sup))['pnl'] as { symbols: { symbol: string; qty: string }[] }).symbols.find((s) => s.symbol === 'BTCUSDT')!;
    expect(Number(pos.qty)).toBe(0);
  }, 120_000);
});
