import type { PayloadOf } from '@vigil/contracts';
import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import {
  GATE_LATENCY_WINDOW,
  type BookTick,
  type Correlation,
  type Decision,
  type EngineMemory,
  type EngineSide,
  type EntryCheck,
  type EventEnvelope,
  type EventType,
  type GatewayHealth,
  type GatewaySide,
  type JsonObject,
  canonicalJson,
  jsonObject,
  MARKET_CHANNEL,
  type Mode,
  type ModeState,
  newSnapshotId,
  type PortName,
  REASON_CODES,
  type ReasonCode,
  snapshotHash,
  type Stage,
  type SymbolRules,
} from '@vigil/contracts';
import { Dec, entryPermission, exactOf, formatExact, mulExact, protectionGap, writerCaughtUpAt } from '@vigil/core';
import {
  aiGateKey,
  auditRejection,
  preciseNowMs,
  crashHook,
  Endpoint,
  reasonLatch,
  workerAuditClient,
  type WorkerContext,
  type WorkerLogic,
} from '@vigil/runtime';
import { appendFileSync, mkdirSync } from 'node:fs';
import { AIGate, type AIGateCall } from './aigate.js';
import { BarSeries, volatilityBps } from './bars.js';
import { ChurnCounter } from './churn.js';
import { estimateCost, judgeCost } from './cost-model.js';
import { buildDecision, checkDecision } from './decision-build.js';
import { IntentBook } from './intents.js';
import { Ledger, utcDay } from './ledger.js';
import { restoreMemory } from './memory.js';
import { Reconciler } from './reconcile.js';
import { ReplayRecorder, fixedChurn, type ChurnCounts } from './replay-record.js';
import { marketNowOf, riskVerdict } from './risk.js';
import { ShadowBook } from './shadow.js';
import { StageReports } from './stage-reports.js';
import { breakoutStrategy, type MarketSnapshot } from './strategy.js';
import { Trader } from './trader.js';
import { venue, type VenueCall } from './venue.js';
import { warmEntryPath } from './warm.js';

/** Stages in which the engine is expected to move on; lingering in one of them is LOOP_STUCK. */
const ACTIVE_STAGES: ReadonlySet<Stage> = new Set([
  'STARTUP_RECONCILE',
  'MARKET_SNAPSHOT',
  'STRATEGY_PROPOSE',
  'AIGATE_CALL',
  'RISK_VERDICT',
  'EXECUTE',
  'PROTECT',
  'MANAGE',
  'RECONCILE',
]);

/**
 * The engine worker: the cycle pipeline and the management path.
 *
 * Boot: STARTUP_RECOVER (remember from the audit database) -> STARTUP_RECONCILE (REST truth, every
 * unknown outcome resolved, unprotected positions protected) -> RESUME_MANAGE_ONLY until reconciles
 * are clean for manage_only_stable_ms -> released (STARTUP_RECOVER cleared). No entry before that.
 *
 * Each tick: management (always, every mode), reconcile when due, then, only when entries are
 * permitted (mode NORMAL, no blocking reason, AI gate available), one cycle over the symbols:
 * MARKET_SNAPSHOT -> STRATEGY_PROPOSE -> AIGATE_CALL -> RISK_VERDICT -> EXECUTE. Stages change only
 * when there is something to do, so the stage history reads as what happened.
 */
export function createEngine(ctx: WorkerContext): WorkerLogic {
  const cfg = ctx.init.config;
  // The engine's logic (trader, intents, reconcile, churn, memory) runs on the worker's clock, which
  // a test may move forward past a back-off; watchdogs and ages of other threads' stamps stay on Date.now.
  const now = (): number => ctx.clock.now();
  const ecfg = cfg.engine;
  const scfg = cfg.strategy;
  const audit = workerAuditClient(ctx, 'engine');
  let gateway: Endpoint<EngineSide, GatewaySide> | null = null;
  let lastHealth: GatewayHealth | null = null;
  const quotes = new Map<string, BookTick>();
  const bars = new Map<string, BarSeries>(cfg.exchange.symbols.map((s) => [s, new BarSeries(scfg.bar_ms, Math.max(scfg.lookback_bars, scfg.vol_bars) + 5)]));
  const rules = new Map<string, SymbolRules>();
  let quarantined: readonly string[] = [];
  let lastGapAt: number | null = null;
  let reconcileDue = true;
  let lastReconcileAt = 0;
  let stage: Stage = 'STARTUP_RECOVER';
  let booted = false;
  let stageSince = Date.now();
  let cycleId = 0;
  let startupReleased = false;
  let cleanSince: number | null = null;
  let mode: Mode = 'PAUSE';
  let modeState: ModeState | null = null;
  let failsafe = true;
  let stopped = false;
  let dayPeak = new Map<string, Dec>();
  let killSwitch: 'OFF' | 'ON' | 'CHECK_FAILED' = 'OFF';
  const gateLatencies: number[] = [];
  const gateOverhead: number[] = [];
  const shadow = new ShadowBook(scfg.hold_bars * scfg.bar_ms);
  const lastCycleBar = new Map<string, number>();
  let near: Record<string, number> = {};
  let lastVerdict: JsonObject | null = null;
  /** When the audit writer was last caught up (Live checklist: entries need it within 2 x max lag). */
  let writerCaughtUp: number | null = null;

  const event = <T extends EventType>(
    type: T,
    payload: PayloadOf<T>,
    opts: { readonly reason?: ReasonCode | null; readonly corr?: Partial<Correlation> } = {},
  ): void => {
    audit.append(ctx.events.make(type, payload, { ...opts, corr: { cycle_id: cycleId || null, stage, ...opts.corr } }));
  };
  // Reasons this engine raised that force a mode, until a mode state from the supervisor carries
  // them (or the worker's mode bound passes, after which the failsafe speaks): entries stop at the
  // raise, not one supervisor round trip later. Without this, the next bar could start another AI
  // gate call after a gate failure had already raised a PAUSE reason.
  const unacked = new Map<ReasonCode, number>();
  const latch = reasonLatch({
    raise: (code, detail) => {
      if (REASON_CODES[code].forces !== 'NONE') unacked.set(code, Date.now());
      ctx.raise(code, detail);
    },
    clear: (code) => {
      unacked.delete(code);
      ctx.clear(code);
    },
    modeState: ctx.modeState,
  });
  const unackedReasons = (): ReasonCode[] => {
    const now = Date.now();
    return [...unacked].filter(([, at]) => now - at < cfg.supervisor.worker_mode_timeout_ms).map(([code]) => code);
  };
  // Replay recordings (supervisor replay): bulk events, never a commit on the way to an order.
  const recorder = new ReplayRecorder((type, payload, cid) => event(type, payload, cid === undefined ? {} : { corr: { cycle_id: cid } }));
  const reason = (code: ReasonCode, on: boolean, detail: JsonObject): void => latch.set(code, on, detail);

  /**
   * Symbols whose current rules refuse the bot's protection: no entry there (it would be bought naked
   * and dumped at market once the protection is refused), and the operator is told which and why.
   * Judged whenever rules arrive, in any mode; a changed set is raised anew, so the reason's detail
   * names the symbols of now, not those of its first raise.
   */
  let protectionGaps: Record<string, string> = {};
  const checkProtectable = (): void => {
    const gaps: Record<string, string> = {};
    for (const s of cfg.exchange.symbols) {
      const r = rules.get(s);
      const gap = r ? protectionGap(r) : null;
      if (gap !== null) gaps[s] = gap;
    }
    const changed = canonicalJson(gaps) !== canonicalJson(protectionGaps);
    protectionGaps = gaps;
    if (changed) reason('SYMBOL_NOT_PROTECTABLE', false, {});
    reason('SYMBOL_NOT_PROTECTABLE', Object.keys(gaps).length > 0, gaps);
  };

  const stageReports = new StageReports((r) => ctx.control.emit(r));
  const setStage = (next: Stage, corr: Partial<Correlation> = {}): void => {
    if (booted && next === stage) return;
    const from = stage;
    stage = next;
    stageSince = Date.now();
    audit.append(ctx.events.make('STAGE_CHANGED', { from: booted ? from : null, to: next }, { corr: { cycle_id: cycleId || null, stage: next, ...corr } }));
    stageReports.report({ type: 'stage', stage: next, cycle_id: cycleId || null, ts_ms: stageSince });
    booted = true;
    if (latch.has('LOOP_STUCK')) reason('LOOP_STUCK', false, {});
  };

  const call: () => VenueCall | null = () => (gateway ? (type, input, timeoutMs) => gateway!.request(type, input, timeoutMs) : null);
  const ledger = new Ledger((s) => {
    const r = rules.get(s);
    return r ? { base: r.baseAsset, quote: r.quoteAsset } : null;
  });
  const churn = new ChurnCounter(now);
  const intents = new IntentBook({
    now,
    make: (type, payload, opts) => ctx.events.make(type, payload, { ...opts, corr: { cycle_id: cycleId || null, stage, ...opts.corr } }),
    commit: (events) => audit.appendCritical(events),
    record: (ev) => audit.append(ev),
  });
  // A position's protection and exits are priced from the book. While the market stream is silent
  // (WS_STALE, a reconnect), an unprotected position would wait for it, past unprotected_max_ms into
  // MARKET_STATE_LOST and PROTECTION_MISSING (PAUSE): instead the engine asks the venue's REST
  // bookTicker for that symbol (restQuoteFor below: one request in flight, and none while the last
  // answer is fresh) and prices from that answer. Same freshness bound for both sources.
  const restQuotes = new Map<string, { bid: string; ask: string; recv_ts_ms: number }>();
  const restAsking = new Set<string>();
  const mark = (symbol: string): { bid: string; ask: string } | null => {
    const q = quotes.get(symbol);
    if (q && Date.now() - q.recv_ts_ms <= ecfg.quote_max_age_ms) return { bid: q.bid, ask: q.ask };
    const r = restQuotes.get(symbol);
    return r && Date.now() - r.recv_ts_ms <= ecfg.quote_max_age_ms ? { bid: r.bid, ask: r.ask } : null;
  };
  /** Asks the venue for `symbol`'s book over REST, unless a request is out; the answer is kept for mark(). */
  const restQuoteFor = (symbol: string): void => {
    if (restAsking.has(symbol)) return;
    restAsking.add(symbol);
    void venue(call(), 'book_ticker', { symbol })
      .then((out) => {
        // The engine's own clock: mark() compares it with Date.now(), as for the stream's quotes.
        if (out.kind === 'OK') restQuotes.set(symbol, { bid: out.body.bid, ask: out.body.ask, recv_ts_ms: Date.now() });
      })
      .finally(() => restAsking.delete(symbol));
  };
  const crash = crashHook(cfg, ctx.init.var_dir, 'engine');
  const trader: Trader = new Trader({
    cfg: ecfg,
    now,
    call,
    intents,
    ledger,
    churn,
    rules: (s) => rules.get(s) ?? null,
    quote: mark,
    needQuote: restQuoteFor,
    event,
    reason,
    orderTimeoutMs: cfg.exchange.order_timeout_ms + 2 * cfg.exchange.rest_timeout_ms,
    foreignOpen: (s): { open: number; algo: number } => reconciler.foreignCounts.get(s) ?? { open: 0, algo: 0 },
    mayRequote: (sym): string | null => {
      const v = entryVerdict(sym);
      if (!v.allowed) return v.blocked_by[0] ?? 'MODE_UNKNOWN_FAILSAFE';
      return churnBreach(sym, 1);
    },
    requoteMode: cfg.strategy.requote_mode,
    halted: (): string | null =>
      killSwitch !== 'OFF' ? `kill switch ${killSwitch}` : failsafe ? 'mode not heard (failsafe)' : mode === 'PAUSE' || mode === 'EXIT' ? `mode ${mode}` : null,
    swapAllowed: (): boolean => mode === 'NORMAL' && !failsafe,
    manualPolicy: ecfg.manual_change_policy,
    toleranceSteps: ecfg.reconcile_tolerance_steps,
    onRealized: (): void => samplePnl(),
    recordStep: (sym, state, input, out): void => recorder.step(sym, state, input, out),
    crash,
    ...(cfg.live.fault_hooks_enabled && cfg.live.crash_point === 'audit_storm' ? { storm: once(() => auditStorm()) } : {}),
  });
  const reconciler: Reconciler = new Reconciler({
    now,
    call,
    trader,
    ledger,
    symbols: cfg.exchange.symbols,
    rules: (s) => rules.get(s) ?? null,
    toleranceSteps: ecfg.reconcile_tolerance_steps,
    driftBadAfterMs: ecfg.drift_bad_after_ms,
    event,
    reason,
    crash,
  });
  const gate = new AIGate({
    baseUrl: cfg.aigate.base_url,
    model: cfg.aigate.model,
    timeoutMs: cfg.aigate.timeout_ms,
    maxTokens: cfg.aigate.max_tokens,
    payloadMaxBytes: cfg.aigate.payload_max_bytes,
    maxReplyBytes: cfg.aigate.max_reply_bytes,
    apiKey: aiGateKey(process.env),
  });
  /**
   * Chaos point audit_storm: 10 000 bulk rows with 40 critical ones among them, each critical
   * acknowledgement recorded in var/chaos/storm-acks.jsonl so the harness can check, after the
   * kill, that every acknowledged row survived. Resolves after the first five acknowledgements
   * (or once all 40 are settled).
   */
  const auditStorm = (): Promise<void> => {
    mkdirSync(join(ctx.init.var_dir, 'chaos'), { recursive: true });
    const acks = join(ctx.init.var_dir, 'chaos', 'storm-acks.jsonl');
    let acked = 0;
    let settled = 0;
    let resolve: () => void = () => undefined;
    const first = new Promise<void>((r) => (resolve = r));
    // A batch per turn of the event loop: the storm floods the writer, not this thread's heartbeat.
    const batch = (k: number): void => {
      for (let i = 0; i < 250; i++) event('HEALTH_SAMPLED', { source: 'chaos_storm', k, i });
      const ev = ctx.events.make('HEALTH_SAMPLED', { source: 'chaos_storm', critical: k }, {});
      // A refused commit (the writer restarted under the storm) settles too: the point is reached.
      audit.appendCritical([ev]).then(
        (a) => {
          appendFileSync(acks, `${JSON.stringify({ k, event_id: ev.event_id, last_seq: a.last_seq })}\n`);
          if (++acked >= 5) resolve();
          if (++settled === 40) resolve();
        },
        () => {
          if (++settled === 40) resolve();
        },
      );
      if (k < 39) setImmediate(() => batch(k + 1));
    };
    batch(0);
    return first;
  };
  const strategy = breakoutStrategy(scfg, ecfg.trailing_enabled ? ecfg.trailing_activate_bps : null);
  // After each bar's cycle, never in its way: a dry run of what an entry computes (warm.ts).
  const warmSoon = (symbol: string): void => {
    setImmediate(() => {
      const q = quotes.get(symbol);
      const r = rules.get(symbol);
      if (stopped || !q || !r) return;
      try {
        warmEntryPath({ strategy: scfg, risk: cfg.risk, churn, run_id: ctx.init.run_id, symbol, bid: q.bid, ask: q.ask, rules: r });
      } catch {
        // A dry run changes nothing, so its failure changes nothing either.
      }
    });
  };

  const attachGateway = (port: MessagePort): void => {
    gateway?.close();
    gateway = new Endpoint<EngineSide, GatewaySide>(port, {
      spec: MARKET_CHANNEL,
      side: 'a',
      label: 'market:engine',
      requestTimeoutMs: cfg.supervisor.request_timeout_ms,
      onReject: auditRejection(ctx, audit),
      onEvent: (ev) => {
        switch (ev.type) {
          case 'gateway_health':
            lastHealth = ev.health;
            return;
          case 'book_tick': {
            quotes.set(ev.tick.symbol, ev.tick);
            if (shadow.pending > 0) {
              for (const o of shadow.onQuote(ev.tick.symbol, ev.tick.bid, ev.tick.ask, Date.now())) {
                event(
                  'SHADOW_RECORDED',
                  {
                    phase: 'RESOLVED',
                    verdict: o.verdict,
                    outcome: o.outcome,
                    pnl_bps: o.pnl_bps,
                    held_ms: o.held_ms,
                    symbol: o.decision.symbol,
                    entry_price: o.decision.entry_price,
                    stop_price: o.decision.stop_price,
                    take_profit_price: o.decision.take_profit_price,
                  },
                  { corr: { cycle_id: o.decision.ids.cycle_id, snapshot_id: o.decision.ids.snapshot_id, decision_id: o.decision.ids.decision_id } },
                );
              }
            }
            const mid = (Number(ev.tick.bid) + Number(ev.tick.ask)) / 2;
            // A closed bar is what the strategy decides on: decide on the tick that closed it.
            if (bars.get(ev.tick.symbol)?.onMid(ev.tick.recv_ts_ms, mid) && startupReleased)
              void entryCycle({ tick_ts_ms: ev.tick.recv_ts_ms, rx: preciseNowMs() }).then(() => warmSoon(ev.tick.symbol));
            return;
          }
          case 'market_gap':
            // Anything derived from the stream before the gap may be stale: start the bars over.
            lastGapAt = ev.ts_ms;
            quotes.clear();
            for (const b of bars.values()) b.reset();
            return;
          case 'user_event':
            if (ev.event.kind === 'order') trader.onUserEvent(ev.event);
            return;
          case 'user_stream_gap':
            reconcileDue = true;
            event('USER_EVENT_RECEIVED', { gap: true, why: ev.why });
            return;
          case 'rules':
            rules.clear();
            for (const r of ev.rules) rules.set(r.symbol, r);
            recorder.rules(ev.rules);
            quarantined = ev.quarantined;
            checkProtectable();
            return;
          default: {
            const never: never = ev;
            throw new Error(`unhandled gateway event ${JSON.stringify(never)}`);
          }
        }
      },
    });
    void gateway.request('rules_now', {}).catch(() => undefined);
  };
  for (const p of ctx.ports('market')) attachGateway(p);
  setStage('STARTUP_RECOVER');

  // --- kill switch, P&L ---------------------------------------------------------------------------

  const killFile = isAbsolute(cfg.risk.kill_switch_file) ? cfg.risk.kill_switch_file : join(ctx.init.var_dir, cfg.risk.kill_switch_file);
  const checkKill = (): void => {
    try {
      statSync(killFile);
      killSwitch = 'ON';
    } catch (e) {
      killSwitch = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'OFF' : 'CHECK_FAILED';
    }
    reason('KILL_SWITCH_ACTIVE', killSwitch === 'ON', { file: killFile });
    reason('KILL_SWITCH_CHECK_FAILED', killSwitch === 'CHECK_FAILED', { file: killFile });
  };

  /**
   * The day's P&L and exposure over every symbol, and the day's peak updated with it. `perSymbol`:
   * also each symbol's row for the panel and the samples; an entry's risk verdict needs only the
   * totals, and skips building them on its path.
   */
  const dayTotals = (perSymbol: boolean): { day: string; realized: Dec; unrealized: Dec; total: Dec; exposure: Dec; per: JsonObject[] } => {
    const day = utcDay(Date.now());
    let unrealized = new Dec(0);
    let exposure = new Dec(0);
    const per: JsonObject[] = [];
    for (const s of new Set([...ledger.symbols(), ...cfg.exchange.symbols])) {
      const q = quotes.get(s);
      const u = ledger.unrealized(s, q?.bid ?? null);
      const x = ledger.exposure(s, q?.bid ?? null);
      unrealized = unrealized.plus(u);
      exposure = exposure.plus(x);
      if (!perSymbol) continue;
      const p = ledger.position(s);
      per.push({
        symbol: s,
        qty: p.qty,
        avg_price: p.avg_price,
        realized: p.realized,
        unrealized: u.toFixed(8),
        fees_quote: p.fees_quote,
        exposure: x.toFixed(8),
      });
    }
    const realized = ledger.realizedOn(day);
    const total = realized.plus(unrealized);
    const peak = dayPeak.get(day);
    if (!peak || total.gt(peak)) dayPeak = new Map([[day, total]]);
    return { day, realized, unrealized, total, exposure, per };
  };
  /** Today's realized P&L and peak from before a restart: the daily limits hold across it. */
  // Until the restart memory is in, today's P&L is unknown, not zero: it is neither sampled (a
  // zero sample would be the day's last, and the next restart would forget the loss) nor reported.
  let dayRestored = false;
  const restoreDay = (t: EngineMemory['today']): void => {
    dayRestored = true;
    if (!t || t.day !== utcDay(Date.now())) return;
    ledger.restoreDay(t.day, t.realized);
    dayPeak = new Map([[t.day, new Dec(t.peak_total)]]);
    if (new Dec(t.realized).neg().gte(cfg.risk.daily_loss_limit_quote))
      reason('RISK_DAILY_LOSS_LIMIT_HIT', true, { restored: true, day: t.day, realized: t.realized, limit: cfg.risk.daily_loss_limit_quote });
  };

  /** PNL_SAMPLED: every 10 s and after every sale; the last one of the day is what a restart restores. */
  const samplePnl = (): void => {
    const p = pnlRecord();
    if (p) event('PNL_SAMPLED', p);
  };
  /** Today's P&L as text, as sampled and reported; null until the restart memory is in (unknown, not zero). */
  const pnlRecord = () => {
    if (!dayRestored) return null;
    const d = dayTotals(true);
    return {
      day: d.day,
      realized: d.realized.toFixed(8),
      unrealized: d.unrealized.toFixed(8),
      total: d.total.toFixed(8),
      exposure: d.exposure.toFixed(8),
      symbols: d.per,
    };
  };

  // --- startup ------------------------------------------------------------------------------------

  const startup = async (): Promise<void> => {
    let unmapped: readonly { symbol: string; client_order_id: string }[] = [];
    for (let attempt = 0; !stopped; attempt++) {
      // The audit writer reads it (after committing what was queued): the engine never opens the database.
      const mem = await audit.engineMemory(Date.now()).then(
        (memory) => ({ ok: true as const, memory }),
        (e: unknown) => ({ ok: false as const, why: e instanceof Error ? e.message : String(e) }),
      );
      if (mem.ok) {
        restoreMemory(mem.memory, { ledger, intents, trader, now });
        unmapped = mem.memory.unmapped;
        restoreDay(mem.memory.today);
        // The calls recorded before this engine started (earlier runs too) seed the window; new calls push them out.
        gateLatencies.splice(0, gateLatencies.length, ...[...mem.memory.gateLatenciesMs, ...gateLatencies].slice(-GATE_LATENCY_WINDOW));
        event('RECONCILE_STARTED', { startup: true, remembered_positions: mem.memory.positions.length, unresolved_intents: mem.memory.intents.length });
        break;
      }
      reason('STARTUP_RECONCILE_FAILED', true, { step: 'memory', why: mem.why });
      await sleep(Math.min(30_000, 1000 * 2 ** attempt));
    }
    // Rules first: nothing can be quantized or protected without them.
    while (!stopped && rules.size === 0) {
      await sleep(200);
      if (gateway) void gateway.request('rules_now', {}).catch(() => undefined);
    }
    if (stopped) return;
    setStage('STARTUP_RECONCILE');
    for (let attempt = 0; !stopped; attempt++) {
      // Each attempt is progress: a startup reconcile retrying with back-off (the gateway still
      // booting after a restart, requests lost in a freeze) is not a stuck loop.
      stageSince = Date.now();
      try {
        // Orders remembered without their venue id (a crash right after the reply): ask for them
        // before trades are judged, or an exit that filled while down would look like someone else's.
        if (unmapped.length > 0) {
          const left = await trader.learnOrderIds(unmapped);
          if (left > 0) {
            reason('STARTUP_RECONCILE_FAILED', true, { step: 'order ids', unanswered: left });
            await sleep(Math.min(30_000, 500 * 2 ** attempt));
            continue;
          }
          unmapped = [];
        }
        await trader.resolveUnknown();
        const r = await trader.exclusive(() => reconciler.run(null, { startup: true }));
        if (r.ok) {
          lastReconcileAt = Date.now();
          break;
        }
      } catch (e) {
        // An attempt that threw is a failed attempt, retried like the others, never the end of startup.
        reason('STARTUP_RECONCILE_FAILED', true, { attempt, why: (e as Error).message });
      }
      await sleep(Math.min(30_000, 500 * 2 ** attempt));
    }
    await trader.manage();
    setStage('RESUME_MANAGE_ONLY');
  };

  // --- the tick -----------------------------------------------------------------------------------

  const reconcileInterval = (): number => {
    // The user stream cannot be trusted (silent, unstable, terminated): REST is the only source of
    // order changes, so it is polled faster (a 429 back-off still stretches it via the governor).
    const streamDown = (modeState?.reasons ?? []).some(
      (r) => r.code === 'USER_STREAM_SILENT' || r.code === 'USER_STREAM_UNSTABLE' || r.code === 'USER_STREAM_TERMINATED',
    );
    if (streamDown && (lastHealth?.used_weight_pct ?? 0) <= 50) return Math.min(ecfg.reconcile_interval_ms, ecfg.reconcile_stream_degraded_interval_ms);
    // Under rate-limit pressure, reconcile less often (linearly up to the ceiling above 50 % used).
    const used = lastHealth?.used_weight_pct ?? 0;
    const stretch = used > 50 ? 1 + ((used - 50) / 50) * (ecfg.reconcile_interval_max_ms / ecfg.reconcile_interval_ms - 1) : 1;
    return Math.min(ecfg.reconcile_interval_max_ms, ecfg.reconcile_interval_ms * stretch);
  };

  /** The churn limit a new action on `symbol` would cross (raising its reason), or null. */
  const churnBreach = (sym: string, adding: number): ReasonCode | null => {
    const a = churn.count(sym, 10_000);
    const b = churn.count(sym, 60_000);
    const r = cfg.risk;
    if (a.replace + adding > r.cancel_replace_limit_10s || b.replace + adding > r.cancel_replace_limit_60s) {
      reason('RISK_CANCEL_REPLACE_LIMIT_HIT', true, { symbol: sym, replace_10s: a.replace, replace_60s: b.replace });
      return 'RISK_CANCEL_REPLACE_LIMIT_HIT';
    }
    if (a.churn + adding > r.churn_limit_10s || b.churn + adding > r.churn_limit_60s) {
      reason('RISK_CHURN_LIMIT_HIT', true, { symbol: sym, new_cancel_10s: a.churn, new_cancel_60s: b.churn });
      return 'RISK_CHURN_LIMIT_HIT';
    }
    return null;
  };
  /** Churn reasons clear themselves once every symbol is back under its limits. */
  const clearChurn = (): void => {
    const r = cfg.risk;
    const over = (f: (a: { churn: number; replace: number }, b: { churn: number; replace: number }) => boolean): boolean =>
      cfg.exchange.symbols.some((sym) => f(churn.count(sym, 10_000), churn.count(sym, 60_000)));
    if (latch.has('RISK_CANCEL_REPLACE_LIMIT_HIT') && !over((a, b) => a.replace >= r.cancel_replace_limit_10s || b.replace >= r.cancel_replace_limit_60s))
      reason('RISK_CANCEL_REPLACE_LIMIT_HIT', false, {});
    if (latch.has('RISK_CHURN_LIMIT_HIT') && !over((a, b) => a.churn >= r.churn_limit_10s || b.churn >= r.churn_limit_60s))
      reason('RISK_CHURN_LIMIT_HIT', false, {});
  };

  const entryVerdict = (symbol: string | null): { allowed: boolean; blocked_by: readonly ReasonCode[] } => {
    const symbolBlocks: ReasonCode[] = [];
    if (symbol) {
      if (quarantined.includes(symbol) || rules.get(symbol)?.status !== 'TRADING') symbolBlocks.push('SYMBOL_QUARANTINED');
      if (protectionGaps[symbol] !== undefined) symbolBlocks.push('SYMBOL_NOT_PROTECTABLE');
      if (intents.unknownOn(symbol)) symbolBlocks.push('INTENT_SENT_UNKNOWN');
      if (reconciler.foreign.includes(symbol)) symbolBlocks.push('RECONCILE_DRIFT');
    }
    return entryPermission({
      mode,
      failsafe,
      reasons: modeState?.reasons ?? [],
      raised: unackedReasons(),
      startupReleased,
      aiGateReady: gate.ready,
      symbolBlocks,
      auditCommit: { now_ms: Date.now(), caught_up_ts_ms: writerCaughtUp, max_lag_ms: cfg.audit.audit_writer_max_lag_ms },
    });
  };

  /**
   * Management shows its stage only while no entry cycle is in flight: the cycle owns the stage
   * then (its progress is what LOOP_STUCK watches), and management runs underneath it.
   */
  const mgmtStage = (next: Stage): void => {
    if (!cycling) setStage(next);
  };

  let ticking = false;
  let cycling = false;
  const tick = async (): Promise<void> => {
    if (ticking || stopped) return;
    ticking = true;
    try {
      checkKill();
      clearChurn();
      // The management path runs every tick; it shows as the MANAGE stage only when it has work
      // (an entry working, a position unprotected, an outcome unknown, a close in flight).
      const work =
        [...trader.slots.values()].some((s) => s.entry || s.close || s.unprotected_since !== null) ||
        intents.unresolved().length > 0 ||
        trader.pendingTrades.size > 0;
      if (work) {
        mgmtStage('MANAGE');
        await trader.manage();
        mgmtStage(startupReleased ? 'IDLE' : 'RESUME_MANAGE_ONLY');
      } else {
        await trader.manage();
      }
      if (reconcileDue || Date.now() - lastReconcileAt >= reconcileInterval()) {
        reconcileDue = false;
        const back = stage;
        mgmtStage('RECONCILE');
        const r = await trader.exclusive(() => reconciler.run(cycleId || null, { startup: false }));
        lastReconcileAt = Date.now();
        if (!startupReleased) {
          const clean = r.ok && r.drift === 'OK' && intents.unresolved().length === 0 && !latch.has('PROTECTION_MISSING');
          cleanSince = clean ? (cleanSince ?? Date.now()) : null;
        }
        mgmtStage(back === 'RECONCILE' || back === 'MANAGE' ? (startupReleased ? 'IDLE' : 'RESUME_MANAGE_ONLY') : back);
      }
      if (!startupReleased && (stage === 'RESUME_MANAGE_ONLY' || stage === 'IDLE')) {
        if (cleanSince === null && reconciler.last?.ok && reconciler.last.drift === 'OK' && intents.unresolved().length === 0) cleanSince = Date.now();
        if (cleanSince !== null && Date.now() - cleanSince >= ecfg.manage_only_stable_ms) {
          startupReleased = true;
          reason('STARTUP_RECONCILE_FAILED', false, {});
          ctx.clear('STARTUP_RECOVER');
          setStage('IDLE');
        }
      }
    } finally {
      ticking = false;
    }
    await entryCycle(null);
  };

  /**
   * The entry cycle, on its own lock: management (other symbols' protection, reconcile) may be
   * waiting on REST while a bar closes, and the decision should not wait for it. Driven by the tick
   * that closed a bar (traced), and by the timer as a fallback for a tick that found it busy.
   */
  const entryCycle = async (tickTs: TickTrace | null): Promise<void> => {
    if (cycling || stopped || !startupReleased || !entryVerdict(null).allowed) return;
    cycling = true;
    try {
      await cycle(tickTs);
    } catch (e) {
      ctx.log.error(`engine cycle failed: ${(e as Error).message}`);
    } finally {
      cycling = false;
    }
  };

  const cycle = async (tickTs: TickTrace | null): Promise<void> => {
    const now = Date.now();
    const cycleAt = preciseNowMs();
    // Only symbols with a newly closed bar, nothing in flight and past their cooldown.
    const ready = cfg.exchange.symbols.filter((s) => {
      const b = bars.get(s)!.bars();
      const last = b[b.length - 1]?.start_ms;
      if (last === undefined || lastCycleBar.get(s) === last) return false;
      if (trader.busy(s) || now - trader.slot(s).last_action_ms < scfg.cooldown_ms) return false;
      return mark(s) !== null && rules.has(s) && protectionGaps[s] === undefined;
    });
    if (ready.length === 0) return;
    cycleId++;
    setStage('MARKET_SNAPSHOT');
    const snaps: MarketSnapshot[] = [];
    for (const s of ready) {
      const q = quotes.get(s)!;
      const b = bars.get(s)!.bars();
      lastCycleBar.set(s, b[b.length - 1]!.start_ms);
      const body = { symbol: s, ts_ms: now, bid: q.bid, ask: q.ask, quote_age_ms: now - q.recv_ts_ms, bars: b.slice(-(strategy.warmupBars + 1)) };
      const snap: MarketSnapshot = { ...body, snapshot_id: newSnapshotId(now), snapshot_hash: snapshotHash(body) };
      snaps.push(snap);
    }
    recorder.cycle(cycleId, snaps, (sym) => rules.get(sym) ?? null);
    const snapAt = preciseNowMs();
    setStage('STRATEGY_PROPOSE');
    for (const snap of snaps) {
      // Where an entry's time went (OrderTrace.marks): only for a cycle driven by the closing tick.
      const marks: Record<string, number> | null = tickTs ? { engine_rx: tickTs.rx, cycle: cycleAt, snapshot: snapAt } : null;
      const res = strategy.propose(snap);
      if (res.kind === 'NONE') continue;
      const corr: Partial<Correlation> = { cycle_id: cycleId, snapshot_id: snap.snapshot_id };
      const p = res.proposal;
      const cost = estimateCost(scfg, snap.bid, snap.ask);
      const rulesOf = rules.get(p.symbol)!;
      const built = buildDecision({
        proposal: p,
        rules: rulesOf,
        ids: { run_id: ctx.init.run_id, cycle_id: cycleId, snapshot_id: snap.snapshot_id },
        ttl_ms: scfg.entry_ttl_ms,
        max_requotes: scfg.max_requotes,
        max_notional: cfg.risk.max_exposure_quote_per_symbol,
        expected_cost_bps: cost.total_bps,
      });
      if (!built.ok) {
        event('DECISION_PROPOSED', { symbol: p.symbol, ok: false, why: built.why, signal: p.signal, snapshot_hash: snap.snapshot_hash }, { corr });
        continue;
      }
      let decision = built.decision;
      const dcorr = { ...corr, decision_id: decision.ids.decision_id };
      event(
        'DECISION_PROPOSED',
        { ok: true, decision: jsonObject(decision), signal: p.signal, cost: jsonObject(cost), snapshot_hash: snap.snapshot_hash },
        { corr: dcorr },
      );
      const cv = judgeCost(scfg, decision.expected_edge_bps, cost);
      if (!cv.ok) {
        event(
          'RISK_VERDICT_GIVEN',
          { symbol: p.symbol, ok: false, blocks: [cv.code], detail: cv.detail, stage: 'STRATEGY_PROPOSE' },
          { reason: cv.code, corr: dcorr },
        );
        continue;
      }
      // AIGATE_CALL: mandatory (AI_DEC=2); any doubt blocks and pauses.
      if (marks) marks['decision'] = preciseNowMs();
      setStage('AIGATE_CALL', dcorr);
      const g0 = performance.now();
      const review = await gate.review(
        decision,
        {
          bid: snap.bid,
          ask: snap.ask,
          spread_bps: cost.spread_bps,
          volatility_bps: p.volatility_bps,
          data_age_ms: Date.now() - quotes.get(p.symbol)!.recv_ts_ms,
        },
        { mode, snapshotHash: snap.snapshot_hash, rules: rulesOf },
      );
      const modelMs = review.latency_ms ?? 0;
      // The gate's own cost around the model call (payload, redaction, hashing, parse, checks).
      gateOverhead.push(performance.now() - g0 - modelMs);
      if (gateOverhead.length > 1000) gateOverhead.shift();
      const gated = await recordGate(review, decision, dcorr);
      if (marks) marks['gate'] = preciseNowMs();
      if (!gated) {
        setStage('STRATEGY_PROPOSE');
        continue;
      }
      decision = gated.decision;
      // An ALLOW/MODIFY record goes to the audit with the intent, in one transaction: the intent's
      // commit never waits behind the gate record's own fsync. Wherever the decision stops short of
      // an order, the record is committed alone.
      let gateRecord: EventEnvelope | null = gated.record;
      const rcorr = { ...corr, decision_id: decision.ids.decision_id };
      try {
        setStage('RISK_VERDICT', rcorr);
        const notional = formatExact(mulExact(exactOf(decision.quantity), exactOf(decision.entry_price ?? snap.ask)), 8);
        // The day's P&L as of this verdict (only a cycle that got this far needs it).
        const day = dayTotals(false);
        // The verdict's inputs as values, recorded with it (replay re-runs riskVerdict on them).
        const counts: ChurnCounts = { c10: churn.count(decision.symbol, 10_000), c60: churn.count(decision.symbol, 60_000) };
        const inputs = {
          symbol: decision.symbol,
          notional,
          kill_switch: killSwitch,
          day_pnl: day.total.toFixed(8),
          day_peak_pnl: (dayPeak.get(day.day) ?? day.total).toFixed(8),
          exposure_total: day.exposure.toFixed(8),
          exposure_symbol: ledger.exposure(decision.symbol, snap.bid).toFixed(8),
          has_position: trader.hasPosition(decision.symbol),
          open_orders: trader.openOrderCount(),
          quarantined: quarantined.includes(decision.symbol),
          unresolved_unknown: intents.unknownOn(decision.symbol),
          pending_entry: trader.slot(decision.symbol).entry !== null,
          // The quote now, after a review that may have taken seconds, against what was decided.
          market_now: marketNowOf(decision, quotes.get(decision.symbol) ?? snap, snap, scfg.min_edge_bps),
        };
        const rv = riskVerdict(cfg.risk, fixedChurn(counts), inputs);
        near = rv.near;
        for (const code of rv.raise) reason(code, true, { symbol: decision.symbol, near: rv.near });
        lastVerdict = { symbol: decision.symbol, ok: rv.ok, blocks: rv.blocks as unknown as string[], ts_ms: Date.now() };
        event(
          'RISK_VERDICT_GIVEN',
          {
            symbol: decision.symbol,
            ok: rv.ok,
            blocks: rv.blocks as unknown as string[],
            near: rv.near,
            notional,
            inputs: jsonObject(inputs),
            churn: jsonObject(counts),
          },
          { reason: rv.blocks[0] ?? null, corr: rcorr },
        );
        if (!rv.ok) {
          setStage('STRATEGY_PROPOSE');
          continue;
        }
        // Re-check right before sending: the mode may have changed while the gate was thinking.
        if (!entryVerdict(decision.symbol).allowed) {
          event(
            'RISK_VERDICT_GIVEN',
            { symbol: decision.symbol, ok: false, blocks: entryVerdict(decision.symbol).blocked_by as unknown as string[], stage: 'EXECUTE' },
            { corr: rcorr },
          );
          break;
        }
        setStage('EXECUTE', rcorr);
        const withIntent = [gateRecord];
        gateRecord = null;
        if (marks) marks['risk'] = preciseNowMs();
        await trader.enter(
          decision,
          rcorr,
          tickTs && marks ? { tick_ts_ms: tickTs.tick_ts_ms, excluded_ms: modelMs, marks } : undefined,
          undefined,
          withIntent,
        );
      } finally {
        if (gateRecord) await audit.appendCritical([gateRecord]).catch(() => undefined);
      }
      setStage('PROTECT', rcorr);
      await trader.manage();
    }
    setStage('IDLE');
  };

  /**
   * Audits every gate call (critical write) and returns the decision to go on with, or null. A
   * BLOCK/ERROR/NOT_CALLED record is committed here and awaited. An ALLOW/MODIFY record is returned
   * uncommitted: the caller commits it in the same transaction as the order intent (so it is
   * durable before anything acts on it), or alone when no order follows.
   */
  const recordGate = async (
    call: AIGateCall,
    decision: Decision,
    corr: Partial<Correlation>,
  ): Promise<{ readonly decision: Decision; readonly record: EventEnvelope } | null> => {
    const o = call.outcome;
    if (call.latency_ms !== null) {
      gateLatencies.push(call.latency_ms);
      if (gateLatencies.length > GATE_LATENCY_WINDOW) gateLatencies.shift();
    }
    const verdict = o.verdict;
    const payload: JsonObject = {
      snapshot_hash: call.snapshot_hash,
      input_hash: call.input_hash,
      model: call.model,
      verdict,
      reasons: (o.verdict === 'ALLOW' || o.verdict === 'MODIFY' || o.verdict === 'BLOCK' ? o.result.reasons : []) as string[],
      error_code: o.verdict === 'ERROR' ? o.code : null,
      detail: o.verdict === 'ERROR' ? o.detail : o.verdict === 'NOT_CALLED' ? o.why : null,
      latency_ms: call.latency_ms,
      tokens: call.tokens,
      payload_bytes: call.payload_bytes,
      // The reviewer's free text, failures included (already redacted and bounded by the gate).
      notes: call.notes,
      original_decision_id: decision.ids.decision_id,
      // A MODIFY's change as the reviewer gave it: replay re-applies it to the decision.
      ...(o.verdict === 'MODIFY'
        ? { new_decision_id: o.decision.ids.decision_id, changed: [...o.changed], modify: o.result.modify ? jsonObject(o.result.modify) : null }
        : {}),
    };
    const record = ctx.events.make('AIGATE_CALL', payload, {
      reason: o.verdict === 'ERROR' ? o.code : null,
      corr: { cycle_id: cycleId, stage: 'AIGATE_CALL', ...corr },
    });
    if (o.verdict !== 'ALLOW' && o.verdict !== 'MODIFY') {
      try {
        await audit.appendCritical([record]);
      } catch {
        return null;
      }
    }
    switch (o.verdict) {
      case 'ALLOW':
        return { decision: o.decision, record };
      case 'MODIFY': {
        const bad = checkDecision(o.decision);
        if (bad) {
          await audit.appendCritical([record]).catch(() => undefined);
          reason('AIGATE_MODIFY_INVALID', true, { decision_id: decision.ids.decision_id, why: bad });
          return null;
        }
        shadow.add(decision, 'MODIFY', Date.now());
        event(
          'SHADOW_RECORDED',
          {
            phase: 'OPENED',
            verdict: 'MODIFY',
            decision: jsonObject(decision),
            changed: [...o.changed],
            new_decision_id: o.decision.ids.decision_id,
          },
          { corr },
        );
        return { decision: o.decision, record };
      }
      case 'BLOCK':
        shadow.add(decision, 'BLOCK', Date.now());
        event('SHADOW_RECORDED', { phase: 'OPENED', verdict: 'BLOCK', decision: jsonObject(decision), reasons: [...o.reasons] }, { corr });
        return null;
      case 'ERROR':
        reason(o.code, true, { decision_id: decision.ids.decision_id, detail: o.detail });
        return null;
      case 'NOT_CALLED':
        return null;
    }
  };

  // --- timers -------------------------------------------------------------------------------------

  void startup().catch((e: unknown) => {
    ctx.log.error(`engine startup failed: ${(e as Error).message}`);
    reason('STARTUP_RECONCILE_FAILED', true, { why: (e as Error).message });
  });
  const timers = [
    // The writer's commit freshness for the entry verdict, sampled well inside 2 x max lag.
    setInterval(
      () => {
        void audit
          .pressure()
          .then((p) => {
            writerCaughtUp = writerCaughtUpAt(p, Date.now());
          })
          .catch(() => undefined);
      },
      Math.max(20, Math.floor(cfg.audit.audit_writer_max_lag_ms / 2)),
    ),
    setInterval(
      () => {
        if (stage === 'STARTUP_RECOVER' || stage === 'STARTUP_RECONCILE') return;
        void tick().catch((e: unknown) => ctx.log.error(`engine tick failed: ${(e as Error).message}`));
      },
      Math.min(ecfg.cycle_interval_ms, 1000),
    ),
    setInterval(() => {
      if (ACTIVE_STAGES.has(stage) && Date.now() - stageSince > ecfg.stage_stuck_ms)
        reason('LOOP_STUCK', true, { stage, since_ms: stageSince, bound_ms: ecfg.stage_stuck_ms });
    }, 1000),
    setInterval(() => {
      samplePnl();
      intents.prune(10 * 60_000);
    }, 10_000),
  ];
  for (const t of timers) t.unref();

  /** The gate's call latency over the last 200 calls: mean and variance (health signal and panel). */
  const gateStats = (): JsonObject => {
    const lat = gateLatencies;
    const mean = lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : null;
    return { n: lat.length, mean_ms: mean, variance_ms2: mean === null ? null : lat.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, lat.length - 1) };
  };

  const check = (symbol: string): EntryCheck => {
    const v = entryVerdict(symbol);
    return { allowed: v.allowed, mode, blocked_by: v.blocked_by, stage };
  };

  return {
    onMode: (m, state, fs) => {
      mode = m;
      modeState = state;
      for (const r of state?.reasons ?? []) unacked.delete(r.code);
      failsafe = fs;
    },
    metrics: (): JsonObject => {
      const p = pnlRecord();
      return {
        stage,
        stage_since_ms: stageSince,
        cycle_id: cycleId || null,
        startup_released: startupReleased,
        intents: intents.counts(),
        sent_unknown_oldest_since_ms: intents.oldestUnknownSince(),
        open_orders: trader.openOrderCount(),
        // For the panel: churn per symbol in both windows against the limits, and today's P&L.
        churn: Object.fromEntries(
          cfg.exchange.symbols.map((sym) => {
            const a = churn.count(sym, 10_000);
            const b = churn.count(sym, 60_000);
            return [sym, { new_cancel_10s: a.churn, new_cancel_60s: b.churn, replace_10s: a.replace, replace_60s: b.replace }];
          }),
        ),
        churn_limits: {
          new_cancel_10s: cfg.risk.churn_limit_10s,
          new_cancel_60s: cfg.risk.churn_limit_60s,
          replace_10s: cfg.risk.cancel_replace_limit_10s,
          replace_60s: cfg.risk.cancel_replace_limit_60s,
        },
        near_limits: near,
        // The heartbeat carries the totals only; the per-symbol rows are in details.
        ...(p ? { pnl: { day: p.day, realized: p.realized, unrealized: p.unrealized, total: p.total, exposure: p.exposure } } : {}),
        // For the panel: what is held per symbol and what protects it (the operator's first question).
        positions: cfg.exchange.symbols.map((sym) => ({ symbol: sym, holding: trader.holdingOf(sym), ...trader.slotView(sym) })),
        ai_gate: gateStats(),
        audit_attached: audit.attached,
        audit_held: audit.heldCount,
        audit_dropped: audit.dropped,
      };
    },
    details: (): JsonObject => {
      return {
        quotes: Object.fromEntries([...quotes].map(([sym, q]) => [sym, { bid: q.bid, ask: q.ask, age_ms: Date.now() - q.recv_ts_ms }])),
        last_market_gap_ms: lastGapAt,
        audit: audit.counters(),
        stage,
        stage_since_ms: stageSince,
        cycle_id: cycleId || null,
        startup_released: startupReleased,
        ai_gate_ready: gate.ready,
        ai_gate_overhead_ms: [...gateOverhead],
        intent_commit_ms: [...intents.commitMs],
        ai_gate_latency: gateStats(),
        kill_switch: killSwitch,
        pnl: pnlRecord(),
        near_limits: near,
        last_risk_verdict: lastVerdict,
        slots: [...trader.slots.values()].map((s) => ({
          symbol: s.symbol,
          entry: s.entry ? { client_order_id: s.entry.intent.client_order_id, status: s.entry.status, state: s.entry.intent.state } : null,
          protection: s.protection ? { kind: s.protection.kind, active: s.protection.active, qty: s.protection.qty } : null,
          unprotected_since_ms: s.unprotected_since,
          plan: s.plan ? jsonObject(s.plan) : null,
        })),
        churn: jsonObject(Object.fromEntries(cfg.exchange.symbols.map((s) => [s, { '10s': churn.count(s, 10_000), '60s': churn.count(s, 60_000) }]))),
        last_reconcile: reconciler.last
          ? { ok: reconciler.last.ok, drift: reconciler.last.drift, diffs: reconciler.last.diffs.length, duration_ms: reconciler.last.duration_ms }
          : null,
        gateway_health: lastHealth ? jsonObject(lastHealth) : null,
        bars: Object.fromEntries([...bars].map(([s, b]) => [s, b.bars().length])),
        volatility_bps: Object.fromEntries([...bars].map(([s, b]) => [s, volatilityBps(b.bars(), Math.min(scfg.vol_bars, Math.max(2, b.bars().length - 1)))])),
      };
    },
    onPort: (name: PortName, port: MessagePort) => {
      if (name === 'audit') audit.attach(port);
      else if (name === 'market') {
        attachGateway(port);
        reconcileDue = true;
      }
    },
    requests: {
      entry_check: (i) => check(i.symbol),
      drain: async () => {
        stopped = true;
        for (const t of timers) clearInterval(t);
        setStage('SHUTDOWN');
        stageReports.flush();
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

/** The market event that closed a bar: its receive time in the gateway, and in this thread (precise epoch ms). */
interface TickTrace {
  readonly tick_ts_ms: number;
  readonly rx: number;
}

function once<T>(f: () => T): () => T | undefined {
  let done = false;
  return () => {
    if (done) return undefined;
    done = true;
    return f();
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref?.());
