import { div, fmt, mul, SCALE, type Fx } from './decimal.js';
import type { Exchange, TradePrint, VenueError } from './exchange.js';
import type { Bar } from './streams.js';

/**
 * Binance's public market-data endpoints over the simulator's own state: the book, the tape
 * (recent prints) and the bars the market streams build. Statistics windows (ticker/24hr and the
 * rolling /ticker) are summed from 1-minute bars (1-hour bars past a day), so a window starts on a
 * minute as Binance's /ticker does.
 */
export interface MarketDeps {
  readonly ex: Exchange;
  readonly tape: (symbol: string) => readonly TradePrint[];
  readonly klines: (symbol: string, interval: string, now: number) => readonly Bar[];
}

export type MarketReply = { ok: true; body: unknown } | { ok: false; err: VenueError };

const ok = (body: unknown): MarketReply => ({ ok: true, body });
const bad = (code: number, msg: string): MarketReply => ({ ok: false, err: { http: 400, code, msg } });
const INVALID_SYMBOL: VenueError = { http: 400, code: -1121, msg: 'Invalid symbol.' };
const BAD_SYMBOL: MarketReply = { ok: false, err: INVALID_SYMBOL };
const SYMBOLS_RANGE = `^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$`;

/**
 * The symbols a request names: `symbol`, `symbols` (a JSON array) or neither (all, when `all`).
 * Binance refuses both together, a malformed array, and any name it does not list.
 */
export function pickSymbols(
  ex: Exchange,
  p: Record<string, string>,
  all: boolean,
  extra: readonly string[] = [],
): { ok: true; symbols: string[]; single: boolean } | { ok: false; err: VenueError } {
  // `extra`: symbols listed but not traded here (the simulator's wide listing, exchangeInfo only).
  const listed = extra.length === 0 ? ex.symbols : new Set([...ex.symbols.keys(), ...extra]);
  if (p['symbol'] !== undefined && p['symbols'] !== undefined)
    return { ok: false, err: { http: 400, code: -1128, msg: 'Combination of optional parameters invalid.' } };
  if (p['symbol'] !== undefined) return listed.has(p['symbol']) ? { ok: true, symbols: [p['symbol']], single: true } : { ok: false, err: INVALID_SYMBOL };
  if (p['symbols'] !== undefined) {
    let list: unknown;
    try {
      list = JSON.parse(p['symbols']);
    } catch {
      list = null;
    }
    if (!Array.isArray(list) || !list.every((s): s is string => typeof s === 'string' && /^[A-Z0-9-_.]{1,20}$/.test(s)))
      return { ok: false, err: { http: 400, code: -1100, msg: `Illegal characters found in parameter 'symbols'; legal range is '${SYMBOLS_RANGE}'.` } };
    if (list.length === 0)
      return { ok: false, err: { http: 400, code: -1102, msg: "Mandatory parameter 'symbols' was not sent, was empty/null, or malformed." } };
    if (list.some((s) => !listed.has(s))) return { ok: false, err: INVALID_SYMBOL };
    return { ok: true, symbols: [...new Set(list)], single: false };
  }
  if (!all) return { ok: false, err: { http: 400, code: -1102, msg: "Param 'symbol' or 'symbols' must be sent, but both were empty/null!" } };
  return { ok: true, symbols: [...ex.symbols.keys(), ...extra], single: false };
}

/** `limit` as Binance reads it: default, 1..max, anything else -1100 (depth clamps instead). */
function limitOf(p: Record<string, string>, dflt: number, maxN: number): number | VenueError {
  if (p['limit'] === undefined) return dflt;
  const n = Number(p['limit']);
  if (!Number.isInteger(n) || n < 1 || n > maxN)
    return { http: 400, code: -1100, msg: `Illegal characters found in parameter 'limit'; legal range is '1-${maxN}'.` };
  return n;
}

const tradeJson = (t: TradePrint) => ({
  id: t.id,
  price: fmt(t.price),
  qty: fmt(t.qty),
  quoteQty: fmt(mul(t.price, t.qty)),
  time: t.time,
  isBuyerMaker: t.buyerMaker,
  isBestMatch: true,
});

export function handleMarket(d: MarketDeps, route: string, p: Record<string, string>, now: number): MarketReply | null {
  switch (route) {
    case 'GET /api/v3/trades':
    case 'GET /api/v3/historicalTrades':
    case 'GET /api/v3/aggTrades': {
      const sym = p['symbol'];
      if (sym === undefined) return bad(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
      if (!d.ex.symbols.has(sym)) return BAD_SYMBOL;
      const limit = limitOf(p, 500, 1000);
      if (typeof limit !== 'number') return { ok: false, err: limit };
      const tape = d.tape(sym);
      if (route === 'GET /api/v3/trades') return ok(tape.slice(-limit).map(tradeJson));
      const fromId = p['fromId'] !== undefined ? Number(p['fromId']) : null;
      if (route === 'GET /api/v3/historicalTrades')
        return ok((fromId === null ? tape.slice(-limit) : tape.filter((t) => t.id >= fromId).slice(0, limit)).map(tradeJson));
      // Every print here is one taker at one price: one aggregate per print, numbered by its trade id.
      const start = p['startTime'] !== undefined ? Number(p['startTime']) : null;
      const end = p['endTime'] !== undefined ? Number(p['endTime']) : null;
      if (fromId !== null && (start !== null || end !== null)) return bad(-1128, 'Combination of optional parameters invalid.');
      const sel = tape.filter((t) => (fromId === null || t.id >= fromId) && (start === null || t.time >= start) && (end === null || t.time <= end));
      const page = fromId !== null || start !== null ? sel.slice(0, limit) : sel.slice(-limit);
      return ok(page.map((t) => ({ a: t.id, p: fmt(t.price), q: fmt(t.qty), f: t.id, l: t.id, T: t.time, m: t.buyerMaker, M: true })));
    }
    case 'GET /api/v3/ticker/price':
    case 'GET /api/v3/ticker/bookTicker': {
      const s = pickSymbols(d.ex, p, true);
      if (!s.ok) return { ok: false, err: s.err };
      const one = (sym: string) => {
        const b = d.ex.books.get(sym)!;
        return route.endsWith('price')
          ? { symbol: sym, price: fmt(b.last) }
          : { symbol: sym, bidPrice: fmt(b.bid), bidQty: fmt(b.bidQty), askPrice: fmt(b.ask), askQty: fmt(b.askQty) };
      };
      return ok(s.single ? one(s.symbols[0]!) : s.symbols.map(one));
    }
    case 'GET /api/v3/ticker/24hr':
    case 'GET /api/v3/ticker': {
      const rolling = route === 'GET /api/v3/ticker';
      const s = pickSymbols(d.ex, p, !rolling);
      if (!s.ok) return { ok: false, err: s.err };
      const type = p['type'] ?? 'FULL';
      if (type !== 'FULL' && type !== 'MINI') return bad(-1100, "Illegal characters found in parameter 'type'; legal range is 'FULL, MINI'.");
      let windowMs = 86_400_000;
      if (rolling && p['windowSize'] !== undefined) {
        const w = windowMs_(p['windowSize']);
        if (w === null) return bad(-1100, "Illegal characters found in parameter 'windowSize'; legal range is '1m-59m, 1h-23h, 1d-7d'.");
        windowMs = w;
      }
      const stats = s.symbols.map((sym) => windowStats(d, sym, now, windowMs, rolling ? 'rolling' : '24hr', type));
      return ok(s.single ? stats[0] : stats);
    }
    default:
      return null;
  }
}

/** windowSize: 1m..59m, 1h..23h, 1d..7d (units not combined). */
function windowMs_(w: string): number | null {
  const m = /^([1-9][0-9]?)([mhd])$/.exec(w);
  if (!m) return null;
  const n = Number(m[1]);
  const [maxN, unit] = m[2] === 'm' ? [59, 60_000] : m[2] === 'h' ? [23, 3_600_000] : [7, 86_400_000];
  return n <= maxN ? n * unit : null;
}

function windowStats(d: MarketDeps, sym: string, now: number, windowMs: number, kind: 'rolling' | '24hr', type: 'FULL' | 'MINI'): Record<string, unknown> {
  const iv = windowMs > 86_400_000 ? '1h' : '1m';
  const book = d.ex.books.get(sym)!;
  // /ticker's window opens on a minute; ticker/24hr's is exactly 24 h back.
  const openTime = kind === 'rolling' ? Math.floor((now - windowMs) / 60_000) * 60_000 : now - windowMs;
  const bars = d.klines(sym, iv, now);
  const inWin = bars.filter((b) => b.T >= openTime && b.n > 0);
  const before = bars.filter((b) => b.T < openTime);
  const first = inWin[0];
  const last = inWin[inWin.length - 1];
  const open = first?.o ?? book.last;
  const close = last?.c ?? book.last;
  let high = first ? first.h : book.last;
  let low = first ? first.l : book.last;
  let volume = 0n;
  let quote = 0n;
  let count = 0;
  for (const b of inWin) {
    if (b.h > high) high = b.h;
    if (b.l < low) low = b.l;
    volume += b.v;
    quote += b.q;
    count += b.n;
  }
  const ids = { firstId: first ? first.f : -1, lastId: last ? last.L : -1, count };
  const mini = {
    symbol: sym,
    openPrice: fmt(open),
    highPrice: fmt(high),
    lowPrice: fmt(low),
    lastPrice: fmt(close),
    volume: fmt(volume),
    quoteVolume: fmt(quote),
    openTime,
    closeTime: now,
    ...ids,
  };
  if (type === 'MINI') return mini;
  const change = close - open;
  const pct = open === 0n ? '0.000' : pct3((change * 100n * SCALE) / open);
  const wavg = volume === 0n ? fmt(0n) : fmt(div(quote, volume));
  const common = { symbol: sym, priceChange: fmt(change), priceChangePercent: pct, weightedAvgPrice: wavg };
  if (kind === 'rolling') {
    const { symbol: _s, ...rest } = mini;
    return { ...common, ...rest };
  }
  const tape = d.tape(sym);
  const lastPrint = tape[tape.length - 1];
  const prevClose = before[before.length - 1]?.c ?? open;
  return {
    ...common,
    prevClosePrice: fmt(prevClose),
    lastPrice: fmt(close),
    lastQty: fmt(lastPrint?.qty ?? 0n),
    bidPrice: fmt(book.bid),
    bidQty: fmt(book.bidQty),
    askPrice: fmt(book.ask),
    askQty: fmt(book.askQty),
    openPrice: mini.openPrice,
    highPrice: mini.highPrice,
    lowPrice: mini.lowPrice,
    volume: mini.volume,
    quoteVolume: mini.quoteVolume,
    openTime,
    closeTime: now,
    ...ids,
  };
}

/** A percentage scaled by SCALE, as Binance prints it: three decimals. */
function pct3(v: Fx): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const thousandths = (a * 1000n) / SCALE;
  return `${neg ? '-' : ''}${thousandths / 1000n}.${(thousandths % 1000n).toString().padStart(3, '0')}`;
}
