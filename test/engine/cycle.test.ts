import { describe, expect, it, vi } from 'vitest';
import { CLIENT_ORDER_ID_RE } from '@vigil/contracts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIM_KEY } from '../integration/harness.js';
import { AI_KEY, breakoutNow, engineDetails, LOAD_TOLERANT_SUPERVISOR, startTrading, waitFor } from './engine-harness.js';

type Ev = {
  seq: number;
  event_type: string;
  cycle_id: number | null;
  snapshot_id: string | null;
  decision_id: string | null;
  order_intent_id: string | null;
  reason_code: string | null;
  payload: string;
};

// Each test has its own venue, reviewer, supervisor and var dir, and mostly waits on the market:
// two run at once, each ending what it started (onTestFinished). A thread starved of CPU by the
// test beside it is not a stalled one here (stall detection is tested in test/integration). No
// backup at start: a thread of its own beside the booting workers (backups: test/integration).
vi.setConfig({ maxConcurrency: 2 });
const BOT = { supervisor: LOAD_TOLERANT_SUPERVISOR };

describe.concurrent('engine: the whole cycle on the simulator', () => {
  it('proposes, reviews through the AI gate, executes, protects with an OCO and reconciles, with ids on every event', async ({ onTestFinished }) => {
    const t = await startTrading({ extra: BOT });
    // Stopped by the test itself before the canary checks; at the end of the test when it failed before that.
    let stopped = false;
    const stopOnce = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      await t.stopAll();
    };
    onTestFinished(stopOnce);
    // Released by startup reconcile on its own (no test shortcut), then trading in NORMAL.
    await waitFor('NORMAL', () => t.sup.modeState.mode === 'NORMAL', 15_000, 50);
    // The first breakout made now (the strategy still proposes it from its bars), the market frozen
    // from there: the entry fills at the ask it saw.
    await breakoutNow(t, { freeze: true, until: 'protected' });
    const placed = await waitFor('protection placed', () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'PROTECTION_PLACED'")[0], 30_000, 100);
    const pp = JSON.parse(placed.payload) as { symbol: string; list_client_order_id: string; unprotected_ms: number; qty: string };
    expect(pp.unprotected_ms).toBeGreaterThanOrEqual(0);

    // The entry: intent committed, then confirmed; its clientOrderId is Binance-valid and derived from the intent.
    const created = t.q<Ev>("SELECT * FROM events WHERE event_type = 'INTENT_CREATED' ORDER BY seq");
    const entry = created.find((e) => (JSON.parse(e.payload) as { kind: string }).kind === 'ENTRY')!;
    expect(entry.cycle_id).toBeGreaterThan(0);
    expect(entry.snapshot_id).toMatch(/^snp_/);
    expect(entry.decision_id).toMatch(/^dec_[0-9a-f]{32}$/);
    const coid = (JSON.parse(entry.payload) as { client_order_id: string }).client_order_id;
    expect(coid).toMatch(CLIENT_ORDER_ID_RE);
    const states = t
      .q<{ to_state: string }>('SELECT to_state FROM intent_transitions WHERE order_intent_id = ? ORDER BY seq', entry.order_intent_id)
      .map((r) => r.to_state);
    expect(states).toEqual(['CONFIRMED']);
    // INTENT_CREATED was committed before the order existed at the venue: its row precedes the order update.
    const firstOrder = t.q<{ seq: number }>(
      "SELECT min(seq) AS seq FROM events WHERE event_type = 'ORDER_UPDATED' AND order_intent_id = ?",
      entry.order_intent_id,
    )[0]!;
    const createdSeq = t.q<{ seq: number }>("SELECT seq FROM events WHERE event_type = 'INTENT_CREATED' AND order_intent_id = ?", entry.order_intent_id)[0]!;
    expect(createdSeq.seq).toBeLessThan(firstOrder.seq);

    // The gate reviewed this very decision (or the one its MODIFY replaced), audited in both places.
    const gate = t.q<{ verdict: string; decision_id: string; input_hash: string; snapshot_hash: string; model: string; latency_ms: number }>(
      'SELECT * FROM ai_gate_events',
    );
    expect(gate.length).toBeGreaterThan(0);
    const reviewed = gate.find(
      (g) =>
        g.decision_id === entry.decision_id ||
        t.q<Ev>("SELECT * FROM events WHERE event_type = 'AIGATE_CALL' AND json_extract(payload, '$.new_decision_id') = ?", entry.decision_id).length > 0,
    );
    expect(reviewed).toBeDefined();
    expect(['ALLOW', 'MODIFY']).toContain(reviewed!.verdict);
    expect(reviewed!.input_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(reviewed!.model).toBe('vigil-reviewer-1');
    const verdicts = t.q<Ev>("SELECT * FROM events WHERE event_type = 'RISK_VERDICT_GIVEN' AND decision_id = ?", entry.decision_id);
    expect(verdicts.some((v) => (JSON.parse(v.payload) as { ok: boolean }).ok)).toBe(true);

    // The venue holds the protection as one OCO list of our own.
    const state = (await (await fetch(`${t.sim.admin}/admin/state`)).json()) as { lists: { listClientOrderId: string; status: string }[] };
    expect(state.lists.filter((l) => l.status === 'EXECUTING').map((l) => l.listClientOrderId)).toContain(pp.list_client_order_id);

    // The OCO's legs carry the PROTECT intent of their list into the orders table (the panel's orders).
    const protect = created.find((e) => (JSON.parse(e.payload) as { kind: string; client_order_id: string }).client_order_id === pp.list_client_order_id);
    expect(protect?.order_intent_id).toMatch(/^oi_/);
    await waitFor(
      'legs in orders',
      () => t.q<{ n: number }>("SELECT count(*) AS n FROM orders WHERE client_order_id LIKE 'vgs%' OR client_order_id LIKE 'vgt%'")[0]!.n >= 2,
      10_000,
      100,
    );
    const legs = t.q<{ client_order_id: string; order_intent_id: string | null }>(
      "SELECT client_order_id, order_intent_id FROM orders WHERE client_order_id LIKE 'vgs%' OR client_order_id LIKE 'vgt%'",
    );
    for (const l of legs.filter((x) => x.client_order_id.slice(3) === pp.list_client_order_id.slice(3)))
      expect(l.order_intent_id).toBe(protect!.order_intent_id);

    // Stage history shows the pipeline, and a reconcile after protection found nothing to correct.
    const stages = t.q<{ stage: string }>('SELECT stage FROM stage_changes ORDER BY seq').map((r) => r.stage);
    for (const s of [
      'STARTUP_RECOVER',
      'STARTUP_RECONCILE',
      'RESUME_MANAGE_ONLY',
      'MARKET_SNAPSHOT',
      'STRATEGY_PROPOSE',
      'AIGATE_CALL',
      'RISK_VERDICT',
      'EXECUTE',
      'PROTECT',
      'IDLE',
    ])
      expect(stages).toContain(s);
    await waitFor(
      'a clean reconcile after protection',
      () => t.q<{ drift: string }>("SELECT drift FROM reconcile_runs WHERE seq > ? AND drift = 'OK'", placed.seq).length > 0,
      10_000,
      100,
    );
    const d = await engineDetails(t.sup);
    const slot = (d['slots'] as { symbol: string; protection: { kind: string; active: boolean } | null }[]).find((s) => s.symbol === pp.symbol);
    expect(slot?.protection).toMatchObject({ kind: 'OCO', active: true });
    const pos = (d['pnl'] as { symbols: { symbol: string; qty: string }[] }).symbols.find((s) => s.symbol === pp.symbol)!;
    expect(Number(pos.qty)).toBeGreaterThanOrEqual(Number(pp.qty));

    // Canaries: the AI key and the exchange secret never reach a request body sent to the model,
    // a database row, a JSONL line or a log line.
    await stopOnce();
    const canaries = [AI_KEY, SIM_KEY.secretKey];
    for (const body of t.reviewer.received) for (const c of canaries) expect(body).not.toContain(c);
    expect(t.reviewer.received.length).toBeGreaterThan(0);
    const files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : []);
    const texts = [...files(join(t.varDir, 'jsonl')), ...files(join(t.varDir, 'log'))].map((f) => readFileSync(f, 'utf8'));
    expect(texts.length).toBeGreaterThan(1);
    const db = join(t.varDir, 'data', 'audit.sqlite');
    const dbBytes = [db, `${db}-wal`]
      .filter(existsSync)
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');
    for (const c of canaries) {
      for (const text of texts) expect(text).not.toContain(c);
      expect(dbBytes).not.toContain(c);
    }
  }, 60_000);

  it('an entry the gate blocks is not sent, and its shadow is resolved once the market has moved', async ({ onTestFinished }) => {
    // Edge above our own cost model but below the reviewer's 2x-cost rule: the gate says BLOCK.
    const t = await startTrading({
      extra: {
        ...BOT,
        strategy: {
          bar_ms: 200,
          lookback_bars: 5,
          vol_bars: 5,
          hold_bars: 20,
          stop_vol_mult: '2',
          take_profit_r: '1.5',
          win_rate_prior: '0.45',
          min_stop_bps: 300,
          cooldown_ms: 500,
          entry_ttl_ms: 3000,
        },
      },
    });
    onTestFinished(t.stopAll);
    // The gate is asked at a breakout made now; the market walks on (the shadow resolves on it).
    await breakoutNow(t, { until: 'gate' });
    const blocked = await waitFor(
      'a BLOCK',
      () => t.q<{ decision_id: string; reasons: string }>("SELECT * FROM ai_gate_events WHERE verdict = 'BLOCK'")[0],
      30_000,
      100,
    );
    expect(JSON.parse(blocked.reasons)).toEqual(['AI_EDGE_THIN']);
    const resolved = await waitFor(
      'the shadow resolved',
      () =>
        t.q<Ev>(
          "SELECT * FROM events WHERE event_type = 'SHADOW_RECORDED' AND decision_id = ? AND json_extract(payload, '$.phase') = 'RESOLVED'",
          blocked.decision_id,
        )[0],
      15_000,
      100,
    );
    expect(['WIN', 'LOSS', 'OPEN', 'NOT_FILLED']).toContain((JSON.parse(resolved.payload) as { outcome: string }).outcome);
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'INTENT_CREATED' AND decision_id = ?", blocked.decision_id)).toHaveLength(0);
    expect(t.sup.modeState.mode).toBe('NORMAL'); // a BLOCK is a verdict, not a failure
  }, 60_000);

  it('a MODIFY from the gate is applied only as it reduces risk: half the size, a new decision_id, the order follows it', async ({ onTestFinished }) => {
    // A long horizon makes the reported volatility high: the reviewer halves the size.
    const t = await startTrading({
      extra: {
        ...BOT,
        strategy: {
          bar_ms: 200,
          lookback_bars: 5,
          vol_bars: 5,
          hold_bars: 2000,
          stop_vol_mult: '2',
          take_profit_r: '2',
          win_rate_prior: '0.5',
          min_stop_bps: 120,
          cooldown_ms: 500,
          entry_ttl_ms: 3000,
        },
      },
    });
    onTestFinished(t.stopAll);
    await breakoutNow(t, { until: 'gate' });
    const call = await waitFor(
      'a MODIFY',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'AIGATE_CALL' AND json_extract(payload, '$.verdict') = 'MODIFY'")[0],
      30_000,
      100,
    );
    const p = JSON.parse(call.payload) as { original_decision_id: string; new_decision_id: string; changed: string[]; reasons: string[] };
    expect(p.changed).toEqual(['quantity']);
    expect(p.reasons).toEqual(['AI_VOLATILITY_HIGH']);
    expect(p.new_decision_id).toMatch(/^dec_[0-9a-f]{32}$/);
    expect(p.new_decision_id).not.toBe(p.original_decision_id);
    const proposed = t.q<Ev>("SELECT * FROM events WHERE event_type = 'DECISION_PROPOSED' AND decision_id = ?", p.original_decision_id)[0]!;
    const original = (JSON.parse(proposed.payload) as { decision: { quantity: string } }).decision.quantity;
    const intent = await waitFor(
      'the entry of the modified decision',
      () => t.q<Ev>("SELECT * FROM events WHERE event_type = 'INTENT_CREATED' AND decision_id = ?", p.new_decision_id)[0],
      10_000,
      50,
    );
    const qty = (JSON.parse(intent.payload) as { quantity: string }).quantity;
    expect(Number(qty)).toBeLessThan(Number(original));
    expect(Number(qty)).toBeGreaterThanOrEqual(Number(original) / 2 - 0.00001);
    expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'INTENT_CREATED' AND decision_id = ?", p.original_decision_id)).toHaveLength(0);
  }, 60_000);
});
