import { div, fmt, fx, max, min, mul, onStep, parseFx } from './decimal.js';
import { rng } from './rng.js';
import { defaultSymbols } from './symbols.js';
const ORDER_TYPES = ['LIMIT', 'MARKET', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];
const STOP_TYPES = ['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];
/** The new-style name of an OCO leg parameter (abovePrice, belowStopPrice, ...). */
export function ocoParamName(leg, param) {
    const k = param === 'newClientOrderId' ? 'clientOrderId' : param;
    return `${leg}${k[0].toUpperCase()}${k.slice(1)}`;
}
const E = (http, code, msg) => ({ ok: false, err: { http, code, msg } });
const FEE_BPS = 10n; // 0.1 % maker and taker
/**
 * The venue's truth: symbols and their filters, a seeded market per symbol, accounts, orders and
 * matching. Pure state machine driven by calls and by `tick()`; the HTTP/WS layers sit on top.
 */
export class Exchange {
    now;
    symbols = new Map();
    books = new Map();
    keys = new Map();
    balances = new Map();
    orders = new Map();
    lists = new Map();
    /** Best price seen since a trailing stop was placed (highest bid for a SELL, lowest ask for a BUY). */
    trailRef = new Map();
    nextListId = 1;
    nextOrderId = 1;
    nextTradeId = 1;
    paused = false;
    random;
    listeners = [];
    listListeners = [];
    constructor(seed, keys, now = Date.now) {
        this.now = now;
        this.random = rng(seed);
        for (const s of defaultSymbols()) {
            this.symbols.set(s.symbol, s);
            this.books.set(s.symbol, this.bookAround(s, s.startPrice, 1));
        }
        for (const k of keys)
            this.addKey(k);
    }
    addKey(k) {
        this.keys.set(k.apiKey, k);
        if (!this.balances.has(k.apiKey)) {
            this.balances.set(k.apiKey, new Map([
                ['USDT', { free: fx('10000'), locked: 0n }],
                ['BTC', { free: fx('0.5'), locked: 0n }],
                ['ETH', { free: fx('5'), locked: 0n }],
                ['BNB', { free: fx('20'), locked: 0n }],
            ]));
        }
    }
    /** One step of the seeded price process for every symbol, then matching against it. */
    tick() {
        if (this.paused)
            return;
        for (const s of this.symbols.values()) {
            const b = this.books.get(s.symbol);
            // A random walk with occasional jumps, in basis points of the last price.
            const jump = this.random() < 0.01 ? (this.random() - 0.5) * 20 * s.volatilityBps : 0;
            const bps = (this.random() - 0.5) * 2 * s.volatilityBps + jump;
            const next = b.last + (b.last * BigInt(Math.round(bps * 100))) / 1000000n;
            this.setPrice(s.symbol, next > s.tickSize ? next : s.tickSize);
        }
    }
    setPrice(symbol, price) {
        const s = this.symbols.get(symbol);
        if (!s)
            return;
        const prev = this.books.get(symbol);
        this.books.set(symbol, this.bookAround(s, price, prev.updateId + 1));
        this.match(symbol);
    }
    bookAround(s, mid, updateId) {
        const half = max(s.tickSize, (mid * BigInt(s.spreadBps)) / 20000n);
        const snap = (v) => v - (v % s.tickSize);
        const bid = max(s.tickSize, snap(mid - half));
        const ask = max(bid + s.tickSize, snap(mid + half) + s.tickSize);
        return { bid, ask, bidQty: fx('3.5'), askQty: fx('2.75'), last: mid, updateId };
    }
    balance(apiKey, asset) {
        const acct = this.balances.get(apiKey);
        let b = acct.get(asset);
        if (!b)
            acct.set(asset, (b = { free: 0n, locked: 0n }));
        return b;
    }
    /** POST /api/v3/order (and /order/test when `test`). Params are the decoded request parameters. */
    place(apiKey, p, test = false) {
        const v = this.validate(apiKey, p);
        if (!v.ok)
            return v;
        if (test)
            return { ok: true, value: v.value.order };
        const o = this.commit(v.value);
        this.activate(o, v.value.quoteQty);
        return { ok: true, value: o };
    }
    /**
     * Every check of a new order (parameters, filters, duplicates, balance) without changing anything:
     * an order list validates all of its legs before the first one exists. `ctx` accounts for legs of
     * the same list validated before this one.
     */
    validate(apiKey, p, ctx = {}) {
        const key = this.keys.get(apiKey);
        if (!key.canTrade)
            return E(401, -2015, 'Invalid API-key, IP, or permissions for action.');
        for (const k of ['symbol', 'side', 'type'])
            if (p[k] === undefined)
                return E(400, -1102, `Mandatory parameter '${k}' was not sent, was empty/null, or malformed.`);
        const s = this.symbols.get(p['symbol']);
        if (!s)
            return E(400, -1121, 'Invalid symbol.');
        const side = p['side'];
        if (side !== 'BUY' && side !== 'SELL')
            return E(400, -1117, 'Invalid side.');
        const type = p['type'];
        if (!ORDER_TYPES.includes(type))
            return E(400, -1116, 'Invalid orderType.');
        if (s.status !== 'TRADING')
            return E(400, -1013, 'Market is closed.');
        const num = (k) => {
            const v = p[k];
            if (v === undefined)
                return null;
            const r = parseFx(v);
            if (!r.ok)
                return r.why === 'precision' ? { http: 400, code: -1111, msg: `Parameter '${k}' has too much precision.` } : { http: 400, code: -1100, msg: `Illegal characters found in parameter '${k}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.` };
            return r.value;
        };
        const qty = num('quantity');
        const quoteQty = num('quoteOrderQty');
        const price = num('price');
        const stopPrice = num('stopPrice');
        for (const v of [qty, quoteQty, price, stopPrice])
            if (v !== null && typeof v === 'object')
                return { ok: false, err: v };
        const q = qty;
        const qq = quoteQty;
        const pr = price;
        const sp = stopPrice;
        const trailing = p['trailingDelta'] === undefined ? null : Number(p['trailingDelta']);
        const priced = type === 'LIMIT' || type === 'LIMIT_MAKER' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT_LIMIT';
        if (priced && pr === null)
            return E(400, -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.");
        if (type !== 'MARKET' && q === null)
            return E(400, -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
        if (type === 'MARKET' && q === null && qq === null)
            return E(400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!");
        if (STOP_TYPES.includes(type) && sp === null && trailing === null)
            return E(400, -1102, "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!");
        let tif = (p['timeInForce'] ?? null);
        if ((type === 'LIMIT' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT_LIMIT') && tif === null)
            return E(400, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.");
        if (tif !== null && tif !== 'GTC' && tif !== 'IOC' && tif !== 'FOK')
            return E(400, -1115, 'Invalid timeInForce.');
        if (type === 'LIMIT_MAKER')
            tif = null;
        const cid = p['newClientOrderId'] ?? `sim${this.nextOrderId}${Math.floor(this.random() * 1e9)}`;
        if (!/^[a-zA-Z0-9-_]{1,36}$/.test(cid))
            return E(400, -1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.");
        const book = this.books.get(s.symbol);
        // Filters, as Binance names them in -1013.
        if (pr !== null && (pr < s.minPrice || pr > s.maxPrice || !onStep(pr, s.minPrice, s.tickSize)))
            return E(400, -1013, 'Filter failure: PRICE_FILTER');
        if (sp !== null && (sp < s.minPrice || sp > s.maxPrice || !onStep(sp, s.minPrice, s.tickSize)))
            return E(400, -1013, 'Filter failure: PRICE_FILTER');
        if (q !== null) {
            if (type === 'MARKET') {
                if ((s.marketMinQty && q < s.marketMinQty) || q > s.marketMaxQty || !onStep(q, s.marketMinQty, s.marketStepSize))
                    return E(400, -1013, 'Filter failure: MARKET_LOT_SIZE');
            }
            if (q < s.minQty || q > s.maxQty || !onStep(q, s.minQty, s.stepSize))
                return E(400, -1013, 'Filter failure: LOT_SIZE');
        }
        const refPrice = pr ?? (side === 'BUY' ? book.ask : book.bid);
        const notional = q !== null ? mul(q, refPrice) : qq;
        if (notional < s.minNotional || (type !== 'MARKET' && notional > s.maxNotional))
            return E(400, -1013, 'Filter failure: NOTIONAL');
        if (pr !== null) {
            const avg = book.last;
            const [up, down] = side === 'BUY' ? [s.bidMultiplierUp, s.bidMultiplierDown] : [s.askMultiplierUp, s.askMultiplierDown];
            if (pr > mul(avg, up) || pr < mul(avg, down))
                return E(400, -1013, 'Filter failure: PERCENT_PRICE_BY_SIDE');
        }
        if (trailing !== null && (!Number.isInteger(trailing) || trailing < s.minTrailingDelta || trailing > s.maxTrailingDelta))
            return E(400, -1013, 'Filter failure: TRAILING_DELTA');
        const open = [...this.orders.values()].filter((o) => o.apiKey === apiKey && o.symbol === s.symbol && isOpen(o));
        if (open.length + (ctx.extraOpen ?? 0) >= s.maxNumOrders)
            return E(400, -1013, 'Filter failure: MAX_NUM_ORDERS');
        if (STOP_TYPES.includes(type) && open.filter((o) => STOP_TYPES.includes(o.type)).length + (ctx.extraAlgo ?? 0) >= s.maxNumAlgoOrders)
            return E(400, -1013, 'Filter failure: MAX_NUM_ALGO_ORDERS');
        if (type === 'LIMIT_MAKER' && pr !== null && (side === 'BUY' ? pr >= book.ask : pr <= book.bid))
            return E(400, -2010, 'Order would immediately match and take.');
        if (open.some((o) => o.clientOrderId === cid) || (ctx.takenCids ?? []).includes(cid))
            return E(400, -2010, 'Duplicate order sent.');
        // Balance: what this order may consume, locked until it fills or ends. A BUY stop is priced at
        // its stop (or limit) price, a MARKET BUY at the ask.
        const lockAsset = side === 'BUY' ? s.quote : s.base;
        const need = side === 'BUY' ? (q !== null ? mul(q, pr ?? sp ?? book.ask) : qq) : q;
        if (!ctx.skipBalance && this.balance(apiKey, lockAsset).free < need)
            return E(400, -2010, 'Account has insufficient balance for requested action.');
        const now = this.now();
        const order = {
            symbol: s.symbol,
            orderId: 0,
            clientOrderId: cid,
            apiKey,
            side,
            type,
            timeInForce: tif,
            price: pr ?? 0n,
            stopPrice: sp ?? 0n,
            origQty: q ?? 0n,
            executedQty: 0n,
            cumQuote: 0n,
            status: 'NEW',
            time: now,
            updateTime: now,
            triggered: !STOP_TYPES.includes(type),
            locked: need,
            lockedAsset: lockAsset,
            fills: [],
            orderListId: -1,
            trailingDelta: trailing,
        };
        return { ok: true, value: { order, need, quoteQty: qq } };
    }
    /** Puts a validated order on the book: an id, its balance lock (`lock`, default its own need), NEW. */
    commit(d, listId = -1, lock = d.need) {
        const o = { ...d.order, fills: [], orderId: this.nextOrderId++, orderListId: listId, locked: lock };
        const bal = this.balance(o.apiKey, o.lockedAsset);
        bal.free -= lock;
        bal.locked += lock;
        this.orders.set(o.orderId, o);
        if (o.trailingDelta !== null && o.stopPrice === 0n) {
            const book = this.books.get(o.symbol);
            this.trailRef.set(o.orderId, o.side === 'SELL' ? book.bid : book.ask);
        }
        this.emit(o, null);
        return o;
    }
    /** First matching of a committed order: MARKET fills, a marketable LIMIT takes, IOC/FOK rests expire. */
    activate(o, quoteQty) {
        if (o.type === 'MARKET')
            this.fillMarket(o, quoteQty);
        else if (o.triggered)
            this.tryFill(o, false);
        if (o.triggered && isOpen(o) && (o.timeInForce === 'IOC' || o.timeInForce === 'FOK'))
            this.end(o, 'EXPIRED');
    }
    cancel(apiKey, symbol, by) {
        const o = this.find(apiKey, symbol, by);
        if (!o || !isOpen(o))
            return E(400, -2011, 'Unknown order sent.');
        // Cancelling one leg of an order list cancels the whole list.
        const list = o.orderListId >= 0 ? this.lists.get(o.orderListId) : undefined;
        if (list && list.status === 'EXECUTING')
            this.cancelList(list);
        else
            this.end(o, 'CANCELED');
        return { ok: true, value: o };
    }
    /**
     * POST /api/v3/orderList/oco (and the legacy /order/oco mapped onto it): two legs sharing one
     * quantity and one balance lock. Both legs are validated before either exists; when one executes
     * or its stop triggers, the other expires. `name` gives the request's own name of a leg parameter
     * for error messages (the legacy form names them differently).
     */
    placeOco(apiKey, p, name = ocoParamName) {
        const key = this.keys.get(apiKey);
        if (!key.canTrade)
            return E(401, -2015, 'Invalid API-key, IP, or permissions for action.');
        for (const k of ['symbol', 'side', 'quantity'])
            if (p[k] === undefined)
                return E(400, -1102, `Mandatory parameter '${k}' was not sent, was empty/null, or malformed.`);
        for (const leg of ['above', 'below'])
            if (p[`${leg}Type`] === undefined)
                return E(400, -1102, `Mandatory parameter '${name(leg, 'type')}' was not sent, was empty/null, or malformed.`);
        const s = this.symbols.get(p['symbol']);
        if (!s)
            return E(400, -1121, 'Invalid symbol.');
        const side = p['side'];
        if (side !== 'BUY' && side !== 'SELL')
            return E(400, -1117, 'Invalid side.');
        // SELL: take-profit above the market, stop-loss below it; BUY: the mirror.
        const TP = ['LIMIT_MAKER', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];
        const SL = ['STOP_LOSS', 'STOP_LOSS_LIMIT'];
        const allowed = { above: side === 'SELL' ? TP : SL, below: side === 'SELL' ? SL : TP };
        for (const leg of ['above', 'below']) {
            const t = p[`${leg}Type`];
            if (!ORDER_TYPES.includes(t))
                return E(400, -1116, 'Invalid orderType.');
            if (!allowed[leg].includes(t))
                return E(400, -1013, `${name(leg, 'type')} ${t} is not supported for a ${side} OCO; it must be one of ${allowed[leg].join(', ')}.`);
        }
        const legParams = (leg) => {
            const out = { symbol: s.symbol, side, type: p[`${leg}Type`], quantity: p['quantity'] };
            for (const [k, v] of [['ClientOrderId', 'newClientOrderId'], ['Price', 'price'], ['StopPrice', 'stopPrice'], ['TrailingDelta', 'trailingDelta'], ['TimeInForce', 'timeInForce']]) {
                const x = p[`${leg}${k}`];
                if (x !== undefined)
                    out[v] = x;
            }
            return out;
        };
        const lcid = p['listClientOrderId'] ?? `simlist${this.nextListId}${Math.floor(this.random() * 1e9)}`;
        if (!/^[a-zA-Z0-9-_]{1,36}$/.test(lcid))
            return E(400, -1100, "Illegal characters found in parameter 'listClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.");
        if ([...this.lists.values()].some((l) => l.apiKey === apiKey && l.status === 'EXECUTING' && l.listClientOrderId === lcid))
            return E(400, -2010, 'Duplicate order sent.');
        // Price relationship against the last price, checked for the list before its legs. The price that
        // counts is a LIMIT_MAKER's limit price or a stop type's stopPrice (a leg with only a
        // trailingDelta has none yet; a malformed one is left to the leg's own validation).
        const last = this.books.get(s.symbol).last;
        const trigger = (leg) => {
            const v = p[`${leg}Type`] === 'LIMIT_MAKER' ? p[`${leg}Price`] : p[`${leg}StopPrice`];
            const r = v === undefined ? null : parseFx(v);
            return r?.ok ? r.value : null;
        };
        const ta = trigger('above');
        const tb = trigger('below');
        if ((ta !== null && ta <= last) || (tb !== null && tb >= last)) {
            const what = side === 'SELL' ? 'for a SELL OCO the above leg (take-profit) must be above the last price and the below leg (stop) below it' : 'for a BUY OCO the above leg (stop) must be above the last price and the below leg (take-profit) below it';
            return E(400, -2010, `The relationship of the prices for the orders is not correct: ${what} (last price ${fmt(last)}).`);
        }
        const renamed = (leg, e) => ({ ok: false, err: { ...e, msg: e.msg.replace(/'(price|stopPrice|trailingDelta|timeInForce|newClientOrderId)'/g, (_m, k) => `'${name(leg, k)}'`) } });
        // Both legs, validated as single orders would be, before anything exists. The second leg counts
        // the first against MAX_NUM_ORDERS / MAX_NUM_ALGO_ORDERS and may not reuse its clientOrderId.
        const a = this.validate(apiKey, legParams('above'), { skipBalance: true });
        if (!a.ok)
            return renamed('above', a.err);
        const b = this.validate(apiKey, legParams('below'), { skipBalance: true, extraOpen: 1, extraAlgo: STOP_TYPES.includes(a.value.order.type) ? 1 : 0, takenCids: [a.value.order.clientOrderId] });
        if (!b.ok)
            return renamed('below', b.err);
        // One lock for both legs: the base quantity for a SELL, the dearer leg's quote for a BUY.
        const need = max(a.value.need, b.value.need);
        if (this.balance(apiKey, a.value.order.lockedAsset).free < need)
            return E(400, -2010, 'Account has insufficient balance for requested action.');
        const id = this.nextListId++;
        const above = this.commit(a.value, id, need);
        const below = this.commit(b.value, id, 0n);
        const list = { orderListId: id, listClientOrderId: lcid, symbol: s.symbol, apiKey, orderIds: [above.orderId, below.orderId], status: 'EXECUTING', transactionTime: this.now() };
        this.lists.set(id, list);
        this.emitList(list);
        this.activate(above, null);
        if (list.status === 'EXECUTING')
            this.activate(below, null);
        return { ok: true, value: list };
    }
    findList(apiKey, by) {
        let found;
        for (const l of this.lists.values()) {
            if (l.apiKey !== apiKey)
                continue;
            if (by.orderListId !== undefined ? l.orderListId === by.orderListId : l.listClientOrderId === by.listClientOrderId) {
                // A listClientOrderId is unique among executing lists only: prefer that one, else the newest.
                if (!found || (l.status === 'EXECUTING' && found.status !== 'EXECUTING') || (found.status !== 'EXECUTING' && l.orderListId > found.orderListId))
                    found = l;
            }
        }
        return found;
    }
    /** DELETE /api/v3/orderList, or a DELETE /api/v3/order of one leg: every open leg CANCELED. */
    cancelList(list) {
        for (const oid of list.orderIds) {
            const o = this.orders.get(oid);
            if (isOpen(o))
                this.end(o, 'CANCELED');
        }
        if (list.status === 'EXECUTING') {
            list.status = 'ALL_DONE';
            this.emitList(list);
        }
    }
    /** Before a leg trades, the list's shared lock moves onto it (the other leg holds none after). */
    absorbListLock(leg) {
        const list = leg.orderListId >= 0 ? this.lists.get(leg.orderListId) : undefined;
        if (!list || list.status !== 'EXECUTING')
            return;
        for (const oid of list.orderIds) {
            if (oid === leg.orderId)
                continue;
            const other = this.orders.get(oid);
            leg.locked += other.locked;
            other.locked = 0n;
        }
    }
    /** One leg executed or its stop triggered: the other leg EXPIRES and the list is ALL_DONE. */
    settleList(leg) {
        const list = leg.orderListId >= 0 ? this.lists.get(leg.orderListId) : undefined;
        if (!list || list.status !== 'EXECUTING')
            return;
        this.absorbListLock(leg);
        for (const oid of list.orderIds) {
            if (oid === leg.orderId)
                continue;
            const other = this.orders.get(oid);
            if (isOpen(other))
                this.end(other, 'EXPIRED');
        }
        list.status = 'ALL_DONE';
        this.emitList(list);
    }
    find(apiKey, symbol, by) {
        let found;
        for (const o of this.orders.values()) {
            if (o.apiKey !== apiKey || o.symbol !== symbol)
                continue;
            if (by.orderId !== undefined ? o.orderId === by.orderId : o.clientOrderId === by.clientOrderId) {
                // A clientOrderId is unique among open orders only: prefer the open one, else the newest.
                if (!found || isOpen(o) || o.orderId > found.orderId)
                    found = o;
                if (isOpen(o))
                    break;
            }
        }
        return found;
    }
    fillMarket(o, quoteQty) {
        const b = this.books.get(o.symbol);
        const px = o.side === 'BUY' ? b.ask : b.bid;
        const s = this.symbols.get(o.symbol);
        const q = o.origQty !== 0n ? o.origQty : quoteQty !== null ? div(quoteQty, px) - (div(quoteQty, px) % s.stepSize) : 0n;
        if (o.origQty === 0n)
            o.origQty = q;
        this.execute(o, px, q, false);
    }
    /** Matches a working order against the current book; `maker` when it rested first. */
    tryFill(o, maker) {
        const b = this.books.get(o.symbol);
        if (o.side === 'BUY' && b.ask <= o.price)
            this.execute(o, maker ? o.price : b.ask, o.origQty - o.executedQty, maker);
        else if (o.side === 'SELL' && b.bid >= o.price)
            this.execute(o, maker ? o.price : b.bid, o.origQty - o.executedQty, maker);
    }
    execute(o, px, qty, maker) {
        if (qty <= 0n)
            return;
        if (o.orderListId >= 0)
            this.absorbListLock(o);
        const s = this.symbols.get(o.symbol);
        const quote = mul(px, qty);
        const base = this.balance(o.apiKey, s.base);
        const q = this.balance(o.apiKey, s.quote);
        let commission;
        let commissionAsset;
        if (o.side === 'BUY') {
            const spend = min(quote, o.locked);
            q.locked -= spend;
            o.locked -= spend;
            // A BUY stop that fills above the price it locked at pays the rest from the free balance.
            q.free -= quote - spend;
            commission = (qty * FEE_BPS) / 10000n;
            commissionAsset = s.base;
            base.free += qty - commission;
        }
        else {
            base.locked -= qty;
            o.locked -= qty;
            commission = (quote * FEE_BPS) / 10000n;
            commissionAsset = s.quote;
            q.free += quote - commission;
        }
        const fill = { price: px, qty, commission, commissionAsset, tradeId: this.nextTradeId++, maker };
        o.fills.push(fill);
        o.executedQty += qty;
        o.cumQuote += quote;
        o.updateTime = this.now();
        o.status = o.executedQty >= o.origQty ? 'FILLED' : 'PARTIALLY_FILLED';
        if (o.status === 'FILLED')
            this.release(o);
        this.emit(o, fill);
        // Any execution of a leg ends its list: the other leg expires.
        if (o.orderListId >= 0)
            this.settleList(o);
    }
    end(o, status) {
        o.status = status;
        o.updateTime = this.now();
        this.release(o);
        this.emit(o, null);
    }
    /** Returns what is still locked for an order that will not trade any more. */
    release(o) {
        if (o.locked > 0n) {
            const b = this.balance(o.apiKey, o.lockedAsset);
            b.locked -= o.locked;
            b.free += o.locked;
            o.locked = 0n;
        }
    }
    match(symbol) {
        const b = this.books.get(symbol);
        for (const o of this.orders.values()) {
            if (o.symbol !== symbol || !isOpen(o))
                continue;
            if (!o.triggered) {
                const px = o.side === 'SELL' ? b.bid : b.ask;
                let hit;
                if (this.trailRef.has(o.orderId)) {
                    // Trailing stop: follows the best price and triggers delta BIPS behind it.
                    const ref = this.trailRef.get(o.orderId);
                    const best = o.side === 'SELL' ? max(ref, px) : min(ref, px);
                    this.trailRef.set(o.orderId, best);
                    const d = BigInt(o.trailingDelta ?? 0);
                    hit = o.side === 'SELL' ? px * 10000n <= best * (10000n - d) : px * 10000n >= best * (10000n + d);
                    if (hit) {
                        o.stopPrice = px;
                        this.trailRef.delete(o.orderId);
                    }
                }
                else {
                    const stopLoss = o.type === 'STOP_LOSS' || o.type === 'STOP_LOSS_LIMIT';
                    // A stop-loss sells when the price falls to it (buys when it rises); take-profit the opposite.
                    hit = o.side === 'SELL' ? (stopLoss ? px <= o.stopPrice : px >= o.stopPrice) : stopLoss ? px >= o.stopPrice : px <= o.stopPrice;
                }
                if (!hit)
                    continue;
                o.triggered = true;
                // A triggered leg ends its list: the other leg expires before this one trades.
                if (o.orderListId >= 0)
                    this.settleList(o);
                if (o.type === 'STOP_LOSS' || o.type === 'TAKE_PROFIT') {
                    this.execute(o, px, o.origQty, false);
                    continue;
                }
                this.tryFill(o, true);
                if (isOpen(o) && (o.timeInForce === 'IOC' || o.timeInForce === 'FOK'))
                    this.end(o, 'EXPIRED');
                continue;
            }
            this.tryFill(o, true);
        }
    }
    emit(o, fill) {
        for (const l of this.listeners)
            l(o, fill);
    }
    emitList(list) {
        const done = list.status === 'ALL_DONE';
        const e = { list, listStatusType: done ? 'ALL_DONE' : 'EXEC_STARTED', listOrderStatus: done ? 'ALL_DONE' : 'EXECUTING', time: this.now() };
        for (const l of this.listListeners)
            l(e);
    }
    snapshot() {
        const balances = {};
        for (const [k, m] of this.balances)
            balances[k] = Object.fromEntries([...m].map(([a, b]) => [a, { free: fmt(b.free), locked: fmt(b.locked) }]));
        return {
            nextOrderId: this.nextOrderId,
            nextTradeId: this.nextTradeId,
            balances,
            orders: [...this.orders.values()].map((o) => ({
                ...o,
                price: fmt(o.price),
                stopPrice: fmt(o.stopPrice),
                origQty: fmt(o.origQty),
                executedQty: fmt(o.executedQty),
                cumQuote: fmt(o.cumQuote),
                locked: fmt(o.locked),
                fills: o.fills.map((f) => ({ ...f, price: fmt(f.price), qty: fmt(f.qty), commission: fmt(f.commission) })),
            })),
            prices: Object.fromEntries([...this.books].map(([s, b]) => [s, fmt(b.last)])),
            symbolStatus: Object.fromEntries([...this.symbols].map(([s, d]) => [s, d.status])),
            lists: [...this.lists.values()].map((l) => ({ ...l, orderIds: [...l.orderIds] })),
            nextListId: this.nextListId,
            trails: Object.fromEntries([...this.trailRef].map(([id, px]) => [String(id), fmt(px)])),
        };
    }
    restore(s) {
        this.nextOrderId = s.nextOrderId;
        this.nextTradeId = s.nextTradeId;
        for (const [k, m] of Object.entries(s.balances)) {
            if (!this.balances.has(k))
                continue;
            this.balances.set(k, new Map(Object.entries(m).map(([a, b]) => [a, { free: fx(b.free), locked: fx(b.locked) }])));
        }
        this.orders.clear();
        for (const o of s.orders) {
            this.orders.set(o.orderId, {
                ...o,
                price: fx(o.price),
                stopPrice: fx(o.stopPrice),
                origQty: fx(o.origQty),
                executedQty: fx(o.executedQty),
                cumQuote: fx(o.cumQuote),
                locked: fx(o.locked),
                fills: o.fills.map((f) => ({ ...f, price: fx(f.price), qty: fx(f.qty), commission: fx(f.commission) })),
                // State files written before order lists and trailing stops existed lack these.
                orderListId: o.orderListId ?? -1,
                trailingDelta: o.trailingDelta ?? null,
            });
        }
        this.lists.clear();
        for (const l of s.lists ?? [])
            this.lists.set(l.orderListId, { ...l, orderIds: [...l.orderIds] });
        this.nextListId = s.nextListId ?? Math.max(0, ...this.lists.keys()) + 1;
        this.trailRef.clear();
        for (const [id, px] of Object.entries(s.trails ?? {}))
            if (this.orders.has(Number(id)))
                this.trailRef.set(Number(id), fx(px));
        for (const [sym, p] of Object.entries(s.prices)) {
            const d = this.symbols.get(sym);
            if (d)
                this.books.set(sym, this.bookAround(d, fx(p), 1));
        }
        for (const [sym, st] of Object.entries(s.symbolStatus)) {
            const d = this.symbols.get(sym);
            if (d)
                d.status = st;
        }
    }
}
export function isOpen(o) {
    return o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
}
//# sourceMappingURL=exchange.js.map