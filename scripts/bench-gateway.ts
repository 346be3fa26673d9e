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
import type { NewOrder } from '@vigil/contracts';

type Client = 'raw' | 'ours' | 'ccxt';
/** A request signed before its round: the raw client only sends it. */
interface Presigned {
  readonly method: string;
  readonly apiKey: string;
  readonly path: string;
}
/** The client-side cost over the raw floor, in ms. */
interface Overhead {
  readonly p50: number;
  readonly p99: number;
}
interface OpFigures {
  readonly raw_p50_ms: number;
  readonly raw_p99_ms: number;
  readonly ours: Overhead;
  readonly ccxt: Overhead;
  readonly n: number;
}
/** The i-th prepared item of a round; a missing one is a bug in this bench, not a figure. */
const nth = <T>(xs: readonly T[] | undefined, i: number): T => {
  const x = xs?.[i];
  if (x === undefined) throw new Error(`bench-gateway: no prepared item ${i}`);
  return x;
};

const SYMBOL = 'BTCUSDT';
const CCXT_SYMBOL = 'BTC/USDT';
const QTY = '0.00100';
const PRICE_FACTOR = 0.5; // a BUY at half the market: never fills, inside PERCENT_PRICE_BY_SIDE (0.2x..5x)

const pct = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const med = (xs: readonly number[]): number => pct(xs, 50);

export async function runGatewayBench(opts: { iterations?: number; roundSize?: number; warmup?: number } = {}) {
  const iterations = opts.iterations ?? 300;
  const roundSize = opts.roundSize ?? 30;
  const warmup = opts.warmup ?? 30;
  const rounds = Math.ceil(iterations / roundSize);
  const [{ default: ccxt }, { createExchangeSim }, gw, { parseConfig }] = await Promise.all([
    import('ccxt'),
    import('@vigil/exchange-sim'),
    import('@vigil/gateway'),
    import('@vigil/runtime'),
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
  type Key = (typeof keys)[number];
  const keyAt = (i: number): Key => nth(keys, i);
  const adminPost = async (path: string, body: unknown): Promise<unknown> => {
    const r = await fetch(`${sim.admin}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`admin ${path}: ${r.status}`);
    return r.json();
  };
  // A still market: the far-away limit price stays valid and nothing matches during the run.
  await adminPost('/admin/market', { paused: true });
  const last = (await (await fetch(`${sim.rest}/api/v3/ticker/price?symbol=${SYMBOL}`)).json()) as { price: string };
  const price = (Math.floor(Number(last.price) * PRICE_FACTOR * 100) / 100).toFixed(2);

  const cfg = (() => {
    const r = parseConfig({ exchange: { rest_base_url: sim.rest, symbols: [SYMBOL] } });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.config.exchange;
  })();

  // ---- ours: the gateway stack as gateway.ts wires it ------------------------------------------
  const ourStack = async (key: Key) => {
    const clock = gw.createClockEstimator({ driftMaxMs: cfg.clock_drift_max_ms_live });
    const governor = gw.createRateGovernor([]);
    const calls: Record<string, unknown>[] = [];
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
    const reasons = new Map<string, unknown>();
    const reason = (code: string, on: boolean, detail?: unknown): void => void (on ? reasons.set(code, detail) : reasons.delete(code));
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
  const ourOrder = (cid: string): NewOrder => ({
    symbol: SYMBOL,
    side: 'BUY',
    type: 'LIMIT',
    client_order_id: cid,
    quantity: QTY,
    price,
    time_in_force: 'GTC',
  });
  const must = <T extends { kind: string }>(what: string, out: T): Extract<T, { kind: 'OK' }> => {
    if (out.kind !== 'OK') throw new Error(`ours ${what}: ${JSON.stringify(out)}`);
    return out as Extract<T, { kind: 'OK' }>;
  };

  // ---- ccxt ------------------------------------------------------------------------------------
  const cx = new ccxt.binance({
    apiKey: keyAt(1).apiKey,
    secret: keyAt(1).secretKey,
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
  const cxUse = (key: Key): void => {
    cx.apiKey = key.apiKey;
    cx.secret = key.secretKey;
  };
  const cxAmount = Number(QTY);
  const cxPrice = Number(price);

  // ---- raw -------------------------------------------------------------------------------------
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const rawSend = (r: Presigned) =>
    new Promise<Buffer[]>((resolve, reject) => {
      const req = http.request(
        { host: base.hostname, port: base.port, method: r.method, path: r.path, agent, headers: { 'x-mbx-apikey': r.apiKey } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
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
  const presign = (key: Key, method: string, path: string, params: Record<string, string>): Presigned => {
    const q = new URLSearchParams({ ...params, recvWindow: String(cfg.time_sync_recv_window_ms), timestamp: String(Date.now()) }).toString();
    return { method, apiKey: key.apiKey, path: `${path}?${q}&signature=${createHmac('sha256', key.secretKey).update(q).digest('hex')}` };
  };
  const rawOrderParams = (cid: string): Record<string, string> => ({
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
  const cid = (tag: string): string => `gwb${tag}${(seq++).toString(36)}`;

  /**
   * One op measured for the three clients in alternating rounds. `prepare(client, key, n)` runs
   * before the timed part of a round (fresh stacks, pre-signing); `once(client, ctx, i)` is one
   * measured call and returns the samples it took (ms) by label.
   */
  const measure = async <L extends string, C extends { done?: () => unknown }>(
    labels: readonly L[],
    keyFor: (r: number, client: Client) => Key,
    prepare: (client: Client, key: Key, n: number) => Promise<C>,
    once: (client: Client, ctx: C, i: number) => Promise<Record<L, number>>,
  ): Promise<Record<L, OpFigures>> => {
    const perLabel = <T>(): Record<L, T[]> => Object.fromEntries(labels.map((l) => [l, []])) as unknown as Record<L, T[]>;
    const perClient = <T>(): Record<Client, Record<L, T[]>> => ({ raw: perLabel<T>(), ours: perLabel<T>(), ccxt: perLabel<T>() });
    const samples = perClient<number>();
    const samplesRound = perClient<[number, number]>();
    const perRound = perClient<number>();
    const order: Client[] = ['raw', 'ours', 'ccxt'];
    for (let r = 0; r < rounds; r++) {
      const n = Math.min(roundSize, iterations - r * roundSize);
      // Rotate who goes first so that no client always follows the same one.
      const turn = [...order.slice(r % 3), ...order.slice(0, r % 3)];
      for (const client of turn) {
        const ctx = await prepare(client, keyFor(r, client), n);
        const got = perLabel<number>();
        for (let i = 0; i < n; i++) {
          const s = await once(client, ctx, i);
          for (const l of labels) got[l].push(s[l]);
        }
        await ctx.done?.();
        for (const l of labels) {
          samples[client][l].push(...got[l]);
          samplesRound[client][l].push(...got[l].map((x): [number, number] => [x, r]));
          perRound[client][l].push(med(got[l]));
        }
      }
    }
    const out = {} as Record<L, OpFigures>;
    for (const l of labels) {
      // Each sample less the floor of its own round (the raw client's median there): a noisy raw
      // sample cannot then make another client look faster.
      const floor = (r: number): number => perRound.raw[l][r] ?? NaN;
      const over = (c: Client): Overhead => ({
        p50: med(perRound[c][l].map((x, i) => x - floor(i))),
        p99: pct(
          samplesRound[c][l].map(([x, r]) => x - floor(r)),
          99,
        ),
      });
      out[l] = { raw_p50_ms: med(perRound.raw[l]), raw_p99_ms: pct(samples.raw[l], 99), ours: over('ours'), ccxt: over('ccxt'), n: samples.raw[l].length };
    }
    return out;
  };

  const clientIndex = { raw: 0, ours: 1, ccxt: 2 };
  const stacks: Awaited<ReturnType<typeof ourStack>>[] = [];

  // ---- warm-up: JIT and connections for all three, not timed -----------------------------------
  {
    const warm = { raw: keyAt(0), ours: keyAt(1), ccxt: keyAt(2) };
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
  const testKeys: Record<Client, Key> = { raw: keyAt(3), ours: keyAt(4), ccxt: keyAt(5) };
  const oursForTest = await ourStack(testKeys.ours);
  stacks.push(oursForTest);
  type TestCtx = { key: Key; reqs?: Presigned[]; done?: () => void };
  const test = await measure<'test', TestCtx>(
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
        await rawSend(nth(ctx.reqs, i));
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
  const orderKey = (r: number, client: Client): Key => keyAt(3 * (r + 2) + clientIndex[client]);
  type LimitCtx = { key: Key; ids: string[]; places?: Presigned[]; cancels?: Presigned[]; s?: Awaited<ReturnType<typeof ourStack>>; done?: () => void };
  const limit = await measure<'place' | 'cancel', LimitCtx>(
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
      const id = nth(ctx.ids, i);
      if (client === 'raw') {
        const t0 = now();
        await rawSend(nth(ctx.places, i));
        const t1 = now();
        await rawSend(nth(ctx.cancels, i));
        return { place: t1 - t0, cancel: now() - t1 };
      }
      if (client === 'ours' && ctx.s) {
        const o = ourOrder(id);
        const t0 = now();
        const placed = await ctx.s.desk.place(o, { open_orders: 0, open_algo_orders: 0 });
        const t1 = now();
        const p = must('place', placed);
        const t2 = now();
        const canceled = await ctx.s.desk.cancel(SYMBOL, id);
        const t3 = now();
        const c = must('cancel', canceled);
        if (p.body.status !== 'NEW' || c.body.status !== 'CANCELED') throw new Error(`ours: ${p.body.status} then ${c.body.status}`);
        return { place: t1 - t0, cancel: t3 - t2 };
      }
      const t0 = now();
      const p = await cx.createOrder(CCXT_SYMBOL, 'limit', 'buy', cxAmount, cxPrice, { clientOrderId: id });
      const t1 = now();
      if (p.id === undefined) throw new Error('ccxt: an order without an id');
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

// `node --import tsx scripts/bench-gateway.ts`: the figures alone, as JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runGatewayBench(), null, 2));
}
