import { describe, expect, it } from 'vitest';
import type { JsonObject, ReasonCode } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { createClockEstimator } from './clock.js';
import type { RestOutcome } from './outcome.js';
import { createRateGovernor } from './rate-limits.js';
import type { RestClient } from './rest-client.js';
import { UNAVAILABLE_AFTER_FAILURES, VenueSession } from './venue-session.js';

/**
 * The session's decisions over scripted venue replies (the transport itself is tested in
 * rest-client.test.ts, and against apps/exchange-sim in test/gateway).
 */
const cfg = (() => {
  const r = parseConfig({ exchange: { symbols: ['BTCUSDT', 'ETHUSDT'], clock_drift_max_ms_live: 500, filters_max_age_ms: 10_000 } });
  if (!r.ok) throw new Error('config');
  return r.config.exchange;
})();

const ok = (body: unknown): RestOutcome => ({ kind: 'OK', status: 200, body, headers: {} });

const lot = { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' };
const price = { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' };
const symbol = (s: string, status = 'TRADING') => ({
  symbol: s,
  status,
  baseAsset: s.replace('USDT', ''),
  quoteAsset: 'USDT',
  baseAssetPrecision: 8,
  quoteAssetPrecision: 8,
  orderTypes: ['LIMIT', 'MARKET'],
  ocoAllowed: true,
  permissions: ['SPOT'],
  filters: [price, lot],
});
const info = (...symbols: ReturnType<typeof symbol>[]) => ({
  timezone: 'UTC',
  serverTime: 1,
  rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 }],
  exchangeFilters: [],
  symbols,
});

function harness(script: { time?: (now: number) => RestOutcome; info?: () => RestOutcome; signed?: (path: string) => RestOutcome }) {
  let now = 1_000_000;
  const reasons = new Map<ReasonCode, JsonObject>();
  const events: { type: string; payload: JsonObject; reason?: ReasonCode }[] = [];
  const rest: RestClient = {
    publicGet: async (path) => {
      now += 10;
      // A 10 ms round trip; the venue's clock read at its midpoint.
      if (path === '/api/v3/time') return script.time ? script.time(now) : ok({ serverTime: now - 5 });
      return script.info ? script.info() : ok(info(symbol('BTCUSDT'), symbol('ETHUSDT')));
    },
    signed: async (_m, path) =>
      script.signed ? script.signed(path) : ok(path.includes('apiRestrictions') ? { enableWithdrawals: false, ipRestrict: true } : { canTrade: true }),
    close: () => {},
  };
  const s = new VenueSession({
    rest,
    clock: createClockEstimator({ driftMaxMs: cfg.clock_drift_max_ms_live }),
    governor: createRateGovernor([]),
    cfg,
    now: () => now,
    reason: (code, on, detail) => (on ? reasons.set(code, detail) : reasons.delete(code)),
    event: (type, payload, reason) => events.push({ type, payload, ...(reason ? { reason } : {}) }),
  });
  return { s, reasons, events, advance: (ms: number) => (now += ms) };
}

describe('VenueSession', () => {
  it('a refresh refused for one malformed filter raises FILTERS_STALE (entries wait) naming why, kept until a refresh is understood', async () => {
    let malformed = false;
    const bad = { ...symbol('ETHUSDT'), filters: [price, { ...lot, stepSize: '-0.01' }] };
    const h = harness({ info: () => ok(malformed ? info(symbol('BTCUSDT'), bad) : info(symbol('BTCUSDT'), symbol('ETHUSDT'))) });
    expect(await h.s.refreshFilters()).toBe(true);
    h.s.checkFreshness();
    expect(h.reasons.has('FILTERS_STALE')).toBe(false);
    malformed = true;
    expect(await h.s.refreshFilters()).toBe(false);
    expect(h.reasons.get('FILTERS_STALE')).toMatchObject({ refresh_refused: expect.stringContaining('stepSize') });
    // The rules held are young, but still not known to be current: the next freshness check keeps it.
    h.s.checkFreshness();
    expect(h.reasons.has('FILTERS_STALE')).toBe(true);
    malformed = false;
    expect(await h.s.refreshFilters()).toBe(true);
    h.s.checkFreshness();
    expect(h.reasons.has('FILTERS_STALE')).toBe(false);
  });

  it('syncs the clock and records CLOCK_SYNCED without drift', async () => {
    const h = harness({});
    expect(await h.s.syncClock(3)).toBe(true);
    expect(h.reasons.has('CLOCK_DRIFT')).toBe(false);
    expect(h.events.find((e) => e.type === 'CLOCK_SYNCED')?.payload).toMatchObject({ offset_ms: 0, clock_drift_max_ms_live: 500 });
    expect(h.s.health().clock_offset_ms).toBe(0);
  });

  it('raises CLOCK_DRIFT when the venue clock is off by more than the limit, and clears it when back', async () => {
    let skew = 2000;
    const h = harness({ time: (now) => ok({ serverTime: now - 5 + skew }) });
    await h.s.syncClock(3);
    expect(h.reasons.get('CLOCK_DRIFT')).toMatchObject({ offset_ms: 2000, clock_drift_max_ms_live: 500 });
    expect(h.events.at(-1)).toMatchObject({ type: 'CLOCK_SYNCED', reason: 'CLOCK_DRIFT' });
    skew = 0;
    // The median of the window needs a majority of good samples before the drift clears.
    await h.s.syncClock(9);
    expect(h.reasons.has('CLOCK_DRIFT')).toBe(false);
  });

  it('raises EXCHANGE_UNAVAILABLE only after repeated failed syncs, and clears it on success', async () => {
    let down = true;
    const h = harness({ time: (now) => (down ? { kind: 'NETWORK_BEFORE_SEND', reason: 'ECONNREFUSED' } : ok({ serverTime: now - 5 })) });
    for (let i = 1; i < UNAVAILABLE_AFTER_FAILURES; i++) await h.s.syncClock(1);
    expect(h.reasons.has('EXCHANGE_UNAVAILABLE')).toBe(false);
    await h.s.syncClock(1);
    expect(h.reasons.get('EXCHANGE_UNAVAILABLE')).toMatchObject({ failures: UNAVAILABLE_AFTER_FAILURES });
    expect(h.s.health().rest).toBe('DOWN');
    down = false;
    await h.s.syncClock(1);
    expect(h.reasons.has('EXCHANGE_UNAVAILABLE')).toBe(false);
  });

  it('loads rules for the configured symbols, reports a diff, and flags symbols that are not TRADING', async () => {
    let status = 'TRADING';
    const h = harness({ info: () => ok(info(symbol('BTCUSDT'), symbol('ETHUSDT', status), symbol('XRPUSDT'))) });
    expect(await h.s.refreshFilters()).toBe(true);
    expect([...h.s.rules.keys()].sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(h.reasons.has('SYMBOL_NOT_TRADING')).toBe(false);
    status = 'HALT';
    await h.s.refreshFilters();
    expect(h.reasons.get('SYMBOL_NOT_TRADING')).toMatchObject({ symbols: ['ETHUSDT'], statuses: { ETHUSDT: 'HALT' } });
    const last = h.events.filter((e) => e.type === 'FILTERS_REFRESHED').at(-1)!;
    expect(last.payload['diff']).toEqual([{ symbol: 'ETHUSDT', change: 'STATUS', from: 'TRADING', to: 'HALT' }]);
  });

  it('keeps the previous rules when exchangeInfo is malformed, and goes stale past the validity window', async () => {
    let good = true;
    const h = harness({ info: () => (good ? ok(info(symbol('BTCUSDT'), symbol('ETHUSDT'))) : ok({ symbols: 'nope' })) });
    h.s.checkFreshness();
    expect(h.reasons.has('FILTERS_STALE')).toBe(true); // never loaded: no rules, no entries
    await h.s.refreshFilters();
    h.s.checkFreshness();
    expect(h.reasons.has('FILTERS_STALE')).toBe(false);
    good = false;
    expect(await h.s.refreshFilters()).toBe(false);
    expect(h.s.rules.size).toBe(2);
    h.advance(cfg.filters_max_age_ms + 1);
    h.s.checkFreshness();
    expect(h.reasons.get('FILTERS_STALE')).toMatchObject({ filters_max_age_ms: cfg.filters_max_age_ms });
  });

  it('refuses a key with withdrawals enabled, one that cannot trade, and a rejected key', async () => {
    const w = harness({ signed: (p) => ok(p.includes('apiRestrictions') ? { enableWithdrawals: true, ipRestrict: false } : { canTrade: true }) });
    await w.s.checkApiKey();
    expect(w.reasons.has('API_KEY_WITHDRAW_ENABLED')).toBe(true);
    const t = harness({ signed: (p) => ok(p.includes('apiRestrictions') ? { enableWithdrawals: false } : { canTrade: false }) });
    await t.s.checkApiKey();
    expect(t.reasons.get('API_KEY_INVALID')).toEqual({ canTrade: false });
    const r = harness({ signed: () => ({ kind: 'REJECTED', status: 401, code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' }) });
    await r.s.checkApiKey();
    expect(r.reasons.get('API_KEY_INVALID')).toMatchObject({ code: -2015 });
    const sig = harness({ signed: () => ({ kind: 'REJECTED', status: 400, code: -1022, msg: 'Signature for this request is not valid.' }) });
    await sig.s.checkApiKey();
    expect(sig.reasons.has('SIGNATURE_REJECTED')).toBe(true);
  });

  it('on -1021 re-syncs the clock once and retries once; a second -1021 raises TIMESTAMP_REJECTED', async () => {
    const ts: RestOutcome = { kind: 'REJECTED', status: 400, code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' };
    let calls = 0;
    let rejectTimes = 1;
    const h = harness({ signed: () => (++calls <= rejectTimes ? ts : ok({ orderId: 1 })) });
    const timeSyncsBefore = h.events.filter((e) => e.type === 'CLOCK_SYNCED').length;
    expect((await h.s.signedWithResync('POST', '/api/v3/order', {}, { weight: 1, kind: 'order' })).kind).toBe('OK');
    expect(calls).toBe(2);
    expect(h.events.filter((e) => e.type === 'CLOCK_SYNCED').length).toBe(timeSyncsBefore + 1);
    expect(h.reasons.has('TIMESTAMP_REJECTED')).toBe(false);
    calls = 0;
    rejectTimes = 5;
    const out = await h.s.signedWithResync('POST', '/api/v3/order', {}, { weight: 1, kind: 'order' });
    expect(out).toMatchObject({ kind: 'REJECTED', code: -1021 });
    expect(calls).toBe(2); // never a third attempt
    expect(h.reasons.get('TIMESTAMP_REJECTED')).toMatchObject({ code: -1021, path: '/api/v3/order' });
  });

  it('passes UNKNOWN through untouched: never retried, never turned into a failure', async () => {
    let calls = 0;
    const h = harness({ signed: () => (calls++, { kind: 'UNKNOWN', reason: 'socket hang up after send' }) });
    expect(await h.s.signedWithResync('POST', '/api/v3/order', {}, { weight: 1, kind: 'order' })).toEqual({
      kind: 'UNKNOWN',
      reason: 'socket hang up after send',
    });
    expect(calls).toBe(1);
  });
});
