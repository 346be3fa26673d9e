/**
 * A strict JSON reader for untrusted replies (the AI gate's): it accepts exactly RFC 8259 JSON that
 * has one reading, and refuses, as a value (it never throws), what JSON.parse accepts by picking a
 * reading or silently repairs:
 * - a duplicated key at any depth (JSON.parse keeps the last one: {"verdict":"BLOCK","verdict":"ALLOW"});
 * - anything but whitespace after the value, and a byte order mark before it;
 * - a number that is not finite as a double (1e999 reads as Infinity) and NaN/Infinity literals;
 * - a string with an unpaired surrogate (it has no UTF-8 form: two readers can disagree on it);
 * - nesting deeper than `maxDepth` (bounded recursion, so bounded stack);
 * - bytes that are not UTF-8 (strictParseBytes; a lax decoder would substitute U+FFFD).
 * Work is linear in the input length. Pure.
 */
export type StrictJsonResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly why: string; readonly at: number };

export interface StrictJsonOptions {
  /** Containers nested deeper than this are refused; the top-level container is depth 1. */
  readonly maxDepth: number;
}

/** The recursion guard never goes beyond this, whatever a caller passes. */
export const STRICT_JSON_DEPTH_CEILING = 1000;

class Refusal {
  constructor(
    readonly why: string,
    readonly at: number,
  ) {}
}

const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const HEX4_RE = /^[0-9a-fA-F]{4}$/;

export function strictParse(text: string, opts: StrictJsonOptions = { maxDepth: 64 }): StrictJsonResult {
  const maxDepth = Math.max(1, Math.min(STRICT_JSON_DEPTH_CEILING, Math.floor(opts.maxDepth)));
  let i = 0;
  const n = text.length;
  const fail = (why: string, at = i): never => {
    throw new Refusal(why, at);
  };
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const str = (): string => {
    // text[i] is the opening quote.
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        break;
      }
      if (c < 0x20) fail('control character in a string');
      if (c === 0x5c) {
        out += text.slice(start, i);
        const e = text[i + 1];
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const h = text.slice(i + 2, i + 6);
            if (!HEX4_RE.test(h)) fail('bad \\u escape');
            out += String.fromCharCode(parseInt(h, 16));
            i += 4;
            break;
          }
          default:
            fail('bad escape');
        }
        i += 2;
        start = i;
        continue;
      }
      i++;
    }
    if (LONE_SURROGATE_RE.test(out)) fail('unpaired surrogate in a string', start);
    return out;
  };
  const num = (): number => {
    NUMBER_RE.lastIndex = i;
    const m = NUMBER_RE.exec(text);
    if (!m) return fail('unexpected character');
    const v = Number(m[0]);
    if (!Number.isFinite(v)) fail(`number ${m[0].slice(0, 24)} is not finite`);
    i += m[0].length;
    return v;
  };
  const lit = (word: string, v: unknown): unknown => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return v;
    }
    return fail('unexpected character');
  };
  const value = (depth: number): unknown => {
    ws();
    if (i >= n) fail('unexpected end');
    const c = text[i];
    if (c === '{' || c === '[') {
      if (depth + 1 > maxDepth) fail(`nesting deeper than ${maxDepth}`);
      return c === '{' ? obj(depth + 1) : arr(depth + 1);
    }
    if (c === '"') return str();
    if (c === 't') return lit('true', true);
    if (c === 'f') return lit('false', false);
    if (c === 'n') return lit('null', null);
    return num();
  };
  const obj = (depth: number): Record<string, unknown> => {
    i++;
    // Keys in a Set (duplicate check), members built once by Object.fromEntries: CreateDataProperty,
    // as JSON.parse does, so "__proto__" is an own data property and never the prototype.
    const keys = new Set<string>();
    const entries: [string, unknown][] = [];
    ws();
    if (text[i] === '}') {
      i++;
      return {};
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail('expected a key');
      const at = i;
      const k = str();
      if (keys.has(k)) fail(`duplicate key ${JSON.stringify(k.slice(0, 40))}`, at);
      keys.add(k);
      ws();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      entries.push([k, value(depth)]);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return Object.fromEntries(entries) as Record<string, unknown>;
      }
      fail("expected ',' or '}'");
    }
  };
  const arr = (depth: number): unknown[] => {
    i++;
    const a: unknown[] = [];
    ws();
    if (text[i] === ']') {
      i++;
      return a;
    }
    for (;;) {
      a.push(value(depth));
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return a;
      }
      fail("expected ',' or ']'");
    }
  };
  try {
    if (n > 0 && text.charCodeAt(0) === 0xfeff) fail('byte order mark', 0);
    const v = value(0);
    ws();
    if (i < n) fail('trailing data after the value');
    return { ok: true, value: v };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, why: e.why, at: e.at };
    // Only a RangeError from an engine limit could land here; still a refusal, never a throw.
    return { ok: false, why: `unreadable: ${(e as Error).message}`, at: i };
  }
}

/** strictParse over bytes that must be UTF-8 (fatal decoding: no replacement characters, no BOM skipped). */
export function strictParseBytes(bytes: Uint8Array, opts: StrictJsonOptions = { maxDepth: 64 }): StrictJsonResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { ok: false, why: 'not UTF-8', at: 0 };
  }
  return strictParse(text, opts);
}
