import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionIdOf, type AIGateReviewPayload, type Decision } from '@vigil/contracts';
import { startReviewer, type Reviewer } from '../../apps/ai-reviewer/src/server.js';
import { AIGate } from '../../packages/engine/src/aigate.js';

/**
 * Issue 17: the AI gate reads its reply strictly and within bounds. Each hostile reply below comes
 * from apps/ai-reviewer through the real openai SDK over a socket; a lax reader accepts (or
 * misclassifies) every one of them, and the gate must fail closed with the named reason code.
 */
const KEY = 'sk-gate-strict-key-000000000000000';
let r: Reviewer;
let gate: AIGate;
beforeAll(async () => {
  r = await startReviewer({ apiKey: KEY });
  gate = new AIGate({
    baseUrl: r.baseUrl,
    model: 'vigil-reviewer-1',
    timeoutMs: 3000,
    maxTokens: 400,
    payloadMaxBytes: 16_384,
    maxReplyBytes: 65_536,
    apiKey: KEY,
  });
});
afterAll(async () => {
  await r.close();
});

function decision(): Decision {
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
  };
  return { ids: { run_id: 'run_s', cycle_id: 7, snapshot_id: 'snp_s', decision_id: decisionIdOf(body) }, ...body } as Decision;
}
const market: AIGateReviewPayload['market'] = { bid: '64000.00', ask: '64001.00', spread_bps: 1.5, volatility_bps: 30, data_age_ms: 200 };
const ctx = { mode: 'NORMAL' as const, snapshotHash: 'h_snap', rules: null };
const once = async (m: string) => {
  const res = await fetch(`${r.adminUrl}/admin/mode`, { method: 'POST', body: JSON.stringify({ mode: m, once: true }) });
  expect(res.status).toBe(200);
};

describe('AI gate: strict, bounded reply reading (issue 17)', () => {
  it('a normal reply is still ALLOWed (the strict reader accepts what the SDK is sent by an honest endpoint)', async () => {
    const c = await gate.review(decision(), market, ctx);
    expect(c.outcome.verdict).toBe('ALLOW');
  });

  it.each([
    ['duplicate_keys', 'AIGATE_PARSE_FAIL'],
    ['trailing_data', 'AIGATE_PARSE_FAIL'],
    ['bom', 'AIGATE_PARSE_FAIL'],
    ['nan', 'AIGATE_PARSE_FAIL'],
    ['infinity', 'AIGATE_PARSE_FAIL'],
    ['deep_nesting', 'AIGATE_PARSE_FAIL'],
    ['huge_body', 'AIGATE_PARSE_FAIL'],
    ['gzip_bomb', 'AIGATE_PARSE_FAIL'],
    ['endless_body', 'AIGATE_PARSE_FAIL'],
    ['finish_length', 'AIGATE_PARSE_FAIL'],
    ['two_choices', 'AIGATE_PARSE_FAIL'],
    ['modify_raise_ttl', 'AIGATE_MODIFY_INVALID'],
  ])('reviewer fault %s -> ERROR %s, never a verdict', async (m, code) => {
    await once(m);
    const c = await gate.review(decision(), market, ctx);
    expect(c.outcome).toMatchObject({ verdict: 'ERROR', code });
  });

  it('the reviewer notes are audited with the call: redacted and at most 500 characters', async () => {
    const c = await gate.review(decision(), market, ctx);
    expect(c.notes).toBe('within the rules');
  });
});
