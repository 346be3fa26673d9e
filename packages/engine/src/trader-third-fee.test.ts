import { describe, expect, it } from 'vitest';
import { clientOrderIdFor, type EventEnvelope } from '@vigil/contracts';
import { BTCUSDT_PRICE_LOT_RULES } from '@vigil/core';
import { parseConfig } from '@vigil/runtime';
import { ChurnCounter } from './churn.js';
import { IntentBook, type Intent } from './intents.js';
import { Ledger } from './ledger.js';
import { Trader } from './trader.js';
import type { VenueCall } from './venue.js';

/**
 * Commissions paid in BNB (an account with "pay fees with BNB" on) were counted as zero: every fee
 * left out of realized P&L and the daily loss limit. They are valued at BNB's bid in the quote.
 */
function setup(o: { bnbQuote: string | null; ticker: 'OK' | 'REJECTED' | 'UNKNOWN' }) {
  const r = parseConfig({});
  if (!r.ok) throw new Error('config');
  const events: [string, Record<string, unknown>][] = [];
  const ledger = new Ledger((s) => (s === 'BTCUSDT' ? { base: 'BTC', quote: 'USDT' } : null));
  const intents = new IntentBook({ now: () => 0, make: () => ({}) as EventEnvelope, commit: async () => undefined, record: () => undefined });
  const call = (async (type: string) => {
    if (type === 'book_ticker')
      return o.ticker === 'OK'
        ? { kind: 'OK', body: { symbol: 'BNBUSDT', bid: '600', ask: '600.1', recv_ts_ms: 0 } }
        : o.ticker === 'REJECTED'
          ? { kind: 'REJECTED', code: -1121, msg: 'Invalid symbol.', http_status: 400 }
          : { kind: 'UNKNOWN', reason: 'timeout' };
    if (type === 'my_trades') return { kind: 'OK', body: [] };
    throw new Error(`unexpected ${type}`);
  }) as unknown as VenueCall;
  const t = new Trader({
    cfg: r.config.engine,
    now: () => Date.UTC(2026, 11, 7, 12),
    call: () => call,
    intents,
    ledger,
    churn: new ChurnCounter(() => 0),
    rules: (s) => (s === 'BTCUSDT' ? BTCUSDT_PRICE_LOT_RULES : null),
    quote: (s) => (s === 'BNBUSDT' && o.bnbQuote !== null ? { bid: o.bnbQuote, ask: o.bnbQuote } : null),
    event: (type, payload) => void events.push([type, payload as Record<string, unknown>]),
    reason: () => undefined,
    orderTimeoutMs: 1000,
  });
  const entry: Intent = {
    id: 'oi_1',
    kind: 'ENTRY',
    symbol: 'BTCUSDT',
    side: 'BUY',
    client_order_id: clientOrderIdFor('oi_1', 'entry'),
    corr: {},
    state: 'CONFIRMED',
    created_ms: 0,
    state_ms: 0,
    unknown_since: null,
    not_found_answers: 0,
    last_query_ms: 0,
    detail: {},
  };
  const fill = (): void =>
    (t as unknown as { fill(f: unknown, i: Intent, coid: string): void }).fill(
      {
        symbol: 'BTCUSDT',
        side: 'BUY',
        price: '64000',
        qty: '0.001',
        commission: '0.0001',
        commission_asset: 'BNB',
        trade_id: 1,
        ts_ms: Date.UTC(2026, 11, 7, 12),
      },
      entry,
      entry.client_order_id,
    );
  const pass = (): Promise<void> => (t as unknown as { valuePendingFees(): Promise<void> }).valuePendingFees();
  return { t, ledger, events, fill, pass };
}

describe('fees paid in a third asset', () => {
  it('are valued at once at the traded BNBUSDT bid: a fee and a realized loss on the day', () => {
    const x = setup({ bnbQuote: '600', ticker: 'UNKNOWN' });
    x.fill();
    // 0.0001 BNB x 600 = 0.06 USDT.
    expect(x.ledger.position('BTCUSDT')).toMatchObject({ qty: '0.001', fees_quote: '0.06000000', realized: '-0.06000000' });
    expect(x.ledger.realizedOn('2026-12-07').toFixed()).toBe('-0.06');
  });

  it('without a quote are valued over REST at the next pass, kept while the venue does not answer', async () => {
    const x = setup({ bnbQuote: null, ticker: 'UNKNOWN' });
    x.fill();
    expect(x.ledger.position('BTCUSDT').fees_quote).toBe('0.00000000');
    await x.pass();
    expect(x.ledger.position('BTCUSDT').fees_quote).toBe('0.00000000');
    const ok = setup({ bnbQuote: null, ticker: 'OK' });
    ok.fill();
    await ok.pass();
    expect(ok.ledger.position('BTCUSDT')).toMatchObject({ fees_quote: '0.06000000', realized: '-0.06000000' });
  });

  it('a fee asset with no market in the quote is reported in an alert and left out', async () => {
    const x = setup({ bnbQuote: null, ticker: 'REJECTED' });
    x.fill();
    await x.pass();
    expect(x.events.find(([type]) => type === 'ALERT_RAISED')?.[1]['detail']).toMatch(/cannot be valued in USDT/);
    expect(x.ledger.position('BTCUSDT').fees_quote).toBe('0.00000000');
  });
});
