import { statSync } from 'node:fs';
import { registerSecret, strictParse } from '@vigil/core';
import type { Config } from '@vigil/contracts';
import { readRegularFile, SECRETS_MAX_BYTES } from './safe-read.js';
import { registerEndpointQueries, registerWebhookUrls } from './webhook-url.js';

/**
 * An API key or secret goes into a header and an HMAC: printable ASCII, no space, bounded. At least
 * CREDENTIAL_MIN characters: the redactor registers nothing shorter (Binance's are 64), so a shorter
 * one could reach a log line unscrubbed.
 */
const CREDENTIAL_MIN = 8;
const CREDENTIAL_MAX = 512;
const CREDENTIAL_RE = new RegExp(`^[\\x21-\\x7e]{${CREDENTIAL_MIN},${CREDENTIAL_MAX}}$`);
/**
 * An Ed25519 private key (`exchange.api_key_type: ed25519`) is a PKCS#8 PEM block: its header and
 * footer lines hold spaces and its body newlines, which CREDENTIAL_RE refuses. Bounded as well.
 */
const PEM_MAX = 4096;
const PEM_RE = /^-----BEGIN PRIVATE KEY-----\r?\n(?:[A-Za-z0-9+/=]{1,76}\r?\n){1,60}-----END PRIVATE KEY-----\r?\n?$/;

/** A usable api_secret: an HMAC secret (printable, no spaces) or a PKCS#8 PEM private key. */
function secretShapeOk(v: string): boolean {
  return CREDENTIAL_RE.test(v) || (v.length <= PEM_MAX && PEM_RE.test(v));
}

/** Registers a secret value and, for a PEM block, each of its body lines (a log may quote one alone). */
function registerCredential(v: string): void {
  registerSecret(v);
  if (v.startsWith('-----BEGIN')) for (const line of v.split(/\r?\n/)) if (line.length >= 16 && !line.startsWith('-----')) registerSecret(line);
}

export interface ExchangeSecrets {
  readonly api_key: string;
  readonly api_secret: string;
}

export type SecretsResult =
  | { readonly ok: true; readonly secrets: ExchangeSecrets; readonly from: 'env' | 'file' }
  | { readonly ok: false; readonly code: 'SECRETS_MISSING' | 'SECRETS_FILE_INSECURE'; readonly message: string };

/** The uid this process runs as, or null where there is none (Windows): the secrets file must be its own. */
const processUid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null);

/**
 * Exchange credentials from the environment (BINANCE_API_KEY / BINANCE_API_SECRET) or else a JSON
 * file {api_key, api_secret} readable by its owner only (0600 or stricter). Every value found is
 * registered with the redactor, so it is scrubbed from anything logged or audited.
 * The file is read only when it is a regular file of at most SECRETS_MAX_BYTES (a FIFO or a device
 * is refused without blocking), and no message ever quotes it: V8's JSON.parse errors do, and a
 * malformed file is most often a key pasted without its quotes.
 */
export function loadExchangeSecrets(file: string, env: NodeJS.ProcessEnv, uid: number | null = processUid()): SecretsResult {
  const k = env['BINANCE_API_KEY'];
  const s = env['BINANCE_API_SECRET'];
  // One of the pair without the other is a mistake, not a request for the file's credentials:
  // trading silently on another key than the one the operator exported is refused.
  if (Boolean(k) !== Boolean(s)) {
    return {
      ok: false,
      code: 'SECRETS_MISSING',
      message: `${k ? 'BINANCE_API_KEY' : 'BINANCE_API_SECRET'} is set without ${k ? 'BINANCE_API_SECRET' : 'BINANCE_API_KEY'}: set both or neither (the secrets file is used only when neither is set)`,
    };
  }
  if (k && s) {
    if (!CREDENTIAL_RE.test(k) || !secretShapeOk(s)) {
      return {
        ok: false,
        code: 'SECRETS_MISSING',
        message: `BINANCE_API_KEY must be ${CREDENTIAL_MIN}..${CREDENTIAL_MAX} printable characters without spaces, BINANCE_API_SECRET that or a PKCS#8 PEM private key (the values are not shown)`,
      };
    }
    registerCredential(k);
    registerCredential(s);
    return { ok: true, secrets: { api_key: k, api_secret: s }, from: 'env' };
  }
  let mode: number;
  let owner: number;
  try {
    const st = statSync(file);
    // Said first: "mode 755, it must be 600" for a directory sent the operator to chmod.
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device';
      return { ok: false, code: 'SECRETS_MISSING', message: `${file} is ${kind}, not a regular file` };
    }
    mode = st.mode;
    owner = st.uid;
  } catch {
    return { ok: false, code: 'SECRETS_MISSING', message: `no BINANCE_API_KEY/BINANCE_API_SECRET in the environment and no secrets file at ${file}` };
  }
  if ((mode & 0o077) !== 0) {
    return { ok: false, code: 'SECRETS_FILE_INSECURE', message: `${file} has mode ${(mode & 0o777).toString(8)}; it must be 600 (owner read/write only)` };
  }
  // Mode 600 protects nothing if the file is another user's: that user can rewrite the keys.
  if (uid !== null && owner !== uid) {
    return { ok: false, code: 'SECRETS_FILE_INSECURE', message: `${file} is owned by uid ${owner}, not by this process's uid ${uid}` };
  }
  const read = readRegularFile(file, SECRETS_MAX_BYTES);
  if (!read.ok) return { ok: false, code: 'SECRETS_MISSING', message: `secrets file refused: ${read.message}` };
  // Strict: a duplicated key has two readings (JSON.parse keeps the last without a word).
  const json = strictParse(read.text, { maxDepth: 8 });
  if (!json.ok) {
    // The reader's reason may quote a key or a number: only its unquoted head is shown.
    const why = json.why.replace(/ ".*$/s, '').replace(/^number .*/s, 'a number that is not finite');
    return {
      ok: false,
      code: 'SECRETS_MISSING',
      message: `${file} is not valid JSON: ${why} at offset ${json.at} (its content is not shown: it holds secrets)`,
    };
  }
  const parsed = json.value;
  const p = (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {}) as Partial<Record<string, unknown>>;
  if (typeof p['api_key'] !== 'string' || typeof p['api_secret'] !== 'string' || !p['api_key'] || !p['api_secret']) {
    return { ok: false, code: 'SECRETS_MISSING', message: `${file} must hold non-empty string fields api_key and api_secret` };
  }
  if (!CREDENTIAL_RE.test(p['api_key']) || !secretShapeOk(p['api_secret'])) {
    return {
      ok: false,
      code: 'SECRETS_MISSING',
      message: `${file}: api_key must be ${CREDENTIAL_MIN}..${CREDENTIAL_MAX} printable characters without spaces, api_secret that or a PKCS#8 PEM private key (the values are not shown)`,
    };
  }
  registerCredential(p['api_key']);
  registerCredential(p['api_secret']);
  return { ok: true, secrets: { api_key: p['api_key'], api_secret: p['api_secret'] }, from: 'file' };
}

/** OPENAI_API_KEY is read from the environment only (never a file, never the config). */
export function aiGateKey(env: NodeJS.ProcessEnv): string | null {
  const k = env['OPENAI_API_KEY'];
  if (!k) return null;
  registerSecret(k);
  return k;
}

/**
 * Registers with this thread's redactor every secret value the process holds: the exchange
 * credentials, OPENAI_API_KEY, the webhook URLs and the configured endpoints' query values. Each
 * thread calls it at start (redaction state is per thread).
 */
export function registerProcessSecrets(config: Config, secrets: ExchangeSecrets | null | undefined, env: NodeJS.ProcessEnv): void {
  if (secrets) {
    registerCredential(secrets.api_key);
    registerCredential(secrets.api_secret);
  }
  aiGateKey(env);
  registerWebhookUrls(config.alerts.webhook_urls);
  registerEndpointQueries(config);
}
