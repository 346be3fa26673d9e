import { describe, expect, it } from 'vitest';
import { REDACTED, redactString } from '@vigil/core';
import { parseConfig } from './config-load.js';
import { registerProcessSecrets } from './secrets.js';
import { configForRecord, queryBlanked } from './webhook-url.js';

describe('every secret of the process is known to the redactor of each thread that calls registerProcessSecrets', () => {
  it('OPENAI_API_KEY of any format (not only sk-...) and the exchange credentials are scrubbed once registered', () => {
    const r = parseConfig({});
    if (!r.ok) throw new Error('config');
    const cfg = r.config;
    const ai = 'gsk_PRBOAIcanary0123456789abcdef';
    expect(redactString(`401 Invalid API key provided: ${ai}`)).toContain(ai); // no pattern knows this format
    registerProcessSecrets(cfg, { api_key: 'PRBKEYa1canary0123456789', api_secret: 'PRBSECz9canary9876543210' }, { OPENAI_API_KEY: ai });
    expect(redactString(`401 Invalid API key provided: ${ai}`)).toBe(`401 Invalid API key provided: ${REDACTED}`);
    expect(redactString('logon refused for PRBKEYa1canary0123456789 / PRBSECz9canary9876543210')).toBe(`logon refused for ${REDACTED} / ${REDACTED}`);
  });
});

describe('configured endpoints: a query is recorded with its values blanked, and its values are scrubbed wherever quoted', () => {
  it('queryBlanked keeps the names and the fragment, blanks every value', () => {
    expect(queryBlanked('http://h/v1?code=abc&x=1#f')).toBe(`http://h/v1?code=${REDACTED}&x=${REDACTED}#f`);
    expect(queryBlanked('http://h/v1')).toBe('http://h/v1');
    expect(queryBlanked('http://h/v1?flag')).toBe('http://h/v1?flag');
  });

  it("configForRecord blanks the REST, stream and AI gate URLs' query values (a credential under a name no pattern knows: ?code=) and registers them", () => {
    const r = parseConfig({
      exchange: { rest_base_url: 'http://127.0.0.1:1/?region=PRBQTOKEN1canary', ws_market_url: 'ws://127.0.0.1:1/?t=PRBQTOKEN2canary' },
      aigate: { base_url: 'http://127.0.0.1:1/v1?code=PRBQTOKEN3canary' },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const rec = JSON.stringify(configForRecord(r.config));
    expect(rec).not.toMatch(/PRBQTOKEN/);
    expect(rec).toContain(`code=${REDACTED}`);
    expect(redactString('connect failed for http://127.0.0.1:1/v1?code=PRBQTOKEN3canary')).not.toMatch(/PRBQTOKEN/);
  });
});
