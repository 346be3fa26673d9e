import type { MessagePort } from 'node:worker_threads';
import {
  MARKET_CHANNEL,
  type EngineSide,
  type EntryCheck,
  type BookTick,
  type UserEvent,
  type GatewayHealth,
  type GatewaySide,
  type JsonObject,
  type Mode,
  type ModeState,
  type PortName,
  type Stage,
} from '@vigil/contracts';
import { entryPermission } from '@vigil/core';
import { auditRejection, Endpoint, workerAuditClient, type WorkerContext, type WorkerLogic } from '@vigil/runtime';

/**
 * The engine worker. It starts in STARTUP_RECOVER and never proposes an entry until startup
 * reconcile releases it AND the AI gate is wired: with AI_DEC=2 the gate is mandatory, so until
 * the gate exists every entry check answers "blocked" with ENTRY_BLOCKED_NO_AIGATE, never skipped.
 */
export function createEngine(ctx: WorkerContext): WorkerLogic {
  const cfg = ctx.init.config;
  const audit = workerAuditClient(ctx, 'engine');
  let gateway: Endpoint<EngineSide, GatewaySide> | null = null;
  let lastHealth: GatewayHealth | null = null;
  // The latest quote per symbol and when the market stream last had a gap: the strategy will act
  // only on quotes newer than the last gap.
  const quotes = new Map<string, BookTick>();
  let lastGapAt: number | null = null;
  // Account events from the user stream; any gap in it means REST reconcile is due (issue 6 runs it).
  const orderUpdates = new Map<string, UserEvent>();
  let balances: UserEvent | null = null;
  let reconcileDueSince: number | null = null;
  let stage: Stage = 'STARTUP_RECOVER';
  let stageSince = Date.now();
  const cycleId: number | null = null;
  const startupReleased = false;
  const aiGateReady = false;
  let mode: Mode = 'PAUSE';
  let modeState: ModeState | null = null;
  let failsafe = true;

  let booted = false;
  const setStage = (next: Stage): void => {
    // The very first stage of a (re)started engine comes from nowhere, not from itself.
    const from = booted ? stage : null;
    booted = true;
    stage = next;
    stageSince = Date.now();
    audit.append(ctx.events.make('STAGE_CHANGED', { from, to: next }, { corr: { cycle_id: cycleId, stage: next } }));
    ctx.control.emit({ type: 'stage', stage: next, cycle_id: cycleId, ts_ms: stageSince });
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
          case 'book_tick':
            quotes.set(ev.tick.symbol, ev.tick);
            return;
          case 'market_gap':
            lastGapAt = ev.ts_ms;
            quotes.clear();
            return;
          case 'user_event':
            if (ev.event.kind === 'order') orderUpdates.set(ev.event.client_order_id, ev.event);
            else balances = ev.event;
            return;
          case 'user_stream_gap':
            reconcileDueSince ??= ev.ts_ms;
            audit.append(ctx.events.make('USER_EVENT_RECEIVED', { gap: true, why: ev.why }));
            return;
          default: {
            const never: never = ev;
            throw new Error(`unhandled gateway event ${JSON.stringify(never)}`);
          }
        }
      },
    });
  };

  for (const p of ctx.ports('market')) attachGateway(p);
  setStage('STARTUP_RECOVER');

  const check = (symbol: string): EntryCheck => {
    const verdict = entryPermission({
      mode,
      failsafe,
      reasons: modeState?.reasons ?? [],
      startupReleased,
      aiGateReady,
      symbolBlocks: [],
    });
    void symbol;
    return { allowed: verdict.allowed, mode, blocked_by: verdict.blocked_by, stage };
  };

  return {
    onMode: (m, state, fs) => {
      mode = m;
      modeState = state;
      failsafe = fs;
    },
    metrics: (): JsonObject => ({
      stage,
      stage_since_ms: stageSince,
      cycle_id: cycleId,
      audit_attached: audit.attached,
      audit_held: audit.heldCount,
      audit_dropped: audit.dropped,
    }),
    details: (): JsonObject => ({
      quotes: Object.fromEntries([...quotes].map(([sym, q]) => [sym, { bid: q.bid, ask: q.ask, age_ms: Date.now() - q.recv_ts_ms }])),
      last_market_gap_ms: lastGapAt,
      user_order_updates: orderUpdates.size,
      balances: (balances?.kind === 'balances' ? balances.balances : []) as unknown as JsonObject[],
      reconcile_due_since_ms: reconcileDueSince,
      stage,
      stage_since_ms: stageSince,
      startup_released: startupReleased,
      ai_gate_ready: aiGateReady,
      gateway_health: (lastHealth ?? null) as unknown as JsonObject,
    }),
    onPort: (name: PortName, port: MessagePort) => {
      if (name === 'audit') audit.attach(port);
      else if (name === 'market') attachGateway(port);
    },
    requests: {
      entry_check: (i) => check(i.symbol),
      drain: async () => {
        setStage('SHUTDOWN');
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
