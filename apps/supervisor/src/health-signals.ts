import type { JsonObject, WorkerName } from '@vigil/contracts';

/** The counts a worker sends in every heartbeat (runtime EventTally). */
interface Tally {
  readonly epoch: string;
  readonly by_type: Record<string, number>;
  readonly by_reason: Record<string, number>;
  readonly blocks: Record<string, number>;
  readonly last_ts_ms: Record<string, number>;
}

type Counts = { by_type: Map<string, number>; by_reason: Map<string, number>; blocks: Map<string, number>; last_ts_ms: Map<string, number> };

const AIGATE_CODES = [
  'AIGATE_TIMEOUT',
  'AIGATE_SCHEMA_INVALID',
  'AIGATE_PARSE_FAIL',
  'AIGATE_MODIFY_INVALID',
  'AIGATE_REASON_UNKNOWN',
  'AIGATE_TRANSPORT_ERROR',
  'AIGATE_PRECONDITION_FAILED',
  'AIGATE_BLOCKED',
] as const;
const BLOCK_CODES = ['EDGE_TOO_LOW', 'COST_TOO_HIGH'] as const;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

function asTally(x: unknown): Tally | null {
  if (!isRecord(x) || typeof x['epoch'] !== 'string') return null;
  for (const k of ['by_type', 'by_reason', 'blocks', 'last_ts_ms']) if (!isRecord(x[k])) return null;
  return x as unknown as Tally;
}

/**
 * The health signals of the operations rules, from what the workers already send: their event
 * tallies (incremental counts of what they appended, carried by each heartbeat) and their
 * heartbeat metrics. Nothing here reads the audit database, so a panel refresh or a scrape costs
 * a few map lookups. Counts run for the supervisor's lifetime: a restarted worker starts its tally
 * over (new epoch), and the dead thread's last counts are kept in a base.
 */
export class HealthSignals {
  private readonly base: Counts = { by_type: new Map(), by_reason: new Map(), blocks: new Map(), last_ts_ms: new Map() };
  private readonly last = new Map<WorkerName, Tally>();

  /** Feeds one heartbeat's metrics of `worker`. */
  observe(worker: WorkerName, metrics: JsonObject): void {
    const t = asTally(metrics['event_tally']);
    if (!t) return;
    const prev = this.last.get(worker);
    if (prev && prev.epoch !== t.epoch) this.fold(prev);
    this.last.set(worker, t);
  }

  private fold(t: Tally): void {
    for (const k of ['by_type', 'by_reason', 'blocks'] as const)
      for (const [name, n] of Object.entries(t[k])) this.base[k].set(name, (this.base[k].get(name) ?? 0) + n);
    for (const [name, ts] of Object.entries(t.last_ts_ms)) this.base.last_ts_ms.set(name, Math.max(this.base.last_ts_ms.get(name) ?? 0, ts));
  }

  count(kind: 'by_type' | 'by_reason' | 'blocks', name: string): number {
    let n = this.base[kind].get(name) ?? 0;
    for (const t of this.last.values()) n += t[kind][name] ?? 0;
    return n;
  }

  lastTs(type: string): number | null {
    let ts = this.base.last_ts_ms.get(type) ?? null;
    for (const t of this.last.values()) {
      const x = t.last_ts_ms[type];
      if (typeof x === 'number' && (ts === null || x > ts)) ts = x;
    }
    return ts;
  }

  /**
   * The signals as the panel and /metrics show them. `gateway`, `engine`, `audit`: the workers' last
   * heartbeat metrics ({} without one; a missing number shows as null, never as a zero).
   */
  snapshot(now: number, m: { readonly gateway: JsonObject; readonly engine: JsonObject; readonly audit: JsonObject }): JsonObject {
    const g = m.gateway;
    const e = m.engine;
    const a = m.audit;
    const notSent = isRecord(g['rest_not_sent']) ? g['rest_not_sent'] : {};
    const intents = isRecord(e['intents']) ? e['intents'] : {};
    const unknownSince = num(e['sent_unknown_oldest_since_ms']);
    const gate = isRecord(e['ai_gate']) ? e['ai_gate'] : {};
    const quarantined = Array.isArray(g['quarantined']) ? g['quarantined'].filter((s): s is string => typeof s === 'string') : null;
    return {
      ts_ms: now,
      ws_reconnects_per_min: num(g['ws_reconnects_per_min']),
      // RATE_LIMIT: HTTP 429 answers plus requests not sent while a 429 back-off stood;
      // REST_THROTTLED: requests the local governor held back (never sent).
      rate_limit_total: g['rest_http_429'] === undefined ? null : (num(g['rest_http_429']) ?? 0) + (num(notSent['RATE_LIMIT']) ?? 0),
      rest_throttled_total: num(notSent['REST_THROTTLED']),
      sent_unknown: { count: num(intents['SENT_UNKNOWN']), oldest_age_ms: unknownSince === null ? null : Math.max(0, now - unknownSince) },
      writer: {
        queue_depth: num(a['queue_depth']),
        queue_pct: num(a['queue_pct']),
        lag_ms: num(a['lag_ms']),
        state: typeof a['state'] === 'string' ? a['state'] : null,
      },
      aigate: {
        counts: Object.fromEntries(AIGATE_CODES.map((c) => [c, this.count('by_reason', c)])),
        calls: this.count('by_type', 'AIGATE_CALL'),
        latency_n: num(gate['n']),
        latency_mean_ms: num(gate['mean_ms']),
        latency_variance_ms2: num(gate['variance_ms2']),
      },
      blocks: Object.fromEntries(BLOCK_CODES.map((c) => [c, this.count('blocks', c)])),
      quarantined: { count: quarantined === null ? null : quarantined.length, symbols: quarantined ?? [] },
      filters_refreshed: { count: this.count('by_type', 'FILTERS_REFRESHED'), last_ts_ms: this.lastTs('FILTERS_REFRESHED') },
      user_stream: { state: typeof g['user_stream'] === 'string' ? g['user_stream'] : null, silent_count: num(g['user_stream_silent_count']) },
    };
  }
}
