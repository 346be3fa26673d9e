import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AIGATE_RESULT_SCHEMA } from '@vigil/contracts';
import { MODIFY_RULES, modifyDocTable } from '../../packages/core/src/aigate-modify.js';
import { judge } from '../../packages/engine/src/aigate.js';
import { decisionIdOf, type Decision } from '@vigil/contracts';

/**
 * The AI gate MODIFY rules exist once, as data (MODIFY_RULES), and docs/00_SOURCE_OF_TRUTH.md
 * shows them: the document's table must be exactly the one generated from the data.
 */
describe('docs/00_SOURCE_OF_TRUTH.md shows the MODIFY rule table the code enforces', () => {
  const doc = readFileSync(new URL('../../docs/00_SOURCE_OF_TRUTH.md', import.meta.url), 'utf8');

  it('the table between the modify-table markers is byte for byte modifyDocTable()', () => {
    const m = /<!-- modify-table:start -->\n([\s\S]*?)\n<!-- modify-table:end -->/.exec(doc);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(modifyDocTable());
  });

  it('every rule row appears in the document with its directions', () => {
    for (const r of MODIFY_RULES) expect(doc).toContain(`| \`${r.field}\` |`);
  });
});

/** Every object in AIGATE_RESULT_SCHEMA, wherever it sits (properties, anyOf branches, items). */
function objectSchemas(s: unknown, path = '$', out: { path: string; schema: Record<string, unknown> }[] = []): typeof out {
  if (Array.isArray(s)) s.forEach((x, i) => objectSchemas(x, `${path}[${i}]`, out));
  else if (s !== null && typeof s === 'object') {
    const o = s as Record<string, unknown>;
    if (o['type'] === 'object') out.push({ path, schema: o });
    for (const [k, v] of Object.entries(o)) objectSchemas(v, `${path}.${k}`, out);
  }
  return out;
}

describe('AIGateResult schema: additionalProperties false at every level', () => {
  it('each object schema in AIGATE_RESULT_SCHEMA (root and modify) says additionalProperties: false and requires all its properties', () => {
    const objs = objectSchemas(AIGATE_RESULT_SCHEMA);
    expect(objs.map((o) => o.path)).toEqual(['$', '$.properties.modify.anyOf[0]']);
    for (const { path, schema } of objs) {
      expect(schema['additionalProperties'], path).toBe(false);
      expect([...(schema['required'] as string[])].sort(), path).toEqual(Object.keys(schema['properties'] as object).sort());
    }
  });

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
  const d = { ids: { run_id: 'r', cycle_id: 1, snapshot_id: 's', decision_id: decisionIdOf(body) }, ...body } as Decision;
  const ok = { verdict: 'ALLOW', reasons: ['AI_OK'], modify: null, confidence: 0.8, notes: 'fine' };

  it('an extra key at the top level is AIGATE_SCHEMA_INVALID, not ignored', () => {
    expect(judge(JSON.stringify(ok), d, null).verdict).toBe('ALLOW');
    expect(judge(JSON.stringify({ ...ok, override: true }), d, null)).toMatchObject({ verdict: 'ERROR', code: 'AIGATE_SCHEMA_INVALID' });
  });

  it('an extra key inside modify is AIGATE_MODIFY_INVALID (a reach for a field it may not touch)', () => {
    const m = { quantity: '0.002', stop_price: null, take_profit_price: null, entry_price: null, ttl_ms: null, max_requotes: null };
    expect(judge(JSON.stringify({ ...ok, verdict: 'MODIFY', modify: m }), d, null).verdict).toBe('MODIFY');
    expect(judge(JSON.stringify({ ...ok, verdict: 'MODIFY', modify: { ...m, leverage: '10' } }), d, null)).toMatchObject({
      verdict: 'ERROR',
      code: 'AIGATE_MODIFY_INVALID',
    });
  });
});
