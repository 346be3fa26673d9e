import { createHmac, createPrivateKey, sign, type KeyObject } from 'node:crypto';

/**
 * Binance signs the exact bytes of the query string (plus the body, which we never send: every
 * parameter travels in the query, for GET, POST and DELETE alike). So the query is built once, in
 * the caller's parameter order, signed, and sent verbatim. Parameter values are strings only:
 * prices and quantities never pass through a number on the way to the venue.
 */

export type Params = Readonly<Record<string, string | undefined>>;

export type Signer = { readonly kind: 'HMAC_SHA256'; readonly secret: string } | { readonly kind: 'ED25519'; readonly privateKeyPem: string };

/** Unreserved characters, which encodeURIComponent leaves as they are: most values skip the call. */
const PLAIN = /^[A-Za-z0-9_.~-]*$/;
const encode = (s: string): string => (PLAIN.test(s) ? s : encodeURIComponent(s));

/** Query string in insertion order; undefined values are omitted, everything percent-encoded. */
export function buildQuery(params: Params): string {
  let out = '';
  for (const k of Object.keys(params)) {
    const v = params[k];
    if (v === undefined) continue;
    out += `${out === '' ? '' : '&'}${encode(k)}=${encode(v)}`;
  }
  return out;
}

export function hmacSha256Hex(payload: string, secret: string | Buffer): string {
  return createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
}

const keyCache = new WeakMap<object, KeyObject>();
/** HMAC keys as bytes, converted once per signer rather than on every request. */
const hmacKeys = new WeakMap<object, Buffer>();

export function ed25519Base64(payload: string, privateKeyPem: string): string {
  return sign(null, Buffer.from(payload, 'utf8'), createPrivateKey(privateKeyPem)).toString('base64');
}

/**
 * The signer for the configured key type (exchange.api_key_type). For ed25519 the secrets file's
 * api_secret holds the private key in PEM (PKCS#8); it is parsed here once, so a key that is not
 * an Ed25519 private key is found at start, not on the first order. The reason never quotes it.
 */
export function signerFor(
  keyType: 'hmac' | 'ed25519',
  secret: string,
): { readonly ok: true; readonly signer: Signer } | { readonly ok: false; readonly why: string } {
  if (keyType === 'hmac') return { ok: true, signer: { kind: 'HMAC_SHA256', secret } };
  let key: KeyObject;
  try {
    key = createPrivateKey(secret);
  } catch {
    return { ok: false, why: 'exchange.api_key_type is ed25519 but api_secret is not a private key in PEM' };
  }
  if (key.asymmetricKeyType !== 'ed25519')
    return { ok: false, why: `exchange.api_key_type is ed25519 but api_secret holds a ${key.asymmetricKeyType ?? 'non-asymmetric'} key` };
  const signer: Signer = { kind: 'ED25519', privateKeyPem: secret };
  keyCache.set(signer, key);
  return { ok: true, signer };
}

/** Signs `payload`; the result is ready to append as `signature=<value>` (already URL-encoded). */
export function signPayload(payload: string, signer: Signer): string {
  if (signer.kind === 'HMAC_SHA256') {
    let k = hmacKeys.get(signer);
    if (!k) {
      k = Buffer.from(signer.secret, 'utf8');
      hmacKeys.set(signer, k);
    }
    return hmacSha256Hex(payload, k);
  }
  let key = keyCache.get(signer);
  if (!key) {
    key = createPrivateKey(signer.privateKeyPem);
    keyCache.set(signer, key);
  }
  return encodeURIComponent(sign(null, Buffer.from(payload, 'utf8'), key).toString('base64'));
}

export type SignedQuery = {
  /** The query that was signed, without the signature. Safe to log. */
  readonly unsignedQuery: string;
  /** What goes on the wire: unsignedQuery + '&signature=...'. Never log this. */
  readonly signedQuery: string;
};

/**
 * Adds recvWindow and timestamp (exchange time: local clock + measured offset), then the signature.
 * Caller parameters named timestamp/recvWindow/signature are refused: they would change what is signed.
 */
export function buildSignedQuery(params: Params, opts: { readonly signer: Signer; readonly timestampMs: number; readonly recvWindowMs: number }): SignedQuery {
  for (const reserved of ['timestamp', 'recvWindow', 'signature']) {
    if (params[reserved] !== undefined) throw new Error(`buildSignedQuery: parameter ${reserved} is set by the signer`);
  }
  if (!Number.isSafeInteger(opts.timestampMs) || opts.timestampMs <= 0) throw new Error('buildSignedQuery: timestamp must be a positive integer ms');
  if (!Number.isSafeInteger(opts.recvWindowMs) || opts.recvWindowMs <= 0 || opts.recvWindowMs > 60_000)
    throw new Error('buildSignedQuery: recvWindow must be 1..60000 ms');
  // Appended after the caller's parameters, exactly as a merged object would serialise them.
  const rest = buildQuery(params);
  const unsignedQuery = `${rest}${rest === '' ? '' : '&'}recvWindow=${opts.recvWindowMs}&timestamp=${opts.timestampMs}`;
  return { unsignedQuery, signedQuery: `${unsignedQuery}&signature=${signPayload(unsignedQuery, opts.signer)}` };
}

const SCRUB_RE = /([?&;](?:signature|apiKey|api_key|apikey|listenKey|secret|secretKey)=)[^&#\s]*/gi;

/** Removes signature and key values from a URL or any text holding one, for logs and errors. */
export function scrubUrl(text: string): string {
  return text.replace(SCRUB_RE, '$1[REDACTED]');
}
