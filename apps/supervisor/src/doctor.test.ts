import { describe, expect, it } from 'vitest';
import { parseConfig } from '@vigil/runtime';
import type { JsonObject } from '@vigil/contracts';
import { redact } from '@vigil/core';
import { formatConfig } from './doctor-command.js';
import { runningBotChecks } from './doctor.js';

const status = (o: Record<string, unknown>): Record<string, unknown> => ({
  mode: 'NORMAL',
  since_ms: 1_000,
  reasons: [],
  workers: { engine: { metrics: { startup_released: true } }, gateway: { metrics: { quarantined: [] } } },
  ...o,
});
const reconcile = (drift: string | null): Record<string, unknown> => ({ last: drift === null ? null : { ts_ms: 9_000, drift, duration_ms: 12 }, diffs: [] });
const byItem = (rows: ReturnType<typeof runningBotChecks>) => Object.fromEntries(rows.map((r) => [r.item, r]));

describe('doctor: checks of a running bot', () => {
  it('is OK only in NORMAL, released, with a reconcile that is not BAD', () => {
    const r = byItem(runningBotChecks(status({}), reconcile('OK'), 10_000));
    expect(r['system mode']).toMatchObject({ status: 'OK', reason: null });
    expect(r['system mode']!.value).toBe('NORMAL for 9 s');
    expect(r['startup reconcile']).toMatchObject({ status: 'OK', value: 'released; last reconcile OK in 12 ms, 1 s ago' });
    expect(r['symbol quarantine']).toMatchObject({ status: 'OK', value: 'active, none quarantined' });
  });

  it('FAILs a system outside NORMAL with its first reason code', () => {
    const r = byItem(runningBotChecks(status({ mode: 'DEGRADE', reasons: [{ code: 'RATE_LIMIT' }, { code: 'WS_UNSTABLE' }] }), reconcile('OK'), 10_000));
    expect(r['system mode']).toMatchObject({ status: 'FAIL', reason: 'RATE_LIMIT', value: 'DEGRADE (RATE_LIMIT, WS_UNSTABLE) for 9 s' });
  });

  it('FAILs an engine still in STARTUP_RECOVER, and a BAD drift with DRIFT_LIMIT_EXCEEDED', () => {
    const held = status({ workers: { engine: { metrics: { startup_released: false } }, gateway: { metrics: { quarantined: ['ETHUSDT'] } } } });
    const r = byItem(runningBotChecks(held, reconcile(null), 10_000));
    expect(r['startup reconcile']).toMatchObject({
      status: 'FAIL',
      reason: 'STARTUP_RECOVER',
      value: 'not released (manage-only); last reconcile none recorded',
    });
    expect(r['symbol quarantine']!.value).toBe('active: ETHUSDT quarantined (no entries there)');
    const bad = byItem(runningBotChecks(status({}), reconcile('BAD'), 10_000));
    expect(bad['startup reconcile']).toMatchObject({ status: 'FAIL', reason: 'DRIFT_LIMIT_EXCEEDED' });
  });

  it('WARNs when the gateway does not report quarantine', () => {
    const r = byItem(runningBotChecks(status({ workers: { engine: { metrics: { startup_released: true } } } }), reconcile('OK'), 10_000));
    expect(r['symbol quarantine']).toMatchObject({ status: 'WARN', reason: 'SYMBOL_QUARANTINED' });
  });
});

describe('doctor: effective configuration', () => {
  it('lists the keys that differ from the defaults, redacted, and counts the rest', () => {
    const d = parseConfig({});
    const c = parseConfig({ panel: { port: 9999 }, exchange: { symbols: ['ETHUSDT'] } });
    if (!d.ok || !c.ok) throw new Error('config');
    const text = formatConfig(redact(c.config) as unknown as JsonObject, redact(d.config) as unknown as JsonObject);
    expect(text).toContain('  panel.port = 9999');
    expect(text).toContain('  exchange.symbols = ["ETHUSDT"]');
    expect(text).not.toContain('audit.busy_timeout_ms');
    expect(text).toMatch(/\(\d+ more keys at their defaults\)/);
  });
});
