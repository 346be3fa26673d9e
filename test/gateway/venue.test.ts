import { afterEach, describe, expect, it } from 'vitest';
import { clientOrderIdFor, type JsonObject, type ReasonCode } from '@vigil/contracts';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { MarketStream } from '../../packages/gateway/src/market-stream.js';
import { SIM_KEY, startVenue } from '../integration/harness.js';
import { gatewayOn } from './gateway-harness.js';

/**
 * The gateway's real modules against apps/exchange-sim over real sockets, with the venue's faults:
 * each typed outcome and reason code the operations rules name.
 */
let sim: ExchangeSim | null = null;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await sim?.close();
  sim = null;
});

async function gateway() {
  sim = await startVenue();
  const g = await gatewayOn(sim, {
    order_timeout_ms: 1500,
    rest_timeout_ms: 1500,
    ws_stale_ms: 400,
    ws_reconnect_backoff_initial_ms: 20,
    ws_reconnect_backoff_max_ms: 80,
  });
  cleanups.push(() => g.rest.close());
  await g.session.checkApiKey();
  g.session.checkFreshness();
  return { session: g.session, desk: g.desk, reasons: g.reasons, admin: g.admin, ex: g.ex, sim };
}

const buy = (cid: string, o: Record<string, string> = {}) => ({
  symbol: 'BTCUSDT',
  side: 'BUY' as const,
  type: 'LIMIT' as const,
  client_order_id: cid,
  quantity: '0.001',
  price: '60000.00',
  time_in_force: 'GTC' as const,
  ...o,
});

describe('gateway against apps/exchange-sim', () => {
  it('boots clean: clock synced, rules and limits loaded, key accepted, no reasons', async () => {
    const g = await gateway();
    expect([...g.reasons.keys()]).toEqual([]);
    expect(g.session.health()).toMatchObject({ rest: 'OK', clock_offset_ms: expect.any(Number) });
    expect([...g.session.rules.keys()].sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
  });

  it('places, queries and cancels an order: OK outcomes with the venue report', async () => {
    const g = await gateway();
    const placed = await g.desk.place(buy('vgeok1'));
    expect(placed).toMatchObject({ kind: 'OK', body: { status: 'NEW', client_order_id: 'vgeok1', price: '60000.00000000' } });
    expect(await g.desk.query('BTCUSDT', 'vgeok1')).toMatchObject({ kind: 'OK', body: { status: 'NEW' } });
    expect(await g.desk.cancel('BTCUSDT', 'vgeok1')).toMatchObject({ kind: 'OK', body: { status: 'CANCELED' } });
    expect(await g.desk.account()).toMatchObject({ kind: 'OK', body: { can_trade: true } });
  });

  it('a dropped response after execution is UNKNOWN, never REJECTED, and REST by clientOrderId resolves it', async () => {
    const g = await gateway();
    await g.admin('POST', '/admin/faults', { kind: 'drop_response_after_execute', once: true, route: 'POST /api/v3/order' });
    const out = await g.desk.place(buy('vgelost1'));
    expect(out.kind).toBe('UNKNOWN');
    expect(await g.desk.query('BTCUSDT', 'vgelost1')).toMatchObject({ kind: 'OK', body: { status: 'NEW' } });
    const state = (await g.admin('GET', '/admin/state')) as { orders: { clientOrderId: string }[] };
    expect(state.orders.filter((o) => o.clientOrderId === 'vgelost1')).toHaveLength(1); // sent exactly once
  });

  it.each([
    ['error_1007', { execute: true }],
    ['http_5xx', { execute: false, status: 503 }],
  ])('%s is UNKNOWN and is not resent', async (kind, extra) => {
    const g = await gateway();
    await g.admin('POST', '/admin/faults', { kind, once: true, route: 'POST /api/v3/order', ...extra });
    expect((await g.desk.place(buy(`vge${kind}`))).kind).toBe('UNKNOWN');
    const state = (await g.admin('GET', '/admin/state')) as { orders: unknown[] };
    expect(state.orders.length).toBe(extra.execute ? 1 : 0);
  });

  it('a just-placed order briefly not found answers REJECTED -2013 (not final: the engine retries over time)', async () => {
    const g = await gateway();
    await g.admin('POST', '/admin/faults', { kind: 'query_not_found', ms: 60_000 });
    await g.desk.place(buy('vgelag1'));
    expect(await g.desk.query('BTCUSDT', 'vgelag1')).toMatchObject({ kind: 'REJECTED', code: -2013 });
  });

  it('429 then 418: THROTTLED outcomes, RATE_LIMIT then IP_BANNED', async () => {
    const g = await gateway();
    await g.admin('POST', '/admin/faults', { kind: 'rate_limit_429', once: true, ms: 30_000 });
    expect(await g.desk.account()).toMatchObject({ kind: 'THROTTLED', status: 429 });
    g.session.checkFreshness();
    expect(g.reasons.has('RATE_LIMIT')).toBe(true);
    // The governor now holds calls back locally: nothing more reaches the venue while limited.
    expect(await g.desk.account()).toMatchObject({ kind: 'NOT_SENT' });
    await g.admin('POST', '/admin/faults', { kind: 'ban_418', once: true });
    const fresh = await gateway();
    await fresh.admin('POST', '/admin/faults', { kind: 'ban_418', once: true });
    expect(await fresh.desk.account()).toMatchObject({ kind: 'THROTTLED', status: 418 });
    fresh.session.checkFreshness();
    expect(fresh.reasons.has('IP_BANNED')).toBe(true);
  });

  it('clock skew: -1021 leads to one resync and one retry, which succeeds', async () => {
    const g = await gateway();
    await g.admin('POST', '/admin/faults', { kind: 'clock_skew', ms: -30_000 });
    expect(await g.desk.account()).toMatchObject({ kind: 'OK' });
    expect(g.reasons.has('TIMESTAMP_REJECTED')).toBe(false);
    expect(g.reasons.get('CLOCK_DRIFT')).toMatchObject({ clock_drift_max_ms_live: g.ex.clock_drift_max_ms_live });
  });

  it('a halted symbol: SYMBOL_NOT_TRADING and quarantine after refresh; an entry is refused locally, a protective SELL is left to the venue', async () => {
    const g = await gateway();
    await g.admin('POST', '/admin/symbol', { symbol: 'BTCUSDT', status: 'HALT' });
    await g.session.refreshFilters();
    expect(g.reasons.get('SYMBOL_NOT_TRADING')).toMatchObject({ symbols: ['BTCUSDT'] });
    expect(g.reasons.get('SYMBOL_QUARANTINED')).toMatchObject({ symbols: ['BTCUSDT'] });
    expect(await g.desk.place(buy('vgehalt'))).toMatchObject({ kind: 'NOT_SENT', cause: 'SYMBOL_QUARANTINED' });
    // The venue, not our copy of the status, decides whether a halted market takes an exit.
    const exit = {
      symbol: 'BTCUSDT',
      side: 'SELL' as const,
      type: 'MARKET' as const,
      client_order_id: clientOrderIdFor('oi_halt', 'close'),
      quantity: '0.001',
    };
    expect(await g.desk.place(exit)).toMatchObject({ kind: 'REJECTED', code: -1013, msg: 'Market is closed.' });
  });

  it('entries stop at 90% of the ORDERS limit (REST_THROTTLED, not sent) while a protective exit in the same window still goes to the venue', async () => {
    const g = await gateway();
    // IOC buys far under the market: each counts one new order and leaves nothing open.
    const ioc = (i: number) => buy(`vgethr${i}`, { time_in_force: 'IOC', price: '30000.00' });
    let refused: unknown = null;
    for (let i = 0; i < 500 && refused === null; i++) {
      const out = await g.desk.place(ioc(i));
      if (out.kind === 'NOT_SENT') refused = out;
    }
    expect(refused).toMatchObject({ kind: 'NOT_SENT', cause: 'REST_THROTTLED' });
    const exit = { symbol: 'BTCUSDT', side: 'SELL' as const, type: 'MARKET' as const, client_order_id: clientOrderIdFor('oi_thr', 'close'), quantity: '0.001' };
    const sent = await g.desk.place(exit);
    expect(sent.kind).not.toBe('NOT_SENT');
    // Still the same window: entries are still held back.
    expect(await g.desk.place(ioc(999))).toMatchObject({ kind: 'NOT_SENT', cause: 'REST_THROTTLED' });
  });

  it('a key with withdrawals enabled is refused', async () => {
    const g = await gateway();
    await g.admin('POST', '/admin/key', { apiKey: SIM_KEY.apiKey, enableWithdrawals: true });
    await g.session.checkApiKey();
    expect(g.reasons.has('API_KEY_WITHDRAW_ENABLED')).toBe(true);
  });

  it('market stream: ticks from the venue, WS_STALE on a silent stall, reconnect after a disconnect', async () => {
    const g = await gateway();
    const reasons = new Map<ReasonCode, JsonObject>();
    const ticks: string[] = [];
    const gaps: string[] = [];
    const stream = new MarketStream({
      cfg: g.ex,
      now: Date.now,
      reason: (c, on, d) => void (on ? reasons.set(c, d) : reasons.delete(c)),
      onTick: (t) => ticks.push(t.symbol),
      onGap: (w) => gaps.push(w),
    });
    cleanups.push(() => stream.stop());
    stream.start();
    const until = async (what: string, fn: () => boolean) => {
      const end = Date.now() + 4000;
      while (!fn()) {
        if (Date.now() > end) throw new Error(what);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await until('ticks', () => ticks.includes('BTCUSDT') && ticks.includes('ETHUSDT'));
    await g.admin('POST', '/admin/faults', { kind: 'ws_stall' });
    await until('stale', () => reasons.has('WS_STALE'));
    await g.admin('DELETE', '/admin/faults');
    await until('reconnected after stale', () => gaps.length >= 2 && stream.state === 'CONNECTED');
    await g.admin('POST', '/admin/faults', { kind: 'ws_disconnect', once: true });
    await until('reconnected after drop', () => gaps.length >= 3 && stream.state === 'CONNECTED');
  });
});
