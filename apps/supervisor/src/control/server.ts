import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { Rejection } from '@vigil/runtime';
import { MAX_REQUEST_BYTES, parseControlRequest, type ControlReply, type ControlRequest } from './protocol.js';

export function controlSocketPath(varDir: string): string {
  return join(varDir, 'run', 'control.sock');
}

/** Unix socket paths are limited (108 bytes on Linux with the terminator). */
export const MAX_SOCKET_PATH_BYTES = 100;
/** A connection that does not finish its request within this is closed. */
const REQUEST_IDLE_MS = 10_000;

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

export interface ControlServerOptions {
  readonly path: string;
  readonly apply: (req: ControlRequest) => Promise<ControlReply>;
  readonly onReject: (r: Rejection) => void;
  readonly onError?: (e: Error) => void;
}

/**
 * The supervisor's end of the operator control channel: a Unix domain socket created with mode
 * 0600 (only this user can connect), one request per connection, requests bounded in size and
 * validated strictly before anything is applied. Started only by a supervisor that holds the run
 * lock, so a socket file left by a crashed run is ours to replace.
 */
export async function startControlServer(o: ControlServerOptions): Promise<ControlServer> {
  if (Buffer.byteLength(o.path) > MAX_SOCKET_PATH_BYTES) throw new Error(`control socket path longer than ${MAX_SOCKET_PATH_BYTES} bytes: ${o.path}`);
  mkdirSync(dirname(o.path), { recursive: true, mode: 0o700 });
  rmSync(o.path, { force: true });
  const server = createServer({ allowHalfOpen: true }, (sock) => serve(sock, o));
  server.on('error', (e) => o.onError?.(e));
  // The umask makes the socket 0600 from its creation (no window in which another user could
  // connect); the chmod and the check below make sure of it whatever the platform does.
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(old);
  }
  chmodSync(o.path, 0o600);
  const mode = lstatSync(o.path).mode & 0o777;
  if (mode !== 0o600) {
    await closeServer(server, o.path);
    throw new Error(`control socket ${o.path} has mode ${mode.toString(8)}, not 600`);
  }
  return { path: o.path, close: () => closeServer(server, o.path) };
}

function closeServer(server: Server, path: string): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      // A var dir gone read-only (a disk error remounted it) must not turn an orderly stop into a
      // crash: the stale socket is handled by the next start.
      try {
        rmSync(path, { force: true });
      } catch {
        /* left for the next start */
      }
      resolve();
    });
  });
}

function serve(sock: Socket, o: ControlServerOptions): void {
  let buf = Buffer.alloc(0);
  let handled = false;
  sock.setTimeout(REQUEST_IDLE_MS, () => sock.destroy());
  sock.on('error', () => sock.destroy());
  const reply = (r: ControlReply): void => {
    sock.end(`${JSON.stringify(r)}\n`);
  };
  const refuse = (code: Rejection['code'], message: string, id: string | null): void => {
    o.onReject({ channel: 'control', code, detail: message });
    reply({ v: 1, id, ok: false, code, message });
  };
  const handle = (line: string): void => {
    handled = true;
    const p = parseControlRequest(line);
    if (!p.ok) return refuse(p.code, p.message, p.id);
    o.apply(p.req).then(reply, (e: unknown) =>
      reply({ v: 1, id: p.req.id, ok: false, code: 'AUDIT_WRITE_FAILED', message: `not applied: ${(e as Error).message}` }),
    );
  };
  sock.on('data', (chunk: Buffer) => {
    if (handled) return;
    buf = Buffer.concat([buf, chunk]);
    const nl = buf.indexOf(0x0a);
    if (nl >= 0 && nl <= MAX_REQUEST_BYTES) return handle(buf.subarray(0, nl).toString('utf8'));
    if (buf.length > MAX_REQUEST_BYTES) {
      handled = true;
      refuse('CHANNEL_MALFORMED', `request larger than ${MAX_REQUEST_BYTES} bytes`, null);
    }
  });
  sock.on('end', () => {
    // A request without its newline is incomplete: refused, not guessed at.
    if (!handled) {
      handled = true;
      refuse('CHANNEL_MALFORMED', 'request ended without a newline', null);
    }
  });
}
