import { createHmac } from 'node:crypto';
import http from 'node:http';
import WebSocket from 'ws';
import { createExchangeSim } from './sim.js';

export interface SimBenchResult {
  readonly rest_requests_per_s: number;
  readonly signed_orders_per_s: number;
  readonly ws_messages_per_s: number;
}

/**
 * How much the simulator sustains on this machine, over real sockets, so benchmarks of the bot
 * can show it is not their bottleneck. Medians of three rounds each.
 */
export async function runSimBench(opts: { durationMs?: number; concurrency?: number } = {}): Promise<SimBenchResult> {
  const duration = opts.durationMs ?? 1500;
  const conc = opts.concurrency ?? 16;
  const key = {
    apiKey: 'benchsimkey00000000000000000000001',
    secretKey: 'benchsimsecret000000000000000000001',
    canTrade: true,
    enableWithdrawals: false,
    ipRestrict: false,
  };
  const sim = await createExchangeSim({ keys: [key], seed: 5, tickMs: 1 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
  const get = (path: string, method = 'GET', headers: Record<string, string> = {}): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${sim.rest}${path}`, { method, agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  const rate = async (one: () => Promise<number>): Promise<number> => {
    let n = 0;
    const end = Date.now() + duration;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: conc }, async () => {
        while (Date.now() < end) {
          await one();
          n++;
        }
      }),
    );
    return n / ((performance.now() - t0) / 1000);
  };
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rounds = (f: () => Promise<number>) => (async () => [await f(), await f(), await f()])();
  // Every answer counts, 429s included: the point is the venue's own throughput, not admission.
  const rest = med(await rounds(() => rate(() => get('/api/v3/ping'))));
  const order = () => {
    const q = new URLSearchParams({
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.001',
      price: '60000',
      timestamp: String(Date.now()),
    }).toString();
    const sig = createHmac('sha256', key.secretKey).update(q).digest('hex');
    return get(`/api/v3/order/test?${q}&signature=${sig}`, 'POST', { 'X-MBX-APIKEY': key.apiKey });
  };
  const signed = med(await rounds(() => rate(order)));
  const ws = new WebSocket(`${sim.ws}/stream?streams=btcusdt@bookTicker/ethusdt@bookTicker/bnbusdt@bookTicker`);
  await new Promise((r) => ws.once('open', r));
  const wsRates: number[] = [];
  for (let i = 0; i < 3; i++) {
    let n = 0;
    const on = (): void => void n++;
    ws.on('message', on);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, duration));
    ws.off('message', on);
    wsRates.push(n / ((performance.now() - t0) / 1000));
  }
  ws.terminate();
  agent.destroy();
  await sim.close();
  return { rest_requests_per_s: rest, signed_orders_per_s: signed, ws_messages_per_s: med(wsRates) };
}
