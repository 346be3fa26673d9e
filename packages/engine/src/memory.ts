import { LATE_WATCH_MS, listLegId, orderRole, type EngineMemory, type IntentState, type RememberedIntent } from '@vigil/contracts';
import { Dec } from '@vigil/core';
import type { Intent, IntentBook, IntentKind } from './intents.js';
import type { Ledger } from './ledger.js';
import type { Trader } from './trader.js';

/**
 * Restart: the last audited state (positions with their protection plan, intents whose outcome was
 * never settled), read by the audit writer and handed over on the audit channel, is put back into
 * the ledger, the intent book and the lifecycle slots. STARTUP_RECONCILE then checks every item
 * against the venue snapshot and the fills since the last known trade id; nothing here is trusted alone.
 */
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

export function restoreMemory(
  m: EngineMemory,
  d: { readonly ledger: Ledger; readonly intents: IntentBook; readonly trader: Trader; readonly now: () => number },
): void {
  // Venue ids of the bot's orders: trades the venue reports for them (an exit filled while the bot
  // was down) are the bot's; paging resumes after the last trade the bot knows.
  for (const o of m.ownOrders) d.trader.knowOrder(Number(o.exchange_order_id), o.client_order_id);
  for (const [symbol, id] of Object.entries(m.lastTradeIds)) d.trader.lastTradeId.set(symbol, id);
  for (const p of m.positions) {
    const qty = str(p.payload['qty']);
    const avg = str(p.payload['avg_price']);
    if (!qty || !avg || new Dec(qty).isZero()) continue;
    d.ledger.restore(p.symbol, qty, avg, num(p.payload['opened_ms']));
    // Fills seen before the restart (user stream, a reply) are in the remembered quantity: the
    // same trades reported again by REST (an unknown entry resolved FILLED, myTrades) must not
    // double the position, or the protection would sell more than the bot owns.
    d.ledger.markCounted(p.symbol, p.trade_ids);
    const s = d.trader.slot(p.symbol);
    const stop = str(p.payload['stop_price']);
    if (stop) s.plan = { stop_price: stop, take_profit_price: str(p.payload['take_profit_price']), trailing_delta_bps: num(p.payload['trailing_delta_bps']) };
    // Protected or not, the venue decides: reconcile adopts the protection it finds; until then
    // the position counts as unprotected.
    s.unprotected_since = d.now();
  }
  for (const r of m.notFoundEntries ?? []) {
    const intent = rememberedIntent(r);
    if (intent?.kind !== 'ENTRY' || intent.side !== 'BUY') continue;
    intent.state_ms = r.state_ms;
    intent.unknown_since = null;
    // Known to the book, so a fill found for it brings the plan its decision was approved with.
    d.intents.adopt(intent);
    d.trader.watchLate(intent, r.state_ms + LATE_WATCH_MS);
  }
  for (const r of m.intents) {
    const intent = rememberedIntent(r);
    if (!intent) continue;
    const kind = intent.kind;
    d.intents.adopt(intent);
    // CREATED from a previous run: it may or may not have left. Unknown until REST says.
    if (intent.state === 'CREATED') d.intents.transition(intent, 'SENT_UNKNOWN', 'INTENT_SENT_UNKNOWN', { why: 'found CREATED at startup' });
    const s = d.trader.slot(intent.symbol);
    if (kind === 'ENTRY') {
      // Its fills, if any, are no older than the intent, however long the bot was down.
      d.trader.tradesFrom(intent.symbol, r.created_ms);
      // Remembered entries are never re-quoted: they are resolved, then cancelled if still open
      // (a confirmed one that was working is cancelled at once; what it filled is then protected).
      s.entry = {
        intent,
        order_id: null,
        deadline_ms: d.now(),
        status: 'UNKNOWN',
        cancel: null,
        filled_qty: '0',
        decision: null,
        requotes_left: 0,
        corr: intent.corr,
        successor: null,
      };
      // The entry's own plan governs what it fills: an entry is only made with no tradable position,
      // so a remembered position's plan is from an earlier one (its dust keeps that plan in the
      // audit). Kept whole only when it is this entry's (same stop and take-profit, and the trailing
      // delta the entry's record does not carry). A killed restart had sold a new position at once
      // on the closed one's stop, a stop the risk verdict never approved.
      const stop = str(r.payload['stop_price']);
      const tp = str(r.payload['take_profit_price']);
      if (stop) {
        const same = s.plan !== null && s.plan.stop_price === stop && s.plan.take_profit_price === tp;
        s.plan = { stop_price: stop, take_profit_price: tp, trailing_delta_bps: same ? (s.plan?.trailing_delta_bps ?? null) : null };
      }
    } else if (kind === 'PROTECT' && !s.protection) {
      if (orderRole(intent.client_order_id) === 'list') {
        s.protection = {
          kind: 'OCO',
          intent,
          list_client_order_id: intent.client_order_id,
          leg_ids: [listLegId(intent.client_order_id, 'take_profit'), listLegId(intent.client_order_id, 'stop')],
          qty: str(r.payload['quantity']) ?? '0',
          active: false,
          placed_ms: r.created_ms,
        };
      } else {
        s.protection = {
          kind: 'TRAILING',
          intent,
          client_order_id: intent.client_order_id,
          qty: str(r.payload['quantity']) ?? '0',
          active: false,
          placed_ms: r.created_ms,
        };
      }
    } else if (kind === 'EXIT') {
      s.close = intent;
    }
  }
}

/** An intent as the audit remembered it, or null when it lacks what an intent needs. */
function rememberedIntent(r: RememberedIntent): Intent | null {
  if (!r.symbol || !r.client_order_id || (r.side !== 'BUY' && r.side !== 'SELL')) return null;
  return {
    id: r.order_intent_id,
    kind: (str(r.payload['kind']) ?? 'ENTRY') as IntentKind,
    symbol: r.symbol,
    side: r.side,
    client_order_id: r.client_order_id,
    corr: { order_intent_id: r.order_intent_id, cycle_id: r.cycle_id, decision_id: r.decision_id },
    state: r.state as IntentState,
    created_ms: r.created_ms,
    state_ms: r.created_ms,
    unknown_since: r.created_ms,
    not_found_answers: 0,
    last_query_ms: 0,
    detail: r.payload as Intent['detail'],
  };
}
