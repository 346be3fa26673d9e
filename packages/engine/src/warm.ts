import { inputHash, type EventEnvelope, type RiskConfig, type StrategyConfig, type SymbolRules } from '@vigil/contracts';
import { Dec } from '@vigil/core';
import { toAuditRow } from '@vigil/runtime';
import type { ChurnCounter } from './churn.js';
import { estimateCost, judgeCost } from './cost-model.js';
import { buildDecision } from './decision-build.js';
import { riskVerdict } from './risk.js';

export interface WarmInputs {
  readonly strategy: StrategyConfig;
  readonly risk: RiskConfig;
  readonly churn: ChurnCounter;
  readonly run_id: string;
  readonly symbol: string;
  readonly bid: string;
  readonly ask: string;
  readonly rules: SymbolRules;
}

/**
 * A dry run of the computation an entry makes between its market event and its order, on the
 * current quote: decision build (exact decimals, schema check, id hash), cost and risk verdicts,
 * the gate's payload hash, and the audit row of an intent. It sends nothing, records nothing and
 * changes no state; the result is thrown away. Strategy and snapshot run on every closed bar
 * anyway, but the rest runs only on an entry, which may come once an hour: without this, the code
 * an entry needs is cold (caches, and V8 may have dropped its compiled code) exactly when it is
 * needed. Returns whether the build got as far as a decision (a test reads it).
 */
export function warmEntryPath(i: WarmInputs): boolean {
  const s = i.strategy;
  const cost = estimateCost(s, i.bid, i.ask);
  const built = buildDecision({
    proposal: {
      symbol: i.symbol,
      side: 'BUY',
      entry_type: 'LIMIT',
      entry_price: i.ask,
      entry_offset_bps: s.entry_offset_bps,
      stop_bps: Math.max(1, s.min_stop_bps),
      take_profit_bps: Math.max(2, s.min_stop_bps * 2),
      trailing_delta_bps: null,
      quote_notional: s.order_quote_notional,
      expected_edge_bps: 0,
      volatility_bps: 0,
      signal: {},
    },
    rules: i.rules,
    ids: { run_id: i.run_id, cycle_id: 0, snapshot_id: 'snp_warm' },
    ttl_ms: s.entry_ttl_ms,
    max_requotes: s.max_requotes,
    max_notional: i.risk.max_exposure_quote_per_symbol,
    expected_cost_bps: cost.total_bps,
  });
  if (!built.ok) return false;
  const d = built.decision;
  judgeCost(s, d.expected_edge_bps, cost);
  inputHash({ decision: d, market: { bid: i.bid, ask: i.ask, spread_bps: cost.spread_bps } });
  const notional = new Dec(d.quantity).mul(d.entry_price ?? i.ask).toFixed(8);
  riskVerdict(i.risk, i.churn, {
    symbol: d.symbol,
    notional,
    kill_switch: 'OFF',
    day_pnl: '0',
    day_peak_pnl: '0',
    exposure_total: '0',
    exposure_symbol: '0',
    has_position: false,
    open_orders: 0,
    quarantined: false,
    unresolved_unknown: false,
    pending_entry: false,
  });
  const intent: EventEnvelope = {
    event_id: 'evt_warm',
    ts_ms: 0,
    run_id: i.run_id,
    source: 'engine',
    cycle_id: null,
    stage: 'EXECUTE',
    snapshot_id: null,
    decision_id: d.ids.decision_id,
    order_intent_id: null,
    event_type: 'INTENT_CREATED',
    reason_code: null,
    severity: 'INFO',
    payload: { kind: 'ENTRY', symbol: d.symbol, side: d.side, client_order_id: 'warm', quantity: d.quantity, price: d.entry_price, stop_price: d.stop_price },
  };
  toAuditRow(intent);
  return true;
}
