import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditWriter } from '@vigil/audit';
import { type EventEnvelope, jsonObject, snapshotHash } from '@vigil/contracts';
import { EMPTY_LIFECYCLE, percentile, step, type LifecycleInput, type LifecycleState } from '@vigil/core';
import { ENGINE_START_STAGE, REPLAY_EVENT_TYPES, ReplayRecorder, lifecycleConfigOf } from '@vigil/engine/replay';
import { EventFactory, configForRecord, parseConfig } from '@vigil/runtime';
import { REPLAY_SQL, replayRecorded, replayRun, runConfig } from './replay-command.js';
import { EXPERIMENT_RULES } from './experiments/experiments.js';

export interface ReplayBenchResult {
  readonly events: number;
  readonly steps: number;
  readonly cycles: number;
  /** The replay proper (read, parse, re-run, compare) alone on this thread: no chain, no mirror. */
  readonly replay_events_per_s: number;
  /** The same per CPU second of this process (less noisy than wall time on a shared machine). */
  readonly replay_events_per_cpu_s: number;
  /** The whole `supervisor replay` (replayRun: chain and mirror on their threads beside the replay), wall. */
  readonly whole_events_per_s: number;
  /** The same per CPU second of the process, every thread's. */
  readonly whole_events_per_cpu_s: number;
  /** Baseline: reading and parsing the same rows, nothing re-run. */
  readonly read_events_per_s: number;
  readonly read_events_per_cpu_s: number;
  readonly identical: boolean;
}

// The experiments' BTCUSDT: the same symbol the bench records and replays.
const RULES = EXPERIMENT_RULES;

/**
 * A synthetic run written through the real writer (real chain, schema, derived rows): the lifecycle
 * of one position over and over (entry polled, filled, trades learned, protected, checked) and a
 * decision cycle every few steps (a snapshot the strategy passes on), recorded by the engine's
 * recorder. Then `supervisor replay`'s own function replays it; the baseline reads the same rows.
 */
export async function runReplayBench(n = 200_000): Promise<ReplayBenchResult> {
  const varDir = mkdtempSync(join(tmpdir(), 'vigil-replay-bench-'));
  try {
    await writeReplayBenchRun(varDir, n);

    // Alternating rounds, medians: the first round pays for JIT warm-up, and the machine is shared.
    const dbFile = join(varDir, 'data', 'audit.sqlite');
    const rates = {
      replay: [] as number[],
      replayCpu: [] as number[],
      whole: [] as number[],
      wholeCpu: [] as number[],
      read: [] as number[],
      readCpu: [] as number[],
    };
    const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000;
    let r: Extract<Awaited<ReturnType<typeof replayRun>>, { kind: 'REPLAYED' }> | null = null;
    for (let round = 0; round < 5; round++) {
      const c0 = process.cpuUsage();
      const got = await replayRun(varDir, null);
      const wholeCpu = cpuMs(process.cpuUsage(c0));
      if (got.kind === 'REFUSED') throw new Error(got.why);
      if (got.kind !== 'REPLAYED') throw new Error(`${got.divergence.what} at seq ${got.divergence.seq}`);
      r = got;
      rates.whole.push((got.events / got.whole_ms) * 1000);
      rates.wholeCpu.push((got.events / wholeCpu) * 1000);
      const db = new Database(dbFile, { readonly: true });
      try {
        const config = runConfig(db, got.run_id);
        if (config === null) throw new Error('the bench run recorded no configuration');
        const alone = replayRecorded(db, got.run_id, config);
        rates.replay.push((alone.events / alone.ms) * 1000);
        rates.replayCpu.push((alone.events / alone.cpu_ms) * 1000);
        const t0 = performance.now();
        const c1 = process.cpuUsage();
        let read = 0;
        // Read as the replay reads (raw rows, REPLAY_SQL's columns): the same floor under both.
        for (const row of db
          .prepare(REPLAY_SQL)
          .raw(true)
          .iterate(got.run_id, ...REPLAY_EVENT_TYPES, ENGINE_START_STAGE) as IterableIterator<[number, string, string, number | null, string]>) {
          JSON.parse(row[4]);
          read++;
        }
        const readMs = performance.now() - t0;
        rates.read.push((read / readMs) * 1000);
        rates.readCpu.push((read / cpuMs(process.cpuUsage(c1))) * 1000);
      } finally {
        db.close();
      }
    }
    if (r === null) throw new Error('no round');
    return {
      events: r.events,
      steps: r.steps,
      cycles: r.cycles,
      replay_events_per_s: percentile(rates.replay, 50),
      replay_events_per_cpu_s: percentile(rates.replayCpu, 50),
      whole_events_per_s: percentile(rates.whole, 50),
      whole_events_per_cpu_s: percentile(rates.wholeCpu, 50),
      read_events_per_s: percentile(rates.read, 50),
      read_events_per_cpu_s: percentile(rates.readCpu, 50),
      identical: r.ok,
    };
  } finally {
    rmSync(varDir, { recursive: true, force: true });
  }
}

/**
 * Writes the bench's synthetic run (about `n` lifecycle steps, a decision cycle every six) into a
 * new audit under `varDir`, through the real writer: what `supervisor replay --var varDir` reads.
 */
export async function writeReplayBenchRun(varDir: string, n: number): Promise<void> {
  const parsed = parseConfig({});
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  const cfg = parsed.config;
  const lcfg = lifecycleConfigOf(cfg.engine, cfg.strategy.requote_mode);
  const w = new AuditWriter({
    dbFile: join(varDir, 'data', 'audit.sqlite'),
    jsonlDir: join(varDir, 'jsonl'),
    config: cfg.audit,
    now: Date.now,
    setReason: () => {},
  });
  w.open();
  const f = new EventFactory('run_replay_bench', 'engine', Date.now);
  let batch: EventEnvelope[] = [];
  const flush = (): void => {
    w.enqueue(batch);
    w.drainAll();
    batch = [];
  };
  let cycleId = 0;
  const rec = new ReplayRecorder((type, payload, cid) => {
    batch.push(f.make(type, payload, cid === undefined ? {} : { corr: { cycle_id: cid } }));
  });
  batch.push(f.make('CONFIG_LOADED', { config: jsonObject(configForRecord(cfg)) }));
  rec.rules([RULES]);
  const plan = { stop_price: '63000.00', take_profit_price: '66000.00', trailing_delta_bps: 50 };
  const facts = (now: number, over: Partial<Extract<LifecycleInput, { kind: 'TICK' }>['facts']> = {}): Extract<LifecycleInput, { kind: 'TICK' }>['facts'] => ({
    now,
    holding: 'TRADABLE',
    halted: null,
    frozen: false,
    trades_pending: false,
    quote: { bid: '64000.00', ask: '64000.10' },
    avg_price: '64000.00',
    rules: RULES,
    swap_allowed: false,
    ...over,
  });
  const bars = Array.from({ length: 30 }, (_, i) => ({ start_ms: i * 1000, open: 100, high: 101 + (i % 3), low: 99, close: 100 }));
  let now = 1_000_000;
  let steps = 0;
  const run = (s: LifecycleState, input: LifecycleInput): LifecycleState => {
    const out = step(s, input, lcfg);
    rec.step('BTCUSDT', s, input, out);
    steps++;
    return out.state;
  };
  while (steps < n) {
    now += 1000;
    const entry = {
      coid: `vge${String(now).padStart(33, '0')}`,
      intent: 'CONFIRMED' as const,
      status: 'NEW',
      cancel_pending: false,
      deadline_ms: now + 60_000,
      last_query_ms: 0,
      has_decision: true,
      requotes_left: 1,
      filled_qty: '0',
      cancel_why: null,
      successor: null,
    };
    let s: LifecycleState = { ...EMPTY_LIFECYCLE, entry, plan };
    s = run(s, { kind: 'TICK', phase: 'ENTRY', facts: facts(now, { holding: 'NONE' }) });
    s = run(s, { kind: 'ENTRY_REPORT', coid: entry.coid, status: 'FILLED', executed_qty: '0.00078', ts_ms: now + 5, flat: false });
    s = run(s, { kind: 'TICK', phase: 'TRADES', facts: facts(now + 10, { trades_pending: true }) });
    s = run(s, { kind: 'TICK', phase: 'POSITION', facts: facts(now + 20) });
    s = { ...s, protection: { kind: 'OCO', active: false, intent: 'CREATED', last_query_ms: 0 } };
    s = run(s, { kind: 'PROTECTION_CONFIRMED', now: now + 30 });
    run(s, { kind: 'TICK', phase: 'CHECK', facts: facts(now + 5000) });
    const body = { symbol: 'BTCUSDT', ts_ms: now, bid: '100.00', ask: '100.01', quote_age_ms: 2, bars };
    rec.cycle(++cycleId, [{ ...body, snapshot_id: `snp_${cycleId}`, snapshot_hash: snapshotHash(body) }], () => RULES);
    // The cycle record is deferred one turn of the event loop, as in the engine.
    await new Promise((r) => setImmediate(r));
    if (batch.length >= 5000) flush();
  }
  flush();
  w.close();
}
