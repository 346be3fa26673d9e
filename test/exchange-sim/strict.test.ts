import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, KEY, signed, startSim } from './helpers.js';

let sim: ExchangeSim | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});
const up = async () => (sim = await startSim());

const sign = (payload: string) => createHmac('sha256', KEY.secretKey).update(payload).digest('hex');

/** A WebSocket API request on a fresh connection: the reply to it. */
async function wsCall(s: ExchangeSim, method: string, params: Record<string, string | number>): Promise<Record<string, unknown>> {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(`${s.ws}/ws-api/v3`);
  await new Promise((r) => ws.once('open', r));
  const payload = Object.keys(params)
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join('&');
  const reply = new Promise<Record<string, unknown>>((r) => ws.once('message', (d) => r(JSON.parse(d.toString()) as Record<string, unknown>)));
  ws.send(JSON.stringify({ id: 7, method, params: { ...params, signature: sign(payload) } }));
  const out = await reply;
  ws.close();
  return out;
}

describe('exchange-sim as strict as Binance', () => {
  it('order/test validates parameters and filters but not the balance: {} without computeCommissionRates, the commission object with it', async () => {
    const s = await up();
    // 1 BTC at 60000 costs 60000 USDT; the account holds 10000: a real order is refused...
    const big = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '1', price: '60000' };
    expect((await signed(s, 'POST', '/api/v3/order', big)).body).toMatchObject({ code: -2010, msg: 'Account has insufficient balance for requested action.' });
    // ...a test order is not (the balance is the matching engine's check).
    const plain = await signed(s, 'POST', '/api/v3/order/test', big);
    expect(plain.status).toBe(200);
    expect(plain.body).toEqual({});
    const rates = await signed(s, 'POST', '/api/v3/order/test', { ...big, computeCommissionRates: 'true' });
    expect(rates.status).toBe(200);
    expect(rates.body).toEqual({
      standardCommissionForOrder: { maker: '0.00100000', taker: '0.00100000' },
      specialCommissionForOrder: { maker: '0.00000000', taker: '0.00000000' },
      taxCommissionForOrder: { maker: '0.00000000', taker: '0.00000000' },
      discount: { enabledForAccount: true, enabledForSymbol: true, discountAsset: 'BNB', discount: '0.25000000' },
    });
    expect(rates.headers.get('x-mbx-used-weight-1m')).toBe(String(1 + 1 + 20));
    // Filters still apply to a test order.
    expect((await signed(s, 'POST', '/api/v3/order/test', { ...big, price: '60000.001' })).body).toMatchObject({
      code: -1013,
      msg: 'Filter failure: PRICE_FILTER',
    });
  });

  it('MAX_NUM_ORDERS and MAX_NUM_ALGO_ORDERS are refused as -2010 (matching engine), with the filter failure as the message', async () => {
    const s = await up();
    const btc = s.exchange.symbols.get('BTCUSDT')!;
    btc.maxNumOrders = 1;
    const limit = (cid: string) =>
      signed(s, 'POST', '/api/v3/order', {
        symbol: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: '0.001',
        price: '60000',
        newClientOrderId: cid,
      });
    expect((await limit('n1')).status).toBe(200);
    const second = await limit('n2');
    expect(second.status).toBe(400);
    expect(second.body).toEqual({ code: -2010, msg: 'Filter failure: MAX_NUM_ORDERS' });
    btc.maxNumOrders = 200;
    btc.maxNumAlgoOrders = 1;
    const stop = (cid: string) =>
      signed(s, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.001', stopPrice: '50000', newClientOrderId: cid });
    expect((await stop('s1')).status).toBe(200);
    expect((await stop('s2')).body).toEqual({ code: -2010, msg: 'Filter failure: MAX_NUM_ALGO_ORDERS' });
  });

  it('a parameter sent in both the query string and the body takes the query string value; the signature covers query + body', async () => {
    const s = await up();
    const ts = Date.now();
    const query = `symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&price=60000&newClientOrderId=fromquery&timestamp=${ts}`;
    const bodyNoSig = 'quantity=0.001&newClientOrderId=frombody';
    const sig = sign(query + bodyNoSig);
    const res = await fetch(`${s.rest}/api/v3/order?${query}`, {
      method: 'POST',
      headers: { 'X-MBX-APIKEY': KEY.apiKey, 'content-type': 'application/x-www-form-urlencoded' },
      body: `${bodyNoSig}&signature=${sig}`,
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(body['clientOrderId']).toBe('fromquery');
    // Signed over the body first and then the query: not what Binance verifies.
    const wrong = await fetch(`${s.rest}/api/v3/order?${query.replace('fromquery', 'fromquery2')}`, {
      method: 'POST',
      headers: { 'X-MBX-APIKEY': KEY.apiKey, 'content-type': 'application/x-www-form-urlencoded' },
      body: `${bodyNoSig}&signature=${sign(bodyNoSig + query.replace('fromquery', 'fromquery2'))}`,
    });
    expect(((await wrong.json()) as Record<string, unknown>)['code']).toBe(-1022);
  });

  it('WebSocket API refuses a timestamp 1000 ms or more ahead of the server (-1021) even inside recvWindow, and a recvWindow above 60000 (-1131)', async () => {
    const s = await up();
    const ahead = await wsCall(s, 'userDataStream.subscribe.signature', { apiKey: KEY.apiKey, timestamp: Date.now() + 3000, recvWindow: 5000 });
    expect(ahead).toMatchObject({ status: 400, error: { code: -1021, msg: "Timestamp for this request was 1000ms ahead of the server's time." } });
    const stale = await wsCall(s, 'userDataStream.subscribe.signature', { apiKey: KEY.apiKey, timestamp: Date.now() - 6000, recvWindow: 5000 });
    expect(stale).toMatchObject({ status: 400, error: { code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' } });
    const wide = await wsCall(s, 'userDataStream.subscribe.signature', { apiKey: KEY.apiKey, timestamp: Date.now(), recvWindow: 70000 });
    expect(wide).toMatchObject({ status: 400, error: { code: -1131 } });
    const fine = await wsCall(s, 'userDataStream.subscribe.signature', { apiKey: KEY.apiKey, timestamp: Date.now(), recvWindow: 5000 });
    expect(fine).toMatchObject({ status: 200, result: { subscriptionId: expect.any(Number) as unknown } });
  });

  it('REST refuses a timestamp 1000 ms or more ahead of the server with the ahead message (-1021)', async () => {
    const s = await up();
    const r = await signed(s, 'GET', '/api/v3/account', {}, { ts: Date.now() + 2000 });
    expect(r.body).toEqual({ code: -1021, msg: "Timestamp for this request was 1000ms ahead of the server's time." });
  });
});

describe('exchange-sim NOTIONAL for MARKET orders (filters.md): the average price over avgPriceMins, not the touch', () => {
  it('after the last price doubles, avgPrice is still the 5-minute volume-weighted price; a MARKET order whose quantity times it is under minNotional is refused (-1013 NOTIONAL), one above it is taken', async () => {
    const s = await up();
    await admin(s, 'POST', '/admin/market', { paused: true });
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '64000.00' });
    // Prints around 64000 (the market's own trade of each tick), then the price jumps without a print.
    await admin(s, 'POST', '/admin/tick', { n: 20 });
    await admin(s, 'POST', '/admin/price', { symbol: 'BTCUSDT', price: '128000.00' });
    const avg = Number(((await (await fetch(`${s.rest}/api/v3/avgPrice?symbol=BTCUSDT`)).json()) as { mins: number; price: string }).price);
    expect(avg).toBeGreaterThan(60_000);
    expect(avg).toBeLessThan(68_000);
    // 0.00005 BTC: 6.40 USDT at the last price, about 3.20 at the average: under the minimum of 5.
    const small = await signed(s, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.00005' });
    expect(small.body).toMatchObject({ code: -1013, msg: 'Filter failure: NOTIONAL' });
    const enough = await signed(s, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.0001' });
    expect(enough.body).toMatchObject({ status: 'FILLED' });
    // A priced order is judged at its own price, as before.
    const limit = await signed(s, 'POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.00005',
      price: '120000.00',
    });
    expect(limit.body).toMatchObject({ status: 'NEW' });
  });
});
