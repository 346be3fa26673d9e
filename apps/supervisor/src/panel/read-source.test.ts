import { describe, expect, it } from 'vitest';
import type { FillRow } from '@vigil/audit';
import { feesOf } from './read-source.js';

const fill = (o: Partial<FillRow>): FillRow => ({
  seq: 1,
  ts_ms: 0,
  symbol: 'BTCUSDT',
  side: 'BUY',
  price: '64000.10',
  qty: '0.001',
  commission: '0',
  commission_asset: 'USDT',
  client_order_id: null,
  order_intent_id: null,
  ...o,
});

describe('fees of the day', () => {
  it('counts quote commissions as is, base commissions at the fill price, exactly, and lists a third asset apart', () => {
    const f = feesOf('BTCUSDT', [
      fill({ commission: '0.0640001', commission_asset: 'USDT' }),
      fill({ commission: '0.000001', commission_asset: 'BTC', price: '64000.10' }),
      fill({ commission: '0.00012', commission_asset: 'BNB' }),
      fill({ commission: '0.00003', commission_asset: 'BNB' }),
      fill({ commission: null, commission_asset: null }),
    ]);
    // 0.0640001 + 0.000001 x 64000.10 = 0.1280002 (binary floats would not give this exactly)
    expect(f.quote.toFixed()).toBe('0.1280002');
    expect(Object.fromEntries(Object.entries(f.other).map(([k, v]) => [k, v.toFixed()]))).toEqual({ BNB: '0.00015' });
    expect(f.fills).toBe(5);
  });
});
