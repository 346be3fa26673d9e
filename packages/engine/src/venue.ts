import type { EngineRequests, VenueOutcome } from '@vigil/contracts';

/**
 * The engine's view of the gateway: typed requests over the market channel. A channel failure
 * (gateway gone, request timeout) on a call that may have changed something at the venue is
 * UNKNOWN, never a failure: the request may have left before the gateway died.
 */
export type VenueCall = <K extends keyof EngineRequests & string>(
  type: K,
  input: EngineRequests[K]['input'],
  timeoutMs?: number,
) => Promise<EngineRequests[K]['output']>;

const CHANGING = new Set(['place_order', 'cancel_order', 'cancel_replace', 'place_oco', 'cancel_order_list']);

export async function venue<
  K extends
    | 'place_order'
    | 'cancel_order'
    | 'cancel_replace'
    | 'query_order'
    | 'open_orders'
    | 'account'
    | 'test_order'
    | 'place_oco'
    | 'cancel_order_list'
    | 'query_order_list'
    | 'open_order_lists'
    | 'my_trades'
    | 'book_ticker',
>(call: VenueCall | null, type: K, input: EngineRequests[K]['input'], timeoutMs?: number): Promise<EngineRequests[K]['output']> {
  const failed = (why: string): VenueOutcome<never> =>
    CHANGING.has(type) ? { kind: 'UNKNOWN', reason: `channel: ${why}` } : { kind: 'NOT_SENT', cause: 'CHANNEL', wait_ms: null, detail: why };
  if (!call) return failed('no gateway attached') as EngineRequests[K]['output'];
  try {
    return await call(type, input, timeoutMs);
  } catch (e) {
    return failed((e as Error).message) as EngineRequests[K]['output'];
  }
}
