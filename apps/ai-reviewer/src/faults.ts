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
