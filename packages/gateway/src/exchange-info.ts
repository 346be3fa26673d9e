import { Ajv } from 'ajv';
import type { ReasonCode } from '@vigil/contracts';
import { FILTER_NAMES, isDecimalString, type FilterName, type SymbolFilter, type SymbolRules } from '@vigil/core';
import type { RateLimit } from './rate-limits.js';

/**
 * exchangeInfo reply -> typed rules. The schema covers only what we use and lets everything else
 * through (Binance adds fields freely). Filters we do not model are ignored; a filter we model
 * with a malformed field fails the whole reply: trading on half-understood rules is worse than
 * not trading (the gateway keeps the previous rules and raises FILTERS_STALE in time).
 */

const decimal = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' } as const;
// Beyond 2^53 a JSON integer is no longer exact: a limit we cannot represent is not a limit we know.
const int = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const bool = { type: 'boolean' } as const;

const FILTER_FIELDS: { readonly [K in FilterName]: Readonly<Record<string, object>> } = {
  PRICE_FILTER: { minPrice: decimal, maxPrice: decimal, tickSize: decimal },
  LOT_SIZE: { minQty: decimal, maxQty: decimal, stepSize: decimal },
  MARKET_LOT_SIZE: { minQty: decimal, maxQty: decimal, stepSize: decimal },
  MIN_NOTIONAL: { minNotional: decimal, applyToMarket: bool, avgPriceMins: int },
  NOTIONAL: { minNotional: decimal, applyMinToMarket: bool, maxNotional: decimal, applyMaxToMarket: bool, avgPriceMins: int },
  PERCENT_PRICE: { multiplierUp: decimal, multiplierDown: decimal, avgPriceMins: int },
  PERCENT_PRICE_BY_SIDE: { bidMultiplierUp: decimal, bidMultiplierDown: decimal, askMultiplierUp: decimal, askMultiplierDown: decimal, avgPriceMins: int },
  MAX_NUM_ORDERS: { maxNumOrders: int },
  MAX_NUM_ALGO_ORDERS: { maxNumAlgoOrders: int },
  TRAILING_DELTA: { minTrailingAboveDelta: int, maxTrailingAboveDelta: int, minTrailingBelowDelta: int, maxTrailingBelowDelta: int },
  ICEBERG_PARTS: { limit: int },
};

const filterSchema = {
  type: 'object',
  required: ['filterType'],
  properties: { filterType: { type: 'string' } },
  allOf: FILTER_NAMES.map((name) => ({
    if: { properties: { filterType: { const: name } } },
    then: { required: Object.keys(FILTER_FIELDS[name]), properties: FILTER_FIELDS[name] },
  })),
} as const;

export const EXCHANGE_INFO_SCHEMA = {
  type: 'object',
  required: ['serverTime', 'rateLimits', 'symbols'],
  properties: {
    serverTime: int,
    rateLimits: {
      type: 'array',
      items: {
        type: 'object',
        required: ['rateLimitType', 'interval', 'intervalNum', 'limit'],
        properties: {
          rateLimitType: { enum: ['REQUEST_WEIGHT', 'ORDERS', 'RAW_REQUESTS'] },
          interval: { enum: ['SECOND', 'MINUTE', 'HOUR', 'DAY'] },
          intervalNum: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
          limit: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
        },
      },
    },
    symbols: {
      type: 'array',
      items: {
        type: 'object',
        required: ['symbol', 'status', 'baseAsset', 'quoteAsset', 'baseAssetPrecision', 'quoteAssetPrecision', 'orderTypes', 'filters'],
        properties: {
          symbol: { type: 'string', pattern: '^[A-Z0-9_.-]{1,40}$' },
          status: { type: 'string' },
          baseAsset: { type: 'string' },
          quoteAsset: { type: 'string' },
          baseAssetPrecision: { type: 'integer', minimum: 0, maximum: 18 },
          quoteAssetPrecision: { type: 'integer', minimum: 0, maximum: 18 },
          orderTypes: { type: 'array', items: { type: 'string' } },
          ocoAllowed: bool,
          icebergAllowed: bool,
          cancelReplaceAllowed: bool,
          allowTrailingStop: bool,
          permissions: { type: 'array', items: { type: 'string' } },
          permissionSets: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
          filters: { type: 'array', items: filterSchema },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: false });
const validate = ajv.compile(EXCHANGE_INFO_SCHEMA);

export type ExchangeInfo = { readonly ok: true; readonly rules: ReadonlyMap<string, SymbolRules>; readonly rateLimits: readonly RateLimit[]; readonly serverTime: number };
export type ExchangeInfoResult = ExchangeInfo | { readonly ok: false; readonly code: Extract<ReasonCode, 'EXCHANGE_REPLY_INVALID'>; readonly reason: string };

type RawSymbol = {
  symbol: string;
  status: string;
  baseAsset: string;
  quoteAsset: string;
  baseAssetPrecision: number;
  quoteAssetPrecision: number;
  orderTypes: string[];
  ocoAllowed?: boolean;
  icebergAllowed?: boolean;
  cancelReplaceAllowed?: boolean;
  allowTrailingStop?: boolean;
  permissions?: string[];
  permissionSets?: string[][];
  filters: Array<{ filterType: string } & Record<string, unknown>>;
};
type RawInfo = { serverTime: number; rateLimits: RateLimit[]; symbols: RawSymbol[] };

const invalid = (reason: string): ExchangeInfoResult => ({ ok: false, code: 'EXCHANGE_REPLY_INVALID', reason });

export function parseExchangeInfo(json: unknown): ExchangeInfoResult {
  if (!validate(json)) {
    const e = validate.errors?.[0];
    return invalid(e ? `${e.instancePath || '/'} ${e.message ?? 'invalid'}` : 'schema mismatch');
  }
  const raw = json as unknown as RawInfo;
  const rules = new Map<string, SymbolRules>();
  for (const s of raw.symbols) {
    if (rules.has(s.symbol)) return invalid(`duplicate symbol ${s.symbol}`);
    const filters: Partial<Record<FilterName, SymbolFilter>> = {};
    for (const f of s.filters) {
      if (!(FILTER_NAMES as readonly string[]).includes(f.filterType)) continue;
      const name = f.filterType as FilterName;
      if (filters[name]) return invalid(`${s.symbol}: duplicate ${name}`);
      const picked: Record<string, unknown> = { filterType: name };
      for (const k of Object.keys(FILTER_FIELDS[name])) picked[k] = f[k];
      if (Object.entries(picked).some(([k, v]) => k !== 'filterType' && typeof v === 'string' && !isDecimalString(v))) return invalid(`${s.symbol}: ${name} has a malformed decimal`);
      filters[name] = picked as unknown as SymbolFilter;
    }
    const permissions = [...new Set([...(s.permissions ?? []), ...(s.permissionSets ?? []).flat()])].sort();
    rules.set(s.symbol, {
      symbol: s.symbol,
      status: s.status,
      baseAsset: s.baseAsset,
      quoteAsset: s.quoteAsset,
      baseAssetPrecision: s.baseAssetPrecision,
      quoteAssetPrecision: s.quoteAssetPrecision,
      orderTypes: [...s.orderTypes],
      ocoAllowed: s.ocoAllowed === true,
      icebergAllowed: s.icebergAllowed === true,
      // Absent means not offered: fall back (cancel + new, keep the OCO) rather than be refused live.
      cancelReplaceAllowed: s.cancelReplaceAllowed === true,
      allowTrailingStop: s.allowTrailingStop === true,
      permissions,
      filters: filters as SymbolRules['filters'],
    });
  }
  const rateLimits = raw.rateLimits.map((l) => ({ rateLimitType: l.rateLimitType, interval: l.interval, intervalNum: l.intervalNum, limit: l.limit }));
  return { ok: true, rules, rateLimits, serverTime: raw.serverTime };
}

export type RulesChange =
  | { readonly symbol: string; readonly change: 'ADDED' }
  | { readonly symbol: string; readonly change: 'REMOVED' }
  | { readonly symbol: string; readonly change: 'STATUS'; readonly from: string; readonly to: string }
  | { readonly symbol: string; readonly change: 'FIELD'; readonly field: string; readonly from: unknown; readonly to: unknown };

/** What changed between two rule sets, in a stable order, for the FILTERS_REFRESHED event payload. */
export function diffRules(prev: ReadonlyMap<string, SymbolRules>, next: ReadonlyMap<string, SymbolRules>): RulesChange[] {
  const out: RulesChange[] = [];
  const symbols = [...new Set([...prev.keys(), ...next.keys()])].sort();
  for (const symbol of symbols) {
    const a = prev.get(symbol);
    const b = next.get(symbol);
    if (!a && b) out.push({ symbol, change: 'ADDED' });
    else if (a && !b) out.push({ symbol, change: 'REMOVED' });
    else if (a && b) {
      if (a.status !== b.status) out.push({ symbol, change: 'STATUS', from: a.status, to: b.status });
      const fa = flatten(a);
      const fb = flatten(b);
      for (const field of [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort()) {
        if (field === 'status') continue;
        if (fa[field] !== fb[field]) out.push({ symbol, change: 'FIELD', field, from: fa[field], to: fb[field] });
      }
    }
  }
  return out;
}

function flatten(r: SymbolRules): Record<string, string | number | boolean | undefined> {
  const out: Record<string, string | number | boolean | undefined> = {
    status: r.status,
    baseAssetPrecision: r.baseAssetPrecision,
    quoteAssetPrecision: r.quoteAssetPrecision,
    orderTypes: [...r.orderTypes].sort().join(','),
    ocoAllowed: r.ocoAllowed,
    icebergAllowed: r.icebergAllowed,
    cancelReplaceAllowed: r.cancelReplaceAllowed,
    allowTrailingStop: r.allowTrailingStop,
    permissions: r.permissions.join(','),
  };
  for (const [name, f] of Object.entries(r.filters)) {
    if (!f) continue;
    for (const [k, v] of Object.entries(f)) if (k !== 'filterType') out[`${name}.${k}`] = v as string | number | boolean;
  }
  return out;
}
