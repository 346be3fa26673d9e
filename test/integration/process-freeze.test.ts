import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReviewer, type Reviewer } from '../../apps/ai-reviewer/src/server.js';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { AI_KEY, engineDetails, startTrading, tradingOverrides } from '../engine/engine-harness.js';
import { panelUrlOf, SIM_KEY, startVenue, waitFor } from './harness.js';

/**
 * A freeze of the whole bot process (every thread stopped at once, as under a VM pause or an I/O
 * stall): the supervisor runs as a real child process (`supervisor start --live`) and is stopped
 * with SIGSTOP, held, then continued with SIGCONT. The venue and the reviewer live in this process
 * and keep running. After the freeze the bot must be back in NORMAL within the stabilization
 * window + 30 s by itself, the position still protected by the same standing orders, and no order placed twice.
 */
const cli = fileURLToPath(new URL('../../apps/supervisor/bin/supervisor.mjs', import.meta.url));
const WINDOW_MS = 2000;
const BOUND_MS = WINDOW_MS + 30_000;

type Status = { mode: string; reasons: { code: string; source: string }[]; workers: Record<string, { state: string }> };
type VenueState = { orders: { clientOrderId: string; status: string }[]; lists: { listClientOrderId: string; status: string }[] };

let sim: ExchangeSim;
let reviewer: Reviewer;
beforeAll(async () => {
  sim = await startVenue();
  reviewer = await startReviewer({ apiKey: AI_KEY });
});
afterAll(async () => {
  await sim?.close();
  await reviewer?.close();
});

const venueState = async (): Promise<VenueState> => (await (await fetch(`${sim.admin}/admin/state`)).json()) as VenueState;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The venue's standing orders and order lists (their clientOrderIds), sorted. */
const standing = (v: VenueState): string[] =>
  [
    ...v.lists.filter((l) => l.status === 'EXECUTING').map((l) => l.listClientOrderId),
    ...v.orders.filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED').map((o) => o.clientOrderId),
  ].sort();

// The two scenarios share nothing but the reviewer (each its own bot, var/ and venue) and mostly
// wait (on the market, the freezes, the restarts): both describes are concurrent, so they run side by side.
describe.concurrent('whole-process freeze', () => {
  it('after SIGSTOP for 2 s and for 10 s the bot is back in NORMAL within the window + 30 s, the position keeps the same standing protection at the venue and no order is placed twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-freeze-'));
    const varDir = join(dir, 'var');
    mkdirSync(varDir, { recursive: true });
    writeFileSync(join(varDir, 'LIVE.ok'), '');
    const o = tradingOverrides(reviewer);
    const config = {
      ...o,
      // 1-s heartbeats and a 1.99-s stall bound (the chaos harness's): the freezes (2 and 10 s) are
      // still longer than a heartbeat interval, so the supervisor must take them as its own gap; the
      // profile's 500-ms stall bound also restarted a worker starved during its boot on a loaded
      // machine (three test files at once), which is not what this test is about.
      supervisor: { ...(o['supervisor'] as object), degrade_stability_window_ms: WINDOW_MS, heartbeat_interval_ms: 1000, worker_stall_timeout_ms: 1990 },
      exchange: { rest_base_url: sim.rest, ws_market_url: sim.ws, ws_api_url: `${sim.ws}/ws-api/v3`, symbols: ['BTCUSDT'] },
      paths: { var_dir: varDir },
      panel: { port: 0 },
      logging: { level: 'warn' },
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const proc: ResultPromise = execa(process.execPath, [cli, 'start', '--live', '--config', join(dir, 'config.json')], {
      env: { MODE: 'LIVE', AI_DEC: '2', BINANCE_API_KEY: SIM_KEY.apiKey, BINANCE_API_SECRET: SIM_KEY.secretKey, OPENAI_API_KEY: AI_KEY },
      extendEnv: false,
      reject: false,
      timeout: 170_000,
    });
    try {
      // The whole bot starting in a child: 60 s, not 30, before calling it stuck on a loaded machine.
      const url = await panelUrlOf(proc, 60_000);
      const status = async (): Promise<Status> => (await (await fetch(`${url}/api/status`)).json()) as Status;
      const q = <T>(sql: string): T[] => {
        const db = new Database(join(varDir, 'data', 'audit.sqlite'), { readonly: true });
        try {
          return db.prepare(sql).all() as T[];
        } finally {
          db.close();
        }
      };
      const placed = await waitFor(
        'protection placed',
        () => q<{ payload: string }>("SELECT payload FROM events WHERE event_type = 'PROTECTION_PLACED'")[0],
        60_000,
        200,
      );
      expect(JSON.parse(placed.payload)).toMatchObject({ list_client_order_id: expect.any(String) });
      // Hold the price still: the protection neither fills nor triggers, and no new breakout comes.
      await fetch(`${sim.admin}/admin/market`, { method: 'POST', body: JSON.stringify({ paused: true }) });
      await waitFor('NORMAL before the freeze', async () => (await status()).mode === 'NORMAL', 30_000, 100);
      const before = await venueState();
      // What protects the position when the price stops: the OCO placed, or (when the price ran on
      // before it stopped, as on a loaded machine) the trailing stop it was swapped to.
      const protection = standing(before);
      expect(protection.length, 'a protection stands before the freeze').toBeGreaterThan(0);

      for (const freezeMs of [2000, 10_000]) {
        process.kill(proc.pid!, 'SIGSTOP');
        await sleep(freezeMs);
        process.kill(proc.pid!, 'SIGCONT');
        const t0 = Date.now();
        // The freeze must be noticed as a disturbance first (not NORMAL for a moment) or not at all;
        // either way it has to be NORMAL again, with the engine released, within the bound.
        let last: Status | null = null;
        const back = await waitFor(
          `NORMAL again after a ${freezeMs} ms freeze`,
          async () => {
            try {
              last = await status();
            } catch {
              return false;
            }
            return last.mode === 'NORMAL' && Object.values(last.workers).every((w) => w.state === 'running');
          },
          BOUND_MS,
          100,
        ).catch((e: Error) => new Error(`${e.message}; last status ${JSON.stringify(last)}`));
        expect(back, `back to NORMAL after a ${freezeMs} ms freeze`).toBe(true);
        expect(Date.now() - t0).toBeLessThanOrEqual(BOUND_MS);
        const after = await venueState();
        expect(standing(after), `the same protection after a ${freezeMs} ms freeze`).toEqual(protection);
        expect(after.orders.map((x) => x.clientOrderId).sort(), `no new order after a ${freezeMs} ms freeze`).toEqual(
          before.orders.map((x) => x.clientOrderId).sort(),
        );
      }
      // The freezes were noticed as the supervisor's own gap (not as dead workers): nothing restarted.
      const gaps = q<{ payload: string }>("SELECT payload FROM events WHERE event_type = 'REASON_RAISED' AND reason_code = 'EVENT_LOOP_LAG_HIGH'").filter(
        (r) => (JSON.parse(r.payload) as { source: string }).source === 'supervisor-loop',
      );
      expect(gaps.length).toBeGreaterThanOrEqual(2);
      expect(q("SELECT seq, event_type, payload FROM events WHERE event_type IN ('WORKER_EXITED', 'WORKER_RESTARTED')")).toEqual([]);
      const ids = q<{ client_order_id: string; n: number }>(
        "SELECT json_extract(payload, '$.client_order_id') AS client_order_id, COUNT(*) AS n FROM events WHERE event_type = 'INTENT_CREATED' GROUP BY 1 HAVING n > 1",
      );
      expect(ids).toEqual([]);
    } finally {
      try {
        process.kill(proc.pid!, 'SIGCONT');
      } catch {
        /* already gone */
      }
      proc.kill('SIGINT');
      await proc;
    }
  }, 180_000);
});

describe.concurrent('all workers lost at once', () => {
  it('after the audit writer, gateway and engine die together the restarts finish startup reconcile: NORMAL within the window + 30 s, the same protection list, no order placed twice', async () => {
    // A venue of its own: the first test's position and list must not be adopted here.
    const own = await startVenue();
    const venueState = async (): Promise<VenueState> => (await (await fetch(`${own.admin}/admin/state`)).json()) as VenueState;
    const t = await startTrading({
      sim: own,
      reviewer,
      extra: {
        supervisor: { ...(tradingOverrides(reviewer)['supervisor'] as object), degrade_stability_window_ms: WINDOW_MS, restart_backoff_initial_ms: 20 },
      },
    });
    try {
      const placed = await waitFor(
        'protection placed',
        () => t.q<{ payload: string }>("SELECT payload FROM events WHERE event_type = 'PROTECTION_PLACED'")[0],
        60_000,
        100,
      );
      const list = (JSON.parse(placed.payload) as { list_client_order_id: string }).list_client_order_id;
      await fetch(`${own.admin}/admin/market`, { method: 'POST', body: JSON.stringify({ paused: true }) });
      await waitFor('NORMAL before the loss', () => t.sup.modeState.mode === 'NORMAL', 30_000, 50);
      const before = await venueState();
      await Promise.all([t.sup.hosts.audit.kill(), t.sup.hosts.gateway.kill(), t.sup.hosts.engine.kill()]);
      await waitFor('PAUSE after the loss', () => t.sup.modeState.mode === 'PAUSE', 5000, 5);
      const t0 = Date.now();
      await waitFor('NORMAL again', () => t.sup.modeState.mode === 'NORMAL', BOUND_MS, 50).catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(t.sup.modeState.reasons.map((r) => `${r.code}@${r.source}`))}`);
      });
      expect(Date.now() - t0).toBeLessThanOrEqual(BOUND_MS);
      // Read the engine's status as an operator would: on a loaded machine the watchdog may declare
      // the just-restarted engine stalled while this request is in flight; its channel then closes
      // ("closed locally") and the engine restarts once more. That answer is no answer: wait for
      // NORMAL again and read again, within the same bound. The assertions apply to the answer.
      // An answer counts only when the engine that gave it is the one that reached NORMAL and the
      // mode is still NORMAL after it: a further restart in between answers from a startup not yet
      // reconciled (its slots empty) without any channel error.
      const d = await waitFor(
        'the engine status after the restarts',
        async () => {
          try {
            const thread = t.sup.hosts.engine.threadId;
            const answer = await engineDetails(t.sup);
            if (t.sup.hosts.engine.threadId !== thread || t.sup.modeState.mode !== 'NORMAL') {
              await waitFor('NORMAL again after a restart', () => t.sup.modeState.mode === 'NORMAL' && t.sup.hosts.engine.state === 'running', BOUND_MS, 50);
              return false;
            }
            return answer;
          } catch (e) {
            const code = (e as { code?: string }).code;
            if (code !== 'CHANNEL_CLOSED' && code !== 'CHANNEL_REQUEST_TIMEOUT' && code !== 'WORKER_NOT_RUNNING') throw e;
            await waitFor('NORMAL again after a restart', () => t.sup.modeState.mode === 'NORMAL' && t.sup.hosts.engine.state === 'running', BOUND_MS, 50);
            return false;
          }
        },
        BOUND_MS,
        50,
      );
      const slot = (d['slots'] as { symbol: string; protection: { kind: string; active: boolean } | null }[]).find((x) => x.symbol === 'BTCUSDT');
      expect(slot?.protection).toMatchObject({ kind: 'OCO', active: true });
      const after = await venueState();
      expect(after.lists.filter((l) => l.status === 'EXECUTING').map((l) => l.listClientOrderId)).toEqual([list]);
      expect(after.orders.map((x) => x.clientOrderId).sort()).toEqual(before.orders.map((x) => x.clientOrderId).sort());
      // The restarted engine writes to the restarted writer again.
      expect(t.q("SELECT seq FROM events WHERE source = 'engine' AND event_type = 'RECONCILE_COMPLETED' AND ts_ms > ?", t0).length).toBeGreaterThan(0);
    } finally {
      await t.stopAll();
      await own.close();
    }
  }, 120_000);
});
