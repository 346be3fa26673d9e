import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkSigned } from './auth.js';
import { fmt } from './decimal.js';
import { AVG_PRICE_MINS, isOpen, type Book, type Exchange, type Order, type OrderList, type VenueError } from './exchange.js';
import type { Faults } from './faults.js';
import { handleMarket, pickSymbols } from './market-data.js';
import { LIMITS, requestWeight, type RateLimiter } from './rate-limits.js';
import type { Bar } from './streams.js';
import type { TradePrint } from './exchange.js';
import type { SymbolDef } from './symbols.js';

/** The Binance-compatible REST surface over the exchange core. */
export interface RestDeps {
  readonly ex: Exchange;
  readonly faults: Faults;
  readonly limiter: RateLimiter;
  readonly now: () => number;
  readonly onChange: () => void;
  /** Closed bars and the open one, oldest first (built from the tape by the market streams). */
  readonly klines?: (symbol: string, interval: string, now: number) => readonly Bar[];
  /** Recent prints of a symbol, oldest first (GET /api/v3/trades, historicalTrades, aggTrades). */
  readonly tape?: (symbol: string) => readonly TradePrint[];
  /** How wide exchangeInfo is (extra listed symbols, unknown types), and the last query it got. */
  readonly listing?: Listing;
}

/**
 * The live exchangeInfo is wider than what we trade: `extraSymbols` more symbols listed (not
 * tradable here; some with non-ASCII names, as on testnet), and with any of them, a rate-limit
 * type a client does not count (CONNECTIONS), filters it does not model and fields added without
 * notice on every symbol.
 */
export interface Listing {
  extraSymbols: number;
  lastQuery: string | null;
  /**
   * Open orders placed elsewhere on the account, listed by GET /api/v3/openOrders as the venue
   * would (raw: statuses and types this simulator does not implement, e.g. an OTO's PENDING_NEW leg).
   */
  extraOpenOrders: { apiKey: string; order: Record<string, unknown> }[];
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> } | { destroy: true };

export async function handleRest(d: RestDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const route = `${req.method ?? 'GET'} ${url.pathname}`;
  const rawQuery = url.search.slice(1);
  const rawBody = await readBody(req);
  const params: Record<string, string> = {};
  // Binance: "If a parameter sent in both the query string and request body, the query string
  // parameter will be used." So the body is read first and the query string overwrites it.
  for (const [k, v] of new URLSearchParams(rawBody)) params[k] = v;
  for (const [k, v] of new URLSearchParams(rawQuery)) params[k] = v;
  const now = d.now();
  const skew = d.faults.peek('clock_skew')?.ms ?? 0;
  const serverNow = now + skew;

  const lat = d.faults.take('latency', route, now);
  if (lat?.ms) await new Promise((r) => setTimeout(r, lat.ms));
  const headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8' };
  // A ban of `ms` (Binance's first ban is 2 minutes; repeats last longer), answered with its Retry-After.
  const ban = d.faults.take('ban_418', route, now);
  if (ban) d.limiter.forceBan(now, ban.ms ?? 120_000);
  const forced429 = d.faults.take('rate_limit_429', route, now);
  if (forced429) d.limiter.forceLimited(now, forced429.ms ?? 5000);
  const weight = requestWeight(route, params);
  if (weight === undefined && !route.startsWith('GET /api/v3/') && !route.startsWith('POST /api/v3/') && !route.startsWith('DELETE /api/v3/')) {
    return send(res, { status: 404, body: { code: -1000, msg: 'Unknown endpoint.' } });
  }
  const adm = d.limiter.admit(now, weight ?? 1);
  if (!adm.ok) {
    const msg =
      adm.status === 418
        ? `Way too much request weight used; IP banned until ${now + adm.retryAfterS * 1000}. Please use WebSocket Streams for live updates to avoid bans.`
        : `Too much request weight used; current limit is ${LIMITS.weightPerMin} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`;
    return send(res, { status: adm.status, body: { code: -1003, msg }, headers: { ...headers, 'retry-after': String(adm.retryAfterS) } });
  }
  headers['x-mbx-used-weight'] = String(adm.usedWeight);
  headers['x-mbx-used-weight-1m'] = String(adm.usedWeight);
  const reply =
    route === 'POST /api/v3/order' ||
    route === 'DELETE /api/v3/order' ||
    route === 'GET /api/v3/order' ||
    route.startsWith('GET /api/v3/openOrders') ||
    route === 'GET /api/v3/account' ||
    route === 'GET /sapi/v1/account/apiRestrictions' ||
    route === 'POST /api/v3/order/test' ||
    route === 'GET /api/v3/allOrders' ||
    route === 'GET /api/v3/myTrades' ||
    route === 'POST /api/v3/order/cancelReplace' ||
    LIST_ROUTES.has(route)
      ? signedRoute(d, req, route, rawQuery, rawBody, params, serverNow, headers)
      : publicRoute(d, route, params, serverNow);
  return send(res, reply, headers);
}

function publicRoute(d: RestDeps, route: string, p: Record<string, string>, serverNow: number): Reply {
  const market = handleMarket({ ex: d.ex, tape: d.tape ?? (() => []), klines: d.klines ?? (() => []) }, route, p, serverNow);
  if (market) return market.ok ? ok(market.body) : err(market.err);
  switch (route) {
    case 'GET /api/v3/ping':
      return ok({});
    case 'GET /api/v3/time':
      return ok({ serverTime: serverNow });
    case 'GET /api/v3/exchangeInfo': {
      // symbol= / symbols=[...] / permissions= (one or a JSON array) / symbolStatus=, as Binance:
      // permissions and symbolStatus cannot be combined with a symbol selection.
      if ((p['permissions'] !== undefined || p['symbolStatus'] !== undefined) && (p['symbol'] !== undefined || p['symbols'] !== undefined))
        return err({ http: 400, code: -1128, msg: 'Combination of optional parameters invalid.' });
      if (d.listing) d.listing.lastQuery = new URLSearchParams(p).toString();
      const extras = Array.from({ length: d.listing?.extraSymbols ?? 0 }, (_, i) => extraSymbolName(i));
      const sel = pickSymbols(d.ex, p, true, extras);
      if (!sel.ok) return err(sel.err);
      let perms: string[] = ['SPOT', 'MARGIN', 'LEVERAGED'];
      if (p['permissions'] !== undefined) {
        const raw = p['permissions'].startsWith('[') ? safeJson(p['permissions']) : [p['permissions']];
        if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string' && /^[A-Z_0-9]+$/.test(x)))
          return err({
            http: 400,
            code: -1100,
            msg: "Illegal characters found in parameter 'permissions'; legal range is 'SPOT, MARGIN, LEVERAGED, TRD_GRP_002, ...'.",
          });
        perms = raw as string[];
      }
      const status = p['symbolStatus'];
      if (status !== undefined && !['TRADING', 'HALT', 'BREAK'].includes(status)) return err({ http: 400, code: -1122, msg: 'Invalid symbolStatus.' });
      const pick = (s: { symbol: string; status: string }): boolean =>
        sel.symbols.includes(s.symbol) &&
        (p['symbol'] !== undefined || p['symbols'] !== undefined || perms.includes('SPOT')) &&
        (status === undefined || s.status === status);
      return ok(exchangeInfo(d.ex, serverNow, pick, p['showPermissionSets'] !== 'false', extras));
    }
    case 'GET /api/v3/referencePrice': {
      const s = p['symbol'] ? d.ex.symbols.get(p['symbol']) : undefined;
      if (!s) return err({ http: 400, code: -1121, msg: 'Invalid symbol.' });
      if (s.referencePrice === undefined) return err({ http: 400, code: -2043, msg: 'Reference price not found for this symbol.' });
      return ok({ symbol: s.symbol, referencePrice: s.referencePrice === null ? null : fmt(s.referencePrice), timestamp: serverNow });
    }
    case 'GET /api/v3/ticker/bookTicker':
    case 'GET /api/v3/ticker/price':
    case 'GET /api/v3/avgPrice':
    case 'GET /api/v3/depth':
    case 'GET /api/v3/uiKlines':
    case 'GET /api/v3/klines': {
      const sym = p['symbol'];
      const b = sym ? d.ex.books.get(sym) : undefined;
      if (!b) return err({ http: 400, code: -1121, msg: 'Invalid symbol.' });
      if (route.endsWith('bookTicker')) return ok({ symbol: sym, bidPrice: fmt(b.bid), bidQty: fmt(b.bidQty), askPrice: fmt(b.ask), askQty: fmt(b.askQty) });
      if (route.endsWith('price')) return ok({ symbol: sym, price: fmt(b.last) });
      if (route.endsWith('avgPrice')) return ok({ mins: AVG_PRICE_MINS, price: fmt(d.ex.avgPrice(sym ?? '')), closeTime: serverNow });
      if (route.endsWith('depth')) {
        // Binance: default 100, anything above 5000 gives 5000.
        const n = Math.max(1, Math.min(5000, Number(p['limit'] ?? 100) || 100));
        return ok({ lastUpdateId: b.updateId, ...depthLevels(b, n) });
      }
      if (p['interval'] === undefined)
        return err({ http: 400, code: -1102, msg: "Mandatory parameter 'interval' was not sent, was empty/null, or malformed." });
      const iv = p['interval'];
      const bars = d.klines?.(sym!, iv, serverNow);
      if (!bars || bars.length === 0) return err({ http: 400, code: -1120, msg: 'Invalid interval.' });
      const limit = Math.max(1, Math.min(1000, Number(p['limit'] ?? 500) || 500));
      const from = p['startTime'] !== undefined ? Number(p['startTime']) : null;
      const to = p['endTime'] !== undefined ? Number(p['endTime']) : null;
      const sel = bars.filter((k) => (from === null || k.t >= from) && (to === null || k.t <= to));
      return ok(
        (from !== null ? sel.slice(0, limit) : sel.slice(-limit)).map((k) => [
          k.t,
          fmt(k.o),
          fmt(k.h),
          fmt(k.l),
          fmt(k.c),
          fmt(k.v),
          k.T,
          fmt(k.q),
          k.n,
          fmt(k.V),
          fmt(k.Q),
          '0',
        ]),
      );
    }
    default:
      return err({ http: 404, code: -1000, msg: 'Unknown endpoint.' });
  }
}

function signedRoute(
  d: RestDeps,
  req: IncomingMessage,
  route: string,
  rawQuery: string,
  rawBody: string,
  p: Record<string, string>,
  serverNow: number,
  headers: Record<string, string>,
): Reply {
  const auth = checkSigned(d.ex.keys, req.headers['x-mbx-apikey'] as string | undefined, rawQuery, rawBody, p, serverNow);
  if (!auth.ok) return err(auth.err);
  const rejected = d.faults.take('reject', route, d.now());
  if (rejected) return err({ http: rejected.status ?? 400, code: rejected.code ?? -1013, msg: rejected.msg ?? 'Filter failure: PRICE_FILTER' });
  const key = auth.key;
  const now = d.now();
  switch (route) {
    case 'GET /sapi/v1/account/apiRestrictions':
      return ok({
        ipRestrict: key.ipRestrict,
        createTime: 1700000000000,
        enableReading: true,
        enableSpotAndMarginTrading: key.canTrade,
        enableWithdrawals: key.enableWithdrawals,
        enableInternalTransfer: false,
        enableMargin: false,
        enableFutures: false,
        permitsUniversalTransfer: false,
        enableVanillaOptions: false,
        enablePortfolioMarginTrading: false,
      });
    case 'GET /api/v3/account': {
      const bal = [...(d.ex.balances.get(key.apiKey) ?? new Map())].map(([asset, b]) => ({ asset, free: fmt(b.free), locked: fmt(b.locked) }));
      return ok({
        makerCommission: 10,
        takerCommission: 10,
        buyerCommission: 0,
        sellerCommission: 0,
        commissionRates: { maker: '0.00100000', taker: '0.00100000', buyer: '0.00000000', seller: '0.00000000' },
        canTrade: key.canTrade,
        canWithdraw: key.enableWithdrawals,
        canDeposit: true,
        brokered: false,
        requireSelfTradePrevention: false,
        preventSor: false,
        updateTime: now,
        accountType: 'SPOT',
        balances: p['omitZeroBalances'] === 'true' ? bal.filter((b) => b.free !== '0.00000000' || b.locked !== '0.00000000') : bal,
        permissions: ['SPOT'],
        uid: 1,
      });
    }
    case 'POST /api/v3/order/test': {
      // Parameters and filters are validated; the order never reaches the matching engine, so the
      // balance is not checked (Binance: "does not send it into the matching engine").
      const cc = p['computeCommissionRates'];
      if (cc !== undefined && cc !== 'true' && cc !== 'false')
        return err({ http: 400, code: -1100, msg: "Illegal characters found in parameter 'computeCommissionRates'; legal range is 'true, false'." });
      const r = d.ex.place(key.apiKey, p, true);
      if (!r.ok) return err(r.err);
      return ok(cc === 'true' ? testCommission() : {});
    }
    case 'POST /api/v3/order/oco':
    case 'POST /api/v3/orderList/oco': {
      // An OCO counts as two orders against the order-rate limits.
      const counts = d.limiter.order(key.apiKey, now, 2);
      if (!counts) return tooManyOrders(d, key.apiKey, now);
      headers['x-mbx-order-count-10s'] = String(counts.c10s);
      headers['x-mbx-order-count-1d'] = String(counts.c1d);
      const five = d.faults.take('http_5xx', route, now);
      const e1007 = five ? null : d.faults.take('error_1007', route, now);
      const drop = five || e1007 ? null : d.faults.take('drop_response_after_execute', route, now);
      if ((five || e1007) && !(five ?? e1007)!.execute)
        return five ? { status: five.status ?? 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>' } : err(E1007);
      const legacy = route === 'POST /api/v3/order/oco';
      const r = legacy ? d.ex.placeOco(key.apiKey, legacyOco(p), legacyName(p['side'])) : d.ex.placeOco(key.apiKey, p);
      if (r.ok) d.onChange();
      if (drop) return { destroy: true };
      if (five) return { status: five.status ?? 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>' };
      if (e1007) return err(E1007);
      if (!r.ok) return err(r.err);
      return ok(listResponse(d.ex, r.value, p['newOrderRespType'] === 'ACK' || p['newOrderRespType'] === 'RESULT' ? p['newOrderRespType'] : 'FULL'));
    }
    case 'POST /api/v3/orderList/oto':
    case 'POST /api/v3/orderList/otoco': {
      // rest-api.md "Unfilled Order Count": 2 for an OTO, 3 for an OTOCO.
      const otoco = route.endsWith('otoco');
      const counts = d.limiter.order(key.apiKey, now, otoco ? 3 : 2);
      if (!counts) return tooManyOrders(d, key.apiKey, now);
      headers['x-mbx-order-count-10s'] = String(counts.c10s);
      headers['x-mbx-order-count-1d'] = String(counts.c1d);
      const r = d.ex.placeOto(key.apiKey, p, otoco);
      if (!r.ok) return err(r.err);
      d.onChange();
      const rt = p['newOrderRespType'];
      return ok(listResponse(d.ex, r.value.list, rt === 'ACK' || rt === 'RESULT' ? rt : 'FULL', r.value.atPlacement));
    }
    case 'DELETE /api/v3/orderList': {
      if (!p['symbol']) return err({ http: 400, code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
      if (!p['orderListId'] && !p['listClientOrderId'])
        return err({ http: 400, code: -1102, msg: "Param 'orderListId' or 'listClientOrderId' must be sent, but both were empty/null!" });
      const l = d.ex.findList(key.apiKey, p['orderListId'] ? { orderListId: Number(p['orderListId']) } : { listClientOrderId: p['listClientOrderId']! });
      if (!l || l.symbol !== p['symbol'] || l.status !== 'EXECUTING') return err({ http: 400, code: -2011, msg: 'Order list does not exist.' });
      // A cancel can meet a 5xx too (Binance: execution status unknown), before or after it took effect.
      const five = d.faults.take('http_5xx', route, now);
      if (five && !five.execute) return { status: five.status ?? 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>' };
      d.ex.cancelList(l);
      d.onChange();
      if (five) return { status: five.status ?? 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>' };
      return ok(listResponse(d.ex, l, 'CANCEL'));
    }
    case 'GET /api/v3/orderList': {
      if (!p['orderListId'] && !p['origClientOrderId'])
        return err({ http: 400, code: -1102, msg: "Param 'origClientOrderId' or 'orderListId' must be sent, but both were empty/null!" });
      const l = d.ex.findList(key.apiKey, p['orderListId'] ? { orderListId: Number(p['orderListId']) } : { listClientOrderId: p['origClientOrderId']! });
      return l ? ok(listResponse(d.ex, l, null)) : err({ http: 400, code: -2011, msg: 'Order list does not exist.' });
    }
    case 'GET /api/v3/openOrderList':
      return ok([...d.ex.lists.values()].filter((l) => l.apiKey === key.apiKey && l.status === 'EXECUTING').map((l) => listResponse(d.ex, l, null)));
    case 'GET /api/v3/allOrderList': {
      // Newest last, as Binance; `fromId` pages from a list id, `limit` (default 500, max 1000).
      const fromId = p['fromId'] !== undefined ? Number(p['fromId']) : null;
      const limit = Math.min(1000, Number(p['limit'] ?? 500) || 500);
      const all = [...d.ex.lists.values()]
        .filter((l) => l.apiKey === key.apiKey && (fromId === null || l.orderListId >= fromId))
        .sort((a, b) => a.orderListId - b.orderListId);
      return ok((fromId === null ? all.slice(-limit) : all.slice(0, limit)).map((l) => listResponse(d.ex, l, null)));
    }
    case 'POST /api/v3/order': {
      const counts = d.limiter.order(key.apiKey, now);
      if (!counts) return tooManyOrders(d, key.apiKey, now);
      headers['x-mbx-order-count-10s'] = String(counts.c10s);
      headers['x-mbx-order-count-1d'] = String(counts.c1d);
      const five = d.faults.take('http_5xx', route, now);
      const e1007 = five ? null : d.faults.take('error_1007', route, now);
      const drop = five || e1007 ? null : d.faults.take('drop_response_after_execute', route, now);
      if ((five || e1007) && !(five ?? e1007)!.execute)
        return five ? { status: five.status ?? 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>' } : err(E1007);
      const r = d.ex.place(key.apiKey, p);
      if (r.ok) d.onChange();
      if (drop) return { destroy: true };
      if (five) return { status: five.status ?? 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>' };
      if (e1007) return err(E1007);
      if (!r.ok) return err(r.err);
      return ok(orderResponse(r.value, p['newOrderRespType'] ?? (r.value.type === 'MARKET' || r.value.type === 'LIMIT' ? 'FULL' : 'ACK')));
    }
    case 'POST /api/v3/order/cancelReplace': {
      // One new order against the order count, counted before either half (even if the new order
      // is then not attempted). Past the limit: DO_NOTHING refuses it all, CANCEL_ONLY still cancels.
      const counts = d.limiter.order(key.apiKey, now);
      if (!counts && p['orderRateLimitExceededMode'] !== 'CANCEL_ONLY') return tooManyOrders(d, key.apiKey, now);
      if (counts) {
        headers['x-mbx-order-count-10s'] = String(counts.c10s);
        headers['x-mbx-order-count-1d'] = String(counts.c1d);
      }
      const five = d.faults.take('http_5xx', route, now);
      const e1007 = five ? null : d.faults.take('error_1007', route, now);
      const drop = five || e1007 ? null : d.faults.take('drop_response_after_execute', route, now);
      if ((five || e1007) && !(five ?? e1007)!.execute)
        return five ? { status: five.status ?? 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>' } : err(E1007);
      const r = d.ex.cancelReplace(key.apiKey, p, !counts);
      if (r.refused === null && (r.cancel.ok || (r.placed !== 'NOT_ATTEMPTED' && r.placed.ok))) d.onChange();
      if (drop) return { destroy: true };
      if (five) return { status: five.status ?? 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>' };
      if (e1007) return err(E1007);
      if (r.refused) return err(r.refused);
      const respType = (o: Order): string => p['newOrderRespType'] ?? (o.type === 'MARKET' || o.type === 'LIMIT' ? 'FULL' : 'ACK');
      const cancelResponse = r.cancel.ok ? cancelReport(r.cancel.value, r.cancelClientOrderId, now) : { code: r.cancel.err.code, msg: r.cancel.err.msg };
      const newOrderResponse =
        r.placed === 'NOT_ATTEMPTED'
          ? null
          : r.placed.ok
            ? orderResponse(r.placed.value, respType(r.placed.value))
            : { code: r.placed.err.code, msg: r.placed.err.msg };
      const newOrderResult = r.placed === 'NOT_ATTEMPTED' ? 'NOT_ATTEMPTED' : r.placed.ok ? 'SUCCESS' : 'FAILURE';
      const body = { cancelResult: r.cancel.ok ? 'SUCCESS' : 'FAILURE', newOrderResult, cancelResponse, newOrderResponse };
      if (r.cancel.ok && newOrderResult === 'SUCCESS') return ok(body);
      // One half failed: -2021 (409); both: -2022 (400). Past the order count with CANCEL_ONLY the
      // documented table answers 429 under STOP_ON_FAILURE and the usual statuses under ALLOW_FAILURE.
      const throttled = !counts && p['cancelReplaceMode'] === 'STOP_ON_FAILURE';
      if (r.cancel.ok || newOrderResult === 'SUCCESS')
        return { status: throttled ? 429 : 409, body: { code: -2021, msg: 'Order cancel-replace partially failed.', data: body } };
      return { status: throttled ? 429 : 400, body: { code: -2022, msg: 'Order cancel-replace failed.', data: body } };
    }
    case 'DELETE /api/v3/order': {
      if (!p['symbol']) return err({ http: 400, code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
      if (!p['orderId'] && !p['origClientOrderId'])
        return err({ http: 400, code: -1102, msg: "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!" });
      const ncid = p['newClientOrderId'];
      if (ncid !== undefined && !/^[a-zA-Z0-9-_]{1,36}$/.test(ncid))
        return err({ http: 400, code: -1100, msg: "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'." });
      // orderId is searched first; an origClientOrderId sent with it must match that order.
      let by: { orderId?: number; clientOrderId?: string } = p['orderId'] ? { orderId: Number(p['orderId']) } : { clientOrderId: p['origClientOrderId']! };
      if (p['orderId'] && p['origClientOrderId'] && d.ex.find(key.apiKey, p['symbol'], by)?.clientOrderId !== p['origClientOrderId']) by = { orderId: -1 };
      const five = d.faults.take('http_5xx', route, now);
      if (five && !five.execute) return { status: five.status ?? 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>' };
      const r = d.ex.cancel(key.apiKey, p['symbol'], by, ncid);
      if (r.ok) d.onChange();
      if (five) return { status: five.status ?? 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>' };
      return r.ok ? ok(cancelReport(r.value, r.value.cancelClientOrderId!, now)) : err(r.err);
    }
    case 'GET /api/v3/order': {
      if (!p['symbol']) return err({ http: 400, code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
      if (!p['orderId'] && !p['origClientOrderId'])
        return err({ http: 400, code: -1102, msg: "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!" });
      const o = d.ex.find(key.apiKey, p['symbol'], p['orderId'] ? { orderId: Number(p['orderId']) } : { clientOrderId: p['origClientOrderId']! });
      const lag = d.faults.peek('query_not_found');
      if (o && lag && now - o.time < (lag.ms ?? 0)) {
        d.faults.take('query_not_found', route, now);
        return err({ http: 400, code: -2013, msg: 'Order does not exist.' });
      }
      return o ? ok(orderQuery(o)) : err({ http: 400, code: -2013, msg: 'Order does not exist.' });
    }
    case 'GET /api/v3/openOrders': {
      const extra = (d.listing?.extraOpenOrders ?? [])
        .filter((x) => x.apiKey === key.apiKey && (!p['symbol'] || x.order['symbol'] === p['symbol']))
        .map((x) => x.order);
      return ok([
        ...[...d.ex.orders.values()].filter((o) => o.apiKey === key.apiKey && isOpen(o) && (!p['symbol'] || o.symbol === p['symbol'])).map(orderQuery),
        ...extra,
      ]);
    }
    case 'GET /api/v3/allOrders':
      if (!p['symbol']) return err({ http: 400, code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
      return ok([...d.ex.orders.values()].filter((o) => o.apiKey === key.apiKey && o.symbol === p['symbol']).map(orderQuery));
    case 'GET /api/v3/myTrades': {
      if (!p['symbol']) return err({ http: 400, code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
      // As Binance: ascending by id; `limit` default 500, max 1000; `fromId` (trades >= it) cannot be
      // combined with a time window; startTime/endTime at most 24 h apart (a missing end is start + 24 h,
      // a missing start is end - 24 h); with neither, the most recent `limit` trades.
      const limit = p['limit'] === undefined ? 500 : Number(p['limit']);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        return err({ http: 400, code: -1100, msg: "Illegal characters found in parameter 'limit'; legal range is '1-1000'." });
      const fromId = p['fromId'] === undefined ? null : Number(p['fromId']);
      const start = p['startTime'] === undefined ? null : Number(p['startTime']);
      const end = p['endTime'] === undefined ? null : Number(p['endTime']);
      const orderId = p['orderId'] === undefined ? null : Number(p['orderId']);
      if ((fromId !== null || orderId !== null) && (start !== null || end !== null))
        return err({ http: 400, code: -1128, msg: 'Combination of optional parameters invalid.' });
      if (start !== null && end !== null && end - start > 86_400_000)
        return err({ http: 400, code: -1127, msg: 'More than 24 hours between startTime and endTime.' });
      const lo = start ?? (end !== null ? end - 86_400_000 : null);
      const hi = end ?? (start !== null ? start + 86_400_000 : null);
      const all = [...d.ex.orders.values()]
        .filter((o) => o.apiKey === key.apiKey && o.symbol === p['symbol'] && (orderId === null || o.orderId === orderId))
        .flatMap((o) =>
          o.fills.map((f) => ({
            symbol: o.symbol,
            id: f.tradeId,
            orderId: o.orderId,
            orderListId: o.orderListId,
            price: fmt(f.price),
            qty: fmt(f.qty),
            quoteQty: fmt((f.price * f.qty) / 100_000_000n),
            commission: fmt(f.commission),
            commissionAsset: f.commissionAsset,
            time: f.time ?? o.updateTime,
            isBuyer: o.side === 'BUY',
            isMaker: f.maker,
            isBestMatch: true,
          })),
        )
        .filter((t) => (fromId === null || t.id >= fromId) && (lo === null || t.time >= lo) && (hi === null || t.time <= hi))
        .sort((a, b) => a.id - b.id);
      return ok(fromId === null && lo === null ? all.slice(-limit) : all.slice(0, limit));
    }
    default:
      return err({ http: 404, code: -1000, msg: 'Unknown endpoint.' });
  }
}

/**
 * -1015: the account's new-order count (ORDERS), not the IP's request weight (-1003). HTTP 429
 * with a Retry-After of when the oldest counted order leaves the window.
 */
function tooManyOrders(d: RestDeps, apiKey: string, now: number): Reply {
  return {
    status: 429,
    body: { code: -1015, msg: `Too many new orders; current limit is ${LIMITS.orders10s} orders per TEN_SECONDS.` },
    headers: { 'retry-after': String(d.limiter.orderRetryAfterS(apiKey, now)) },
  };
}

const LIST_ROUTES: ReadonlySet<string> = new Set([
  'POST /api/v3/orderList/oco',
  'POST /api/v3/order/oco',
  'POST /api/v3/orderList/oto',
  'POST /api/v3/orderList/otoco',
  'DELETE /api/v3/orderList',
  'GET /api/v3/orderList',
  'GET /api/v3/openOrderList',
  'GET /api/v3/allOrderList',
]);

/**
 * The legacy POST /api/v3/order/oco parameters mapped onto the above/below form: a LIMIT_MAKER leg
 * (`price`, `limitClientOrderId`) and a STOP_LOSS or, with `stopLimitPrice`, STOP_LOSS_LIMIT leg
 * (`stopPrice`, `stopLimitTimeInForce`, `stopClientOrderId`, `trailingDelta`). For a SELL the limit
 * leg is above the market, for a BUY below it.
 */
function legacyOco(p: Record<string, string>): Record<string, string> {
  const sell = p['side'] === 'SELL';
  const limit: Record<string, string | undefined> = { Type: 'LIMIT_MAKER', Price: p['price'], ClientOrderId: p['limitClientOrderId'] };
  const stop: Record<string, string | undefined> = {
    Type: p['stopLimitPrice'] !== undefined ? 'STOP_LOSS_LIMIT' : 'STOP_LOSS',
    StopPrice: p['stopPrice'],
    Price: p['stopLimitPrice'],
    TimeInForce: p['stopLimitTimeInForce'],
    ClientOrderId: p['stopClientOrderId'],
    TrailingDelta: p['trailingDelta'],
  };
  const out: Record<string, string> = {};
  for (const k of ['symbol', 'side', 'quantity', 'listClientOrderId', 'newOrderRespType']) if (p[k] !== undefined) out[k] = p[k];
  for (const [prefix, leg] of [
    ['above', sell ? limit : stop],
    ['below', sell ? stop : limit],
  ] as const) {
    for (const [k, v] of Object.entries(leg)) if (v !== undefined) out[`${prefix}${k}`] = v;
  }
  return out;
}

/** The legacy request's own name of a leg parameter, for error messages. */
function legacyName(side: string | undefined): (leg: 'above' | 'below', param: string) => string {
  return (leg, param) => {
    const isLimit = (leg === 'above') === (side === 'SELL');
    if (isLimit) return param === 'newClientOrderId' ? 'limitClientOrderId' : param;
    const stop: Record<string, string> = { price: 'stopLimitPrice', timeInForce: 'stopLimitTimeInForce', newClientOrderId: 'stopClientOrderId' };
    return stop[param] ?? param;
  };
}

/**
 * An order list as Binance answers for it. `reports`: the orderReports of a placement (ACK, RESULT
 * or FULL, as newOrderRespType asks) or of a cancel (CANCEL); null for a query (no orderReports).
 */
function listResponse(
  ex: Exchange,
  l: OrderList,
  reports: 'ACK' | 'RESULT' | 'FULL' | 'CANCEL' | null,
  /** The legs as the placement saw them (an OTO's pending legs PENDING_NEW); default: as they are now. */
  legsNow?: readonly Order[],
): Record<string, unknown> {
  const legs = legsNow ?? l.orderIds.map((id) => ex.orders.get(id)!);
  const done = l.status === 'ALL_DONE';
  const report = (o: Order): Record<string, unknown> => {
    if (reports === 'CANCEL') {
      const {
        symbol,
        orderId,
        orderListId,
        clientOrderId,
        price,
        origQty,
        executedQty,
        origQuoteOrderQty,
        cummulativeQuoteQty,
        status,
        timeInForce,
        type,
        side,
        stopPrice,
        trailingDelta,
        selfTradePreventionMode,
      } = orderQuery(o);
      // The leg's own id is origClientOrderId; clientOrderId names the cancel (as Binance).
      return {
        symbol,
        origClientOrderId: clientOrderId,
        orderId,
        orderListId,
        clientOrderId: o.cancelClientOrderId ?? clientOrderId,
        transactTime: o.updateTime,
        price,
        origQty,
        executedQty,
        origQuoteOrderQty,
        cummulativeQuoteQty,
        status,
        timeInForce,
        type,
        side,
        ...(isStopType(o) ? { stopPrice } : {}),
        ...(trailingDelta !== undefined ? { trailingDelta } : {}),
        selfTradePreventionMode,
      };
    }
    const r = orderResponse(o, reports === 'FULL' ? 'FULL' : 'RESULT');
    const { fills, ...rest } = r as { fills?: unknown };
    // stopPrice is one of Binance's conditional fields: on the stop/take-profit legs only.
    return {
      ...rest,
      ...(isStopType(o) ? { stopPrice: fmt(o.stopPrice) } : {}),
      ...(o.trailingDelta !== null ? { trailingDelta: o.trailingDelta } : {}),
      ...(fills !== undefined ? { fills } : {}),
    };
  };
  return {
    orderListId: l.orderListId,
    contingencyType: l.contingencyType,
    listStatusType: done ? 'ALL_DONE' : 'EXEC_STARTED',
    listOrderStatus: done ? 'ALL_DONE' : 'EXECUTING',
    listClientOrderId: l.listClientOrderId,
    transactionTime: l.transactionTime,
    symbol: l.symbol,
    orders: legs.map((o) => ({ symbol: o.symbol, orderId: o.orderId, clientOrderId: o.clientOrderId })),
    ...(reports !== null ? { orderReports: legs.map(report) } : {}),
  };
}

/** On the book: a stop once triggered, a pending OTO leg once its working order filled. */
const working = (o: Order): boolean => o.triggered && o.status !== 'PENDING_NEW';

const isStopType = (o: Order): boolean => o.type.startsWith('STOP_LOSS') || o.type.startsWith('TAKE_PROFIT');

/** A cancel's report inside a cancel-replace: `clientOrderId` is the cancel's own id. */
function cancelReport(o: Order, cancelClientOrderId: string, now: number): Record<string, unknown> {
  const q = orderQuery(o);
  return {
    symbol: o.symbol,
    origClientOrderId: o.clientOrderId,
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: cancelClientOrderId,
    transactTime: now,
    price: q['price'],
    origQty: q['origQty'],
    executedQty: q['executedQty'],
    origQuoteOrderQty: '0.00000000',
    cummulativeQuoteQty: q['cummulativeQuoteQty'],
    status: o.status,
    timeInForce: q['timeInForce'],
    type: o.type,
    side: o.side,
    ...(o.stopPrice !== 0n ? { stopPrice: q['stopPrice'] } : {}),
    ...(o.trailingDelta !== null ? { trailingDelta: o.trailingDelta } : {}),
    selfTradePreventionMode: o.stpMode ?? 'EXPIRE_MAKER',
  };
}

/**
 * The commission object POST /api/v3/order/test answers with computeCommissionRates=true: the
 * rates this venue charges (0.1 % maker and taker, as GET /api/v3/account reports), no special or
 * tax commission, and the BNB discount Binance lists by default.
 */
function testCommission(): Record<string, unknown> {
  return {
    standardCommissionForOrder: { maker: '0.00100000', taker: '0.00100000' },
    specialCommissionForOrder: { maker: '0.00000000', taker: '0.00000000' },
    taxCommissionForOrder: { maker: '0.00000000', taker: '0.00000000' },
    discount: { enabledForAccount: true, enabledForSymbol: true, discountAsset: 'BNB', discount: '0.25000000' },
  };
}

const E1007: VenueError = { http: 500, code: -1007, msg: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.' };

/** The top `n` levels with quantity left, as Binance lists them: [price, qty] strings, best first. */
export function depthLevels(b: Book, n: number): { bids: [string, string][]; asks: [string, string][] } {
  const side = (ls: readonly { price: bigint; qty: bigint }[]): [string, string][] =>
    ls
      .filter((l) => l.qty > 0n)
      .slice(0, n)
      .map((l) => [fmt(l.price), fmt(l.qty)]);
  return { bids: side(b.bids), asks: side(b.asks) };
}

export function orderQuery(o: Order): Record<string, unknown> {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: o.clientOrderId,
    price: fmt(o.price),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    cummulativeQuoteQty: fmt(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce ?? 'GTC',
    type: o.type,
    side: o.side,
    stopPrice: fmt(o.stopPrice),
    ...(o.trailingDelta !== null ? { trailingDelta: o.trailingDelta } : {}),
    icebergQty: '0.00000000',
    time: o.time,
    updateTime: o.updateTime,
    isWorking: working(o),
    workingTime: working(o) ? (o.workingTime ?? o.time) : -1,
    origQuoteOrderQty: '0.00000000',
    selfTradePreventionMode: o.stpMode ?? 'EXPIRE_MAKER',
    ...prevented(o),
  };
}

/** An order self-trade prevention expired carries preventedMatchId and preventedQuantity (as Binance). */
function prevented(o: Order): Record<string, unknown> {
  return o.preventedMatchId === undefined ? {} : { preventedMatchId: o.preventedMatchId, preventedQuantity: fmt(o.preventedQuantity ?? 0n) };
}

function orderResponse(o: Order, respType: string): Record<string, unknown> {
  const ack = { symbol: o.symbol, orderId: o.orderId, orderListId: o.orderListId, clientOrderId: o.clientOrderId, transactTime: o.time };
  if (respType === 'ACK') return ack;
  const result = {
    ...ack,
    price: fmt(o.price),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    origQuoteOrderQty: '0.00000000',
    cummulativeQuoteQty: fmt(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce ?? 'GTC',
    type: o.type,
    side: o.side,
    workingTime: working(o) ? (o.workingTime ?? o.time) : -1,
    selfTradePreventionMode: o.stpMode ?? 'EXPIRE_MAKER',
  };
  if (respType === 'RESULT') return result;
  return {
    ...result,
    fills: o.fills.map((f) => ({
      price: fmt(f.price),
      qty: fmt(f.qty),
      commission: fmt(f.commission),
      commissionAsset: f.commissionAsset,
      tradeId: f.tradeId,
    })),
    // The matches self-trade prevention stopped, as the FULL response lists them.
    ...(o.preventedMatches?.length
      ? {
          preventedMatches: o.preventedMatches.map((m) => ({
            preventedMatchId: m.preventedMatchId,
            makerOrderId: m.makerOrderId,
            price: fmt(m.price),
            ...(m.takerPreventedQuantity !== null ? { takerPreventedQuantity: fmt(m.takerPreventedQuantity) } : {}),
            ...(m.makerPreventedQuantity !== null ? { makerPreventedQuantity: fmt(m.makerPreventedQuantity) } : {}),
          })),
        }
      : {}),
  };
}

/** A listed symbol not traded here (wide listing): its name and status only vary. */
function extraSymbolName(i: number): string {
  // One in ten non-ASCII, as testnet lists (e.g. Chinese names); the rest plain.
  return i % 10 === 3 ? `测试币${i}USDT` : `X${i.toString(36).toUpperCase()}USDT`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function exchangeInfo(
  ex: Exchange,
  serverTime: number,
  pick: (s: { symbol: string; status: string }) => boolean,
  showPermissionSets: boolean,
  extras: readonly string[] = [],
): Record<string, unknown> {
  const wide = extras.length > 0;
  const sym = (s: SymbolDef) => ({
    symbol: s.symbol,
    status: s.status,
    baseAsset: s.base,
    baseAssetPrecision: 8,
    quoteAsset: s.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
    icebergAllowed: true,
    ocoAllowed: s.ocoAllowed,
    // OTO and OTOCO lists are served (POST /api/v3/orderList/oto, /otoco); OPO lists, amends and
    // pegged orders are not: listed false, as Binance lists them.
    otoAllowed: true,
    opoAllowed: false,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: s.allowTrailingStop,
    cancelReplaceAllowed: s.cancelReplaceAllowed,
    amendAllowed: false,
    pegInstructionsAllowed: false,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: fmt(s.minPrice), maxPrice: fmt(s.maxPrice), tickSize: fmt(s.tickSize) },
      { filterType: 'LOT_SIZE', minQty: fmt(s.minQty), maxQty: fmt(s.maxQty), stepSize: fmt(s.stepSize) },
      { filterType: 'ICEBERG_PARTS', limit: 10 },
      { filterType: 'MARKET_LOT_SIZE', minQty: fmt(s.marketMinQty), maxQty: fmt(s.marketMaxQty), stepSize: fmt(s.marketStepSize) },
      {
        filterType: 'TRAILING_DELTA',
        minTrailingAboveDelta: s.minTrailingDelta,
        maxTrailingAboveDelta: s.maxTrailingDelta,
        minTrailingBelowDelta: s.minTrailingDelta,
        maxTrailingBelowDelta: s.maxTrailingDelta,
      },
      {
        filterType: 'PERCENT_PRICE_BY_SIDE',
        bidMultiplierUp: fmt(s.bidMultiplierUp),
        bidMultiplierDown: fmt(s.bidMultiplierDown),
        askMultiplierUp: fmt(s.askMultiplierUp),
        askMultiplierDown: fmt(s.askMultiplierDown),
        avgPriceMins: AVG_PRICE_MINS,
      },
      {
        filterType: 'NOTIONAL',
        minNotional: fmt(s.minNotional),
        applyMinToMarket: true,
        maxNotional: fmt(s.maxNotional),
        applyMaxToMarket: false,
        avgPriceMins: AVG_PRICE_MINS,
      },
      { filterType: 'MAX_NUM_ORDERS', maxNumOrders: s.maxNumOrders },
      { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: s.maxNumAlgoOrders },
      ...(wide
        ? [
            { filterType: 'MAX_NUM_ORDER_LISTS', maxNumOrderLists: 20 },
            { filterType: 'MAX_NUM_ORDER_AMENDS', maxNumOrderAmends: 10 },
            { filterType: 'FUTURE_FILTER', futureLimit: '1.5', futureFlag: true },
          ]
        : []),
    ],
    permissions: [],
    permissionSets: showPermissionSets ? [['SPOT']] : [],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
    ...(wide ? { amendAllowed: true, pegInstructionsAllowed: true, opoAllowed: true, futureField: { nested: [1, 'x'] } } : {}),
  });
  // Listed only: a status and shape like any other, never tradable here.
  const extra = (name: string, i: number) => ({
    ...sym({ ...[...ex.symbols.values()][0]!, symbol: name, base: name.slice(0, -4) }),
    status: i % 29 === 0 ? 'FUTURE_STATUS' : i % 17 === 0 ? 'BREAK' : 'TRADING',
  });
  return {
    timezone: 'UTC',
    serverTime,
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: LIMITS.weightPerMin },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: LIMITS.orders10s },
      { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: LIMITS.ordersDay },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
      ...(wide ? [{ rateLimitType: 'CONNECTIONS', interval: 'MINUTE', intervalNum: 5, limit: 300 }] : []),
    ],
    exchangeFilters: [],
    symbols: [...[...ex.symbols.values()].map(sym), ...extras.map(extra)].filter((s) => pick(s)),
  };
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const err = (e: VenueError): Reply => ({ status: e.http, body: { code: e.code, msg: e.msg } });

function send(res: ServerResponse, r: Reply, headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8' }): void {
  if ('destroy' in r) {
    // The order was executed; the client never hears of it: the unknown-outcome case.
    res.socket?.destroy();
    return;
  }
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  const h = typeof r.body === 'string' ? { ...headers, 'content-type': 'text/html' } : headers;
  res.writeHead(r.status, { ...h, ...r.headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
