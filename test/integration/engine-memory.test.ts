import { afterEach, describe, expect, it } from 'vitest';
import { GATE_LATENCY_WINDOW } from '@vigil/contracts';
import { EventFactory } from '@vigil/runtime';
import { startSupervisor } from './harness.js';

/**
 * The engine never opens the audit database: at start it asks the audit writer for its memory
 * (request engine_memory on the audit channel). The writer commits everything queued before the
 * request first, so an engine restarted after a crash sees the last rows its predecessor sent.
 */
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('engine memory over the audit channel', () => {
  it('engine_memory answers with a position whose POSITION_UPDATED was only queued (bulk, uncommitted) when the request was sent', async () => {
    const s = await startSupervisor({ audit: { audit_writer_flush_interval_ms: 10_000 } });
    cleanup.push(s.stop);
    const events = new EventFactory(s.runId, 'engine');
    const now = Date.now();
    s.sup.audit.append(
      events.make('POSITION_UPDATED', {
        symbol: 'ETHUSDT',
        qty: '0.75',
        avg_price: '3000',
        protected: false,
        opened_ms: now,
        stop_price: '2900',
        take_profit_price: null,
        trailing_delta_bps: null,
        last_trade_id: null,
      }),
    );
    const mem = await s.sup.audit.engineMemory(now);
    const p = mem.positions.find((x) => x.symbol === 'ETHUSDT');
    expect(p?.payload).toMatchObject({ qty: '0.75', avg_price: '3000' });
    expect(mem.today === null || mem.today.day === new Date(now).toISOString().slice(0, 10)).toBe(true);
  }, 60_000);

  it("engine_memory carries the last GATE_LATENCY_WINDOW AI gate latencies, oldest first (calls without a latency left out), so a restarted engine's AIGATE_CALL signals cover the same calls", async () => {
    const s = await startSupervisor({ audit: { audit_writer_flush_interval_ms: 10_000 } });
    cleanup.push(s.stop);
    const events = new EventFactory(s.runId, 'engine');
    const call = (latency: number | null) =>
      events.make('AIGATE_CALL', {
        snapshot_hash: 'h',
        input_hash: 'i',
        model: 'm',
        verdict: 'ALLOW',
        reasons: [],
        error_code: null,
        latency_ms: latency,
        tokens: null,
        notes: null,
      });
    s.sup.audit.append(call(null));
    for (let i = 1; i <= GATE_LATENCY_WINDOW + 5; i++) s.sup.audit.append(call(i));
    s.sup.audit.append(call(null));
    const mem = await s.sup.audit.engineMemory(Date.now());
    expect(mem.gateLatenciesMs).toEqual(Array.from({ length: GATE_LATENCY_WINDOW }, (_, k) => k + 6));
  }, 60_000);

  it('engine_memory with a now_ms that is not a finite number is refused by the channel, not answered', async () => {
    const s = await startSupervisor();
    cleanup.push(s.stop);
    await expect(s.sup.audit.engineMemory(Number.NaN)).rejects.toThrow(/CHANNEL_MALFORMED/);
  }, 60_000);
});
