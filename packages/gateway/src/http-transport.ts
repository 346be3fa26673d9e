import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';

/**
 * One HTTP exchange over node:http(s), nothing more: no retry, no redirect, one total timeout, the
 * path and query sent byte for byte as given (they are what was signed). What it adds is evidence
 * for the one question a failed order call raises, "could the venue have received it?": whether
 * the connection could carry the request (TCP connected for http, TLS done for https, or a reused
 * keep-alive socket), whether the request was fully written, whether a response began.
 *
 * Why not a general-purpose client: an order's round trip is on the engine's critical path, and
 * the client library's per-request option handling cost more than the rest of the gateway
 * together (docs/12_DECISIONS_LOG.md, 2026-12-02).
 */

export type HttpExchange = {
  readonly method: string;
  /** Path plus query, exactly as it goes on the wire. */
  readonly pathAndQuery: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
};

export type TransportEvidence = {
  /** Connected (http), TLS established (https), or a reused keep-alive socket. */
  readonly connectionReady: boolean;
  /** The request was fully handed to the socket. */
  readonly uploaded: boolean;
  /** Response headers arrived. */
  readonly responded: boolean;
};

export type HttpReply =
  | { readonly ok: true; readonly status: number; readonly headers: http.IncomingHttpHeaders; readonly body: string }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly evidence: TransportEvidence };

export type HttpTransport = {
  send(x: HttpExchange): Promise<HttpReply>;
  close(): void;
};

/** Sent with every request; the venue may then compress, and we decode what it says it used. */
export const ACCEPT_ENCODING = 'gzip, deflate, br';

/**
 * The most a reply may hold, as received and once decoded. The largest replies we ask for (a
 * thousand trades or orders, exchangeInfo for the configured symbols) are well under 2 MiB. Without
 * a bound, a broken proxy or a hostile peer answering an order with a 600 MiB body (or a 600 KB gzip
 * bomb) made the thread throw outside any handler (a string past V8's limit) after the order left.
 */
export const MAX_REPLY_BYTES = 32 * 1024 * 1024;

/** The code of a reply refused for its size: the request may have been acted on (UNKNOWN for an order). */
export const REPLY_TOO_LARGE = 'ERR_REPLY_TOO_LARGE';

export function createHttpTransport(baseUrl: string, o: { readonly maxReplyBytes?: number } = {}): HttpTransport {
  const maxBytes = o.maxReplyBytes ?? MAX_REPLY_BYTES;
  const base = new URL(baseUrl);
  const isHttps = base.protocol === 'https:';
  if (!isHttps && base.protocol !== 'http:') throw new Error(`unsupported protocol ${base.protocol}`);
  const agent = isHttps ? new https.Agent({ keepAlive: true, timeout: 30_000 }) : new http.Agent({ keepAlive: true, timeout: 30_000 });
  const host = base.hostname.startsWith('[') ? base.hostname.slice(1, -1) : base.hostname;
  const port = base.port === '' ? (isHttps ? 443 : 80) : Number(base.port);
  const request = isHttps ? https.request : http.request;

  const send = (x: HttpExchange): Promise<HttpReply> =>
    new Promise((resolve) => {
      let connectionReady = false;
      let uploaded = false;
      let responded = false;
      let settled = false;
      // eslint-disable-next-line prefer-const -- assigned once below, but read by fail() first
      let timer: NodeJS.Timeout | undefined;
      const fail = (e: unknown): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        const err = e as NodeJS.ErrnoException;
        resolve({
          ok: false,
          code: typeof err?.code === 'string' ? err.code : 'ERR_TRANSPORT',
          message: err instanceof Error ? err.message : String(e),
          evidence: { connectionReady, uploaded, responded },
        });
      };
      let req: http.ClientRequest;
      try {
        req = request({ host, port, method: x.method, path: x.pathAndQuery, headers: x.headers, agent, ...(isHttps ? { servername: host } : {}) });
      } catch (e) {
        // Thrown while building the request (bad header or path): nothing was written.
        fail(e);
        return;
      }
      timer = setTimeout(() => {
        const e = Object.assign(new Error(`Timeout awaiting 'request' for ${x.timeoutMs}ms`), { code: 'ETIMEDOUT' });
        fail(e);
        req.destroy(e);
      }, x.timeoutMs);
      req.once('socket', (s: Socket) => {
        if (req.reusedSocket || !s.connecting) connectionReady = true;
        else s.once(isHttps ? 'secureConnect' : 'connect', () => (connectionReady = true));
      });
      req.once('finish', () => (uploaded = true));
      req.once('error', fail);
      req.once('response', (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        let received = 0;
        const tooLarge = (what: string): void => {
          const e = Object.assign(new Error(`reply ${what} more than ${maxBytes} bytes: refused`), { code: REPLY_TOO_LARGE });
          fail(e);
          req.destroy(e);
        };
        res.on('data', (c: Buffer) => {
          if (settled) return;
          received += c.length;
          if (received > maxBytes) return tooLarge('body of');
          chunks.push(c);
        });
        res.once('error', fail);
        res.once('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
        res.once('end', () => {
          if (settled) return;
          const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          const done = (e: Error | null, buf: Buffer): void => {
            if (settled) return;
            // zlib stops at maxOutputLength with ERR_BUFFER_TOO_LARGE: a bomb is a size refusal.
            if (e)
              return (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
                ? tooLarge('decoding to')
                : fail(Object.assign(e, { code: 'ERR_CONTENT_DECODING' }));
            settled = true;
            clearTimeout(timer);
            resolve({ ok: true, status: res.statusCode ?? 0, headers: res.headers, body: buf.toString('utf8') });
          };
          const enc = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
          const limit = { maxOutputLength: maxBytes };
          if (enc === 'gzip' || enc === 'x-gzip') gunzip(raw, limit, done);
          else if (enc === 'deflate') inflate(raw, limit, done);
          else if (enc === 'br') brotliDecompress(raw, limit, done);
          else done(null, raw);
        });
      });
      req.end();
    });

  return { send, close: () => agent.destroy() };
}
