import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookBody } from '../alerts.js';

/** A real HTTP receiver on loopback; `answer` decides each response by its 1-based request number. */
export async function receiver(
  answer: (n: number, res: ServerResponse) => void,
): Promise<{ url: string; bodies: WebhookBody[]; headers: IncomingMessage['headers'][]; count: () => number; close: () => Promise<void> }> {
  const bodies: WebhookBody[] = [];
  const headers: IncomingMessage['headers'][] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      n++;
      headers.push(req.headers);
      bodies.push(JSON.parse(text) as WebhookBody);
      answer(n, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=abc`;
  return {
    url,
    bodies,
    headers,
    count: () => n,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
