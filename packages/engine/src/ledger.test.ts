import { describe, expect, it } from 'vitest';
import { Ledger, utcDay } from './ledger.js';

const assets = () => ({ base: 'BTC', quote: 'USDT' });
const T = Date.UTC(2026, 10, 25, 12);

describe('ledger', () => {
  it('derives the position net of base commission and realizes P&L net of quote commission', () => {
    const l = new Ledger(assets);
    expect(l.apply({ symbol: 'BTCUSDT', side: 'BUY', price: '100', qty: '1', commission: '0.001', commission_asset: 'BTC', trade_id: 1, ts_ms: T })).toBe(true);
    expect(l.position('BTCUSDT').qty).toBe('0.999');
    expect(l.position('BTCUSDT').cost).toBe('100.00000000');
    // The same trade again (from the user stream, then myTrades) is counted once.
    expect(l.apply({ symbol: 'BTCUSDT', side: 'BUY', price: '100', qty: '1', commission: '0.001', commission_asset: 'BTC', trade_id: 1, ts_ms: T })).toBe(
      false,
    );
    expect(l.unrealized('BTCUSDT', '110').toFixed(8)).toBe('9.89000000');
    l.apply({ symbol: 'BTCUSDT', side: 'SELL', price: '110', qty: '0.999', commission: '0.10989', commission_asset: 'USDT', trade_id: 2, ts_ms: T + 1 });
    const p = l.position('BTCUSDT');
    expect(p.qty).toBe('0');
    // proceeds 109.89 - 0.10989 fee - cost 100 = 9.78011
    expect(p.realized).toBe('9.78011000');
    expect(l.realizedOn(utcDay(T)).toFixed(8)).toBe('9.78011000');
    expect(l.realizedOn('2026-11-24').toFixed()).toBe('0');
  });

  it('restores a remembered position and values exposure at the mark', () => {
    const l = new Ledger(assets);
    l.restore('BTCUSDT', '0.5', '200', T);
    expect(l.exposure('BTCUSDT', '210').toFixed()).toBe('105');
    expect(l.exposure('BTCUSDT', null).toFixed()).toBe('100');
  });
});

describe('Ledger day restore', () => {
  it("counts today's fills on top of the realized P&L restored from before a restart", () => {
    const l = new Ledger(() => ({ base: 'BTC', quote: 'USDT' }));
    const ts = Date.UTC(2026, 11, 5, 10);
    l.restoreDay('2026-12-05', '-40.5');
    expect(l.realizedOn('2026-12-05').toFixed()).toBe('-40.5');
    l.apply({ symbol: 'BTCUSDT', side: 'BUY', price: '100', qty: '1', commission: '0', commission_asset: 'USDT', trade_id: 1, ts_ms: ts });
    l.apply({ symbol: 'BTCUSDT', side: 'SELL', price: '90', qty: '1', commission: '0', commission_asset: 'USDT', trade_id: 2, ts_ms: ts + 1 });
    expect(l.realizedOn('2026-12-05').toFixed()).toBe('-50.5');
    expect(l.realizedOn('2026-12-06').toFixed()).toBe('0');
  });
});
