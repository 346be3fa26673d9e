import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildQuery, buildSignedQuery, ed25519Base64, hmacSha256Hex, scrubUrl, signPayload } from './signing.js';

// Binance rest-api.md "SIGNED Endpoint Examples" (HMAC keys); the expected signature was also
// recomputed independently with node:crypto before being written here.
const DOC_SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';
const DOC_QUERY = 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559';
const DOC_SIGNATURE = 'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71';

describe('HMAC-SHA256', () => {
  it('matches the documented vector', () => {
    expect(hmacSha256Hex(DOC_QUERY, DOC_SECRET)).toBe(DOC_SIGNATURE);
  });
  it('builds the documented query in parameter order and signs it', () => {
    const q = buildSignedQuery(
      { symbol: 'LTCBTC', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '1', price: '0.1' },
      { signer: { kind: 'HMAC_SHA256', secret: DOC_SECRET }, timestampMs: 1499827319559, recvWindowMs: 5000 },
    );
    expect(q.unsignedQuery).toBe(DOC_QUERY);
    expect(q.signedQuery).toBe(`${DOC_QUERY}&signature=${DOC_SIGNATURE}`);
  });
  it('refuses reserved parameters and bad timing values', () => {
    const signer = { kind: 'HMAC_SHA256', secret: 's' } as const;
    expect(() => buildSignedQuery({ timestamp: '1' }, { signer, timestampMs: 1, recvWindowMs: 5000 })).toThrow();
    expect(() => buildSignedQuery({}, { signer, timestampMs: 1.5, recvWindowMs: 5000 })).toThrow();
    expect(() => buildSignedQuery({}, { signer, timestampMs: 1, recvWindowMs: 60_001 })).toThrow();
  });
});

describe('buildQuery', () => {
  it('omits undefined, percent-encodes and keeps order', () => {
    expect(buildQuery({ b: '1', a: undefined, c: 'x y&z', newClientOrderId: 'ab-_9' })).toBe('b=1&c=x%20y%26z&newClientOrderId=ab-_9');
  });
});

// The plain encodeURIComponent-everything serialisation the fast path must reproduce byte for byte.
const reference = (params: Record<string, string | undefined>): string =>
  Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');

describe('query serialisation properties', () => {
  const arbParams = fc.dictionary(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((k) => !['timestamp', 'recvWindow', 'signature'].includes(k) && k !== '__proto__'),
    fc.option(fc.string({ unit: 'binary', maxLength: 24 }), { nil: undefined }),
    { maxKeys: 8 },
  );
  it('buildQuery equals encodeURIComponent of every key and value, in order', () => {
    fc.assert(
      fc.property(arbParams, (params) => {
        expect(buildQuery(params)).toBe(reference(params));
      }),
      { numRuns: 500 },
    );
  });
  it('buildSignedQuery signs exactly the parameters followed by recvWindow and timestamp', () => {
    fc.assert(
      fc.property(arbParams, fc.integer({ min: 1, max: 2 ** 45 }), fc.integer({ min: 1, max: 60_000 }), (params, ts, rw) => {
        const q = buildSignedQuery(params, { signer: { kind: 'HMAC_SHA256', secret: DOC_SECRET }, timestampMs: ts, recvWindowMs: rw });
        const want = reference({ ...params, recvWindow: String(rw), timestamp: String(ts) });
        expect(q.unsignedQuery).toBe(want);
        expect(q.signedQuery).toBe(`${want}&signature=${hmacSha256Hex(want, DOC_SECRET)}`);
      }),
      { numRuns: 300 },
    );
  });
});

describe('Ed25519', () => {
  it('produces a URL-encoded base64 signature that verifies with the public key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const payload = 'symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=0.2&timestamp=1668481559918&recvWindow=5000';
    const sig = signPayload(payload, { kind: 'ED25519', privateKeyPem: pem });
    expect(sig).not.toMatch(/[+/=]/);
    expect(decodeURIComponent(sig)).toBe(ed25519Base64(payload, pem));
    expect(
      verify(null, Buffer.from(payload), createPublicKey(publicKey.export({ format: 'pem', type: 'spki' })), Buffer.from(decodeURIComponent(sig), 'base64')),
    ).toBe(true);
  });
});

describe('scrubUrl', () => {
  it('removes signature and key values, keeps the rest', () => {
    const url = `https://api.binance.com/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=${DOC_SIGNATURE}&apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A`;
    const s = scrubUrl(url);
    expect(s).toBe('https://api.binance.com/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=[REDACTED]&apiKey=[REDACTED]');
    expect(scrubUrl(`GET ${url} failed`)).not.toContain(DOC_SIGNATURE);
    expect(scrubUrl('/x?listenKey=abc#frag')).toBe('/x?listenKey=[REDACTED]#frag');
  });
});
