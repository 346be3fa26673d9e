import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AIGateResult, AIGateReviewPayload } from '@vigil/contracts';
import { corrupt, FAULT_MODES, type FaultMode, type FaultState } from './faults.js';
import { review } from './rules.js';

export interface ReviewerOptions {
  readonly port?: number;
  readonly adminPort?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string | null;
  readonly model?: string;
}

export interface Reviewer {
  readonly baseUrl: string;
  readonly adminUrl: string;
  /** Every request body received, for the tests' secret checks. */
  readonly received: string[];
  close(): Promise<void>;
}

const MAX_BODY = 1_048_576;

/**
 * An OpenAI-compatible endpoint (POST /v1/chat/completions, GET /v1/models) that reviews entries
 * with the rule set in rules.ts and answers in the chat.completion shape with the result as the
 * message content. Its admin port switches fault modes; it never listens beyond loopback.
 */
export async function startReviewer(o: ReviewerOptions = {}): Promise<Reviewer> {
  const fault: FaultState = { mode: 'normal', once: false, delayMs: 0 };
  const received: string[] = [];
  const model = o.model ?? 'vigil-reviewer-1';

  const api = createServer((req, res) => {
    void handleApi(req, res).catch((e: unknown) => send(res, 500, { error: { message: (e as Error).message, type: 'server_error', code: null } }));
  });
  const handleApi = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      return send(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'vigil' }] });
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return send(res, 404, { error: { message: 'not found', type: 'invalid_request_error', code: null } });
    if (o.apiKey && req.headers.authorization !== `Bearer ${o.apiKey}`) {
      return send(res, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    const body = await readBody(req);
    received.push(body);
    const mode = fault.mode;
    if (fault.once) Object.assign(fault, { mode: 'normal', once: false });
    if (mode === 'http_429') return send(res, 429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '1' });
    if (mode === 'http_500') return send(res, 500, { error: { message: 'The server had an error', type: 'server_error', code: null } });
    if (mode === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
    let payload: AIGateReviewPayload | null = null;
    try {
      const req = JSON.parse(body) as { messages?: { role: string; content: string }[] };
      const user = [...(req.messages ?? [])].reverse().find((m) => m.role === 'user');
      payload = user ? (JSON.parse(user.content) as AIGateReviewPayload) : null;
    } catch {
      payload = null;
    }
    const honest: AIGateResult =
      payload?.decision && payload.market
        ? review(payload)
        : { verdict: 'BLOCK', reasons: ['AI_DATA_STALE'], modify: null, confidence: 1, notes: 'review payload unreadable' };
    const content = payload?.decision ? corrupt(mode, honest, payload.decision.quantity, payload.decision.stop_price, payload.decision.side) : JSON.stringify(honest);
    const promptTokens = Math.ceil(body.length / 4);
    const completionTokens = Math.ceil(content.length / 4);
    return send(res, 200, {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    });
  };

  const admin = createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/admin/mode') return send(res, 200, fault);
      if (req.method === 'POST' && req.url === '/admin/mode') {
        const b = JSON.parse((await readBody(req)) || '{}') as { mode?: string; once?: boolean; delay_ms?: number };
        if (!FAULT_MODES.includes(b.mode as FaultMode)) return send(res, 400, { error: `mode must be one of ${FAULT_MODES.join(', ')}` });
        Object.assign(fault, { mode: b.mode as FaultMode, once: b.once === true, delayMs: Math.max(0, Number(b.delay_ms ?? 0)) });
        return send(res, 200, fault);
      }
      if (req.method === 'GET' && req.url === '/admin/requests') return send(res, 200, { count: received.length, bodies: received.slice(-100) });
      return send(res, 404, { error: 'not found' });
    })().catch((e: unknown) => send(res, 400, { error: (e as Error).message }));
  });

  const listen = (s: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
    });
  const apiPort = await listen(api, o.port ?? 0);
  const adminPort = await listen(admin, o.adminPort ?? 0);
  return {
    baseUrl: `http://127.0.0.1:${apiPort}/v1`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    received,
    close: async () => {
      for (const s of [api, admin]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
