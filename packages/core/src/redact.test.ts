import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactString, registerSecret } from './redact.js';

describe('redact', () => {
  it('removes secret-named keys, deeply, without mutating the input', () => {
    const input = { a: 1, api_secret: 'abc', nested: { apiKey: 'k', list: [{ signature: 'sig' }] }, ok: 'fine' };
    const out = redact(input);
    expect(out).toEqual({ a: 1, api_secret: REDACTED, nested: { apiKey: REDACTED, list: [{ signature: REDACTED }] }, ok: 'fine' });
    expect(input.api_secret).toBe('abc');
  });
  it('scrubs signatures and keys inside URLs, query strings and headers', () => {
    expect(redactString('/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=deadbeef00')).toBe(
      `/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=${REDACTED}`,
    );
    expect(redactString('X-MBX-APIKEY: abcdef123456')).toBe(`X-MBX-APIKEY: ${REDACTED}`);
    expect(redactString('Authorization: Bearer sk-abcdefghijklmnopqrstu')).not.toContain('sk-abc');
  });
  it('scrubs a registered secret wherever it appears', () => {
    registerSecret('CANARY-7f3a9c2e-secret');
    expect(JSON.stringify(redact({ note: 'leaked CANARY-7f3a9c2e-secret here', deep: ['CANARY-7f3a9c2e-secret'] }))).not.toContain('CANARY-7f3a9c2e');
  });
  it('cuts cycles instead of recursing forever', () => {
    const a: Record<string, unknown> = { x: 1 };
    a['self'] = a;
    expect(redact(a)).toEqual({ x: 1, self: '[CYCLE]' });
  });
  it('keeps an object shared by two branches (a DAG, not a cycle) in both, and still redacts secrets in each', () => {
    const shared = { qty: '0.5', api_key: 'abc' };
    expect(redact({ before: shared, after: shared, list: [shared, shared] })).toEqual({
      before: { qty: '0.5', api_key: '[REDACTED]' },
      after: { qty: '0.5', api_key: '[REDACTED]' },
      list: [
        { qty: '0.5', api_key: '[REDACTED]' },
        { qty: '0.5', api_key: '[REDACTED]' },
      ],
    });
  });
});
