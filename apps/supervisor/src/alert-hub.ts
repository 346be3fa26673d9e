import type { ActiveReason, JsonObject, ReasonCode, Severity, WorkerAlert } from '@vigil/contracts';
import { REASON_CODES } from '@vigil/contracts';
import { redact } from '@vigil/core';
import type { Logger } from '@vigil/runtime';
import type { WebhookNotifier } from './alerts.js';

/** One alert as every channel receives it, whichever thread raised it. */
export interface AlertNotice {
  readonly ts_ms: number;
  readonly severity: Severity;
  readonly reason_code: ReasonCode | null;
  /** Who raised it: a reason's source (gateway, engine, supervisor, ...) or the worker. */
  readonly source: string;
  readonly symbol: string | null;
  readonly summary: string;
  readonly detail: JsonObject;
  /** The reason's own count when it comes from the mode authority. */
  readonly count?: number;
  readonly since_ms?: number;
}

/** The panel's view: one row per alert key (source + reason + symbol). */
export interface AlertKeyRow {
  readonly key: string;
  readonly source: string;
  readonly reason_code: ReasonCode | null;
  readonly symbol: string | null;
  severity: Severity;
  summary: string;
  count: number;
  readonly first_ts_ms: number;
  last_ts_ms: number;
  last_detail: JsonObject;
}

const LEVEL: Readonly<Record<Severity, 'error' | 'warn' | 'info'>> = { CRIT: 'error', WARN: 'warn', INFO: 'info' };

/** A mode-authority reason as a notice (the supervisor's own alerts). */
export function noticeOfReason(r: ActiveReason): AlertNotice {
  const sym = r.detail['symbol'];
  return {
    ts_ms: r.last_ts_ms,
    severity: r.severity,
    reason_code: r.code,
    source: r.source,
    symbol: typeof sym === 'string' ? sym : null,
    summary: REASON_CODES[r.code].summary,
    detail: r.detail,
    count: r.count,
    since_ms: r.since_ms,
  };
}

/**
 * A worker's ALERT_RAISED as a notice. One with no reason code is routed as WARN at least: a worker
 * raises an alert only for what the operator must see (the envelope's default severity is INFO).
 */
export function noticeOfWorker(a: WorkerAlert): AlertNotice {
  const severity: Severity = a.reason_code === null && a.severity === 'INFO' ? 'WARN' : a.severity;
  const text = a.detail['detail'];
  const summary = a.reason_code ? REASON_CODES[a.reason_code].summary : typeof text === 'string' ? text : 'alert';
  return { ts_ms: a.ts_ms, severity, reason_code: a.reason_code, source: a.source, symbol: a.symbol, summary, detail: a.detail };
}

/**
 * The one alert path: every ALERT_RAISED, the supervisor's own and every worker's, comes here and
 * goes to the console (one winston line, redacted by the logger and here), the panel (a bounded
 * list of alert keys with count, first and last seen) and the webhooks (their own queues; never
 * awaited). The audit row is written where the alert is raised, before it gets here.
 */
export class AlertHub {
  private readonly rows = new Map<string, AlertKeyRow>();
  total = 0;

  constructor(
    private readonly o: {
      readonly log: Logger;
      readonly webhooks: WebhookNotifier;
      /** false: no console line (tests that keep their output quiet). */
      readonly console?: boolean;
      /** Alert keys kept for the panel; the least recently seen go first. */
      readonly capacity?: number;
    },
  ) {}

  deliver(n: AlertNotice): void {
    const detail = redact(n.detail);
    this.total++;
    const key = `${n.source}|${n.reason_code ?? '-'}|${n.symbol ?? '-'}`;
    const row = this.rows.get(key);
    if (row) {
      row.count++;
      row.last_ts_ms = Math.max(row.last_ts_ms, n.ts_ms);
      row.last_detail = detail;
      row.severity = n.severity;
      row.summary = n.summary;
      // Most recently seen last in the map: eviction takes the stalest key.
      this.rows.delete(key);
      this.rows.set(key, row);
    } else {
      this.rows.set(key, {
        key,
        source: n.source,
        reason_code: n.reason_code,
        symbol: n.symbol,
        severity: n.severity,
        summary: n.summary,
        count: 1,
        first_ts_ms: n.ts_ms,
        last_ts_ms: n.ts_ms,
        last_detail: detail,
      });
      const cap = this.o.capacity ?? 200;
      while (this.rows.size > cap) this.rows.delete(this.rows.keys().next().value!);
    }
    if (this.o.console !== false) {
      this.o.log.log(
        LEVEL[n.severity],
        `ALERT [${n.severity}] ${n.reason_code ?? '-'} source=${n.source}${n.symbol ? ` symbol=${n.symbol}` : ''} - ${n.summary}`,
        { alert: { reason_code: n.reason_code, source: n.source, symbol: n.symbol, key_count: this.rows.get(key)!.count, detail } },
      );
    }
    this.o.webhooks.notice(n);
  }

  /** Alert keys, most recently seen first. */
  list(): AlertKeyRow[] {
    return [...this.rows.values()].sort((a, b) => b.last_ts_ms - a.last_ts_ms);
  }
}
