import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { fmt, parseFx } from './decimal.js';
import { Exchange, type ApiKey, type ExchangeSnapshot } from './exchange.js';
import { FAULT_KINDS, Faults, type FaultSpec } from './faults.js';
import { RateLimiter } from './rate-limits.js';
import { handleRest, orderQuery, type Listing } from './rest.js';
import { MarketStreams } from './streams.js';
import { Tape } from './tape.js';
import { WsApi } from './ws-api.js';

export interface SimOptions {
  readonly port?: number;
  readonly wsPort?: number;
  readonly adminPort?: number;
  readonly seed?: number;
  readonly keys: readonly ApiKey[];
  /** State file: orders and balances survive a restart (written atomically). */
  readonly stateFile?: string | null;
  readonly tickMs?: number;
  readonly wsPingMs?: number;
  /** How long a WebSocket connection may live before the venue closes it (Binance: 24 h). */
  readonly wsLifetimeMs?: number;
  /** Extra symbols exchangeInfo lists (and, with any, the unknown types a live reply carries): see Listing. */
  readonly extraSymbols?: number;
  /** How long a final order stays queryable (Exchange.pruneHistory); default 90 days. */
  readonly orderHistoryMs?: number;
}

/** Final orders are forgotten after this long unless SimOptions says otherwise (Binance: 90 days for unfilled ones). */
export const ORDER_HISTORY_MS = 90 * 86_400_000;
/** How often the venue forgets orders past their history window. */
const PRUNE_EVERY_MS = 3_600_000;

export interface ExchangeSim {
  readonly rest: string;
  readonly ws: string;
  readonly admin: string;
  readonly exchange: Exchange;
  readonly faults: Faults;
  close(): Promise<void>;
}

/**
 * A local Binance-Spot-compatible venue: REST on one port, market streams on another, and an admin
 * API on a third that the Binance port never serves. Loopback only.
 */
export async function createExchangeSim(o: SimOptions): Promise<ExchangeSim> {
  const seed = o.seed ?? 42;
  const ex = new Exchange(seed, [...o.keys]);
  const faults = new Faults(seed);
  const limiter = new RateLimiter();
  const tape = new Tape(ex);
  const listing: Listing = { extraSymbols: o.extraSymbols ?? 0, lastQuery: null, extraOpenOrders: [] };
  const now = Date.now;
  if (o.stateFile && existsSync(o.stateFile)) ex.restore(JSON.parse(readFileSync(o.stateFile, 'utf8')) as ExchangeSnapshot);

  let saveTimer: NodeJS.Timeout | null = null;
  const save = (): void => {
    if (!o.stateFile) return;
    const tmp = `${o.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(ex.snapshot()));
    renameSync(tmp, o.stateFile);
  };
  const onChange = (): void => {
    if (!o.stateFile || saveTimer) return;
    saveTimer = setTimeout(() => {
      saveTimer = null;
      save();
    }, 100);
  };
  ex.listeners.push(() => onChange());

  const rest = createServer((req, res) => {
    handleRest(
      { ex, faults, limiter, now, onChange, listing, klines: (sym, iv, t) => streams.klines(sym, iv, t), tape: (sym) => tape.of(sym) },
      req,
      res,
    ).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: -1000, msg: `An unknown error occurred while processing the request. ${(e as Error).message}` }));
      }
    });
  });

  // Market streams and the WebSocket API share the ws port; every connection ends at its lifetime.
  const wsHttp = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({ server: wsHttp });
  const streams = new MarketStreams(ex, faults, { pingMs: o.wsPingMs ?? 20_000, now });
  const wsApi = new WsApi(ex, now, () => faults.peek('user_stream_silent') !== null);
  const lifetimeMs = o.wsLifetimeMs ?? 24 * 3_600_000;
  wss.on('connection', (ws, req: IncomingMessage) => {
    // Binance: a connection is valid for 24 hours; expect to be disconnected at the mark.
    const end = setTimeout(() => {
      ws.close(1000, 'connection lifetime reached');
      setTimeout(() => ws.terminate(), 1000).unref();
    }, lifetimeMs);
    end.unref();
    ws.on('close', () => clearTimeout(end));
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/ws-api/v3') return wsApi.attach(ws);
    streams.attach(ws, req);
  });
  const push = (): void => streams.push();
  const ticker = setInterval(() => {
    ex.tick();
    push();
  }, o.tickMs ?? 250);
  // Months under `npm start`: final orders leave after their history window (and the state file with them).
  const prune = (): void => {
    const r = ex.pruneHistory(o.orderHistoryMs ?? ORDER_HISTORY_MS);
    if (r.orders + r.lists > 0) onChange();
  };
  prune();
  const pruner = setInterval(prune, PRUNE_EVERY_MS);
  pruner.unref();

  const admin = createServer((req, res) => {
    void handleAdmin(req, res).catch((e: unknown) => json(res, 400, { error: (e as Error).message }));
  });
  const handleAdmin = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = req.method === 'POST' ? (JSON.parse((await readAll(req)) || '{}') as Record<string, unknown>) : {};
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /admin/state':
        return json(res, 200, { ...ex.snapshot(), orders: [...ex.orders.values()].map((x) => ({ ...orderQuery(x), apiKey: x.apiKey })), paused: ex.paused });
      case 'POST /admin/price': {
        const p = parseFx(String(body['price']));
        if (!p.ok || !ex.symbols.has(String(body['symbol']))) return json(res, 400, { error: 'symbol and price (decimal string) required' });
        ex.setPrice(String(body['symbol']), p.value);
        push();
        return json(res, 200, { symbol: body['symbol'], price: fmt(ex.books.get(String(body['symbol']))!.last) });
      }
      case 'POST /admin/market':
        ex.paused = body['paused'] === true;
        return json(res, 200, { paused: ex.paused });
      case 'POST /admin/tick': {
        const n = Number(body['n'] ?? 1);
        const was = ex.paused;
        ex.paused = false;
        for (let i = 0; i < n; i++) ex.tick();
        ex.paused = was;
        push();
        return json(res, 200, { ticks: n });
      }
      case 'POST /admin/symbol': {
        const s = ex.symbols.get(String(body['symbol']));
        if (!s || !['TRADING', 'BREAK', 'HALT'].includes(String(body['status'])))
          return json(res, 400, { error: 'symbol and status TRADING|BREAK|HALT required' });
        s.status = body['status'] as typeof s.status;
        if (typeof body['stepSize'] === 'string')
          s.stepSize = parseFx(body['stepSize']).ok ? (parseFx(body['stepSize']) as { value: bigint }).value : s.stepSize;
        if (typeof body['ocoAllowed'] === 'boolean') s.ocoAllowed = body['ocoAllowed'];
        if (typeof body['minNotional'] === 'string')
          s.minNotional = parseFx(body['minNotional']).ok ? (parseFx(body['minNotional']) as { value: bigint }).value : s.minNotional;
        onChange();
        return json(res, 200, { symbol: s.symbol, status: s.status });
      }
      case 'POST /admin/balance': {
        const k = String(body['apiKey']);
        const f = parseFx(String(body['free']));
        if (!ex.keys.has(k) || !f.ok) return json(res, 400, { error: 'apiKey, asset and free required' });
        ex.setFree(k, String(body['asset']), f.value);
        onChange();
        return json(res, 200, { ok: true });
      }
      case 'POST /admin/liquidity': {
        // Displayed quantity per level: `qty` for both sides, or bidQty/askQty; `levels` deep.
        const dec = (k: string) => (typeof body[k] === 'string' ? parseFx(body[k]) : null);
        const q = dec('qty');
        const bq = dec('bidQty') ?? q;
        const aq = dec('askQty') ?? q;
        const levels = typeof body['levels'] === 'number' ? body['levels'] : undefined;
        if ((bq && !bq.ok) || (aq && !aq.ok) || (!bq && !aq && levels === undefined))
          return json(res, 400, { error: 'symbol and qty (or bidQty/askQty, levels) required' });
        const l = ex.setLiquidity(String(body['symbol']), {
          ...(bq?.ok ? { bidQty: bq.value } : {}),
          ...(aq?.ok ? { askQty: aq.value } : {}),
          ...(levels !== undefined ? { levels } : {}),
        });
        if (!l) return json(res, 400, { error: 'unknown symbol' });
        onChange();
        push();
        return json(res, 200, { symbol: body['symbol'], bidQty: fmt(l.bidQty), askQty: fmt(l.askQty), levels: l.levels });
      }
      case 'POST /admin/regime': {
        const sym = String(body['symbol']);
        const r = body['regime'];
        if (!ex.regimes.has(sym) || !['calm', 'volatile', 'auto'].includes(String(r)))
          return json(res, 400, { error: 'symbol and regime calm|volatile|auto required' });
        if (r === 'auto') ex.pinnedRegime.delete(sym);
        else ex.pinnedRegime.set(sym, r as 'calm' | 'volatile');
        return json(res, 200, { symbol: sym, regime: r });
      }
      case 'POST /admin/key': {
        const k = ex.keys.get(String(body['apiKey']));
        if (!k) return json(res, 400, { error: 'unknown apiKey' });
        if (typeof body['canTrade'] === 'boolean') k.canTrade = body['canTrade'];
        if (typeof body['enableWithdrawals'] === 'boolean') k.enableWithdrawals = body['enableWithdrawals'];
        return json(res, 200, k.apiKey === undefined ? {} : { apiKey: k.apiKey, canTrade: k.canTrade, enableWithdrawals: k.enableWithdrawals });
      }
      case 'POST /admin/faults': {
        if (!FAULT_KINDS.includes(body['kind'] as (typeof FAULT_KINDS)[number]))
          return json(res, 400, { error: `kind must be one of ${FAULT_KINDS.join(', ')}` });
        faults.add(body as unknown as FaultSpec);
        return json(res, 200, { active: faults.list() });
      }
      case 'POST /admin/reference-price': {
        // {symbol, price: "decimal" | null}: set (or null out) the symbol's reference price.
        const s = ex.symbols.get(String(body['symbol']));
        const p = typeof body['price'] === 'string' ? parseFx(body['price']) : null;
        if (!s || (body['price'] !== null && !p?.ok)) return json(res, 400, { error: 'symbol and price (decimal string or null) required' });
        s.referencePrice = p?.ok ? p.value : null;
        onChange();
        return json(res, 200, { symbol: s.symbol, referencePrice: s.referencePrice === null ? null : fmt(s.referencePrice) });
      }
      case 'GET /admin/exchange-info':
        return json(res, 200, listing);
      case 'POST /admin/exchange-info': {
        const n = body['extraSymbols'];
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100_000)
          return json(res, 400, { error: 'extraSymbols (integer 0..100000) required' });
        listing.extraSymbols = n;
        return json(res, 200, listing);
      }
      case 'POST /admin/user-stream/shutdown': {
        // serverShutdown on every WebSocket API connection; they close after closeAfterMs (default 600000).
        const ms = typeof body['closeAfterMs'] === 'number' ? body['closeAfterMs'] : 600_000;
        return json(res, 200, { notified: wsApi.shutdown(ms), closeAfterMs: ms });
      }
      case 'POST /admin/open-orders-extra': {
        // {apiKey, order}: an open order placed elsewhere, listed raw by openOrders; {apiKey, clear: true} empties.
        if (!ex.keys.has(String(body['apiKey']))) return json(res, 400, { error: 'apiKey required' });
        if (body['clear'] === true) listing.extraOpenOrders = listing.extraOpenOrders.filter((x) => x.apiKey !== body['apiKey']);
        else if (typeof body['order'] === 'object' && body['order'] !== null)
          listing.extraOpenOrders.push({ apiKey: String(body['apiKey']), order: body['order'] as Record<string, unknown> });
        else return json(res, 400, { error: 'order (object) or clear required' });
        return json(res, 200, { extraOpenOrders: listing.extraOpenOrders.length });
      }
      case 'POST /admin/user-stream/push': {
        // {apiKey, event}: one raw user-data event to the key's subscriptions (events the core does not produce).
        if (typeof body['event'] !== 'object' || body['event'] === null) return json(res, 400, { error: 'apiKey and event required' });
        return json(res, 200, { sent: wsApi.push(String(body['apiKey']), body['event'] as Record<string, unknown>) });
      }
      case 'POST /admin/user-stream/terminate':
        wsApi.terminate();
        return json(res, 200, { terminated: true });
      case 'DELETE /admin/faults':
        faults.clear();
        return json(res, 200, { active: [] });
      case 'GET /admin/faults':
        return json(res, 200, { active: faults.list() });
      case 'GET /admin/faults/log':
        return json(res, 200, { log: faults.log });
      default:
        return json(res, 404, { error: 'not found' });
    }
  };

  const listen = (s: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
    });
  const restPort = await listen(rest, o.port ?? 0);
  const wsPort = await listen(wsHttp, o.wsPort ?? 0);
  const adminPort = await listen(admin, o.adminPort ?? 0);

  return {
    rest: `http://127.0.0.1:${restPort}`,
    ws: `ws://127.0.0.1:${wsPort}`,
    admin: `http://127.0.0.1:${adminPort}`,
    exchange: ex,
    faults,
    close: async () => {
      clearInterval(ticker);
      clearInterval(pruner);
      await streams.close();
      if (saveTimer) clearTimeout(saveTimer);
      save();
      for (const c of wss.clients) c.terminate();
      wss.close();
      for (const s of [rest, wsHttp, admin]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const c: Buffer[] = [];
    req.on('data', (x: Buffer) => c.push(x));
    req.on('end', () => resolve(Buffer.concat(c).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const t = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(t) });
  res.end(t);
}
