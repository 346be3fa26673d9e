import { createHmac } from 'node:crypto';
import { createExchangeSim, type ExchangeSim } from '../../apps/exchange-sim/src/index.js';

export const KEY = { apiKey: 'simtestkey0000000000000000000001', secretKey: 'simtestsecret00000000000000000001', canTrade: true, enableWithdrawals: false, ipRestrict: true };

export async function startSim(o: { stateFile?: string; seed?: number } = {}): Promise<ExchangeSim> {
  return createExchangeSim({ keys: [{ ...KEY }], seed: o.seed ?? 7, stateFile: o.stateFile ?? null, tickMs: 60_000 });
}

/** An ordinary signed request, as any Binance client would build it. */
export async function signed(sim: ExchangeSim, method: string, path: string, params: Record<string, string>, opts: { ts?: number; secret?: string; key?: string } = {}) {
  const q = new URLSearchParams({ ...params, timestamp: String(opts.ts ?? Date.now()), recvWindow: '5000' }).toString();
  const sig = createHmac('sha256', opts.secret ?? KEY.secretKey).update(q).digest('hex');
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
