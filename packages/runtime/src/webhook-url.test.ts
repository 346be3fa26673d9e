import { describe, expect, it } from 'vitest';
import { redact, redactString } from '@vigil/core';
import { parseConfig } from './config-load.js';
import { configForRecord, registerWebhookUrls, webhookDisplay, webhookFingerprint } from './webhook-url.js';

const TOKEN = 'CANARYWEBHOOKTOKENunit7c1e';
const SLACK = `https://hooks.slack.com/services/T000/B000/${TOKEN}`;
const DISCORD = `https://discord.com:8443/api/webhooks/1234/${TOKEN}x`;

describe('webhook URLs are shown as scheme, host and a fingerprint', () => {
  it('the display form keeps scheme, host and port, drops path and query, and tells two URLs apart', () => {
    expect(webhookDisplay(SLACK)).toBe(`https://hooks.slack.com/[webhook sha256:${webhookFingerprint(SLACK)}]`);
    expect(webhookDisplay(DISCORD)).toMatch(/^https:\/\/discord\.com:8443\/\[webhook sha256:[0-9a-f]{8}\]$/);
    expect(webhookDisplay(`${SLACK}?a=1`)).not.toBe(webhookDisplay(SLACK));
    expect(webhookDisplay(SLACK)).not.toContain(TOKEN);
  });

  it('after registration, a delivery error that quotes the URL, its path or its token is redacted', () => {
    registerWebhookUrls([SLACK]);
    const msg = `RequestError: request to ${SLACK} failed (path /services/T000/B000/${TOKEN}, token ${TOKEN})`;
    const out = redactString(msg);
    expect(out).not.toContain(TOKEN);
    expect(out).toContain(webhookDisplay(SLACK));
    expect(JSON.stringify(redact({ e: msg, list: [SLACK] }))).not.toContain(TOKEN);
  });

  it('the configuration as recorded (CONFIG_LOADED, doctor) carries display forms, not the URLs', () => {
    const r = parseConfig({ alerts: { webhook_urls: [SLACK, DISCORD] } });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const rec = configForRecord(r.config);
    expect(rec.alerts.webhook_urls).toEqual([webhookDisplay(SLACK), webhookDisplay(DISCORD)]);
    expect(JSON.stringify(rec)).not.toContain(TOKEN);
    // The configuration used to send is unchanged.
    expect(r.config.alerts.webhook_urls).toEqual([SLACK, DISCORD]);
  });
});
