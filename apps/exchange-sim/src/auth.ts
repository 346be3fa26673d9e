import { createHmac, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import type { ApiKey, VenueError } from './exchange.js';

/**
 * SIGNED endpoint checks in Binance's order: key, signature over the exact query string followed
 * by the body, then timestamp against the server clock and recvWindow.
 */
export function checkSigned(
  keys: ReadonlyMap<string, ApiKey>,
  headerKey: string | undefined,
  rawQuery: string,
  rawBody: string,
  params: Record<string, string>,
  serverNow: number,
): { ok: true; key: ApiKey } | { ok: false; err: VenueError } {
  if (!headerKey) return { ok: false, err: { http: 401, code: -2014, msg: 'API-key format invalid.' } };
  const key = keys.get(headerKey);
  if (!key) return { ok: false, err: { http: 401, code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' } };
  const sig = params['signature'];
  if (!sig) return { ok: false, err: { http: 400, code: -1102, msg: "Mandatory parameter 'signature' was not sent, was empty/null, or malformed." } };
  const payload = stripSignature(rawQuery) + stripSignature(rawBody);
  if (!verifySignature(key, payload, sig)) return { ok: false, err: { http: 400, code: -1022, msg: 'Signature for this request is not valid.' } };
  const timing = checkTimestamp(params['timestamp'], params['recvWindow'], serverNow);
  if (timing) return { ok: false, err: timing };
  return { ok: true, key };
}

/**
 * Binance's timing rule (request security, "Timing security"): a request is processed only when
 * `timestamp < serverTime + 1000 && serverTime - timestamp <= recvWindow`. So a timestamp 1000 ms
 * or more in the future is refused as well as a stale one; both are -1021. recvWindow defaults to
 * 5000 and may not exceed 60000. Shared by REST and the WebSocket API.
 */
export function checkTimestamp(timestamp: string | number | undefined, recvWindowRaw: string | number | undefined, serverNow: number): VenueError | null {
  const ts = Number(timestamp);
  if (timestamp === undefined || timestamp === '' || !Number.isFinite(ts))
    return { http: 400, code: -1102, msg: "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed." };
  const recvWindow = recvWindowRaw === undefined ? 5000 : Number(recvWindowRaw);
  if (!Number.isFinite(recvWindow) || recvWindow > 60_000) return { http: 400, code: -1131, msg: 'recvWindow must be less than 60000' };
  if (ts >= serverNow + 1000) return { http: 400, code: -1021, msg: "Timestamp for this request was 1000ms ahead of the server's time." };
  if (serverNow - ts > recvWindow) return { http: 400, code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' };
  return null;
}

/** The signature covers everything before it: drop `signature=...` (it is the last parameter). */
function stripSignature(s: string): string {
  return s.replace(/&?signature=[^&]*/, '');
}

/**
 * One signature over `payload` by the key's type: HMAC-SHA256 hex for an HMAC key, Ed25519 (base64)
 * for a key registered with a public key, as Binance verifies each.
 */
export function verifySignature(key: ApiKey, payload: string, sig: string): boolean {
  if (key.publicKeyPem !== undefined) {
    try {
      return verify(null, Buffer.from(payload, 'utf8'), createPublicKey(key.publicKeyPem), Buffer.from(sig, 'base64'));
    } catch {
      return false;
    }
  }
  const a = Buffer.from(createHmac('sha256', key.secretKey).update(payload).digest('hex'));
  const b = Buffer.from(sig.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}
