import type { JsonObject, JsonValue } from './envelope.js';
import type { EventType } from './event-types.js';
import type { Mode } from './modes.js';
import type { IntentState, Stage } from './stages.js';

/**
 * Typed audit payloads for the event types the audit writer derives its tables from (and a restart
 * reads back): a producer that leaves out a field those tables need, or gives it the wrong type,
 * does not compile. Other event types carry a free JSON object. Fields are the minimum each table
 * and reader relies on; producers may add more (the audit keeps the whole payload).
 */
type Side = 'BUY' | 'SELL';
/** An exact decimal as text (never a binary float). */
type DecimalText = string;

export type EventPayloads = {
  RUN_STARTED: { readonly config_hash: string | null; readonly versions: JsonObject };
  RUN_STOPPED: { readonly reason: string };
  MODE_CHANGED: { readonly from: Mode | null; readonly to: Mode; readonly seq: number; readonly reasons: readonly JsonValue[] };
  STAGE_CHANGED: { readonly from: Stage | null; readonly to: Stage };
  INTENT_CREATED: { readonly kind: string; readonly symbol: string; readonly side: Side; readonly client_order_id: string };
  INTENT_STATE_CHANGED: {
    readonly from: IntentState;
    readonly to: IntentState;
    readonly kind: string;
    readonly symbol: string;
    readonly client_order_id: string;
  };
  ORDER_UPDATED: {
    readonly client_order_id: string;
    readonly symbol: string;
    readonly side: string;
    readonly type: string;
    readonly status: string;
    readonly price: DecimalText;
    readonly orig_qty: DecimalText;
    readonly executed_qty: DecimalText;
    readonly exchange_order_id: string;
  };
  FILL_RECORDED: {
    readonly client_order_id: string;
    readonly symbol: string;
    readonly side: Side;
    readonly price: DecimalText;
    readonly qty: DecimalText;
    readonly commission: DecimalText;
    readonly commission_asset: string;
    readonly trade_id: string;
  };
  POSITION_UPDATED: {
    readonly symbol: string;
    readonly qty: DecimalText;
    readonly avg_price: DecimalText;
    readonly protected: boolean;
    readonly opened_ms: number | null;
    readonly stop_price: DecimalText | null;
    readonly take_profit_price: DecimalText | null;
    readonly trailing_delta_bps: number | null;
    readonly last_trade_id: number | null;
  };
  RECONCILE_COMPLETED: { readonly ok: boolean; readonly duration_ms: number; readonly drift: 'OK' | 'WARN' | 'BAD' | 'UNKNOWN'; readonly diffs: number };
  RECONCILE_DIFF: { readonly kind: string; readonly symbol: string | null; readonly severity: 'WARN' | 'BAD'; readonly detail: JsonObject };
};

/** The payload an event of type T must carry. */
export type PayloadOf<T extends EventType> = T extends keyof EventPayloads ? EventPayloads[T] & JsonObject : JsonObject;
