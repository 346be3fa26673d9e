import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, jsonTextMayNeedRedaction, redact, redactString } from './redact.js';

/**
 * URLs are audited (CONFIG_LOADED), logged, printed by doctor and shown on the panel: credentials in
 * the userinfo and query-string parameters that name a secret are redacted wherever they appear.
 */
const CANARY = 'CANARYurlsecret0c4f9e21';

describe('redaction of secrets inside URLs', () => {
  it.each([
    'token',
    'key',
    'Key',
    'api_key',
    'apikey',
    'APIKEY',
    'signature',
    'sig',
    'secret',
    'client_secret',
    'password',
    'passwd',
    'pwd',
    'access_token',
    'auth',
    'X-Api-Key',
    'webhook_key',
    'credential',
  ])('query parameter %s is redacted', (name) => {
    const u = `https://hooks.example.com/services/a?ok=1&${name}=${CANARY}&x=2`;
    const out = redactString(u);
    expect(out).not.toContain(CANARY);
    expect(out).toContain('ok=1');
    expect(out).toContain('x=2');
    expect(out).toContain(REDACTED);
  });

  it('userinfo (user:password@) is redacted in any scheme', () => {
    for (const u of [`https://operator:${CANARY}@example.com/x`, `wss://${CANARY}@example.com`, `http://u:${CANARY}@127.0.0.1:8080/`]) {
      expect(redactString(u)).not.toContain(CANARY);
      expect(redactString(`connecting to ${u} now`)).toContain('now');
    }
  });

  it('the configuration as audited carries no webhook token (CONFIG_LOADED is redact(config))', () => {
    const cfg = {
      alerts: { webhook_urls: [`https://hooks.example.com/h?key=${CANARY}`, `https://h2.example.com/p?Signature=${CANARY}&a=b`] },
      exchange: { rest_base_url: `https://x:${CANARY}@api.example.com` },
    };
    expect(JSON.stringify(redact(cfg))).not.toContain(CANARY);
  });

  it('innocent parameters and text are left alone', () => {
    for (const s of ['https://api.binance.com/api/v3/order?symbol=BTCUSDT&side=BUY', 'a@b.example', 'mailto:ops@example.com', 'monkey business', 'risk-off']) {
      expect(redactString(s)).toBe(s);
    }
  });

  it('jsonTextMayNeedRedaction stays true whenever the new URL patterns would redact', () => {
    const name = fc.constantFrom('key', 'token', 'password', 'sig', 'auth', 'apikey', 'q', 'symbol');
    const url = fc
      .record({ user: fc.option(fc.stringMatching(/^[a-zA-Z0-9]{1,12}$/)), name, value: fc.stringMatching(/^[a-zA-Z0-9]{1,20}$/) })
      .map(({ user, name: n, value }) => `https://${user ? `${user}:${value}@` : ''}example.com/p?${n}=${value}`);
    fc.assert(
      fc.property(url, (u) => {
        const v = { u, list: [u] };
        if (redact(v) !== v) expect(jsonTextMayNeedRedaction(JSON.stringify(v))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
