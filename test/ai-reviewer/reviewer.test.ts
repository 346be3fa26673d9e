import OpenAI from 'openai';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIGATE_RESULT_SCHEMA, type AIGateReviewPayload, type AIGateResult } from '@vigil/contracts';
import { RECEIVED_KEPT, startReviewer, type Reviewer } from '../../apps/ai-reviewer/src/server.js';

/**
 * The reviewer as the AI gate will meet it: through the official openai SDK, Chat Completions with
 * a strict json_schema response format, over a real socket.
 */
let r: Reviewer;
let client: OpenAI;
const validate = new Ajv({ strict: false }).compile(AIGATE_RESULT_SCHEMA);
beforeAll(async () => {
  r = await startReviewer({ apiKey: 'sk-test-reviewer-key-000000000000' });
  client = new OpenAI({ apiKey: 'sk-test-reviewer-key-000000000000', baseURL: r.baseUrl, maxRetries: 0, timeout: 2000 });
});
afterAll(async () => {
  await r.close();
});

const payload: AIGateReviewPayload = {
  decision: {
    decision_id: 'dec_1',
    symbol: 'BTCUSDT',
    side: 'BUY',
    quantity: '0.003',
    entry_type: 'LIMIT',
    entry_price: '64000.00',
    stop_price: '63000.00',
    take_profit_price: '66000.00',
    expected_edge_bps: 40,
    expected_cost_bps: 12,
  },
  market: { bid: '64000.00', ask: '64001.00', spread_bps: 1.5, volatility_bps: 30, data_age_ms: 200 },
};

async function ask(p: AIGateReviewPayload = payload): Promise<string> {
  const c = await client.chat.completions.create({
    model: 'vigil-reviewer-1',
    messages: [
      { role: 'system', content: 'Review this entry. Answer only with an AIGateResult.' },
      { role: 'user', content: JSON.stringify(p) },
    ],
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'AIGateResult', strict: true, schema: AIGATE_RESULT_SCHEMA as unknown as Record<string, unknown> },
    },
    max_tokens: 400,
  });
  return c.choices[0]?.message.content ?? '';
}

async function mode(m: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await fetch(`${r.adminUrl}/admin/mode`, { method: 'POST', body: JSON.stringify({ mode: m, ...extra }) });
  expect(res.status).toBe(200);
}

describe('ai-reviewer', () => {
  it('answers a valid AIGateResult through the openai SDK', async () => {
    const content = JSON.parse(await ask()) as AIGateResult;
    expect(validate(content)).toBe(true);
    expect(content).toMatchObject({ verdict: 'ALLOW', reasons: ['AI_OK'] });
  });

  it('refuses a wrong API key with 401', async () => {
    const bad = new OpenAI({ apiKey: 'sk-wrong-0000000000000000', baseURL: r.baseUrl, maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '{}' }] })).rejects.toMatchObject({ status: 401 });
  });

  it.each([
    ['malformed_json', (c: string) => expect(() => JSON.parse(c)).toThrow()],
    ['schema_invalid', (c: string) => expect(validate(JSON.parse(c))).toBe(false)],
    ['unknown_reason', (c: string) => expect((JSON.parse(c) as AIGateResult).reasons).toEqual(['AI_MOON_PHASE'])],
    ['modify_increase_qty', (c: string) => expect((JSON.parse(c) as AIGateResult).modify?.quantity).toBe('0.009')],
    ['modify_loosen_stop', (c: string) => expect((JSON.parse(c) as AIGateResult).modify?.stop_price).toBe('31500')],
    ['modify_change_symbol', (c: string) => expect((JSON.parse(c) as { modify: Record<string, unknown> }).modify['symbol']).toBe('DOGEUSDT')],
  ])('misbehaves on request: %s (once)', async (m, check) => {
    await mode(m, { once: true });
    check(await ask());
    // `once` lasts one call.
    expect((JSON.parse(await ask()) as AIGateResult).verdict).toBe('ALLOW');
  });

  it.each([
    ['http_429', 429],
    ['http_500', 500],
  ])('answers %s with HTTP %i', async (m, status) => {
    await mode(m, { once: true });
    await expect(ask()).rejects.toMatchObject({ status });
  });

  it('can answer after the caller has given up', async () => {
    await mode('slow', { once: true, delay_ms: 400 });
    const impatient = new OpenAI({ apiKey: 'sk-test-reviewer-key-000000000000', baseURL: r.baseUrl, maxRetries: 0, timeout: 100 });
    await expect(impatient.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: JSON.stringify(payload) }] })).rejects.toThrow(
      /timed out/i,
    );
  });

  it('records what it received, for secret checks', async () => {
    await ask();
    const res = (await (await fetch(`${r.adminUrl}/admin/requests`)).json()) as { count: number; bodies: string[] };
    expect(res.count).toBeGreaterThan(0);
    expect(res.bodies.at(-1)).toContain('dec_1');
  });
});

describe('reviewer memory over months (npm start)', () => {
  it('keeps only the last RECEIVED_KEPT request bodies while counting every request (admin /admin/requests count)', async () => {
    const small = await startReviewer({});
    try {
      const n = RECEIVED_KEPT + 25;
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${small.baseUrl}/chat/completions`, { method: 'POST', body: JSON.stringify({ i }) });
        await res.text();
      }
      expect(small.received).toHaveLength(RECEIVED_KEPT);
      expect(small.received[0]).toBe(JSON.stringify({ i: 25 }));
      expect(small.receivedCount()).toBe(n);
      const admin = (await (await fetch(`${small.adminUrl}/admin/requests`)).json()) as { count: number; bodies: string[] };
      expect(admin.count).toBe(n);
      expect(admin.bodies.at(-1)).toBe(JSON.stringify({ i: n - 1 }));
    } finally {
      await small.close();
    }
  }, 60_000);
});
