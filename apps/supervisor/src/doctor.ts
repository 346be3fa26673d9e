import { accessSync, constants, existsSync, statfsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { verifyAuditSet } from '@vigil/audit';
import { type Config, type Decision, decisionIdOf, jsonObject, type JsonObject, orderRole, REASON_CODES, type ReasonCode } from '@vigil/contracts';
import { protectionGap, redact, redactString } from '@vigil/core';
import { AIGate } from '@vigil/engine';
import { createClockEstimator, createRateGovernor, createRestClient, parseExchangeInfo, signerFor, UserStream, type RestOutcome } from '@vigil/gateway';
import { aiGateKey, configForRecord, parseConfig, registerProcessSecrets } from '@vigil/runtime';
import { checkLiveLocks } from './live-locks.js';
import { liveSupervisorPid } from './run-lock.js';

/**
 * `supervisor doctor`: the operations rules' LIVE CHECKLIST as code. Every item is OK / WARN /
 * FAIL (or SKIP when it cannot apply) with the measured value, the threshold from the config and the
 * reason code it maps to. It only reads: never an order, never a write to the audit database (its
 * connection is read-only), REST calls are public or signed reads.
 */
export type CheckStatus = 'OK' | 'WARN' | 'FAIL' | 'SKIP';

export interface CheckResult {
  readonly section: string;
  readonly item: string;
  readonly status: CheckStatus;
  readonly value: string;
  readonly threshold: string;
  readonly reason: ReasonCode | null;
}

export interface DoctorReport {
  readonly checks: readonly CheckResult[];
  /** True when no item FAILs: entries could be released. */
  readonly releasable: boolean;
  readonly bot_running: boolean;
  readonly config: JsonObject;
  /** The schema's defaults, redacted the same way, so a reader can tell what was changed. */
  readonly config_defaults: JsonObject;
}

export interface DoctorInput {
  readonly config: Config;
  readonly varDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly secrets: { readonly api_key: string; readonly api_secret: string } | null;
  readonly secretsProblem?: { readonly code: ReasonCode; readonly message: string } | null;
  readonly timeoutMs?: number;
}

const MiB = 1024 * 1024;
const mb = (n: number): string => `${(n / MiB).toFixed(0)} MiB`;

export async function runDoctor(i: DoctorInput): Promise<DoctorReport> {
  const c = i.config;
  // Before the first line of the report: a check's value may quote an endpoint or a reply.
  registerProcessSecrets(c, null, i.env);
  const out: CheckResult[] = [];
  const add = (section: string, item: string, status: CheckStatus, value: string, threshold: string, reason: ReasonCode | null = null): void => {
    // A value can quote a configured URL (REST, streams): its query-string secrets never reach the report.
    out.push({ section, item, status, value: redactString(value), threshold, reason: status === 'OK' || status === 'SKIP' ? null : reason });
  };
  const timeout = i.timeoutMs ?? 5000;
  const varDir = resolve(i.varDir);

  // 1. Mode and safety locks.
  const S1 = '1 mode and locks';
  add(S1, 'MODE', c.mode === 'LIVE' ? 'OK' : 'FAIL', c.mode, 'LIVE', 'MODE_NOT_LIVE');
  add(S1, 'AI_DEC', c.ai_dec === 2 ? 'OK' : 'FAIL', String(c.ai_dec), '2', 'AI_DEC_NOT_2');
  const locks = checkLiveLocks(c, { live: true }, varDir);
  const lockFile = resolve(varDir, c.live.live_lock_file);
  if (!c.live.live_lock_file_enabled) add(S1, 'live lock file', 'WARN', 'disabled', 'enabled', 'LIVE_LOCK_FILE_MISSING');
  else
    add(
      S1,
      'live lock file',
      existsSync(lockFile) ? 'OK' : 'FAIL',
      existsSync(lockFile) ? lockFile : `${lockFile} missing`,
      'exists',
      'LIVE_LOCK_FILE_MISSING',
    );
  void locks;
  add(
    S1,
    'exchange credentials',
    i.secrets ? 'OK' : 'FAIL',
    i.secrets ? 'loaded (redacted)' : (i.secretsProblem?.message ?? 'none'),
    '0600 file or environment',
    i.secretsProblem?.code ?? 'SECRETS_MISSING',
  );
  const kill = resolve(varDir, c.risk.kill_switch_file);
  add(S1, 'kill switch', existsSync(kill) ? 'FAIL' : 'OK', existsSync(kill) ? `${kill} present` : 'absent', 'absent', 'KILL_SWITCH_ACTIVE');

  // 2. Database and auditing.
  const S2 = '2 database and audit';
  const S5PRE = '5 limits and security';
  const dataDir = join(varDir, 'data');
  const db = join(dataDir, 'audit.sqlite');
  const writable = (p: string): boolean => {
    try {
      accessSync(p, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (!existsSync(db)) {
    add(
      S2,
      'audit database',
      existsSync(dataDir) && !writable(dataDir) ? 'FAIL' : 'WARN',
      'not created yet (first start creates it)',
      'writable',
      'AUDIT_DB_UNUSABLE',
    );
  } else {
    const isFile = statSync(db).isFile();
    const wal = `${db}-wal`;
    const ok = isFile && writable(db) && writable(dataDir) && (!existsSync(wal) || writable(wal));
    add(S2, 'audit database writable', ok ? 'OK' : 'FAIL', isFile ? db : `${db} is not a file`, 'DB, WAL and directory writable', 'AUDIT_DB_UNUSABLE');
    if (isFile) {
      try {
        const r = new Database(db, { readonly: true, fileMustExist: true });
        try {
          const mode = String(r.pragma('journal_mode', { simple: true }));
          add(S2, 'journal mode', mode.toLowerCase() === 'wal' ? 'OK' : 'FAIL', mode, 'wal', 'AUDIT_DB_UNUSABLE');
        } finally {
          r.close();
        }
        // The monthly archives (retention) and the live database, as one chain.
        const v = verifyAuditSet(db, join(dirname(db), 'archive'));
        add(
          S2,
          'audit hash chain',
          v.ok ? 'OK' : 'FAIL',
          v.ok ? `${v.rows} events verified${v.archivedRows ? ` (+ ${v.archivedRows} archived)` : ''}` : `${v.reason} at seq ${v.firstBadSeq}`,
          'intact',
          'AUDIT_CHAIN_BROKEN',
        );
      } catch (e) {
        add(S2, 'audit database readable', 'FAIL', (e as Error).message, 'opens read-only', 'AUDIT_DB_UNUSABLE');
      }
      const walBytes = existsSync(wal) ? statSync(wal).size : 0;
      add(S2, 'WAL size', walBytes > c.audit.wal_abnormal_bytes ? 'WARN' : 'OK', mb(walBytes), `< ${mb(c.audit.wal_abnormal_bytes)}`, 'WAL_GROWTH_ABNORMAL');
    }
  }
  const pid = liveSupervisorPid(varDir);
  add(S2, 'one writer', 'OK', pid === null ? 'no supervisor on this var/' : `supervisor pid ${pid} (run lock)`, 'at most one supervisor per var/', null);
  add(S2, 'busy_timeout / synchronous', 'OK', `${c.audit.busy_timeout_ms} ms / ${c.audit.synchronous}`, 'configured', null);
  try {
    const fs = statfsSync(existsSync(varDir) ? varDir : resolve(varDir, '..'));
    const free = fs.bavail * fs.bsize;
    const st: CheckStatus = free < c.audit.disk_free_pause_bytes ? 'FAIL' : free < c.audit.disk_free_degrade_bytes ? 'WARN' : 'OK';
    add(
      S2,
      'disk free',
      st,
      mb(free),
      `>= ${mb(c.audit.disk_free_degrade_bytes)} (pause < ${mb(c.audit.disk_free_pause_bytes)})`,
      st === 'FAIL' ? 'DISK_LOW_PAUSE' : 'DISK_LOW_DEGRADE',
    );
  } catch (e) {
    add(S2, 'disk free', 'FAIL', (e as Error).message, 'measurable', 'DISK_LOW_PAUSE');
  }
  const today = new Date().toISOString().slice(0, 10);
  const jsonl = join(varDir, 'jsonl', `events-${today}.jsonl`);
  // A running bot (its panel answers on loopback) shows its own writer health.
  const running = await panelStatus(c, timeout);
  if (running) {
    const audit = (running['workers'] as Record<string, { metrics?: Record<string, unknown> }> | undefined)?.['audit']?.metrics ?? {};
    const state = String(audit['state'] ?? 'UNKNOWN');
    add(
      S2,
      'running bot: writer',
      state === 'OK' ? 'OK' : state === 'HIGH' ? 'WARN' : 'FAIL',
      `${state}, queue ${String(audit['queue_pct'] ?? '?')} %, mode ${String(running['mode'] ?? '?')}`,
      'OK',
      state === 'HIGH' ? 'DB_WRITER_QUEUE_HIGH' : 'DB_WRITER_QUEUE_FULL',
    );
    add(S2, 'JSONL active', existsSync(jsonl) ? 'OK' : 'FAIL', existsSync(jsonl) ? jsonl : `${jsonl} missing`, "today's file exists", 'JSONL_WRITE_FAILED');
    const alerts = await fetch(`http://127.0.0.1:${c.panel.port}/api/alerts`, { signal: AbortSignal.timeout(Math.min(timeout, 2000)) })
      .then((r) => (r.ok ? (r.json() as Promise<{ alerts?: unknown[] }>) : null))
      .catch(() => null);
    add(
      S5PRE,
      'alerting',
      alerts && Array.isArray(alerts.alerts) ? 'OK' : 'FAIL',
      alerts && Array.isArray(alerts.alerts) ? `${alerts.alerts.length} recent alerts readable (console + ALERT_RAISED)` : 'alerts not readable',
      'alerts list answers',
      'AUDIT_DB_UNUSABLE',
    );
    for (const r of runningBotChecks(running, await panelJson(c, '/api/reconcile', timeout), Date.now()))
      add(r.section, r.item, r.status, r.value, r.threshold, r.reason);
  } else {
    add(S2, 'running bot', 'SKIP', 'none answers on the panel port', '-', null);
  }

  // 3. Binance: filters and clock (REST).
  const S3 = '3 exchange: filters and clock';
  const ex = c.exchange;
  const clock = createClockEstimator({ driftMaxMs: ex.clock_drift_max_ms_live });
  const governor = createRateGovernor([]);
  const signing = i.secrets ? signerFor(ex.api_key_type, i.secrets.api_secret) : null;
  const rest = createRestClient({
    baseUrl: ex.rest_base_url,
    ...(i.secrets && signing?.ok ? { apiKey: i.secrets.api_key, secret: i.secrets.api_secret, signer: signing.signer } : {}),
    recvWindowMs: ex.time_sync_recv_window_ms,
    readTimeoutMs: Math.min(ex.rest_timeout_ms, timeout),
    orderTimeoutMs: ex.order_timeout_ms,
    clock: { localNow: Date.now, exchangeNow: (t) => clock.exchangeNow(t) },
    governor,
  });
  try {
    const ping = await rest.publicGet('/api/v3/ping', {}, 1);
    add(S3, 'REST reachable', ping.kind === 'OK' ? 'OK' : 'FAIL', `${ex.rest_base_url}: ${ping.kind}`, 'OK', 'EXCHANGE_UNAVAILABLE');
    if (ping.kind === 'OK') {
      for (let k = 0; k < 5; k++) {
        const t0 = Date.now();
        const r = await rest.publicGet('/api/v3/time', {}, 1);
        const t1 = Date.now();
        const st = r.kind === 'OK' ? (r.body as { serverTime?: unknown }).serverTime : undefined;
        if (typeof st === 'number') clock.addSample({ sendLocalMs: t0, recvLocalMs: t1, serverTimeMs: st });
      }
      const cs = clock.status();
      const off = cs.state === 'SYNCED' ? cs.offsetMs : null;
      add(
        S3,
        'clock offset',
        off === null ? 'FAIL' : Math.abs(off) > ex.clock_drift_max_ms_live ? 'FAIL' : 'OK',
        off === null ? 'no sample' : `${off.toFixed(0)} ms`,
        `|offset| <= ${ex.clock_drift_max_ms_live} ms (recvWindow ${ex.time_sync_recv_window_ms} ms, sync every ${ex.time_sync_interval_ms} ms)`,
        'CLOCK_DRIFT',
      );
      // Only the traded symbols, as the gateway asks (the live full list is wide; -1121 names one not listed).
      const info = await rest.publicGet('/api/v3/exchangeInfo', { symbols: JSON.stringify(ex.symbols) }, 20);
      const parsed = info.kind === 'OK' ? parseExchangeInfo(info.body, ex.symbols) : null;
      if (!parsed?.ok) add(S3, 'filters loaded', 'FAIL', info.kind === 'OK' ? 'exchangeInfo not understood' : info.kind, 'parsed', 'FILTERS_STALE');
      else {
        governor.setLimits(parsed.rateLimits);
        for (const sym of ex.symbols) {
          const r = parsed.rules.get(sym);
          const need = ['PRICE_FILTER', 'LOT_SIZE'] as const;
          const missing = r ? need.filter((f) => !r.filters[f]) : [];
          if (!r) add(S3, `${sym} rules`, 'FAIL', 'symbol not listed', 'listed', 'SYMBOL_NOT_TRADING');
          else {
            add(
              S3,
              `${sym} rules`,
              r.status === 'TRADING' && missing.length === 0 ? 'OK' : 'FAIL',
              `${r.status}${missing.length ? `, missing ${missing.join(', ')}` : ''}, OCO ${r.ocoAllowed ? 'yes' : 'no'}`,
              'TRADING with filters',
              'SYMBOL_NOT_TRADING',
            );
            // What the engine checks before an entry: the bot does not trade a symbol it cannot protect.
            const gap = protectionGap(r);
            add(
              S3,
              `${sym} protectable`,
              gap === null ? 'OK' : 'FAIL',
              gap ?? 'OCO, LIMIT_MAKER, STOP_LOSS_LIMIT, MARKET, spot',
              'the bot can protect a position',
              'SYMBOL_NOT_PROTECTABLE',
            );
          }
        }
      }
      const g = governor.snapshot(Date.now());
      add(
        S3,
        'rate-limit headers',
        g.used_weight_pct !== null ? 'OK' : 'WARN',
        g.used_weight_pct !== null ? `used weight ${g.used_weight_pct.toFixed(1)} %` : 'no X-MBX-USED-WEIGHT seen',
        'observed',
        'RATE_LIMIT',
      );
    }
  } catch (e) {
    add(S3, 'REST', 'FAIL', (e as Error).message, 'reachable', 'EXCHANGE_UNAVAILABLE');
  }

  // 4. WS / REST and the account.
  const S4 = '4 streams and account';
  const first = await firstWsMessage(`${ex.ws_market_url}/stream?streams=${ex.symbols.map((s) => `${s.toLowerCase()}@bookTicker`).join('/')}`, timeout);
  add(
    S4,
    'market stream',
    first.ok ? 'OK' : 'FAIL',
    first.ok ? `first message in ${first.ms} ms` : first.why,
    `a message within ${timeout} ms`,
    'WS_DISCONNECTED',
  );
  if (i.secrets) {
    // Which key type signs (exchange.api_key_type), and whether the secret is a key of that type.
    add(
      S4,
      'API key type',
      signing?.ok ? 'OK' : 'FAIL',
      signing?.ok
        ? `${ex.api_key_type} (${signing.signer.kind === 'ED25519' ? 'Ed25519 signatures, WS API session.logon' : 'HMAC-SHA256 signatures'})`
        : `${ex.api_key_type}: ${signing && !signing.ok ? signing.why : '?'}`,
      'a key of the configured type',
      'API_KEY_INVALID',
    );
    const restr = await rest.signed('GET', '/sapi/v1/account/apiRestrictions', {}, { weight: 1, kind: 'read' });
    if (restr.kind !== 'OK') add(S4, 'API key permissions', 'FAIL', describe(restr), 'readable', 'API_KEY_INVALID');
    else {
      const b = restr.body as { enableWithdrawals?: unknown; enableSpotAndMarginTrading?: unknown; ipRestrict?: unknown };
      add(S4, 'API key: trading', b.enableSpotAndMarginTrading === true ? 'OK' : 'FAIL', String(b.enableSpotAndMarginTrading), 'true', 'API_KEY_INVALID');
      add(
        S4,
        'API key: withdrawals',
        b.enableWithdrawals === false ? 'OK' : 'FAIL',
        String(b.enableWithdrawals),
        'false (required)',
        'API_KEY_WITHDRAW_ENABLED',
      );
      add(S4, 'API key: IP restriction', b.ipRestrict === true ? 'OK' : 'WARN', String(b.ipRestrict), 'true', 'API_KEY_IP_UNRESTRICTED');
    }
    const us = await userStreamCheck(c, i.secrets, (t) => clock.exchangeNow(t), timeout);
    add(S4, 'user data stream', us.ok ? 'OK' : 'FAIL', us.ok ? `subscribed in ${us.ms} ms` : us.why, `subscribed within ${timeout} ms`, 'USER_STREAM_UNSTABLE');
    const lists = await rest.signed('GET', '/api/v3/openOrderList', {}, { weight: 6, kind: 'read' });
    if (lists.kind === 'OK' && Array.isArray(lists.body)) {
      const ours = (lists.body as { symbol: string; listClientOrderId: string }[]).filter((l) => orderRole(l.listClientOrderId) === 'list');
      const dup = ex.symbols.filter((s) => ours.filter((l) => l.symbol === s).length > 1);
      add(
        S4,
        'one position per symbol',
        dup.length === 0 ? 'OK' : 'FAIL',
        dup.length === 0 ? `${ours.length} protected position(s)` : `several protections on ${dup.join(', ')}`,
        '<= 1 per symbol',
        'DRIFT_LIMIT_EXCEEDED',
      );
    } else add(S4, 'one position per symbol', 'WARN', describe(lists), 'open order lists readable', 'RECONCILE_FAILED');
  } else {
    add(S4, 'account checks', 'SKIP', 'no credentials', '-', null);
  }
  rest.close();

  // 5. Limits and operational security.
  const S5 = '5 limits and security';
  const key = aiGateKey(i.env);
  if (!key) add(S5, 'AI gate', 'FAIL', 'no OPENAI_API_KEY in the environment', 'key set, review answers', 'ENTRY_BLOCKED_NO_AIGATE');
  else {
    const gate = new AIGate({
      baseUrl: c.aigate.base_url,
      model: c.aigate.model,
      timeoutMs: c.aigate.timeout_ms,
      maxTokens: c.aigate.max_tokens,
      payloadMaxBytes: c.aigate.payload_max_bytes,
      maxReplyBytes: c.aigate.max_reply_bytes,
      apiKey: key,
    });
    const call = await gate.review(
      probeDecision(),
      { bid: '100.00', ask: '100.01', spread_bps: 1, volatility_bps: 20, data_age_ms: 10 },
      { mode: 'NORMAL', snapshotHash: 'doctor', rules: null },
    );
    const o = call.outcome;
    add(
      S5,
      'AI gate review call',
      o.verdict === 'ERROR' || o.verdict === 'NOT_CALLED' ? 'FAIL' : 'OK',
      o.verdict === 'ERROR' ? `${o.code}: ${o.detail}` : `${o.verdict} in ${call.latency_ms?.toFixed(0) ?? '?'} ms (${c.aigate.model})`,
      `a valid verdict within ${c.aigate.timeout_ms} ms`,
      o.verdict === 'ERROR' ? o.code : 'AIGATE_TRANSPORT_ERROR',
    );
  }
  const r = c.risk;
  add(S5, 'daily loss limit', Number(r.daily_loss_limit_quote) > 0 ? 'OK' : 'FAIL', r.daily_loss_limit_quote, '> 0', 'RISK_DAILY_LOSS_LIMIT_HIT');
  add(
    S5,
    'exposure caps',
    Number(r.max_exposure_quote_per_symbol) > 0 && Number(r.max_exposure_quote_per_symbol) <= Number(r.max_exposure_quote_total) ? 'OK' : 'WARN',
    `${r.max_exposure_quote_per_symbol} per symbol / ${r.max_exposure_quote_total} total`,
    '0 < per symbol <= total',
    'RISK_EXPOSURE_LIMIT_HIT',
  );
  add(
    S5,
    'churn limits',
    'OK',
    `${r.churn_limit_10s}/10 s, ${r.churn_limit_60s}/60 s; replace ${r.cancel_replace_limit_10s}/${r.cancel_replace_limit_60s}`,
    'configured',
    null,
  );
  add(
    S5,
    'panel',
    c.panel.host === '127.0.0.1' || c.panel.host === 'localhost' || c.panel.host === '::1' ? 'OK' : 'FAIL',
    `${c.panel.host}:${c.panel.port}`,
    'loopback only',
    'CONFIG_INVALID',
  );

  // The checklist's own order: sections 1 to 5, items in the order they were checked.
  const section = (x: CheckResult): number => Number.parseInt(x.section, 10);
  out.sort((a, b) => section(a) - section(b));
  return {
    checks: out,
    releasable: !out.some((x) => x.status === 'FAIL'),
    bot_running: running !== null,
    config: jsonObject(configForRecord(c)),
    config_defaults: jsonObject(redact(defaultConfig())),
  };
}

function defaultConfig(): Config {
  const d = parseConfig({});
  if (!d.ok) throw new Error('the configuration schema refuses its own defaults');
  return d.config;
}

function describe(o: RestOutcome): string {
  switch (o.kind) {
    case 'OK':
      return 'OK';
    case 'REJECTED':
      return `rejected ${o.code}: ${o.msg}`;
    case 'THROTTLED':
      return `throttled ${o.status}`;
    case 'UNKNOWN':
    case 'NETWORK_BEFORE_SEND':
      return `${o.kind}: ${o.reason}`;
    case 'NOT_SENT':
      return `not sent: ${o.detail}`;
  }
}

function panelStatus(c: Config, timeoutMs: number): Promise<Record<string, unknown> | null> {
  return panelJson(c, '/api/status', timeoutMs);
}

async function panelJson(c: Config, path: string, timeoutMs: number): Promise<Record<string, unknown> | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${c.panel.port}${path}`, { signal: AbortSignal.timeout(Math.min(timeoutMs, 2000)) });
    return r.ok ? ((await r.json()) as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * What only a running bot can tell (read from its panel, never written): the system is in NORMAL,
 * STARTUP_RECONCILE released the engine and the last reconcile is not BAD, and which symbols are
 * quarantined. Entries are releasable only from NORMAL, so any other mode FAILs with its first
 * reason code.
 */
export function runningBotChecks(status: Record<string, unknown>, reconcile: Record<string, unknown> | null, nowMs: number): CheckResult[] {
  const out: CheckResult[] = [];
  const S1 = '1 mode and locks';
  const S4 = '4 streams and account';
  const S5 = '5 limits and security';
  const mode = String(status['mode'] ?? 'UNKNOWN');
  const reasons = Array.isArray(status['reasons']) ? (status['reasons'] as { code?: unknown }[]).map((r) => String(r.code)) : [];
  const since = typeof status['since_ms'] === 'number' ? Math.max(0, nowMs - status['since_ms']) : null;
  const first = reasons.find((r): r is ReasonCode => r in REASON_CODES) ?? null;
  out.push({
    section: S1,
    item: 'system mode',
    status: mode === 'NORMAL' ? 'OK' : 'FAIL',
    value: `${mode}${reasons.length ? ` (${reasons.join(', ')})` : ''}${since !== null ? ` for ${Math.round(since / 1000)} s` : ''}`,
    threshold: 'NORMAL',
    reason: mode === 'NORMAL' ? null : (first ?? 'STARTUP_RECOVER'),
  });
  const engine = ((status['workers'] as Record<string, { metrics?: Record<string, unknown> }> | undefined)?.['engine']?.metrics ?? {}) as Record<
    string,
    unknown
  >;
  const released = engine['startup_released'] === true;
  const last = (reconcile?.['last'] ?? null) as { ts_ms?: number; drift?: string | null; duration_ms?: number | null } | null;
  const drift = last?.drift ?? null;
  const ok = released && drift !== 'BAD';
  const value = `${released ? 'released' : 'not released (manage-only)'}; last reconcile ${last ? `${drift ?? '?'} in ${last.duration_ms ?? '?'} ms, ${Math.round((nowMs - (last.ts_ms ?? nowMs)) / 1000)} s ago` : 'none recorded'}`;
  out.push({
    section: S4,
    item: 'startup reconcile',
    status: ok ? 'OK' : 'FAIL',
    value,
    threshold: 'released, drift not BAD',
    reason: ok ? null : drift === 'BAD' ? 'DRIFT_LIMIT_EXCEEDED' : 'STARTUP_RECOVER',
  });
  const gw = ((status['workers'] as Record<string, { metrics?: Record<string, unknown> }> | undefined)?.['gateway']?.metrics ?? {}) as Record<string, unknown>;
  const q = Array.isArray(gw['quarantined']) ? (gw['quarantined'] as unknown[]).map(String) : null;
  out.push({
    section: S5,
    item: 'symbol quarantine',
    status: q === null ? 'WARN' : 'OK',
    value: q === null ? 'not reported by the gateway' : q.length === 0 ? 'active, none quarantined' : `active: ${q.join(', ')} quarantined (no entries there)`,
    threshold: 'reported by the running gateway',
    reason: q === null ? 'SYMBOL_QUARANTINED' : null,
  });
  return out;
}

function firstWsMessage(url: string, timeoutMs: number): Promise<{ ok: true; ms: number } | { ok: false; why: string }> {
  return new Promise((resolveMsg) => {
    const t0 = Date.now();
    const ws = new WebSocket(url);
    const done = (v: { ok: true; ms: number } | { ok: false; why: string }): void => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolveMsg(v);
    };
    const timer = setTimeout(() => done({ ok: false, why: `no message within ${timeoutMs} ms` }), timeoutMs);
    ws.on('message', () => done({ ok: true, ms: Date.now() - t0 }));
    ws.on('error', (e) => done({ ok: false, why: e.message }));
  });
}

function userStreamCheck(
  c: Config,
  s: { api_key: string; api_secret: string },
  exchangeNow: (t: number) => number | undefined,
  timeoutMs: number,
): Promise<{ ok: true; ms: number } | { ok: false; why: string }> {
  return new Promise((resolveUs) => {
    const t0 = Date.now();
    let last = '';
    const us = new UserStream({
      cfg: c.exchange,
      apiKey: s.api_key,
      secret: s.api_secret,
      keyType: c.exchange.api_key_type,
      exchangeNow: () => exchangeNow(Date.now()),
      reason: (code, on) => void (on ? (last = code) : null),
      onEvent: () => undefined,
      onGap: () => undefined,
    });
    const poll = setInterval(() => {
      if (us.state === 'SUBSCRIBED') finish({ ok: true, ms: Date.now() - t0 });
      else if (Date.now() - t0 > timeoutMs) finish({ ok: false, why: `not subscribed within ${timeoutMs} ms${last ? ` (${last})` : ''}` });
    }, 20);
    const finish = (v: { ok: true; ms: number } | { ok: false; why: string }): void => {
      clearInterval(poll);
      us.stop();
      resolveUs(v);
    };
    us.start();
  });
}

/** A harmless, valid entry decision for the AI gate probe (never executed). */
function probeDecision(): Decision {
  const body: Omit<Decision, 'ids'> = {
    symbol: 'BTCUSDT',
    side: 'BUY',
    intent: 'ENTRY',
    quantity: '0.001',
    entry_type: 'LIMIT',
    entry_price: '100.01',
    stop_price: '98.00',
    take_profit_price: '104.00',
    trailing_delta_bps: null,
    expected_edge_bps: 80,
    expected_cost_bps: 25,
    constraints: { max_quantity: '0.001', max_notional: '1', ttl_ms: 1000, max_requotes: 0 },
  };
  return { ids: { run_id: 'doctor', cycle_id: 0, snapshot_id: 'doctor', decision_id: decisionIdOf(body) }, ...body };
}
