/**
 * The AI gate's contract: what the reviewing model must answer (AIGateResult), as a JSON Schema
 * usable both for the model's structured output (strict mode) and for our own ajv validation.
 * The model can only make an entry safer or stop it; MODIFY carries only fields that may change.
 */
export const AIGATE_VERDICTS = ['ALLOW', 'MODIFY', 'BLOCK'] as const;
export type AIGateVerdict = (typeof AIGATE_VERDICTS)[number];

/** The reasons a reviewer may give. An unknown one is AIGATE_REASON_UNKNOWN (PAUSE). */
export const AIGATE_REASONS = {
  AI_OK: 'nothing against the entry',
  AI_SPREAD_WIDE: 'spread too wide for the expected edge',
  AI_DATA_STALE: 'market data too old to act on',
  AI_VOLATILITY_HIGH: 'volatility high: smaller size or no entry',
  AI_EDGE_THIN: 'expected edge thin against costs',
  AI_STOP_TOO_WIDE: 'stop too far: tighten it',
  AI_SIZE_TOO_LARGE: 'size too large for the conditions',
  AI_TREND_AGAINST: 'entry against the prevailing trend',
} as const;
export type AIGateReason = keyof typeof AIGATE_REASONS;
export const AIGATE_REASON_LIST = Object.keys(AIGATE_REASONS) as AIGateReason[];

/** Fields a MODIFY may carry; each may only reduce risk (checked locally, absolutely). */
export interface AIGateModify {
  readonly quantity: string | null;
  readonly stop_price: string | null;
  readonly take_profit_price: string | null;
  readonly entry_price: string | null;
  readonly ttl_ms: number | null;
  readonly max_requotes: number | null;
}

export interface AIGateResult {
  readonly verdict: AIGateVerdict;
  readonly reasons: readonly string[];
  readonly modify: AIGateModify | null;
  readonly confidence: number;
  readonly notes: string;
}

const nullableDecimal = { anyOf: [{ type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' }, { type: 'null' }] } as const;
const nullableInt = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'null' }] } as const;

/**
 * Strict-mode compatible (every property required, additionalProperties false, nullable via
 * anyOf): OpenAI's structured outputs accept it as is, and so do llama.cpp/vLLM-style servers.
 * `reasons` is a plain string array on purpose: an unknown reason must reach our own check and
 * become AIGATE_REASON_UNKNOWN rather than be masked by the server's grammar.
 */
export const AIGATE_RESULT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['verdict', 'reasons', 'modify', 'confidence', 'notes'],
  properties: {
    verdict: { type: 'string', enum: [...AIGATE_VERDICTS] },
    reasons: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 8 },
    modify: {
      anyOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['quantity', 'stop_price', 'take_profit_price', 'entry_price', 'ttl_ms', 'max_requotes'],
          properties: {
            quantity: nullableDecimal,
            stop_price: nullableDecimal,
            take_profit_price: nullableDecimal,
            entry_price: nullableDecimal,
            ttl_ms: nullableInt,
            max_requotes: nullableInt,
          },
        },
        { type: 'null' },
      ],
    },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    notes: { type: 'string', maxLength: 500 },
  },
} as const;

/** What the engine sends for review (redacted, truncated): the decision and the market around it. */
export interface AIGateReviewPayload {
  readonly decision: {
    readonly decision_id: string;
    readonly symbol: string;
    readonly side: 'BUY' | 'SELL';
    readonly quantity: string;
    readonly entry_type: string;
    readonly entry_price: string | null;
    readonly stop_price: string;
    readonly take_profit_price: string | null;
    readonly expected_edge_bps: number;
    readonly expected_cost_bps: number;
  };
  readonly market: {
    readonly bid: string;
    readonly ask: string;
    readonly spread_bps: number;
    readonly volatility_bps: number;
    readonly data_age_ms: number;
  };
}
