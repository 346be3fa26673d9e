import fc from 'fast-check';
import { REASON_CODES, type ReasonCode } from '@vigil/contracts';

/**
 * Shared generators for the trust-boundary fuzz properties: hostile JSON values, structural
 * mutations of a known-good reply, and raw bodies (truncated, not JSON at all). Run counts scale
 * with FUZZ_RUNS (a multiplier, default 1) so a long local campaign uses the same properties.
 */
export const RUN_SCALE = Math.max(1, Number(process.env['FUZZ_RUNS'] ?? '1') || 1);
export const runs = (n: number): number => Math.round(n * RUN_SCALE);
export const fcOpts = (n: number): fc.Parameters<unknown> => ({
  numRuns: runs(n),
  ...(process.env['FUZZ_SEED'] ? { seed: Number(process.env['FUZZ_SEED']) } : {}),
});

/** Values a parser meets at the edges: huge and unsafe numbers, decimal look-alikes, empty containers. */
export const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -0,
    -1,
    1.5,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 63),
    1e308,
    -1e308,
    5e-324,
    Number.MAX_SAFE_INTEGER,
    '',
    ' ',
    '0',
    '-1',
    '1e5',
    '1E-7',
    '0x10',
    'NaN',
    'Infinity',
    '1,5',
    '.5',
    '5.',
    '00001.10000',
    '+1',
    ' 1',
    `0.${'1'.repeat(400)}`,
    `${'9'.repeat(400)}.${'9'.repeat(400)}`,
    '\u0000',
    '\ud800',
    'x'.repeat(10_000),
    [],
    {},
    [null],
    { code: -1013 },
    { code: '-1013', msg: 1 },
  ),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((b) => Number(b)),
);

type Path = readonly (string | number)[];

function paths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

function setAt(root: unknown, path: Path, op: 'replace' | 'delete', value: unknown): unknown {
  if (path.length === 0) return op === 'delete' ? undefined : value;
  const copy: unknown = structuredClone(root);
  let cur = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (op === 'delete') {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else Reflect.deleteProperty(cur, last);
  } else cur[last] = value;
  return copy;
}

/** One to three structural edits of `valid`: delete a key, replace a leaf or subtree with a hostile value, retype it. */
export function mutationOf(valid: unknown): fc.Arbitrary<unknown> {
  const edit = fc.record({
    at: fc.nat(),
    op: fc.constantFrom('replace', 'delete', 'stringify', 'numify') as fc.Arbitrary<'replace' | 'delete' | 'stringify' | 'numify'>,
    value: weird,
  });
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    let v: unknown = valid;
    for (const e of edits) {
      const ps = paths(v);
      const p = ps[e.at % ps.length]!;
      let cur: unknown = v;
      for (const k of p) cur = (cur as Record<string | number, unknown>)[k];
      if (e.op === 'delete') v = setAt(v, p, 'delete', undefined);
      else if (e.op === 'stringify') v = setAt(v, p, 'replace', typeof cur === 'string' ? cur : JSON.stringify(cur ?? null));
      else if (e.op === 'numify') v = setAt(v, p, 'replace', typeof cur === 'string' && cur !== '' ? Number(cur) : cur === null ? 0 : cur);
      else v = setAt(v, p, 'replace', e.value);
    }
    return v;
  });
}

/** A reply body as bytes on the wire: JSON of a hostile or mutated value, a truncated valid body, or not JSON at all. */
export function bodyText(valid: unknown): fc.Arbitrary<string> {
  const validText = JSON.stringify(valid);
  return fc.oneof(
    { weight: 4, arbitrary: mutationOf(valid).map((v) => JSON.stringify(v) ?? '') },
    { weight: 2, arbitrary: weird.map((v) => JSON.stringify(v) ?? '') },
    { weight: 2, arbitrary: fc.nat({ max: Math.max(0, validText.length - 1) }).map((n) => validText.slice(0, n)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        'null',
        '[]',
        '{}',
        '<html>502 Bad Gateway</html>',
        '{"code":-1013,"msg":"Filter failure: LOT_SIZE"}',
        '{"code":-1007,"msg":"Timeout"}',
        '{"code":-2013,"msg":"Order does not exist."}',
        '\ufeff{}',
      ),
    },
  );
}

export const isCatalogued = (code: string): code is ReasonCode => Object.prototype.hasOwnProperty.call(REASON_CODES, code);

/** A valid exchangeInfo reply (one symbol, the filters the gateway models), the base of its mutations. */
export const INFO = {
  timezone: 'UTC',
  serverTime: 1_700_000_000_000,
  exchangeFilters: [],
  rateLimits: [
    { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
    { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
  ],
  symbols: [
    {
      symbol: 'BTCUSDT',
      status: 'TRADING',
      baseAsset: 'BTC',
      quoteAsset: 'USDT',
      baseAssetPrecision: 8,
      quoteAssetPrecision: 8,
      orderTypes: ['LIMIT', 'MARKET', 'LIMIT_MAKER', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
      ocoAllowed: true,
      permissions: ['SPOT'],
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
        { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
        {
          filterType: 'NOTIONAL',
          minNotional: '5.00000000',
          applyMinToMarket: true,
          maxNotional: '9000000.00000000',
          applyMaxToMarket: false,
          avgPriceMins: 5,
        },
        { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
      ],
    },
  ],
};
