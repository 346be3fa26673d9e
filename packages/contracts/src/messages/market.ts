import { fields } from '../checks.js';
import type { ChannelSpec, Direction } from '../frames.js';
import type { JsonObject } from '../envelope.js';

/**
 * engine <-> exchange-gateway. The gateway's typed outcomes, market data and user events grow here
 * with the gateway issue; until then the channel carries health and a liveness probe.
 */
export interface GatewayHealth {
  readonly ts_ms: number;
  readonly rest: 'UNKNOWN' | 'OK' | 'DEGRADED' | 'DOWN';
  readonly ws: 'UNKNOWN' | 'CONNECTED' | 'RECONNECTING' | 'DOWN';
  readonly clock_offset_ms: number | null;
  readonly used_weight_pct: number | null;
  readonly filters_age_ms: number | null;
  readonly detail: JsonObject;
}

// --- gateway -> engine
export type GatewayEvent = { readonly type: 'gateway_health'; readonly health: GatewayHealth };
export type GatewayRequests = Record<never, never>;

// --- engine -> gateway
export type EngineEvent = never;
export type EngineRequests = {
  readonly gateway_ping: { readonly input: { readonly sent_ts_ms: number }; readonly output: { readonly sent_ts_ms: number; readonly gateway_ts_ms: number } };
};

export type GatewaySide = Direction<GatewayEvent, GatewayRequests>;
export type EngineSide = Direction<{ readonly type: never }, EngineRequests>;

/** a = engine, b = gateway. */
export const MARKET_CHANNEL: ChannelSpec = {
  name: 'market',
  a: { events: {}, requests: { gateway_ping: fields({ sent_ts_ms: 'number' }) } },
  b: { events: { gateway_health: fields({ health: 'object' }) }, requests: {} },
};
