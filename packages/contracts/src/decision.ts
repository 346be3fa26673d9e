/**
 * A strategy's Decision and its DecisionConstraints: the unit the AI gate reviews, risk judges and
 * execution turns into order intents. Decimals are strings (quantized to the symbol's filters
 * before anything else sees them). decision_id is the hash of the canonical decision without its
 * ids (decisionIdOf), so an applied MODIFY gets a new one.
 */
export const DECISION_INTENTS = ['ENTRY', 'EXIT'] as const;
export type DecisionIntent = (typeof DECISION_INTENTS)[number];
export const ENTRY_TYPES = ['LIMIT', 'LIMIT_MAKER', 'MARKET'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export interface DecisionConstraints {
  readonly max_quantity: string;
  readonly max_notional: string;
  readonly ttl_ms: number;
  readonly max_requotes: number;
}

export interface DecisionIds {
  readonly run_id: string;
  readonly cycle_id: number;
  readonly snapshot_id: string;
  readonly decision_id: string;
}

export interface Decision {
  readonly ids: DecisionIds;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly intent: DecisionIntent;
  readonly quantity: string;
  readonly entry_type: EntryType;
  /** null for MARKET entries. */
  readonly entry_price: string | null;
  readonly stop_price: string;
  readonly take_profit_price: string | null;
  /** Trailing stop distance in basis points once in profit; null = no trailing. */
  readonly trailing_delta_bps: number | null;
  readonly expected_edge_bps: number;
  readonly expected_cost_bps: number;
  readonly constraints: DecisionConstraints;
}

const decimal = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' } as const;
const nullableDecimal = { anyOf: [decimal, { type: 'null' }] } as const;

export const DECISION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: [
    'ids',
    'symbol',
    'side',
    'intent',
    'quantity',
    'entry_type',
    'entry_price',
    'stop_price',
    'take_profit_price',
    'trailing_delta_bps',
    'expected_edge_bps',
    'expected_cost_bps',
    'constraints',
  ],
  properties: {
    ids: {
      type: 'object',
      additionalProperties: false,
      required: ['run_id', 'cycle_id', 'snapshot_id', 'decision_id'],
      properties: {
        run_id: { type: 'string', minLength: 1 },
        cycle_id: { type: 'integer', minimum: 0 },
        snapshot_id: { type: 'string', minLength: 1 },
        decision_id: { type: 'string', pattern: '^dec_[0-9a-f]{32}$' },
      },
    },
    symbol: { type: 'string', pattern: '^[A-Z0-9]{2,20}$' },
    side: { enum: ['BUY', 'SELL'] },
    intent: { enum: [...DECISION_INTENTS] },
    quantity: decimal,
    entry_type: { enum: [...ENTRY_TYPES] },
    entry_price: nullableDecimal,
    stop_price: decimal,
    take_profit_price: nullableDecimal,
    trailing_delta_bps: { anyOf: [{ type: 'integer', minimum: 1, maximum: 2000 }, { type: 'null' }] },
    expected_edge_bps: { type: 'number' },
    expected_cost_bps: { type: 'number', minimum: 0 },
    constraints: {
      type: 'object',
      additionalProperties: false,
      required: ['max_quantity', 'max_notional', 'ttl_ms', 'max_requotes'],
      properties: { max_quantity: decimal, max_notional: decimal, ttl_ms: { type: 'integer', minimum: 1 }, max_requotes: { type: 'integer', minimum: 0 } },
    },
  },
} as const;

/** The part of a decision its id is computed from (everything but the ids). */
export function decisionBody(d: Decision): Omit<Decision, 'ids'> {
  const { ids: _ids, ...body } = d;
  return body;
}
