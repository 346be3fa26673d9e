import type { AIGateResult } from '@vigil/contracts';

/**
 * Ways the reviewer can be told to misbehave, each one a failure the AI gate must turn into a
 * reason code and a PAUSE. A mode applies to every call until changed, or to the next call only
 * when `once` is set.
 */
export const FAULT_MODES = [
  'normal',
  'slow',
  'malformed_json',
  'schema_invalid',
  'unknown_reason',
  'modify_increase_qty',
  'modify_loosen_stop',
  'modify_change_symbol',
  'http_429',
  'http_500',
  // Replies a strict, bounded reader must refuse (issue 17), each read differently by a lax one:
  /** content {"verdict":"BLOCK",...,"verdict":"ALLOW"}: the last reading wins in JSON.parse. */
  'duplicate_keys',
  /** a second JSON document after the envelope. */
  'trailing_data',
  /** a UTF-8 byte order mark before the envelope (fetch's json() strips it silently). */
  'bom',
  /** the literal NaN in the content. */
  'nan',
  /** usage.total_tokens 1e999, which JSON.parse turns into Infinity. */
  'infinity',
  /** an extra envelope field nested 5000 deep. */
  'deep_nesting',
  /** an envelope padded to 8 MiB. */
  'huge_body',
  /** Content-Encoding gzip: ~32 KiB on the wire that expand to 32 MiB (a valid envelope + whitespace). */
  'gzip_bomb',
  /** a valid envelope followed by JSON whitespace streamed without Content-Length until the caller hangs up (1 GiB at most). */
  'endless_body',
  /** finish_reason "length": a completion the model did not finish. */
  'finish_length',
  /** MODIFY raising the entry's TTL to practically endless (1e12 ms). */
  'modify_raise_ttl',
  /** a BLOCK whose notes echo the caller's Authorization header (a reviewer leaking the key back). */
  'leaky_notes',
  /** two choices that disagree (BLOCK, then ALLOW). */
  'two_choices',
] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface FaultState {
  mode: FaultMode;
  once: boolean;
  delayMs: number;
}

/** The content a misbehaving model would send back, from what an honest review said. */
export function corrupt(mode: FaultMode, honest: AIGateResult, quantity: string, stop: string, side: 'BUY' | 'SELL'): string {
  switch (mode) {
    case 'malformed_json':
      return '{"verdict": "ALLOW", "reasons": ["AI_OK"'; // cut off mid-object
    case 'schema_invalid':
      return JSON.stringify({ ...honest, verdict: 'MAYBE' });
    case 'unknown_reason':
      return JSON.stringify({ ...honest, reasons: ['AI_MOON_PHASE'] });
    case 'modify_increase_qty':
      return JSON.stringify(modify(honest, { quantity: scaled(quantity, 3n) }));
    case 'modify_loosen_stop':
      // Further from the entry: lower for a long, higher for a short.
      return JSON.stringify(modify(honest, { stop_price: side === 'BUY' ? scaled(stop, 1n, 2n) : scaled(stop, 2n) }));
    case 'duplicate_keys':
      // The honest verdict first, a second "verdict" key last: a lax reader keeps the last one.
      return `${JSON.stringify({ ...honest, verdict: 'BLOCK', reasons: ['AI_SPREAD_WIDE'] }).slice(0, -1)},"verdict":"ALLOW"}`;
    case 'nan':
      return JSON.stringify({ ...honest, confidence: 0.5 }).replace('"confidence":0.5', '"confidence":NaN');
    case 'modify_raise_ttl':
      return JSON.stringify({ ...modify(honest, {}), modify: { ...modify(honest, {}).modify!, ttl_ms: 1e12 } });
    case 'modify_change_symbol':
      return JSON.stringify({ ...modify(honest, {}), modify: { ...modify(honest, {}).modify, symbol: 'DOGEUSDT' } });
    default:
      return JSON.stringify(honest);
  }
}

function modify(honest: AIGateResult, fields: Partial<Record<'quantity' | 'stop_price', string>>): AIGateResult {
  return {
    verdict: 'MODIFY',
    reasons: ['AI_VOLATILITY_HIGH'],
    modify: { quantity: null, stop_price: null, take_profit_price: null, entry_price: null, ttl_ms: null, max_requotes: null, ...fields },
    confidence: honest.confidence,
    notes: 'fault injected',
  };
}

/** x * num / den on decimal strings, exactly. */
function scaled(x: string, num: bigint, den = 1n): string {
  const [int = '0', frac = ''] = x.split('.');
  const scale = frac.length + 2;
  const n = (BigInt(int + frac.padEnd(scale, '0')) * num) / den;
  const s = n.toString().padStart(scale + 1, '0');
  return `${s.slice(0, -scale)}.${s.slice(-scale)}`.replace(/\.?0+$/, '') || '0';
}
