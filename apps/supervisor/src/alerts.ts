import got from 'got';
import type { ActiveReason, AlertsConfig, JsonObject } from '@vigil/contracts';
import { REASON_CODES } from '@vigil/contracts';
import { backoffMs, redact, registerSecret } from '@vigil/core';
import { registerWebhookUrls, webhookDisplay } from '@vigil/runtime';
import type { AlertNotice } from './alert-hub.js';

/** What a webhook receives (POST, application/json). */
export type WebhookBody =
  | {
      readonly kind: 'ALERT_RAISED';
      readonly run_id: string;
      readonly ts_ms: number;
      readonly severity: 'CRIT' | 'WARN' | 'INFO';
      /** null for a worker's alert that carries no reason code. */
      readonly reason_code: string | null;
      readonly summary: string;
      readonly source: string;
      readonly symbol?: string | null;
      readonly count: number;
      readonly since_ms: number;
      readonly detail: JsonObject;
    }
  | {
      readonly kind: 'MODE_CHANGED';
      readonly run_id: string;
      readonly ts_ms: number;
      readonly from: string;
      readonly to: string;
      readonly mode_seq: number;
      readonly reasons: readonly JsonObject[];
    };

export interface WebhookTargetStats {
  /** Scheme, host (and port) and a fingerprint only: the path or query of a webhook URL is its secret. */
  readonly url: string;
  readonly queued: number;
  readonly in_flight: boolean;
  readonly sent: number;
  readonly failed: number;
  readonly retries: number;
  readonly dropped: number;
  readonly last_ok_ms: number | null;
  readonly last_error: string | null;
  readonly last_error_ms: number | null;
}

export interface WebhookStats {
  readonly enabled: boolean;
  readonly on: readonly string[];
  readonly sent: number;
  readonly failed: number;
  readonly dropped: number;
  readonly targets: readonly WebhookTargetStats[];
}

interface Item {
  readonly body: string;
  attempt: number;
}

/**
 * One receiver: its own bounded queue, one POST in flight at a time (order is kept), retries with
 * exponential backoff up to `webhook_attempts_max`, then the notification is given up and counted.
 * Nothing here is awaited by the supervisor: a dead receiver costs a timer and a bounded queue.
 */
class Target {
  private readonly queue: Item[] = [];
  /** The notification being delivered or waiting for its retry; not in `queue`. */
  private current: Item | null = null;
  private inFlight = false;
  private timer: NodeJS.Timeout | null = null;
  private abort: AbortController | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  sent = 0;
  failed = 0;
  retries = 0;
  dropped = 0;
  lastOk: number | null = null;
  lastError: string | null = null;
  lastErrorAt: number | null = null;

  constructor(
    readonly url: string,
    private readonly cfg: AlertsConfig,
    private readonly headers: Record<string, string>,
    private readonly random: () => number,
  ) {}

  push(body: string): void {
    if (this.closed) return;
    this.queue.push({ body, attempt: 0 });
    while (this.queue.length > this.cfg.webhook_queue_capacity) {
      // The oldest waiting one goes (never the current one, which is not in the queue).
      this.queue.shift();
      this.dropped++;
    }
    this.pump();
  }

  private pump(): void {
    if (this.inFlight || this.timer || this.closed) return;
    this.current ??= this.queue.shift() ?? null;
    const item = this.current;
    if (!item) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.inFlight = true;
    void this.post(item).then((ok) => {
      this.inFlight = false;
      if (this.closed) return;
      if (ok) {
        this.current = null;
        this.sent++;
        this.lastOk = Date.now();
        this.pump();
        return;
      }
      item.attempt++;
      if (item.attempt >= this.cfg.webhook_attempts_max) {
        this.current = null;
        this.failed++;
        this.pump();
        return;
      }
      this.retries++;
      const delay = backoffMs(item.attempt - 1, this.cfg.webhook_backoff_initial_ms, this.cfg.webhook_backoff_max_ms, this.random);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, delay);
      this.timer.unref();
    });
  }

  private async post(item: Item): Promise<boolean> {
    this.abort = new AbortController();
    const t = setTimeout(() => this.abort?.abort(), this.cfg.webhook_timeout_ms);
    t.unref();
    try {
      // got as the transport: its error codes (ECONNREFUSED, ETIMEDOUT, ...) name the failure; its
      // own retry is off because this queue owns retries, backoff and the attempt limit.
      const r = await got.post(this.url, {
        headers: this.headers,
        body: item.body,
        signal: this.abort.signal,
        retry: { limit: 0 },
        followRedirect: false,
        throwHttpErrors: false,
      });
      if (r.statusCode >= 200 && r.statusCode < 300) return true;
      this.noteError(`HTTP ${r.statusCode}`);
      return false;
    } catch (e) {
      const err = e as Error & { code?: string };
      this.noteError(this.abort.signal.aborted ? `timeout after ${this.cfg.webhook_timeout_ms} ms` : `${err.code ?? 'ERROR'}: ${err.message}`);
      return false;
    } finally {
      clearTimeout(t);
      this.abort = null;
    }
  }

  private noteError(msg: string): void {
    // The URL itself explicitly (got's messages may quote it), then every other registered secret.
    this.lastError = redact(msg.split(this.url).join(webhookDisplay(this.url))).slice(0, 200);
    this.lastErrorAt = Date.now();
  }

  /** Resolves when nothing is queued or in flight, or after `ms`. */
  idle(ms: number): Promise<void> {
    if (this.current === null && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
    this.dropped += this.queue.length + (this.current ? 1 : 0);
    this.queue.length = 0;
    this.current = null;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  stats(): WebhookTargetStats {
    return {
      url: webhookDisplay(this.url),
      queued: this.queue.length + (this.current ? 1 : 0),
      in_flight: this.inFlight,
      sent: this.sent,
      failed: this.failed,
      retries: this.retries,
      dropped: this.dropped,
      last_ok_ms: this.lastOk,
      last_error: this.lastError,
      last_error_ms: this.lastErrorAt,
    };
  }
}

/**
 * Alerting outside the page: every selected ALERT_RAISED and MODE_CHANGED is POSTed as JSON to each
 * configured URL. `notify*` only enqueues and returns: the mode authority never waits for a
 * receiver, and a receiver's failure is counted and shown (panel, /metrics), never retried forever.
 */
export class WebhookNotifier {
  private readonly targets: Target[];
  private readonly on: ReadonlySet<string>;

  constructor(
    private readonly cfg: AlertsConfig,
    private readonly runId: string,
    env: NodeJS.ProcessEnv = process.env,
    random: () => number = Math.random,
  ) {
    const token = env['VIGIL_WEBHOOK_TOKEN'];
    registerSecret(token);
    // Before any delivery error can be noted: an HTTP client's message may quote the URL.
    registerWebhookUrls(cfg.webhook_urls);
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'vigil-supervisor' };
    if (token) headers['Authorization'] = `Bearer ${token}`;
    this.targets = cfg.webhook_urls.map((u) => new Target(u, cfg, headers, random));
    this.on = new Set(cfg.webhook_on);
  }

  get enabled(): boolean {
    return this.targets.length > 0;
  }

  alert(r: ActiveReason): void {
    if (!this.enabled || !this.on.has(r.severity)) return;
    this.send({
      kind: 'ALERT_RAISED',
      run_id: this.runId,
      ts_ms: r.last_ts_ms,
      severity: r.severity,
      reason_code: r.code,
      summary: REASON_CODES[r.code].summary,
      source: r.source,
      count: r.count,
      since_ms: r.since_ms,
      detail: redact(r.detail),
    });
  }

  /** Any alert on the one alert path (the supervisor's reasons and every worker's ALERT_RAISED). */
  notice(n: AlertNotice): void {
    if (!this.enabled || !this.on.has(n.severity)) return;
    this.send({
      kind: 'ALERT_RAISED',
      run_id: this.runId,
      ts_ms: n.ts_ms,
      severity: n.severity,
      reason_code: n.reason_code,
      summary: n.summary,
      source: n.source,
      symbol: n.symbol,
      count: n.count ?? 1,
      since_ms: n.since_ms ?? n.ts_ms,
      detail: redact(n.detail),
    });
  }

  modeChanged(from: string, to: string, modeSeq: number, reasons: readonly JsonObject[], tsMs: number = Date.now()): void {
    if (!this.enabled || !this.on.has('MODE_CHANGED')) return;
    this.send({ kind: 'MODE_CHANGED', run_id: this.runId, ts_ms: tsMs, from, to, mode_seq: modeSeq, reasons: redact(reasons) });
  }

  private send(body: WebhookBody): void {
    const text = JSON.stringify(body);
    for (const t of this.targets) t.push(text);
  }

  /** Gives queued notifications up to `ms` to go out (shutdown: the EXIT change), then stops. */
  async close(ms: number): Promise<void> {
    await Promise.all(this.targets.map((t) => t.idle(ms)));
    for (const t of this.targets) t.close();
  }

  stats(): WebhookStats {
    const targets = this.targets.map((t) => t.stats());
    const sum = (k: 'sent' | 'failed' | 'dropped'): number => targets.reduce((a, t) => a + t[k], 0);
    return { enabled: this.enabled, on: [...this.on], sent: sum('sent'), failed: sum('failed'), dropped: sum('dropped'), targets };
  }
}
