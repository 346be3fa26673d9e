import type { MessagePort } from 'node:worker_threads';
import {
  MARKET_CHANNEL,
  type EngineSide,
  type GatewayHealth,
  type GatewaySide,
  type JsonObject,
  type PortName,
} from '@vigil/contracts';
import { auditRejection, Endpoint, workerAuditClient, type WorkerContext, type WorkerLogic } from '@vigil/runtime';

/**
 * The exchange-gateway worker: the only part of the bot that talks to the exchange. This is its
 * frame (channels, audit, health); the REST/WS clients, clock, rate limits and filters plug in here.
 * Until they do, every health field says UNKNOWN, which the engine treats as "no entries".
 */
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
      },
    });
  };

  for (const p of ctx.ports('market')) attachEngine(p);

  const health = (): GatewayHealth => ({
    ts_ms: Date.now(),
    rest: 'UNKNOWN',
    ws: 'UNKNOWN',
    clock_offset_ms: null,
    used_weight_pct: null,
    filters_age_ms: null,
    detail: { rest_base_url: cfg.exchange.rest_base_url, symbols: [...cfg.exchange.symbols], credentials: ctx.init.secrets ? 'present' : 'absent' },
  });
  const timer = setInterval(() => engine?.emit({ type: 'gateway_health', health: health() }), cfg.supervisor.heartbeat_interval_ms);
  timer.unref();

  return {
    metrics: (): JsonObject => ({ audit_attached: audit.attached, audit_held: audit.heldCount, audit_dropped: audit.dropped }),
    details: (): JsonObject => ({ health: health() as unknown as JsonObject }),
    onPort: (name: PortName, port: MessagePort) => {
      if (name === 'audit') audit.attach(port);
      else if (name === 'market') attachEngine(port);
    },
    requests: {
      drain: async () => {
        clearInterval(timer);
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
