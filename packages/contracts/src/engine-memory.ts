/**
 * What the engine remembers across a restart, as the audit writer reads it from its database and
 * hands it over on the audit channel (request engine_memory). STARTUP_RECONCILE checks every item
 * against REST; nothing here is trusted alone.
 */
export interface DayPnl {
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  /** Realized P&L of the day at the last sample, exact decimal string (quote currency). */
  readonly realized: string;
  /** Highest realized + unrealized total sampled that day. */
  readonly peak_total: string;
  readonly last_sample_seq: number;
  readonly last_sample_ms: number;
  readonly samples: number;
}

/** A position's last snapshot, with the trade ids already counted in it. */
export interface RememberedPosition {
  readonly symbol: string;
  readonly ts_ms: number;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly trade_ids: readonly string[];
}

/** An intent whose outcome was never settled, or a confirmed entry last seen working. */
export interface RememberedIntent {
  readonly order_intent_id: string;
  readonly state: string;
  readonly created_ms: number;
  readonly symbol: string | null;
  readonly side: string | null;
  readonly client_order_id: string | null;
  readonly cycle_id: number | null;
  readonly decision_id: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface EngineMemory {
  readonly positions: readonly RememberedPosition[];
  readonly intents: readonly RememberedIntent[];
  /** Venue ids of the bot's own orders of the last 30 days: trades for them are the bot's. */
  readonly ownOrders: readonly { readonly symbol: string; readonly client_order_id: string; readonly exchange_order_id: string }[];
  /** The last trade id judged per symbol: myTrades is paged from the one after it. */
  readonly lastTradeIds: Readonly<Record<string, number>>;
  /** Intents whose venue order id never reached the audit: startup asks the venue for them. */
  readonly unmapped: readonly { readonly symbol: string; readonly client_order_id: string; readonly kind: string }[];
  readonly today: DayPnl | null;
  /**
   * The latencies of the last AI gate calls (at most GATE_LATENCY_WINDOW, oldest first): the AIGATE_CALL mean and
   * variance health signals cover the same calls after a restart of the engine as before it.
   */
  readonly gateLatenciesMs: readonly number[];
  /**
   * Entries declared NOT_FOUND in the last LATE_WATCH_MS: the restarted engine asks the venue about
   * them again (one that filled after all had been forgotten across a restart). Absent in older builds.
   */
  readonly notFoundEntries?: readonly (RememberedIntent & { readonly state_ms: number })[];
}

/** How long an entry declared NOT_FOUND is asked about again (restarts included). */
export const LATE_WATCH_MS = 600_000;

/** How many of the last AI gate calls the latency signals cover. */
export const GATE_LATENCY_WINDOW = 200;

/** A first start: nothing to remember. */
export const EMPTY_ENGINE_MEMORY: EngineMemory = {
  positions: [],
  intents: [],
  ownOrders: [],
  lastTradeIds: {},
  unmapped: [],
  today: null,
  gateLatenciesMs: [],
};
