import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createPanelApp, type PanelSource } from './app.js';
import { isLoopbackHost } from './security.js';

/** Open panel connections at once (browser tabs keep a few each); more are dropped on accept. */
export const PANEL_MAX_CONNECTIONS = 64;

export interface PanelServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Binds the panel on loopback only: the system is Live-only, and Live never binds elsewhere. */
export async function startPanel(source: PanelSource, host: string, port: number): Promise<PanelServer> {
  if (!isLoopbackHost(host)) {
    throw Object.assign(new Error(`panel.host "${host}" is not loopback: the panel never binds elsewhere in Live`), { code: 'PANEL_BIND_REFUSED' });
  }
  let bound = port;
  const app = createPanelApp(source, () => bound);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host === 'localhost' ? '127.0.0.1' : host, port }, () => resolve(s));
    s.once('error', reject);
  });
  bound = (server.address() as AddressInfo).port;
  // A local process holding thousands of sockets (or sending headers a line every 10 s) must not
  // pile file descriptors onto the process whose threads trade: a bounded number of connections,
  // and a request's headers within seconds.
  const http = server as unknown as { maxConnections: number; headersTimeout: number; requestTimeout: number };
  http.maxConnections = PANEL_MAX_CONNECTIONS;
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets of an open browser tab would hold close() forever.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
