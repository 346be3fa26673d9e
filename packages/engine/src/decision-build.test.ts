import { describe, expect, it } from 'vitest';
import { decisionBody, decisionIdOf } from '@vigil/contracts';
import { BTCUSDT_PRICE_LOT_RULES } from '@vigil/core';
import { buildDecision, checkDecision } from './decision-build.js';
import type { Proposal } from './strategy.js';

const rules = BTCUSDT_PRICE_LOT_RULES;

const proposal: Proposal = {
  symbol: 'BTCUSDT',
  side: 'BUY',
  entry_type: 'LIMIT',
  entry_price: '64000.01',
  entry_offset_bps: 0,
  stop_bps: 150,
  take_profit_bps: 300,
  trailing_delta_bps: 75,
  quote_notional: '50',
  expected_edge_bps: 60,
  volatility_bps: 40,
  signal: {},
};

const build = (p: Proposal = proposal) =>
  buildDecision({
    proposal: p,
    rules,
    ids: { run_id: 'run_1', cycle_id: 3, snapshot_id: 'snp_1' },
    ttl_ms: 15000,
    max_requotes: 0,
    max_notional: '300',
    expected_cost_bps: 25,
  });

describe('buildDecision', () => {
  it('quantizes exactly: quantity down to the step, prices on the tick, id = hash of the body', () => {
    const r = build();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const d = r.decision;
    expect(d.quantity).toBe('0.00078'); // 50 / 64000.01 = 0.000781..., rounded down
    expect(d.stop_price).toBe('63040.00'); // 64000.01 * 0.985 = 63040.00985 -> down
    expect(d.take_profit_price).toBe('65920.01'); // 64000.01 * 1.03 = 65920.0103 -> down
    expect(d.ids.decision_id).toBe(decisionIdOf(decisionBody(d)));
    expect(checkDecision(d)).toBeNull();
  });

  it('refuses a notional below one lot step and an unparseable price', () => {
    expect(build({ ...proposal, quote_notional: '0.0000001' })).toMatchObject({ ok: false });
    expect(build({ ...proposal, entry_price: 'abc' })).toMatchObject({ ok: false });
  });

  it('checkDecision catches a tampered decision: id mismatch, stop above entry, notional over the cap', () => {
    const r = build();
    if (!r.ok) throw new Error(r.why);
    expect(checkDecision({ ...r.decision, quantity: '0.00077' })).toMatch(/decision_id/);
    const bad = { ...r.decision, stop_price: '64500.00' };
    expect(checkDecision({ ...bad, ids: { ...bad.ids, decision_id: decisionIdOf(decisionBody(bad)) } })).toMatch(/stop < entry/);
    const big = { ...r.decision, constraints: { ...r.decision.constraints, max_notional: '10' } };
    expect(checkDecision({ ...big, ids: { ...big.ids, decision_id: decisionIdOf(decisionBody(big)) } })).toMatch(/max_notional/);
  });
});
