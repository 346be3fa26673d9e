import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type OpenAI from 'openai';
import {
  AIGATE_REASONS,
  AIGATE_RESULT_SCHEMA,
  canonicalJson,
  sha256Hex,
  type AIGateResult,
  type AIGateReviewPayload,
  type Decision,
  type Mode,
  type ReasonCode,
} from '@vigil/contracts';
import { MODIFY_FIELDS, applyModify, printableText, redact, strictParse, strictParseBytes, type SymbolRules } from '@vigil/core';
import { ajvErrorsText } from '@vigil/runtime';
import { AIGATE_VALIDATORS } from './decision-validators.js';

/**
 * The AI gate: every entry Decision is reviewed by a language model before RISK_VERDICT, through
 * the official openai SDK (Chat Completions with a strict json_schema response format: served by
 * OpenAI and by common OpenAI-compatible local servers). Fail-closed: any doubt is an ERROR with
 * its reason code, and the caller BLOCKs the decision and PAUSEs entries.
 */
export type AIGateErrorCode = Extract<
  ReasonCode,
  | 'AIGATE_TIMEOUT'
  | 'AIGATE_PARSE_FAIL'
  | 'AIGATE_SCHEMA_INVALID'
  | 'AIGATE_REASON_UNKNOWN'
  | 'AIGATE_MODIFY_INVALID'
  | 'AIGATE_TRANSPORT_ERROR'
  | 'AIGATE_PRECONDITION_FAILED'
>;

export type AIGateVerdict =
  | { readonly verdict: 'ALLOW'; readonly decision: Decision; readonly result: AIGateResult }
  | {
      readonly verdict: 'MODIFY';
      readonly decision: Decision;
      readonly original_decision_id: string;
      readonly changed: readonly string[];
      readonly result: AIGateResult;
    }
  | { readonly verdict: 'BLOCK'; readonly reasons: readonly string[]; readonly result: AIGateResult }
  | { readonly verdict: 'ERROR'; readonly code: AIGateErrorCode; readonly detail: string }
  /** Not called at all: entries are never reviewed outside NORMAL. */
  | { readonly verdict: 'NOT_CALLED'; readonly why: string };

/** What the audit records for every call, failures included (ai_gate_events + AIGATE_CALL). */
export interface AIGateCall {
  readonly outcome: AIGateVerdict;
  readonly model: string;
  readonly input_hash: string | null;
  readonly snapshot_hash: string;
  readonly latency_ms: number | null;
  readonly tokens: number | null;
  readonly payload_bytes: number;
  /** The reviewer's free text, whenever its content was strictly readable: redacted, at most NOTES_MAX_CHARS. */
  readonly notes: string | null;
}

export interface AIGateOptions {
  readonly baseUrl: string;
  readonly model: string;
  readonly timeoutMs: number;
  readonly maxTokens: number;
  readonly payloadMaxBytes: number;
  /** Cap on the reply body as received (aigate.max_reply_bytes); reading stops there. */
  readonly maxReplyBytes: number;
  /** From the environment only; null = the gate cannot be used (fail closed). */
  readonly apiKey: string | null;
  readonly now?: () => number;
}

const SYSTEM_PROMPT =
  'You review one proposed spot trade entry for a risk-averse trading bot. Answer only with an AIGateResult JSON object. ' +
  'verdict ALLOW keeps the entry, BLOCK stops it, MODIFY may only reduce risk (smaller quantity, tighter stop, closer take-profit, ' +
  'less aggressive entry price, shorter or equal TTL, fewer requotes). Reasons must come from: ' +
  Object.keys(AIGATE_REASONS).join(', ') +
  '.';

/** Nesting limits of the strict reader: the envelope (choices[0].message.content is 4 deep; logprobs reach 7) and AIGateResult (2 deep). */
export const ENVELOPE_MAX_DEPTH = 16;
export const CONTENT_MAX_DEPTH = 8;
/** The reviewer's notes as audited: redacted, then cut to this many characters. */
export const NOTES_MAX_CHARS = 500;
/** A reason detail holds at most this many code points: foreign text in it is quoted, never whole. */
export const DETAIL_MAX_CHARS = 300;

// The openai SDK is a hundred-odd modules: only a gate with a key loads it (in its constructor, as
// before), so an engine thread without an AI key (AI_DEC below 2, most tests) starts without it. The
// build bundles it into one file in this package's dist/ (scripts/worker-bundles.ts): a fresh engine
// thread loads that with about a third of the CPU. It is found by the package's name, not by a path
// relative to this module: the same code runs from src/, from dist/, from the engine's worker bundle
// and from the supervisor CLI's bundle (doctor builds a gate), each in another directory. No bundle
// (no build) means no gate: the constructor throws.
const requireHere = createRequire(import.meta.url);
const OPENAI_SDK = '@vigil/engine/openai.bundle';

const validResult = AIGATE_VALIDATORS.result;
const validDecision = AIGATE_VALIDATORS.decision;

export class AIGate {
  private readonly client: OpenAI | null;
  private readonly now: () => number;

  constructor(private readonly o: AIGateOptions) {
    this.now = o.now ?? (() => performance.now());
    // Without a cap the reply reader would be unbounded: refuse to exist rather than run open.
    if (!Number.isSafeInteger(o.maxReplyBytes) || o.maxReplyBytes < 1)
      throw new Error(`AIGate: maxReplyBytes must be a positive integer, got ${String(o.maxReplyBytes)}`);
    // The SDK's own long default timeout and its retries are off: one call, bounded, or nothing.
    // Every byte of every reply (errors included) goes through boundedFetch: capped, identity only.
    this.client = o.apiKey ? sdkClient(o.apiKey, o.baseUrl, o.timeoutMs, o.maxReplyBytes) : null;
  }

  get ready(): boolean {
    return this.client !== null;
  }

  async review(
    decision: Decision,
    market: AIGateReviewPayload['market'],
    ctx: { readonly mode: Mode; readonly snapshotHash: string; readonly rules: SymbolRules | null },
  ): Promise<AIGateCall> {
    const base = { model: this.o.model, snapshot_hash: ctx.snapshotHash };
    const fail = (code: AIGateErrorCode, detail: string, extra: Partial<AIGateCall> = {}): AIGateCall => ({
      ...base,
      input_hash: null,
      latency_ms: null,
      tokens: null,
      payload_bytes: 0,
      notes: null,
      ...extra,
      outcome: { verdict: 'ERROR', code, detail: printableText(detail, DETAIL_MAX_CHARS) },
    });
    if (decision.intent === 'ENTRY' && ctx.mode !== 'NORMAL') {
      return {
        ...base,
        input_hash: null,
        latency_ms: null,
        tokens: null,
        payload_bytes: 0,
        notes: null,
        outcome: { verdict: 'NOT_CALLED', why: `mode ${ctx.mode}: entries are not reviewed outside NORMAL` },
      };
    }
    if (!validDecision(decision)) return fail('AIGATE_PRECONDITION_FAILED', `decision invalid: ${ajvErrorsText(validDecision.errors)}`);
    if (!this.client) return fail('AIGATE_PRECONDITION_FAILED', 'no OPENAI_API_KEY in the environment');
    const payload: AIGateReviewPayload = redact({
      decision: {
        decision_id: decision.ids.decision_id,
        symbol: decision.symbol,
        side: decision.side,
        quantity: decision.quantity,
        entry_type: decision.entry_type,
        entry_price: decision.entry_price,
        stop_price: decision.stop_price,
        take_profit_price: decision.take_profit_price,
        expected_edge_bps: decision.expected_edge_bps,
        expected_cost_bps: decision.expected_cost_bps,
      },
      market,
    });
    const text = canonicalJson(payload);
    const bytes = Buffer.byteLength(text);
    // inputHash(payload) is the sha256 of this very text: hashed here, not serialized twice.
    const hash = sha256Hex(text);
    // A structured payload cut in the middle is not JSON: refuse rather than send half a picture.
    if (bytes > this.o.payloadMaxBytes)
      return fail('AIGATE_PRECONDITION_FAILED', `payload ${bytes} bytes > ${this.o.payloadMaxBytes}`, { input_hash: hash, payload_bytes: bytes });
    const t0 = this.now();
    const deadline = AbortSignal.timeout(this.o.timeoutMs);
    let body: Uint8Array;
    let status: number;
    let contentType: string;
    try {
      // asResponse: the SDK does the request and turns non-2xx into its errors, but never parses
      // a 2xx body; the bytes (already capped by boundedFetch) are read strictly by judgeReply.
      const res = await this.client.chat.completions
        .create(completionRequest(this.o.model, text, this.o.maxTokens), { signal: deadline, timeout: this.o.timeoutMs, maxRetries: 0 })
        .asResponse();
      status = res.status;
      contentType = res.headers.get('content-type') ?? '';
      body = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      const latency = this.now() - t0;
      const extra = { input_hash: hash, payload_bytes: bytes, latency_ms: latency };
      // Our own refusal of the reply's size or encoding, wrapped by the SDK as a connection error.
      const refused = refusalIn(e);
      if (refused) return fail(refused.code, refused.message, extra);
      // Our own deadline firing surfaces as a user abort in the SDK: it is a timeout.
      if (deadline.aborted || isTimeout(e)) return fail('AIGATE_TIMEOUT', `no answer within ${this.o.timeoutMs} ms`, extra);
      const httpStatus = (e as { status?: unknown }).status;
      return fail('AIGATE_TRANSPORT_ERROR', `${typeof httpStatus === 'number' ? `HTTP ${httpStatus}: ` : ''}${(e as Error).message}`, extra);
    }
    const latency = this.now() - t0;
    // A completion is a 200 with a JSON body; a 201/206 or an HTML or event-stream page is something
    // else answering, whatever its bytes happen to parse as.
    if (status !== 200)
      return fail('AIGATE_TRANSPORT_ERROR', `HTTP ${status} is not a completion (200 expected)`, {
        input_hash: hash,
        payload_bytes: bytes,
        latency_ms: latency,
      });
    if (!/^application\/json\s*(?:;|$)/i.test(contentType))
      return fail('AIGATE_PARSE_FAIL', `reply Content-Type ${printableText(JSON.stringify(contentType), 60)} is not application/json`, {
        input_hash: hash,
        payload_bytes: bytes,
        latency_ms: latency,
      });
    const judged = judgeReply(body, decision, ctx.rules);
    return { ...base, input_hash: hash, payload_bytes: bytes, latency_ms: latency, tokens: judged.tokens, notes: judged.notes, outcome: judged.outcome };
  }
}

/** The SDK client of every call: no retries, one bounded timeout, every reply read through boundedFetch. */
function sdkClient(apiKey: string, baseUrl: string, timeoutMs: number, maxReplyBytes: number): OpenAI {
  return new (requireHere(OPENAI_SDK) as { OpenAI: typeof OpenAI }).OpenAI({
    apiKey,
    baseURL: baseUrl,
    maxRetries: 0,
    timeout: timeoutMs,
    fetch: boundedFetch(maxReplyBytes),
    // Explicit, so the environment cannot add OPENAI_ORG_ID/OPENAI_PROJECT_ID headers to the request,
    // nor make the SDK print (OPENAI_LOG) past the redacting logger.
    organization: null,
    project: null,
    logLevel: 'off',
  });
}

/** The one request the gate sends: the system prompt, the canonical payload, the strict result schema. */
function completionRequest(model: string, payloadText: string, maxTokens: number): OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming {
  return {
    model,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: payloadText },
    ],
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'AIGateResult', strict: true, schema: AIGATE_RESULT_SCHEMA as unknown as Record<string, unknown> },
    },
    max_tokens: maxTokens,
    temperature: 0,
  };
}

/** What a warm-up did: whether the loopback call went through, and its wall time. */
export interface GateWarmUp {
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

/**
 * One gate call, whole, against a stub server on this thread's loopback, before the engine says it
 * is ready: the SDK's request building, Node's fetch (its HTTP parser, web streams, Headers and
 * Response), boundedFetch and the reply's reading run once, so the first real review does not
 * compile them. Measured on this machine: the first call of a fresh thread took 76-88 ms and held
 * its event loop for up to 55 ms at once; the next ones 3-11 ms. On a loaded machine that one
 * block grew past a supervisor's stall bound (WORKER_STALLED at the first decision). Nothing
 * leaves the host and no secret is used: the stub is bound to 127.0.0.1 on a free port, the key is
 * a placeholder, the payload a fixed sample. Never throws: a failed warm-up only means a cold path.
 */
export async function warmGateTransport(o: {
  readonly model: string;
  readonly timeoutMs: number;
  readonly maxReplyBytes: number;
  readonly maxTokens: number;
}): Promise<GateWarmUp> {
  const t0 = performance.now();
  const reply = JSON.stringify({
    id: 'warm-up',
    object: 'chat.completion',
    created: 0,
    model: o.model,
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: '{}' } }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply) });
      res.end(reply);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const client = sdkClient('warm-up-placeholder', `http://127.0.0.1:${port}/v1`, o.timeoutMs, o.maxReplyBytes);
    const payload = canonicalJson({ decision: { symbol: 'WARMUP', side: 'BUY', quantity: '0.001', entry_price: '1' }, market: { bid: '1', ask: '1' } });
    const res = await client.chat.completions.create(completionRequest(o.model, payload, o.maxTokens), { timeout: o.timeoutMs, maxRetries: 0 }).asResponse();
    strictParseBytes(new Uint8Array(await res.arrayBuffer()));
    return { ok: true, ms: performance.now() - t0 };
  } catch (e) {
    return { ok: false, ms: performance.now() - t0, error: refusalIn(e)?.message ?? (e as Error).message };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/**
 * A reply the gate refuses to read further: too large or content-encoded (AIGATE_PARSE_FAIL), or a
 * redirect (AIGATE_TRANSPORT_ERROR).
 */
export class ReplyRefused extends Error {
  override readonly name = 'ReplyRefused';
  constructor(
    message: string,
    readonly code: 'AIGATE_PARSE_FAIL' | 'AIGATE_TRANSPORT_ERROR' = 'AIGATE_PARSE_FAIL',
  ) {
    super(message);
  }
}

function refusalIn(e: unknown): ReplyRefused | null {
  for (let x: unknown = e, i = 0; x && i < 5; x = (x as { cause?: unknown }).cause, i++) if (x instanceof ReplyRefused) return x;
  return null;
}

/**
 * The openai SDK's fetch, bounded: it asks for `Accept-Encoding: identity` and refuses any
 * content-encoded reply unread (so nothing is ever decompressed by choice; a gzip bomb is a
 * refusal, not an expansion), refuses a Content-Length over the cap, and reads the body counting
 * bytes, cancelling the stream as soon as the count passes the cap (at most one network chunk is
 * held beyond it, never the rest). The count is of the bytes the HTTP client hands over, i.e. after
 * any decoding it might do anyway, so the cap bounds the decompressed size too. The bytes are
 * handed back as a fresh Response, so the SDK's own reading (error bodies included) is bounded.
 */
export function boundedFetch(
  maxBytes: number,
  inner: typeof fetch = globalThis.fetch,
): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('accept-encoding', 'identity');
    // Never followed: a 301/302 turned the review into a bodiless GET whose answer from another
    // host was taken as the verdict, and a 307/308 re-sent the decision to an origin the operator
    // never configured. The endpoint answers itself or not at all.
    const res = await inner(input, { ...init, headers, redirect: 'manual' });
    const refuse = async (why: string, code?: ReplyRefused['code']): Promise<never> => {
      await res.body?.cancel().catch(() => undefined);
      throw new ReplyRefused(why, code);
    };
    if (res.status >= 300 && res.status < 400) {
      const to = res.headers.get('location');
      return refuse(
        `HTTP ${res.status} redirect${to === null ? '' : ` to ${printableText(to, 120)}`} refused: the endpoint must answer itself`,
        'AIGATE_TRANSPORT_ERROR',
      );
    }
    const enc = res.headers.get('content-encoding');
    if (enc !== null && enc.trim().toLowerCase() !== 'identity') return refuse(`reply Content-Encoding ${enc.slice(0, 40)} refused (identity only)`);
    const len = res.headers.get('content-length');
    if (len !== null && (!/^\s*[0-9]{1,15}\s*$/.test(len) || Number(len) > maxBytes))
      return refuse(`reply Content-Length ${len.slice(0, 20)} over the ${maxBytes}-byte cap`);
    const bytes = await readCapped(res.body, maxBytes);
    const noBody = [101, 204, 205, 304].includes(res.status);
    return new Response(noBody ? null : bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

async function readCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new ReplyRefused(`reply body over the ${maxBytes}-byte cap`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** How far a reply got: refused reading the envelope, refused reading the content, refused by the schema, or past the schema (to the verdict checks). */
export type JudgeStage = 'envelope' | 'content' | 'schema' | 'verdict';

export interface JudgedReply {
  readonly outcome: AIGateVerdict;
  readonly tokens: number | null;
  readonly notes: string | null;
  readonly reached: JudgeStage;
}

const parseFail = (detail: string): AIGateVerdict => ({ verdict: 'ERROR', code: 'AIGATE_PARSE_FAIL', detail: printableText(detail, DETAIL_MAX_CHARS) });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A whole reply body, strictly: the chat.completion envelope (strict JSON, object "chat.completion",
 * no error, exactly one choice, finish_reason exactly "stop", an assistant message with a string
 * content, no refusal, no tool or function calls), then its content.
 * Pure and bounded by the body's size; never throws.
 */
export function judgeReply(body: Uint8Array, decision: Decision, rules: SymbolRules | null): JudgedReply {
  const env = strictParseBytes(body, { maxDepth: ENVELOPE_MAX_DEPTH });
  const early = (detail: string): JudgedReply => ({ outcome: parseFail(detail), tokens: null, notes: null, reached: 'envelope' });
  if (!env.ok) return early(`reply envelope: ${env.why} at ${env.at}`);
  const e = env.value;
  if (!isObject(e)) return early('reply envelope is not an object');
  // What answered must say it is a whole chat completion: a stream chunk, an error envelope or
  // another object is not a review, whatever its choices hold.
  if (e['object'] !== 'chat.completion') return early(`reply object ${JSON.stringify(e['object'] ?? null).slice(0, 40)}, not "chat.completion"`);
  if (e['error'] !== undefined && e['error'] !== null) return early('the reply carries an error');
  const usage = e['usage'];
  const total = isObject(usage) ? usage['total_tokens'] : undefined;
  const tokens = typeof total === 'number' && Number.isSafeInteger(total) && total >= 0 ? total : null;
  const choices = e['choices'];
  // Two choices are two readings: which one is the verdict is not ours to guess.
  if (!Array.isArray(choices) || choices.length !== 1)
    return early(`reply must carry exactly one choice, got ${Array.isArray(choices) ? choices.length : typeof choices}`);
  const c = choices[0];
  if (!isObject(c)) return early('choice is not an object');
  // Anything but "stop" (length, content_filter, tool_calls, null) is a completion the model did not finish.
  if (c['finish_reason'] !== 'stop') return early(`finish_reason ${JSON.stringify(c['finish_reason'] ?? null).slice(0, 40)}, not "stop"`);
  const m = c['message'];
  if (!isObject(m)) return early('choice has no message');
  if (m['role'] !== 'assistant') return early(`message role ${JSON.stringify(m['role'] ?? null).slice(0, 40)}, not "assistant"`);
  if (m['refusal'] !== undefined && m['refusal'] !== null) return early('the model refused');
  if (m['function_call'] !== undefined && m['function_call'] !== null) return early('the reply carries a function call');
  if (m['tool_calls'] !== undefined && m['tool_calls'] !== null && !(Array.isArray(m['tool_calls']) && m['tool_calls'].length === 0))
    return early('the reply carries tool calls');
  const content = m['content'];
  if (typeof content !== 'string') return early('message content is not a string');
  const j = judgeContent(content, decision, rules);
  return { outcome: j.outcome, tokens, notes: j.notes, reached: j.reached };
}

/** Parse only via the strict reader and the strict schema, then the invariants, then the local MODIFY enforcement. */
export function judge(content: string | null, decision: Decision, rules: SymbolRules | null): AIGateVerdict {
  return judgeContent(content, decision, rules).outcome;
}

/** Redacted, unprintable characters escaped, then at most NOTES_MAX_CHARS code points (a surrogate pair is never split). */
export function auditNotes(notes: string): string {
  return printableText(notes, NOTES_MAX_CHARS);
}

function judgeContent(
  content: string | null,
  decision: Decision,
  rules: SymbolRules | null,
): { outcome: AIGateVerdict; notes: string | null; reached: JudgeStage } {
  if (content === null || content.trim() === '') return { outcome: parseFail('empty answer'), notes: null, reached: 'content' };
  const p = strictParse(content, { maxDepth: CONTENT_MAX_DEPTH });
  if (!p.ok) return { outcome: parseFail(`content: ${p.why} at ${p.at}`), notes: null, reached: 'content' };
  const n = isObject(p.value) ? p.value['notes'] : undefined;
  const notes = typeof n === 'string' ? auditNotes(n) : null;
  const j = judgeParsed(p.value, decision, rules);
  return { outcome: j.outcome, notes, reached: j.reached };
}

function judgeParsed(parsed: unknown, decision: Decision, rules: SymbolRules | null): { outcome: AIGateVerdict; reached: JudgeStage } {
  const err = (code: AIGateErrorCode, detail: string, reached: JudgeStage): { outcome: AIGateVerdict; reached: JudgeStage } => ({
    outcome: { verdict: 'ERROR', code, detail: printableText(detail, DETAIL_MAX_CHARS) },
    reached,
  });
  // A MODIFY reaching for a field it may not touch is a MODIFY violation, whatever else is wrong.
  const m = (parsed as { modify?: unknown } | null)?.modify;
  if (m && typeof m === 'object') {
    const extra = Object.keys(m).filter((k) => !(MODIFY_FIELDS as readonly string[]).includes(k));
    if (extra.length > 0) return err('AIGATE_MODIFY_INVALID', `modify touches ${extra.join(', ')}`, 'content');
  }
  // additionalProperties:false at every level of AIGATE_RESULT_SCHEMA: an unknown key is invalid, not ignored.
  if (!validResult(parsed)) return err('AIGATE_SCHEMA_INVALID', ajvErrorsText(validResult.errors), 'schema');
  const r = parsed as unknown as AIGateResult;
  const unknown = r.reasons.filter((x) => !Object.prototype.hasOwnProperty.call(AIGATE_REASONS, x));
  if (unknown.length > 0) return err('AIGATE_REASON_UNKNOWN', `unknown reasons ${unknown.join(', ')}`, 'verdict');
  switch (r.verdict) {
    case 'ALLOW':
      if (r.modify !== null) return err('AIGATE_MODIFY_INVALID', 'ALLOW must not carry a modify', 'verdict');
      return { outcome: { verdict: 'ALLOW', decision, result: r }, reached: 'verdict' };
    case 'BLOCK':
      return { outcome: { verdict: 'BLOCK', reasons: r.reasons, result: r }, reached: 'verdict' };
    case 'MODIFY': {
      if (r.modify === null) return err('AIGATE_MODIFY_INVALID', 'MODIFY without a modify', 'verdict');
      const applied = applyModify(decision, r.modify, rules);
      if (!applied.ok) return err('AIGATE_MODIFY_INVALID', applied.why, 'verdict');
      return {
        outcome: { verdict: 'MODIFY', decision: applied.decision, original_decision_id: decision.ids.decision_id, changed: applied.changed, result: r },
        reached: 'verdict',
      };
    }
  }
}

function isTimeout(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'APIConnectionTimeoutError' || name === 'AbortError' || name === 'TimeoutError' || /timed? ?out/i.test((e as Error)?.message ?? '');
}
