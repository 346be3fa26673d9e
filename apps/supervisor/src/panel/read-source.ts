import { jsonArray } from '@vigil/contracts';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AuditReader, type FillRow } from '@vigil/audit';
import type { JsonObject } from '@vigil/contracts';
import { Dec, percentile } from '@vigil/core';

/**
 * The panel's audit-backed sections: one lazily opened read-only connection, every query
 * index-backed and bounded (LIMIT or a time window), so a 10-million-event database answers as fast
 * as an empty one. A reader failure shows as an empty section with `error`; the audit's own health
 * (heartbeat metrics, reasons) says why.
 */
export interface AuditPanelReads {
  alerts(): JsonObject[];
  stages(): JsonObject[];
  intents(): JsonObject;
  reconcile(): JsonObject;
  orders(): JsonObject;
  /** Today's fees in quote currency from the recorded fills (UTC day), per symbol. */
  feesToday(symbols: readonly string[]): JsonObject;
  gate(): JsonObject;
  /** P&L samples (PNL_SAMPLED) of the last hour, oldest first. */
  pnlHistory(): { ts_ms: number; total: number; realized: number; unrealized: number }[];
  eventsPerMinute(): { minute_ms: number; events: number }[];
  /** Entries/exits (fills) and protection levels of `symbols` in the last `windowMs`. */
  markers(symbols: readonly string[], windowMs: number): JsonObject;
  /** Backup directory size, sampled at most every 10 s (a directory listing, not a query). */
  backups(): JsonObject;
  close(): void;
}

const HOUR = 3_600_000;
const INTENT_ORDER = ['SENT_UNKNOWN', 'CREATED', 'CONFIRMED', 'NOT_FOUND', 'FAILED_TERMINAL'];

export function auditPanelReads(varDir: string, now: () => number = Date.now): AuditPanelReads {
  let reader: AuditReader | null = null;
  const read = <T>(fn: (r: AuditReader) => T, fallback: T): T => {
    try {
      reader ??= new AuditReader(join(varDir, 'data', 'audit.sqlite'));
      return fn(reader);
    } catch {
      reader?.close();
      reader = null;
      return fallback;
    }
  };
  let backupCache: { at: number; value: JsonObject } | null = null;
  let fees: { dayStart: number; symbols: string; lastSeq: number; per: Map<string, ReturnType<typeof feesOf>> } | null = null;
  const perMinute = new Map<number, number>();
  let perMinuteUpTo = 0;
  const unreadable = 'audit database not readable';

  return {
    alerts: () => read((r) => jsonArray(r.alerts(0, 50)), []),
    stages: () => read((r) => jsonArray(r.stageChanges(20)), []),
    intents: () =>
      read<JsonObject>(
        (r) => {
          const by = r.intentCounts(now() - 24 * HOUR);
          // The operator's priority order: SENT_UNKNOWN first, every state shown, zeros included;
          // open states all, final states of the last 24 h.
          return { final_window_ms: 24 * HOUR, states: INTENT_ORDER.map((state) => ({ state, count: by[state] ?? 0 })) };
        },
        { states: [], error: unreadable },
      ),
    reconcile: () =>
      read<JsonObject>((r) => ({ last: (r.lastReconcile() ?? null) as JsonObject | null, diffs: jsonArray(r.recentDiffs(20)) }), {
        last: null,
        diffs: [],
        error: unreadable,
      }),
    orders: () =>
      read<JsonObject>((r) => ({ open: jsonArray(r.openOrders(50)), recent: jsonArray(r.recentOrders(20)) }), {
        open: [],
        recent: [],
        error: unreadable,
      }),
    feesToday: (symbols) =>
      read<JsonObject>(
        (r) => {
          const t = now();
          const dayStart = t - (t % 86_400_000);
          // Fills are append-only: the day's sums are kept and only newer fills (by seq) are added.
          if (!fees || fees.dayStart !== dayStart || fees.symbols !== symbols.join(',')) {
            const upTo = r.maxFillSeq();
            fees = { dayStart, symbols: symbols.join(','), lastSeq: upTo, per: new Map() };
            for (const s of symbols)
              fees.per.set(
                s,
                feesOf(
                  s,
                  r.fillsSince(s, dayStart, 1_000_000).filter((f) => f.seq <= upTo),
                ),
              );
          }
          for (;;) {
            const batch = r.fillsAfter(fees.lastSeq, 10_000);
            for (const f of batch) {
              const acc = fees.per.get(f.symbol);
              if (acc && f.ts_ms >= dayStart) addFees(acc, feesOf(f.symbol, [f]));
              fees.lastSeq = f.seq;
            }
            if (batch.length < 10_000) break;
          }
          let quote = new Dec(0);
          const per: JsonObject[] = [];
          const other: Record<string, string> = {};
          for (const [s, f] of fees.per) {
            quote = quote.plus(f.quote);
            per.push({ symbol: s, fees_quote: f.quote.toFixed(8), fills: f.fills });
            for (const [a, v] of Object.entries(f.other)) other[a] = new Dec(other[a] ?? 0).plus(v).toFixed();
          }
          return { day: new Date(dayStart).toISOString().slice(0, 10), fees_quote: quote.toFixed(8), symbols: per, other_assets: other };
        },
        { day: null, fees_quote: null, symbols: [], other_assets: {}, error: unreadable },
      ),
    gate: () =>
      read<JsonObject>(
        (r) => {
          const g = r.gateSummary(now() - 24 * HOUR, 200);
          const lat = g.latencies_ms;
          const mean = lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : null;
          return {
            window_ms: 24 * HOUR,
            verdicts: jsonArray(g.verdicts),
            calls: g.verdicts.reduce((a, v) => a + v.n, 0),
            latency: {
              n: lat.length,
              mean_ms: mean,
              p50_ms: lat.length ? percentile(lat, 50) : null,
              p95_ms: lat.length ? percentile(lat, 95) : null,
              max_ms: lat.length ? Math.max(...lat) : null,
            },
          };
        },
        { verdicts: [], calls: 0, latency: null, error: unreadable },
      ),
    pnlHistory: () =>
      read((r) => {
        const since = now() - HOUR;
        return r
          .eventsOfType('PNL_SAMPLED', 360)
          .filter((e) => e.ts_ms >= since)
          .reverse()
          .map((e) => ({ ts_ms: e.ts_ms, total: num(e.payload['total']), realized: num(e.payload['realized']), unrealized: num(e.payload['unrealized']) }));
      }, []),
    eventsPerMinute: () =>
      read((r) => {
        const t = now();
        const from = Math.floor((t - HOUR) / 60_000) * 60_000;
        // Minutes older than two are complete and kept; only the recent ones are counted again
        // (an event committed more than two minutes late would be missed by its minute's bar).
        const stable = Math.floor(t / 60_000) * 60_000 - 120_000;
        const q = r.eventsPerMinute(Math.max(from, perMinuteUpTo));
        for (const row of q) if (row.minute_ms < stable) perMinute.set(row.minute_ms, row.events);
        perMinuteUpTo = Math.max(perMinuteUpTo, stable);
        for (const k of perMinute.keys()) if (k < from) perMinute.delete(k);
        const out = [...perMinute].filter(([k]) => k >= from).map(([minute_ms, events]) => ({ minute_ms, events }));
        return [...out, ...q.filter((row) => row.minute_ms >= stable)].sort((a, b) => a.minute_ms - b.minute_ms);
      }, []),
    markers: (symbols, windowMs) =>
      read<JsonObject>(
        (r) => {
          const since = now() - windowMs;
          const out: Record<string, JsonObject> = {};
          for (const s of symbols) {
            const fills = r
              .fillsSince(s, since, 500)
              .map((f) => ({ ts_ms: f.ts_ms, side: f.side, price: num(f.price), qty: f.qty, client_order_id: f.client_order_id }));
            out[s] = { fills, stops: [] };
          }
          // Protection levels: the last placements (OCO stop and take-profit; trailing swaps carry no level).
          for (const e of r.eventsOfType('PROTECTION_PLACED', 100)) {
            const sym = e.payload['symbol'];
            if (e.ts_ms < since || typeof sym !== 'string' || !out[sym]) continue;
            (out[sym]['stops'] as JsonObject[]).push({
              ts_ms: e.ts_ms,
              stop_price: num(e.payload['stop_price']),
              take_profit_price: num(e.payload['take_profit_price']),
            });
          }
          for (const s of Object.values(out)) (s['stops'] as JsonObject[]).reverse();
          return { since_ms: since, symbols: out };
        },
        { since_ms: null, symbols: {}, error: unreadable },
      ),
    backups: () => {
      const t = now();
      if (backupCache && t - backupCache.at < 10_000) return backupCache.value;
      const dir = join(varDir, 'backup');
      let bytes = 0;
      let files = 0;
      let newest: number | null = null;
      try {
        for (const name of readdirSync(dir)) {
          if (!name.endsWith('.sqlite')) continue;
          const st = statSync(join(dir, name));
          bytes += st.size;
          files++;
          newest = Math.max(newest ?? 0, st.mtimeMs);
        }
      } catch {
        /* no backup directory yet: zero backups */
      }
      backupCache = { at: t, value: { bytes, files, newest_ms: newest } };
      return backupCache.value;
    },
    close: () => {
      reader?.close();
      reader = null;
      fees = null;
      perMinute.clear();
      perMinuteUpTo = 0;
    },
  };
}

/**
 * Fees of one symbol's fills in its quote currency. The assets come from the symbol's name (Binance
 * symbols are base + quote): a commission in the quote counts as is, in the base at the fill price;
 * any other asset (BNB) is listed apart, never valued at a guessed rate.
 */
export function feesOf(symbol: string, fills: readonly FillRow[]): { quote: Dec; other: Record<string, Dec>; fills: number } {
  let quote = new Dec(0);
  const other: Record<string, Dec> = {};
  for (const f of fills) {
    if (!f.commission || !f.commission_asset) continue;
    const c = new Dec(f.commission);
    const a = f.commission_asset;
    if (symbol.endsWith(a) && symbol.length > a.length) quote = quote.plus(c);
    else if (symbol.startsWith(a) && symbol.length > a.length && f.price) quote = quote.plus(c.mul(f.price));
    else other[a] = (other[a] ?? new Dec(0)).plus(c);
  }
  return { quote, other, fills: fills.length };
}

function addFees(acc: ReturnType<typeof feesOf>, f: ReturnType<typeof feesOf>): void {
  acc.quote = acc.quote.plus(f.quote);
  acc.fills += f.fills;
  for (const [a, v] of Object.entries(f.other)) acc.other[a] = (acc.other[a] ?? new Dec(0)).plus(v);
}

/** Chart coordinates only (never an amount someone acts on): a float is fine here. */
function num(x: unknown): number {
  const n = typeof x === 'string' || typeof x === 'number' ? Number(x) : Number.NaN;
  return Number.isFinite(n) ? n : Number.NaN;
}
