import { canonicalJson, type Config, type Decision, jsonObject, type JsonObject, snapshotHash, type SymbolRules } from '@vigil/contracts';
import { Dec, applyModify, redact, step, type LifecycleInput } from '@vigil/core';
import { estimateCost, judgeCost } from './cost-model.js';
import { buildDecision, checkDecision } from './decision-build.js';
import {
  fixedChurn,
  lifecycleConfigOf,
  recordedState,
  type ChurnCounts,
  type CycleInputsRecord,
  type LifecycleStepRecord,
  type RulesRecord,
} from './replay-record.js';
import { marketNowOf, riskVerdict, type MarketNow, type RiskInputs } from './risk.js';
import { breakoutStrategy, type Strategy } from './strategy.js';

/**
 * Replay of a run from its audit: the recorded inputs of every lifecycle step and decision cycle
 * are fed again to the same pure functions the engine ran (lifecycle `step`, the strategy,
 * buildDecision, judgeCost, the MODIFY application, riskVerdict), and what they return must be
 * exactly what the engine recorded (commands and states) or audited (DECISION_PROPOSED,
 * RISK_VERDICT_GIVEN). The first difference ends the replay, naming the event.
 */

/** The event types replay reads, in seq order. */
export const REPLAY_EVENT_TYPES = [
  'RULES_RECORDED',
  'LIFECYCLE_STEPPED',
  'CYCLE_INPUTS_RECORDED',
  'DECISION_PROPOSED',
  'AIGATE_CALL',
  'RISK_VERDICT_GIVEN',
] as const;
/**
 * Besides those, the engine's first event of each start (STAGE_CHANGED to STARTUP_RECOVER): a
 * restarted engine worker counts its cycles from 1 again within the same run.
 */
export const ENGINE_START_STAGE = 'STARTUP_RECOVER';
export type ReplayEventType = (typeof REPLAY_EVENT_TYPES)[number] | 'STAGE_CHANGED';

/** One audit row as replay reads it (payload parsed). */
export interface ReplayEvent {
  readonly seq: number;
  readonly event_id: string;
  readonly event_type: ReplayEventType;
  readonly run_id: string;
  readonly cycle_id: number | null;
  readonly payload: JsonObject;
}

export interface Divergence {
  readonly event_id: string;
  readonly seq: number;
  readonly what: string;
  /** What the audit holds (the engine's output), canonical JSON. */
  readonly expected: string;
  /** What the pure functions return on the recorded inputs, canonical JSON. */
  readonly got: string;
}

export interface ReplayTally {
  readonly steps: number;
  readonly cycles: number;
  readonly decisions: number;
  readonly events: number;
  /**
   * Cycles whose audited outcome stops short of what the replay produces, each the last cycle of
   * an engine start that ended (killed, restarted after a stall) or of the run as it stands (still
   * running, or stopped without an orderly end). Compared as far as they were recorded.
   */
  readonly cut_short: number;
}

export type ReplayResult = ({ readonly ok: true } & ReplayTally) | ({ readonly ok: false; readonly divergence: Divergence } & ReplayTally);

/** A cycle's comparison: `cut` when the audit holds a prefix of its outputs and nothing contradicts the replay. */
interface CycleVerdict {
  readonly divergence: Divergence;
  readonly cut: boolean;
}
const diverged = (divergence: Divergence): CycleVerdict => ({ divergence, cut: false });

const cj = (v: unknown): string => canonicalJson(v === undefined ? null : v);

/** Replays one lifecycle step record; null when it comes out identical. */
export function replayStep(
  ev: Pick<ReplayEvent, 'event_id' | 'seq'>,
  rec: LifecycleStepRecord,
  rules: (ref: string) => SymbolRules | undefined,
  cfg: ReturnType<typeof lifecycleConfigOf>,
): Divergence | null {
  let input: LifecycleInput;
  if (rec.input.kind === 'TICK') {
    const ref = rec.input.facts.rules;
    const r = ref === null ? null : (rules(ref) ?? null);
    if (ref !== null && r === null)
      return { event_id: ev.event_id, seq: ev.seq, what: `${rec.symbol}: rules ${ref} not recorded`, expected: cj(ref), got: 'null' };
    input = { kind: 'TICK', phase: rec.input.phase, facts: { ...rec.input.facts, rules: r } };
  } else {
    input = rec.input;
  }
  const state = recordedState(rec.state);
  const out = step(state, input, cfg);
  if (!sameJson(rec.commands, out.commands))
    return { event_id: ev.event_id, seq: ev.seq, what: `${rec.symbol} ${stepName(rec)}: commands`, expected: cj(rec.commands), got: cj(out.commands) };
  const expS = rec.state_out === null ? state : { ...state, ...rec.state_out };
  if (!sameJson(expS, out.state))
    return { event_id: ev.event_id, seq: ev.seq, what: `${rec.symbol} ${stepName(rec)}: state`, expected: cj(expS), got: cj(out.state) };
  return null;
}

/**
 * Equality as canonical JSON sees it (key order and undefined members do not count), without
 * building the strings: the comparison runs for every recorded step.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    n++;
    if (!sameJson(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) n--;
  return n === 0;
}

const stepName = (r: LifecycleStepRecord): string => (r.input.kind === 'TICK' ? `TICK/${r.input.phase}` : r.input.kind);

interface CycleEvents {
  readonly id: number;
  /** Which engine start of the run it belongs to. */
  readonly start: number;
  inputs: ReplayEvent | null;
  /** DECISION_PROPOSED and the cycle's own RISK_VERDICT_GIVEN, in seq order (both bulk, so in the order emitted). */
  outputs: ReplayEvent[];
  /** AIGATE_CALL by the decision it reviewed (one body may be proposed in two cycles). */
  readonly gate: Map<string, ReplayEvent>;
  /** Whether it holds inputs or outputs (a cycle known only by a gate record is not counted). */
  counted: boolean;
  /** The replay's event count when one of its events came last. */
  last: number;
}

/**
 * A cycle is replayed once this many recorded events have come after its last one. All of a
 * cycle's events are emitted within it (the entry cycle runs under a lock, its gate call included)
 * and reach the audit in order, so none comes thousands of events late; and the run's cycles are
 * not all held until the end: a run of months holds millions (about 3-8 KB each once parsed).
 */
export const CYCLE_WINDOW_EVENTS = 5_000;
/** How often (in events) the held cycles are looked over for ones past the window. */
const FLUSH_EVERY = 500;

/**
 * The replay of one run. Feed every event of the run in seq order (`push`), then `finish`. Steps
 * are replayed as they come; a cycle's events are gathered by cycle id (its AI gate record is
 * committed with the intent and may come later) and replayed at the end.
 */
export class Replayer {
  private readonly rules = new Map<string, SymbolRules>();
  private readonly lcfg;
  private readonly strategy: Strategy;
  /** Cycles not replayed yet, by engine start and cycle id ("start:cycle"), in the order first seen. */
  private readonly cycles = new Map<string, CycleEvents>();
  /** Engine starts seen so far in the run. */
  private start = 0;
  private steps = 0;
  private cyclesSeen = 0;
  private events = 0;
  private decisions = 0;
  private cutShort = 0;
  /** Each engine start's latest cycle, by key: only that one may end before its outcome was audited. */
  private readonly latest = new Map<number, string>();
  private failed: Divergence | null = null;

  constructor(private readonly cfg: Config) {
    this.lcfg = lifecycleConfigOf(cfg.engine, cfg.strategy.requote_mode);
    this.strategy = breakoutStrategy(cfg.strategy, cfg.engine.trailing_enabled ? cfg.engine.trailing_activate_bps : null);
  }

  get divergence(): Divergence | null {
    return this.failed;
  }

  /** Cycles held, not replayed yet (bounded by CYCLE_WINDOW_EVENTS, whatever the run's length). */
  get held(): number {
    return this.cycles.size;
  }

  /** One event of the run; false once a divergence was found (stop feeding). */
  push(ev: ReplayEvent): boolean {
    if (this.failed) return false;
    this.events++;
    if (this.events % FLUSH_EVERY === 0) {
      this.replayHeld(this.events - CYCLE_WINDOW_EVENTS);
      if (this.failed) return false;
    }
    switch (ev.event_type) {
      case 'RULES_RECORDED': {
        const r = ev.payload as unknown as RulesRecord;
        this.rules.set(r.ref, r.rules);
        return true;
      }
      case 'LIFECYCLE_STEPPED': {
        this.steps++;
        this.failed = replayStep(ev, ev.payload as unknown as LifecycleStepRecord, (ref) => this.rules.get(ref), this.lcfg);
        return this.failed === null;
      }
      case 'STAGE_CHANGED':
        this.start++;
        return true;
      case 'CYCLE_INPUTS_RECORDED':
        if (ev.cycle_id !== null) this.cycle(ev.cycle_id, true).inputs = ev;
        return true;
      case 'AIGATE_CALL': {
        const id = ev.payload['original_decision_id'];
        // A record without a cycle was never looked up by one.
        if (typeof id === 'string' && ev.cycle_id !== null) this.cycle(ev.cycle_id, false).gate.set(id, ev);
        return true;
      }
      case 'DECISION_PROPOSED':
        if (ev.cycle_id !== null) this.cycle(ev.cycle_id, true).outputs.push(ev);
        return true;
      case 'RISK_VERDICT_GIVEN':
        // Re-quote verdicts belong to the trader (their inputs are a lifecycle step's), not to a cycle.
        if (ev.cycle_id !== null && ev.payload['requote'] !== true) this.cycle(ev.cycle_id, true).outputs.push(ev);
        return true;
    }
  }

  /** Replays the cycles still held (in the order first seen) and returns the verdict. */
  finish(): ReplayResult {
    if (!this.failed) this.replayHeld(Infinity, true);
    const tally = { steps: this.steps, cycles: this.cyclesSeen, decisions: this.decisions, events: this.events, cut_short: this.cutShort };
    return this.failed ? { ok: false, divergence: this.failed, ...tally } : { ok: true, ...tally };
  }

  /**
   * Replays and lets go of the held cycles whose last event came before event number `before`.
   * `atEnd`: every event of the run has been fed (the last start's latest cycle may be cut short).
   */
  private replayHeld(before: number, atEnd = false): void {
    for (const [key, c] of this.cycles) {
      if (c.last >= before) continue;
      this.cycles.delete(key);
      const v = this.replayCycle(c);
      if (v === null) continue;
      // An engine dies between any two of a cycle's events (the gate's answer alone may take
      // seconds): what it audited is then a prefix of what it would have. Only the latest cycle of
      // a start that ended can be so; a missing outcome anywhere else is a divergence.
      if (v.cut && this.latest.get(c.start) === key && (atEnd || c.start < this.start)) {
        this.cutShort++;
        continue;
      }
      this.failed = v.divergence;
      return;
    }
  }

  private cycle(id: number, counts: boolean): CycleEvents {
    const key = `${this.start}:${id}`;
    let c = this.cycles.get(key);
    if (!c) {
      this.cycles.set(key, (c = { id, start: this.start, inputs: null, outputs: [], gate: new Map(), counted: false, last: 0 }));
      // The latest cycle of a start is the highest id, not the last one seen: a no-proposal cycle's
      // inputs are recorded a turn later, after the next cycle's decision may have gone out (a stop
      // during that cycle's review had been reported as a divergence).
      const latest = this.latest.get(this.start);
      if (latest === undefined || id > (this.cycles.get(latest)?.id ?? -1)) this.latest.set(this.start, key);
    }
    if (counts && !c.counted) {
      c.counted = true;
      this.cyclesSeen++;
    }
    c.last = this.events;
    return c;
  }

  /** Null when identical; `cut` when what was audited is a prefix of what the replay produces. */
  private replayCycle(c: CycleEvents): CycleVerdict | null {
    const cycleId = c.id;
    const out = c.outputs;
    const first = out[0];
    if (c.inputs === null) {
      if (!first) return null;
      // The inputs are recorded one turn after the cycle began, after its first outputs may have
      // gone: an engine killed in between left outputs without inputs (a cut, if it is the last
      // cycle of its start; nothing can be compared).
      return {
        cut: true,
        divergence: {
          event_id: first.event_id,
          seq: first.seq,
          what: `cycle ${cycleId}: no CYCLE_INPUTS_RECORDED for its decisions`,
          expected: cj(first.payload),
          got: 'null',
        },
      };
    }
    const inEv = c.inputs;
    // Gate records the replayed decisions claim; any other one in the cycle is not the replay's.
    const claimed = new Set<string>();
    const unclaimed = (): ReplayEvent | undefined => [...c.gate].find(([id]) => !claimed.has(id))?.[1];
    const rec = inEv.payload as unknown as CycleInputsRecord;
    let k = 0;
    /** The next audited output must be `expected` (compared after the same redaction the audit applies). */
    // Nothing audited where an output is due: the audit stops short here (`cut`).
    const expect = (type: 'DECISION_PROPOSED' | 'RISK_VERDICT_GIVEN', expected: JsonObject | null, what: string): CycleVerdict | null => {
      const actual = out[k];
      const got = expected === null ? 'null' : cj(redact(expected));
      if (!actual)
        return {
          cut: true,
          divergence: { event_id: inEv.event_id, seq: inEv.seq, what: `cycle ${cycleId}: ${what}: no ${type} audited`, expected: 'null', got },
        };
      if (actual.event_type !== type)
        return diverged({
          event_id: actual.event_id,
          seq: actual.seq,
          what: `cycle ${cycleId}: ${what}: ${type} expected here`,
          expected: cj(actual.payload),
          got,
        });
      k++;
      if (expected === null) return null;
      const exp = cj(actual.payload);
      return exp === got ? null : diverged({ event_id: actual.event_id, seq: actual.seq, what: `cycle ${cycleId}: ${what}`, expected: exp, got });
    };
    for (const { snapshot: snap, rules: ref } of rec.snapshots) {
      // Every snapshot is checked against its own hash first, whether or not the strategy proposed:
      // an input altered so that the strategy still says nothing is caught here, not passed as
      // output-consistent (the decision and the AI review also name a proposing snapshot by it).
      const body = { symbol: snap.symbol, ts_ms: snap.ts_ms, bid: snap.bid, ask: snap.ask, quote_age_ms: snap.quote_age_ms, bars: snap.bars };
      const hash = snapshotHash(body);
      if (hash !== snap.snapshot_hash)
        return diverged({
          event_id: inEv.event_id,
          seq: inEv.seq,
          what: `cycle ${cycleId}: snapshot ${snap.snapshot_id} hash`,
          expected: cj(snap.snapshot_hash),
          got: cj(hash),
        });
      const res = this.strategy.propose(snap);
      // A snapshot that made no proposal produced no output to compare.
      if (res.kind === 'NONE') continue;
      const p = res.proposal;
      const rules = ref === null ? undefined : this.rules.get(ref);
      if (!rules)
        return diverged({
          event_id: inEv.event_id,
          seq: inEv.seq,
          what: `cycle ${cycleId}: rules ${String(ref)} not recorded`,
          expected: cj(ref),
          got: 'null',
        });
      const cost = estimateCost(this.cfg.strategy, snap.bid, snap.ask);
      const built = buildDecision({
        proposal: p,
        rules,
        ids: { run_id: inEv.run_id, cycle_id: cycleId, snapshot_id: snap.snapshot_id },
        ttl_ms: this.cfg.strategy.entry_ttl_ms,
        max_requotes: this.cfg.strategy.max_requotes,
        max_notional: this.cfg.risk.max_exposure_quote_per_symbol,
        expected_cost_bps: cost.total_bps,
      });
      this.decisions++;
      if (!built.ok) {
        const d = expect(
          'DECISION_PROPOSED',
          { symbol: p.symbol, ok: false, why: built.why, signal: p.signal, snapshot_hash: snap.snapshot_hash },
          `${p.symbol} proposal`,
        );
        if (d) return d;
        continue;
      }
      let decision: Decision = built.decision;
      const dp = expect(
        'DECISION_PROPOSED',
        { ok: true, decision: jsonObject(decision), signal: p.signal, cost: jsonObject(cost), snapshot_hash: snap.snapshot_hash },
        `${p.symbol} decision`,
      );
      if (dp) return dp;
      const cv = judgeCost(this.cfg.strategy, decision.expected_edge_bps, cost);
      if (!cv.ok) {
        const d = expect(
          'RISK_VERDICT_GIVEN',
          { symbol: p.symbol, ok: false, blocks: [cv.code], detail: cv.detail, stage: 'STRATEGY_PROPOSE' },
          `${p.symbol} cost verdict`,
        );
        if (d) return d;
        continue;
      }
      // The AI verdict is an input: as audited for this decision.
      const g = c.gate.get(decision.ids.decision_id);
      if (g) claimed.add(decision.ids.decision_id);
      if (!g) {
        // An ALLOW's record is committed with the intent, after the risk verdict's events: an
        // engine that died before that commit audited at most this decision's verdicts. Not when
        // the cycle holds a gate record no decision claims: that one was altered, not cut.
        const symbol = decision.symbol;
        const cut = out.slice(k).every((e) => e.event_type === 'RISK_VERDICT_GIVEN' && e.payload['symbol'] === symbol) && unclaimed() === undefined;
        return {
          cut,
          divergence: {
            event_id: inEv.event_id,
            seq: inEv.seq,
            what: `cycle ${cycleId}: no AIGATE_CALL for ${decision.ids.decision_id}`,
            expected: 'null',
            got: cj(decision.ids.decision_id),
          },
        };
      }
      const verdict = g.payload['verdict'];
      if (verdict === 'MODIFY') {
        const applied = applyModify(decision, g.payload['modify'] ?? null, rules);
        const exp = cj({ new_decision_id: g.payload['new_decision_id'], changed: g.payload['changed'] });
        const got = applied.ok ? cj({ new_decision_id: applied.decision.ids.decision_id, changed: applied.changed }) : cj({ error: applied.why });
        if (exp !== got)
          return diverged({ event_id: g.event_id, seq: g.seq, what: `cycle ${cycleId}: MODIFY of ${decision.ids.decision_id}`, expected: exp, got });
        if (!applied.ok || checkDecision(applied.decision) !== null) continue;
        decision = applied.decision;
      } else if (verdict !== 'ALLOW') continue;
      // RISK_VERDICT: recomputed from the inputs recorded with it.
      const actual = out[k];
      const ri = actual?.event_type === 'RISK_VERDICT_GIVEN' ? (actual.payload['inputs'] as unknown as RiskInputs | undefined) : undefined;
      const churn = actual?.payload['churn'] as unknown as ChurnCounts | undefined;
      if (!actual || !ri || !churn) {
        const missing = expect('RISK_VERDICT_GIVEN', null, `${decision.symbol} risk verdict with its inputs`);
        return (
          missing ??
          diverged({
            event_id: actual?.event_id ?? inEv.event_id,
            seq: actual?.seq ?? inEv.seq,
            what: `cycle ${cycleId}: risk verdict without recorded inputs`,
            expected: cj(actual?.payload ?? null),
            got: 'null',
          })
        );
      }
      const notional = new Dec(decision.quantity).mul(decision.entry_price ?? snap.ask).toFixed(8);
      if (ri.symbol !== decision.symbol || ri.notional !== notional)
        return diverged({
          event_id: actual.event_id,
          seq: actual.seq,
          what: `cycle ${cycleId}: risk inputs of ${decision.ids.decision_id}`,
          expected: cj({ symbol: ri.symbol, notional: ri.notional }),
          got: cj({ symbol: decision.symbol, notional }),
        });
      // The market re-check's quote is an input; what it is checked against comes from the decision.
      const mn = ri.market_now;
      if (mn !== undefined) {
        // The recorded quote itself is the input; everything else must be what the decision gives.
        const derived = marketNowOf(decision, mn, snap, this.cfg.strategy.min_edge_bps);
        const recorded: MarketNow = mn;
        if (cj(recorded) !== cj(derived))
          return diverged({
            event_id: actual.event_id,
            seq: actual.seq,
            what: `cycle ${cycleId}: market re-check of ${decision.ids.decision_id}`,
            expected: cj(recorded),
            got: cj(derived),
          });
      }
      const rv = riskVerdict(this.cfg.risk, fixedChurn(churn), ri);
      const d = expect(
        'RISK_VERDICT_GIVEN',
        {
          symbol: decision.symbol,
          ok: rv.ok,
          blocks: rv.blocks as unknown as string[],
          near: rv.near,
          notional,
          inputs: jsonObject(ri),
          churn: jsonObject(churn),
        },
        `${decision.symbol} risk verdict`,
      );
      if (d) return d;
      if (!rv.ok) continue;
      // The re-check right before sending (mode, reasons: inputs) may stop the cycle.
      const late = out[k];
      if (late?.event_type === 'RISK_VERDICT_GIVEN' && late.payload['stage'] === 'EXECUTE' && late.payload['symbol'] === decision.symbol) {
        k++;
        break;
      }
    }
    const extra = out[k] ?? unclaimed();
    if (extra) {
      return diverged({
        event_id: extra.event_id,
        seq: extra.seq,
        what: `cycle ${cycleId}: audited, but not produced by the replay`,
        expected: cj(extra.payload),
        got: 'null',
      });
    }
    return null;
  }
}

export * from './replay-record.js';
