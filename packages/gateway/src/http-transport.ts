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

export function createHttpTransport(baseUrl: string): HttpTransport {
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
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', fail);
        res.once('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
        res.once('end', () => {
          if (settled) return;
          const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          const done = (e: Error | null, buf: Buffer): void => {
            if (settled) return;
            if (e) return fail(Object.assign(e, { code: 'ERR_CONTENT_DECODING' }));
            settled = true;
            clearTimeout(timer);
            resolve({ ok: true, status: res.statusCode ?? 0, headers: res.headers, body: buf.toString('utf8') });
          };
          const enc = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
          if (enc === 'gzip' || enc === 'x-gzip') gunzip(raw, done);
          else if (enc === 'deflate') inflate(raw, done);
          else if (enc === 'br') brotliDecompress(raw, done);
          else done(null, raw);
        });
      });
      req.end();
    });

  return { send, close: () => agent.destroy() };
}
