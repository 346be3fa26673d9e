// Gateway REST client vs ccxt (issue 5): the client-side cost of one signed order round trip,
// against the same in-process exchange simulator, in the same run.
//
// Three clients take turns, round by round, on the same requests:
//   raw   node:http keep-alive, requests signed before the round (no signing in the timing, no
//         parsing beyond reading the body): the floor, i.e. the simulator's own service time plus
//         loopback; both other clients pay it too.
//   ours  the gateway's production path: OrderDesk (local validation against exchangeInfo rules)
//         -> VenueSession.signedWithResync -> RestClient (governor admission, signing, HTTP,
//         classification, schema check of the reply).
//   ccxt  ccxt.binance with every urls.api entry pointed at the simulator.
// Overhead = client round trip - raw round trip. p50: median over rounds of the per-round p50
// difference; p99: over the pooled samples of all rounds, each less its round's raw p50.
//
// Venue limits shape the run: ORDERS is 50 per 10 s per API key (our governor stops at 90 % of
// it), so every round of real orders uses fresh keys (a fresh gateway stack for ours, new
// credentials on the ccxt instance, another key header for raw) and stays below 45 orders.
//
// ccxt's loadMarkets() with default options calls endpoints the simulator does not serve, one
// after another as each is switched off:
//   GET /sapi/v1/capital/config/getall  (fetchCurrencies)        -> options.fetchCurrencies = false
//   GET /sapi/v1/margin/allPairs        (fetchMargins, with keys) -> options.fetchMargins = false
//   GET /fapi/v1/exchangeInfo, /dapi/v1/exchangeInfo (linear and inverse markets)
//                                                                 -> options.fetchMarkets.types = ['spot']
// Its client-side throttle is off (enableRateLimit: false): it sleeps, which is not CPU overhead,
// and ours does not sleep either (it refuses).
import { createHmac } from 'node:crypto';
import http from 'node:http';

const SYMBOL = 'BTCUSDT';
const CCXT_SYMBOL = 'BTC/USDT';
const QTY = '0.00100';
const PRICE_FACTOR = 0.5; // a BUY at half the market: never fills, inside PERCENT_PRICE_BY_SIDE (0.2x..5x)

const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const med = (xs) => pct(xs, 50);

export async function runGatewayBench(opts = {}) {
  const iterations = opts.iterations ?? 300;
  const roundSize = opts.roundSize ?? 30;
  const warmup = opts.warmup ?? 30;
  const rounds = Math.ceil(iterations / roundSize);
  const [{ default: ccxt }, { createExchangeSim }, gw, { parseConfig }] = await Promise.all([
    import('ccxt'),
    import('../apps/exchange-sim/dist/index.js'),
    import('../packages/gateway/dist/index.js'),
    import('../packages/runtime/dist/index.js'),
  ]);

  // One key per (round, client) for the order phase, plus one per client for warm-up and tests.
  const keys = Array.from({ length: 3 * (rounds + 2) }, (_, i) => ({
    apiKey: `gwbenchkey${String(i).padStart(22, '0')}`,
    secretKey: `gwbenchsecret${String(i).padStart(20, '0')}`,
    canTrade: true,
    enableWithdrawals: false,
    ipRestrict: true,
  }));
  const sim = await createExchangeSim({ keys, seed: 7 });
  const base = new URL(sim.rest);
  const adminPost = async (path, body) => {
    const r = await fetch(`${sim.admin}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`admin ${path}: ${r.status}`);
    return r.json();
  };
  // A still market: the far-away limit price stays valid and nothing matches during the run.
  await adminPost('/admin/market', { paused: true });
  const last = await (await fetch(`${sim.rest}/api/v3/ticker/price?symbol=${SYMBOL}`)).json();
  const price = (Math.floor(Number(last.price) * PRICE_FACTOR * 100) / 100).toFixed(2);

  const cfg = (() => {
    const r = parseConfig({ exchange: { rest_base_url: sim.rest, symbols: [SYMBOL] } });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.config.exchange;
  })();

  // ---- ours: the gateway stack as gateway.ts wires it ------------------------------------------
  const ourStack = async (key) => {
    const clock = gw.createClockEstimator({ driftMaxMs: cfg.clock_drift_max_ms_live });
    const governor = gw.createRateGovernor([]);
    const calls = [];
    const rest = gw.createRestClient({
      baseUrl: cfg.rest_base_url,
      apiKey: key.apiKey,
      secret: key.secretKey,
      recvWindowMs: cfg.time_sync_recv_window_ms,
      readTimeoutMs: cfg.rest_timeout_ms,
      orderTimeoutMs: cfg.order_timeout_ms,
      clock: { localNow: Date.now, exchangeNow: (t) => clock.exchangeNow(t) },
      governor,
      // The worker turns each into a REST_CALLED audit event; building the record is the part
      // that belongs to this path (the channel post is measured by the channel bench).
      onResponse: (r) => {
        calls.push({ method: r.method, path: r.path, kind: r.callKind, attempt: r.attempt, status: r.status, outcome: r.outcome, duration_ms: r.durationMs });
        if (calls.length > 64) calls.length = 0;
      },
    });
    const reasons = new Map();
    const reason = (code, on, detail) => void (on ? reasons.set(code, detail) : reasons.delete(code));
    const session = new gw.VenueSession({ rest, clock, governor, cfg, now: Date.now, reason, event: () => {} });
    if (!(await session.syncClock(3))) throw new Error('ours: clock sync failed');
    if (!(await session.refreshFilters())) throw new Error('ours: exchangeInfo failed');
    const desk = new gw.OrderDesk({ session, now: Date.now, reason });
    await desk.warmAvgPrices([SYMBOL]);
    // The engine passes the open-order counts as context; the desk's own count cache serves test().
    const open = await desk.openOrders(SYMBOL);
    if (open.kind !== 'OK') throw new Error(`ours: openOrders ${open.kind}`);
    return { desk, rest, reasons };
  };
  const ourOrder = (cid) => ({ symbol: SYMBOL, side: 'BUY', type: 'LIMIT', client_order_id: cid, quantity: QTY, price, time_in_force: 'GTC' });
  const must = (what, out) => {
    if (out.kind !== 'OK') throw new Error(`ours ${what}: ${JSON.stringify(out)}`);
    return out;
  };

  // ---- ccxt ------------------------------------------------------------------------------------
  const cx = new ccxt.binance({
    apiKey: keys[1].apiKey,
    secret: keys[1].secretKey,
    enableRateLimit: false,
    options: {
      fetchCurrencies: false,
      fetchMargins: false,
      fetchMarkets: { types: ['spot'] },
      adjustForTimeDifference: false,
      recvWindow: cfg.time_sync_recv_window_ms,
    },
  });
  // Every API base (spot, sapi, futures, ...) to the simulator: nothing may reach the internet.
  for (const [k, v] of Object.entries(cx.urls.api)) if (typeof v === 'string') cx.urls.api[k] = `${sim.rest}${new URL(v).pathname}`;
  await cx.loadMarkets();
  const cxUse = (key) => {
    cx.apiKey = key.apiKey;
    cx.secret = key.secretKey;
  };
  const cxAmount = Number(QTY);
  const cxPrice = Number(price);

  // ---- raw -------------------------------------------------------------------------------------
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const rawSend = (r) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: base.hostname, port: base.port, method: r.method, path: r.path, agent, headers: { 'x-mbx-apikey': r.apiKey } },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(chunks)
              : reject(new Error(`raw ${r.method} ${r.path.split('?')[0]}: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`)),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  const presign = (key, method, path, params) => {
    const q = new URLSearchParams({ ...params, recvWindow: String(cfg.time_sync_recv_window_ms), timestamp: String(Date.now()) }).toString();
    return { method, apiKey: key.apiKey, path: `${path}?${q}&signature=${createHmac('sha256', key.secretKey).update(q).digest('hex')}` };
  };
  const rawOrderParams = (cid) => ({
    symbol: SYMBOL,
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    quantity: QTY,
    price,
    newClientOrderId: cid,
    newOrderRespType: 'FULL',
  });

  const now = () => performance.now();
  let seq = 0;
  const cid = (tag) => `gwb${tag}${(seq++).toString(36)}`;

  /**
   * One op measured for the three clients in alternating rounds. `prepare(client, key, n)` runs
   * before the timed part of a round (fresh stacks, pre-signing); `once(client, ctx, i)` is one
   * measured call and returns the samples it took (ms) by label.
   */
  const measure = async (labels, keyFor, prepare, once) => {
    const samples = { raw: {}, ours: {}, ccxt: {} };
    const samplesRound = { raw: {}, ours: {}, ccxt: {} };
    const perRound = { raw: {}, ours: {}, ccxt: {} };
    for (const c of Object.keys(samples)) {
      for (const l of labels) {
        samples[c][l] = [];
        samplesRound[c][l] = [];
        perRound[c][l] = [];
      }
    }
    const order = ['raw', 'ours', 'ccxt'];
    for (let r = 0; r < rounds; r++) {
      const n = Math.min(roundSize, iterations - r * roundSize);
      // Rotate who goes first so that no client always follows the same one.
      const turn = [...order.slice(r % 3), ...order.slice(0, r % 3)];
      for (const client of turn) {
        const ctx = await prepare(client, keyFor(r, client), n);
        const got = {};
        for (const l of labels) got[l] = [];
        for (let i = 0; i < n; i++) {
          const s = await once(client, ctx, i);
          for (const l of labels) got[l].push(s[l]);
        }
        await ctx.done?.();
        for (const l of labels) {
          samples[client][l].push(...got[l]);
          samplesRound[client][l].push(...got[l].map((x) => [x, r]));
          perRound[client][l].push(med(got[l]));
        }
      }
    }
    const out = {};
    for (const l of labels) {
      // Each sample less the floor of its own round (the raw client's median there): a noisy raw
      // sample cannot then make another client look faster.
      const over = (c) => ({
        p50: med(perRound[c][l].map((x, i) => x - perRound.raw[l][i])),
        p99: pct(
          samplesRound[c][l].map(([x, r]) => x - perRound.raw[l][r]),
          99,
        ),
      });
      out[l] = { raw_p50_ms: med(perRound.raw[l]), raw_p99_ms: pct(samples.raw[l], 99), ours: over('ours'), ccxt: over('ccxt'), n: samples.raw[l].length };
    }
    return out;
  };

  const clientIndex = { raw: 0, ours: 1, ccxt: 2 };
  const stacks = [];

  // ---- warm-up: JIT and connections for all three, not timed -----------------------------------
  {
    const warm = { raw: keys[0], ours: keys[1], ccxt: keys[2] };
    const ours = await ourStack(warm.ours);
    stacks.push(ours);
    cxUse(warm.ccxt);
    for (let i = 0; i < warmup; i++) {
      await rawSend(presign(warm.raw, 'POST', '/api/v3/order/test', rawOrderParams(cid('w'))));
      must('test', await ours.desk.test(ourOrder(cid('w'))));
      await cx.createOrder(CCXT_SYMBOL, 'limit', 'buy', cxAmount, cxPrice, { test: true });
    }
  }

  // ---- POST /api/v3/order/test -----------------------------------------------------------------
  const testKeys = { raw: keys[3], ours: keys[4], ccxt: keys[5] };
  const oursForTest = await ourStack(testKeys.ours);
  stacks.push(oursForTest);
  const test = await measure(
    ['test'],
    (_r, client) => testKeys[client],
    async (client, key, n) => {
      if (client === 'raw') return { key, reqs: Array.from({ length: n }, () => presign(key, 'POST', '/api/v3/order/test', rawOrderParams(cid('t')))) };
      if (client === 'ccxt') cxUse(key);
      // Steady state, as in the running gateway: avgPrice (5 s) and open-order counts (2 s) are
      // cached, so no round of 30 calls meets an expired entry and pays an extra request.
      if (client === 'ours') {
        await oursForTest.desk.warmAvgPrices([SYMBOL]);
        must('openOrders', await oursForTest.desk.openOrders(SYMBOL));
      }
      return { key };
    },
    async (client, ctx, i) => {
      if (client === 'raw') {
        const t0 = now();
        await rawSend(ctx.reqs[i]);
        return { test: now() - t0 };
      }
      if (client === 'ours') {
        const o = ourOrder(cid('t'));
        const t0 = now();
        const out = await oursForTest.desk.test(o);
        const t = now() - t0;
        must('test', out);
        return { test: t };
      }
      const id = cid('t');
      const t0 = now();
      await cx.createOrder(CCXT_SYMBOL, 'limit', 'buy', cxAmount, cxPrice, { test: true, clientOrderId: id });
      return { test: now() - t0 };
    },
  );

  // ---- POST /api/v3/order (LIMIT far from the market) and DELETE /api/v3/order ------------------
  const orderKey = (r, client) => keys[3 * (r + 2) + clientIndex[client]];
  const limit = await measure(
    ['place', 'cancel'],
    orderKey,
    async (client, key, n) => {
      const ids = Array.from({ length: n }, () => cid('o'));
      if (client === 'raw') {
        return {
          key,
          ids,
          places: ids.map((id) => presign(key, 'POST', '/api/v3/order', rawOrderParams(id))),
          cancels: ids.map((id) => presign(key, 'DELETE', '/api/v3/order', { symbol: SYMBOL, origClientOrderId: id })),
        };
      }
      if (client === 'ours') {
        const s = await ourStack(key);
        // One unmeasured call opens the new stack's connection.
        must('test', await s.desk.test(ourOrder(cid('w'))));
        return { key, ids, s, done: () => s.rest.close() };
      }
      cxUse(key);
      return { key, ids };
    },
    async (client, ctx, i) => {
      const id = ctx.ids[i];
      if (client === 'raw') {
        const t0 = now();
        await rawSend(ctx.places[i]);
        const t1 = now();
        await rawSend(ctx.cancels[i]);
        return { place: t1 - t0, cancel: now() - t1 };
      }
      if (client === 'ours') {
        const o = ourOrder(id);
        const t0 = now();
        const p = await ctx.s.desk.place(o, { open_orders: 0, open_algo_orders: 0 });
        const t1 = now();
        must('place', p);
        const t2 = now();
        const c = await ctx.s.desk.cancel(SYMBOL, id);
        const t3 = now();
        must('cancel', c);
        if (p.body.status !== 'NEW' || c.body.status !== 'CANCELED') throw new Error(`ours: ${p.body.status} then ${c.body.status}`);
        return { place: t1 - t0, cancel: t3 - t2 };
      }
      const t0 = now();
      const p = await cx.createOrder(CCXT_SYMBOL, 'limit', 'buy', cxAmount, cxPrice, { clientOrderId: id });
      const t1 = now();
      const c = await cx.cancelOrder(p.id, CCXT_SYMBOL, { clientOrderId: id });
      const t2 = now();
      if (p.status !== 'open' || c.status !== 'canceled') throw new Error(`ccxt: ${p.status} then ${c.status}`);
      return { place: t1 - t0, cancel: t2 - t1 };
    },
  );

  for (const s of stacks) s.rest.close();
  agent.destroy();
  const openLeft = [...sim.exchange.orders.values()].filter((o) => o.status === 'NEW').length;
  await sim.close();
  if (openLeft !== 0) throw new Error(`${openLeft} bench orders left open`);
  return { ccxt_version: ccxt.version, iterations, rounds, price, ops: { test: test.test, place: limit.place, cancel: limit.cancel } };
}

// `node scripts/bench-gateway.mjs`: the figures alone, as JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runGatewayBench(), null, 2));
}
