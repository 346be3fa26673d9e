import { describe, expect, it } from 'vitest';
import {
  BINANCE_CODE_CLASS,
  classify,
  DEFAULT_RETRY_AFTER_MS,
  MAX_RETRY_AFTER_MS,
  codeClass,
  mayHaveBeenWritten,
  parseRetryAfterMs,
  type CallKind,
  type ClassifyInput,
  type ParsedBody,
} from './outcome.js';

const json = (value: unknown): ParsedBody => ({ parsed: true, value });
const raw = (s: string): ParsedBody => ({ parsed: false, raw: s });
const resp = (status: number, body: ParsedBody, callKind: CallKind = 'order', headers: Record<string, string> = {}): ClassifyInput => ({
  phase: 'response',
  callKind,
  status,
  body,
  headers,
});

describe('classify: responses', () => {
  it('2xx with a JSON object or array is OK', () => {
    expect(classify(resp(200, json({ orderId: 1 })))).toMatchObject({ kind: 'OK', status: 200, body: { orderId: 1 } });
    expect(classify(resp(200, json([]), 'read'))).toMatchObject({ kind: 'OK' });
  });
  it('2xx we cannot parse is UNKNOWN, on orders and reads alike', () => {
    expect(classify(resp(200, raw('<html>')))).toMatchObject({ kind: 'UNKNOWN' });
    expect(classify(resp(200, raw('{"trunc'), 'read'))).toMatchObject({ kind: 'UNKNOWN' });
    expect(classify(resp(200, json('text')))).toMatchObject({ kind: 'UNKNOWN' });
    expect(classify(resp(200, json(null)))).toMatchObject({ kind: 'UNKNOWN' });
  });
  it.each([500, 502, 503, 504, 599])('HTTP %i is UNKNOWN whatever the body says', (status) => {
    expect(classify(resp(status, json({ code: -1013, msg: 'Filter failure: LOT_SIZE' })))).toMatchObject({ kind: 'UNKNOWN' });
    expect(classify(resp(status, raw('')))).toMatchObject({ kind: 'UNKNOWN' });
    expect(classify(resp(status, raw(''), 'read'))).toMatchObject({ kind: 'UNKNOWN' });
  });
  it.each([
    [400, -1013, 'Filter failure: LOT_SIZE'],
    [400, -2010, 'Account has insufficient balance for requested action.'],
    [400, -1021, 'Timestamp for this request is outside of the recvWindow.'],
    [400, -1022, 'Signature for this request is not valid.'],
    [400, -2013, 'Order does not exist.'],
    [400, -2011, 'Unknown order sent.'],
    [400, -1100, 'Illegal characters found in a parameter.'],
    [400, -1102, 'Mandatory parameter was not sent.'],
    [400, -1111, 'Parameter has too much precision.'],
    [400, -1121, 'Invalid symbol.'],
    [401, -2015, 'Invalid API-key, IP, or permissions for action.'],
  ])('HTTP %i code %i is a definitive REJECTED', (status, code, msg) => {
    expect(classify(resp(status, json({ code, msg })))).toEqual({ kind: 'REJECTED', code, msg, status });
  });
  it.each([-1000, -1001, -1006, -1007, -1008, -2021])('code %i never becomes REJECTED on an order call', (code) => {
    expect(classify(resp(400, json({ code, msg: 'x' })))).toMatchObject({ kind: 'UNKNOWN' });
    expect(classify(resp(408, json({ code, msg: 'x' })))).toMatchObject({ kind: 'UNKNOWN' });
  });
  it('an unlisted code is UNKNOWN on an order, REJECTED on a read', () => {
    expect(classify(resp(400, json({ code: -9999, msg: 'new' })))).toMatchObject({ kind: 'UNKNOWN' });
    expect(classify(resp(400, json({ code: -9999, msg: 'new' }), 'read'))).toMatchObject({ kind: 'REJECTED', code: -9999 });
  });
  it('a 4xx without a Binance error body is UNKNOWN on an order', () => {
    expect(classify(resp(400, raw('bad gateway html')))).toMatchObject({ kind: 'UNKNOWN' });
    expect(classify(resp(404, json({ message: 'nope' })))).toMatchObject({ kind: 'UNKNOWN' });
    expect(classify(resp(404, raw(''), 'read'))).toMatchObject({ kind: 'REJECTED', status: 404 });
  });
  it('429 and 418 are THROTTLED with Retry-After in ms, defaults when absent', () => {
    expect(classify(resp(429, json({ code: -1003, msg: 'Too much request weight used' }), 'order', { 'retry-after': '7' }))).toEqual({
      kind: 'THROTTLED',
      status: 429,
      retryAfterMs: 7000,
    });
    expect(classify(resp(418, raw(''), 'read', { 'retry-after': '600' }))).toEqual({ kind: 'THROTTLED', status: 418, retryAfterMs: 600_000 });
    expect(classify(resp(429, raw('')))).toEqual({ kind: 'THROTTLED', status: 429, retryAfterMs: 5000 });
    expect(classify(resp(418, raw('')))).toEqual({ kind: 'THROTTLED', status: 418, retryAfterMs: 120_000 });
  });
  it('redirects and informational statuses are UNKNOWN', () => {
    expect(classify(resp(302, raw('')))).toMatchObject({ kind: 'UNKNOWN' });
  });
});

describe('classify: transport failures', () => {
  it('before send is NETWORK_BEFORE_SEND, after send is UNKNOWN', () => {
    expect(classify({ phase: 'transport', callKind: 'order', written: false, transportCode: 'ECONNREFUSED' })).toEqual({
      kind: 'NETWORK_BEFORE_SEND',
      reason: 'ECONNREFUSED',
    });
    expect(classify({ phase: 'transport', callKind: 'order', written: true, transportCode: 'ETIMEDOUT', detail: 'request' })).toMatchObject({
      kind: 'UNKNOWN',
    });
    expect(classify({ phase: 'transport', callKind: 'read', written: true, transportCode: 'ECONNRESET' })).toMatchObject({ kind: 'UNKNOWN' });
  });
});

describe('mayHaveBeenWritten', () => {
  const ev = { code: 'X', observed: true, connectionReady: false, uploaded: false };
  it('anything after the connection is ready may have been written', () => {
    for (const code of ['ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ERR_GOT_REQUEST_ERROR', 'ECONNREFUSED']) {
      expect(mayHaveBeenWritten({ ...ev, code, connectionReady: true })).toBe(true);
      expect(mayHaveBeenWritten({ ...ev, code, connectionReady: true, uploaded: true })).toBe(true);
    }
  });
  it('a failure observed before the connection was ready was not written', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ERR_TLS_CERT_ALTNAME_INVALID'])
      expect(mayHaveBeenWritten({ ...ev, code })).toBe(false);
  });
  it('without timings only known pre-connection codes count as not written', () => {
    expect(mayHaveBeenWritten({ ...ev, observed: false, code: 'ENOTFOUND' })).toBe(false);
    expect(mayHaveBeenWritten({ ...ev, observed: false, code: 'ETIMEDOUT' })).toBe(true);
    expect(mayHaveBeenWritten({ ...ev, observed: false, code: 'ERR_GOT_REQUEST_ERROR' })).toBe(true);
  });
});

describe('code table', () => {
  it('covers the parameter range and the order codes', () => {
    expect(codeClass(-1013)).toBe('REJECTED');
    expect(codeClass(-1007)).toBe('UNKNOWN');
    expect(codeClass(-4242)).toBeUndefined();
    expect(Object.keys(BINANCE_CODE_CLASS).length).toBeGreaterThan(50);
  });
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfterMs('3')).toBe(3000);
    expect(parseRetryAfterMs('soon')).toBeUndefined();
    expect(parseRetryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfterMs(undefined)).toBeUndefined();
  });
  it('a Retry-After that says no wait, is no real form, or is past a 3-day ban gives no "go at once": undefined (the default applies) or at most MAX_RETRY_AFTER_MS', () => {
    // Date.parse reads "-1" and "2.5" as days in 2001: once taken for dates, they meant no ban.
    for (const v of [' 0 ', '-1', '2.5', '1e3', 'Thu, 01 Jan 1970 00:00:01 GMT', new Date(1_000).toUTCString(), '2001-01-01']) {
      expect(parseRetryAfterMs(v, 4_000), v).toBeUndefined();
    }
    expect(parseRetryAfterMs('99999999999999999999')).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfterMs(String(30 * 24 * 3600))).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfterMs(new Date(10 * 24 * 3600_000).toUTCString(), 0)).toBe(MAX_RETRY_AFTER_MS);
  });
  it('a 418 or 429 reports the wait the governor holds: an HTTP-date read against the reply time, a zero or past value as the default', () => {
    const t = (status: 418 | 429, ra: string, nowMs = 4_000) =>
      classify({ phase: 'response', callKind: 'order', status, body: { parsed: false, raw: '' }, headers: { 'retry-after': ra }, nowMs });
    expect(t(429, new Date(3_604_000).toUTCString())).toMatchObject({ kind: 'THROTTLED', retryAfterMs: 3_600_000 });
    expect(t(418, '0')).toMatchObject({ kind: 'THROTTLED', retryAfterMs: DEFAULT_RETRY_AFTER_MS[418] });
    expect(t(429, '-1')).toMatchObject({ kind: 'THROTTLED', retryAfterMs: DEFAULT_RETRY_AFTER_MS[429] });
  });
});
