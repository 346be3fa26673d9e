import { afterEach, describe, expect, it } from 'vitest';
import { startReviewer, type Reviewer } from '../../apps/ai-reviewer/src/server.js';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { startVenue } from '../integration/harness.js';
import { AI_KEY, breakoutNow, engineDetails, startTrading, waitFor } from './engine-harness.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

type State = { orders: { clientOrderId: string; status: string }[]; lists: { listClientOrderId: string; status: string }[] };
const venueState = async (sim: ExchangeSim): Promise<State> => (await (await fetch(`${sim.admin}/admin/state`)).json()) as State;

describe('engine restart', () => {
  it('stopped with an OCO-protected position, restarts and rebuilds it from the audit and REST: adopted, no duplicate order, the AI gate latency window kept', async () => {
    const sim = await startVenue();
    const reviewer: Reviewer = await startReviewer({ apiKey: AI_KEY });
    cleanup.push(
      () => sim.close(),
      () => reviewer.close(),
    );
    const first = await startTrading({ sim, reviewer });
    let running: (() => Promise<void>) | null = first.stopAll;
    cleanup.push(async () => running?.());
    // The first breakout made now, the market frozen from there: the entry fills at the ask it saw.
    await breakoutNow(first, { freeze: true, until: 'protected' });
    const placed = await waitFor(
      'protection placed',
      () => first.q<{ payload: string }>("SELECT payload FROM events WHERE event_type = 'PROTECTION_PLACED'")[0],
      30_000,
      100,
    );
    const list = (JSON.parse(placed.payload) as { list_client_order_id: string }).list_client_order_id;
    // Freeze the market so the protection neither fills nor triggers while the bot is down.
    await fetch(`${sim.admin}/admin/market`, { method: 'POST', body: JSON.stringify({ paused: true }) });
    const posBefore = ((await engineDetails(first.sup))['pnl'] as { symbols: { symbol: string; qty: string; avg_price: string }[] }).symbols.find(
      (s) => s.symbol === 'BTCUSDT',
    )!;
    const gateBefore = (await engineDetails(first.sup))['ai_gate_latency'] as { n: number; mean_ms: number | null };
    expect(gateBefore.n).toBeGreaterThan(0);
    await first.stopAll();
    running = null;
    const before = await venueState(sim);
    expect(before.lists.filter((l) => l.status === 'EXECUTING').map((l) => l.listClientOrderId)).toEqual([list]);

    const second = await startTrading({ sim, reviewer, varDir: first.varDir });
    running = second.stopAll;
    await waitFor('released to NORMAL by startup reconcile', () => second.sup.modeState.mode === 'NORMAL', 20_000, 50);
    const d = await engineDetails(second.sup);
    const slot = (d['slots'] as { symbol: string; protection: { kind: string; active: boolean; qty: string } | null }[]).find((s) => s.symbol === 'BTCUSDT');
    expect(slot?.protection).toMatchObject({ kind: 'OCO', active: true });
    const pos = (d['pnl'] as { symbols: { symbol: string; qty: string; avg_price: string }[] }).symbols.find((s) => s.symbol === 'BTCUSDT')!;
    expect(pos.qty).toBe(posBefore.qty);
    expect(Number(pos.avg_price)).toBeCloseTo(Number(posBefore.avg_price), 6);
    // Give the released engine a few cycles: it must not place anything new on BTCUSDT.
    await new Promise((r) => setTimeout(r, 1500));
    const after = await venueState(sim);
    expect(after.orders.length).toBe(before.orders.length);
    expect(after.lists.filter((l) => l.status === 'EXECUTING').map((l) => l.listClientOrderId)).toEqual([list]);
    // The AI gate's latency window (the AIGATE_CALL health signals) covers the calls made before the restart.
    expect((await engineDetails(second.sup))['ai_gate_latency']).toEqual(gateBefore);
    const adopted = second.q<{ kind: string }>("SELECT kind FROM reconcile_diffs WHERE kind = 'PROTECTION_ADOPTED'");
    expect(adopted.length).toBeGreaterThan(0);
    const stages = second.q<{ stage: string }>('SELECT stage FROM stage_changes WHERE run_id = ? ORDER BY seq', second.runId).map((r) => r.stage);
    expect(stages.slice(0, 3)).toEqual(['STARTUP_RECOVER', 'STARTUP_RECONCILE', 'RESUME_MANAGE_ONLY']);
  }, 90_000);
});
