import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type EventEnvelope, type JsonObject, envelopeOf } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { AuditReader } from './read.js';
import { AuditWriter } from './writer.js';

describe('AuditReader', () => {
  it('reads mode changes, stages, alerts, runs and events/min while the writer keeps writing, and cannot write', () => {
    const r = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
    if (!r.ok) throw new Error('config');
    const dir = mkdtempSync(join(tmpdir(), 'audit-read-'));
    const dbFile = join(dir, 'data', 'audit.sqlite');
    const w = new AuditWriter({ dbFile, jsonlDir: join(dir, 'jsonl'), config: r.config.audit, now: Date.now, setReason: () => {} });
    w.open();
    const ev = (type: EventEnvelope['event_type'], payload: JsonObject, extra: Partial<EventEnvelope> = {}): EventEnvelope =>
      envelopeOf({ ts_ms: Date.now(), run_id: 'run_r', source: 'supervisor', event_type: type, payload, ...extra });
    w.enqueue([
      ev('RUN_STARTED', { config_hash: 'abc', versions: { app: '0.1.0' } }),
      ev('MODE_CHANGED', { from: 'PAUSE', to: 'DEGRADE', seq: 1, reasons: [{ code: 'RECOVERY_STABILIZING' }] }),
      ...Array.from({ length: 25 }, (_, i) =>
        ev('STAGE_CHANGED', { from: 'IDLE', to: 'MARKET_SNAPSHOT' }, { cycle_id: i, stage: 'MARKET_SNAPSHOT', source: 'engine' }),
      ),
      ev('ALERT_RAISED', { source: 'gateway', detail: { drift_ms: 900 } }, { reason_code: 'CLOCK_DRIFT', severity: 'CRIT' }),
    ]);
    w.drainAll();
    const reader = new AuditReader(dbFile);
    expect(reader.runs()).toMatchObject([{ run_id: 'run_r', config_hash: 'abc', stopped_ms: null }]);
    expect(reader.modeChanges()).toMatchObject([{ from_mode: 'PAUSE', to_mode: 'DEGRADE', reasons: [{ code: 'RECOVERY_STABILIZING' }] }]);
    const stages = reader.stageChanges();
    expect(stages).toHaveLength(20);
    expect(stages[0]!.cycle_id).toBe(24);
    const alerts = reader.alerts();
    expect(alerts).toMatchObject([{ severity: 'CRIT', reason_code: 'CLOCK_DRIFT', source: 'gateway', detail: { drift_ms: 900 } }]);
    expect(reader.alerts(alerts[0]!.seq)).toEqual([]);
    expect(reader.eventsPerMinute(0).reduce((a, b) => a + b.events, 0)).toBe(28);
    // The writer goes on while a reader is open.
    w.enqueue([ev('RUN_STOPPED', { reason: 'test' })]);
    expect(w.drainAll()).toBe(1);
    expect(reader.runs()[0]!.stop_reason).toBe('test');
    expect(() => (reader as unknown as { db: { exec(s: string): void } }).db.exec('DELETE FROM events')).toThrow();
    reader.close();
    w.close();
  });
});

describe('derived tables', () => {
  it('follows an intent from CREATED through SENT_UNKNOWN to CONFIRMED, with its order, fill and the rest', () => {
    const r = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
    if (!r.ok) throw new Error('config');
    const dir = mkdtempSync(join(tmpdir(), 'audit-derived-'));
    const dbFile = join(dir, 'data', 'audit.sqlite');
    const w = new AuditWriter({ dbFile, jsonlDir: join(dir, 'jsonl'), config: r.config.audit, now: Date.now, setReason: () => {} });
    w.open();
    const corr = { cycle_id: 7, decision_id: 'dec_1', order_intent_id: 'oi_1', source: 'engine' as const };
    const ev = (type: EventEnvelope['event_type'], payload: JsonObject, extra: Partial<EventEnvelope> = corr): EventEnvelope =>
      envelopeOf({ ts_ms: Date.now(), run_id: 'run_d', source: 'engine', event_type: type, payload, ...extra });
    w.enqueue([
      ev('INTENT_CREATED', { symbol: 'BTCUSDT', side: 'BUY', client_order_id: 'vgeabc' }),
      ev('INTENT_STATE_CHANGED', { from: 'CREATED', to: 'SENT_UNKNOWN' }),
      ev('INTENT_CREATED', { symbol: 'ETHUSDT', side: 'BUY' }, { ...corr, order_intent_id: 'oi_2' }),
      ev('ORDER_UPDATED', {
        client_order_id: 'vgeabc',
        symbol: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        status: 'NEW',
        price: '64000.00',
        orig_qty: '0.001',
        executed_qty: '0',
      }),
      ev('INTENT_STATE_CHANGED', { from: 'SENT_UNKNOWN', to: 'CONFIRMED' }),
      ev('ORDER_UPDATED', { client_order_id: 'vgeabc', status: 'FILLED', executed_qty: '0.001', exchange_order_id: '42' }),
      ev(
        'ORDER_UPDATED',
        {
          client_order_id: 'vgestop',
          symbol: 'BTCUSDT',
          side: 'SELL',
          type: 'STOP_LOSS_LIMIT',
          status: 'NEW',
          price: '63000.00',
          orig_qty: '0.000999',
          executed_qty: '0',
        },
        { ...corr, order_intent_id: 'oi_2' },
      ),
      ev('FILL_RECORDED', {
        client_order_id: 'vgeabc',
        symbol: 'BTCUSDT',
        side: 'BUY',
        price: '64000.00',
        qty: '0.001',
        commission: '0.000001',
        commission_asset: 'BTC',
        trade_id: '9',
      }),
      ev('POSITION_UPDATED', { symbol: 'BTCUSDT', qty: '0.000999', avg_price: '64000.00', protected: true }),
      ev('RECONCILE_COMPLETED', { duration_ms: 35, drift: 'OK', diffs: 1 }),
      ev('RECONCILE_DIFF', { kind: 'ORDER_STATUS', detail: { local: 'NEW', venue: 'FILLED' } }),
      ev('AIGATE_CALL', { model: 'm', verdict: 'ALLOW', reasons: ['OK'], latency_ms: 120.5, input_hash: 'h1', snapshot_hash: 'h2' }),
      ev('FILTERS_REFRESHED', { symbols: 3, diff: [] }),
    ]);
    w.drainAll();
    const reader = new AuditReader(dbFile);
    expect(reader.intentsByState()).toEqual({ CONFIRMED: 1, CREATED: 1 });
    const db = (reader as unknown as { db: { prepare(s: string): { all(): unknown[]; get(): unknown } } }).db;
    expect(db.prepare('SELECT to_state FROM intent_transitions ORDER BY seq').all()).toEqual([{ to_state: 'SENT_UNKNOWN' }, { to_state: 'CONFIRMED' }]);
    expect(db.prepare("SELECT status, executed_qty, exchange_order_id, price FROM orders WHERE client_order_id = 'vgeabc'").get()).toEqual({
      status: 'FILLED',
      executed_qty: '0.001',
      exchange_order_id: '42',
      price: '64000.00',
    });
    expect(db.prepare('SELECT price, qty, commission_asset FROM fills').get()).toEqual({ price: '64000.00', qty: '0.001', commission_asset: 'BTC' });
    expect(db.prepare('SELECT qty, protected FROM positions').get()).toEqual({ qty: '0.000999', protected: 1 });
    expect(db.prepare('SELECT drift, duration_ms, diffs FROM reconcile_runs').get()).toEqual({ drift: 'OK', duration_ms: 35, diffs: 1 });
    expect(db.prepare('SELECT kind, order_intent_id FROM reconcile_diffs').get()).toEqual({ kind: 'ORDER_STATUS', order_intent_id: 'oi_1' });
    expect(db.prepare('SELECT verdict, latency_ms, decision_id FROM ai_gate_events').get()).toEqual({
      verdict: 'ALLOW',
      latency_ms: 120.5,
      decision_id: 'dec_1',
    });
    expect(db.prepare('SELECT symbols FROM filters_snapshots').get()).toEqual({ symbols: 3 });
    expect(reader.lastReconcile()).toMatchObject({ drift: 'OK', duration_ms: 35, diffs: 1 });
    // The panel's orders, intents, fills and gate queries.
    expect(reader.recentOrders()).toMatchObject([
      { client_order_id: 'vgestop', status: 'NEW', intent_state: 'CREATED' },
      { client_order_id: 'vgeabc', order_intent_id: 'oi_1', intent_state: 'CONFIRMED', status: 'FILLED', price: '64000.00', executed_qty: '0.001' },
    ]);
    expect(reader.openOrders()).toMatchObject([{ client_order_id: 'vgestop', type: 'STOP_LOSS_LIMIT', order_intent_id: 'oi_2' }]);
    expect(reader.intentCounts(0)).toEqual({ CONFIRMED: 1, CREATED: 1 });
    // Final states only inside the window; open ones always.
    expect(reader.intentCounts(Date.now() + 60_000)).toEqual({ CREATED: 1 });
    expect(reader.fillsSince('BTCUSDT', 0)).toMatchObject([{ price: '64000.00', commission: '0.000001', commission_asset: 'BTC', client_order_id: 'vgeabc' }]);
    expect(reader.fillsSince('BTCUSDT', Date.now() + 60_000)).toEqual([]);
    const fillSeq = reader.maxFillSeq();
    expect(reader.fillsAfter(fillSeq - 1)).toHaveLength(1);
    expect(reader.fillsAfter(fillSeq)).toEqual([]);
    expect(reader.gateSummary(0)).toEqual({ verdicts: [{ verdict: 'ALLOW', error_code: null, n: 1 }], latencies_ms: [120.5] });
    expect(reader.eventsOfType('FILTERS_REFRESHED')).toMatchObject([{ payload: { symbols: 3 } }]);
    expect(reader.recentDiffs()).toMatchObject([{ kind: 'ORDER_STATUS', order_intent_id: 'oi_1', detail: { local: 'NEW', venue: 'FILLED' } }]);
    reader.close();
    w.close();
  });
});

describe('AuditReader.standingQuarantines', () => {
  it('returns per symbol the last quarantine imposed and not lifted, with its renewals and a restored re-imposition folded in', () => {
    const r = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
    if (!r.ok) throw new Error('config');
    const dir = mkdtempSync(join(tmpdir(), 'audit-quar-'));
    const dbFile = join(dir, 'data', 'audit.sqlite');
    const w = new AuditWriter({ dbFile, jsonlDir: join(dir, 'jsonl'), config: r.config.audit, now: Date.now, setReason: () => {} });
    w.open();
    const ev = (type: EventEnvelope['event_type'], ts: number, payload: JsonObject): EventEnvelope =>
      envelopeOf({
        ts_ms: ts,
        run_id: 'run_q',
        source: 'gateway',
        event_type: type,
        reason_code: type === 'SYMBOL_QUARANTINE_IMPOSED' ? 'SYMBOL_QUARANTINED' : null,
        payload,
      });
    const filter = { kind: 'FILTER_REJECTS', rejects: 3, window_ms: 600_000, last_msg: 'Filter failure: LOT_SIZE' };
    w.enqueue([
      // BTCUSDT: imposed, renewed twice, then restored by a restarted gateway (times carried over).
      ev('SYMBOL_QUARANTINE_IMPOSED', 1000, { symbol: 'BTCUSDT', cause: filter, since_ms: 1000, last_bad_ms: 1000, last_bad: 'filter reject: a' }),
      ev('SYMBOL_QUARANTINE_RENEWED', 2000, { symbol: 'BTCUSDT', cause: filter, since_ms: 1000, last_bad_ms: 2000, last_bad: 'filter reject: b' }),
      ev('SYMBOL_QUARANTINE_RENEWED', 3000, { symbol: 'BTCUSDT', cause: filter, since_ms: 1000, last_bad_ms: 3000, last_bad: 'filter reject: c' }),
      ev('SYMBOL_QUARANTINE_IMPOSED', 9000, {
        symbol: 'BTCUSDT',
        cause: filter,
        since_ms: 1000,
        last_bad_ms: 3000,
        last_bad: 'filter reject: c',
        restored: true,
      }),
      // ETHUSDT: imposed then lifted: not standing.
      ev('SYMBOL_QUARANTINE_IMPOSED', 1500, { symbol: 'ETHUSDT', cause: { kind: 'STATUS_NOT_TRADING', status: 'BREAK' } }),
      ev('SYMBOL_QUARANTINE_LIFTED', 4000, { symbol: 'ETHUSDT', cause: { kind: 'STATUS_NOT_TRADING', status: 'BREAK' } }),
      // BNBUSDT: an old row without the times: they fall back to the event's own time.
      ev('SYMBOL_QUARANTINE_IMPOSED', 5000, { symbol: 'BNBUSDT', cause: { kind: 'STATUS_NOT_TRADING', status: 'HALT' } }),
    ]);
    w.drainAll();
    const reader = new AuditReader(dbFile);
    expect(reader.standingQuarantines()).toEqual([
      { symbol: 'BTCUSDT', cause: filter, since_ms: 1000, last_bad_ms: 3000, last_bad: 'filter reject: c' },
      { symbol: 'BNBUSDT', cause: { kind: 'STATUS_NOT_TRADING', status: 'HALT' }, since_ms: 5000, last_bad_ms: 5000, last_bad: '(not recorded)' },
    ]);
    reader.close();
    w.close();
  });
});
