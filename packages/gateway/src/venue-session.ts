import { jsonArray, jsonObject } from '@vigil/contracts';
import type { SymbolRules } from '@vigil/core';
import type { ExchangeConfig, GatewayHealth, JsonObject, ReasonCode } from '@vigil/contracts';
import type { ClockEstimator } from './clock.js';
import { diffRules, parseExchangeInfo } from './exchange-info.js';
import type { RestOutcome } from './outcome.js';
import type { RateGovernor } from './rate-limits.js';
import type { HttpMethod, RestClient, SignedCallOptions } from './rest-client.js';
import type { Params } from './signing.js';

/**
 * The gateway's standing relationship with the venue: clock offset, trading rules and rate limits
 * from exchangeInfo, API-key permissions, and the health and reason codes they imply. Every method
 * turns the venue's answers into reasons (raised and cleared) and audit events; nothing throws.
 */
export interface VenueSessionDeps {
  readonly rest: RestClient;
  readonly clock: ClockEstimator;
  readonly governor: RateGovernor;
  readonly cfg: ExchangeConfig;
  readonly now: () => number;
  /** Raise (on) or clear (off) a reason; the caller makes it idempotent. */
  readonly reason: (code: ReasonCode, on: boolean, detail: JsonObject) => void;
  readonly event: (type: 'CLOCK_SYNCED' | 'FILTERS_REFRESHED' | 'RATE_LIMIT_OBSERVED' | 'REST_CALLED', payload: JsonObject, reason?: ReasonCode) => void;
  /** Called after every successful refresh with the new rules. */
  readonly onRules?: (rules: ReadonlyMap<string, SymbolRules>) => void;
}

/** Consecutive failed syncs before the venue counts as unreachable. */
export const UNAVAILABLE_AFTER_FAILURES = 3;

export class VenueSession {
  rules: ReadonlyMap<string, SymbolRules> = new Map();
  filtersAt: number | null = null;
  /** Why the last exchangeInfo refresh was refused (a reply this build cannot read), until one is understood. */
  private refreshRefused: string | null = null;
  private clockFailures = 0;
  private lastRestOk: number | null = null;
  private lastRestFail: number | null = null;
  private readonly refreshListeners: (() => void)[] = [];

  constructor(private readonly d: VenueSessionDeps) {}

  get restClient(): RestClient {
    return this.d.rest;
  }

  /** The configured symbols, and the settings the order desk's quarantine reads. */
  get cfg(): ExchangeConfig {
    return this.d.cfg;
  }

  /**
   * Called after every successful refresh, after FILTERS_REFRESHED is recorded and before
   * `onRules` (the broadcast): the order desk sees each new set of rules, whoever asked for it.
   */
  onRefresh(listener: () => void): void {
    this.refreshListeners.push(listener);
  }

  /** Samples /api/v3/time; the estimator keeps the median offset. CLOCK_DRIFT when over the limit. */
  async syncClock(samples = 3): Promise<boolean> {
    let accepted = 0;
    let lastFailure = '';
    for (let i = 0; i < samples; i++) {
      const sendLocalMs = this.d.now();
      const out = await this.d.rest.publicGet('/api/v3/time', {}, 1);
      const recvLocalMs = this.d.now();
      this.note(out);
      const serverTime = out.kind === 'OK' ? (out.body as { serverTime?: unknown } | null)?.serverTime : undefined;
      if (typeof serverTime !== 'number') {
        lastFailure = out.kind === 'OK' ? 'reply without serverTime' : describe(out);
        continue;
      }
      const v = this.d.clock.addSample({ sendLocalMs, serverTimeMs: serverTime, recvLocalMs });
      if (v.accepted) accepted++;
    }
    const st = this.d.clock.status();
    if (accepted === 0 || st.state !== 'SYNCED') {
      this.clockFailures++;
      if (this.clockFailures >= UNAVAILABLE_AFTER_FAILURES) {
        this.d.reason('EXCHANGE_UNAVAILABLE', true, { failures: this.clockFailures, last_failure: lastFailure, rest_base_url: this.d.cfg.rest_base_url });
      }
      return false;
    }
    this.clockFailures = 0;
    this.d.reason('EXCHANGE_UNAVAILABLE', false, {});
    const detail = {
      offset_ms: st.offsetMs,
      drift_ms: st.driftMs,
      rtt_ms: st.rttMs,
      samples: st.samples,
      clock_drift_max_ms_live: this.d.cfg.clock_drift_max_ms_live,
    };
    this.d.reason('CLOCK_DRIFT', !st.driftOk, detail);
    this.d.event('CLOCK_SYNCED', detail, st.driftOk ? undefined : 'CLOCK_DRIFT');
    return true;
  }

  /**
   * Reloads exchangeInfo: new rules and rate limits, FILTERS_REFRESHED with the diff, and
   * SYMBOL_NOT_TRADING for configured symbols that are missing or not TRADING. A malformed reply
   * keeps the previous rules (never trade on half-parsed ones).
   */
  async refreshFilters(): Promise<boolean> {
    // Only the symbols we trade (the full live reply is thousands of entries, megabytes). Binance
    // refuses the whole request (-1121) when one of them is not listed: then each symbol alone, so
    // the missing one shows as MISSING (quarantined) instead of holding every symbol's rules back.
    // (The full listing instead, parsed on this thread, stalled it into restarts with 3000 symbols.)
    const symbols = JSON.stringify(this.d.cfg.symbols);
    const out = await this.d.rest.publicGet('/api/v3/exchangeInfo', { symbols }, 20);
    this.note(out);
    const body = out.kind === 'REJECTED' && out.code === -1121 ? await this.eachSymbolInfo() : out.kind === 'OK' ? out.body : null;
    if (body === null) return false;
    const info = parseExchangeInfo(body, this.d.cfg.symbols);
    if (!info.ok) {
      this.d.event('FILTERS_REFRESHED', { ok: false, code: info.code, reason: info.reason }, info.code);
      // The venue's rules changed into something this build cannot read (one malformed filter on
      // one symbol refused the whole reply): the rules held are no longer known to be current, so
      // entries wait (FILTERS_STALE, DEGRADE) until a refresh is understood; management goes on.
      this.refreshRefused = info.reason;
      this.checkFreshness();
      return false;
    }
    this.refreshRefused = null;
    const wanted = new Map([...info.rules].filter(([s]) => this.d.cfg.symbols.includes(s)));
    const diff = diffRules(this.rules, wanted);
    this.rules = wanted;
    this.filtersAt = this.d.now();
    this.d.governor.setLimits(info.rateLimits);
    // Recorded first: a quarantine imposed or lifted on these rules is audited after them.
    this.d.event('FILTERS_REFRESHED', {
      ok: true,
      symbols: wanted.size,
      diff: jsonArray(diff),
      rate_limits: jsonArray(info.rateLimits),
    });
    for (const l of this.refreshListeners) l();
    this.d.onRules?.(wanted);
    const notTrading = this.d.cfg.symbols.filter((s) => wanted.get(s)?.status !== 'TRADING');
    this.d.reason('SYMBOL_NOT_TRADING', notTrading.length > 0, {
      symbols: notTrading,
      statuses: Object.fromEntries(notTrading.map((s) => [s, wanted.get(s)?.status ?? 'MISSING'])),
    });
    this.d.reason('FILTERS_STALE', false, {});
    return true;
  }

  /**
   * exchangeInfo asked symbol by symbol, as one reply: the listed symbols' entries, the first
   * answer's envelope. A symbol answered -1121 is left out (MISSING); any other failure, or no
   * symbol listed at all, gives null.
   */
  private async eachSymbolInfo(): Promise<unknown> {
    let envelope: Record<string, unknown> | null = null;
    const listed: unknown[] = [];
    for (const symbol of this.d.cfg.symbols) {
      const one = await this.d.rest.publicGet('/api/v3/exchangeInfo', { symbol }, 20);
      this.note(one);
      if (one.kind === 'REJECTED' && one.code === -1121) continue;
      if (one.kind !== 'OK' || typeof one.body !== 'object' || one.body === null) return null;
      const b = one.body as Record<string, unknown>;
      envelope ??= b;
      if (Array.isArray(b['symbols'])) listed.push(...(b['symbols'] as unknown[]));
    }
    if (envelope === null) {
      // Not one of them listed: no rules can be current, and entries wait (FILTERS_STALE).
      this.refreshRefused = 'no configured symbol is listed (-1121 for each)';
      this.checkFreshness();
      return null;
    }
    return { ...envelope, symbols: listed };
  }

  /**
   * API-key permissions: withdrawals enabled is refused outright (a trading bot's key must not be
   * able to move funds out); a key that cannot trade, or is rejected, is API_KEY_INVALID. True once
   * both questions got a definitive answer (a throttled or failed call leaves the key unchecked).
   */
  async checkApiKey(): Promise<boolean> {
    const restr = await this.d.rest.signed('GET', '/sapi/v1/account/apiRestrictions', {}, { weight: 1, kind: 'read' });
    this.note(restr);
    if (restr.kind === 'OK') {
      const body = (restr.body ?? {}) as { enableWithdrawals?: unknown; ipRestrict?: unknown };
      this.d.reason('API_KEY_WITHDRAW_ENABLED', body.enableWithdrawals === true, {
        enableWithdrawals: body.enableWithdrawals === true,
        ipRestrict: body.ipRestrict === true,
      });
    } else if (restr.kind === 'REJECTED') {
      this.keyRejected(restr);
    }
    const acct = await this.d.rest.signed('GET', '/api/v3/account', { omitZeroBalances: 'true' }, { weight: 20, kind: 'read' });
    this.note(acct);
    if (acct.kind === 'OK') {
      const canTrade = (acct.body as { canTrade?: unknown } | null)?.canTrade === true;
      this.d.reason('API_KEY_INVALID', !canTrade, { canTrade });
      this.d.reason('SIGNATURE_REJECTED', false, {});
    } else if (acct.kind === 'REJECTED') {
      this.keyRejected(acct);
    }
    return (restr.kind === 'OK' || restr.kind === 'REJECTED') && (acct.kind === 'OK' || acct.kind === 'REJECTED');
  }

  /**
   * A signed call with the operations rules' timestamp policy: on -1021 (a definitive rejection:
   * nothing was executed) re-sync the clock once and retry once; if it is rejected again, raise
   * TIMESTAMP_REJECTED (PAUSE). Any other outcome passes through untouched: UNKNOWN stays UNKNOWN.
   */
  async signedWithResync(method: HttpMethod, path: string, params: Params, opts: SignedCallOptions): Promise<RestOutcome> {
    const first = await this.d.rest.signed(method, path, params, opts);
    this.note(first);
    if (!isTimestampReject(first)) {
      if (first.kind === 'OK') this.d.reason('TIMESTAMP_REJECTED', false, {});
      // -1022 / -2014 / -2015 on any call (an order included) is refused before the venue acted:
      // the outcome stays REJECTED, and the key or its configuration needs the operator (PAUSE).
      if (first.kind === 'REJECTED') this.keyRejected(first, path);
      return first;
    }
    // A fresh measurement: the median of an old window would still hold the stale offset.
    this.d.clock.reset();
    await this.syncClock(3);
    const second = await this.d.rest.signed(method, path, params, opts);
    this.note(second);
    this.d.reason('TIMESTAMP_REJECTED', isTimestampReject(second), { path, code: -1021, clock: jsonObject(this.d.clock.status()) });
    return second;
  }

  /** Periodic: stale filters, and the governor's view of 429/418. */
  checkFreshness(): void {
    const age = this.filtersAt === null ? null : this.d.now() - this.filtersAt;
    this.d.reason('FILTERS_STALE', age === null || age > this.d.cfg.filters_max_age_ms || this.refreshRefused !== null, {
      filters_age_ms: age,
      filters_max_age_ms: this.d.cfg.filters_max_age_ms,
      ...(this.refreshRefused !== null ? { refresh_refused: this.refreshRefused } : {}),
    });
    const g = this.d.governor.snapshot(this.d.now());
    this.d.reason('RATE_LIMIT', g.state === 'RATE_LIMITED', { ...g });
    this.d.reason('IP_BANNED', g.state === 'BANNED', { ...g });
    this.d.reason('ORDER_RATE_LIMITED', g.orders_blocked_until_ms !== null, { ...g });
  }

  health(): GatewayHealth {
    const now = this.d.now();
    const st = this.d.clock.status();
    const g = this.d.governor.snapshot(now);
    const rest: GatewayHealth['rest'] =
      this.lastRestOk === null && this.lastRestFail === null
        ? 'UNKNOWN'
        : this.clockFailures >= UNAVAILABLE_AFTER_FAILURES
          ? 'DOWN'
          : g.state !== 'OK' || (this.lastRestFail ?? 0) > (this.lastRestOk ?? 0)
            ? 'DEGRADED'
            : 'OK';
    return {
      ts_ms: now,
      rest,
      ws: 'UNKNOWN',
      clock_offset_ms: st.state === 'SYNCED' ? st.offsetMs : null,
      used_weight_pct: g.used_weight_pct,
      filters_age_ms: this.filtersAt === null ? null : now - this.filtersAt,
      detail: { governor: g.state, order_count_pct: g.order_count_pct, symbols: [...this.rules.keys()], clock: st.state },
    };
  }

  private keyRejected(out: Extract<RestOutcome, { kind: 'REJECTED' }>, path?: string): void {
    const detail = { code: out.code, msg: out.msg, key_type: this.d.cfg.api_key_type, ...(path ? { path } : {}) };
    if (out.code === -1022) this.d.reason('SIGNATURE_REJECTED', true, detail);
    else if (out.code === -2014 || out.code === -2015 || out.status === 401) this.d.reason('API_KEY_INVALID', true, detail);
  }

  private note(out: RestOutcome): void {
    if (out.kind === 'OK' || out.kind === 'REJECTED') this.lastRestOk = this.d.now();
    else this.lastRestFail = this.d.now();
  }
}

function describe(out: RestOutcome): string {
  switch (out.kind) {
    case 'OK':
      return 'OK';
    case 'REJECTED':
      return `REJECTED ${out.code} ${out.msg}`;
    case 'UNKNOWN':
      return `UNKNOWN ${out.reason}`;
    case 'THROTTLED':
      return `THROTTLED ${out.status}`;
    case 'NETWORK_BEFORE_SEND':
      return `NETWORK_BEFORE_SEND ${out.reason}`;
    case 'NOT_SENT':
      return `NOT_SENT ${out.cause}`;
  }
}

function isTimestampReject(out: RestOutcome): boolean {
  return out.kind === 'REJECTED' && out.code === -1021;
}
