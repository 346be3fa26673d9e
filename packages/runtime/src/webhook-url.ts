import { createHash } from 'node:crypto';
import type { Config } from '@vigil/contracts';
import { REDACTED, redact, registerSecret, registerSecretAs } from '@vigil/core';

/**
 * A webhook URL is a credential: Slack (`/services/T../B../<token>`), Discord
 * (`/api/webhooks/<id>/<token>`) and most receivers put the secret in the path, where no pattern can
 * tell it from an innocent path. So every configured webhook URL is shown only as scheme, host (and
 * port) and a fingerprint: the first 8 hex digits of the SHA-256 of the whole URL, enough to tell two
 * URLs apart, useless to rebuild one. The real URL is used only to send.
 */
export function webhookFingerprint(url: string): string {
  return createHash('sha256').update(url, 'utf8').digest('hex').slice(0, 8);
}

/** `https://hooks.slack.com/[webhook sha256:1a2b3c4d]`: what an operator sees for a webhook URL. */
export function webhookDisplay(url: string): string {
  const tag = `[webhook sha256:${webhookFingerprint(url)}]`;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/${tag}`;
  } catch {
    return tag;
  }
}

/** Path segments at least this long are registered alone too: a token printed without its URL. */
const SEGMENT_MIN = 16;

/**
 * Registers every webhook URL with the redaction of this thread (each thread has its own), so that a
 * URL in any log line, audit payload or error message (an HTTP client's "... for https://...") is
 * replaced by its display form, and its path, query or long path segments alone by [REDACTED].
 * Idempotent.
 */
export function registerWebhookUrls(urls: readonly string[]): void {
  for (const raw of urls) {
    const shown = webhookDisplay(raw);
    registerSecretAs(raw, shown);
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      continue;
    }
    // The normalized form too (an added trailing slash, percent-encoding): what a client prints.
    registerSecretAs(u.href, shown);
    const tail = u.href.slice(u.origin.length);
    if (tail.length >= 8) registerSecret(tail);
    for (const seg of u.pathname.split('/')) {
      if (seg.length >= SEGMENT_MIN) {
        registerSecret(seg);
        registerSecret(safeDecode(seg));
      }
    }
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The configuration as it may be recorded or shown (CONFIG_LOADED, doctor): webhook URLs replaced by
 * their display form explicitly (not only by registration, which is per thread), then redacted.
 */
export function configForRecord(c: Config): Config {
  registerWebhookUrls(c.alerts.webhook_urls);
  registerEndpointQueries(c);
  const ex = c.exchange;
  return redact({
    ...c,
    exchange: { ...ex, rest_base_url: queryBlanked(ex.rest_base_url), ws_market_url: queryBlanked(ex.ws_market_url), ws_api_url: queryBlanked(ex.ws_api_url) },
    aigate: { ...c.aigate, base_url: queryBlanked(c.aigate.base_url) },
    alerts: { ...c.alerts, webhook_urls: c.alerts.webhook_urls.map(webhookDisplay) },
  });
}

/** The endpoints a configuration names (venue REST and WebSockets, the AI gate). */
const endpoints = (c: Config): string[] => [c.exchange.rest_base_url, c.exchange.ws_market_url, c.exchange.ws_api_url, c.aigate.base_url];

/**
 * A query on an endpoint's base URL is how some gateways take a credential (`?code=` on an Azure
 * function, `?key=`), under names no pattern can know: every query value of the configured
 * endpoints is registered as a secret of this thread (at least 8 characters, as any literal), so an
 * error or reason that quotes the URL shows [REDACTED] there. Idempotent.
 */
export function registerEndpointQueries(c: Config): void {
  for (const url of endpoints(c)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      continue;
    }
    for (const v of u.searchParams.values()) {
      registerSecret(v);
      registerSecret(encodeURIComponent(v));
    }
  }
}

/** The URL with every query value replaced by [REDACTED] (names kept): how a recorded endpoint shows. */
export function queryBlanked(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const blanked = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? pair : `${pair.slice(0, eq)}=${REDACTED}`;
    })
    .join('&');
  return `${url.slice(0, q)}?${blanked}${hash < 0 ? '' : url.slice(hash)}`;
}
