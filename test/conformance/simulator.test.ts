import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { admin, KEY, signed, startSim, until, userStream } from '../exchange-sim/helpers.js';
import { fixture, shapeDiff } from './shape.js';

/**
 * The same requests against the simulator (over a real socket) must answer in the shape of
 * Binance's documented replies (test/fixtures/binance): the same keys, recursively, and the same
 * JSON types. A divergence names its path. Fields the docs call conditional ("Conditional fields
 * in Order Responses", SOR-only fields) are listed per case with the reason.
 */
let sim: ExchangeSim;
type Res = { status: number; body: unknown };

async function pub(path: string): Promise<Res> {
  const r = await fetch(`${sim.rest}${path}`);
  return { status: r.status, body: JSON.parse(await r.text()) as unknown };
}
const sig = async (method: string, path: string, params: Record<string, string>, opts: { ts?: number; secret?: string } = {}): Promise<Res> => {
  const r = await signed(sim, method, path, params, opts);
  return { status: r.status, body: r.body };
};
const last = async (symbol = 'BTCUSDT'): Promise<number> => Number(((await pub(`/api/v3/ticker/price?symbol=${symbol}`)).body as { price: string }).price);
const px = (n: number): string => n.toFixed(2);

// Conditional in Binance's docs: icebergQty only when sent; trailingDelta/trailingTime only for
// trailing stops; SOR's `sors` only where SOR is available.
const ORDER_OPTIONAL = ['$.icebergQty', '$.trailingDelta', '$.trailingTime'];

function expectShape(name: string, got: Res, status: number, optional: readonly string[] = []): void {
  const diffs = shapeDiff(fixture(name), got.body, optional);
  expect(diffs, `${name}: ${JSON.stringify(got.body).slice(0, 300)}`).toEqual([]);
  expect(got.status, name).toBe(status);
}

beforeAll(async () => {
  sim = await startSim({ seed: 11 });
  // A tape to read: market prints, and a fill of ours.
  await admin(sim, 'POST', '/admin/tick', { n: 20 });
  const r = await sig('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.001', newOrderRespType: 'FULL' });
  expect(r.status).toBe(200);
});
afterAll(async () => {
  await sim?.close();
});

describe("simulator replies have the shape of Binance's documented replies: public market data", () => {
  const cases: Array<[string, string, string[]?]> = [
    ['ping', '/api/v3/ping'],
    ['time', '/api/v3/time'],
    ['exchangeInfo', '/api/v3/exchangeInfo?symbol=BTCUSDT', ['$.sors']],
    ['depth', '/api/v3/depth?symbol=BTCUSDT&limit=5'],
    ['trades', '/api/v3/trades?symbol=BTCUSDT&limit=10'],
    ['historicalTrades', '/api/v3/historicalTrades?symbol=BTCUSDT&fromId=1&limit=10'],
    ['aggTrades', '/api/v3/aggTrades?symbol=BTCUSDT&limit=10'],
    ['klines', '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=5'],
    ['uiKlines', '/api/v3/uiKlines?symbol=BTCUSDT&interval=1m&limit=5'],
    ['avgPrice', '/api/v3/avgPrice?symbol=BTCUSDT'],
    ['ticker-24hr', '/api/v3/ticker/24hr?symbol=BTCUSDT'],
    ['ticker-24hr-list', '/api/v3/ticker/24hr'],
    ['ticker-24hr-list', `/api/v3/ticker/24hr?symbols=${encodeURIComponent('["BTCUSDT","ETHUSDT"]')}`],
    ['ticker-24hr-mini', '/api/v3/ticker/24hr?symbol=BTCUSDT&type=MINI'],
    ['ticker-price', '/api/v3/ticker/price?symbol=BTCUSDT'],
    ['ticker-price-list', '/api/v3/ticker/price'],
    ['ticker-price-list', `/api/v3/ticker/price?symbols=${encodeURIComponent('["BTCUSDT","BNBUSDT"]')}`],
    ['ticker-bookTicker', '/api/v3/ticker/bookTicker?symbol=BTCUSDT'],
    ['ticker-bookTicker-list', '/api/v3/ticker/bookTicker'],
    ['ticker-rolling', '/api/v3/ticker?symbol=BTCUSDT&windowSize=1h'],
    ['ticker-rolling-list', `/api/v3/ticker?symbols=${encodeURIComponent('["BTCUSDT","ETHUSDT"]')}`],
    ['error-1121', '/api/v3/depth?symbol=NOPEUSDT'],
  ];
  for (const [name, path, optional] of cases) {
    it(`GET ${path} answers in the shape of ${name}.json`, async () => {
      expectShape(name, await pub(path), name.startsWith('error') ? 400 : 200, optional);
    });
  }
});

describe("simulator replies have the shape of Binance's documented replies: account, orders, lists", () => {
  it('account', async () => {
    expectShape('account', await sig('GET', '/api/v3/account', {}), 200);
  });

  it('order placement ACK, RESULT and FULL', async () => {
    const p = await last();
    expectShape(
      'order-ack',
      await sig('POST', '/api/v3/order', {
        symbol: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: '0.001',
        price: px(p * 0.9),
        newOrderRespType: 'ACK',
      }),
      200,
    );
    expectShape(
      'order-result',
      await sig('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.001', newOrderRespType: 'RESULT' }),
      200,
      ORDER_OPTIONAL,
    );
    expectShape(
      'order-full',
      await sig('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.001', newOrderRespType: 'FULL' }),
      200,
      ORDER_OPTIONAL,
    );
  });

  it('order query, openOrders, allOrders, myTrades and cancel', async () => {
    const p = await last();
    await sig('POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.001',
      price: px(p * 0.9),
      newClientOrderId: 'conf-query-1',
    });
    expectShape('order-query', await sig('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'conf-query-1' }), 200, ORDER_OPTIONAL);
    expectShape(
      'openOrders',
      await sig('GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' }),
      200,
      ORDER_OPTIONAL.map((x) => x.replace('$', '$[]')),
    );
    expectShape(
      'allOrders',
      await sig('GET', '/api/v3/allOrders', { symbol: 'BTCUSDT' }),
      200,
      ORDER_OPTIONAL.map((x) => x.replace('$', '$[]')),
    );
    expectShape('myTrades', await sig('GET', '/api/v3/myTrades', { symbol: 'BTCUSDT' }), 200);
    expectShape(
      'order-cancel',
      await sig('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'conf-query-1', newClientOrderId: 'conf-cancel-1' }),
      200,
      ORDER_OPTIONAL,
    );
  });

  it('cancelReplace: success (200), cancel failed under STOP_ON_FAILURE (-2022), new order failed (-2021), both failed (-2022)', async () => {
    const p = await last();
    await sig('POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.001',
      price: px(p * 1.1),
      newClientOrderId: 'conf-cr-1',
    });
    expectShape(
      'cancelReplace-success',
      await sig('POST', '/api/v3/order/cancelReplace', {
        symbol: 'BTCUSDT',
        side: 'SELL',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: '0.001',
        price: px(p * 1.2),
        cancelReplaceMode: 'STOP_ON_FAILURE',
        cancelOrigClientOrderId: 'conf-cr-1',
        newClientOrderId: 'conf-cr-2',
      }),
      200,
      ['$.cancelResponse.icebergQty', '$.newOrderResponse.icebergQty'],
    );
    expectShape(
      'cancelReplace-cancel-failed-stop',
      await sig('POST', '/api/v3/order/cancelReplace', {
        symbol: 'BTCUSDT',
        side: 'SELL',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: '0.001',
        price: px(p * 1.2),
        cancelReplaceMode: 'STOP_ON_FAILURE',
        cancelOrigClientOrderId: 'conf-no-such',
      }),
      400,
    );
    // The new half: a LIMIT_MAKER that would take (-2010), as in Binance's example.
    expectShape(
      'cancelReplace-new-failed',
      await sig('POST', '/api/v3/order/cancelReplace', {
        symbol: 'BTCUSDT',
        side: 'SELL',
        type: 'LIMIT_MAKER',
        quantity: '0.001',
        price: px(p * 0.95),
        cancelReplaceMode: 'ALLOW_FAILURE',
        cancelOrigClientOrderId: 'conf-cr-2',
      }),
      409,
    );
    expectShape(
      'cancelReplace-both-failed',
      await sig('POST', '/api/v3/order/cancelReplace', {
        symbol: 'BTCUSDT',
        side: 'SELL',
        type: 'LIMIT_MAKER',
        quantity: '0.001',
        price: px(p * 0.95),
        cancelReplaceMode: 'ALLOW_FAILURE',
        cancelOrigClientOrderId: 'conf-no-such',
      }),
      400,
    );
  });

  it('OCO order list: placement (RESULT), query, openOrderList, allOrderList, cancel', async () => {
    const p = await last();
    const oco = {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.001',
      aboveType: 'LIMIT_MAKER',
      abovePrice: px(p * 1.05),
      belowType: 'STOP_LOSS_LIMIT',
      belowStopPrice: px(p * 0.95),
      belowPrice: px(p * 0.94),
      belowTimeInForce: 'GTC',
      listClientOrderId: 'conf-oco-1',
      newOrderRespType: 'RESULT',
    };
    expectShape('orderList-oco-place', await sig('POST', '/api/v3/orderList/oco', oco), 200, ['$.orderReports[].icebergQty', '$.orderReports[].trailingDelta']);
    expectShape('orderList-query', await sig('GET', '/api/v3/orderList', { origClientOrderId: 'conf-oco-1' }), 200);
    expectShape('openOrderList', await sig('GET', '/api/v3/openOrderList', {}), 200);
    expectShape('allOrderList', await sig('GET', '/api/v3/allOrderList', {}), 200);
    expectShape('orderList-cancel', await sig('DELETE', '/api/v3/orderList', { symbol: 'BTCUSDT', listClientOrderId: 'conf-oco-1' }), 200, [
      '$.orderReports[].icebergQty',
      '$.orderReports[].trailingDelta',
    ]);
  });

  it('OTO order list: placement (RESULT) with a PENDING_NEW leg', async () => {
    const p = await last();
    const oto = {
      symbol: 'BTCUSDT',
      listClientOrderId: 'conf-oto-1',
      workingType: 'LIMIT',
      workingSide: 'SELL',
      workingPrice: px(p * 1.05),
      workingQuantity: '0.001',
      workingTimeInForce: 'GTC',
      pendingType: 'MARKET',
      pendingSide: 'BUY',
      pendingQuantity: '0.001',
      newOrderRespType: 'RESULT',
    };
    const r = await sig('POST', '/api/v3/orderList/oto', oto);
    expectShape('orderList-oto-place', r, 200, ['$.orderReports[].icebergQty', '$.orderReports[].trailingDelta']);
    expect((r.body as { orderReports: { status: string }[] }).orderReports.map((o) => o.status)).toEqual(['NEW', 'PENDING_NEW']);
    await sig('DELETE', '/api/v3/orderList', { symbol: 'BTCUSDT', listClientOrderId: 'conf-oto-1' });
  });

  it('OTOCO order list: placement (RESULT) with two PENDING_NEW legs, contingencyType OTO', async () => {
    const p = await last();
    const otoco = {
      symbol: 'BTCUSDT',
      listClientOrderId: 'conf-otoco-1',
      workingType: 'LIMIT',
      workingSide: 'SELL',
      workingPrice: px(p * 1.05),
      workingQuantity: '0.001',
      workingTimeInForce: 'GTC',
      pendingSide: 'BUY',
      pendingQuantity: '0.001',
      pendingAboveType: 'STOP_LOSS_LIMIT',
      pendingAboveStopPrice: px(p * 1.08),
      pendingAbovePrice: px(p * 1.09),
      pendingAboveTimeInForce: 'IOC',
      pendingBelowType: 'LIMIT_MAKER',
      pendingBelowPrice: px(p * 0.95),
      newOrderRespType: 'RESULT',
    };
    const r = await sig('POST', '/api/v3/orderList/otoco', otoco);
    expectShape('orderList-otoco-place', r, 200, ['$.orderReports[].icebergQty', '$.orderReports[].trailingDelta']);
    expect(r.body).toMatchObject({ contingencyType: 'OTO' });
    await sig('DELETE', '/api/v3/orderList', { symbol: 'BTCUSDT', listClientOrderId: 'conf-otoco-1' });
  });

  it("user data stream: the executionReport and listStatus events of an OTO placement have the shape of Binance's documented payloads", async () => {
    const us = await userStream(sim);
    try {
      const p = await last();
      await sig('POST', '/api/v3/orderList/oto', {
        symbol: 'BTCUSDT',
        listClientOrderId: 'conf-oto-us',
        workingType: 'LIMIT',
        workingSide: 'SELL',
        workingPrice: px(p * 1.05),
        workingQuantity: '0.001',
        workingTimeInForce: 'GTC',
        workingClientOrderId: 'conf-oto-us-w',
        pendingType: 'LIMIT',
        pendingSide: 'BUY',
        pendingPrice: px(p * 0.95),
        pendingTimeInForce: 'GTC',
        pendingQuantity: '0.001',
        pendingClientOrderId: 'conf-oto-us-p',
      });
      const listStatus = await until('listStatus', () => us.events.find((e) => e['e'] === 'listStatus'));
      const working = us.events.find((e) => e['e'] === 'executionReport' && e['c'] === 'conf-oto-us-w');
      const pending = us.events.find((e) => e['e'] === 'executionReport' && e['c'] === 'conf-oto-us-p');
      const event = (name: string): unknown => (fixture(name) as { event: unknown }).event;
      // Conditional in Binance's docs: `v` only for an order STP expired, `W` only once on the book.
      expect(shapeDiff(event('userStream-executionReport'), working, ['$.v', '$.W'])).toEqual([]);
      expect(shapeDiff(event('userStream-executionReport'), pending, ['$.v', '$.W'])).toEqual([]);
      expect(pending).toMatchObject({ x: 'NEW', X: 'PENDING_NEW', w: false });
      expect(pending).not.toHaveProperty('W');
      expect(shapeDiff(event('userStream-listStatus'), listStatus)).toEqual([]);
      expect(listStatus).toMatchObject({ c: 'OTO', l: 'EXEC_STARTED', L: 'EXECUTING' });
    } finally {
      us.close();
      await sig('DELETE', '/api/v3/orderList', { symbol: 'BTCUSDT', listClientOrderId: 'conf-oto-us' });
    }
  });

  it("error bodies -1013, -2010, -2011, -2013, -1021, -1022 carry Binance's code and message", async () => {
    const p = await last();
    const cases: Array<[string, Res]> = [
      [
        'error-1013',
        await sig('POST', '/api/v3/order', {
          symbol: 'BTCUSDT',
          side: 'BUY',
          type: 'LIMIT',
          timeInForce: 'GTC',
          quantity: '0.001',
          price: `${Math.floor(p * 0.9)}.001`,
        }),
      ],
      [
        'error-2010',
        await sig('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '1', price: px(p * 0.9) }),
      ],
      ['error-2011', await sig('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: '999999' })],
      ['error-2013', await sig('GET', '/api/v3/order', { symbol: 'BTCUSDT', orderId: '999999' })],
      ['error-1021', await sig('GET', '/api/v3/account', {}, { ts: Date.now() - 60_000 })],
      ['error-1022', await sig('GET', '/api/v3/account', {}, { secret: 'not-the-secret' })],
    ];
    for (const [name, got] of cases) {
      expectShape(name, got, 400);
      expect(got.body, name).toEqual(fixture(name));
    }
  });

  it('error -1015 (too many new orders) past the 10-second order count', async () => {
    const p = await last('BNBUSDT');
    let got: Res | null = null;
    for (let i = 0; i < 60 && !got; i++) {
      const r = await sig('POST', '/api/v3/order', { symbol: 'BNBUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: px(p * 0.9) });
      if (r.status !== 200) got = r;
    }
    expect(got).not.toBeNull();
    expectShape('error-1015', got!, 429);
    expect((got!.body as { code: number }).code).toBe(-1015);
    void KEY;
  });
});
