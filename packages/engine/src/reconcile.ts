import type { PayloadOf } from '@vigil/contracts';
import { isOwnClientOrderId, orderRole } from '@vigil/contracts';
import type { AccountReport, Correlation, EventType, JsonObject, OrderListReport, OrderReport, ReasonCode, SymbolRules } from '@vigil/contracts';
import { Dec, diffVenue, judgeDrift, type Drift } from '@vigil/core';
import type { CrashHook } from '@vigil/runtime';
import type { Ledger } from './ledger.js';
import { changedKind, type Trader } from './trader.js';
import { venue, type VenueCall } from './venue.js';

/**
 * RECONCILE: the venue's truth (open orders, open order lists, balances, our recent trades)
 * against what the engine believes. Every difference is a RECONCILE_DIFF with its ids. Drift:
 * - OK: nothing to say;
 * - WARN: a difference we corrected (a missed fill, an order that ended unseen, a protection list
 *   that is gone, a foreign order flagged): RECONCILE_DRIFT (DEGRADE) while it lasts;
 * - BAD: a difference we cannot explain (our position larger than the account's balance beyond
 *   the tolerance, or WARN drift lasting longer than drift_bad_after_ms): DRIFT_LIMIT_EXCEEDED
 *   (PAUSE, manual clear).
 */
export type { Drift };

export interface Diff {
  readonly kind: string;
  readonly symbol: string | null;
  readonly severity: 'WARN' | 'BAD';
  readonly detail: JsonObject;
  readonly order_intent_id?: string | null;
}

export interface ReconcileDeps {
  readonly now: () => number;
  readonly call: () => VenueCall | null;
  readonly trader: Trader;
  readonly ledger: Ledger;
  readonly symbols: readonly string[];
  readonly rules: (symbol: string) => SymbolRules | null;
  readonly toleranceSteps: number;
  readonly driftBadAfterMs: number;
  readonly event: <T extends EventType>(
    type: T,
    payload: PayloadOf<T>,
    opts?: { readonly reason?: ReasonCode | null; readonly corr?: Partial<Correlation> },
  ) => void;
  readonly reason: (code: ReasonCode, on: boolean, detail: JsonObject) => void;
  /** Chaos-matrix crash points (disarmed unless live.fault_hooks_enabled and live.crash_point). */
  readonly crash?: CrashHook;
}

export interface ReconcileResult {
  readonly ok: boolean;
  readonly drift: Drift;
  readonly diffs: readonly Diff[];
  readonly duration_ms: number;
  readonly open_orders: number;
  readonly open_lists: number;
  /** Symbols with orders the bot does not own: no entries there. */
  readonly foreign: readonly string[];
}

export class Reconciler {
  private warnSince: number | null = null;
  foreign: readonly string[] = [];
  /** Open orders the bot does not own, per symbol, as of the last reconcile (MAX_NUM_ORDERS context). */
  foreignCounts = new Map<string, { open: number; algo: number }>();
  last: ReconcileResult | null = null;

  constructor(private readonly d: ReconcileDeps) {}

  async run(cycleId: number | null, opts: { readonly startup: boolean }): Promise<ReconcileResult> {
    const t0 = this.d.now();
    this.d.event('RECONCILE_STARTED', { startup: opts.startup }, { corr: { cycle_id: cycleId } });
    const call = this.d.call();
    const [orders, lists, acct] = [
      await venue(call, 'open_orders', { symbol: null }),
      await venue(call, 'open_order_lists', {}),
      await venue(call, 'account', {}),
    ];
    if (orders.kind !== 'OK' || lists.kind !== 'OK' || acct.kind !== 'OK') {
      const why = { open_orders: orders.kind, open_order_lists: lists.kind, account: acct.kind };
      this.d.reason(opts.startup ? 'STARTUP_RECONCILE_FAILED' : 'RECONCILE_FAILED', true, why);
      const r: ReconcileResult = { ok: false, drift: 'OK', diffs: [], duration_ms: this.d.now() - t0, open_orders: 0, open_lists: 0, foreign: this.foreign };
      this.d.event(
        'RECONCILE_COMPLETED',
        { ok: false, ...why, duration_ms: r.duration_ms, drift: 'UNKNOWN', diffs: 0 },
        { reason: opts.startup ? 'STARTUP_RECONCILE_FAILED' : 'RECONCILE_FAILED', corr: { cycle_id: cycleId } },
      );
      return r;
    }
    this.d.reason(opts.startup ? 'STARTUP_RECONCILE_FAILED' : 'RECONCILE_FAILED', false, {});
    if (opts.startup) this.d.crash?.('startup_reconcile', { open_orders: orders.body.length, open_lists: lists.body.length });
    const diffs: Diff[] = [];
    const t = this.d.trader;
    const mine = (o: { client_order_id: string }): boolean => isOwnClientOrderId(o.client_order_id);
    for (const l of lists.body) if (orderRole(l.list_client_order_id) === 'list') t.knowList(l.order_list_id);
    // Only an id of the bot's exact shape makes an order's fills the bot's: about one in 3,800 of the
    // random ids Binance gives an order placed without one (the web and app's) starts with "vg".
    for (const o of orders.body) if (orderRole(o.client_order_id) !== null) t.knowOrder(o.order_id, o.client_order_id);

    // 1-2. Orders and lists at the venue against the state: a pure diff (core/venue-diff.ts), applied here.
    const actions = diffVenue({
      symbols: this.d.symbols,
      held: (sym) => {
        const s = t.slots.get(sym);
        const p = s?.protection ?? null;
        return {
          entry_client_order_id: s?.entry?.intent.client_order_id ?? null,
          protection:
            p === null
              ? null
              : p.kind === 'OCO'
                ? { kind: 'OCO', list_client_order_id: p.list_client_order_id, leg_ids: p.leg_ids, active: p.active }
                : { kind: 'TRAILING', client_order_id: p.client_order_id, active: p.active },
        };
      },
      hasIntent: (c) => t.hasIntentFor(c),
      orders: orders.body,
      lists: lists.body,
    });
    const foreign = new Set<string>();
    for (const a of actions) {
      switch (a.kind) {
        case 'FOREIGN_ORDER':
          foreign.add(a.order.symbol);
          diffs.push({
            kind: 'FOREIGN_ORDER',
            symbol: a.order.symbol,
            severity: 'WARN',
            detail: {
              order_id: (a.order as OrderReport).order_id,
              client_order_id: a.order.client_order_id,
              type: a.order.type,
              side: a.order.side,
              status: a.order.status,
            },
          });
          break;
        case 'CANCEL_STRAY_ENTRY': {
          // An entry of ours we no longer track (restart): never left working blind. Cancel it.
          const o = a.order as OrderReport;
          diffs.push({
            kind: 'STRAY_ENTRY_CANCELLED',
            symbol: o.symbol,
            severity: 'WARN',
            detail: { client_order_id: o.client_order_id, executed_qty: o.executed_qty },
          });
          const c = await t.cancelStray(o);
          // What it filled before the cancel is a position: fetch its trades and protect it.
          if (!new Dec(o.executed_qty).isZero() || (c?.kind === 'OK' && !new Dec(c.body.executed_qty).isZero())) t.pendingTrades.add(o.symbol);
          break;
        }
        case 'ADOPT_TRAILING': {
          // Our trailing stop from before a restart: adopted as the position's protection.
          const o = a.order as OrderReport;
          if (t.adoptProtection(o.symbol, { kind: 'TRAILING', order: o }))
            diffs.push({ kind: 'PROTECTION_ADOPTED', symbol: o.symbol, severity: 'WARN', detail: { client_order_id: o.client_order_id, kind: 'TRAILING' } });
          else diffs.push({ kind: 'UNTRACKED_ORDER', symbol: o.symbol, severity: 'WARN', detail: { client_order_id: o.client_order_id, type: o.type } });
          break;
        }
        case 'UNTRACKED_ORDER':
          diffs.push({
            kind: 'UNTRACKED_ORDER',
            symbol: a.order.symbol,
            severity: 'WARN',
            detail: { client_order_id: a.order.client_order_id, type: a.order.type },
          });
          break;
        case 'PROTECTION_SEEN':
          t.protectionSeen(a.symbol);
          break;
        case 'PROTECTION_LEG_WORKING':
          // The protection check cancels the leg; until then no stop stands (the clock runs).
          t.legWorking(a.symbol);
          break;
        case 'ADOPT_LIST': {
          const l = a.list as OrderListReport;
          const legs = a.legs as readonly OrderReport[];
          if (t.adoptProtection(l.symbol, { kind: 'OCO', list_client_order_id: l.list_client_order_id, legs }))
            diffs.push({
              kind: 'PROTECTION_ADOPTED',
              symbol: l.symbol,
              severity: 'WARN',
              detail: { list_client_order_id: l.list_client_order_id, qty: legs[0]?.orig_qty ?? '0' },
            });
          else diffs.push({ kind: 'EXTRA_PROTECTION_LIST', symbol: l.symbol, severity: 'WARN', detail: { list_client_order_id: l.list_client_order_id } });
          break;
        }
        case 'EXTRA_PROTECTION_LIST':
          diffs.push({ kind: 'EXTRA_PROTECTION_LIST', symbol: a.list.symbol, severity: 'WARN', detail: { list_client_order_id: a.list.list_client_order_id } });
          break;
        case 'PROTECTION_ENDED': {
          const s = t.slot(a.symbol);
          diffs.push({
            kind: 'PROTECTION_ENDED_UNSEEN',
            symbol: a.symbol,
            severity: 'WARN',
            detail: a.protection === 'OCO' ? { list_client_order_id: a.id } : { client_order_id: a.id },
            order_intent_id: s.protection?.intent.id ?? null,
          });
          // An OCO's legs are read first (their final state recorded, one still working cancelled).
          const held = s.protection;
          if (held?.kind === 'OCO') await t.settleEndedList(s, held, 'not open at reconcile');
          else t.onProtectionEnded(s, 'trailing stop not open at reconcile');
          break;
        }
        default: {
          const never: never = a;
          throw new Error(`unhandled venue action ${JSON.stringify(never)}`);
        }
      }
    }
    this.foreign = [...foreign];
    this.foreignCounts = new Map();
    for (const o of orders.body) {
      if (mine(o)) continue;
      const c = this.foreignCounts.get(o.symbol) ?? { open: 0, algo: 0 };
      c.open++;
      if (o.type.startsWith('STOP') || o.type.startsWith('TAKE')) c.algo++;
      this.foreignCounts.set(o.symbol, c);
    }

    // 3. Fills we may have missed, and trades by others: the account's trades since the last one
    // judged, paged until complete (an exit that filled while the bot was down makes it flat).
    let tradesComplete = true;
    for (const sym of this.d.symbols) {
      const pos = this.d.ledger.position(sym);
      const s = t.slots.get(sym);
      if (new Dec(pos.qty).isZero() && !s?.entry && !t.pendingTrades.has(sym)) continue;
      const start = t.tradesStart(sym, Math.max(0, Math.min(pos.opened_ms ?? this.d.now(), this.d.now()) - 120_000));
      const found = await t.syncTrades(sym, start, acct.body);
      if (found === null) {
        tradesComplete = false;
        continue;
      }
      diffs.push(...found);
      t.pendingTrades.delete(sym);
    }

    // 4. Balances: the account must hold at least the bot's own position (within the tolerance);
    // short, the policy adopts what is left or leaves the symbol to the operator.
    for (const sym of this.d.symbols) {
      if (new Dec(this.d.ledger.position(sym).qty).isZero() || t.frozen.has(sym) || t.pendingTrades.has(sym)) continue;
      const d = t.judge(sym, [], acct.body);
      if (d) diffs.push(d);
    }
    // Still left to the operator: the drift stays BAD while the venue contradicts the state.
    for (const [sym, inventory] of t.frozen)
      if (!diffs.some((x) => x.symbol === sym && x.severity === 'BAD'))
        diffs.push({
          kind: changedKind(inventory['why'] === 'SOLD_BY_OTHERS' ? 'SOLD_BY_OTHERS' : 'BALANCE_SHORT'),
          symbol: sym,
          severity: 'BAD',
          detail: inventory,
        });

    const now = this.d.now();
    const judged = judgeDrift(diffs, this.warnSince, now, this.d.driftBadAfterMs);
    this.warnSince = judged.warn_since;
    const drift = judged.drift;
    for (const x of diffs)
      this.d.event(
        'RECONCILE_DIFF',
        { kind: x.kind, symbol: x.symbol, severity: x.severity, detail: x.detail },
        { reason: x.severity === 'BAD' ? 'DRIFT_LIMIT_EXCEEDED' : null, corr: { cycle_id: cycleId, order_intent_id: x.order_intent_id ?? null } },
      );
    // Incident 8: BAD drift records the inventory: the venue's orders and balances and the state's view.
    if (drift === 'BAD')
      this.d.reason('DRIFT_LIMIT_EXCEEDED', true, {
        diffs: diffs.map((x) => ({ kind: x.kind, symbol: x.symbol })),
        warn_since_ms: this.warnSince,
        inventory: this.inventory(orders.body, lists.body, acct.body),
      });
    this.d.reason('RECONCILE_DRIFT', drift === 'WARN', { diffs: diffs.length });
    // Trades that could not be read completely leave the state unconfirmed: not a clean reconcile.
    const result: ReconcileResult = {
      ok: tradesComplete,
      drift,
      diffs,
      duration_ms: now - t0,
      open_orders: orders.body.length,
      open_lists: lists.body.length,
      foreign: this.foreign,
    };
    this.d.event(
      'RECONCILE_COMPLETED',
      {
        ok: result.ok,
        startup: opts.startup,
        duration_ms: result.duration_ms,
        drift,
        diffs: diffs.length,
        open_orders: result.open_orders,
        open_lists: result.open_lists,
        warn_since_ms: this.warnSince,
        ...(tradesComplete ? {} : { my_trades: 'INCOMPLETE' }),
        ...(drift === 'BAD' ? { inventory: this.inventory(orders.body, lists.body, acct.body) } : {}),
      },
      { reason: drift === 'BAD' ? 'DRIFT_LIMIT_EXCEEDED' : drift === 'WARN' ? 'RECONCILE_DRIFT' : null, corr: { cycle_id: cycleId } },
    );
    this.last = result;
    return result;
  }

  /** The inventory a BAD drift records: open orders and lists at the venue, balances of the traded assets, and the state's view per symbol. */
  private inventory(orders: readonly OrderReport[], lists: readonly OrderListReport[], acct: AccountReport): JsonObject {
    const assets = new Set<string>();
    for (const sym of this.d.symbols) {
      const r = this.d.rules(sym);
      if (r) assets.add(r.baseAsset).add(r.quoteAsset);
    }
    return {
      open_orders: orders
        .filter((o) => this.d.symbols.includes(o.symbol))
        .slice(0, 100)
        .map((o) => ({
          symbol: o.symbol,
          client_order_id: o.client_order_id,
          order_id: o.order_id,
          type: o.type,
          side: o.side,
          status: o.status,
          price: o.price,
          orig_qty: o.orig_qty,
          executed_qty: o.executed_qty,
        })),
      open_lists: lists
        .filter((l) => this.d.symbols.includes(l.symbol))
        .slice(0, 50)
        .map((l) => ({ symbol: l.symbol, list_client_order_id: l.list_client_order_id, status: l.list_order_status })),
      balances: acct.balances.filter((b) => assets.has(b.asset)).map((b) => ({ asset: b.asset, free: b.free, locked: b.locked })),
      state: this.d.symbols.map((sym) => ({ symbol: sym, ...this.d.trader.slotView(sym) })),
    };
  }
}
