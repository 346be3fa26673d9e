import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { strictParse, strictParseBytes } from './strict-json.js';

const DEEP = { maxDepth: 1000 };
/** JSON values whose strings are well-formed UTF-16 (a lone surrogate is refused on purpose, tested below). */
const jsonValue = fc.jsonValue({ maxDepth: 6 });
const wellFormed = (s: string) => !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));

describe('strictParse', () => {
  it('property: for any JSON value v, strictParse(JSON.stringify(v)) deep-equals JSON.parse of the same text', () => {
    fc.assert(
      fc.property(jsonValue, fc.constantFrom(undefined, 0, 2, '\t'), (v, indent) => {
        const s = JSON.stringify(v, null, indent);
        fc.pre(wellFormed(s));
        const r = strictParse(s, DEEP);
        expect(r).toEqual({ ok: true, value: JSON.parse(s) });
      }),
      { numRuns: 2000, seed: 20261205 },
    );
  });

  it('property: duplicating any key of any object, at any depth, is refused', () => {
    /** JSON text of v in which object member number `pick` (in document order) is written twice, the copy with `extra`. */
    const withDuplicate = (v: unknown, pick: number, extra: unknown): { text: string; members: number } => {
      let seen = 0;
      const emit = (x: unknown): string => {
        if (Array.isArray(x)) return `[${x.map(emit).join(',')}]`;
        if (x !== null && typeof x === 'object') {
          const parts: string[] = [];
          for (const [k, y] of Object.entries(x)) {
            if (seen++ === pick) parts.push(`${JSON.stringify(k)}:${JSON.stringify(extra)}`);
            parts.push(`${JSON.stringify(k)}:${emit(y)}`);
          }
          return `{${parts.join(',')}}`;
        }
        return JSON.stringify(x);
      };
      const text = emit(v);
      return { text, members: seen };
    };
    let checked = 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.nat(), fc.jsonValue({ maxDepth: 1 }), (v, pick, extra) => {
        const { members } = withDuplicate(v, -1, null);
        fc.pre(members > 0);
        const { text } = withDuplicate(v, pick % members, extra);
        fc.pre(wellFormed(text));
        const r = strictParse(text, DEEP);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.why).toMatch(/duplicate key/);
        checked++;
      }),
      { numRuns: 1000, seed: 20261206 },
    );
    // Most generated values hold an object; the property must not pass by discarding them all.
    expect(checked).toBeGreaterThan(300);
  });

  it('refuses a duplicated verdict (JSON.parse would keep the last, ALLOW)', () => {
    const s = '{"verdict":"BLOCK","reasons":["AI_SPREAD_WIDE"],"verdict":"ALLOW"}';
    expect((JSON.parse(s) as { verdict: string }).verdict).toBe('ALLOW');
    expect(strictParse(s)).toMatchObject({ ok: false, why: 'duplicate key "verdict"' });
  });

  it('refuses a duplicated key nested three deep', () => {
    expect(strictParse('{"a":[{"b":{"c":1,"c":2}}]}')).toMatchObject({ ok: false, why: 'duplicate key "c"' });
  });

  it.each([
    ['trailing data', '{"a":1} {"a":2}', /trailing data/],
    ['trailing comma', '{"a":1,}', /expected a key/],
    ['a byte order mark', '\ufeff{"a":1}', /byte order mark/],
    ['NaN', '{"a":NaN}', /unexpected character/],
    ['Infinity', '[Infinity]', /unexpected character/],
    ['-Infinity', '[-Infinity]', /unexpected character/],
    ['a number that overflows to Infinity', '{"a":1e999}', /not finite/],
    ['a lone high surrogate', '"\\ud800"', /unpaired surrogate/],
    ['a lone low surrogate', '["\\udc00x"]', /unpaired surrogate/],
    ['a raw control character', '"a\u0001b"', /control character/],
    ['a leading zero', '[01]', /expected ','/],
    ['a single-quoted string', "{'a':1}", /expected a key/],
    ['a comment', '{"a":1 /* x */}', /expected ','/],
    ['nothing', '', /unexpected end/],
    ['only whitespace', '   ', /unexpected end/],
    ['a bad escape', '"\\x41"', /bad escape/],
  ])('refuses %s', (_what, s, why) => {
    const r = strictParse(s);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.why).toMatch(why);
  });

  it('refuses nesting deeper than maxDepth and accepts exactly maxDepth', () => {
    expect(strictParse(`${'['.repeat(8)}${']'.repeat(8)}`, { maxDepth: 8 }).ok).toBe(true);
    expect(strictParse(`${'['.repeat(9)}${']'.repeat(9)}`, { maxDepth: 8 })).toMatchObject({ ok: false, why: 'nesting deeper than 8' });
    expect(strictParse(`{"a":{"b":{"c":[1]}}}`, { maxDepth: 3 })).toMatchObject({ ok: false });
  });

  it('never throws, whatever the depth asked for: a million brackets are a refusal, not a stack overflow', () => {
    expect(strictParse('['.repeat(1_000_000), { maxDepth: 1e9 })).toMatchObject({ ok: false, why: 'nesting deeper than 1000' });
  });

  it('reads "__proto__" as an own key, as JSON.parse does, without touching the prototype', () => {
    const r = strictParse('{"__proto__":{"polluted":true}}');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('property: any string is either refused or read exactly as JSON.parse reads it (never throws)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        ),
        (s) => {
          const r = strictParse(s, DEEP);
          if (r.ok) expect(r.value).toEqual(JSON.parse(s));
        },
      ),
      { numRuns: 3000, seed: 20261207 },
    );
  });
});

describe('strictParseBytes', () => {
  it('refuses bytes that are not UTF-8 and a UTF-8 BOM', () => {
    expect(strictParseBytes(new Uint8Array([0x22, 0xff, 0x22]))).toMatchObject({ ok: false, why: 'not UTF-8' });
    expect(strictParseBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toMatchObject({ ok: false, why: 'byte order mark' });
    expect(strictParseBytes(new TextEncoder().encode('{"a":"é"}'))).toEqual({ ok: true, value: { a: 'é' } });
  });
});
