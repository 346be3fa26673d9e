import { describe, expect, it } from 'vitest';
import { createRateGovernor, type RateLimit } from './rate-limits.js';

const LIMITS: RateLimit[] = [
  { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 100 },
  { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 10 },
  { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 1000 },
  { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 1000 },
];
const T0 = 1_700_000_040_000; // a minute boundary

describe('rate governor', () => {
  it('refuses reads above 90% weight but still admits orders until 98%', () => {
    const g = createRateGovernor(LIMITS);
    for (let i = 0; i < 9; i++) expect(g.admit('read', 10, T0)).toEqual({ admit: true });
    const r = g.admit('read', 10, T0 + 1000);
    expect(r).toMatchObject({ admit: false, cause: 'LOCAL_MARGIN', waitMs: 59_000 });
    expect(g.admit('order', 1, T0 + 1000)).toEqual({ admit: true });
    expect(g.snapshot(T0 + 1000).used_weight_pct).toBe(91);
    expect(g.admit('read', 10, T0 + 60_000)).toEqual({ admit: true });
  });
  it('counts orders per 10 s and lets cancels through', () => {
    const g = createRateGovernor(LIMITS);
    for (let i = 0; i < 9; i++) expect(g.admit('order', 1, T0)).toEqual({ admit: true });
    expect(g.admit('order', 1, T0)).toMatchObject({ admit: false, cause: 'LOCAL_MARGIN', waitMs: 10_000 });
    expect(g.admit('order', 1, T0, 0)).toEqual({ admit: true });
    expect(g.snapshot(T0).order_count_pct).toBe(90);
    expect(g.admit('order', 1, T0 + 10_000)).toEqual({ admit: true });
  });
  it('a protective order is admitted into the ORDERS headroom above 90% that entries may not use, and never beyond the limit', () => {
    const g = createRateGovernor(LIMITS);
    for (let i = 0; i < 9; i++) expect(g.admit('order', 1, T0)).toEqual({ admit: true });
    expect(g.admit('order', 1, T0)).toMatchObject({ admit: false, cause: 'LOCAL_MARGIN' });
    expect(g.admit('order', 1, T0, 2, true)).toMatchObject({ admit: false, cause: 'LOCAL_MARGIN' }); // 9 + 2 > 10
    expect(g.admit('order', 1, T0, 1, true)).toEqual({ admit: true }); // the tenth: protection only
    expect(g.admit('order', 1, T0, 1, true)).toMatchObject({ admit: false, cause: 'LOCAL_MARGIN' });
    expect(g.admit('order', 1, T0)).toMatchObject({ admit: false });
  });
  it('an OCO counts as two orders', () => {
    const g = createRateGovernor(LIMITS);
    for (let i = 0; i < 4; i++) expect(g.admit('order', 1, T0, 2)).toEqual({ admit: true });
    expect(g.admit('order', 1, T0, 2)).toMatchObject({ admit: false });
    expect(g.admit('order', 1, T0, 1)).toEqual({ admit: true });
  });
  it('raises usage from headers of any interval, never lowers it within a window', () => {
    const g = createRateGovernor(LIMITS);
    g.admit('read', 20, T0);
    g.observe(200, { 'x-mbx-used-weight-1m': '85', 'x-mbx-order-count-10s': '3', 'x-mbx-order-count-1d': '500' }, T0 + 5);
    expect(g.snapshot(T0 + 5)).toMatchObject({ used_weight_pct: 85, order_count_pct: 50 });
    g.observe(200, { 'X-MBX-USED-WEIGHT-1M': '10' }, T0 + 6);
    expect(g.snapshot(T0 + 6).used_weight_pct).toBe(85);
    expect(g.admit('read', 10, T0 + 7)).toMatchObject({ admit: false });
    g.observe(200, { 'x-mbx-used-weight-1h': '7', 'x-mbx-used-weight-3s': 'x' }, T0 + 8);
    expect(g.snapshot(T0 + 60_000).used_weight_pct).toBe(0);
  });
  it('429: backs off per Retry-After, doubling on repeats, reset by a success', () => {
    const g = createRateGovernor(LIMITS);
    g.observe(429, { 'retry-after': '2' }, T0);
    expect(g.snapshot(T0)).toMatchObject({ state: 'RATE_LIMITED', blocked_until_ms: T0 + 2000 });
    expect(g.admit('order', 1, T0 + 1000)).toMatchObject({ admit: false, cause: 'RATE_LIMITED', waitMs: 1000 });
    expect(g.admit('read', 1, T0 + 2000)).toEqual({ admit: true });
    g.observe(429, { 'retry-after': '2' }, T0 + 2000);
    expect(g.snapshot(T0 + 2000)).toMatchObject({ blocked_until_ms: T0 + 6000, consecutive_429: 2 });
    g.observe(429, {}, T0 + 6000);
    expect(g.snapshot(T0 + 6000)).toMatchObject({ blocked_until_ms: T0 + 10_000 });
    g.observe(200, {}, T0 + 11_000);
    expect(g.snapshot(T0 + 11_000)).toMatchObject({ state: 'OK', consecutive_429: 0 });
  });
  it('caps the 429 back-off', () => {
    const g = createRateGovernor(LIMITS, { backoff429MaxMs: 5000 });
    for (let i = 0; i < 10; i++) g.observe(429, { 'retry-after': '3' }, T0);
    expect(g.snapshot(T0).blocked_until_ms).toBe(T0 + 5000);
  });
  it('418: BANNED until Retry-After ends, nothing admitted', () => {
    const g = createRateGovernor(LIMITS);
    g.observe(418, { 'retry-after': '120' }, T0);
    expect(g.snapshot(T0 + 1)).toMatchObject({ state: 'BANNED' });
    expect(g.admit('order', 1, T0 + 119_999)).toMatchObject({ admit: false, cause: 'BANNED', waitMs: 1 });
    expect(g.snapshot(T0 + 120_000).state).toBe('OK');
    expect(g.admit('order', 1, T0 + 120_000)).toEqual({ admit: true });
  });
  it('418 with a Retry-After of 0, -1, 2.5 or a past date: BANNED for the default 120 s, never "no ban"; a huge value bans for at most 3 days', () => {
    for (const v of ['0', '-1', '2.5', new Date(T0 - 1000).toUTCString()]) {
      const g = createRateGovernor(LIMITS);
      g.observe(418, { 'retry-after': v }, T0);
      expect(g.admit('order', 1, T0 + 1), v).toMatchObject({ admit: false, cause: 'BANNED', waitMs: 119_999 });
    }
    const g = createRateGovernor(LIMITS);
    g.observe(418, { 'retry-after': '99999999999999999999' }, T0);
    expect(g.snapshot(T0).blocked_until_ms).toBe(T0 + 3 * 24 * 3600 * 1000);
  });
  it('reports null percentages before limits are known, and keeps usage across a limit refresh', () => {
    const g = createRateGovernor([]);
    expect(g.snapshot(T0)).toMatchObject({ used_weight_pct: null, order_count_pct: null, state: 'OK' });
    expect(g.admit('read', 5, T0)).toEqual({ admit: true });
    g.observe(200, { 'x-mbx-used-weight-1m': '50' }, T0);
    g.setLimits(LIMITS);
    expect(g.snapshot(T0).used_weight_pct).toBe(50);
  });
  it('-1015: holds new orders only, for its Retry-After or else to the end of the ORDERS window; weight 429 state untouched', () => {
    const g = createRateGovernor(LIMITS);
    g.observe(429, { 'retry-after': '3' }, T0, -1015);
    expect(g.snapshot(T0)).toMatchObject({ state: 'OK', orders_blocked_until_ms: T0 + 3000, consecutive_429: 0 });
    expect(g.admit('order', 1, T0 + 1)).toMatchObject({ admit: false, cause: 'ORDER_RATE_LIMITED', waitMs: 2999 });
    expect(g.admit('order', 1, T0 + 1, 0)).toEqual({ admit: true });
    expect(g.admit('read', 1, T0 + 1)).toEqual({ admit: true });
    expect(g.admit('order', 1, T0 + 3000)).toEqual({ admit: true });
    g.observe(429, {}, T0 + 4000, -1015);
    expect(g.snapshot(T0 + 4000).orders_blocked_until_ms).toBe(T0 + 10_000);
  });
  it('a weight 429 with a Retry-After longer than the cap is honoured in full', () => {
    const g = createRateGovernor(LIMITS, { backoff429MaxMs: 5000 });
    g.observe(429, { 'retry-after': '60' }, T0, -1003);
    expect(g.snapshot(T0).blocked_until_ms).toBe(T0 + 60_000);
  });
});
