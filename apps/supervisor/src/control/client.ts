import { createConnection } from 'node:net';
import { MAX_REQUEST_BYTES, parseControlReply, type ControlReply, type ControlRequest } from './protocol.js';

export class ControlConnectError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Replies are small; a peer that sends more is not the supervisor we expect. */
const MAX_REPLY_BYTES = 64 * 1024;

/** One request, one reply, over the control socket. Rejects with ControlConnectError when nothing answered. */
export function sendControl(path: string, req: ControlRequest, timeoutMs: number): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    let buf = Buffer.alloc(0);
    let connected = false;
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      f();
    };
    // Bounded by the supervisor's critical audit write; a silent peer is an error, not a success.
    const timer = setTimeout(
      () => finish(() => reject(new ControlConnectError(connected ? 'TIMEOUT' : 'CONNECT_TIMEOUT', `no reply within ${timeoutMs} ms`))),
      timeoutMs,
    );
    sock.on('connect', () => {
      connected = true;
      const line = JSON.stringify(req);
      if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) return finish(() => reject(new ControlConnectError('TOO_LARGE', 'request too large')));
      sock.write(`${line}\n`);
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > MAX_REPLY_BYTES) return finish(() => reject(new ControlConnectError('BAD_REPLY', 'reply too large')));
      const nl = buf.indexOf(0x0a);
      if (nl < 0) return;
      const reply = parseControlReply(buf.subarray(0, nl).toString('utf8'), req.id);
      finish(() => (reply ? resolve(reply) : reject(new ControlConnectError('BAD_REPLY', 'reply not understood'))));
    });
    sock.on('error', (e: NodeJS.ErrnoException) =>
      finish(() => reject(new ControlConnectError(connected ? 'BROKEN' : (e.code ?? 'CONNECT_FAILED'), e.message))),
    );
    sock.on('close', () => finish(() => reject(new ControlConnectError(connected ? 'NO_REPLY' : 'CONNECT_FAILED', 'connection closed without a reply'))));
  });
}
