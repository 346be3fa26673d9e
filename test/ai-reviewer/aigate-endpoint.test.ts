import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionIdOf, type AIGateReviewPayload, type Decision } from '@vigil/contracts';
import { AIGate } from '../../packages/engine/src/aigate.js';

/**
 * The AI gate against an endpoint that is not a well-behaved model server: a raw node:http server
 * whose every answer is set by the test. Each case must end as an ERROR with its reason code (never
 * a verdict the model did not give), and nothing must be sent anywhere the operator did not
 * configure.
 */
const KEY = 'sk-endpoint-test-key-000000000000';
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let handler: Handler = (_q, res) => res.end();
let server: Server;
let other: Server;
let otherHits: { method: string; auth: string | undefined; body: string }[] = [];
let base = '';
let otherBase = '';

const listen = (s: Server): Promise<string> => new Promise((ok) => s.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((ok) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => ok(b));
  });

beforeAll(async () => {
  server = createServer((req, res) => void readBody(req).then((b) => handler(req, res, b)));
  other = createServer(
    (req, res) =>
      void readBody(req).then((b) => {
        otherHits.push({ method: req.method ?? '', auth: req.headers.authorization, body: b });
        res.writeHead(200, { 'content-type': 'application/json' }).end(completion(allowContent));
      }),
  );
  base = await listen(server);
  otherBase = await listen(other);
});
afterAll(async () => {
  for (const s of [server, other]) {
    s.closeAllConnections();
    await new Promise((ok) => s.close(ok));
  }
});

const allowContent = JSON.stringify({ verdict: 'ALLOW', reasons: ['AI_OK'], modify: null, confidence: 0.9, notes: 'fine' });
function completion(content: string, o: { object?: unknown; role?: unknown; extra?: Record<string, unknown>; message?: Record<string, unknown> } = {}): string {
  return JSON.stringify({
    id: 'c1',
    object: 'object' in o ? o.object : 'chat.completion',
    created: 0,
    model: 'm',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'role' in o ? o.role : 'assistant', content, refusal: null, ...o.message } }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    ...o.extra,
  });
}

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
  return { ids: { run_id: 'run_e', cycle_id: 1, snapshot_id: 'snp_e', decision_id: decisionIdOf(body) }, ...body } as Decision;
}
const market: AIGateReviewPayload['market'] = { bid: '64000.00', ask: '64001.00', spread_bps: 1.5, volatility_bps: 30, data_age_ms: 200 };
const gate = (): AIGate =>
  new AIGate({ baseUrl: `${base}/v1`, model: 'm', timeoutMs: 3000, maxTokens: 400, payloadMaxBytes: 16_384, maxReplyBytes: 65_536, apiKey: KEY });
const review = () => gate().review(decision(), market, { mode: 'NORMAL', snapshotHash: 'h', rules: null });

describe('AI gate against a misbehaving endpoint (raw HTTP)', () => {
  it('a well-formed completion from the raw server is an ALLOW (the harness itself is sound)', async () => {
    handler = (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(completion(allowContent));
    expect((await review()).outcome.verdict).toBe('ALLOW');
  });

  for (const status of [301, 302, 303, 307, 308]) {
    it(`HTTP ${status} redirect to another origin -> AIGATE_TRANSPORT_ERROR, and the other origin receives nothing (no decision, no key)`, async () => {
      otherHits = [];
      handler = (_q, res) => res.writeHead(status, { location: `${otherBase}/v1/chat/completions` }).end();
      const c = await review();
      expect(c.outcome).toMatchObject({ verdict: 'ERROR', code: 'AIGATE_TRANSPORT_ERROR' });
      if (c.outcome.verdict === 'ERROR') expect(c.outcome.detail).toMatch(new RegExp(`HTTP ${status} redirect`));
      expect(otherHits).toEqual([]);
    });
  }

  for (const status of [201, 203, 206, 299]) {
    it(`HTTP ${status} carrying a valid ALLOW completion -> AIGATE_TRANSPORT_ERROR, not ALLOW`, async () => {
      handler = (_q, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(completion(allowContent));
      expect((await review()).outcome).toMatchObject({ verdict: 'ERROR', code: 'AIGATE_TRANSPORT_ERROR' });
    });
  }

  for (const type of ['text/html', 'text/event-stream', 'text/plain', '']) {
    it(`Content-Type ${JSON.stringify(type)} carrying a valid ALLOW completion -> AIGATE_PARSE_FAIL`, async () => {
      handler = (_q, res) => {
        res.writeHead(200, type === '' ? {} : { 'content-type': type });
        res.end(completion(allowContent));
      };
      expect((await review()).outcome).toMatchObject({ verdict: 'ERROR', code: 'AIGATE_PARSE_FAIL' });
    });
  }

  const envelopes: [string, string][] = [
    ['a stream chunk object', completion(allowContent, { object: 'chat.completion.chunk' })],
    ['no object field', completion(allowContent, { object: undefined })],
    ['a top-level error beside the choices', completion(allowContent, { extra: { error: { message: 'x' } } })],
    ['a message whose role is "user"', completion(allowContent, { role: 'user' })],
    ['a legacy function_call', completion(allowContent, { message: { function_call: { name: 'f', arguments: '{}' } } })],
  ];
  for (const [what, body] of envelopes) {
    it(`an envelope with ${what} around a valid ALLOW -> AIGATE_PARSE_FAIL`, async () => {
      handler = (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      expect((await review()).outcome).toMatchObject({ verdict: 'ERROR', code: 'AIGATE_PARSE_FAIL' });
    });
  }

  it('an error body full of forged log lines, ANSI escapes and bidi overrides is quoted bounded, every control shown as an escape', async () => {
    const hostile = `line1\nINFO forged line\r\n\u001b[31mred\u001b[0m \u202Eevil ${'x'.repeat(60_000)}`;
    handler = (_q, res) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: hostile } }));
    const c = await review();
    expect(c.outcome).toMatchObject({ verdict: 'ERROR', code: 'AIGATE_TRANSPORT_ERROR' });
    if (c.outcome.verdict !== 'ERROR') return;
    expect(Array.from(c.outcome.detail).length).toBeLessThanOrEqual(300);
    // eslint-disable-next-line no-control-regex
    expect(c.outcome.detail).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(c.outcome.detail).toContain('\\u000a');
  });

  it('does not send OPENAI_ORG_ID or OPENAI_PROJECT_ID from the environment as headers', async () => {
    const seen: Record<string, string | string[] | undefined>[] = [];
    handler = (q, res) => {
      seen.push(q.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end(completion(allowContent));
    };
    const before = [process.env['OPENAI_ORG_ID'], process.env['OPENAI_PROJECT_ID']];
    process.env['OPENAI_ORG_ID'] = 'org-should-not-leave';
    process.env['OPENAI_PROJECT_ID'] = 'proj-should-not-leave';
    try {
      expect((await review()).outcome.verdict).toBe('ALLOW');
    } finally {
      if (before[0] === undefined) delete process.env['OPENAI_ORG_ID'];
      else process.env['OPENAI_ORG_ID'] = before[0];
      if (before[1] === undefined) delete process.env['OPENAI_PROJECT_ID'];
      else process.env['OPENAI_PROJECT_ID'] = before[1];
    }
    expect(seen[0]?.['openai-organization']).toBeUndefined();
    expect(seen[0]?.['openai-project']).toBeUndefined();
  });
});
