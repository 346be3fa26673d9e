import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decisionIdOf, type Decision } from '@vigil/contracts';
import { isDecimalString } from '@vigil/core';
import { parseConfig, formatConfigError } from '@vigil/runtime';
import { BINANCE_CODE_CLASS, classify, type ParsedBody } from '../../packages/gateway/src/outcome.js';
import { parseExchangeInfo } from '../../packages/gateway/src/exchange-info.js';
import { judge } from '../../packages/engine/src/aigate.js';
import { applyModify } from '../../packages/core/src/aigate-modify.js';
import { CONFIG_SCHEMA } from '../../packages/runtime/src/config-schema.js';
import { INFO, bodyText, fcOpts, isCatalogued, mutationOf, weird } from './arbitraries.js';

/**
 * Pure parsers at the trust boundaries, fed hostile input: nothing throws, every refusal names a
 * catalogued reason code (or the config error's key and rule), and an acceptance is complete.
 */

const parsedBody: fc.Arbitrary<ParsedBody> = fc.oneof(
  fc
    .oneof(weird, mutationOf({ code: -1013, msg: 'Filter failure' }), mutationOf({ symbol: 'BTCUSDT', orderId: 1 }))
    .map((value) => ({ parsed: true as const, value })),
  fc.string({ maxLength: 50 }).map((raw) => ({ parsed: false as const, raw })),
);

describe('fuzz: REST reply classification (outcome.ts)', () => {
  it('never throws; an order call is REJECTED only on a 4xx whose Binance code proves nothing executed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        parsedBody,
        fc.constantFrom('order' as const, 'read' as const),
        fc.dictionary(fc.constantFrom('retry-after', 'x-mbx-used-weight-1m'), fc.string({ maxLength: 12 })),
        (status, body, callKind, headers) => {
          const out = classify({ phase: 'response', callKind, status, body, headers });
          expect(['OK', 'REJECTED', 'UNKNOWN', 'THROTTLED']).toContain(out.kind);
          if (out.kind === 'OK') {
            expect(status >= 200 && status < 300).toBe(true);
            expect(body.parsed && typeof body.value === 'object' && body.value !== null).toBe(true);
          }
          if (out.kind === 'THROTTLED') expect(out.retryAfterMs).toBeGreaterThanOrEqual(0);
          if (out.kind === 'REJECTED' && callKind === 'order') {
            expect(status >= 400 && status < 500 && status !== 429 && status !== 418).toBe(true);
            expect((BINANCE_CODE_CLASS as Record<number, string>)[out.code]).toBe('REJECTED');
          }
          if (status >= 500) expect(out.kind).toBe('UNKNOWN');
        },
      ),
      fcOpts(3000),
    );
  });
});

describe('fuzz: exchangeInfo (exchange-info.ts)', () => {
  it('arbitrary JSON and mutations of a valid reply: ok with complete rules, or EXCHANGE_REPLY_INVALID (catalogued) with a reason', () => {
    expect(parseExchangeInfo(INFO).ok).toBe(true);
    const input = fc.oneof(
      { weight: 1, arbitrary: weird },
      { weight: 4, arbitrary: mutationOf(INFO) },
      {
        weight: 1,
        arbitrary: bodyText(INFO).map((t) => {
          try {
            return JSON.parse(t) as unknown;
          } catch {
            return t;
          }
        }),
      },
    );
    fc.assert(
      fc.property(input, (json) => {
        const r = parseExchangeInfo(json);
        if (!r.ok) {
          expect(isCatalogued(r.code)).toBe(true);
          expect(r.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(Number.isSafeInteger(r.serverTime)).toBe(true);
        for (const l of r.rateLimits) expect(Number.isSafeInteger(l.limit) && l.limit > 0).toBe(true);
        for (const rules of r.rules.values()) {
          for (const f of Object.values(rules.filters)) {
            for (const [k, v] of Object.entries(f as Record<string, unknown>)) {
              if (k === 'filterType') continue;
              // Every modelled field is present and of its declared kind: no half-understood filter.
              expect(v === undefined ? `${k} missing` : typeof v === 'string' ? isDecimalString(v) : typeof v === 'boolean' || Number.isSafeInteger(v)).toBe(
                true,
              );
            }
          }
        }
      }),
      fcOpts(2000),
    );
  });
});

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

const VALID_RESULT = {
  verdict: 'MODIFY',
  reasons: ['AI_SIZE_TOO_LARGE'],
  modify: { quantity: '0.002', stop_price: '63500', take_profit_price: null, entry_price: null, ttl_ms: null, max_requotes: null },
  confidence: 0.7,
  notes: 'halve it',
};
const AIGATE_CODES = ['AIGATE_PARSE_FAIL', 'AIGATE_SCHEMA_INVALID', 'AIGATE_REASON_UNKNOWN', 'AIGATE_MODIFY_INVALID'];

describe('fuzz: AI gate answers (aigate.ts judge + aigate-modify.ts)', () => {
  it('any model output: a verdict whose decision only reduces risk, or an ERROR with a catalogued AIGATE_* code', () => {
    const d = decision();
    fc.assert(
      fc.property(bodyText(VALID_RESULT), (content) => {
        const v = judge(content, d, null);
        switch (v.verdict) {
          case 'ERROR':
            expect(AIGATE_CODES).toContain(v.code);
            expect(isCatalogued(v.code)).toBe(true);
            return;
          case 'BLOCK':
            expect(v.reasons.length).toBeGreaterThan(0);
            return;
          case 'ALLOW':
            expect(v.decision).toBe(d);
            return;
          case 'MODIFY': {
            const n = v.decision;
            expect(Number(n.quantity)).toBeLessThanOrEqual(Number(d.quantity));
            expect(Number(n.quantity)).toBeGreaterThan(0);
            expect(Number(n.stop_price)).toBeGreaterThanOrEqual(Number(d.stop_price));
            expect(Number(n.stop_price)).toBeLessThan(Number(n.entry_price));
            expect({ symbol: n.symbol, side: n.side, intent: n.intent }).toEqual({ symbol: d.symbol, side: d.side, intent: d.intent });
            expect(isDecimalString(n.quantity) && isDecimalString(n.stop_price)).toBe(true);
            return;
          }
          default:
            throw new Error(`unexpected verdict ${JSON.stringify(v)}`);
        }
      }),
      fcOpts(3000),
    );
  });

  it('applyModify on arbitrary modify objects never throws and never widens risk', () => {
    const d = decision();
    fc.assert(
      fc.property(fc.oneof(weird, mutationOf(VALID_RESULT.modify)), (m) => {
        const r = applyModify(d, m, null);
        if (!r.ok) {
          expect(r.code).toBe('AIGATE_MODIFY_INVALID');
          return;
        }
        expect(Number(r.decision.quantity)).toBeLessThanOrEqual(Number(d.quantity));
        expect(Number(r.decision.stop_price)).toBeGreaterThanOrEqual(Number(d.stop_price));
        expect(r.decision.constraints.ttl_ms).toBeLessThanOrEqual(d.constraints.ttl_ms);
        expect(r.decision.constraints.max_requotes).toBeLessThanOrEqual(d.constraints.max_requotes);
      }),
      fcOpts(3000),
    );
  });
});

/** Every key path the schema knows (for mutations that hit real keys, not only random ones). */
function schemaPaths(s: { properties?: Record<string, unknown> }, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    out.push([...prefix, k]);
    if (typeof v === 'object' && v !== null && 'properties' in v) out.push(...schemaPaths(v as { properties: Record<string, unknown> }, [...prefix, k]));
  }
  return out;
}

describe('fuzz: configuration (config-load.ts)', () => {
  const keys = schemaPaths(CONFIG_SCHEMA as unknown as { properties: Record<string, unknown> });
  const defaults = (() => {
    const r = parseConfig({});
    if (!r.ok) throw new Error('defaults invalid');
    return JSON.parse(JSON.stringify(r.config)) as Record<string, unknown>;
  })();

  const check = (raw: unknown): void => {
    const r = parseConfig(raw);
    if (r.ok) return;
    expect(r.error.code).toBe('CONFIG_INVALID');
    expect(isCatalogued(r.error.code)).toBe(true);
    expect(r.error.key.length).toBeGreaterThan(0);
    expect(r.error.rule.length).toBeGreaterThan(0);
    // One line naming key and rule, as the CLI prints it.
    const line = formatConfigError(r.error);
    expect(line).toContain(`key "${r.error.key}"`);
    expect(line).toContain(`rule "${r.error.rule}"`);
    expect(line.includes('\n')).toBe(false);
  };

  it('random JSON objects: ok or one clear error, never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          weird,
          fc.dictionary(
            fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('mode', 'audit', 'exchange', 'panel', 'risk', '__proto__', 'constructor')),
            weird,
          ),
        ),
        check,
      ),
      fcOpts(2000),
    );
  });

  it('mutations of the default configuration (real keys set to hostile values, deleted or retyped)', () => {
    const onKey = fc.record({ path: fc.constantFrom(...keys), value: weird }).map(({ path, value }) => {
      const c = structuredClone(defaults);
      let cur = c as Record<string, unknown>;
      for (const k of path.slice(0, -1)) cur = (cur[k] ??= {}) as Record<string, unknown>;
      cur[path[path.length - 1]!] = value;
      return c;
    });
    fc.assert(
      fc.property(fc.oneof(onKey, mutationOf(defaults)), (raw) => {
        check(raw);
        // A config that loads has passed every rule: loading it again is stable.
        const r = parseConfig(raw);
        if (r.ok) expect(parseConfig(JSON.parse(JSON.stringify(r.config))).ok).toBe(true);
      }),
      fcOpts(2000),
    );
  });
});
