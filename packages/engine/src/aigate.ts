import OpenAI from 'openai';
import { Ajv } from 'ajv';
import {
  AIGATE_REASONS,
  AIGATE_RESULT_SCHEMA,
  DECISION_SCHEMA,
  canonicalJson,
  inputHash,
  type AIGateResult,
  type AIGateReviewPayload,
  type Decision,
  type Mode,
  type ReasonCode,
} from '@vigil/contracts';
import { applyModify, redact, type SymbolRules } from '@vigil/core';

/**
 * The AI gate: every entry Decision is reviewed by a language model before RISK_VERDICT, through
 * the official openai SDK (Chat Completions with a strict json_schema response format: served by
 * OpenAI and by common OpenAI-compatible local servers). Fail-closed: any doubt is an ERROR with
 * its reason code, and the caller BLOCKs the decision and PAUSEs entries.
 */
export type AIGateErrorCode = Extract<
  ReasonCode,
  'AIGATE_TIMEOUT' | 'AIGATE_PARSE_FAIL' | 'AIGATE_SCHEMA_INVALID' | 'AIGATE_REASON_UNKNOWN' | 'AIGATE_MODIFY_INVALID' | 'AIGATE_TRANSPORT_ERROR' | 'AIGATE_PRECONDITION_FAILED'
>;

export type AIGateVerdict =
  | { readonly verdict: 'ALLOW'; readonly decision: Decision; readonly result: AIGateResult }
  | { readonly verdict: 'MODIFY'; readonly decision: Decision; readonly original_decision_id: string; readonly changed: readonly string[]; readonly result: AIGateResult }
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
}

export interface AIGateOptions {
  readonly baseUrl: string;
  readonly model: string;
  readonly timeoutMs: number;
  readonly maxTokens: number;
  readonly payloadMaxBytes: number;
  /** From the environment only; null = the gate cannot be used (fail closed). */
  readonly apiKey: string | null;
  readonly now?: () => number;
}

const SYSTEM_PROMPT =
  'You review one proposed spot trade entry for a risk-averse trading bot. Answer only with an AIGateResult JSON object. ' +
  'verdict ALLOW keeps the entry, BLOCK stops it, MODIFY may only reduce risk (smaller quantity, tighter stop, closer take-profit, ' +
  'less aggressive entry price, longer TTL, fewer requotes). Reasons must come from: ' +
  Object.keys(AIGATE_REASONS).join(', ') +
  '.';

const ajv = new Ajv({ strict: false, allErrors: false });
const validResult = ajv.compile(AIGATE_RESULT_SCHEMA);
const validDecision = ajv.compile(DECISION_SCHEMA);

export class AIGate {
  private readonly client: OpenAI | null;
  private readonly now: () => number;

  constructor(private readonly o: AIGateOptions) {
    this.now = o.now ?? (() => performance.now());
    // The SDK's own long default timeout and its retries are off: one call, bounded, or nothing.
    this.client = o.apiKey ? new OpenAI({ apiKey: o.apiKey, baseURL: o.baseUrl, maxRetries: 0, timeout: o.timeoutMs }) : null;
  }

  get ready(): boolean {
    return this.client !== null;
  }

  async review(decision: Decision, market: AIGateReviewPayload['market'], ctx: { readonly mode: Mode; readonly snapshotHash: string; readonly rules: SymbolRules | null }): Promise<AIGateCall> {
    const base = { model: this.o.model, snapshot_hash: ctx.snapshotHash };
    const fail = (code: AIGateErrorCode, detail: string, extra: Partial<AIGateCall> = {}): AIGateCall => ({
      ...base,
      input_hash: null,
      latency_ms: null,
      tokens: null,
      payload_bytes: 0,
      ...extra,
      outcome: { verdict: 'ERROR', code, detail },
    });
    if (decision.intent === 'ENTRY' && ctx.mode !== 'NORMAL') {
      return { ...base, input_hash: null, latency_ms: null, tokens: null, payload_bytes: 0, outcome: { verdict: 'NOT_CALLED', why: `mode ${ctx.mode}: entries are not reviewed outside NORMAL` } };
    }
    if (!validDecision(decision)) return fail('AIGATE_PRECONDITION_FAILED', `decision invalid: ${ajv.errorsText(validDecision.errors)}`);
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
    const hash = inputHash(payload);
    // A structured payload cut in the middle is not JSON: refuse rather than send half a picture.
    if (bytes > this.o.payloadMaxBytes) return fail('AIGATE_PRECONDITION_FAILED', `payload ${bytes} bytes > ${this.o.payloadMaxBytes}`, { input_hash: hash, payload_bytes: bytes });
    const t0 = this.now();
    const deadline = AbortSignal.timeout(this.o.timeoutMs);
    let content: string | null;
    let tokens: number | null = null;
    try {
      const c = await this.client.chat.completions.create(
        {
          model: this.o.model,
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: text },
          ],
          response_format: { type: 'json_schema', json_schema: { name: 'AIGateResult', strict: true, schema: AIGATE_RESULT_SCHEMA as unknown as Record<string, unknown> } },
          max_tokens: this.o.maxTokens,
          temperature: 0,
        },
        { signal: deadline, timeout: this.o.timeoutMs, maxRetries: 0 },
      );
      content = c.choices[0]?.message.content ?? null;
      tokens = c.usage?.total_tokens ?? null;
    } catch (e) {
      const latency = this.now() - t0;
      const extra = { input_hash: hash, payload_bytes: bytes, latency_ms: latency };
      // Our own deadline firing surfaces as a user abort in the SDK: it is a timeout.
      if (deadline.aborted || isTimeout(e)) return fail('AIGATE_TIMEOUT', `no answer within ${this.o.timeoutMs} ms`, extra);
      const status = (e as { status?: unknown }).status;
      return fail('AIGATE_TRANSPORT_ERROR', `${typeof status === 'number' ? `HTTP ${status}: ` : ''}${(e as Error).message}`, extra);
    }
    const latency = this.now() - t0;
    const extra = { input_hash: hash, payload_bytes: bytes, latency_ms: latency, tokens };
    const judged = judge(content, decision, ctx.rules);
    return { ...base, ...extra, outcome: judged };
  }
}

/** Parse only via the strict schema, then the invariants, then the local MODIFY enforcement. */
export function judge(content: string | null, decision: Decision, rules: SymbolRules | null): AIGateVerdict {
  if (content === null || content.trim() === '') return { verdict: 'ERROR', code: 'AIGATE_PARSE_FAIL', detail: 'empty answer' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (e) {
    return { verdict: 'ERROR', code: 'AIGATE_PARSE_FAIL', detail: (e as Error).message };
  }
  // A MODIFY reaching for a field it may not touch is a MODIFY violation, whatever else is wrong.
  const m = (parsed as { modify?: unknown } | null)?.modify;
  if (m && typeof m === 'object') {
    const extra = Object.keys(m).filter((k) => !['quantity', 'stop_price', 'take_profit_price', 'entry_price', 'ttl_ms', 'max_requotes'].includes(k));
    if (extra.length > 0) return { verdict: 'ERROR', code: 'AIGATE_MODIFY_INVALID', detail: `modify touches ${extra.join(', ')}` };
  }
  if (!validResult(parsed)) return { verdict: 'ERROR', code: 'AIGATE_SCHEMA_INVALID', detail: ajv.errorsText(validResult.errors) };
  const r = parsed as unknown as AIGateResult;
  const unknown = r.reasons.filter((x) => !Object.prototype.hasOwnProperty.call(AIGATE_REASONS, x));
  if (unknown.length > 0) return { verdict: 'ERROR', code: 'AIGATE_REASON_UNKNOWN', detail: `unknown reasons ${unknown.join(', ')}` };
  switch (r.verdict) {
    case 'ALLOW':
      if (r.modify !== null) return { verdict: 'ERROR', code: 'AIGATE_MODIFY_INVALID', detail: 'ALLOW must not carry a modify' };
      return { verdict: 'ALLOW', decision, result: r };
    case 'BLOCK':
      return { verdict: 'BLOCK', reasons: r.reasons, result: r };
    case 'MODIFY': {
      if (r.modify === null) return { verdict: 'ERROR', code: 'AIGATE_MODIFY_INVALID', detail: 'MODIFY without a modify' };
      const applied = applyModify(decision, r.modify, rules);
      if (!applied.ok) return { verdict: 'ERROR', code: 'AIGATE_MODIFY_INVALID', detail: applied.why };
      return { verdict: 'MODIFY', decision: applied.decision, original_decision_id: decision.ids.decision_id, changed: applied.changed, result: r };
    }
  }
}

function isTimeout(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'APIConnectionTimeoutError' || name === 'AbortError' || name === 'TimeoutError' || /timed? ?out/i.test((e as Error)?.message ?? '');
}
