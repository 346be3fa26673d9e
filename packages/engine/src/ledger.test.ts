import { describe, expect, it } from 'vitest';
import { DAILY_DAYS_KEPT, Ledger, SEEN_PER_SYMBOL, utcDay } from './ledger.js';

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

describe('Ledger memory stays bounded over months of fills', () => {
  const fill = (id: number, side: 'BUY' | 'SELL', ts = T) =>
    ({ symbol: 'BTCUSDT', side, price: '100', qty: '0.001', commission: '0', commission_asset: 'USDT', trade_id: id, ts_ms: ts }) as const;

  it('remembers at most SEEN_PER_SYMBOL trade ids per symbol, and a trade id at or below the oldest forgotten one still counts as seen', () => {
    const l = new Ledger(assets);
    const n = SEEN_PER_SYMBOL + 5_000;
    for (let id = 1; id <= n; id++) expect(l.apply(fill(id, id % 2 ? 'BUY' : 'SELL'))).toBe(true);
    expect(l.rememberedTrades()).toBe(SEEN_PER_SYMBOL);
    // Forgotten (ids 1..5000) and still remembered ones alike are never counted twice.
    expect(l.apply(fill(1, 'BUY'))).toBe(false);
    expect(l.apply(fill(5_000, 'BUY'))).toBe(false);
    expect(l.apply(fill(n, 'BUY'))).toBe(false);
    expect(l.isCounted('BTCUSDT', 4_999)).toBe(true);
    expect(l.isCounted('BTCUSDT', n + 1)).toBe(false);
    expect(l.apply(fill(n + 1, 'BUY'))).toBe(true);
    expect(l.rememberedTrades()).toBe(SEEN_PER_SYMBOL);
  });

  it('keeps realized P&L for the last DAILY_DAYS_KEPT UTC days only, today included', () => {
    const l = new Ledger(assets);
    for (let d = 0; d < 40; d++) {
      l.apply(fill(2 * d + 1, 'BUY', T + d * 86_400_000));
      l.apply({ ...fill(2 * d + 2, 'SELL', T + d * 86_400_000 + 1), price: '101' });
    }
    expect(l.daysKept()).toBe(DAILY_DAYS_KEPT);
    expect(l.realizedOn(utcDay(T + 39 * 86_400_000)).toFixed(8)).toBe('0.00100000');
    expect(l.realizedOn(utcDay(T)).toFixed()).toBe('0');
  });
});
