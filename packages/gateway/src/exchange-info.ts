import type { ReasonCode } from '@vigil/contracts';
import { FILTER_NAMES, isDecimalString, type FilterName, type SymbolFilter, type SymbolRules } from '@vigil/core';
import type { RateInterval, RateLimit, RateLimitType } from './rate-limits.js';
import { FILTER_FIELDS, RATE_INTERVALS, RATE_LIMIT_TYPES } from './exchange-info-schemas.js';
import { GATEWAY_VALIDATORS } from './reply-validators.js';

/**
 * exchangeInfo reply -> typed rules. The schema covers only what we use and lets everything else
 * through (Binance adds fields and enum values freely): symbols we do not trade are not read,
 * filters and rate-limit types we do not model are skipped. A filter we model
 * with a malformed field fails the whole reply: trading on half-understood rules is worse than
 * not trading (the gateway keeps the previous rules and raises FILTERS_STALE in time).
 */

export { EXCHANGE_INFO_SCHEMA, SYMBOL_SCHEMA } from './exchange-info-schemas.js';

const validate = GATEWAY_VALIDATORS.exchangeInfo;
const validateSymbol = GATEWAY_VALIDATORS.symbol;

export type ExchangeInfo = {
  readonly ok: true;
  readonly rules: ReadonlyMap<string, SymbolRules>;
  readonly rateLimits: readonly RateLimit[];
  readonly serverTime: number;
};
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
  isSpotTradingAllowed?: boolean;
  permissions?: string[];
  permissionSets?: string[][];
  filters: Array<{ filterType?: unknown } & Record<string, unknown>>;
};
type RawRateLimit = { rateLimitType?: unknown; interval?: unknown; intervalNum: number; limit: number };
type RawInfo = { serverTime: number; rateLimits: RawRateLimit[]; symbols: unknown[] };

const invalid = (reason: string): ExchangeInfoResult => ({ ok: false, code: 'EXCHANGE_REPLY_INVALID', reason });

/**
 * `wanted`: the symbols we trade; only their entries are validated and turned into rules (others
 * are not even looked at). Without it every entry is (the unit tests' and fuzzers' use).
 */
export function parseExchangeInfo(json: unknown, wanted?: readonly string[]): ExchangeInfoResult {
  if (!validate(json)) {
    const e = validate.errors?.[0];
    return invalid(e ? `${e.instancePath || '/'} ${e.message ?? 'invalid'}` : 'schema mismatch');
  }
  const raw = json as unknown as RawInfo;
  const want = wanted ? new Set(wanted) : null;
  const rules = new Map<string, SymbolRules>();
  for (const [i, entry] of raw.symbols.entries()) {
    if (want && !(typeof entry === 'object' && entry !== null && want.has((entry as { symbol?: unknown }).symbol as string))) continue;
    if (!validateSymbol(entry)) {
      const e = validateSymbol.errors?.[0];
      return invalid(`/symbols/${i}${e ? `${e.instancePath} ${e.message ?? 'invalid'}` : ' schema mismatch'}`);
    }
    const s = entry as unknown as RawSymbol;
    if (rules.has(s.symbol)) return invalid(`duplicate symbol ${s.symbol}`);
    const filters: Partial<Record<FilterName, SymbolFilter>> = {};
    for (const f of s.filters) {
      if (typeof f.filterType !== 'string' || !(FILTER_NAMES as readonly string[]).includes(f.filterType)) continue;
      const name = f.filterType as FilterName;
      if (filters[name]) return invalid(`${s.symbol}: duplicate ${name}`);
      const picked: Record<string, unknown> = { filterType: name };
      for (const k of Object.keys(FILTER_FIELDS[name])) picked[k] = f[k];
      if (Object.entries(picked).some(([k, v]) => k !== 'filterType' && typeof v === 'string' && !isDecimalString(v)))
        return invalid(`${s.symbol}: ${name} has a malformed decimal`);
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
      isSpotTradingAllowed: s.isSpotTradingAllowed !== false,
      permissions,
      filters: filters as SymbolRules['filters'],
    });
  }
  const known = (l: RawRateLimit): l is RawRateLimit & { rateLimitType: RateLimitType; interval: RateInterval } =>
    (RATE_LIMIT_TYPES as readonly unknown[]).includes(l.rateLimitType) && (RATE_INTERVALS as readonly unknown[]).includes(l.interval);
  const rateLimits = raw.rateLimits
    .filter(known)
    .map((l) => ({ rateLimitType: l.rateLimitType, interval: l.interval, intervalNum: l.intervalNum, limit: l.limit }));
  return { ok: true, rules, rateLimits, serverTime: raw.serverTime };
}

export type RulesChange =
  | { readonly symbol: string; readonly change: 'ADDED' }
  | { readonly symbol: string; readonly change: 'REMOVED' }
  | { readonly symbol: string; readonly change: 'STATUS'; readonly from: string; readonly to: string }
  | { readonly symbol: string; readonly change: 'FIELD'; readonly field: string; readonly from: RuleValue; readonly to: RuleValue };
/** A flattened rule's value; null where one side does not have the field. */
type RuleValue = string | number | boolean | null;

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
        if (fa[field] !== fb[field]) out.push({ symbol, change: 'FIELD', field, from: fa[field] ?? null, to: fb[field] ?? null });
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
    isSpotTradingAllowed: r.isSpotTradingAllowed !== false,
    permissions: r.permissions.join(','),
  };
  for (const [name, f] of Object.entries(r.filters)) {
    if (!f) continue;
    for (const [k, v] of Object.entries(f)) if (k !== 'filterType') out[`${name}.${k}`] = v as string | number | boolean;
  }
  return out;
}
