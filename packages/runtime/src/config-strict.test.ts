import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REDACTED, redactString } from '@vigil/core';
import { formatConfigError, loadConfigFile, parseConfig } from './config-load.js';
import { CONFIG_SCHEMA } from './config-schema.js';
import { loadExchangeSecrets } from './secrets.js';

/**
 * Issue 17, "every input is bounded and strict": the config and secrets files are read only when
 * they are regular files of bounded size, an error never quotes their content, URLs speak only our
 * schemes and carry no credentials, every timeout and risk limit has a ceiling, and AI_DEC is
 * exactly "2" or a refusal. (FIFOs and /dev/zero would block or exhaust a test process on the old
 * code; test/integration/config-refusals.test.ts checks them through the CLI with a timeout.)
 */
const tmp = (): string => mkdtempSync(join(tmpdir(), 'cfg-strict-'));
const CANARY_CONTENT = 'CANARYfilecontent7f3a9c';
const CANARY_SECRET = 'CANARYsecretvalue0b1d2e3f4a5b';

describe('config file: regular files only, bounded, content never echoed', () => {
  it('refuses a directory as the config file with rule regular-file', () => {
    const d = tmp();
    const r = loadConfigFile(d);
    expect(r).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID', key: '(file)', rule: 'regular-file' } });
  });

  it('refuses a character device (/dev/null) as the config file with rule regular-file', () => {
    expect(loadConfigFile('/dev/null')).toMatchObject({ ok: false, error: { key: '(file)', rule: 'regular-file' } });
  });

  it('refuses a symlink to a directory, and follows a symlink to a regular file', () => {
    const d = tmp();
    mkdirSync(join(d, 'sub'));
    symlinkSync(join(d, 'sub'), join(d, 'link-dir'));
    expect(loadConfigFile(join(d, 'link-dir'))).toMatchObject({ ok: false, error: { rule: 'regular-file' } });
    writeFileSync(join(d, 'real.json'), '{}');
    symlinkSync(join(d, 'real.json'), join(d, 'link-file'));
    expect(loadConfigFile(join(d, 'link-file')).ok).toBe(true);
  });

  it('refuses a config file larger than 1 MiB with rule max-bytes, even when it is valid JSON', () => {
    const d = tmp();
    const f = join(d, 'big.json');
    writeFileSync(f, `{"mode":"LIVE"${' '.repeat(1024 * 1024)}}`);
    expect(loadConfigFile(f)).toMatchObject({ ok: false, error: { key: '(file)', rule: 'max-bytes' } });
  });

  it.each([
    ['a bare word', CANARY_CONTENT],
    ['an unquoted value', `{"mode": ${CANARY_CONTENT}}`],
    ['a truncated string', `{"mode": "${CANARY_CONTENT}`],
    ['a control character in a string', `{"mode": "${CANARY_CONTENT}\u0001"}`],
    ['invalid UTF-8', Buffer.concat([Buffer.from(`{"mode": "${CANARY_CONTENT}`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])],
  ])('a malformed config file (%s) is refused without quoting its content', (_what, content) => {
    const d = tmp();
    const f = join(d, 'bad.json');
    writeFileSync(f, content);
    const r = loadConfigFile(f);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.key).toBe('(file)');
    expect(formatConfigError(r.error)).not.toContain(CANARY_CONTENT);
    expect(formatConfigError(r.error)).not.toContain('CANARY');
  });
});

describe('secrets file: regular, bounded, never echoed', () => {
  it('a malformed secrets file is refused without echoing any part of the key', () => {
    const d = tmp();
    const f = join(d, 'secrets.json');
    for (const body of [`{"api_key": ${CANARY_SECRET}, "api_secret": "x"}`, `${CANARY_SECRET}`, `{"api_key": "${CANARY_SECRET}`]) {
      writeFileSync(f, body);
      chmodSync(f, 0o600);
      const r = loadExchangeSecrets(f, {});
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.code).toBe('SECRETS_MISSING');
      expect(r.message).not.toContain(CANARY_SECRET.slice(0, 12));
      expect(r.message).not.toContain('CANARY');
    }
  });

  it('refuses a directory or a device as the secrets file, and a file above 64 KiB', () => {
    const d = tmp();
    const dir = join(d, 'secrets.d');
    mkdirSync(dir, { mode: 0o700 });
    const r1 = loadExchangeSecrets(dir, {});
    expect(r1).toMatchObject({ ok: false, code: 'SECRETS_MISSING' });
    if (!r1.ok) expect(r1.message).toMatch(/is a directory, not a regular file/);
    const f = join(d, 'secrets.json');
    writeFileSync(f, JSON.stringify({ api_key: 'k'.repeat(40), api_secret: 's'.repeat(40), pad: ' '.repeat(70_000) }));
    chmodSync(f, 0o600);
    const r2 = loadExchangeSecrets(f, {});
    expect(r2).toMatchObject({ ok: false, code: 'SECRETS_MISSING' });
    if (!r2.ok) expect(r2.message).toMatch(/larger than 65536 bytes/);
  });
});

describe('secrets: an Ed25519 key (exchange.api_key_type ed25519) as a PKCS#8 PEM', () => {
  const pem = (): string => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  it('an api_secret that is a PKCS#8 PEM block is accepted from the file and the environment, and it and its body lines are registered for redaction', () => {
    const d = tmp();
    const f = join(d, 'secrets.json');
    const key = pem();
    writeFileSync(f, JSON.stringify({ api_key: 'EdKeyABCDEFGH12345678', api_secret: key }));
    chmodSync(f, 0o600);
    expect(loadExchangeSecrets(f, {})).toMatchObject({ ok: true, secrets: { api_secret: key }, from: 'file' });
    const body = key.split('\n')[1]!;
    expect(redactString(`echoed: ${body}`)).toBe(`echoed: ${REDACTED}`);
    expect(loadExchangeSecrets(join(d, 'absent.json'), { BINANCE_API_KEY: 'EdKeyABCDEFGH12345678', BINANCE_API_SECRET: pem() })).toMatchObject({
      ok: true,
      from: 'env',
    });
  });

  it('a PEM-like api_secret that is not one block of base64 lines, or is oversized, is refused without echo', () => {
    const d = tmp();
    const f = join(d, 'secrets.json');
    const key = pem();
    for (const bad of [
      key.replace('PRIVATE KEY', 'RSA PRIVATE KEY'),
      key.replace(/\n([A-Za-z0-9+/=]{8})/, '\n$1 '),
      `${key}${key}`,
      key.replace(/\n-----END/, `\n${'A'.repeat(76)}\n`.repeat(60) + '-----END'),
    ]) {
      writeFileSync(f, JSON.stringify({ api_key: 'EdKeyABCDEFGH12345678', api_secret: bad }));
      chmodSync(f, 0o600);
      const r = loadExchangeSecrets(f, {});
      expect(r).toMatchObject({ ok: false, code: 'SECRETS_MISSING' });
      if (!r.ok) expect(r.message).not.toContain(key.split('\n')[1]!.slice(0, 12));
    }
  });
});

describe('URLs: http/https/ws/wss only, no userinfo, value never echoed', () => {
  const keys: [string, (u: string) => object][] = [
    ['exchange.rest_base_url', (u) => ({ exchange: { rest_base_url: u } })],
    ['exchange.ws_market_url', (u) => ({ exchange: { ws_market_url: u } })],
    ['exchange.ws_api_url', (u) => ({ exchange: { ws_api_url: u } })],
    ['aigate.base_url', (u) => ({ aigate: { base_url: u } })],
    ['alerts.webhook_urls.0', (u) => ({ alerts: { webhook_urls: [u] } })],
  ];

  it.each(keys)('%s: credentials in the URL are refused naming the key, the password never echoed', (key, mk) => {
    const scheme = key.includes('ws_') ? 'wss' : 'https';
    const r = parseConfig(mk(`${scheme}://operator:${CANARY_SECRET}@example.com/x`));
    expect(r).toMatchObject({ ok: false, error: { key, rule: 'url-userinfo' } });
    if (!r.ok) expect(formatConfigError(r.error)).not.toContain(CANARY_SECRET);
  });

  it.each(keys)('%s: schemes we do not speak are refused naming the key', (key, mk) => {
    for (const u of ['ftp://example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', 'gopher://example.com', 'data:text/plain,hi']) {
      expect(parseConfig(mk(u)), u).toMatchObject({ ok: false, error: { key, rule: 'url-scheme' } });
    }
  });

  it('REST and AI gate URLs are http(s), stream URLs ws(s)', () => {
    expect(parseConfig({ exchange: { rest_base_url: 'wss://example.com' } })).toMatchObject({
      ok: false,
      error: { key: 'exchange.rest_base_url', rule: 'url-scheme' },
    });
    expect(parseConfig({ exchange: { ws_market_url: 'https://example.com' } })).toMatchObject({
      ok: false,
      error: { key: 'exchange.ws_market_url', rule: 'url-scheme' },
    });
    expect(
      parseConfig({
        exchange: { rest_base_url: 'http://127.0.0.1:9', ws_market_url: 'ws://127.0.0.1:9', ws_api_url: 'ws://127.0.0.1:9/ws-api/v3' },
        aigate: { base_url: 'http://127.0.0.1:1/v1' },
        alerts: { webhook_urls: ['https://hooks.example.com/a?token=x'] },
      }).ok,
    ).toBe(true);
  });
});

describe('rules checked before any thread starts', () => {
  it.each(['0.0.0.0', '192.168.1.10', '::', 'example.com', '127.0.0.1.evil.com'])('panel.host %s is refused by the config check (rule loopback)', (host) => {
    expect(parseConfig({ panel: { host } })).toMatchObject({ ok: false, error: { key: 'panel.host', rule: 'loopback' } });
  });
  it.each(['127.0.0.1', '::1', 'localhost'])('panel.host %s is accepted', (host) => {
    expect(parseConfig({ panel: { host } }).ok).toBe(true);
  });
});

type Leaf = { type?: string; maximum?: number; maxLength?: number; 'x-maximum'?: string; properties?: Record<string, Leaf> };
function leaves(node: Leaf, prefix = ''): [string, Leaf][] {
  return Object.entries(node.properties ?? {}).flatMap(([k, v]) => {
    const key = prefix ? `${prefix}.${k}` : k;
    return v.type === 'object' && v.properties ? leaves(v, key) : [[key, v] as [string, Leaf]];
  });
}

describe('upper bounds for every timeout, size and risk limit', () => {
  const all = leaves(CONFIG_SCHEMA as unknown as Leaf);
  const TIMER_MAX = 2 ** 31 - 1;

  it('every *_ms key has a maximum a Node timer can hold (2^31-1 ms), else setTimeout fires at once', () => {
    const ms = all.filter(([k]) => k.endsWith('_ms') || k.includes('_ms_'));
    expect(ms.length).toBeGreaterThan(40);
    for (const [k, v] of ms) {
      expect(v.maximum, k).toBeDefined();
      expect(v.maximum!, k).toBeLessThanOrEqual(TIMER_MAX);
    }
  });

  it('every risk.* key and every *_bytes key has a maximum; decimal amounts an x-maximum and a maxLength', () => {
    const bounded = all.filter(([k]) => k.startsWith('risk.') || k.endsWith('_bytes') || /_quote$|_quote_|notional/.test(k));
    expect(bounded.length).toBeGreaterThan(10);
    for (const [k, v] of bounded) {
      if (k === 'risk.kill_switch_file') continue;
      if (v.type === 'integer') {
        expect(v.maximum, k).toBeDefined();
        expect(v.maximum!, k).toBeLessThan(Number.MAX_SAFE_INTEGER);
      } else {
        expect(v['x-maximum'], k).toMatch(/^[0-9]+(\.[0-9]+)?$/);
        expect(v.maxLength, k).toBeLessThanOrEqual(64);
      }
    }
  });

  it('every integer key has a maximum below MAX_SAFE_INTEGER and every free-form string a maxLength', () => {
    for (const [k, v] of all) {
      if (v.type === 'integer') expect(v.maximum!, k).toBeLessThan(Number.MAX_SAFE_INTEGER);
      if (v.type === 'string' && !('enum' in v)) expect(v.maxLength, k).toBeDefined();
    }
  });

  it.each([
    [{ audit: { vacuum_interval_ms: 3_000_000_000 } }, 'audit.vacuum_interval_ms'],
    [{ audit: { backup_interval_ms: 2 ** 40 } }, 'audit.backup_interval_ms'],
    [{ audit: { wal_abnormal_bytes: 2 ** 52 } }, 'audit.wal_abnormal_bytes'],
    [{ risk: { daily_loss_limit_quote: `1${'0'.repeat(30)}` } }, 'risk.daily_loss_limit_quote'],
    [{ risk: { max_exposure_quote_total: '100000000000' } }, 'risk.max_exposure_quote_total'],
    [{ strategy: { win_rate_prior: '1.5' } }, 'strategy.win_rate_prior'],
    [{ risk: { max_exposure_quote_total: '100', max_exposure_quote_per_symbol: '300' } }, 'risk.max_exposure_quote_per_symbol'],
  ])('refuses %j above its ceiling naming %s', (raw, key) => {
    const r = parseConfig(raw);
    expect(r).toMatchObject({ ok: false, error: { key } });
  });
});

describe('AI_DEC from the environment is exactly "2" or a refusal', () => {
  it('accepts "2"', () => {
    expect(parseConfig({}, { AI_DEC: '2' })).toMatchObject({ ok: true, config: { ai_dec: 2 } });
  });
  it.each([' 2', '2 ', '2.0', '02', '+2', '0x2', '2e0', '0b10', '', 'two', '2\n', '٢'])('refuses AI_DEC=%j naming ai_dec, without echoing the value', (v) => {
    const r = parseConfig({}, { AI_DEC: v });
    expect(r).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID', key: 'ai_dec', rule: 'env-exact' } });
    if (!r.ok && v.trim() !== '') expect(r.error.message).not.toContain(JSON.stringify(v));
  });
});
