import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { fmt, parseFx } from './decimal.js';
import { Exchange } from './exchange.js';
import { FAULT_KINDS, Faults } from './faults.js';
import { RateLimiter } from './rate-limits.js';
import { handleRest, orderQuery } from './rest.js';
import { WsApi } from './ws-api.js';
/**
 * A local Binance-Spot-compatible venue: REST on one port, market streams on another, and an admin
 * API on a third that the Binance port never serves. Loopback only.
 */
export async function createExchangeSim(o) {
    const seed = o.seed ?? 42;
    const ex = new Exchange(seed, [...o.keys]);
    const faults = new Faults(seed);
    const limiter = new RateLimiter();
    const now = Date.now;
    if (o.stateFile && existsSync(o.stateFile))
        ex.restore(JSON.parse(readFileSync(o.stateFile, 'utf8')));
    let saveTimer = null;
    const save = () => {
        if (!o.stateFile)
            return;
        const tmp = `${o.stateFile}.tmp`;
        writeFileSync(tmp, JSON.stringify(ex.snapshot()));
        renameSync(tmp, o.stateFile);
    };
    const onChange = () => {
        if (!o.stateFile || saveTimer)
            return;
        saveTimer = setTimeout(() => {
            saveTimer = null;
            save();
        }, 100);
    };
    ex.listeners.push(() => onChange());
    const rest = createServer((req, res) => {
        handleRest({ ex, faults, limiter, now, onChange }, req, res).catch((e) => {
            if (!res.headersSent) {
                res.writeHead(500, { 'content-type': 'application/json' });
                res.end(JSON.stringify({ code: -1000, msg: `An unknown error occurred while processing the request. ${e.message}` }));
            }
        });
    });
    // Market streams: /ws/<stream> and /stream?streams=a/b (combined: {stream, data}).
    const wsHttp = createServer((_req, res) => {
        res.writeHead(404);
        res.end();
    });
    const wss = new WebSocketServer({ server: wsHttp });
    const subs = new Set();
    const wsApi = new WsApi(ex, now);
    wss.on('connection', (ws, req) => {
        const u = new URL(req.url ?? '/', 'http://x');
        if (u.pathname === '/ws-api/v3')
            return wsApi.attach(ws);
        const combined = u.pathname === '/stream';
        const streams = combined ? (u.searchParams.get('streams') ?? '').split('/').filter(Boolean) : [u.pathname.replace(/^\/ws\//, '')];
        const sub = { ws, streams: streams.map((s) => s.toLowerCase()), combined, alive: true };
        subs.add(sub);
        ws.on('pong', () => (sub.alive = true));
        ws.on('close', () => subs.delete(sub));
        ws.on('error', () => subs.delete(sub));
    });
    const push = () => {
        if (faults.peek('ws_stall'))
            return; // connection open, nothing flows
        if (faults.take('ws_disconnect', 'WS', now())) {
            for (const s of subs)
                s.ws.terminate();
            subs.clear();
            return;
        }
        for (const [symbol, b] of ex.books) {
            const stream = `${symbol.toLowerCase()}@bookticker`;
            const data = { u: b.updateId, s: symbol, b: fmt(b.bid), B: fmt(b.bidQty), a: fmt(b.ask), A: fmt(b.askQty) };
            for (const s of subs) {
                if (!s.streams.includes(stream))
                    continue;
                s.ws.send(JSON.stringify(s.combined ? { stream: `${symbol.toLowerCase()}@bookTicker`, data } : data));
            }
        }
    };
    const ticker = setInterval(() => {
        ex.tick();
        push();
    }, o.tickMs ?? 250);
    // The venue pings; a client that does not pong by the next ping is dropped.
    const pinger = setInterval(() => {
        for (const s of subs) {
            if (!s.alive) {
                s.ws.terminate();
                subs.delete(s);
                continue;
            }
            s.alive = false;
            s.ws.ping();
        }
    }, o.wsPingMs ?? 20_000);
    const admin = createServer((req, res) => {
        void handleAdmin(req, res).catch((e) => json(res, 400, { error: e.message }));
    });
    const handleAdmin = async (req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const body = req.method === 'POST' ? JSON.parse((await readAll(req)) || '{}') : {};
        const route = `${req.method} ${url.pathname}`;
        switch (route) {
            case 'GET /admin/state':
                return json(res, 200, { ...ex.snapshot(), orders: [...ex.orders.values()].map((x) => ({ ...orderQuery(x), apiKey: x.apiKey })), paused: ex.paused });
            case 'POST /admin/price': {
                const p = parseFx(String(body['price']));
                if (!p.ok || !ex.symbols.has(String(body['symbol'])))
                    return json(res, 400, { error: 'symbol and price (decimal string) required' });
                ex.setPrice(String(body['symbol']), p.value);
                push();
                return json(res, 200, { symbol: body['symbol'], price: fmt(ex.books.get(String(body['symbol'])).last) });
            }
            case 'POST /admin/market':
                ex.paused = body['paused'] === true;
                return json(res, 200, { paused: ex.paused });
            case 'POST /admin/tick': {
                const n = Number(body['n'] ?? 1);
                const was = ex.paused;
                ex.paused = false;
                for (let i = 0; i < n; i++)
                    ex.tick();
                ex.paused = was;
                push();
                return json(res, 200, { ticks: n });
            }
            case 'POST /admin/symbol': {
                const s = ex.symbols.get(String(body['symbol']));
                if (!s || !['TRADING', 'BREAK', 'HALT'].includes(String(body['status'])))
                    return json(res, 400, { error: 'symbol and status TRADING|BREAK|HALT required' });
                s.status = body['status'];
                if (typeof body['stepSize'] === 'string')
                    s.stepSize = parseFx(body['stepSize']).ok ? parseFx(body['stepSize']).value : s.stepSize;
                if (typeof body['minNotional'] === 'string')
                    s.minNotional = parseFx(body['minNotional']).ok ? parseFx(body['minNotional']).value : s.minNotional;
                onChange();
                return json(res, 200, { symbol: s.symbol, status: s.status });
            }
            case 'POST /admin/balance': {
                const k = String(body['apiKey']);
                const f = parseFx(String(body['free']));
                if (!ex.keys.has(k) || !f.ok)
                    return json(res, 400, { error: 'apiKey, asset and free required' });
                ex.balance(k, String(body['asset'])).free = f.value;
                onChange();
                return json(res, 200, { ok: true });
            }
            case 'POST /admin/key': {
                const k = ex.keys.get(String(body['apiKey']));
                if (!k)
                    return json(res, 400, { error: 'unknown apiKey' });
                if (typeof body['canTrade'] === 'boolean')
                    k.canTrade = body['canTrade'];
                if (typeof body['enableWithdrawals'] === 'boolean')
                    k.enableWithdrawals = body['enableWithdrawals'];
                return json(res, 200, k.apiKey === undefined ? {} : { apiKey: k.apiKey, canTrade: k.canTrade, enableWithdrawals: k.enableWithdrawals });
            }
            case 'POST /admin/faults': {
                if (!FAULT_KINDS.includes(body['kind']))
                    return json(res, 400, { error: `kind must be one of ${FAULT_KINDS.join(', ')}` });
                faults.add(body);
                return json(res, 200, { active: faults.list() });
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
    const listen = (s, port) => new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve(s.address().port));
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
            clearInterval(pinger);
            if (saveTimer)
                clearTimeout(saveTimer);
            save();
            for (const s of subs)
                s.ws.terminate();
            wss.close();
            for (const s of [rest, wsHttp, admin]) {
                s.closeAllConnections();
                await new Promise((r) => s.close(r));
            }
        },
    };
}
function readAll(req) {
    return new Promise((resolve, reject) => {
        const c = [];
        req.on('data', (x) => c.push(x));
        req.on('end', () => resolve(Buffer.concat(c).toString('utf8')));
        req.on('error', reject);
    });
}
function json(res, status, body) {
    const t = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(t) });
    res.end(t);
}
//# sourceMappingURL=sim.js.map