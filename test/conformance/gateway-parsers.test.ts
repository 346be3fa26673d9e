import { describe, expect, it } from 'vitest';
import {
  classify,
  parseExchangeInfo,
  readAccount,
  readBookTicker,
  readCancelReplace,
  readList,
  readLists,
  readOrder,
  readOrders,
  readTrades,
} from '../../packages/gateway/src/index.js';
import { fixture } from './shape.js';

/**
 * Binance's own documented replies (test/fixtures/binance, each with its doc source) go through the
 * gateway's reply readers, the code the live calls use. A documented reply the gateway cannot read
 * would make a real venue look UNKNOWN on every call.
 */
const ok = (name: string) => classify({ phase: 'response', callKind: 'order', status: 200, body: { parsed: true, value: fixture(name) }, headers: {} });

describe("gateway reply readers accept the payloads of Binance's Spot API documentation", () => {
  it('every documented 200 reply the gateway reads is classified OK', () => {
    for (const n of [
      'ping',
      'time',
      'exchangeInfo',
      'avgPrice',
      'ticker-price',
      'order-ack',
      'order-result',
      'order-full',
      'order-cancel',
      'order-query',
      'openOrders',
      'allOrders',
      'myTrades',
      'account',
      'cancelReplace-success',
      'orderList-oco-place',
      'orderList-cancel',
      'orderList-query',
      'allOrderList',
      'openOrderList',
      'orderList-oto-place',
      'orderList-otoco-place',
    ]) {
      expect(ok(n).kind, n).toBe('OK');
    }
  });

  it('exchangeInfo (trimmed, filters from filters.md) parses into rules with the documented tick and step', () => {
    const r = parseExchangeInfo(fixture('exchangeInfo'));
    expect(r.ok, r.ok ? '' : r.reason).toBe(true);
    if (!r.ok) return;
    const eth = r.rules.get('ETHBTC');
    expect(eth).toBeDefined();
    expect(JSON.stringify(eth)).toContain('0.00000100');
    expect(r.rateLimits.map((l) => l.rateLimitType)).toEqual(['REQUEST_WEIGHT', 'ORDERS', 'RAW_REQUESTS']);
  });

  it('time and avgPrice/ticker-price carry what the session and the order desk read (serverTime number, price string)', () => {
    expect(typeof (fixture('time') as { serverTime: unknown }).serverTime).toBe('number');
    expect(typeof (fixture('avgPrice') as { price: unknown }).price).toBe('string');
    expect(typeof (fixture('ticker-price') as { price: unknown }).price).toBe('string');
  });

  it('an ACK reply (the gateway always asks for FULL) carries no status: UNKNOWN, to be resolved by a query, never OK', () => {
    expect(readOrder(fixture('order-ack'))).toMatchObject({ kind: 'UNKNOWN' });
  });

  it('order replies RESULT, FULL, cancel and query are read as order reports', () => {
    expect(readOrder(fixture('order-result'))).toMatchObject({ kind: 'OK', body: { status: 'FILLED', executed_qty: '10.00000000' } });
    const full = readOrder(fixture('order-full'));
    expect(full.kind).toBe('OK');
    if (full.kind === 'OK') expect(full.body.fills.map((f) => f.trade_id)).toEqual([56, 57, 58, 59, 60]);
    // A cancel's report names the order by origClientOrderId (clientOrderId is the cancel's own id).
    expect(readOrder(fixture('order-cancel'))).toMatchObject({ kind: 'OK', body: { status: 'CANCELED', client_order_id: 'myOrder1' } });
    expect(readOrder(fixture('order-query'))).toMatchObject({ kind: 'OK', body: { status: 'NEW', client_order_id: 'myOrder1', price: '0.1' } });
  });

  it('openOrders and allOrders are read as lists of order reports', () => {
    expect(readOrders(fixture('openOrders'))).toMatchObject({ kind: 'OK', body: [{ order_id: 1, status: 'NEW' }] });
    expect(readOrders(fixture('allOrders'))).toMatchObject({ kind: 'OK', body: [{ order_id: 1 }] });
  });

  it('myTrades and account are read', () => {
    expect(readTrades(fixture('myTrades'))).toMatchObject({
      kind: 'OK',
      body: [{ trade_id: 28457, order_id: 100234, quote_qty: '48.000012', is_buyer: true, is_maker: false }],
    });
    expect(readAccount(fixture('account'))).toMatchObject({ kind: 'OK', body: { can_trade: true, balances: [{ asset: 'BTC' }, { asset: 'LTC' }] } });
  });

  it('order lists: OCO placement, cancel, query, allOrderList and openOrderList are read', () => {
    expect(readList(fixture('orderList-oco-place'))).toMatchObject({
      kind: 'OK',
      body: { order_list_id: 1, list_status_type: 'EXEC_STARTED', reports: [{ type: 'STOP_LOSS_LIMIT', stop_price: '1.00000000' }, { type: 'LIMIT_MAKER' }] },
    });
    expect(readList(fixture('orderList-cancel'))).toMatchObject({
      kind: 'OK',
      body: { list_order_status: 'ALL_DONE', reports: [{ status: 'CANCELED', client_order_id: 'pO9ufTiFGg3nw2fOdgeOXa' }, { status: 'CANCELED' }] },
    });
    expect(readList(fixture('orderList-query'))).toMatchObject({ kind: 'OK', body: { order_list_id: 27, reports: [] } });
    expect(readLists(fixture('allOrderList'))).toMatchObject({ kind: 'OK' });
    expect(readLists(fixture('openOrderList'))).toMatchObject({ kind: 'OK', body: [{ order_list_id: 31 }] });
  });

  it('order lists: OTO and OTOCO placements (contingencyType OTO, pending legs PENDING_NEW) are read, the pending legs as open, unfilled reports', () => {
    expect(readList(fixture('orderList-oto-place'))).toMatchObject({
      kind: 'OK',
      body: {
        contingency_type: 'OTO',
        list_status_type: 'EXEC_STARTED',
        reports: [
          { type: 'LIMIT', status: 'NEW' },
          { type: 'MARKET', status: 'PENDING_NEW', executed_qty: '0.00000000' },
        ],
      },
    });
    expect(readList(fixture('orderList-otoco-place'))).toMatchObject({
      kind: 'OK',
      body: {
        contingency_type: 'OTO',
        reports: [{ status: 'NEW' }, { type: 'STOP_LOSS_LIMIT', status: 'PENDING_NEW' }, { type: 'LIMIT_MAKER', status: 'PENDING_NEW' }],
      },
    });
  });

  it('cancel-replace: the 200 body and the data of each documented -2021/-2022 reply give the right outcome', () => {
    expect(readCancelReplace(fixture('cancelReplace-success'), null)).toMatchObject({ kind: 'OK', body: { result: 'REPLACED' } });
    const data = (n: string) => (fixture(n) as { data: unknown }).data;
    expect(readCancelReplace(data('cancelReplace-cancel-failed-stop'), -2022)).toMatchObject({
      kind: 'OK',
      body: { result: 'CANCEL_FAILED', cancel_error: { code: -2011 } },
    });
    expect(readCancelReplace(data('cancelReplace-new-failed'), -2021)).toMatchObject({
      kind: 'OK',
      body: { result: 'NEW_FAILED', new_error: { code: -2010 } },
    });
    expect(readCancelReplace(data('cancelReplace-both-failed'), -2022)).toMatchObject({ kind: 'OK', body: { result: 'BOTH_FAILED' } });
  });

  it('documented error bodies are definitive rejections carrying their code', () => {
    for (const [n, code] of [
      ['error-1013', -1013],
      ['error-2010', -2010],
      ['error-2011', -2011],
      ['error-2013', -2013],
      ['error-1021', -1021],
      ['error-1022', -1022],
      ['error-1015', -1015],
      ['error-1121', -1121],
    ] as const) {
      const out = classify({ phase: 'response', callKind: 'order', status: 400, body: { parsed: true, value: fixture(n) }, headers: {} });
      expect(out, n).toMatchObject({ kind: 'REJECTED', code });
    }
    // The book the engine prices a protection from while the market stream is silent.
    expect(readBookTicker('LTCBTC', fixture('ticker-bookTicker'), 1234)).toEqual({
      kind: 'OK',
      body: { symbol: 'LTCBTC', bid: '4.00000000', ask: '4.00000200', recv_ts_ms: 1234 },
    });
    // The cancel-replace errors keep their `data` for the reader.
    const cr = classify({ phase: 'response', callKind: 'order', status: 409, body: { parsed: true, value: fixture('cancelReplace-new-failed') }, headers: {} });
    expect(cr).toMatchObject({ kind: 'UNKNOWN', errorData: { code: -2021 } });
  });
});

describe('readBookTicker refuses a book it cannot price a protection from (UNKNOWN, never a guess)', () => {
  const doc = { symbol: 'LTCBTC', bidPrice: '4.00000000', bidQty: '431.00000000', askPrice: '4.00000200', askQty: '9.00000000' };
  it.each([
    ['another symbol', { ...doc, symbol: 'BTCUSDT' }, /not for LTCBTC/],
    ['a list (the reply without ?symbol=)', [doc], /not for LTCBTC/],
    ['null', null, /not for LTCBTC/],
    ['a number for a price', { ...doc, bidPrice: 4 }, /not decimals/],
    ['an exponent', { ...doc, askPrice: '4e0' }, /not decimals/],
    ['a zero bid (empty book side)', { ...doc, bidPrice: '0.00000000' }, /not usable/],
    ['a crossed book', { ...doc, bidPrice: '4.00000300' }, /not usable/],
  ])('%s', (_what, body, why) => {
    const r = readBookTicker('LTCBTC', body, 1);
    expect(r.kind).toBe('UNKNOWN');
    expect(r.kind === 'UNKNOWN' ? r.reason : '').toMatch(why);
  });
});
