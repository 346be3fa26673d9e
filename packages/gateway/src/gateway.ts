import { backoffRetry } from './backoff-retry.js';
import type { MessagePort } from 'node:worker_threads';
import { createClockEstimator } from './clock.js';
import { createRateGovernor } from './rate-limits.js';
import { createRestClient } from './rest-client.js';
import { signerFor } from './signing.js';
import { MarketStream } from './market-stream.js';
import { OrderDesk } from './order-desk.js';
import { UserStream } from './user-stream.js';
import { UserStreamWatch } from './user-stream-watch.js';
import { VenueSession } from './venue-session.js';
import {
  type EngineSide,
  type GatewayHealth,
  type GatewaySide,
  jsonArray,
  jsonObject,
  type JsonObject,
  MARKET_CHANNEL,
  type OrderReport,
  type PortName,
  type ReasonCode,
} from '@vigil/contracts';
import { percentile } from '@vigil/core';
import { auditRejection, crashHook, Endpoint, reasonLatch, workerAuditClient, type WorkerContext, type WorkerLogic } from '@vigil/runtime';

/**
 * The exchange-gateway worker: the only part of the bot that talks to the exchange. It keeps the
 * venue session (clock offset, rules and rate limits from exchangeInfo, API-key permissions),
 * turns what it sees into reason codes for the mode authority and health for the engine, and
 * audits every REST call (method, path, outcome; never parameters, keys or signatures).
 */
const ORIGIN_MS = performance.timeOrigin;
const preciseNow = (): number => ORIGIN_MS + performance.now();

/** Read-only polls repeated on a timer whose answered calls are not audited one by one (their failures are). */
const QUIET_POLLS: ReadonlySet<string> = new Set(['/api/v3/avgPrice', '/api/v3/referencePrice']);

export function createGateway(ctx: WorkerContext): WorkerLogic {
  const cfg = ctx.init.config;
  const audit = workerAuditClient(ctx, 'gateway');
  let engine: Endpoint<GatewaySide, EngineSide> | null = null;

  const attachEngine = (port: MessagePort): void => {
    engine?.close();
    engine = new Endpoint<GatewaySide, EngineSide>(port, {
      spec: MARKET_CHANNEL,
      side: 'b',
      label: 'market:gateway',
      requestTimeoutMs: cfg.supervisor.request_timeout_ms,
      onReject: auditRejection(ctx, audit),
      onRequest: {
        gateway_ping: (i) => ({ sent_ts_ms: i.sent_ts_ms, gateway_ts_ms: Date.now() }),
        // Order reports seen over REST are the silence watch's evidence (user stream owes them).
        place_order: (i) => desk.place(i.order, i.context ?? {}, i.trace).then(seenOverRest),
        cancel_order: (i) => desk.cancel(i.symbol, i.client_order_id).then(seenOverRest),
        query_order: (i) => desk.query(i.symbol, i.client_order_id).then(seenOverRest),
        open_orders: (i) => desk.openOrders(i.symbol).then(seenOverRest),
        account: () => desk.account(),
        test_order: (i) => desk.test(i.order),
        cancel_replace: (i) => desk.cancelReplace(i.request),
        place_oco: (i) => desk.placeOco(i.oco),
        cancel_order_list: (i) => desk.cancelList(i.symbol, i.list_client_order_id),
        query_order_list: (i) => desk.queryList(i.list_client_order_id),
        open_order_lists: () => desk.openLists(),
        my_trades: (i) => desk.trades(i.symbol, i.start_ms, i.from_id),
        book_ticker: (i) => desk.bookTicker(i.symbol),
        rules_now: () => ({ sent: sendRules() }),
      },
    });
  };

  // Rules go to the engine after every refresh, and again whenever the channel is (re)attached.
  const sendRules = (): boolean => {
    if (!engine || session.rules.size === 0) return false;
    engine.emit({ type: 'rules', ts_ms: Date.now(), rules: [...session.rules.values()], quarantined: [...desk.quarantined] });
    return true;
  };

  const latch = reasonLatch(ctx);
  const reason = (code: ReasonCode, on: boolean, detail: JsonObject): void => latch.set(code, on, detail);
  const ex = cfg.exchange;
  /** Health counters: HTTP 429 answers, and requests the governor held back (never sent). */
  const restCounts = { http_429: 0, not_sent: { RATE_LIMIT: 0, REST_THROTTLED: 0, IP_BANNED: 0, ORDER_RATE_LIMITED: 0 } };
  const watch = new UserStreamWatch({ windowMs: ex.user_stream_silence_window_ms, now: Date.now, venueNow: () => clock.exchangeNow(Date.now()) });
  /** When USER_STREAM_SILENT was raised and the stream resubscribed (null: not silent). */
  let silentSince: number | null = null;
  let silentCount = 0;
  function seenOverRest<T>(out: T): T {
    const o = out as { kind?: string; body?: unknown };
    if (o.kind === 'OK' && o.body) for (const r of Array.isArray(o.body) ? o.body : [o.body]) watch.onRest(r as OrderReport);
    return out;
  }
  const checkSilence = (): void => {
    if (!userStream) return;
    const overdue = watch.overdue();
    if (overdue.length > 0) {
      silentCount++;
      silentSince = Date.now();
      // Raised again (latch permitting) with the newest evidence; the engine reconciles over REST
      // (faster while the reason stands), and a fresh subscription is asked for.
      if (latch.has('USER_STREAM_SILENT'))
        ctx.raise('USER_STREAM_SILENT', {
          window_ms: ex.user_stream_silence_window_ms,
          undelivered: jsonArray(overdue.slice(0, 5)),
          times: silentCount,
        });
      else
        reason('USER_STREAM_SILENT', true, {
          window_ms: ex.user_stream_silence_window_ms,
          undelivered: jsonArray(overdue.slice(0, 5)),
          times: silentCount,
        });
      engine?.emit({
        type: 'user_stream_gap',
        ts_ms: Date.now(),
        why: `silent: ${overdue.length} order change(s) seen over REST not delivered within ${ex.user_stream_silence_window_ms} ms`,
      });
      userStream.resubscribe('silent');
      return;
    }
    // No new evidence for the probation time after the resubscription: nothing shows the stream
    // still owes anything (faster REST polling stood guard meanwhile).
    if (silentSince !== null && userStream.state === 'SUBSCRIBED' && Date.now() - silentSince >= ex.user_stream_silence_probation_ms) recovered('probation');
  };
  const recovered = (how: string): void => {
    if (silentSince === null) return;
    silentSince = null;
    ctx.log.info(`user stream no longer silent (${how})`);
    reason('USER_STREAM_SILENT', false, {});
  };
  const clock = createClockEstimator({ driftMaxMs: ex.clock_drift_max_ms_live });
  const governor = createRateGovernor([]);
  const secrets = ctx.init.secrets;
  // The key type decides how every signed request and the user-stream logon are signed.
  const signing = secrets ? signerFor(ex.api_key_type, secrets.api_secret) : null;
  if (signing && !signing.ok) reason('API_KEY_INVALID', true, { key_type: ex.api_key_type, why: signing.why });
  const rest = createRestClient({
    baseUrl: ex.rest_base_url,
    ...(secrets && signing?.ok ? { apiKey: secrets.api_key, secret: secrets.api_secret, signer: signing.signer } : {}),
    recvWindowMs: ex.time_sync_recv_window_ms,
    readTimeoutMs: ex.rest_timeout_ms,
    orderTimeoutMs: ex.order_timeout_ms,
    clock: { localNow: Date.now, exchangeNow: (t) => clock.exchangeNow(t) },
    governor,
    onResponse: (r) => {
      if (r.status === 429) restCounts.http_429++;
      // The price warmer's answered polls (every symbol, every 2 s) were a third of all audit rows,
      // about 180 MB a day on their own: only their failures are recorded. A referencePrice refusal
      // is an answer too (-2043: the symbol never had one), and it is asked again every 2 s so that
      // the local check never stays stricter than the venue once a reference price appears.
      if (QUIET_POLLS.has(r.path) && (r.outcome === 'OK' || (r.outcome === 'REJECTED' && r.path === '/api/v3/referencePrice'))) return;
      audit.append(
        ctx.events.make('REST_CALLED', {
          method: r.method,
          path: r.path,
          kind: r.callKind,
          attempt: r.attempt,
          status: r.status,
          outcome: r.outcome,
          duration_ms: r.durationMs,
        }),
      );
    },
    onNotSent: (cause) => void restCounts.not_sent[cause]++,
  });
  const session = new VenueSession({
    rest,
    clock,
    governor,
    cfg: ex,
    now: Date.now,
    reason,
    event: (type, payload, code) => audit.append(ctx.events.make(type, payload, code ? { reason: code } : {})),
    onRules: () => void sendRules(),
  });
  const desk = new OrderDesk({
    session,
    crash: crashHook(cfg, ctx.init.var_dir, 'gateway'),
    // The worker's clock (the system clock in production): a test moves it past a quarantine's
    // clean window (the `advance_clock` fault hook) instead of waiting it out.
    now: () => ctx.clock.now(),
    preciseNow,
    reason: (code, on, detail) => {
      // The latch passes a raise once; a changed quarantine set is raised again so the mode
      // authority (and the panel) list the symbols still held, not the first one.
      if (code === 'SYMBOL_QUARANTINED' && on && latch.has(code)) ctx.raise(code, detail);
      else reason(code, on, detail);
    },
    event: (type, payload, code) => audit.append(ctx.events.make(type, payload, code ? { reason: code } : {})),
    // Imposed or lifted: the engine's entry checks follow at once.
    onQuarantine: () => void sendRules(),
    // Standing in the audit when this worker started (the supervisor read them): held from the start.
    restored: ctx.init.quarantines ?? [],
  });
  const stream = new MarketStream({
    cfg: ex,
    now: Date.now,
    preciseNow,
    reason,
    onTick: (tick) => void engine?.emit({ type: 'book_tick', tick }),
    onGap: (why) => {
      engine?.emit({ type: 'market_gap', ts_ms: Date.now(), why });
      audit.append(ctx.events.make('WS_STATE_CHANGED', { state: 'CONNECTED', gap: true, why }));
    },
    onState: (state, detail) => audit.append(ctx.events.make('WS_STATE_CHANGED', { state, ...detail })),
  });
  for (const p of ctx.ports('market')) attachEngine(p);
  stream.start();
  const userStream = secrets
    ? new UserStream({
        cfg: ex,
        apiKey: secrets.api_key,
        secret: secrets.api_secret,
        keyType: ex.api_key_type,
        exchangeNow: () => clock.exchangeNow(Date.now()),
        reason,
        onEvent: (event) => {
          watch.onStream(event);
          // Events flow again on a subscription made after the silence: the stream is back.
          if (silentSince !== null) recovered('events flow again');
          engine?.emit({ type: 'user_event', event });
          audit.append(ctx.events.make('USER_EVENT_RECEIVED', jsonObject(event)));
        },
        onGap: (why) => {
          engine?.emit({ type: 'user_stream_gap', ts_ms: Date.now(), why });
        },
        onSubscribed: () => watch.subscribed(),
        onLost: () => watch.lost(),
      })
    : null;
  const health = (): GatewayHealth => ({
    ...session.health(),
    ws: stream.state === 'CONNECTED' ? 'CONNECTED' : stream.state === 'STOPPED' ? 'DOWN' : 'RECONNECTING',
  });

  let stopped = false;
  const every = (ms: number, fn: () => unknown): NodeJS.Timeout => {
    const t = setInterval(() => {
      if (!stopped) void Promise.resolve(fn()).catch((e: unknown) => ctx.log.error(`gateway task failed: ${(e as Error).message}`));
    }, ms);
    t.unref();
    return t;
  };
  // Boot sequence: clock first (signed calls need it), then rules and limits, then the key. A step
  // the venue did not answer (down, banned, rate-limited) is caught up below with a back-off; left
  // to its periodic timer, missing rules alone would hold startup reconcile for half an hour.
  let keyChecked = !secrets;
  void (async () => {
    await session.syncClock(5);
    await session.refreshFilters();
    if (secrets) keyChecked = await session.checkApiKey();
    session.checkFreshness();
    // The subscription is signed: it needs the clock, so it starts after the first sync.
    userStream?.start();
  })().catch((e: unknown) => ctx.log.error(`gateway boot sequence failed: ${(e as Error).message}`));
  const catchUp = [
    backoffRetry(
      () => clock.status().state !== 'SYNCED',
      () => session.syncClock(3),
    ),
    backoffRetry(
      () => session.rules.size === 0,
      () => session.refreshFilters(),
    ),
    backoffRetry(
      () => !keyChecked,
      async () => void (keyChecked = await session.checkApiKey()),
    ),
  ];
  const timers = [
    every(cfg.supervisor.heartbeat_interval_ms, () => void engine?.emit({ type: 'gateway_health', health: health() })),
    every(ex.time_sync_interval_ms, () => session.syncClock(3)),
    every(Math.max(1000, Math.floor(ex.filters_max_age_ms / 2)), () => session.refreshFilters()),
    every(1000, () => session.checkFreshness()),
    every(1000, () => desk.reviewQuarantine()),
    every(1000, async () => void (await Promise.all(catchUp.map((c) => c())))),
    // avgPrice (PERCENT_PRICE checks) kept warm so an order never waits for it.
    every(2000, () => desk.warmAvgPrices(ex.symbols)),
    every(Math.max(50, Math.min(1000, Math.floor(ex.user_stream_silence_window_ms / 4))), () => checkSilence()),
  ];

  return {
    metrics: (): JsonObject => {
      const h = health();
      return {
        rest: h.rest,
        ws: h.ws,
        clock_offset_ms: h.clock_offset_ms,
        used_weight_pct: h.used_weight_pct,
        filters_age_ms: h.filters_age_ms,
        ws_reconnects_per_min: stream.reconnectsLastMinute(),
        ws_bad_frames: stream.badFrames,
        user_stream: userStream?.state ?? 'NO_CREDENTIALS',
        quarantined: [...desk.quarantined],
        rest_http_429: restCounts.http_429,
        rest_not_sent: restCounts.not_sent,
        user_stream_silent_count: silentCount,
        user_stream_pending: watch.pending().length,
        tick_to_order_p50_ms: desk.tickToOrder.length ? percentile(desk.tickToOrder, 50) : null,
        audit_attached: audit.attached,
        audit_held: audit.heldCount,
        audit_dropped: audit.dropped,
      };
    },
    details: (): JsonObject => ({
      health: jsonObject(health()),
      tick_to_order_ms: [...desk.tickToOrder],
      tick_to_order_stages_ms: [...desk.tickToOrderStages],
      audit: audit.counters(),
    }),
    onPort: (name: PortName, port: MessagePort) => {
      if (name === 'audit') audit.attach(port);
      else if (name === 'market') {
        attachEngine(port);
        sendRules();
      }
    },
    requests: {
      drain: async () => {
        stopped = true;
        stream.stop();
        userStream?.stop();
        for (const t of timers) clearInterval(t);
        rest.close();
        try {
          await audit.flush();
        } catch {
          /* the writer may already be gone; the supervisor drains it last */
        }
        return { drained: true };
      },
    },
  };
}
