import { readFileSync, statSync } from 'node:fs';
import { registerSecret } from '@vigil/core';

export interface ExchangeSecrets {
  readonly api_key: string;
  readonly api_secret: string;
}

export type SecretsResult =
  | { readonly ok: true; readonly secrets: ExchangeSecrets; readonly from: 'env' | 'file' }
  | { readonly ok: false; readonly code: 'SECRETS_MISSING' | 'SECRETS_FILE_INSECURE'; readonly message: string };

/**
 * Exchange credentials from the environment (BINANCE_API_KEY / BINANCE_API_SECRET) or else a JSON
 * file {api_key, api_secret} readable by its owner only (0600 or stricter). Every value found is
 * registered with the redactor, so it is scrubbed from anything logged or audited.
 */
export function loadExchangeSecrets(file: string, env: NodeJS.ProcessEnv): SecretsResult {
  const k = env['BINANCE_API_KEY'];
  const s = env['BINANCE_API_SECRET'];
  if (k && s) {
    registerSecret(k);
    registerSecret(s);
    return { ok: true, secrets: { api_key: k, api_secret: s }, from: 'env' };
  }
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return { ok: false, code: 'SECRETS_MISSING', message: `no BINANCE_API_KEY/BINANCE_API_SECRET in the environment and no secrets file at ${file}` };
  }
  if ((mode & 0o077) !== 0) {
    return { ok: false, code: 'SECRETS_FILE_INSECURE', message: `${file} has mode ${(mode & 0o777).toString(8)}; it must be 600 (owner read/write only)` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { ok: false, code: 'SECRETS_MISSING', message: `${file} is not valid JSON: ${(e as Error).message}` };
  }
  const p = parsed as Partial<Record<string, unknown>>;
  if (typeof p['api_key'] !== 'string' || typeof p['api_secret'] !== 'string' || !p['api_key'] || !p['api_secret']) {
    return { ok: false, code: 'SECRETS_MISSING', message: `${file} must hold non-empty string fields api_key and api_secret` };
  }
  registerSecret(p['api_key']);
  registerSecret(p['api_secret']);
  return { ok: true, secrets: { api_key: p['api_key'], api_secret: p['api_secret'] }, from: 'file' };
}

/** OPENAI_API_KEY is read from the environment only (never a file, never the config). */
export function aiGateKey(env: NodeJS.ProcessEnv): string | null {
  const k = env['OPENAI_API_KEY'];
  if (!k) return null;
  registerSecret(k);
  return k;
}
