import type { PayloadOf } from '@vigil/contracts';
import {
  clientOrderIdFor,
  newIntentId,
  type Correlation,
  type EventEnvelope,
  type EventType,
  type IntentState,
  type JsonObject,
  type OrderLeg,
  type ReasonCode,
} from '@vigil/contracts';

/**
 * Order intents: the record of every order the bot means to send, committed to the audit
 * database (critical write: acknowledged after commit) BEFORE the order leaves the process. The
 * clientOrderId derives from the intent id, so REST can always be asked whether it happened.
 *
 *   CREATED -> CONFIRMED | FAILED_TERMINAL | SENT_UNKNOWN
 *   SENT_UNKNOWN -> CONFIRMED | NOT_FOUND   (only through a REST query by clientOrderId)
 */
export type IntentKind = 'ENTRY' | 'CANCEL' | 'PROTECT' | 'EXIT';

export interface Intent {
  readonly id: string;
  readonly kind: IntentKind;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  /** The order's (or, for PROTECT, the order list's) clientOrderId. */
  readonly client_order_id: string;
  readonly corr: Partial<Correlation>;
  state: IntentState;
  readonly created_ms: number;
  state_ms: number;
  unknown_since: number | null;
  not_found_answers: number;
  last_query_ms: number;
  readonly detail: JsonObject;
}

const FINAL: ReadonlySet<IntentState> = new Set(['CONFIRMED', 'FAILED_TERMINAL', 'NOT_FOUND']);
const ALLOWED: Readonly<Record<IntentState, readonly IntentState[]>> = {
  CREATED: ['CONFIRMED', 'FAILED_TERMINAL', 'SENT_UNKNOWN'],
  SENT_UNKNOWN: ['CONFIRMED', 'NOT_FOUND'],
  CONFIRMED: [],
  FAILED_TERMINAL: [],
  NOT_FOUND: [],
};

export interface IntentDeps {
  readonly now: () => number;
  readonly make: <T extends EventType>(
    type: T,
    payload: PayloadOf<T>,
    opts: { readonly reason?: ReasonCode | null; readonly corr?: Partial<Correlation> },
  ) => EventEnvelope;
  /** Resolves once committed; rejects when the audit is not available. */
  readonly commit: (events: readonly EventEnvelope[]) => Promise<unknown>;
  /** Appends without waiting for the commit (bulk): how a refused creation is closed on record. */
  readonly record: (ev: EventEnvelope) => void;
  readonly onChange?: (i: Intent) => void;
}

export class IntentBook {
  private readonly byId = new Map<string, Intent>();
  /** Durations of the CREATED commits (ms), the last 1000: the audit's share of the order path. */
  readonly commitMs: number[] = [];

  constructor(private readonly d: IntentDeps) {}

  /**
   * Creates and commits an intent, after `before` (records that must be durable before the order
   * leaves) in the same transaction. Rejects (and nothing may be sent) when the audit database did
   * not acknowledge the commit: no audit, no operation.
   */
  async create(
    kind: IntentKind,
    symbol: string,
    side: 'BUY' | 'SELL',
    leg: OrderLeg,
    corr: Partial<Correlation>,
    detail: JsonObject,
    before: readonly EventEnvelope[] = [],
  ): Promise<Intent> {
    const [intent] = await this.createAll([{ kind, symbol, side, leg, corr, detail }], before);
    return intent!;
  }

  /**
   * Creates several intents in ONE critical commit, all or none: for one venue call that carries
   * several orders (a cancelReplace cancels one and places another), nothing may leave unless every
   * one of them is on record (after `before`, as in create). Rejects like create.
   */
  async createAll(specs: readonly IntentSpec[], before: readonly EventEnvelope[] = []): Promise<Intent[]> {
    const now = this.d.now();
    const all = specs.map((spec) => draft(spec, now));
    const t0 = performance.now();
    try {
      await this.d.commit([
        ...before,
        ...all.map((i) =>
          this.d.make('INTENT_CREATED', { kind: i.kind, symbol: i.symbol, side: i.side, client_order_id: i.client_order_id, ...i.detail }, { corr: i.corr }),
        ),
      ]);
    } catch (e) {
      // A refusal may also be a lost acknowledgement (request timeout) of a commit that happened:
      // the creation can be on record while its order never leaves. Close each such record as
      // never sent, so neither an auditor nor a restart (which queries CREATED intents) waits on it.
      const why = `audit did not acknowledge the creation: ${(e as Error).message}`;
      for (const i of all)
        this.d.record(
          this.d.make(
            'INTENT_STATE_CHANGED',
            { from: 'CREATED', to: 'FAILED_TERMINAL', kind: i.kind, symbol: i.symbol, client_order_id: i.client_order_id, not_sent: true, why },
            { corr: i.corr },
          ),
        );
      throw e;
    }
    this.commitMs.push(performance.now() - t0);
    if (this.commitMs.length > 1000) this.commitMs.shift();
    for (const i of all) {
      this.byId.set(i.id, i);
      this.d.onChange?.(i);
    }
    return all;
  }

  /** Re-registers an intent remembered from the audit database (startup). */
  adopt(i: Intent): void {
    this.byId.set(i.id, i);
  }

  /** Moves an intent along the state machine; an illegal move throws (a bug, never data). */
  transition(i: Intent, to: IntentState, reason: ReasonCode | null, detail: JsonObject = {}): void {
    if (i.state === to) return;
    if (!ALLOWED[i.state].includes(to)) throw new Error(`intent ${i.id}: ${i.state} -> ${to} is not allowed`);
    const from = i.state;
    i.state = to;
    i.state_ms = this.d.now();
    if (to === 'SENT_UNKNOWN') i.unknown_since = i.state_ms;
    const ev = this.d.make(
      'INTENT_STATE_CHANGED',
      { from, to, kind: i.kind, symbol: i.symbol, client_order_id: i.client_order_id, ...detail },
      { reason, corr: i.corr },
    );
    // Transitions are critical writes too; the commit is not awaited (the state already happened
    // at the venue), but a failure to commit is an audit incident the writer itself reports.
    void this.d.commit([ev]).catch(() => undefined);
    this.d.onChange?.(i);
  }

  get(id: string): Intent | undefined {
    return this.byId.get(id);
  }

  byClientOrderId(coid: string): Intent | undefined {
    for (const i of this.byId.values()) if (i.client_order_id === coid) return i;
    return undefined;
  }

  unresolved(): Intent[] {
    return [...this.byId.values()].filter((i) => i.state === 'SENT_UNKNOWN' || i.state === 'CREATED');
  }

  unknownOn(symbol: string): boolean {
    return [...this.byId.values()].some((i) => i.symbol === symbol && i.state === 'SENT_UNKNOWN');
  }

  counts(): Record<IntentState, number> {
    const c: Record<IntentState, number> = { CREATED: 0, SENT_UNKNOWN: 0, CONFIRMED: 0, NOT_FOUND: 0, FAILED_TERMINAL: 0 };
    for (const i of this.byId.values()) c[i.state]++;
    return c;
  }

  /** When the oldest intent still in SENT_UNKNOWN became unknown (health signal), or null. */
  oldestUnknownSince(): number | null {
    let oldest: number | null = null;
    for (const i of this.byId.values())
      if (i.state === 'SENT_UNKNOWN' && i.unknown_since !== null && (oldest === null || i.unknown_since < oldest)) oldest = i.unknown_since;
    return oldest;
  }

  /** Forget final intents older than `ms` (the audit keeps them). */
  prune(ms: number): void {
    const cut = this.d.now() - ms;
    for (const [id, i] of this.byId) if (FINAL.has(i.state) && i.state_ms < cut) this.byId.delete(id);
  }
}

/** One intent to create: what IntentBook.create takes, as a value (for createAll). */
export interface IntentSpec {
  readonly kind: IntentKind;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly leg: OrderLeg;
  readonly corr: Partial<Correlation>;
  readonly detail: JsonObject;
}

/** A new intent in CREATED, not yet committed; its clientOrderId derives from its id. */
function draft(spec: IntentSpec, now: number): Intent {
  const id = newIntentId(now);
  return {
    id,
    kind: spec.kind,
    symbol: spec.symbol,
    side: spec.side,
    client_order_id: clientOrderIdFor(id, spec.leg),
    corr: { ...spec.corr, order_intent_id: id },
    state: 'CREATED',
    created_ms: now,
    state_ms: now,
    unknown_since: null,
    not_found_answers: 0,
    last_query_ms: 0,
    detail: spec.detail,
  };
}

export const isFinal = (s: IntentState): boolean => FINAL.has(s);
