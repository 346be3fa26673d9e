import { readFileSync } from 'node:fs';
import { isSecretKey } from '@vigil/core';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Config } from '@vigil/contracts';
import { CONFIG_SCHEMA } from './config-schema.js';

/** One clear message: which key, which rule, what was wrong. */
export interface ConfigError {
  readonly code: 'CONFIG_INVALID';
  readonly key: string;
  readonly rule: string;
  readonly message: string;
}

export type ConfigResult = { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly error: ConfigError };

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

const ajv = new Ajv({ useDefaults: true, allErrors: false, strict: true });
addFormats(ajv);
ajv.addKeyword({ keyword: 'x-unit', schemaType: 'string' });
const validate = ajv.compile(CONFIG_SCHEMA);

/** Environment variables the operations rules name (MODE=LIVE, AI_DEC=2) override the file. */
export interface ConfigEnv {
  readonly MODE?: string | undefined;
  readonly AI_DEC?: string | undefined;
}

export function parseConfig(raw: unknown, env: ConfigEnv = {}): ConfigResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail('(root)', 'type', 'the configuration must be a JSON object');
  }
  const secretKey = findSecretKey(raw as Record<string, unknown>, '', CONFIG_SCHEMA as SchemaNode);
  if (secretKey !== null) {
    return fail(secretKey, 'no-secrets', 'secrets are never read from the config file: use the environment or the 0600 secrets file');
  }
  const data = structuredClone(raw) as Record<string, unknown>;
  if (env.MODE !== undefined) data['mode'] = env.MODE;
  if (env.AI_DEC !== undefined) {
    const n = Number(env.AI_DEC);
    if (!Number.isInteger(n)) return fail('ai_dec', 'type', `environment AI_DEC="${env.AI_DEC}" is not an integer`);
    data['ai_dec'] = n;
  }
  if (!validate(data)) return fromAjv(validate.errors?.[0]);
  const config = data as unknown as Config;
  const cross = crossFieldRules(config);
  if (cross !== null) return { ok: false, error: cross };
  return { ok: true, config: deepFreeze(config) };
}

export function loadConfigFile(path: string | null, env: ConfigEnv = {}): ConfigResult {
  if (path === null) return parseConfig({}, env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return fail('(file)', 'readable', `cannot read ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail('(file)', 'json', `${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(raw, env);
}

export function formatConfigError(e: ConfigError): string {
  return `${e.code}: key "${e.key}" violates rule "${e.rule}": ${e.message}`;
}

function crossFieldRules(c: Config): ConfigError | null {
  const s = c.supervisor;
  if (s.worker_stall_timeout_ms <= s.heartbeat_interval_ms) {
    return err('supervisor.worker_stall_timeout_ms', 'greater-than', `must exceed supervisor.heartbeat_interval_ms (${s.heartbeat_interval_ms})`);
  }
  if (s.worker_stall_timeout_ms > 2 * s.heartbeat_interval_ms) {
    return err('supervisor.worker_stall_timeout_ms', 'at-most', `must be at most 2 x supervisor.heartbeat_interval_ms (${2 * s.heartbeat_interval_ms}) so a stall is seen within two intervals`);
  }
  if (s.worker_mode_timeout_ms <= s.mode_broadcast_interval_ms * 2) {
    return err('supervisor.worker_mode_timeout_ms', 'greater-than', `must exceed 2 x supervisor.mode_broadcast_interval_ms (${2 * s.mode_broadcast_interval_ms})`);
  }
  if (s.restart_backoff_max_ms < s.restart_backoff_initial_ms) {
    return err('supervisor.restart_backoff_max_ms', 'at-least', 'must be at least supervisor.restart_backoff_initial_ms');
  }
  const a = c.audit;
  if (a.audit_writer_queue_high_pct >= a.audit_writer_queue_full_pct) {
    return err('audit.audit_writer_queue_high_pct', 'less-than', `must be below audit.audit_writer_queue_full_pct (${a.audit_writer_queue_full_pct})`);
  }
  if (a.disk_free_pause_bytes > a.disk_free_degrade_bytes) {
    return err('audit.disk_free_pause_bytes', 'at-most', `must not exceed audit.disk_free_degrade_bytes (${a.disk_free_degrade_bytes})`);
  }
  if (a.wal_abnormal_bytes !== 0 && a.wal_truncate_bytes > a.wal_abnormal_bytes) {
    return err('audit.wal_truncate_bytes', 'at-most', 'must not exceed audit.wal_abnormal_bytes');
  }
  const e = c.exchange;
  if (e.time_sync_recv_window_ms > 60_000) return err('exchange.time_sync_recv_window_ms', 'maximum', 'Binance accepts at most 60000');
  return null;
}

type SchemaNode = { readonly properties?: Readonly<Record<string, SchemaNode>> };

/**
 * A key the schema declares is never a secret (the schema has none by construction: secrets_file
 * names a path, aigate.max_tokens counts tokens); any other key that looks like one is refused.
 */
function findSecretKey(o: Record<string, unknown>, prefix: string, schema: SchemaNode | undefined): string | null {
  for (const [k, v] of Object.entries(o)) {
    const path = prefix ? `${prefix}.${k}` : k;
    const declared = schema?.properties && Object.prototype.hasOwnProperty.call(schema.properties, k) ? schema.properties[k] : undefined;
    if (!declared && isSecretKey(k)) return path;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const inner = findSecretKey(v as Record<string, unknown>, path, declared);
      if (inner !== null) return inner;
    }
  }
  return null;
}

function fromAjv(e: ErrorObject | undefined): ConfigResult {
  if (!e) return fail('(root)', 'schema', 'invalid configuration');
  const base = e.instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
  if (e.keyword === 'additionalProperties') {
    const raw = String((e.params as { additionalProperty?: unknown }).additionalProperty);
    // An empty or blank key must still be visible in the one-line message.
    const extra = raw.trim() === '' ? JSON.stringify(raw) : raw;
    return fail(base ? `${base}.${extra}` : extra, 'unknown-key', 'is not a configuration key');
  }
  if (e.keyword === 'required') {
    const missing = String((e.params as { missingProperty?: unknown }).missingProperty);
    return fail(base ? `${base}.${missing}` : missing, 'required', 'is required');
  }
  return fail(base || '(root)', e.keyword, e.message ?? 'is invalid');
}

const err = (key: string, rule: string, message: string): ConfigError => ({ code: 'CONFIG_INVALID', key, rule, message });
const fail = (key: string, rule: string, message: string): ConfigResult => ({ ok: false, error: err(key, rule, message) });

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
