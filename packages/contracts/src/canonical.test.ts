import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, decisionIdOf, hashCanonical, snapshotCanonical, snapshotHash } from './canonical.js';
import { CLIENT_ORDER_ID_RE, clientOrderIdFor, isOwnClientOrderId, listIdOfLeg, listLegId, newId, ORDER_LEGS, orderRole, type OrderLeg } from './ids.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });
  it('equals an independent model (keys sorted by code unit, undefined members dropped, undefined in arrays as null) for any JSON-like value, keys of any length and content included', () => {
    // Written as text: a rebuilt object would list integer-like keys first, whatever their sort.
    const model = (v: unknown): string => {
      if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : model(x))).join(',')}]`;
      if (v !== null && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        const keys = Object.keys(o)
          .filter((k) => o[k] !== undefined)
          .sort();
        return `{${keys.map((k) => `${JSON.stringify(k)}:${model(o[k])}`).join(',')}}`;
      }
      return JSON.stringify(v);
    };
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constant(null),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.string({ unit: 'grapheme-composite' }),
        fc.string({ unit: 'binary' }),
        fc.array(fc.oneof(tie('node'), fc.constant(undefined)), { maxLength: 5 }),
        fc.dictionary(fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 80 })), fc.oneof(tie('node'), fc.constant(undefined)), { maxKeys: 6 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(model(v));
      }),
      { numRuns: 3000 },
    );
  });
  it('snapshotCanonical equals canonicalJson for any snapshot body, reused bar times with changed prices, other shapes and junk included', () => {
    const num = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(0, -0, 1e21, 5e-7, 64000.01));
    // Few distinct start times, so that bars are often looked up again with other prices.
    const bar = fc.record({ start_ms: fc.constantFrom(0, 60_000, 120_000, 1_796_626_403_000), open: num, high: num, low: num, close: num });
    const odd = fc.oneof(
      fc.record({ start_ms: fc.constant(60_000), open: num, high: num, low: num, close: fc.string() }),
      fc.record({ start_ms: fc.constant(60_000), open: num, high: num, low: num, close: num, extra: num }),
      fc.record({ start_ms: fc.constant(60_000), open: num, high: num, low: num }),
      fc.constant(null),
      fc.jsonValue(),
    );
    const body = fc.record({
      ask: fc.oneof(fc.string(), fc.constant('64000.01000000')),
      bid: fc.string(),
      symbol: fc.string(),
      quote_age_ms: num,
      ts_ms: num,
      bars: fc.array(fc.oneof({ weight: 9, arbitrary: bar }, { weight: 1, arbitrary: odd }), { maxLength: 8 }),
    });
    const other = fc.oneof(
      body.map((b) => ({ ...b, extra: 1 })),
      fc.jsonValue(),
      body.map(({ bars: _b, ...rest }) => rest),
    );
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 4, arbitrary: body }, { weight: 1, arbitrary: other }), { minLength: 1, maxLength: 6 }), (bodies) => {
        for (const b of bodies) expect(snapshotCanonical(b)).toBe(canonicalJson(b));
      }),
      { numRuns: 2000 },
    );
    const b = { ask: '2', bid: '1', symbol: 'BTCUSDT', quote_age_ms: 3, ts_ms: 4, bars: [{ start_ms: 0, open: 1, high: 2, low: 0.5, close: 1.5 }] };
    expect(snapshotHash(b)).toBe(hashCanonical(b));
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
  it('orderRole reads every leg back from its clientOrderId, an OCO leg id included, and nothing from a foreign or probe id', () => {
    for (const leg of Object.keys(ORDER_LEGS) as OrderLeg[]) expect(orderRole(clientOrderIdFor('oi_7', leg))).toBe(leg);
    // An OCO leg: the list's digest with the leg's own letter (listLegId).
    const list = clientOrderIdFor('oi_7', 'list');
    expect(orderRole(`vgs${list.slice(3)}`)).toBe('stop');
    expect(orderRole(`vgt${list.slice(3)}`)).toBe('take_profit');
    expect(orderRole(listLegId(list, 'stop'))).toBe('stop');
    expect(orderRole(listLegId(list, 'take_profit'))).toBe('take_profit');
    for (const other of ['vgtest', 'vgeX', 'web_123', `vgx${list.slice(3)}`, `${list}a`, list.slice(0, 35), `vgl${list.slice(3, 35)}1`])
      expect(orderRole(other)).toBeNull();
  });
  it('the codec: listLegId and listIdOfLeg are inverse for both legs of a list; listIdOfLeg is null for any id that is not an OCO leg; isOwnClientOrderId is the prefix test, probes included', () => {
    for (const n of ['oi_1', 'oi_2', 'oi_x']) {
      const list = clientOrderIdFor(n, 'list');
      for (const leg of ['stop', 'take_profit'] as const) {
        const id = listLegId(list, leg);
        expect(id).toMatch(CLIENT_ORDER_ID_RE);
        expect(listIdOfLeg(id)).toBe(list);
      }
      for (const leg of ['entry', 'list', 'close', 'trailing'] as const) expect(listIdOfLeg(clientOrderIdFor(n, leg))).toBeNull();
    }
    for (const other of ['vgtest', 'vgsX', 'web_123', 'x-vgs']) expect(listIdOfLeg(other)).toBeNull();
    expect(['vgtest', clientOrderIdFor('oi_1', 'entry')].every(isOwnClientOrderId)).toBe(true);
    expect(['web_123', 'x-vg1', 'VGe1', ''].some(isOwnClientOrderId)).toBe(false);
  });
  it('ids sort by creation time', () => {
    const x = newId('evt', 1000);
    const y = newId('evt', 2000);
    expect([y, x].sort()).toEqual([x, y]);
  });
});
