import { describe, expect, it } from 'vitest';
import { canonicalJson, decisionIdOf, hashCanonical } from './canonical.js';
import { CLIENT_ORDER_ID_RE, clientOrderIdFor, newId } from './ids.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });
  it('hashes equal values equally whatever the key order', () => {
    expect(hashCanonical({ x: '1.10', y: [1, 2] })).toBe(hashCanonical({ y: [1, 2], x: '1.10' }));
    expect(hashCanonical({ x: '1.10' })).not.toBe(hashCanonical({ x: '1.1' }));
  });
  it('refuses values JSON cannot carry faithfully', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson({ x: 1n })).toThrow(/unsupported/);
  });
  it('decision ids are stable and prefixed', () => {
    expect(decisionIdOf({ symbol: 'BTCUSDT', qty: '0.01' })).toMatch(/^dec_[0-9a-f]{32}$/);
    expect(decisionIdOf({ qty: '0.01', symbol: 'BTCUSDT' })).toBe(decisionIdOf({ symbol: 'BTCUSDT', qty: '0.01' }));
  });
});

describe('ids', () => {
  it('clientOrderIds match Binance pattern, are deterministic and differ by leg and intent', () => {
    const a = clientOrderIdFor('oi_1', 'entry');
    expect(a).toMatch(CLIENT_ORDER_ID_RE);
    expect(a).toHaveLength(36);
    expect(clientOrderIdFor('oi_1', 'entry')).toBe(a);
    expect(clientOrderIdFor('oi_1', 'stop')).not.toBe(a);
    expect(clientOrderIdFor('oi_2', 'entry')).not.toBe(a);
  });
  it('ids sort by creation time', () => {
    const x = newId('evt', 1000);
    const y = newId('evt', 2000);
    expect([y, x].sort()).toEqual([x, y]);
  });
});
