import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from './config-load.js';
import { loadExchangeSecrets } from './secrets.js';

describe('parseConfig', () => {
  it('fills every default from the schema', () => {
    const r = parseConfig({});
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.config.mode).toBe('LIVE');
    expect(r.config.ai_dec).toBe(2);
    expect(r.config.audit.synchronous).toBe('FULL');
    expect(r.config.panel).toEqual({ host: '127.0.0.1', port: 8787 });
    expect(Object.isFrozen(r.config.audit)).toBe(true);
  });

  it.each([
    [{ audit: { audit_writer_queue_full_pct: 101 } }, 'audit.audit_writer_queue_full_pct', 'maximum'],
    [{ audit: { busy_timeout_ms: 'soon' } }, 'audit.busy_timeout_ms', 'type'],
    [{ panel: { prot: 1 } }, 'panel.prot', 'unknown-key'],
    [{ exchange: { symbols: ['btc-usdt'] } }, 'exchange.symbols.0', 'pattern'],
    [{ exchange: { api_secret: 'x' } }, 'exchange.api_secret', 'no-secrets'],
    [{ openai_api_key: 'sk-x' }, 'openai_api_key', 'no-secrets'],
    [{ audit: { audit_writer_queue_high_pct: 96 } }, 'audit.audit_writer_queue_high_pct', 'less-than'],
    [{ audit: { disk_free_pause_bytes: 10, disk_free_degrade_bytes: 5 } }, 'audit.disk_free_pause_bytes', 'at-most'],
    [{ supervisor: { heartbeat_interval_ms: 100, worker_stall_timeout_ms: 500 } }, 'supervisor.worker_stall_timeout_ms', 'at-most'],
    [{ risk: { daily_loss_limit_quote: '1e3' } }, 'risk.daily_loss_limit_quote', 'pattern'],
    [[], '(root)', 'type'],
  ])('refuses %j naming key %s and rule %s', (raw, key, rule) => {
    const r = parseConfig(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ code: 'CONFIG_INVALID', key, rule });
    expect(r.error.message.length).toBeGreaterThan(3);
  });

  it('lets the environment override MODE and AI_DEC', () => {
    const r = parseConfig({}, { MODE: 'PAPER', AI_DEC: '1' });
    if (!r.ok) throw new Error('unexpected');
    expect(r.config.mode).toBe('PAPER');
    expect(r.config.ai_dec).toBe(1);
    expect(parseConfig({}, { AI_DEC: 'two' })).toMatchObject({ ok: false, error: { key: 'ai_dec' } });
  });

  it('reports unreadable and non-JSON files as config errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    expect(loadConfigFile(join(dir, 'missing.json'))).toMatchObject({ ok: false, error: { rule: 'readable' } });
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    expect(loadConfigFile(join(dir, 'bad.json'))).toMatchObject({ ok: false, error: { rule: 'json' } });
  });

  it('refuses a config file with a duplicated key, naming the key and its line, instead of keeping the last block', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const f = join(dir, 'dup.json');
    writeFileSync(f, '{\n  "risk": { "max_open_positions": 1 },\n  "risk": { "max_open_positions": 9 }\n}\n');
    const r = loadConfigFile(f);
    expect(r).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID', rule: 'json' } });
    if (!r.ok) expect(r.error.message).toMatch(/duplicate key "risk" \(line 3, column 3\)/);
    writeFileSync(f, '{"panel": {"port": 8788}} {"panel": {"port": 9}}');
    expect(loadConfigFile(f)).toMatchObject({ ok: false, error: { rule: 'json' } });
  });
});

describe('loadExchangeSecrets', () => {
  it('prefers the environment, then a 0600 file, and refuses a group/world-readable file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sec-'));
    const f = join(dir, 'secrets.json');
    expect(loadExchangeSecrets(f, {})).toMatchObject({ ok: false, code: 'SECRETS_MISSING' });
    writeFileSync(f, JSON.stringify({ api_key: 'key-123456789', api_secret: 'secret-123456789' }));
    chmodSync(f, 0o644);
    expect(loadExchangeSecrets(f, {})).toMatchObject({ ok: false, code: 'SECRETS_FILE_INSECURE' });
    chmodSync(f, 0o600);
    expect(loadExchangeSecrets(f, {})).toMatchObject({ ok: true, from: 'file' });
    expect(loadExchangeSecrets(f, { BINANCE_API_KEY: 'env-key-12345', BINANCE_API_SECRET: 'env-secret-1234' })).toMatchObject({ ok: true, from: 'env' });
  });

  it('refuses one of BINANCE_API_KEY/BINANCE_API_SECRET without the other rather than falling back to the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sec-'));
    const f = join(dir, 'secrets.json');
    writeFileSync(f, JSON.stringify({ api_key: 'key-123456789', api_secret: 'secret-123456789' }), { mode: 0o600 });
    const r = loadExchangeSecrets(f, { BINANCE_API_KEY: 'env-key-12345' });
    expect(r).toMatchObject({ ok: false, code: 'SECRETS_MISSING' });
    if (!r.ok) expect(r.message).toMatch(/BINANCE_API_KEY is set without BINANCE_API_SECRET/);
    expect(loadExchangeSecrets(f, { BINANCE_API_SECRET: 'env-secret-1234' })).toMatchObject({ ok: false, code: 'SECRETS_MISSING' });
  });

  it('refuses a 0600 secrets file owned by another uid than the process', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sec-'));
    const f = join(dir, 'secrets.json');
    writeFileSync(f, JSON.stringify({ api_key: 'key-123456789', api_secret: 'secret-123456789' }), { mode: 0o600 });
    const owner = statSync(f).uid;
    const r = loadExchangeSecrets(f, {}, owner + 1);
    expect(r).toMatchObject({ ok: false, code: 'SECRETS_FILE_INSECURE' });
    if (!r.ok) expect(r.message).toContain(`owned by uid ${owner}`);
    expect(loadExchangeSecrets(f, {}, owner)).toMatchObject({ ok: true, from: 'file' });
  });

  it('refuses a secrets file with a duplicated key without quoting it, and credentials shorter than 8 characters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sec-'));
    const f = join(dir, 'secrets.json');
    writeFileSync(f, '{"api_key":"key-123456789","api_secret":"secret-123456789","api_key":"other-key-1234"}', { mode: 0o600 });
    const r = loadExchangeSecrets(f, {});
    expect(r).toMatchObject({ ok: false, code: 'SECRETS_MISSING' });
    if (!r.ok) expect(r.message).toMatch(/duplicate key at offset \d+/);
    if (!r.ok) expect(r.message).not.toContain('other-key');
    writeFileSync(f, JSON.stringify({ api_key: 'short', api_secret: 'secret-123456789' }));
    expect(loadExchangeSecrets(f, {})).toMatchObject({ ok: false, code: 'SECRETS_MISSING' });
  });
});

describe('parseConfig: regressions found by fuzzing (test/fuzz/parsers.fuzz.test.ts)', () => {
  it('accepts aigate.max_tokens, a declared key whose name looks like a secret, and still refuses undeclared ones', () => {
    const r = parseConfig({ aigate: { max_tokens: 512 } });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.config.aigate.max_tokens).toBe(512);
    // The loaded configuration loads again as it is.
    if (r.ok) expect(parseConfig(JSON.parse(JSON.stringify(r.config))).ok).toBe(true);
    expect(parseConfig({ aigate: { api_token: 'x' } })).toMatchObject({ ok: false, error: { key: 'aigate.api_token', rule: 'no-secrets' } });
    expect(parseConfig({ live: { secrets_file: 'secrets.json' } }).ok).toBe(true);
  });

  it('names an empty key visibly', () => {
    expect(parseConfig({ '': 0 })).toMatchObject({ ok: false, error: { key: '""', rule: 'unknown-key' } });
  });
});
