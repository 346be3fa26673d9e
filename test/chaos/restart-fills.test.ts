import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type EventEnvelope, type EventType, type JsonObject, envelopeOf } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { AuditReader } from '../../packages/audit/src/read.js';
import { AuditWriter } from '../../packages/audit/src/writer.js';
import { ChurnCounter } from '../../packages/engine/src/churn.js';
import { IntentBook } from '../../packages/engine/src/intents.js';
import { Ledger } from '../../packages/engine/src/ledger.js';
import { restoreMemory } from '../../packages/engine/src/memory.js';
import { Trader } from '../../packages/engine/src/trader.js';

/** The engine's memory as the audit writer hands it over (request engine_memory). */
function readMemory(dbFile: string): ReturnType<AuditReader['engineMemory']> {
  const r = new AuditReader(dbFile);
  try {
    return r.engineMemory();
  } finally {
    r.close();
  }
}

/** A trader as the engine builds it after a restart (no venue, no rules), for restoreMemory to fill. */
function restartedTrader(base: string, now: number, ev: (type: EventType, payload: JsonObject) => EventEnvelope) {
  const ledger = new Ledger(() => ({ base, quote: 'USDT' }));
  const intents = new IntentBook({
    now: () => now,
    make: (t, p) => ev(t, p),
    commit: async () => ({ last_seq: 0, commit_ts_ms: now }),
    record: () => undefined,
  });
  const engineCfg = parseConfig({});
  if (!engineCfg.ok) throw new Error('config');
  const trader = new Trader({
    cfg: engineCfg.config.engine,
    now: () => now,
    call: () => null,
    intents,
    ledger,
    churn: new ChurnCounter(() => now),
    rules: () => null,
    quote: () => null,
    event: () => {},
    reason: () => {},
    orderTimeoutMs: 1000,
  });
  return { ledger, intents, trader };
}

/**
 * Regression (found by the chaos matrix, point b: killed after the venue executed the entry and
 * before the bot processed the reply). The user stream had already delivered the fill: the audit
 * held FILL_RECORDED and the POSITION_UPDATED that counted it. After the restart the remembered
 * entry was resolved FILLED by REST and its fill counted a second time: the position doubled and
 * the OCO sold twice what the bot owned (the account's other holdings made up the difference).
 */
describe('engine memory across a restart', () => {
  it('a fill already counted in the remembered position is not counted again when REST reports it', async () => {
    const cfg = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
    if (!cfg.ok) throw new Error(JSON.stringify(cfg.error));
    const dir = mkdtempSync(join(tmpdir(), 'vigil-fills-'));
    const dbFile = join(dir, 'data', 'audit.sqlite');
    const now = Date.UTC(2026, 11, 2, 8);
    const w = new AuditWriter({ dbFile, jsonlDir: join(dir, 'jsonl'), config: cfg.config.audit, now: () => now, setReason: () => {} });
    w.open();
    const ev = (type: EventType, payload: JsonObject): EventEnvelope =>
      envelopeOf({ ts_ms: now, run_id: 'run_a', source: 'engine', event_type: type, payload });
    const fill = {
      client_order_id: 'vgeabc',
      symbol: 'BTCUSDT',
      side: 'BUY',
      price: '64000',
      qty: '0.00078',
      commission: '0.00000078',
      commission_asset: 'BTC',
    };
    w.enqueue([
      ev('FILL_RECORDED', { ...fill, trade_id: '1' }),
      ev('POSITION_UPDATED', {
        symbol: 'BTCUSDT',
        qty: '0.00077922',
        avg_price: '64064.06406406',
        realized: '0',
        fees_quote: '0.04992',
        opened_ms: now,
        protected: false,
        protection: null,
        stop_price: '63000',
        take_profit_price: '66000',
        trailing_delta_bps: null,
      }),
      // Recorded, but the process died before the position snapshot that would have counted it.
      ev('FILL_RECORDED', { ...fill, trade_id: '2' }),
    ]);
    w.drainAll();
    w.close();

    const mem = { memory: readMemory(dbFile) };
    expect(mem.memory.positions[0]?.trade_ids).toEqual(['1']);
    const { ledger, intents, trader } = restartedTrader('BTC', now, ev);
    restoreMemory(mem.memory, { ledger, intents, trader, now: () => now });
    expect(ledger.position('BTCUSDT').qty).toBe('0.00077922');
    // REST reports trade 1 (the remembered entry resolved FILLED, or myTrades): already counted.
    expect(ledger.apply({ ...fill, side: 'BUY', trade_id: 1, ts_ms: now })).toBe(false);
    expect(ledger.position('BTCUSDT').qty).toBe('0.00077922');
    // Trade 2 was never in the snapshot: it is counted.
    expect(ledger.apply({ ...fill, side: 'BUY', trade_id: 2, ts_ms: now })).toBe(true);
    expect(ledger.position('BTCUSDT').qty).toBe('0.00155844');
  });
});

/**
 * Regression (found by the chaos matrix, point g): an entry confirmed as resting (NEW) when the bot
 * died, filled while it was down. Its intent was settled (CONFIRMED), so the restart did not
 * remember it, reconcile saw no open order and no position, and the fill stayed an unprotected
 * position for good. A confirmed entry last seen working is remembered; a finished one is not.
 */
describe('engine memory: confirmed entries last seen working', () => {
  it('remembers a confirmed entry whose order was last seen NEW, not one seen FILLED', () => {
    const cfg = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
    if (!cfg.ok) throw new Error(JSON.stringify(cfg.error));
    const dir = mkdtempSync(join(tmpdir(), 'vigil-working-'));
    const dbFile = join(dir, 'data', 'audit.sqlite');
    const now = Date.now();
    const w = new AuditWriter({ dbFile, jsonlDir: join(dir, 'jsonl'), config: cfg.config.audit, now: () => now, setReason: () => {} });
    w.open();
    const ev = (type: EventType, payload: JsonObject, intent: string): EventEnvelope =>
      envelopeOf({ ts_ms: now, run_id: 'run_a', source: 'engine', order_intent_id: intent, event_type: type, payload });
    const entry = (intent: string, coid: string, status: string): EventEnvelope[] => [
      ev(
        'INTENT_CREATED',
        {
          kind: 'ENTRY',
          symbol: 'ETHUSDT',
          side: 'BUY',
          client_order_id: coid,
          quantity: '0.0156',
          price: '3196.83',
          stop_price: '3150',
          take_profit_price: '3290',
        },
        intent,
      ),
      ev('INTENT_STATE_CHANGED', { from: 'CREATED', to: 'CONFIRMED', kind: 'ENTRY', symbol: 'ETHUSDT', client_order_id: coid, status }, intent),
      ev(
        'ORDER_UPDATED',
        {
          client_order_id: coid,
          symbol: 'ETHUSDT',
          side: 'BUY',
          type: 'LIMIT',
          status,
          price: '3196.83',
          orig_qty: '0.0156',
          executed_qty: status === 'FILLED' ? '0.0156' : '0',
          exchange_order_id: '1',
        },
        intent,
      ),
    ];
    w.enqueue([...entry('int_working', 'vgeworking', 'NEW'), ...entry('int_done', 'vgedone', 'FILLED')]);
    w.drainAll();
    w.close();
    const mem = { memory: readMemory(dbFile) };
    expect(mem.memory.intents.map((i) => [i.client_order_id, i.state])).toEqual([['vgeworking', 'CONFIRMED']]);
  });
});

/**
 * Regression (found by a crash-restart probe): a position closed by its protection leaves dust whose
 * last POSITION_UPDATED still carries the closed position's plan. A new entry on the symbol, killed
 * as it filled, was restored with that old plan: the restarted bot judged the new position against
 * the old stop (535.56, where the entry's own was 529.40) and sold it at market within a second.
 */
describe('engine memory: a remembered entry brings its own protection plan', () => {
  const restore = (events: (ev: (type: EventType, payload: JsonObject, intent?: string) => EventEnvelope) => EventEnvelope[]) => {
    const cfg = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
    if (!cfg.ok) throw new Error(JSON.stringify(cfg.error));
    const dir = mkdtempSync(join(tmpdir(), 'vigil-plan-'));
    const dbFile = join(dir, 'data', 'audit.sqlite');
    const now = Date.now();
    const w = new AuditWriter({ dbFile, jsonlDir: join(dir, 'jsonl'), config: cfg.config.audit, now: () => now, setReason: () => {} });
    w.open();
    const ev = (type: EventType, payload: JsonObject, intent?: string): EventEnvelope =>
      envelopeOf({ ts_ms: now, run_id: 'run_a', source: 'engine', event_type: type, payload, ...(intent ? { order_intent_id: intent } : {}) });
    w.enqueue(events(ev));
    w.drainAll();
    w.close();
    const memory = readMemory(dbFile);
    const { ledger, intents, trader } = restartedTrader('BNB', now, ev);
    restoreMemory(memory, { ledger, intents, trader, now: () => now });
    return trader.slot('BNBUSDT').plan;
  };
  const dust = (plan: { stop_price: string; take_profit_price: string; trailing_delta_bps: number | null }): JsonObject => ({
    symbol: 'BNBUSDT',
    qty: '0.000736',
    avg_price: '560.10',
    realized: '-1.2',
    fees_quote: '0.1',
    opened_ms: 1,
    protected: false,
    protection: null,
    ...plan,
  });
  const entry = (stop: string, tp: string): JsonObject => ({
    kind: 'ENTRY',
    symbol: 'BNBUSDT',
    side: 'BUY',
    client_order_id: 'vgenewentry',
    quantity: '0.093',
    price: '535.84',
    stop_price: stop,
    take_profit_price: tp,
  });

  it("dust with the closed position's plan and a newer entry still unsettled: the slot's plan is the entry's", () => {
    const plan = restore((ev) => [
      ev('POSITION_UPDATED', dust({ stop_price: '535.56', take_profit_price: '584.74', trailing_delta_bps: 80 })),
      ev('INTENT_CREATED', entry('529.40', '548.70'), 'int_new'),
    ]);
    expect(plan).toEqual({ stop_price: '529.40', take_profit_price: '548.70', trailing_delta_bps: null });
  });

  it("the position is the entry's own (the same stop and take-profit): its trailing delta is kept", () => {
    const plan = restore((ev) => [
      ev('INTENT_CREATED', entry('529.40', '548.70'), 'int_new'),
      ev('POSITION_UPDATED', { ...dust({ stop_price: '529.40', take_profit_price: '548.70', trailing_delta_bps: 80 }), qty: '0.093' }),
    ]);
    expect(plan).toEqual({ stop_price: '529.40', take_profit_price: '548.70', trailing_delta_bps: 80 });
  });
});

/**
 * Regression (found by a probe re-running its scenario across a restart): an entry declared
 * NOT_FOUND that had filled was asked about again only by the engine that declared it. Restarted
 * within the ten minutes, the new engine forgot it: its coins unprotected, outside P&L and exposure.
 */
describe('engine memory: entries declared NOT_FOUND lately', () => {
  it('are remembered with their plan and asked about again after a restart; older ones and other kinds are not', async () => {
    const cfg = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0 } });
    if (!cfg.ok) throw new Error(JSON.stringify(cfg.error));
    const dir = mkdtempSync(join(tmpdir(), 'vigil-notfound-'));
    const dbFile = join(dir, 'data', 'audit.sqlite');
    const now = Date.now();
    let at = now;
    const w = new AuditWriter({ dbFile, jsonlDir: join(dir, 'jsonl'), config: cfg.config.audit, now: () => at, setReason: () => {} });
    w.open();
    const ev = (type: EventType, payload: JsonObject, intent: string, ts: number): EventEnvelope =>
      envelopeOf({ ts_ms: ts, run_id: 'run_a', source: 'engine', order_intent_id: intent, event_type: type, payload });
    const lost = (intent: string, coid: string, endedAt: number): EventEnvelope[] => [
      ev(
        'INTENT_CREATED',
        {
          kind: 'ENTRY',
          symbol: 'ETHUSDT',
          side: 'BUY',
          client_order_id: coid,
          quantity: '0.0156',
          price: '3196.83',
          stop_price: '3150',
          take_profit_price: '3290',
        },
        intent,
        endedAt - 20_000,
      ),
      ev('INTENT_STATE_CHANGED', { from: 'CREATED', to: 'SENT_UNKNOWN', kind: 'ENTRY', symbol: 'ETHUSDT', client_order_id: coid }, intent, endedAt - 19_000),
      ev('INTENT_STATE_CHANGED', { from: 'SENT_UNKNOWN', to: 'NOT_FOUND', kind: 'ENTRY', symbol: 'ETHUSDT', client_order_id: coid }, intent, endedAt),
    ];
    for (const e of [...lost('int_old', 'vgeoldlost', now - 20 * 60_000), ...lost('int_recent', 'vgerecentlost', now - 60_000)]) {
      at = e.ts_ms;
      w.enqueue([e]);
      w.drainAll();
    }
    w.close();
    const memory = readMemory(dbFile);
    expect((memory.notFoundEntries ?? []).map((i) => i.client_order_id)).toEqual(['vgerecentlost']);
    const { ledger, intents, trader } = restartedTrader('ETH', now, (t, p) =>
      envelopeOf({ ts_ms: now, run_id: 'run_b', source: 'engine', event_type: t, payload: p }),
    );
    restoreMemory(memory, { ledger, intents, trader, now: () => now });
    const watched = (trader as unknown as { lateWatch: Map<string, { until: number }> }).lateWatch;
    expect([...watched.keys()]).toEqual(['vgerecentlost']);
    expect(watched.get('vgerecentlost')!.until).toBe(now - 60_000 + 600_000);
    // Its plan comes with it: a fill found for it is protected, not sold as "without a plan".
    expect(intents.byClientOrderId('vgerecentlost')?.detail['stop_price']).toBe('3150');
  });
});
