import type { Context, MiddlewareHandler } from 'hono';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host);
}

/**
 * The panel is read-only and local by construction:
 * - only GET/HEAD: anything else is 405 before any route runs;
 * - Host must be a loopback name with our port (DNS rebinding: a foreign name resolving to
 *   127.0.0.1 still carries its own Host header);
 * - a browser-sent Origin or Sec-Fetch-Site from another site is refused;
 * - strict security headers: CSP without inline script, nosniff, no framing, no caching.
 */
export function panelGuard(port: () => number): MiddlewareHandler {
  return async (c, next) => {
    // On every answer: the refusals below too, and again after the route (whatever it built).
    secure(c);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      return c.json({ error: 'METHOD_NOT_ALLOWED', message: 'the panel is read-only' }, 405, { Allow: 'GET, HEAD' });
    }
    const p = port();
    const host = c.req.header('host') ?? '';
    if (!allowedHost(host, p)) {
      return c.json({ error: 'HOST_NOT_ALLOWED', message: 'unexpected Host header' }, 403);
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && !allowedOrigin(origin, p)) {
      return c.json({ error: 'ORIGIN_NOT_ALLOWED', message: 'cross-origin request refused' }, 403);
    }
    const site = c.req.header('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return c.json({ error: 'CROSS_SITE_REFUSED', message: `sec-fetch-site ${site} refused` }, 403);
    }
    await next();
    secure(c);
  };
}

function secure(c: Context): void {
  c.header(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  );
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('Cross-Origin-Resource-Policy', 'same-origin');
  c.header('Cache-Control', 'no-store');
}

function allowedHost(host: string, port: number): boolean {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (!m) return false;
  const name = m[1] ?? '';
  const hostPort = m[2] === undefined ? 80 : Number(m[2]);
  return isLoopbackHost(name) && hostPort === port;
}

function allowedOrigin(origin: string, port: number): boolean {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && allowedHost(u.host, port);
  } catch {
    return false;
  }
}
