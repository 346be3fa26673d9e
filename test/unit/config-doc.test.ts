import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configBoundsTable, configKeyDocs } from '../../packages/runtime/src/config-doc.js';

/**
 * docs/00_SOURCE_OF_TRUTH.md is what operators read; the schema is what the code enforces.
 * Parse the doc's table back and compare key by key: default and unit must agree, and no key may
 * be missing from either side.
 */
describe('docs/00_SOURCE_OF_TRUTH.md agrees with the config schema', () => {
  const doc = readFileSync(new URL('../../docs/00_SOURCE_OF_TRUTH.md', import.meta.url), 'utf8');
  const rows = new Map<string, { def: string; unit: string; why: string }>();
  for (const line of doc.split('\n')) {
    const m = /^\| `([a-z0-9_.]+)` \| `(.*)` \| ([a-z]*) \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1]!, { def: m[2]!.replace(/\\\|/g, '|'), unit: m[3]!, why: m[4]! });
  }
  const schema = configKeyDocs();

  it('lists every schema key and no other', () => {
    expect([...rows.keys()].sort()).toEqual(schema.map((d) => d.key).sort());
  });

  it('gives each key the schema default and unit, and a reason', () => {
    for (const d of schema) {
      const row = rows.get(d.key);
      expect(row, d.key).toBeDefined();
      expect(row!.def, `${d.key} default`).toBe(d.default);
      expect(row!.unit, `${d.key} unit`).toBe(d.unit);
      expect(row!.why.length, `${d.key} why`).toBeGreaterThan(10);
    }
  });

  it('names every threshold the operations rules ask for', () => {
    for (const k of [
      'audit.disk_free_pause_bytes',
      'audit.audit_writer_queue_full_pct',
      'audit.audit_writer_max_lag_ms',
      'exchange.clock_drift_max_ms_live',
      'exchange.time_sync_recv_window_ms',
      'exchange.time_sync_interval_ms',
      'supervisor.degrade_stability_window_ms',
      'panel.port',
    ]) {
      expect(rows.has(k), k).toBe(true);
    }
  });

  it('carries the bounds table (minimum and maximum of every numeric key) exactly as the schema has it', () => {
    const a = doc.indexOf('<!-- config-bounds:start -->\n');
    const b = doc.indexOf('\n<!-- config-bounds:end -->');
    expect(a).toBeGreaterThan(0);
    expect(doc.slice(a + '<!-- config-bounds:start -->\n'.length, b)).toBe(configBoundsTable());
  });
});
