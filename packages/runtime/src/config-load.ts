import { isSecretKey, redactString, strictParse } from '@vigil/core';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Config } from '@vigil/contracts';
import { CONFIG_SCHEMA, CONFIG_SET } from './config-schema.js';
import { loadPrecompiledValidators } from './precompiled-validators.js';
import { CONFIG_MAX_BYTES, readRegularFile } from './safe-read.js';
import { decimalAtMost, isDecimalText } from './decimal-text.js';
import { registerWebhookUrls } from './webhook-url.js';

/** One clear message: which key, which rule, what was wrong. */
export interface ConfigError {
  readonly code: 'CONFIG_INVALID';
  readonly key: string;
  readonly rule: string;
  readonly message: string;
}

export type ConfigResult = { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly error: ConfigError };

/**
 * The configuration's validator, compiled at build time (CONFIG_SET, scripts/validators.ts) and
 * loaded on the first parse: every worker thread imports this module through @vigil/runtime, and
 * none of them parses a configuration. A missing or stale generated file throws: nothing starts.
 */
let compiled: ValidateFunction | null = null;
function configValidator(): ValidateFunction {
  compiled ??= loadPrecompiledValidators(import.meta.url, '@vigil/runtime/config-validator.generated', CONFIG_SET).config;
  return compiled;
}

/** Where a decimal amount is above its `x-maximum` (the first in schema order), or null. */
function aboveCeiling(node: SchemaNode, value: unknown, path: string): { key: string; max: string } | null {
  const max = node['x-maximum'];
  if (typeof max === 'string') return isDecimalText(value) && !decimalAtMost(value, max) ? { key: path, max } : null;
  if (node.properties === undefined || typeof value !== 'object' || value === null) return null;
  for (const [k, child] of Object.entries(node.properties)) {
    const hit = aboveCeiling(child, (value as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`);
    if (hit !== null) return hit;
  }
  return null;
}

/** Environment variables the operations rules name (MODE=LIVE, AI_DEC=2) override the file. */
export interface ConfigEnv {
  readonly MODE?: string | undefined;
  readonly AI_DEC?: string | undefined;
}

export function parseConfig(raw: unknown, env: ConfigEnv = {}): ConfigResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail('(root)', 'type', 'the configuration must be a JSON object');
  }
  // The deepest real key is section.key[item]: anything much deeper is refused before any recursion.
  const deep = tooDeep(raw, MAX_DEPTH);
  if (deep !== null) return fail(deep, 'max-depth', `nests deeper than ${MAX_DEPTH} levels`);
  const secretKey = findSecretKey(raw as Record<string, unknown>, '', CONFIG_SCHEMA as SchemaNode);
  if (secretKey !== null) {
    return fail(secretKey, 'no-secrets', 'secrets are never read from the config file: use the environment or the 0600 secrets file');
  }
  const data = structuredClone(raw) as Record<string, unknown>;
  if (env.MODE !== undefined) data['mode'] = env.MODE;
  if (env.AI_DEC !== undefined) {
    // Exactly one digit: " 2", "2.0", "02", "0x2" or "" are refused (Number() would read most of
    // them as 2, and "" as 0); never taken for 2 and never for "unset, use the file". The value is
    // not echoed: an environment variable can hold anything.
    if (!/^[0-2]$/.test(env.AI_DEC))
      return fail(
        'ai_dec',
        'env-exact',
        'environment AI_DEC must be exactly "2" (Live requires the AI gate); the value given is not a recognised AI_DEC level',
      );
    data['ai_dec'] = Number(env.AI_DEC);
  }
  const validate = configValidator();
  if (!validate(data)) return fromAjv(validate.errors?.[0]);
  const above = aboveCeiling(CONFIG_SCHEMA as SchemaNode, data, '');
  if (above !== null) return fail(above.key, 'maximum', `must be <= ${above.max}`);
  const config = data as unknown as Config;
  const cross = crossFieldRules(config);
  if (cross !== null) return { ok: false, error: cross };
  // From here on, anything this thread logs, audits or prints shows webhook URLs only by host and fingerprint.
  registerWebhookUrls(config.alerts.webhook_urls);
  return { ok: true, config: deepFreeze(config) };
}

/**
 * The config file: a regular file of at most CONFIG_MAX_BYTES (a FIFO, a device or a directory is
 * refused without blocking), UTF-8 strict JSON. No message quotes the file's text: V8's JSON.parse
 * messages do (`Unexpected token 'x', "..." is not valid JSON`), so only the strict reader's reason
 * (a duplicated key's name at most) and the line and column are reported.
 */
export function loadConfigFile(path: string | null, env: ConfigEnv = {}): ConfigResult {
  if (path === null) return parseConfig({}, env);
  const read = readRegularFile(path, CONFIG_MAX_BYTES);
  if (!read.ok) {
    const rule =
      read.failure === 'not-regular' ? 'regular-file' : read.failure === 'too-large' ? 'max-bytes' : read.failure === 'not-utf8' ? 'utf8' : 'readable';
    return fail('(file)', rule, read.message);
  }
  // Strict JSON: a duplicated key has two readings and JSON.parse silently keeps the last (two
  // "risk" blocks turned a limit of 100 into 100000); so does a BOM, trailing data, a non-finite number.
  const json = strictParse(read.text, { maxDepth: 64 });
  if (!json.ok) return fail('(file)', 'json', `${path} is not valid JSON: ${json.why}${lineColumn(read.text, json.at)}`);
  return parseConfig(json.value, env);
}

/** " (line L, column C)" of a character offset into the text. */
export function lineColumn(text: string, offset: number): string {
  const pos = Math.max(0, Math.min(offset, text.length));
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  return ` (line ${line}, column ${pos - before.lastIndexOf('\n')})`;
}

export function formatConfigError(e: ConfigError): string {
  return `${e.code}: key "${e.key}" violates rule "${e.rule}": ${e.message}`;
}

function crossFieldRules(c: Config): ConfigError | null {
  const url = urlRules(c);
  if (url !== null) return url;
  if (!LOOPBACK_PANEL_HOSTS.has(c.panel.host)) {
    return err('panel.host', 'loopback', 'must be a loopback address (127.0.0.1, ::1 or localhost): the panel never binds elsewhere');
  }
  if (!decimalAtMost(c.risk.max_exposure_quote_per_symbol, c.risk.max_exposure_quote_total)) {
    return err('risk.max_exposure_quote_per_symbol', 'at-most', 'must not exceed risk.max_exposure_quote_total');
  }
  const s = c.supervisor;
  if (s.worker_stall_timeout_ms <= s.heartbeat_interval_ms) {
    return err('supervisor.worker_stall_timeout_ms', 'greater-than', `must exceed supervisor.heartbeat_interval_ms (${s.heartbeat_interval_ms})`);
  }
  if (s.worker_stall_timeout_ms > 2 * s.heartbeat_interval_ms) {
    return err(
      'supervisor.worker_stall_timeout_ms',
      'at-most',
      `must be at most 2 x supervisor.heartbeat_interval_ms (${2 * s.heartbeat_interval_ms}) so a stall is seen within two intervals`,
    );
  }
  if (s.worker_mode_timeout_ms <= s.mode_broadcast_interval_ms * 2) {
    return err(
      'supervisor.worker_mode_timeout_ms',
      'greater-than',
      `must exceed 2 x supervisor.mode_broadcast_interval_ms (${2 * s.mode_broadcast_interval_ms})`,
    );
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

/** Bind addresses the panel accepts (apps/supervisor/src/panel/server.ts binds exactly these). */
const LOOPBACK_PANEL_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

const HTTP = ['http:', 'https:'] as const;
const WS = ['ws:', 'wss:'] as const;

/**
 * Every URL the bot connects to: a scheme it speaks for that connection, and no credentials in the
 * URL (the config is recorded in the audit). The value is never quoted: it may hold a password.
 */
function urlRules(c: Config): ConfigError | null {
  const urls: [string, string, readonly string[]][] = [
    ['exchange.rest_base_url', c.exchange.rest_base_url, HTTP],
    ['exchange.ws_market_url', c.exchange.ws_market_url, WS],
    ['exchange.ws_api_url', c.exchange.ws_api_url, WS],
    ['aigate.base_url', c.aigate.base_url, HTTP],
    ...c.alerts.webhook_urls.map((u, i): [string, string, readonly string[]] => [`alerts.webhook_urls.${i}`, u, HTTP]),
  ];
  for (const [key, value, schemes] of urls) {
    const p = urlProblem(value, schemes);
    if (p !== null) return err(key, p.rule, p.message);
  }
  return null;
}

export function urlProblem(value: string, schemes: readonly string[]): { rule: string; message: string } | null {
  const allowed = schemes.map((s) => s.slice(0, -1)).join(' or ');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return { rule: 'url', message: 'must not contain whitespace or control characters' };
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return { rule: 'url', message: 'is not an absolute URL' };
  }
  if (!schemes.includes(u.protocol)) return { rule: 'url-scheme', message: `must be an ${allowed} URL (other schemes are refused)` };
  // The raw text too: WHATWG parsing drops an empty userinfo ("https://@host").
  if (u.username !== '' || u.password !== '' || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)) {
    return { rule: 'url-userinfo', message: 'must not carry credentials (user:password@): they would be recorded in the audit; use the environment' };
  }
  if (u.hostname === '') return { rule: 'url', message: 'has no host' };
  return null;
}

const MAX_DEPTH = 8;

/** The dotted path of the first value nested deeper than `max`, iteratively (no recursion to overflow). */
function tooDeep(root: object, max: number): string | null {
  const stack: [unknown, string, number][] = [[root, '', 0]];
  while (stack.length > 0) {
    const [v, path, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return path || '(root)';
    for (const [k, x] of Object.entries(v)) stack.push([x, path ? `${path}.${shownKey(k)}` : shownKey(k), depth + 1]);
  }
  return null;
}

/**
 * A key name as a message shows it: a name-like key as it is, anything else (a pasted value, control
 * characters, a huge key) described instead, so that the one-line message never carries file content.
 */
export function shownKey(k: string): string {
  // Shaped like the real keys (lower snake case, short): a mixed-case 64-character key pasted as a
  // name is not shown.
  if (/^[a-z][a-z0-9_]{0,39}$/.test(k)) return redactString(k);
  if (k.trim() === '') return JSON.stringify(k.slice(0, 8));
  return `(a key of ${k.length} characters, not shown: keys are lower_snake_case)`;
}

type SchemaNode = { readonly properties?: Readonly<Record<string, SchemaNode>>; readonly 'x-maximum'?: string };

/**
 * A key the schema declares is never a secret (the schema has none by construction: secrets_file
 * names a path, aigate.max_tokens counts tokens); any other key that looks like one is refused.
 */
function findSecretKey(o: Record<string, unknown>, prefix: string, schema: SchemaNode | undefined): string | null {
  for (const [k, v] of Object.entries(o)) {
    const path = prefix ? `${prefix}.${shownKey(k)}` : shownKey(k);
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
    const extra = shownKey(String((e.params as { additionalProperty?: unknown }).additionalProperty));
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
