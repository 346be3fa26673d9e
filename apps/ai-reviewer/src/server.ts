import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
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
  /** The last RECEIVED_KEPT request bodies received, oldest first, for the tests' secret checks. */
  readonly received: string[];
  /** How many requests were received in all (received keeps only the last RECEIVED_KEPT). */
  receivedCount(): number;
  close(): Promise<void>;
}

const MAX_BODY = 1_048_576;
/** Request bodies kept: the reviewer runs for months under `npm start`, so not all of them. */
export const RECEIVED_KEPT = 2_000;

/**
 * An OpenAI-compatible endpoint (POST /v1/chat/completions, GET /v1/models) that reviews entries
 * with the rule set in rules.ts and answers in the chat.completion shape with the result as the
 * message content. Its admin port switches fault modes; it never listens beyond loopback.
 */
export async function startReviewer(o: ReviewerOptions = {}): Promise<Reviewer> {
  const fault: FaultState = { mode: 'normal', once: false, delayMs: 0 };
  const received: string[] = [];
  let receivedCount = 0;
  const model = o.model ?? 'vigil-reviewer-1';

  const api = createServer((req, res) => {
    void handleApi(req, res).catch((e: unknown) => send(res, 500, { error: { message: (e as Error).message, type: 'server_error', code: null } }));
  });
  const handleApi = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      return send(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'vigil' }] });
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions')
      return send(res, 404, { error: { message: 'not found', type: 'invalid_request_error', code: null } });
    if (o.apiKey && req.headers.authorization !== `Bearer ${o.apiKey}`) {
      return send(res, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    const body = await readBody(req);
    received.push(body);
    receivedCount++;
    if (received.length > RECEIVED_KEPT) received.splice(0, received.length - RECEIVED_KEPT);
    const mode = fault.mode;
    if (fault.once) Object.assign(fault, { mode: 'normal', once: false });
    if (mode === 'http_429')
      return send(res, 429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '1' });
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
    const content =
      mode === 'leaky_notes'
        ? JSON.stringify({
            verdict: 'BLOCK',
            reasons: ['AI_DATA_STALE'],
            modify: null,
            confidence: 0.9,
            notes: `echo ${String(req.headers.authorization)} api_key=${String(req.headers.authorization).slice(7)}`,
          })
        : payload?.decision
          ? corrupt(mode, honest, payload.decision.quantity, payload.decision.stop_price, payload.decision.side)
          : JSON.stringify(honest);
    const promptTokens = Math.ceil(body.length / 4);
    const completionTokens = Math.ceil(content.length / 4);
    const choice = (c: string, finish = 'stop') => ({
      index: 0,
      message: { role: 'assistant', content: c, refusal: null },
      logprobs: null,
      finish_reason: finish,
    });
    const envelope: Record<string, unknown> = {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [choice(content, mode === 'finish_length' ? 'length' : 'stop')],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    };
    // Envelope-level faults: what a hostile or broken endpoint puts around a valid content.
    switch (mode) {
      case 'trailing_data':
        return sendRaw(res, 200, `${JSON.stringify(envelope)}\n{"choices":[]}`);
      case 'bom':
        return sendRaw(res, 200, `\ufeff${JSON.stringify(envelope)}`);
      case 'infinity':
        return sendRaw(res, 200, JSON.stringify(envelope).replace(/"total_tokens":\d+/, '"total_tokens":1e999'));
      case 'deep_nesting':
        return sendRaw(res, 200, `${JSON.stringify(envelope).slice(0, -1)},"x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
      case 'huge_body':
        return send(res, 200, { ...envelope, system_fingerprint: 'x'.repeat(8 * 1024 * 1024) });
      case 'endless_body':
        return sendEndless(res, JSON.stringify(envelope));
      case 'gzip_bomb':
        return sendRaw(res, 200, gzipBomb(JSON.stringify(envelope)), { 'content-encoding': 'gzip' });
      case 'two_choices': {
        const blocked = JSON.stringify({ verdict: 'BLOCK', reasons: ['AI_SPREAD_WIDE'], modify: null, confidence: 0.9, notes: 'first choice blocks' });
        return send(res, 200, {
          ...envelope,
          choices: [
            { ...choice(blocked), index: 0 },
            { ...choice(content), index: 1 },
          ],
        });
      }
      default:
        return send(res, 200, envelope);
    }
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
      if (req.method === 'GET' && req.url === '/admin/requests') return send(res, 200, { count: receivedCount, bodies: received.slice(-100) });
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
    receivedCount: () => receivedCount,
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

// The 32 MiB of spaces compressed once (about 32 KiB): compressing them at every request took
// seconds of CPU on a loaded machine, longer than the caller's timeout, so the caller saw a slow
// reviewer instead of a bomb.
let bombPadding: Buffer | null = null;

/** The envelope, then 32 MiB of JSON whitespace (still one valid document), as two gzip members a decoder reads as one stream: ~32 KiB on the wire. */
function gzipBomb(envelope: string): Buffer {
  bombPadding ??= gzipSync(Buffer.alloc(32 * 1024 * 1024, 0x20), { level: 9 });
  return Buffer.concat([gzipSync(Buffer.from(envelope)), bombPadding]);
}

/** Chunked, no Content-Length: the envelope, then 64 KiB blocks of spaces while the socket takes them, up to 1 GiB. */
function sendEndless(res: ServerResponse, envelope: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(envelope);
  const block = Buffer.alloc(65_536, 0x20);
  let sent = 0;
  const pump = (): void => {
    while (!res.destroyed && sent < 1024 ** 3) {
      sent += block.length;
      if (!res.write(block)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

function sendRaw(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length, ...headers });
  res.end(bytes);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
