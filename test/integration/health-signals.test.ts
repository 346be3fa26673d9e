import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createPanelApp } from '../../apps/supervisor/src/panel/app.js';
import { supervisorPanelSource } from '../../apps/supervisor/src/status.js';
import { startSupervisor, waitFor } from './harness.js';

/** The health-signal rows of docs/00: panel field(s) and metric name(s) per signal. */
function documentedSignals(): { signal: string; metrics: string[] }[] {
  const doc = readFileSync(new URL('../../docs/00_SOURCE_OF_TRUTH.md', import.meta.url), 'utf8');
  const part = doc.slice(doc.indexOf('## Health signals'));
  const out: { signal: string; metrics: string[] }[] = [];
  for (const line of part.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5 || !cells[3]!.includes('vigil_')) continue;
    out.push({ signal: cells[1]!, metrics: [...cells[3]!.matchAll(/`(vigil_[a-z0-9_]+)/g)].map((m) => m[1]!) });
  }
  return out;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('health signals on a running bot against the simulator', () => {
  it('shows FILTERS_REFRESHED, RATE_LIMIT after a 429 window, writer pressure and the other signals on /api/signals and /metrics, each metric named in docs/00', async () => {
    const bot = await startSupervisor();
    cleanup.push(bot.stop);
    const source = supervisorPanelSource(bot.sup, bot.runId, bot.varDir);
    cleanup.push(async () => source.close());
    const app = createPanelApp(source, () => 8787);
    const get = async (p: string) => app.request(p, { headers: { host: '127.0.0.1:8787' } });
    type Sig = {
      filters_refreshed: { count: number; last_ts_ms: number | null };
      rate_limit_total: number | null;
      rest_throttled_total: number | null;
      writer: { queue_depth: number | null; lag_ms: number | null };
      quarantined: { count: number | null };
      ws_reconnects_per_min: number | null;
      sent_unknown: { count: number | null };
      aigate: { counts: Record<string, number> };
      blocks: Record<string, number>;
    };
    const sig = async (): Promise<Sig> => (await (await get('/api/signals')).json()) as Sig;

    // The gateway loads exchangeInfo at boot: FILTERS_REFRESHED counted with its time.
    const s1 = await waitFor(
      'filters refreshed and heartbeats in',
      async () => {
        const s = await sig();
        return s.filters_refreshed.count >= 1 && s.writer.queue_depth !== null && s.sent_unknown.count !== null && s.ws_reconnects_per_min !== null ? s : null;
      },
      15_000,
      50,
    );
    expect(s1.filters_refreshed.last_ts_ms).toBeGreaterThan(Date.now() - 60_000);
    expect(s1.rate_limit_total).toBe(0);
    expect(s1.quarantined.count).toBe(0);
    expect(s1.aigate.counts['AIGATE_TIMEOUT']).toBe(0);
    expect(s1.blocks).toEqual({ EDGE_TOO_LOW: 0, COST_TOO_HIGH: 0 });

    // A 429 window at the venue: the gateway's next calls meet it (and then hold back), counted.
    await fetch(`${bot.sim.admin}/admin/faults`, { method: 'POST', body: JSON.stringify({ kind: 'rate_limit_429', ms: 3000 }) });
    const s2 = await waitFor(
      'RATE_LIMIT counted',
      async () => {
        const s = await sig();
        return (s.rate_limit_total ?? 0) > 0 ? s : null;
      },
      15_000,
      50,
    );
    expect(s2.rate_limit_total).toBeGreaterThan(0);
    await fetch(`${bot.sim.admin}/admin/faults`, { method: 'DELETE' });

    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/^vigil_rate_limit_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^vigil_filters_refreshed_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^vigil_filters_refreshed_last_timestamp_seconds \d+(\.\d+)?$/m);
    expect(metrics).toMatch(/^vigil_writer_queue_depth \d+$/m);
    expect(metrics).toMatch(/^vigil_quarantined_symbols 0$/m);
    expect(metrics).toMatch(/^vigil_risk_blocks_total\{code="EDGE_TOO_LOW"\} 0$/m);
    expect(metrics).toMatch(/^vigil_aigate_events_total\{code="AIGATE_TIMEOUT"\} 0$/m);

    // Every signal row of docs/00 names metrics this endpoint exposes, and the spec's list is covered.
    const rows = documentedSignals();
    for (const r of rows) for (const m of r.metrics) expect(metrics, `${r.signal}: ${m}`).toContain(`# HELP ${m} `);
    const names = rows.map((r) => r.signal);
    for (const s of [
      'WS reconnect rate',
      'RATE_LIMIT count',
      'REST_THROTTLED count',
      'SENT_UNKNOWN count',
      'SENT_UNKNOWN oldest age',
      'writer queue depth',
      'writer lag',
      'AIGATE_* counts',
      'AIGATE_CALL latency mean',
      'AIGATE_CALL latency variance',
      'BLOCK volume by EDGE_TOO_LOW / COST_TOO_HIGH',
      'quarantined symbols',
      'FILTERS_REFRESHED',
    ]) {
      expect(names, s).toContain(s);
    }
  });
});
