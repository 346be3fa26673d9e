import { afterEach, describe, expect, it } from 'vitest';
import type { CancelReplace } from '@vigil/contracts';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { SIM_KEY, startVenue } from '../integration/harness.js';
import { gatewayOn } from './gateway-harness.js';

/**
 * The order desk's cancel_replace against apps/exchange-sim over real sockets: one typed outcome
 * per thing the venue can have done, UNKNOWN whenever the answer does not prove it, never resent.
 */
let sim: ExchangeSim | null = null;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await sim?.close();
  sim = null;
});

async function gateway(venue: (s: ExchangeSim) => void = () => undefined) {
  sim = await startVenue();
  venue(sim);
  const g = await gatewayOn(sim, { order_timeout_ms: 600, rest_timeout_ms: 1500 });
  cleanups.push(() => g.rest.close());
  const orders = async (cid: string) =>
    ((await g.admin('GET', '/admin/state')) as { orders: { clientOrderId: string; status: string }[] }).orders.filter((o) => o.clientOrderId === cid);
  return { desk: g.desk, admin: g.admin, orders };
}

const buy = (cid: string, o: Record<string, string> = {}) => ({
  symbol: 'BTCUSDT',
  side: 'BUY' as const,
  type: 'LIMIT' as const,
  client_order_id: cid,
  quantity: '0.001',
  price: '60000.00',
  time_in_force: 'GTC' as const,
  ...o,
});
const replace = (cancel: string, cid: string, o: Record<string, string> = {}, mode: CancelReplace['mode'] = 'STOP_ON_FAILURE'): CancelReplace => ({
  symbol: 'BTCUSDT',
  cancel_client_order_id: cancel,
  mode,
  order: buy(cid, { price: '60100.00', ...o }),
});

describe('gateway cancel_replace against apps/exchange-sim', () => {
  it('both halves succeed: REPLACED with the cancelled order under its own id and the new order', async () => {
    const g = await gateway();
    expect(await g.desk.place(buy('vcr1'))).toMatchObject({ kind: 'OK' });
    const out = await g.desk.cancelReplace(replace('vcr1', 'vcr2'));
    expect(out).toMatchObject({
      kind: 'OK',
      body: {
        result: 'REPLACED',
        cancelled: { client_order_id: 'vcr1', status: 'CANCELED' },
        placed: { client_order_id: 'vcr2', status: 'NEW', price: '60100.00000000' },
      },
    });
    expect(await g.orders('vcr1')).toMatchObject([{ status: 'CANCELED' }]);
    expect(await g.orders('vcr2')).toMatchObject([{ status: 'NEW' }]);
  });

  it('a symbol whose exchangeInfo does not allow cancel-replace: refused locally, nothing sent, the old order untouched', async () => {
    const g = await gateway((s) => (s.exchange.symbols.get('BTCUSDT')!.cancelReplaceAllowed = false));
    expect(await g.desk.place(buy('vcn1'))).toMatchObject({ kind: 'OK' });
    expect(await g.desk.cancelReplace(replace('vcn1', 'vcn2'))).toMatchObject({ kind: 'NOT_SENT', cause: 'LOCAL_VALIDATION' });
    expect(await g.orders('vcn1')).toMatchObject([{ status: 'NEW' }]);
    expect(await g.orders('vcn2')).toEqual([]);
  });

  it('a plain cancel reports the order under its own id, though the venue names the cancel in clientOrderId', async () => {
    const g = await gateway();
    await g.desk.place(buy('vcx1'));
    expect(await g.desk.cancel('BTCUSDT', 'vcx1')).toMatchObject({ kind: 'OK', body: { client_order_id: 'vcx1', status: 'CANCELED' } });
  });

  it('STOP_ON_FAILURE, cancel fails: CANCEL_FAILED with the cancel error; the new order was never created', async () => {
    const g = await gateway();
    const out = await g.desk.cancelReplace(replace('vcrnone', 'vcr3'));
    expect(out).toEqual({ kind: 'OK', body: { result: 'CANCEL_FAILED', cancel_error: { code: -2011, msg: 'Unknown order sent.' } } });
    expect(await g.orders('vcr3')).toEqual([]);
  });

  it('cancel ok, new order fails: NEW_FAILED with the cancelled order and the new error', async () => {
    const g = await gateway();
    await g.admin('POST', '/admin/balance', { apiKey: SIM_KEY.apiKey, asset: 'USDT', free: '100' });
    await g.desk.place(buy('vcr4')); // locks 60 of 100
    const out = await g.desk.cancelReplace(replace('vcr4', 'vcr5', { quantity: '0.0019', price: '60000.00' }));
    expect(out).toMatchObject({
      kind: 'OK',
      body: {
        result: 'NEW_FAILED',
        cancelled: { client_order_id: 'vcr4', status: 'CANCELED' },
        new_error: { code: -2010, msg: 'Account has insufficient balance for requested action.' },
      },
    });
    expect(await g.orders('vcr5')).toEqual([]);
  });

  it('ALLOW_FAILURE: cancel fails and the new order is placed, or both fail', async () => {
    const g = await gateway();
    const placed = await g.desk.cancelReplace(replace('vcrnone', 'vcr6', {}, 'ALLOW_FAILURE'));
    expect(placed).toMatchObject({
      kind: 'OK',
      body: { result: 'CANCEL_FAILED_NEW_PLACED', cancel_error: { code: -2011 }, placed: { client_order_id: 'vcr6', status: 'NEW' } },
    });
    await g.admin('POST', '/admin/balance', { apiKey: SIM_KEY.apiKey, asset: 'USDT', free: '1' });
    const both = await g.desk.cancelReplace(replace('vcrnone', 'vcr7', {}, 'ALLOW_FAILURE'));
    expect(both).toMatchObject({ kind: 'OK', body: { result: 'BOTH_FAILED', cancel_error: { code: -2011 }, new_error: { code: -2010 } } });
  });

  it.each([
    ['http_5xx', { execute: true, status: 503 }, true],
    ['error_1007', { execute: false }, false],
    ['drop_response_after_execute', {}, true],
  ])('%s is UNKNOWN, never REJECTED, and is sent once', async (kind, extra, executed) => {
    const g = await gateway();
    await g.desk.place(buy('vcr8'));
    await g.admin('POST', '/admin/faults', { kind, once: true, route: 'POST /api/v3/order/cancelReplace', ...extra });
    const out = await g.desk.cancelReplace(replace('vcr8', 'vcr9'));
    expect(out.kind).toBe('UNKNOWN');
    expect(await g.orders('vcr9')).toHaveLength(executed ? 1 : 0);
    expect(await g.orders('vcr8')).toMatchObject([{ status: executed ? 'CANCELED' : 'NEW' }]);
    const log = (await g.admin('GET', '/admin/faults/log')) as { log: { kind: string }[] };
    expect(log.log.filter((l) => l.kind === kind)).toHaveLength(1);
  });

  it('a reply slower than the order timeout is UNKNOWN; the venue still executes it once', async () => {
    const g = await gateway();
    await g.desk.place(buy('vcr10'));
    await g.admin('POST', '/admin/faults', { kind: 'latency', once: true, ms: 900, route: 'POST /api/v3/order/cancelReplace' });
    const out = await g.desk.cancelReplace(replace('vcr10', 'vcr11'));
    expect(out.kind).toBe('UNKNOWN');
    const late = async () => (await g.orders('vcr11')).length === 1;
    for (let i = 0; i < 200 && !(await late()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await g.orders('vcr11')).toMatchObject([{ status: 'NEW' }]);
  });

  it('-2021 without the data that says which half failed is UNKNOWN; a plain refusal is REJECTED with nothing changed', async () => {
    const g = await gateway();
    await g.desk.place(buy('vcr12'));
    await g.admin('POST', '/admin/faults', {
      kind: 'reject',
      once: true,
      route: 'POST /api/v3/order/cancelReplace',
      status: 409,
      code: -2021,
      msg: 'Order cancel-replace partially failed.',
    });
    expect((await g.desk.cancelReplace(replace('vcr12', 'vcr13'))).kind).toBe('UNKNOWN');
    await g.admin('POST', '/admin/faults', {
      kind: 'reject',
      once: true,
      route: 'POST /api/v3/order/cancelReplace',
      status: 400,
      code: -1013,
      msg: 'Filter failure: NOTIONAL',
    });
    expect(await g.desk.cancelReplace(replace('vcr12', 'vcr13'))).toEqual({ kind: 'REJECTED', code: -1013, msg: 'Filter failure: NOTIONAL' });
    expect(await g.orders('vcr12')).toMatchObject([{ status: 'NEW' }]);
  });

  it('a new order that breaks the symbol rules is refused locally: NOT_SENT, the old order untouched', async () => {
    const g = await gateway();
    await g.desk.place(buy('vcr14'));
    expect(await g.desk.cancelReplace(replace('vcr14', 'vcr15', { price: '60100.001' }))).toMatchObject({ kind: 'NOT_SENT', cause: 'LOCAL_VALIDATION' });
    expect(await g.desk.cancelReplace({ ...replace('vcr14', 'vcr15'), symbol: 'ETHUSDT' })).toMatchObject({ kind: 'NOT_SENT', cause: 'LOCAL_VALIDATION' });
    expect(await g.orders('vcr14')).toMatchObject([{ status: 'NEW' }]);
    expect(await g.orders('vcr15')).toEqual([]);
  });
});
