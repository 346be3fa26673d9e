import { describe, expect, it } from 'vitest';
import { canonicalJson, snapshotHash, type Config, type JsonObject } from '@vigil/contracts';
import { BTCUSDT_PRICE_LOT_RULES, Dec, EMPTY_LIFECYCLE, redact, step, type LifecycleFacts, type LifecycleInput, type LifecycleState } from '@vigil/core';
import { parseConfig } from '@vigil/runtime';
import { BarSeries } from './bars.js';
import { ChurnCounter } from './churn.js';
import { estimateCost, judgeCost } from './cost-model.js';
import { buildDecision } from './decision-build.js';
import { IntentBook } from './intents.js';
import { Ledger } from './ledger.js';
import {
  CYCLE_WINDOW_EVENTS,
  ReplayRecorder,
  Replayer,
  lifecycleConfigOf,
  replayStep,
  rulesRef,
  type LifecycleStepRecord,
  type ReplayEvent,
  type ReplayEventType,
} from './replay.js';
import { riskVerdict } from './risk.js';
import { breakoutStrategy, type MarketSnapshot } from './strategy.js';
import { Trader } from './trader.js';

const rules = BTCUSDT_PRICE_LOT_RULES;

const config: Config = (() => {
  const r = parseConfig(
    {
      strategy: {
        bar_ms: 1000,
        lookback_bars: 5,
        vol_bars: 5,
        hold_bars: 30,
        min_stop_bps: 150,
        stop_vol_mult: '2',
        take_profit_r: '2',
        win_rate_prior: '0.5',
      },
    },
    {},
  );
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.config;
})();
const lcfg = lifecycleConfigOf(config.engine, config.strategy.requote_mode);

/** Events as the engine emits them, numbered like audit rows. */
function log(): { events: ReplayEvent[]; add: (type: ReplayEventType, payload: JsonObject, cycle_id?: number | null) => ReplayEvent } {
  const events: ReplayEvent[] = [];
  return {
    events,
    add: (type, payload, cycle_id = null) => {
      // What the audit stores: the payload redacted and serialized, then read back.
      const ev: ReplayEvent = {
        seq: events.length + 1,
        event_id: `evt_${events.length + 1}`,
        event_type: type,
        run_id: 'run_t',
        cycle_id,
        payload: JSON.parse(canonicalJson(redact(payload))) as JsonObject,
      };
      events.push(ev);
      return ev;
    },
  };
}

const facts = (over: Partial<LifecycleFacts> = {}): LifecycleFacts => ({
  now: 10_000,
  holding: 'TRADABLE',
  halted: null,
  frozen: false,
  trades_pending: false,
  quote: { bid: '64000.00', ask: '64000.10' },
  avg_price: '64000.00',
  rules,
  swap_allowed: true,
  ...over,
});
const plan = { stop_price: '63000.00', take_profit_price: '66000.00', trailing_delta_bps: 50 };

/** The recorder serializes its records one turn of the event loop later. */
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Records one real step through the recorder, as the trader does. */
async function recordStep(l: ReturnType<typeof log>, state: LifecycleState, input: LifecycleInput): Promise<void> {
  const rec = new ReplayRecorder((type, payload) => void l.add(type, payload));
  rec.rules([rules]);
  rec.step('BTCUSDT', state, input, step(state, input, lcfg));
  await nextTurn();
}

function replayAll(events: readonly ReplayEvent[]): ReturnType<Replayer['finish']> {
  const r = new Replayer(config);
  for (const ev of events) if (!r.push(ev)) break;
  return r.finish();
}

describe('replay of lifecycle steps', () => {
  it('a step recorded by the recorder replays identically (a PROTECT of an unprotected position)', async () => {
    const l = log();
    await recordStep(l, { ...EMPTY_LIFECYCLE, plan }, { kind: 'TICK', phase: 'POSITION', facts: facts() });
    const stepped = l.events.filter((e) => e.event_type === 'LIFECYCLE_STEPPED');
    expect(stepped).toHaveLength(1);
    expect((stepped[0]!.payload as unknown as LifecycleStepRecord).commands.map((c) => c.kind)).toEqual(['PROTECT']);
    const res = replayAll(l.events);
    expect(res).toMatchObject({ ok: true, steps: 1 });
  });

  it('a step that returned its state unchanged with no command is not recorded', async () => {
    const l = log();
    await recordStep(l, EMPTY_LIFECYCLE, { kind: 'TICK', phase: 'ENTRY', facts: facts({ holding: 'NONE' }) });
    expect(l.events.filter((e) => e.event_type === 'LIFECYCLE_STEPPED')).toHaveLength(0);
  });

  it('a state that shares objects with the state it came from is recorded whole (no [CYCLE] cut by the redaction)', async () => {
    const l = log();
    await recordStep(l, { ...EMPTY_LIFECYCLE, plan }, { kind: 'TICK', phase: 'POSITION', facts: facts() });
    const ev = l.events.find((e) => e.event_type === 'LIFECYCLE_STEPPED')!;
    expect(JSON.stringify(ev.payload)).not.toContain('[CYCLE]');
    expect((ev.payload as unknown as LifecycleStepRecord).state.plan).toEqual(plan);
  });

  it('an altered input diverges at that event, naming the commands (expected: recorded, got: recomputed)', async () => {
    const l = log();
    await recordStep(l, { ...EMPTY_LIFECYCLE, plan }, { kind: 'TICK', phase: 'POSITION', facts: facts() });
    const ev = l.events.find((e) => e.event_type === 'LIFECYCLE_STEPPED')!;
    const rec = ev.payload as unknown as LifecycleStepRecord;
    // The bid recorded below the stop: the step would close instead of protecting.
    const altered = { ...rec, input: { ...rec.input, facts: { ...(rec.input as { facts: object }).facts, quote: { bid: '62000.00', ask: '62000.10' } } } };
    const d = replayStep(ev, altered as LifecycleStepRecord, () => rules, lcfg);
    expect(d?.event_id).toBe(ev.event_id);
    expect(d?.what).toBe('BTCUSDT TICK/POSITION: commands');
    expect(JSON.parse(d!.expected)).toEqual(rec.commands);
    expect((JSON.parse(d!.got) as { kind: string }[])[0]!.kind).toBe('CLOSE_SAFELY');
  });

  it('an altered recorded state out diverges naming the state', async () => {
    const l = log();
    await recordStep(l, { ...EMPTY_LIFECYCLE, plan }, { kind: 'TICK', phase: 'POSITION', facts: facts() });
    const ev = l.events.find((e) => e.event_type === 'LIFECYCLE_STEPPED')!;
    const rec = ev.payload as unknown as LifecycleStepRecord;
    const d = replayStep(ev, { ...rec, state_out: { ...rec.state_out, unprotected_since: 1 } }, () => rules, lcfg);
    expect(d?.what).toBe('BTCUSDT TICK/POSITION: state');
  });

  it('a step naming rules that were never recorded diverges instead of guessing', async () => {
    const l = log();
    const rec = new ReplayRecorder((type, payload) => void l.add(type, payload));
    const state = { ...EMPTY_LIFECYCLE, plan };
    const input: LifecycleInput = { kind: 'TICK', phase: 'POSITION', facts: facts() };
    rec.step('BTCUSDT', state, input, step(state, input, lcfg));
    await nextTurn();
    const only = l.events.filter((e) => e.event_type === 'LIFECYCLE_STEPPED');
    const res = replayAll(only);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.divergence.what).toBe(`BTCUSDT: rules ${rulesRef(rules)} not recorded`);
  });

  it("the replay's lifecycle configuration is the one the trader steps with", () => {
    const trader = new Trader({
      cfg: config.engine,
      now: () => 0,
      call: () => null,
      intents: new IntentBook({ now: () => 0, make: () => ({}) as never, commit: async () => ({}) as never, record: () => undefined }),
      ledger: new Ledger(() => null),
      churn: new ChurnCounter(() => 0),
      rules: () => rules,
      quote: () => null,
      event: () => undefined,
      reason: () => undefined,
      orderTimeoutMs: 1000,
      requoteMode: 'cancel_replace',
    });
    expect((trader as unknown as { lifecycleCfg: unknown }).lifecycleCfg).toEqual(lifecycleConfigOf(config.engine, 'cancel_replace'));
  });
});

/** A snapshot whose last bar breaks out of the channel (the strategy proposes). */
function breakout(): MarketSnapshot {
  const s = new BarSeries(1000, 100);
  const closes = [100, 101, 99, 100.5, 101.5, 100, 100.8, 99.7, 101, 104];
  closes.forEach((c, i) => s.onMid(i * 1000, c));
  s.onMid(closes.length * 1000, 104);
  const body = { symbol: 'BTCUSDT', ts_ms: 20_000, bid: '103.99', ask: '104.00', quote_age_ms: 3, bars: s.bars() };
  return { ...body, snapshot_id: 'snp_1', snapshot_hash: snapshotHash(body) };
}

/** One decision cycle as the engine audits it: inputs, DECISION_PROPOSED, the gate's ALLOW, RISK_VERDICT_GIVEN. */
function cycleLog(): { l: ReturnType<typeof log>; rv: ReplayEvent } {
  const l = log();
  const rec = new ReplayRecorder((type, payload, cid) => void l.add(type, payload, cid ?? null));
  rec.rules([rules]);
  const snap = breakout();
  const strategy = breakoutStrategy(config.strategy, config.engine.trailing_enabled ? config.engine.trailing_activate_bps : null);
  const res = strategy.propose(snap);
  if (res.kind !== 'PROPOSAL') throw new Error(`fixture does not break out: ${res.why}`);
  const p = res.proposal;
  const cost = estimateCost(config.strategy, snap.bid, snap.ask);
  const built = buildDecision({
    proposal: p,
    rules,
    ids: { run_id: 'run_t', cycle_id: 7, snapshot_id: snap.snapshot_id },
    ttl_ms: config.strategy.entry_ttl_ms,
    max_requotes: config.strategy.max_requotes,
    max_notional: config.risk.max_exposure_quote_per_symbol,
    expected_cost_bps: cost.total_bps,
  });
  if (!built.ok) throw new Error(built.why);
  const d = built.decision;
  l.add(
    'DECISION_PROPOSED',
    { ok: true, decision: d as unknown as JsonObject, signal: p.signal, cost: cost as unknown as JsonObject, snapshot_hash: snap.snapshot_hash },
    7,
  );
  if (!judgeCost(config.strategy, d.expected_edge_bps, cost).ok) throw new Error('fixture fails the cost verdict');
  const inputs = {
    symbol: d.symbol,
    notional: new Dec(d.quantity).mul(d.entry_price ?? snap.ask).toFixed(8),
    kill_switch: 'OFF' as const,
    day_pnl: '0.00000000',
    day_peak_pnl: '0.00000000',
    exposure_total: '0.00000000',
    exposure_symbol: '0.00000000',
    has_position: false,
    open_orders: 0,
    quarantined: false,
    unresolved_unknown: false,
    pending_entry: false,
  };
  const counts = { c10: { churn: 0, replace: 0 }, c60: { churn: 1, replace: 0 } };
  const rv = riskVerdict(config.risk, { count: (_s, w) => (w <= 10_000 ? counts.c10 : counts.c60) }, inputs);
  const rvEv = l.add(
    'RISK_VERDICT_GIVEN',
    { symbol: d.symbol, ok: rv.ok, blocks: [...rv.blocks], near: rv.near, notional: inputs.notional, inputs, churn: counts },
    7,
  );
  l.add('AIGATE_CALL', { verdict: 'ALLOW', original_decision_id: d.ids.decision_id }, 7);
  rec.cycle(7, [snap], () => rules);
  return { l, rv: rvEv };
}

/** A recorder writing into a fresh log (rules recorded), and a flat market's snapshot the strategy passes on. */
function quietRecording(): { l: ReturnType<typeof log>; rec: ReplayRecorder; quiet: MarketSnapshot } {
  const l = log();
  const rec = new ReplayRecorder((type, payload, cid) => void l.add(type, payload, cid ?? null));
  rec.rules([rules]);
  const s = new BarSeries(1000, 100);
  for (let i = 0; i < 12; i++) s.onMid(i * 1000, 100);
  const body = { symbol: 'BTCUSDT', ts_ms: 20_000, bid: '99.99', ask: '100.00', quote_age_ms: 3, bars: s.bars() };
  return { l, rec, quiet: { ...body, snapshot_id: 'snp_q', snapshot_hash: snapshotHash(body) } };
}

/** An engine start as the audit marks it (STAGE_CHANGED to STARTUP_RECOVER). */
const marker = (): ReplayEvent => ({
  seq: 0,
  event_id: 'evt_start',
  event_type: 'STAGE_CHANGED',
  run_id: 'run_t',
  cycle_id: null,
  payload: { from: null, to: 'STARTUP_RECOVER' },
});
/** Logs joined into one run: seq and event ids in order again. */
const renumber = (evs: ReplayEvent[]): ReplayEvent[] => evs.map((e, i) => ({ ...e, seq: i + 1, event_id: `evt_${i + 1}` }));

describe('replay of decision cycles', () => {
  it('a cycle audited as the engine does replays identically (strategy, decision, cost, gate verdict as input, risk verdict)', async () => {
    const { l } = cycleLog();
    await nextTurn();
    const res = replayAll(l.events);
    expect(res).toMatchObject({ ok: true, cycles: 1, decisions: 1 });
  });

  it('a risk verdict whose recorded inputs were altered diverges at the RISK_VERDICT_GIVEN event', async () => {
    const { l, rv } = cycleLog();
    await nextTurn();
    const events = l.events.map((e) =>
      e === rv ? { ...e, payload: { ...e.payload, inputs: { ...(e.payload['inputs'] as JsonObject), kill_switch: 'ON' } } } : e,
    );
    const res = replayAll(events);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.divergence.event_id).toBe(rv.event_id);
    expect(res.divergence.what).toBe('cycle 7: BTCUSDT risk verdict');
    expect((JSON.parse(res.divergence.got) as { blocks: string[] }).blocks).toContain('KILL_SWITCH_ACTIVE');
  });

  it('an altered bar in the recorded snapshot diverges at the inputs record (its hash no longer matches)', async () => {
    const { l } = cycleLog();
    await nextTurn();
    const inputs = l.events.find((e) => e.event_type === 'CYCLE_INPUTS_RECORDED')!;
    const rec = inputs.payload as unknown as { snapshots: { snapshot: MarketSnapshot; rules: string }[] };
    const snap = rec.snapshots[0]!.snapshot;
    const altered = {
      ...inputs,
      payload: { ...inputs.payload, snapshots: [{ ...rec.snapshots[0]!, snapshot: { ...snap, ask: '105.00' } }] } as unknown as JsonObject,
    };
    const res = replayAll(l.events.map((e) => (e === inputs ? altered : e)));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.divergence).toMatchObject({ event_id: inputs.event_id, what: 'cycle 7: snapshot snp_1 hash' });
  });

  it('a snapshot the strategy passes on (no output to compare) is still checked against its own hash: identical as recorded, a divergence at the inputs record once altered', async () => {
    const { l, rec, quiet } = quietRecording();
    const strategy = breakoutStrategy(config.strategy, config.engine.trailing_enabled ? config.engine.trailing_activate_bps : null);
    expect(strategy.propose(quiet).kind).toBe('NONE');
    rec.cycle(8, [quiet], () => rules);
    await nextTurn();
    expect(replayAll(l.events)).toMatchObject({ ok: true });
    const inputs = l.events.find((e) => e.event_type === 'CYCLE_INPUTS_RECORDED')!;
    const altered = {
      ...inputs,
      payload: {
        ...inputs.payload,
        snapshots: [{ snapshot: { ...quiet, bid: '99.98' }, rules: (inputs.payload['snapshots'] as { rules: string }[])[0]!.rules }],
      },
    } as unknown as ReplayEvent;
    const res = replayAll(l.events.map((e) => (e === inputs ? altered : e)));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.divergence).toMatchObject({ event_id: inputs.event_id, what: 'cycle 8: snapshot snp_q hash' });
  });

  it('a long run holds at most a window of cycles while it is fed (each replayed once the window has passed it), replays all of them, and names an altered early one before the feed ends', async () => {
    const { l, rec, quiet } = quietRecording();
    const n = 3 * CYCLE_WINDOW_EVENTS;
    for (let c = 1; c <= n; c++) rec.cycle(c, [quiet], () => rules);
    await nextTurn();
    const r = new Replayer(config);
    let most = 0;
    for (const ev of l.events) {
      expect(r.push(ev)).toBe(true);
      most = Math.max(most, r.held);
    }
    expect(most).toBeLessThanOrEqual(CYCLE_WINDOW_EVENTS + 500);
    expect(r.finish()).toMatchObject({ ok: true, cycles: n, events: n + 1 });
    // Cycle 3's snapshot altered: named at its inputs record, long before the last event is fed.
    const third = l.events.find((e) => e.event_type === 'CYCLE_INPUTS_RECORDED' && e.cycle_id === 3)!;
    const altered = {
      ...third,
      payload: {
        ...third.payload,
        snapshots: [{ snapshot: { ...quiet, ask: '100.01' }, rules: (third.payload['snapshots'] as { rules: string }[])[0]!.rules }],
      },
    } as unknown as ReplayEvent;
    const r2 = new Replayer(config);
    let fed = 0;
    for (const ev of l.events.map((e) => (e === third ? altered : e))) {
      if (!r2.push(ev)) break;
      fed++;
    }
    expect(fed).toBeLessThan(CYCLE_WINDOW_EVENTS + 1_000);
    expect(r2.finish()).toMatchObject({ ok: false, divergence: { event_id: third.event_id, what: 'cycle 3: snapshot snp_q hash' } });
  });

  it('a decision audited without recorded cycle inputs, in a cycle the engine lived past, diverges at that decision', async () => {
    const { l } = cycleLog();
    const seven = [...l.events]; // taken before the deferred inputs record is written
    const { l: q, rec, quiet } = quietRecording();
    rec.cycle(8, [quiet], () => rules);
    await nextTurn();
    const res = replayAll([...seven, ...q.events.map((e, i) => ({ ...e, seq: seven.length + i + 1, event_id: `evt_q${i}` }))]);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.divergence).toMatchObject({ event_id: 'evt_2', what: 'cycle 7: no CYCLE_INPUTS_RECORDED for its decisions' });
  });

  it('an audited output the replay does not produce diverges at it', async () => {
    const { l } = cycleLog();
    await nextTurn();
    const extra = l.add('RISK_VERDICT_GIVEN', { symbol: 'BTCUSDT', ok: false, blocks: ['RISK_POSITION_EXISTS'] }, 7);
    const res = replayAll(l.events);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.divergence).toMatchObject({ event_id: extra.event_id, what: 'cycle 7: audited, but not produced by the replay' });
  });

  it('a restarted engine counting its cycles from 1 again in the same run: cycles are told apart by the engine start (STAGE_CHANGED to STARTUP_RECOVER)', async () => {
    const a = cycleLog();
    await nextTurn();
    const b = cycleLog();
    await nextTurn();
    expect(replayAll(renumber([marker(), ...a.l.events, marker(), ...b.l.events]))).toMatchObject({ ok: true, cycles: 2, decisions: 2 });
    // Without the start marker the second engine's cycle 7 is taken for more of the first one's.
    expect(replayAll(renumber([...a.l.events, ...b.l.events])).ok).toBe(false);
  });

  describe('a cycle whose audit stops short (the engine died mid-cycle)', () => {
    /** Cycle 7 as audited up to the gate: inputs and DECISION_PROPOSED, then nothing (`keep` more types). */
    const atGate = async (keep: readonly string[] = []): Promise<ReplayEvent[]> => {
      const { l } = cycleLog();
      await nextTurn();
      return l.events.filter(
        (e) =>
          e.event_type === 'RULES_RECORDED' || e.event_type === 'CYCLE_INPUTS_RECORDED' || e.event_type === 'DECISION_PROPOSED' || keep.includes(e.event_type),
      );
    };
    /** A later cycle (8) of a flat market: no output. */
    const quietCycle = async (): Promise<ReplayEvent[]> => {
      const { l, rec, quiet } = quietRecording();
      rec.cycle(8, [quiet], () => rules);
      await nextTurn();
      return l.events;
    };

    it('the last cycle of an engine start that ended, cut at the gate (or after its risk verdict): identical, counted as cut short', async () => {
      const complete = await (async () => {
        const { l } = cycleLog();
        await nextTurn();
        return l.events;
      })();
      for (const cut of [await atGate(), await atGate(['RISK_VERDICT_GIVEN'])]) {
        expect(replayAll(renumber([marker(), ...cut, marker(), ...complete]))).toMatchObject({ ok: true, cycles: 2, cut_short: 1 });
      }
    });

    it('the last cycle of the run as it stands (still running, or ended without an orderly stop), cut at the gate: identical, counted as cut short', async () => {
      expect(replayAll(renumber([marker(), ...(await atGate())]))).toMatchObject({ ok: true, cycles: 1, cut_short: 1 });
    });

    it('the last cycle of an engine start that ended, with outputs and no inputs (killed before the inputs were recorded): cut short; the same with another cycle of the start after it diverges', async () => {
      const noInputs = (await atGate()).filter((e) => e.event_type !== 'CYCLE_INPUTS_RECORDED');
      expect(replayAll(renumber([marker(), ...noInputs, marker()]))).toMatchObject({ ok: true, cut_short: 1 });
      const res = replayAll(renumber([marker(), ...noInputs, ...(await quietCycle())]));
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.divergence.what).toBe('cycle 7: no CYCLE_INPUTS_RECORDED for its decisions');
    });

    it('the last cycle cut at the gate, with an earlier cycle recorded after it (its inputs come a turn late): still the latest, identical, counted as cut short', async () => {
      const cut = await atGate();
      const { l, rec, quiet } = quietRecording();
      rec.cycle(6, [quiet], () => rules);
      await nextTurn();
      expect(replayAll(renumber([marker(), ...cut, ...l.events, marker()]))).toMatchObject({ ok: true, cut_short: 1 });
    });

    it('the last cycle with its AI record altered to name another decision is a divergence, not a cycle cut short', async () => {
      const cut = (await atGate(['AIGATE_CALL'])).map((e) =>
        e.event_type === 'AIGATE_CALL' ? ({ ...e, payload: { ...e.payload, original_decision_id: 'dec_altered' } } as ReplayEvent) : e,
      );
      expect(cut.some((e) => e.event_type === 'AIGATE_CALL')).toBe(true);
      const res = replayAll(renumber([marker(), ...cut, marker()]));
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.divergence.what).toMatch(/^cycle 7: no AIGATE_CALL for dec_/);
    });

    it('a cut cycle followed by another cycle of the same engine start diverges (the engine lived on: the outcome is missing)', async () => {
      const res = replayAll(renumber([marker(), ...(await atGate()), ...(await quietCycle())]));
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.divergence.what).toMatch(/^cycle 7: no AIGATE_CALL for dec_/);
    });

    it('a last cycle whose audited output differs from the replay diverges, cut short or not', async () => {
      const cut = await atGate();
      const altered = cut.map((e) =>
        e.event_type === 'DECISION_PROPOSED' ? ({ ...e, payload: { ...e.payload, snapshot_hash: 'f'.repeat(64) } } as ReplayEvent) : e,
      );
      const res = replayAll(renumber([marker(), ...altered]));
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.divergence.what).toBe('cycle 7: BTCUSDT decision');
    });
  });

  it("a re-quote's verdict (the trader's, with the cycle's ids) is not taken for one of the cycle's outputs", async () => {
    const { l } = cycleLog();
    await nextTurn();
    l.add('RISK_VERDICT_GIVEN', { symbol: 'BTCUSDT', ok: false, requote: true, blocks: ['MODE_PAUSE'], why: 'mode PAUSE' }, 7);
    expect(replayAll(l.events)).toMatchObject({ ok: true, cycles: 1 });
  });
});
