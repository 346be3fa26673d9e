import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionIdOf, inputHash, type AIGateReviewPayload, type Decision } from '@vigil/contracts';
import { registerSecret } from '@vigil/core';
import { startReviewer, type Reviewer } from '../../apps/ai-reviewer/src/server.js';
import { AIGate } from '../../packages/engine/src/aigate.js';

/**
 * The AI gate against the local reviewer over a real socket: each verdict, each failure mode with
 * its exact reason code, and no secret in what the reviewer receives.
 */
const KEY = 'sk-gate-test-key-0000000000000000';
const CANARY = 'CANARY-aigate-9f8e7d6c5b';
let r: Reviewer;
let gate: AIGate;
beforeAll(async () => {
  registerSecret(CANARY);
  process.env['VIGIL_TEST_CANARY'] = CANARY;
  r = await startReviewer({ apiKey: KEY });
  gate = new AIGate({
    baseUrl: r.baseUrl,
    model: 'vigil-reviewer-1',
    // A local reviewer answers in milliseconds, but a loaded 2-core machine (another test file's
    // threads starting beside this one) has taken more than 300 ms: a timeout then fails the ALLOW
    // and MODIFY cases with ERROR. The slow fault answers well past this bound.
    timeoutMs: 1500,
    maxTokens: 400,
    payloadMaxBytes: 16_384,
    maxReplyBytes: 65_536,
    apiKey: KEY,
  });
});
afterAll(async () => {
  await r.close();
});

function decision(o: Partial<Decision> = {}): Decision {
  const body = {
    symbol: 'BTCUSDT',
    side: 'BUY' as const,
    intent: 'ENTRY' as const,
    quantity: '0.004',
    entry_type: 'LIMIT' as const,
    entry_price: '64000',
    stop_price: '63000',
    take_profit_price: '66000',
    trailing_delta_bps: null,
    expected_edge_bps: 40,
    expected_cost_bps: 12,
    constraints: { max_quantity: '0.01', max_notional: '1000', ttl_ms: 30_000, max_requotes: 3 },
    ...o,
  };
  return { ids: { run_id: 'run_g', cycle_id: 3, snapshot_id: 'snp_g', decision_id: decisionIdOf(body) }, ...body } as Decision;
}
const market = (m: Partial<AIGateReviewPayload['market']> = {}): AIGateReviewPayload['market'] => ({
  bid: '64000.00',
  ask: '64001.00',
  spread_bps: 1.5,
  volatility_bps: 30,
  data_age_ms: 200,
  ...m,
});
const ctx = { mode: 'NORMAL' as const, snapshotHash: 'h_snap', rules: null };
const mode = async (m: string, extra: object = {}) => {
  const res = await fetch(`${r.adminUrl}/admin/mode`, { method: 'POST', body: JSON.stringify({ mode: m, once: true, ...extra }) });
  expect(res.status).toBe(200);
};

describe('AI gate against apps/ai-reviewer', () => {
  it('ALLOW keeps the decision; the call is measured and hashed (input_hash = inputHash of the payload sent)', async () => {
    const d = decision();
    const c = await gate.review(d, market(), ctx);
    expect(c.outcome.verdict).toBe('ALLOW');
    const { ids, intent: _i, trailing_delta_bps: _t, constraints: _c, ...fields } = d;
    expect(c.input_hash).toBe(inputHash({ decision: { decision_id: ids.decision_id, ...fields }, market: market() }));
    expect(c.latency_ms).toBeGreaterThan(0);
    expect(c.tokens).toBeGreaterThan(0);
  });

  it('BLOCK on a wide spread', async () => {
    const c = await gate.review(decision(), market({ spread_bps: 40 }), ctx);
    expect(c.outcome).toMatchObject({ verdict: 'BLOCK', reasons: ['AI_SPREAD_WIDE'] });
  });

  it('MODIFY applied: half size, new decision_id, nothing else changed', async () => {
    const d = decision();
    const c = await gate.review(d, market({ volatility_bps: 150 }), ctx);
    expect(c.outcome.verdict).toBe('MODIFY');
    if (c.outcome.verdict !== 'MODIFY') return;
    expect(c.outcome.decision.quantity).toBe('0.002');
    expect(c.outcome.changed).toEqual(['quantity']);
    expect(c.outcome.decision.ids.decision_id).not.toBe(d.ids.decision_id);
    expect(c.outcome.original_decision_id).toBe(d.ids.decision_id);
  });

  it.each([
    ['slow', 'AIGATE_TIMEOUT', { delay_ms: 3000 }],
    ['malformed_json', 'AIGATE_PARSE_FAIL', {}],
    ['schema_invalid', 'AIGATE_SCHEMA_INVALID', {}],
    ['unknown_reason', 'AIGATE_REASON_UNKNOWN', {}],
    ['modify_increase_qty', 'AIGATE_MODIFY_INVALID', {}],
    ['modify_loosen_stop', 'AIGATE_MODIFY_INVALID', {}],
    ['modify_change_symbol', 'AIGATE_MODIFY_INVALID', {}],
    ['http_429', 'AIGATE_TRANSPORT_ERROR', {}],
    ['http_500', 'AIGATE_TRANSPORT_ERROR', {}],
  ])('reviewer fault %s -> %s', async (m, code, extra) => {
    await mode(m, extra);
    const c = await gate.review(decision(), market(), ctx);
    expect(c.outcome).toMatchObject({ verdict: 'ERROR', code });
  });

  it('is never called for an entry outside NORMAL', async () => {
    const before = r.received.length;
    for (const m of ['DEGRADE', 'PAUSE'] as const) {
      const c = await gate.review(decision(), market(), { ...ctx, mode: m });
      expect(c.outcome.verdict).toBe('NOT_CALLED');
    }
    expect(r.received.length).toBe(before);
  });

  it('fails closed without a key, and on an invalid decision, without calling', async () => {
    const before = r.received.length;
    const keyless = new AIGate({
      baseUrl: r.baseUrl,
      model: 'm',
      timeoutMs: 300,
      maxTokens: 100,
      payloadMaxBytes: 16_384,
      maxReplyBytes: 65_536,
      apiKey: null,
    });
    expect((await keyless.review(decision(), market(), ctx)).outcome).toMatchObject({ verdict: 'ERROR', code: 'AIGATE_PRECONDITION_FAILED' });
    expect((await gate.review(decision({ quantity: '1e-3' }), market(), ctx)).outcome).toMatchObject({ verdict: 'ERROR', code: 'AIGATE_PRECONDITION_FAILED' });
    expect(r.received.length).toBe(before);
  });

  it('never sends a secret: not the canary in the environment, not the API key', async () => {
    await gate.review(decision(), market(), ctx);
    const all = r.received.join('\n');
    expect(all).not.toContain(CANARY);
    expect(all).not.toContain(KEY);
  });
});
