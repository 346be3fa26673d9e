import fc from 'fast-check';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { AIGATE_RESULT_SCHEMA, decisionIdOf, type Decision } from '@vigil/contracts';
import { parseDecimal } from '@vigil/core';
import { judgeReply, type JudgeStage } from '../../packages/engine/src/aigate.js';
import { fcOpts, isCatalogued, mutationOf, weird } from './arbitraries.js';

/**
 * Issue 17: whole AI gate replies (the HTTP body the gate reads, as bytes) fed to judgeReply, the
 * pure part of the gate after the capped fetch. The documented outcome: a verdict from a strictly
 * valid reply, or an ERROR with a fail-closed AIGATE_* code; never an exception, never a verdict
 * from a reply that is not strictly valid. (The size cap and the encoding refusal sit in
 * boundedFetch and are exercised over a socket in test/ai-reviewer/aigate-strict.test.ts.)
 */
const FAIL_CLOSED = ['AIGATE_PARSE_FAIL', 'AIGATE_SCHEMA_INVALID', 'AIGATE_REASON_UNKNOWN', 'AIGATE_MODIFY_INVALID'];
const validResult = new Ajv({ strict: false }).compile(AIGATE_RESULT_SCHEMA);

function decision(): Decision {
  const base: Omit<Decision, 'ids'> = {
    symbol: 'BTCUSDT',
    side: 'BUY',
    intent: 'ENTRY',
    quantity: '0.004',
    entry_type: 'LIMIT',
    entry_price: '64000',
    stop_price: '63000',
    take_profit_price: '66000',
    trailing_delta_bps: null,
    expected_edge_bps: 40,
    expected_cost_bps: 12,
    constraints: { max_quantity: '0.01', max_notional: '1000', ttl_ms: 30_000, max_requotes: 3 },
  };
  return { ids: { run_id: 'run_1', cycle_id: 1, snapshot_id: 'snp_1', decision_id: decisionIdOf(base) }, ...base };
}
const D = decision();
const NO_MODIFY = { quantity: null, stop_price: null, take_profit_price: null, entry_price: null, ttl_ms: null, max_requotes: null };
const CONTENTS: readonly Record<string, unknown>[] = [
  { verdict: 'ALLOW', reasons: ['AI_OK'], modify: null, confidence: 0.8, notes: 'within the rules' },
  { verdict: 'BLOCK', reasons: ['AI_SPREAD_WIDE'], modify: null, confidence: 0.9, notes: 'spread 40 bps > 15' },
  { verdict: 'MODIFY', reasons: ['AI_SIZE_TOO_LARGE'], modify: { ...NO_MODIFY, quantity: '0.002', stop_price: '63500' }, confidence: 0.7, notes: 'halve it' },
  { verdict: 'MODIFY', reasons: ['AI_VOLATILITY_HIGH'], modify: { ...NO_MODIFY, ttl_ms: 10_000, max_requotes: 1 }, confidence: 0.6, notes: 'shorter' },
];
function envelope(content: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_765_000_000,
    model: 'vigil-reviewer-1',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 120, completion_tokens: 40, total_tokens: 160 },
    ...over,
  };
}
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * JSON text of v with one injection at the n-th site (document order): a duplicated member, a
 * number replaced by a token (NaN, 1e999...), or a value wrapped in `depth` arrays. Counts sites.
 */
type Inject = { kind: 'dup'; at: number; extra: unknown } | { kind: 'number'; at: number; token: string } | { kind: 'deep'; at: number; depth: number };
function emitWith(v: unknown, inj: Inject | null): { text: string; members: number; numbers: number; values: number } {
  let members = 0;
  let numbers = 0;
  let values = 0;
  const emit = (x: unknown): string => {
    const site = values++;
    let out: string;
    if (Array.isArray(x)) out = `[${x.map(emit).join(',')}]`;
    else if (x !== null && typeof x === 'object') {
      const parts: string[] = [];
      for (const [k, y] of Object.entries(x)) {
        if (inj?.kind === 'dup' && members === inj.at) parts.push(`${JSON.stringify(k)}:${JSON.stringify(inj.extra)}`);
        members++;
        parts.push(`${JSON.stringify(k)}:${emit(y)}`);
      }
      out = `{${parts.join(',')}}`;
    } else if (typeof x === 'number') {
      const idx = numbers++;
      out = inj?.kind === 'number' && idx === inj.at ? inj.token : JSON.stringify(x);
    } else out = JSON.stringify(x);
    if (inj?.kind === 'deep' && site === inj.at) out = `${'['.repeat(inj.depth)}${out}${']'.repeat(inj.depth)}`;
    return out;
  };
  const text = emit(v);
  return { text, members, numbers, values };
}

/** A hostility of a known class, at a random site, in the envelope or in the content. */
const HOSTILE = [
  'dup_env',
  'dup_content',
  'trailing_env',
  'trailing_content',
  'bom_env',
  'bom_content',
  'nonfinite_env',
  'nonfinite_content',
  'deep_env',
  'deep_content',
  'finish_reason',
  'choices',
  'not_utf8',
  'lone_surrogate',
] as const;
type Hostile = (typeof HOSTILE)[number];

function hostileBody(kind: Hostile, contentObj: Record<string, unknown>, pick: number, extra: unknown, token: string, tail: string): Uint8Array {
  const contentText = JSON.stringify(contentObj);
  const envText = (content: string, over: Record<string, unknown> = {}) => JSON.stringify(envelope(content, over));
  const inject = (v: unknown, mk: (n: number) => Inject, count: (c: ReturnType<typeof emitWith>) => number): string => {
    const n = count(emitWith(v, null));
    return emitWith(v, mk(pick % Math.max(1, n))).text;
  };
  switch (kind) {
    case 'dup_env':
      return enc(
        inject(
          envelope(contentText),
          (at) => ({ kind: 'dup', at, extra }),
          (c) => c.members,
        ),
      );
    case 'dup_content':
      return enc(
        envText(
          inject(
            contentObj,
            (at) => ({ kind: 'dup', at, extra }),
            (c) => c.members,
          ),
        ),
      );
    case 'trailing_env':
      return enc(envText(contentText) + tail);
    case 'trailing_content':
      return enc(envText(contentText + tail));
    case 'bom_env':
      return enc(`\ufeff${envText(contentText)}`);
    case 'bom_content':
      return enc(envText(`\ufeff${contentText}`));
    case 'nonfinite_env':
      return enc(
        inject(
          envelope(contentText),
          (at) => ({ kind: 'number', at, token }),
          (c) => c.numbers,
        ),
      );
    case 'nonfinite_content':
      return enc(
        envText(
          inject(
            contentObj,
            (at) => ({ kind: 'number', at, token }),
            (c) => c.numbers,
          ),
        ),
      );
    case 'deep_env':
      return enc(
        inject(
          envelope(contentText),
          (at) => ({ kind: 'deep', at, depth: 17 }),
          (c) => c.values,
        ),
      );
    case 'deep_content':
      return enc(
        envText(
          inject(
            contentObj,
            (at) => ({ kind: 'deep', at, depth: 9 }),
            (c) => c.values,
          ),
        ),
      );
    case 'finish_reason': {
      const fr = (['length', 'content_filter', 'tool_calls', null, 'STOP', 'stop ', undefined] as const)[pick % 7];
      const e = envelope(contentText);
      const c0 = { ...(e['choices'] as Record<string, unknown>[])[0]!, finish_reason: fr };
      return enc(JSON.stringify({ ...e, choices: [c0] }));
    }
    case 'choices': {
      const e = envelope(contentText);
      const one = (e['choices'] as unknown[])[0];
      return enc(JSON.stringify({ ...e, choices: pick % 2 === 0 ? [] : [one, one] }));
    }
    case 'not_utf8': {
      const b = enc(envText(contentText));
      const out = new Uint8Array(b.length + 1);
      const at = pick % (b.length + 1);
      out.set(b.subarray(0, at), 0);
      out[at] = [0xff, 0xc0, 0x80, 0xfe][pick % 4]!;
      out.set(b.subarray(at), at + 1);
      return out;
    }
    case 'lone_surrogate':
      // In the notes, escaped: valid JSON syntax, but a string with no UTF-8 form.
      return enc(envText(contentText.replace(/"notes":"/, '"notes":"\\ud800')));
  }
}

/** An independent check of what a verdict may come from: every property a strict reply has, via JSON.parse and ajv. */
function assertStrictlyValid(body: Uint8Array): void {
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  expect(text.charCodeAt(0)).not.toBe(0xfeff);
  const e = JSON.parse(text) as { choices: { finish_reason: unknown; message: { content: string } }[] };
  expect(e.choices).toHaveLength(1);
  expect(e.choices[0]!.finish_reason).toBe('stop');
  const c = JSON.parse(e.choices[0]!.message.content) as unknown;
  expect(validResult(c)).toBe(true);
  expect(Number.isFinite((c as { confidence: number }).confidence)).toBe(true);
}

function assertOutcome(body: Uint8Array, reached: Record<JudgeStage, number>): ReturnType<typeof judgeReply> {
  let j: ReturnType<typeof judgeReply>;
  expect(() => (j = judgeReply(body, D, null))).not.toThrow();
  const v = j!.outcome;
  reached[j!.reached]++;
  if (v.verdict === 'ERROR') {
    expect(FAIL_CLOSED).toContain(v.code);
    expect(isCatalogued(v.code)).toBe(true);
    return j!;
  }
  expect(['ALLOW', 'BLOCK', 'MODIFY']).toContain(v.verdict);
  assertStrictlyValid(body);
  if (v.verdict === 'MODIFY') {
    const n = v.decision;
    const X = (s: string | null) => parseDecimal(s)!;
    expect(X(n.quantity).lte(X(D.quantity)) && X(n.quantity).gt(0)).toBe(true);
    expect(X(n.stop_price).gte(X(D.stop_price))).toBe(true);
    expect(X(n.entry_price).lte(X(D.entry_price))).toBe(true);
    expect(X(n.take_profit_price).lte(X(D.take_profit_price))).toBe(true);
    expect(n.constraints.ttl_ms).toBeLessThanOrEqual(D.constraints.ttl_ms);
    expect(n.constraints.max_requotes).toBeLessThanOrEqual(D.constraints.max_requotes);
    expect([n.symbol, n.side, n.intent, n.entry_type, n.constraints.max_quantity, n.constraints.max_notional]).toEqual([
      D.symbol,
      D.side,
      D.intent,
      D.entry_type,
      D.constraints.max_quantity,
      D.constraints.max_notional,
    ]);
  }
  if (j!.notes !== null) expect(Array.from(j!.notes).length).toBeLessThanOrEqual(500);
  return j!;
}

const content = fc.constantFrom(...CONTENTS);
/** Raw bodies and structured mutations, at both levels. */
const anyBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  // Structured: the content mutated (keys deleted, leaves replaced by hostile values, retyped), in a valid envelope.
  { weight: 5, arbitrary: content.chain((c) => mutationOf(c)).map((c) => enc(JSON.stringify(envelope(JSON.stringify(c) ?? 'null')))) },
  // Structured: the envelope mutated around a valid content.
  { weight: 3, arbitrary: content.chain((c) => mutationOf(envelope(JSON.stringify(c)))).map((e) => enc(JSON.stringify(e) ?? '')) },
  // A MODIFY with every field drawn from hostile values, in a valid envelope.
  {
    weight: 3,
    arbitrary: fc
      .record({ quantity: weird, stop_price: weird, take_profit_price: weird, entry_price: weird, ttl_ms: weird, max_requotes: weird })
      .map((m) => enc(JSON.stringify(envelope(JSON.stringify({ verdict: 'MODIFY', reasons: ['AI_SIZE_TOO_LARGE'], modify: m, confidence: 0.5, notes: 'm' }))))),
  },
  // Raw bytes: random, and a valid body with bytes flipped or cut.
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  {
    weight: 3,
    arbitrary: fc.tuple(content, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([c, flips]) => {
      const b = enc(JSON.stringify(envelope(JSON.stringify(c))));
      for (const [at, byte] of flips) b[at % b.length] = byte;
      return b;
    }),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(content, fc.nat()).map(([c, n]) => {
      const b = enc(JSON.stringify(envelope(JSON.stringify(c))));
      return b.subarray(0, n % b.length);
    }),
  },
  // Valid, untouched (so verdicts are frequent enough for the verdict-side assertions to run).
  { weight: 2, arbitrary: content.map((c) => enc(JSON.stringify(envelope(JSON.stringify(c))))) },
);

describe('fuzz: whole AI gate replies (judgeReply)', () => {
  it('any reply body (raw bytes or structured mutation): a verdict only from a strictly valid reply, else a fail-closed AIGATE_* code, never an exception', () => {
    const reached: Record<JudgeStage, number> = { envelope: 0, content: 0, schema: 0, verdict: 0 };
    const verdicts: Record<string, number> = {};
    fc.assert(
      fc.property(anyBody, (body) => {
        const j = assertOutcome(body, reached);
        const k = j.outcome.verdict === 'ERROR' ? j.outcome.code : j.outcome.verdict;
        verdicts[k] = (verdicts[k] ?? 0) + 1;
      }),
      fcOpts(4000),
    );
    const total = Object.values(reached).reduce((a, b) => a + b, 0);
    const atSchema = reached.schema + reached.verdict;
    console.log(
      `aigate-reply fuzz: ${total} cases; stopped at envelope ${reached.envelope}, at content ${reached.content}, by the schema ${reached.schema}, past the schema ${reached.verdict}; reached schema validation ${atSchema} (${((100 * atSchema) / total).toFixed(1)} %); outcomes ${JSON.stringify(verdicts)}`,
    );
    // The property must not pass by refusing everything at the first gate: a real share reaches the schema, and verdicts occur.
    expect(atSchema / total).toBeGreaterThan(0.3);
    expect((verdicts['ALLOW'] ?? 0) + (verdicts['BLOCK'] ?? 0) + (verdicts['MODIFY'] ?? 0)).toBeGreaterThan(total / 20);
  });

  it('a reply with a known strictness defect (duplicate key, trailing data, BOM, non-finite number, nesting, finish_reason, choice count, bad UTF-8, lone surrogate) at any site is AIGATE_PARSE_FAIL', () => {
    const seen = new Set<Hostile>();
    fc.assert(
      fc.property(
        fc.constantFrom(...HOSTILE),
        content,
        fc.nat(),
        fc.jsonValue({ maxDepth: 1 }),
        fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '-1e400', '1E+309'),
        fc.constantFrom(' {}', 'x', ',1', '\n{"verdict":"ALLOW"}', ']', '\u0000', ' null'),
        (kind, c, pick, extra, token, tail) => {
          const body = hostileBody(kind, c, pick, extra, token, tail);
          const j = judgeReply(body, D, null);
          expect(j.outcome, kind).toMatchObject({ verdict: 'ERROR', code: 'AIGATE_PARSE_FAIL' });
          seen.add(kind);
        },
      ),
      fcOpts(3000),
    );
    expect([...seen].sort()).toEqual([...HOSTILE].sort());
  });

  it('the same replies without the defect are read: each base reply gives its verdict', () => {
    for (const c of CONTENTS) {
      const j = judgeReply(enc(JSON.stringify(envelope(JSON.stringify(c)))), D, null);
      expect(j.outcome.verdict).toBe(c['verdict']);
      expect(j.notes).toBe(c['notes']);
      expect(j.tokens).toBe(160);
    }
  });
});
