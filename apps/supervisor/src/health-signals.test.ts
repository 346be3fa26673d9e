import { describe, expect, it } from 'vitest';
import type { JsonObject } from '@vigil/contracts';
import { HealthSignals } from './health-signals.js';

const tally = (
  epoch: string,
  o: { by_type?: Record<string, number>; by_reason?: Record<string, number>; blocks?: Record<string, number>; last_ts_ms?: Record<string, number> },
): JsonObject => ({
  event_tally: { epoch, by_type: o.by_type ?? {}, by_reason: o.by_reason ?? {}, blocks: o.blocks ?? {}, last_ts_ms: o.last_ts_ms ?? {} },
});

describe('health signals from heartbeats and event tallies', () => {
  it('adds a restarted worker (new tally epoch) to the counts of its dead thread instead of starting over', () => {
    const h = new HealthSignals();
    h.observe('engine', tally('a', { by_type: { AIGATE_CALL: 3 }, by_reason: { AIGATE_TIMEOUT: 1 }, blocks: { EDGE_TOO_LOW: 2, COST_TOO_HIGH: 1 } }));
    h.observe('engine', tally('a', { by_type: { AIGATE_CALL: 4 }, by_reason: { AIGATE_TIMEOUT: 1 }, blocks: { EDGE_TOO_LOW: 3, COST_TOO_HIGH: 1 } }));
    h.observe('engine', tally('b', { by_type: { AIGATE_CALL: 1 }, by_reason: { AIGATE_SCHEMA_INVALID: 1 }, blocks: { EDGE_TOO_LOW: 1 } }));
    h.observe('gateway', tally('g', { by_type: { FILTERS_REFRESHED: 2 }, last_ts_ms: { FILTERS_REFRESHED: 1_000 } }));
    const s = h.snapshot(10_000, { gateway: {}, engine: {}, audit: {} }) as Record<string, Record<string, unknown>>;
    expect(s['blocks']).toEqual({ EDGE_TOO_LOW: 4, COST_TOO_HIGH: 1 });
    expect(s['aigate']).toMatchObject({ calls: 5, counts: { AIGATE_TIMEOUT: 1, AIGATE_SCHEMA_INVALID: 1, AIGATE_PARSE_FAIL: 0 } });
    expect(s['filters_refreshed']).toEqual({ count: 2, last_ts_ms: 1_000 });
  });

  it('reads rates, SENT_UNKNOWN age, writer pressure, gate latency and quarantine from the workers metrics, and null (not 0) without a heartbeat', () => {
    const h = new HealthSignals();
    const empty = h.snapshot(5_000, { gateway: {}, engine: {}, audit: {} }) as Record<string, Record<string, unknown> | number | null>;
    expect(empty['ws_reconnects_per_min']).toBeNull();
    expect(empty['rate_limit_total']).toBeNull();
    expect(empty['sent_unknown']).toEqual({ count: null, oldest_age_ms: null });
    expect(empty['writer']).toEqual({ queue_depth: null, queue_pct: null, lag_ms: null, state: null });
    const s = h.snapshot(5_000, {
      gateway: {
        ws_reconnects_per_min: 2,
        rest_http_429: 3,
        rest_not_sent: { RATE_LIMIT: 4, REST_THROTTLED: 5, IP_BANNED: 0 },
        quarantined: ['ETHUSDT'],
        user_stream: 'SUBSCRIBED',
        user_stream_silent_count: 1,
      },
      engine: { intents: { SENT_UNKNOWN: 2, CREATED: 0 }, sent_unknown_oldest_since_ms: 1_500, ai_gate: { n: 4, mean_ms: 120, variance_ms2: 400 } },
      audit: { queue_depth: 7, queue_pct: 0.7, lag_ms: 12, state: 'OK' },
    });
    expect(s).toMatchObject({
      ws_reconnects_per_min: 2,
      rate_limit_total: 7,
      rest_throttled_total: 5,
      sent_unknown: { count: 2, oldest_age_ms: 3_500 },
      writer: { queue_depth: 7, queue_pct: 0.7, lag_ms: 12, state: 'OK' },
      aigate: { latency_n: 4, latency_mean_ms: 120, latency_variance_ms2: 400 },
      quarantined: { count: 1, symbols: ['ETHUSDT'] },
      user_stream: { state: 'SUBSCRIBED', silent_count: 1 },
    });
  });
});
