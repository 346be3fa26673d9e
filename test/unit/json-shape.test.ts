import { describe, expect, it } from 'vitest';
import { Dec } from '@vigil/core';
import { jsonArray, jsonObject } from '@vigil/contracts';

interface Plan {
  readonly symbol: string;
  readonly stop: string | null;
  readonly legs: readonly { readonly id: number; readonly tag?: string }[];
}

describe('jsonObject / jsonArray: typed records as payloads, checked at compile time', () => {
  it('takes interfaces of JSON fields (nested, optional, readonly arrays) and returns the same object', () => {
    const p: Plan = { symbol: 'BTCUSDT', stop: null, legs: [{ id: 1 }, { id: 2, tag: 'tp' }] };
    expect(jsonObject(p)).toBe(p);
    expect(jsonArray(p.legs)).toBe(p.legs);
  });

  it('refuses (does not compile) records holding a Dec, a Date, a Map, a function or a bigint; what a cast let through is lost in JSON', () => {
    // Each @ts-expect-error must be an error, or `npm run typecheck` (part of `npm test`) fails.
    // @ts-expect-error a Dec is an object with methods, not a JSON value
    jsonObject({ qty: new Dec('1.5') });
    // @ts-expect-error a Date has methods
    jsonObject({ at: new Date(0) });
    // @ts-expect-error a Map is not JSON
    jsonObject({ m: new Map<string, number>() });
    // @ts-expect-error a function
    jsonObject({ f: () => 1 });
    // @ts-expect-error a bigint is not JSON
    jsonObject({ n: 1n });
    // @ts-expect-error an array of records holding a Dec
    jsonArray([{ qty: new Dec('1') }]);
    // Why: the audit's JSON silently turns these into something else or drops them.
    expect(JSON.parse(JSON.stringify({ m: new Map([['a', 1]]), f: () => 1 }))).toEqual({ m: {} });
  });
});
