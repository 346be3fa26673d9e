import { canonicalJson, type EngineConfig, jsonObject, type JsonObject, type RequoteMode, sha256Hex, type SymbolRules } from '@vigil/contracts';
import {
  EMPTY_LIFECYCLE,
  type LifecycleCommand,
  type LifecycleConfig,
  type LifecycleFacts,
  type LifecycleInput,
  type LifecycleState,
  type StepResult,
} from '@vigil/core';
import type { MarketSnapshot } from './strategy.js';

/**
 * What the engine records so that `supervisor replay` can re-run its pure decision functions on
 * exactly the inputs they saw (the payloads of LIFECYCLE_STEPPED, CYCLE_INPUTS_RECORDED and
 * RULES_RECORDED). Only what is not derivable is recorded: the symbol rules once per content (the
 * facts of a step name them by a content hash), the configuration not at all (CONFIG_LOADED holds
 * it), and the decisions and verdicts of a cycle not again (DECISION_PROPOSED, AIGATE_CALL and
 * RISK_VERDICT_GIVEN are the outputs replay compares against).
 */
export const REPLAY_RECORD_VERSION = 1;

/** A step's facts as recorded: the rules replaced by their content reference (RULES_RECORDED). */
export type RecordedFacts = Omit<LifecycleFacts, 'rules'> & { readonly rules: string | null };

export type RecordedInput =
  | Exclude<LifecycleInput, { kind: 'TICK' }>
  | { readonly kind: 'TICK'; readonly phase: Extract<LifecycleInput, { kind: 'TICK' }>['phase']; readonly facts: RecordedFacts };

/** LIFECYCLE_STEPPED: one step of a slot's pure lifecycle that did something (a command or a new state). */
export interface LifecycleStepRecord {
  readonly v: number;
  readonly symbol: string;
  /** The state the step was given, without the fields that hold EMPTY_LIFECYCLE's value (absent = that value). */
  readonly state: Partial<LifecycleState>;
  readonly input: RecordedInput;
  readonly commands: readonly LifecycleCommand[];
  /**
   * The fields of the returned state that are not the given state's own (a tree copy: the audit's
   * redaction cuts a value seen twice in one payload); null when it returned the state it was given.
   */
  readonly state_out: Partial<LifecycleState> | null;
}

/** CYCLE_INPUTS_RECORDED: the snapshots one decision cycle handed to the strategy, in order. */
export interface CycleInputsRecord {
  readonly v: number;
  readonly snapshots: readonly { readonly snapshot: MarketSnapshot; readonly rules: string | null }[];
}

/** RULES_RECORDED: a symbol's rules, once per content, named by `ref`. */
export interface RulesRecord {
  readonly v: number;
  readonly ref: string;
  readonly rules: SymbolRules;
}

/** RISK_VERDICT_GIVEN's `churn` field: the churn counts the verdict read (fixed at that moment). */
export interface ChurnCounts {
  readonly c10: { readonly churn: number; readonly replace: number };
  readonly c60: { readonly churn: number; readonly replace: number };
}

/** A churn counter frozen at recorded counts: the verdict's input as a value. */
export function fixedChurn(c: ChurnCounts): { count(symbol: string, windowMs: number): { readonly churn: number; readonly replace: number } } {
  return { count: (_s, w) => (w <= 10_000 ? c.c10 : c.c60) };
}

/** The content reference of a symbol's rules. */
export function rulesRef(r: SymbolRules): string {
  return sha256Hex(canonicalJson(r)).slice(0, 16);
}

/** The lifecycle step's configuration, as the trader builds it (a test holds the two together). */
export function lifecycleConfigOf(cfg: EngineConfig, requoteMode: RequoteMode | undefined): LifecycleConfig {
  return {
    intent_query_interval_ms: cfg.intent_query_interval_ms,
    protect_attempts_max: cfg.protect_attempts_max,
    stop_limit_offset_bps: cfg.stop_limit_offset_bps,
    trailing_enabled: cfg.trailing_enabled,
    trailing_activate_bps: cfg.trailing_activate_bps,
    requote_mode: requoteMode ?? 'cancel_new',
  };
}

/**
 * The engine's side of the recording. Every record goes through the ordinary bulk audit path (no
 * commit is awaited); a step that returned its state unchanged with no command is not recorded.
 */
export class ReplayRecorder {
  /** Rules object -> its reference (computed once per rules update, not per step). */
  private readonly refs = new WeakMap<SymbolRules, string>();
  private readonly recorded = new Set<string>();
  /** Records built and serialized on the next turn of the event loop, all in one go. */
  private queued: (() => void)[] = [];

  constructor(private readonly emit: (type: 'LIFECYCLE_STEPPED' | 'CYCLE_INPUTS_RECORDED' | 'RULES_RECORDED', payload: JsonObject, cycleId?: number) => void) {}

  /** New rules from the gateway: each content is recorded once (per engine life). */
  rules(list: readonly SymbolRules[]): void {
    for (const r of list) {
      const ref = rulesRef(r);
      this.refs.set(r, ref);
      if (this.recorded.has(ref)) continue;
      this.recorded.add(ref);
      const rec: RulesRecord = { v: REPLAY_RECORD_VERSION, ref, rules: r };
      this.emit('RULES_RECORDED', jsonObject(rec));
    }
  }

  private ref(r: SymbolRules | null): string | null {
    if (r === null) return null;
    const known = this.refs.get(r);
    if (known !== undefined) return known;
    // Rules the handler never saw (a test's, or a path that bypasses it): recorded now.
    this.rules([r]);
    return rulesRef(r);
  }

  /**
   * One lifecycle step, recorded when it did something. Only the rules reference is taken now;
   * the record is built and serialized on the next turn of the event loop, after the command it
   * returned has gone out (a step's state, input and commands are fresh objects nobody changes).
   */
  step(symbol: string, state: LifecycleState, input: LifecycleInput, out: StepResult): void {
    if (out.state === state && out.commands.length === 0) return;
    const ref = input.kind === 'TICK' ? this.ref(input.facts.rules) : null;
    this.later(() => {
      const rin: RecordedInput = input.kind === 'TICK' ? { kind: 'TICK', phase: input.phase, facts: { ...input.facts, rules: ref } } : input;
      const rec: LifecycleStepRecord = {
        v: REPLAY_RECORD_VERSION,
        symbol,
        state: withoutDefaults(state),
        input: rin,
        commands: out.commands,
        state_out: out.state === state ? null : changedFields(state, out.state),
      };
      this.emit('LIFECYCLE_STEPPED', jsonObject(rec));
    });
  }

  /**
   * The snapshots of one decision cycle (with the rules each was decided under). Serialized on the
   * next turn of the event loop, not on the bar-close -> order path: replay groups a cycle's events
   * by cycle id, so its place in the log does not matter.
   */
  cycle(cycleId: number, snaps: readonly MarketSnapshot[], rules: (symbol: string) => SymbolRules | null): void {
    const rec: CycleInputsRecord = { v: REPLAY_RECORD_VERSION, snapshots: snaps.map((snapshot) => ({ snapshot, rules: this.ref(rules(snapshot.symbol)) })) };
    this.later(() => this.emit('CYCLE_INPUTS_RECORDED', jsonObject(rec), cycleId));
  }

  private later(f: () => void): void {
    this.queued.push(f);
    if (this.queued.length > 1) return;
    setImmediate(() => {
      const q = this.queued;
      this.queued = [];
      for (const g of q) g();
    });
  }
}

/** The top-level fields of `next` that are not `prev`'s (by reference), copied as a tree. */
function changedFields(prev: LifecycleState, next: LifecycleState): Partial<LifecycleState> {
  const diff: Record<string, unknown> = {};
  for (const k of Object.keys(next) as (keyof LifecycleState)[]) if (next[k] !== prev[k]) diff[k] = next[k];
  return JSON.parse(JSON.stringify(diff)) as Partial<LifecycleState>;
}

/** A state without the fields that hold their EMPTY_LIFECYCLE value: most of a slot's state most of the time. */
function withoutDefaults(state: LifecycleState): Partial<LifecycleState> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(state) as (keyof LifecycleState)[]) if (state[k] !== EMPTY_LIFECYCLE[k]) out[k] = state[k];
  return out as Partial<LifecycleState>;
}

/** The full state a record's `state` stands for. */
export function recordedState(s: Partial<LifecycleState>): LifecycleState {
  return { ...EMPTY_LIFECYCLE, ...s };
}
