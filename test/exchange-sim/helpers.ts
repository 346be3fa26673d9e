import { createHmac } from 'node:crypto';
import { createExchangeSim, type ExchangeSim } from '../../apps/exchange-sim/src/index.js';

export const KEY = {
  apiKey: 'simtestkey0000000000000000000001',
  secretKey: 'simtestsecret00000000000000000001',
  canTrade: true,
  enableWithdrawals: false,
  ipRestrict: true,
};

export async function startSim(o: { stateFile?: string; seed?: number } = {}): Promise<ExchangeSim> {
  return createExchangeSim({ keys: [{ ...KEY }], seed: o.seed ?? 7, stateFile: o.stateFile ?? null, tickMs: 60_000 });
}

/** An ordinary signed request, as any Binance client would build it. */
export async function signed(
  sim: ExchangeSim,
  method: string,
  path: string,
  params: Record<string, string>,
  opts: { ts?: number; secret?: string; key?: string } = {},
) {
  const q = new URLSearchParams({ ...params, timestamp: String(opts.ts ?? Date.now()), recvWindow: '5000' }).toString();
  const sig = createHmac('sha256', opts.secret ?? KEY.secretKey)
    .update(q)
    .digest('hex');
  const res = await fetch(`${sim.rest}${path}?${q}&signature=${sig}`, { method, headers: { 'X-MBX-APIKEY': opts.key ?? KEY.apiKey } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* HTML error pages stay text */
  }
  return { status: res.status, body: body as Record<string, unknown>, headers: res.headers };
}

export async function admin(sim: ExchangeSim, method: string, path: string, body?: unknown) {
  const res = await fetch(`${sim.admin}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return (await res.json()) as Record<string, unknown>;
}

/** Polls until `fn` gives a truthy value (no timing asserted: a failure is a missing value). */
export async function until<T>(what: string, fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A WebSocket-API user data stream subscription, as a Binance client makes it; events collected. */
export async function userStream(sim: ExchangeSim): Promise<{ events: Record<string, unknown>[]; close: () => void }> {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(`${sim.ws}/ws-api/v3`);
  const events: Record<string, unknown>[] = [];
  await new Promise((r) => ws.once('open', r));
  const subscribed = new Promise((r) => ws.once('message', r));
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { event?: Record<string, unknown> };
    if (m.event) events.push(m.event);
  });
  const params: Record<string, string | number> = { apiKey: KEY.apiKey, timestamp: Date.now(), recvWindow: 5000 };
  const payload = Object.keys(params)
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join('&');
  ws.send(
    JSON.stringify({
      id: 1,
      method: 'userDataStream.subscribe.signature',
      params: { ...params, signature: createHmac('sha256', KEY.secretKey).update(payload).digest('hex') },
    }),
  );
  await subscribed;
  return { events, close: () => ws.close() };
}
