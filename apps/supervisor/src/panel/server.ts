import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createPanelApp, type PanelSource } from './app.js';
import { isLoopbackHost } from './security.js';

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
