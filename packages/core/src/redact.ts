/**
 * Redaction applied to every payload before it is logged, audited, written to JSONL or sent to the
 * AI gate. Two layers: keys whose names say "secret" are replaced whole; string values are scrubbed
 * of signatures, API keys in URLs/query strings/headers, bearer tokens and any registered literal
 * (the actual secret values of this process, so a leak under an innocent key is still caught).
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY_RE = /(secret|password|passphrase|api[-_]?key|apikey|signature|token|authorization|private[-_]?key|x-mbx-apikey|listenkey)/i;

const VALUE_PATTERNS: readonly RegExp[] = [
  // query-string style: signature=..., apiKey=..., listenKey=..., secret=...
  /((?:signature|api[-_]?key|apikey|secret|listenkey|token|access_token)=)[^&\s"']+/gi,
  // header style in text: X-MBX-APIKEY: abc / Authorization: Bearer abc
  /(x-mbx-apikey["']?\s*[:=]\s*["']?)[^\s"',}]+/gi,
  /(authorization["']?\s*[:=]\s*["']?(?:bearer\s+)?)[^\s"',}]+/gi,
  /(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  // OpenAI-style keys
  /()sk-[A-Za-z0-9_-]{16,}/g,
  // URL query parameters whose name says secret (token, key, sig..., any case, any prefix): ?webhook_key=...
  /([?&;][^=&#\s"'?]*(?:key|token|sig|secret|pass|pwd|auth|credential)[^=&#\s"'?]*=)[^&#\s"']+/gi,
  // URL userinfo (scheme://user:password@host): the whole of it, since a bare user may be a token too.
  /([a-z][a-z0-9+.-]*:\/\/)[^/?#\s@"']+(?=@)/gi,
];

const literals = new Set<string>();
/**
 * Secret values with their own stand-in (a webhook URL whose path is the token becomes scheme, host
 * and a fingerprint), replaced before the plain literals, longest first, so that a URL is shown as
 * its stand-in rather than cut by a shorter literal (its path) it contains.
 */
const replaced = new Map<string, string>();
let replacedOrder: string[] = [];

/** Registers a secret value (>= 8 chars) so that it is scrubbed wherever it appears. */
export function registerSecret(value: string | null | undefined): void {
  if (typeof value === 'string' && value.length >= 8) literals.add(value);
}

/**
 * Registers a secret value (>= 8 chars) shown as `replacement` wherever it appears. The replacement
 * must not itself contain a registered value.
 */
export function registerSecretAs(value: string, replacement: string): void {
  if (value.length < 8 || replaced.get(value) === replacement) return;
  replaced.set(value, replacement);
  replacedOrder = [...replaced.keys()].sort((a, b) => b.length - a.length);
}

/** One cheap test that rules out almost every string before the replacements run. */
const SUSPECT_RE =
  /signature|api[-_]?key|apikey|secret|listenkey|token|bearer|authorization|x-mbx|sk-|[?&;][^=&#\s"'?]*(?:key|sig|pass|pwd|auth|credential)[^=&#\s"'?]*=|:\/\/[^/?#\s@"']+@/i;

export function redactString(s: string): string {
  if (literals.size === 0 && replaced.size === 0 && !SUSPECT_RE.test(s)) return s;
  let out = s;
  for (const lit of replacedOrder) if (out.includes(lit)) out = out.split(lit).join(replaced.get(lit) ?? REDACTED);
  for (const lit of literals) if (out.includes(lit)) out = out.split(lit).join(REDACTED);
  if (!SUSPECT_RE.test(out)) return out;
  for (const re of VALUE_PATTERNS) {
    re.lastIndex = 0;
    if (re.test(out)) {
      re.lastIndex = 0;
      out = out.replace(re, (_m, p1: string) => `${p1}${REDACTED}`);
    }
  }
  return out;
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY_RE.test(key);
}

/**
 * Secrets removed; never mutates its input; cycles are cut. Copy-on-write: a value with nothing to
 * redact is returned as is (the audit writer passes every event through here).
 */
export function redact<T>(value: T): T {
  return walk(value, new WeakSet()) as T;
}

function walk(v: unknown, seen: WeakSet<object>): unknown {
  if (typeof v === 'string') return redactString(v);
  if (typeof v !== 'object' || v === null) return v;
  // `seen` holds the path from the root: an object shared by two branches (a DAG) is walked in
  // both; only an object that contains itself is a cycle.
  if (seen.has(v)) return '[CYCLE]';
  seen.add(v);
  try {
    if (Array.isArray(v)) {
      let out: unknown[] | null = null;
      for (let i = 0; i < v.length; i++) {
        const x = walk(v[i], seen);
        if (x !== v[i]) (out ??= v.slice())[i] = x;
      }
      return out ?? v;
    }
    let out: Record<string, unknown> | null = null;
    const src = v as Record<string, unknown>;
    for (const k of Object.keys(src)) {
      const x = src[k];
      const y = isSecretKey(k) && x !== null && x !== undefined && typeof x !== 'boolean' && typeof x !== 'number' ? REDACTED : walk(x, seen);
      if (y !== x) (out ??= { ...src })[k] = y;
    }
    return out ?? v;
  } finally {
    seen.delete(v);
  }
}

/**
 * Whether `redact` could change the value whose JSON text this is. False means provably nothing
 * to redact: every key pattern and value pattern needs a SUSPECT_RE or SECRET_KEY_RE match made of
 * letters, '-' and '_', which JSON never escapes, and a registered literal shows up either as is or
 * in its escaped form. True (also for a false alarm such as "risk-off") means: parse and redact.
 * The audit writer's last-door check on payloads its producers already redacted and serialized.
 */
export function jsonTextMayNeedRedaction(text: string): boolean {
  if (SUSPECT_RE.test(text) || SECRET_KEY_RE.test(text)) return true;
  for (const lit of literals) if (text.includes(lit) || text.includes(JSON.stringify(lit).slice(1, -1))) return true;
  for (const lit of replacedOrder) if (text.includes(lit) || text.includes(JSON.stringify(lit).slice(1, -1))) return true;
  return false;
}

/**
 * Characters that change how text around them reads: C0/C1 controls and DEL (a newline forges a log
 * line, ESC drives a terminal), the line/paragraph separators and the bidirectional overrides and
 * isolates (U+202E shows text backwards).
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE_RE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Foreign text (a model's or a venue's words) made fit for a reason detail, a log line or an alert:
 * redacted, every unprintable character shown as its \u escape, and at most `maxChars` code points
 * (a surrogate pair is never split; "…" marks a cut). Pure.
 */
export function printableText(s: string, maxChars: number): string {
  const escaped = redactString(s).replace(UNPRINTABLE_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const cps = Array.from(escaped);
  return cps.length > maxChars ? `${cps.slice(0, Math.max(0, maxChars - 1)).join('')}…` : escaped;
}
