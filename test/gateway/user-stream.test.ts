import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject, ReasonCode, UserEvent } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { UserStream } from '../../packages/gateway/src/user-stream.js';
import { SIM_KEY, startVenue, venueConfig } from '../integration/harness.js';

/** The user data stream over the simulator's WebSocket API. */
let sim: ExchangeSim | null = null;
let stream: UserStream | null = null;
afterEach(async () => {
  stream?.stop();
  await sim?.close();
  sim = stream = null;
});

async function setup(secret = SIM_KEY.secretKey) {
  sim = await startVenue();
  const r = parseConfig({
    ...venueConfig(sim),
    exchange: { ...(venueConfig(sim)['exchange'] as object), ws_reconnect_backoff_initial_ms: 20, ws_reconnect_backoff_max_ms: 50 },
  });
  if (!r.ok) throw new Error('config');
  const reasons = new Map<ReasonCode, JsonObject>();
  const events: UserEvent[] = [];
  const gaps: string[] = [];
  stream = new UserStream({
    cfg: r.config.exchange,
    apiKey: SIM_KEY.apiKey,
    secret,
    exchangeNow: () => Date.now(),
    reason: (c, on, d) => void (on ? reasons.set(c, d) : reasons.delete(c)),
    onEvent: (e) => events.push(e),
    onGap: (w) => gaps.push(w),
  });
  stream.start();
  return { s: sim, reasons, events, gaps };
}

const until = async (what: string, fn: () => boolean): Promise<void> => {
  const end = Date.now() + 4000;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

async function placeBuy(s: ExchangeSim, cid: string, price: string): Promise<void> {
  const q = new URLSearchParams({
    symbol: 'BTCUSDT',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    quantity: '0.001',
    price,
    newClientOrderId: cid,
    timestamp: String(Date.now()),
  }).toString();
  const sig = createHmac('sha256', SIM_KEY.secretKey).update(q).digest('hex');
  const r = await fetch(`${s.rest}/api/v3/order?${q}&signature=${sig}`, { method: 'POST', headers: { 'X-MBX-APIKEY': SIM_KEY.apiKey } });
  expect(r.status).toBe(200);
}

describe('user data stream (WebSocket API) against apps/exchange-sim', () => {
  it('subscribes, then reports an order from NEW to FILLED with balances, as typed events', async () => {
    const h = await setup();
    await until('subscribed', () => stream!.state === 'SUBSCRIBED');
    expect(h.gaps).toEqual(['start']); // a fresh subscription is a gap too: reconcile once
    await fetch(`${h.s.admin}/admin/price`, { method: 'POST', body: JSON.stringify({ symbol: 'BTCUSDT', price: '64000' }) });
    await placeBuy(h.s, 'vgeus1', '63000.00');
    await until('NEW', () => h.events.some((e) => e.kind === 'order' && e.status === 'NEW'));
    await fetch(`${h.s.admin}/admin/price`, { method: 'POST', body: JSON.stringify({ symbol: 'BTCUSDT', price: '62900' }) });
    await until('FILLED', () => h.events.some((e) => e.kind === 'order' && e.status === 'FILLED'));
    const fill = h.events.find((e) => e.kind === 'order' && e.exec_type === 'TRADE');
    expect(fill).toMatchObject({ client_order_id: 'vgeus1', last_qty: '0.00100000', last_price: '63000.00000000', commission_asset: 'BTC' });
    expect(h.events.some((e) => e.kind === 'balances' && e.balances.some((b) => b.asset === 'USDT'))).toBe(true);
  });

  it('a cancel is reported under the order own clientOrderId (C), not the cancel id the venue puts in c', async () => {
    const h = await setup();
    await until('subscribed', () => stream!.state === 'SUBSCRIBED');
    await fetch(`${h.s.admin}/admin/price`, { method: 'POST', body: JSON.stringify({ symbol: 'BTCUSDT', price: '64000' }) });
    await placeBuy(h.s, 'vgeus2', '60000.00');
    const q = new URLSearchParams({ symbol: 'BTCUSDT', origClientOrderId: 'vgeus2', newClientOrderId: 'vgecxl2', timestamp: String(Date.now()) }).toString();
    const sig = createHmac('sha256', SIM_KEY.secretKey).update(q).digest('hex');
    expect((await fetch(`${h.s.rest}/api/v3/order?${q}&signature=${sig}`, { method: 'DELETE', headers: { 'X-MBX-APIKEY': SIM_KEY.apiKey } })).status).toBe(200);
    await until('CANCELED', () => h.events.some((e) => e.kind === 'order' && e.status === 'CANCELED'));
    expect(h.events.find((e) => e.kind === 'order' && e.status === 'CANCELED')).toMatchObject({ client_order_id: 'vgeus2', exec_type: 'CANCELED' });
  });

  it('the user_stream_silent fault keeps the subscription but drops every event until it is cleared', async () => {
    const h = await setup();
    await until('subscribed', () => stream!.state === 'SUBSCRIBED');
    await fetch(`${h.s.admin}/admin/price`, { method: 'POST', body: JSON.stringify({ symbol: 'BTCUSDT', price: '64000' }) });
    await fetch(`${h.s.admin}/admin/faults`, { method: 'POST', body: JSON.stringify({ kind: 'user_stream_silent' }) });
    await placeBuy(h.s, 'vgeus3', '60000.00');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.events).toEqual([]);
    expect(stream!.state).toBe('SUBSCRIBED');
    expect(h.reasons.size).toBe(0);
    await fetch(`${h.s.admin}/admin/faults`, { method: 'DELETE' });
    await placeBuy(h.s, 'vgeus4', '60000.00');
    await until('NEW of the second order', () => h.events.some((e) => e.kind === 'order' && e.client_order_id === 'vgeus4'));
    expect(h.events.some((e) => e.kind === 'order' && e.client_order_id === 'vgeus3')).toBe(false);
  });

  it('eventStreamTerminated: USER_STREAM_TERMINATED, a gap, a resubscription, and the reasons clear', async () => {
    const h = await setup();
    await until('subscribed', () => stream!.state === 'SUBSCRIBED');
    await fetch(`${h.s.admin}/admin/user-stream/terminate`, { method: 'POST' });
    await until('terminated seen', () => h.gaps.includes('eventStreamTerminated'));
    await until('resubscribed', () => stream!.state === 'SUBSCRIBED' && h.gaps.length >= 3);
    expect(h.reasons.has('USER_STREAM_TERMINATED')).toBe(false);
    expect(h.reasons.has('USER_STREAM_UNSTABLE')).toBe(false);
  });

  it('a refused subscription keeps USER_STREAM_UNSTABLE raised with the venue code', async () => {
    const h = await setup('wrong-secret-000000000000000000000');
    await until('refused', () => h.reasons.has('USER_STREAM_UNSTABLE'));
    expect(h.reasons.get('USER_STREAM_UNSTABLE')).toMatchObject({ code: -1022 });
  });
});
