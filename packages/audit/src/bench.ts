import { percentile } from '@vigil/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { CONTROL_CHANNEL, PROTOCOL_VERSION, type EventEnvelope, type SupervisorSide, type WorkerInit, type WorkerSide, envelopeOf } from '@vigil/contracts';
import { AuditClient, Endpoint, parseConfig } from '@vigil/runtime';
import { migrate } from './schema.js';

export interface AuditBenchResult {
  readonly rounds: number;
  readonly events_per_round: number;
  /** Medians over the rounds; the ratio is the median of the per-round ratios. */
  readonly raw_insert_events_per_s: number;
  readonly ours_events_per_s: number;
  readonly ratio: number;
  readonly steady_rate_events_per_s: number;
  readonly steady_achieved_events_per_s: number;
  readonly steady_commit_lag_p50_ms: number;
  readonly steady_commit_lag_p99_ms: number;
  readonly idle_critical_ack_p50_ms: number;
  readonly idle_critical_ack_p99_ms: number;
  /** Baseline of the idle ack: one plain better-sqlite3 single-row commit (synchronous=FULL), alternated with the acks. */
  readonly raw_commit_p50_ms: number;
  readonly raw_commit_p99_ms: number;
  /** CPU microseconds per event of the whole process (producer, writer, checkpointer) vs the raw insert's: less noisy than rates on a shared machine. */
  readonly ours_cpu_us_per_event: number;
  readonly raw_cpu_us_per_event: number;
}

const pct = percentile;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function event(i: number): EventEnvelope {
  return envelopeOf({
    ts_ms: Date.now(),
    run_id: 'run_bench',
    source: 'engine',
    cycle_id: i,
    stage: 'MARKET_SNAPSHOT',
    event_type: 'MARKET_SNAPSHOT_TAKEN',
    payload: { symbol: 'BTCUSDT', bid: '64000.10', ask: '64000.20', n: i },
  });
}

const median = (xs: readonly number[]): number => pct(xs, 50);
/** CPU time of the whole process (every thread) since `from`, in microseconds. */
const cpuUs = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return d.user + d.system;
};

/**
 * The baseline: plain better-sqlite3 batched inserts of the same rows into the same table
 * (WAL, synchronous=FULL), no chain, no JSONL, no channel, rows built before the clock starts.
 */
class RawInserter {
  private readonly db: Database.Database;
  private readonly ins: Database.Statement;
  private i = 0;
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    migrate(this.db);
    this.ins = this.db.prepare(
      `INSERT INTO events (event_id, ts_ms, run_id, source, cycle_id, stage, snapshot_id, decision_id, order_intent_id, event_type, reason_code, severity, payload, prev_hash, hash)
       VALUES (@event_id, @ts_ms, @run_id, @source, @cycle_id, @stage, @snapshot_id, @decision_id, @order_intent_id, @event_type, @reason_code, @severity, @payload, '', '')`,
    );
  }
  private rows(n: number): Record<string, unknown>[] {
    return Array.from({ length: n }, () => {
      const e = event(this.i++);
      return { ...e, payload: JSON.stringify(e.payload) };
    });
  }
  /** Inserts n rows in transactions of 5000: events/s, and CPU microseconds per event. */
  rate(n: number): { readonly per_s: number; readonly cpu_us: number } {
    const rows = this.rows(n);
    const c = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < n; i += 5000) {
      this.db.transaction(() => {
        for (const r of rows.slice(i, i + 5000)) this.ins.run(r);
      })();
    }
    const per_s = n / ((performance.now() - t) / 1000);
    return { per_s, cpu_us: cpuUs(c) / n };
  }
  /** One single-row commit; ms. */
  commitOne(): number {
    const [r] = this.rows(1);
    const t = performance.now();
    this.db.transaction(() => this.ins.run(r))();
    return performance.now() - t;
  }
  close(): void {
    this.db.close();
  }
}

/**
 * The audit path end to end: events built on this thread and sent over the audit channel to the
 * real audit-writer worker thread, committed to SQLite (synchronous=FULL) and appended to JSONL.
 * Throughput alternates rounds of ours and of the raw baseline (the machine is shared and noisy:
 * each round's ratio compares two runs seconds apart), and reports medians. The idle ack alternates
 * each critical write with one raw single-row commit, the fsync floor of this disk.
 */
export async function runAuditBench(
  opts: { rounds?: number; eventsPerRound?: number; steadyRate?: number; steadySeconds?: number } = {},
): Promise<AuditBenchResult> {
  const rounds = opts.rounds ?? 5;
  const n = opts.eventsPerRound ?? 40_000;
  const rate = opts.steadyRate ?? 20_000;
  const seconds = opts.steadySeconds ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-bench-'));
  const raw = new RawInserter(join(dir, 'raw.sqlite'));

  const r = parseConfig({
    paths: { var_dir: dir },
    audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0, audit_writer_queue_capacity: 1_000_000 },
    logging: { level: 'error' },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  const control = new MessageChannel();
  const producer = new MessageChannel();
  const init: WorkerInit = {
    worker: 'audit',
    run_id: 'run_bench',
    config: r.config,
    var_dir: join(dir, 'ours'),
    protocol_version: PROTOCOL_VERSION,
    control: control.port2,
    ports: [{ name: 'audit_producer', port: producer.port2 }],
    secrets: null,
  };
  const { createRequire } = await import('node:module');
  const worker = new Worker(createRequire(import.meta.url).resolve('@vigil/audit/worker'), { workerData: init, transferList: [control.port2, producer.port2] });
  const ready = new Promise<void>((resolve) => {
    const ep = new Endpoint<SupervisorSide, WorkerSide>(control.port1, {
      spec: CONTROL_CHANNEL,
      side: 'a',
      requestTimeoutMs: 10_000,
      onEvent: (ev) => {
        if (ev.type === 'ready') resolve();
      },
    });
    void ep;
  });
  await ready;
  const client = new AuditClient({ label: 'bench', requestTimeoutMs: 60_000, holdCapacity: 1_000_000 });
  client.attach(producer.port1);

  // Throughput: each round, n events as fast as the producer can build and send them, then a
  // flush (everything committed and in JSONL); then n raw inserts.
  const oursRates: number[] = [];
  const rawRates: number[] = [];
  const ratios: number[] = [];
  const oursCpu: number[] = [];
  const rawCpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      client.append(event(i));
      if (i % 5000 === 4999) await sleep(0);
    }
    await client.flush();
    const ours = n / ((performance.now() - t0) / 1000);
    oursCpu.push(cpuUs(c0) / n);
    await sleep(50);
    const r0 = raw.rate(n);
    oursRates.push(ours);
    rawRates.push(r0.per_s);
    rawCpu.push(r0.cpu_us);
    ratios.push(ours / r0.per_s);
    await sleep(50);
  }

  // Steady rate with a critical probe every tick: its ack latency is the commit lag at that load.
  const lags: number[] = [];
  const tickMs = 10;
  const perTick = Math.round((rate * tickMs) / 1000);
  const tEnd = performance.now() + seconds * 1000;
  let sent = 0;
  const tSteady = performance.now();
  let next = performance.now();
  while (performance.now() < tEnd) {
    for (let i = 0; i < perTick; i++) client.append(event(sent++));
    const ts = performance.now();
    void client.appendCritical([event(sent++)]).then(() => lags.push(performance.now() - ts));
    next += tickMs;
    await sleep(Math.max(0, next - performance.now()));
  }
  await client.flush();
  const achieved = sent / ((performance.now() - tSteady) / 1000);

  // Idle critical acknowledgement, each one beside a raw single-row commit.
  const idle: number[] = [];
  const rawCommits: number[] = [];
  await sleep(100);
  // 1000 samples: a p99 of 200 would be the second-worst sample, a coin toss on a shared disk.
  for (let i = 0; i < 1000; i++) {
    const ts = performance.now();
    await client.appendCritical([event(i)]);
    idle.push(performance.now() - ts);
    rawCommits.push(raw.commitOne());
  }
  client.close();
  raw.close();
  await worker.terminate();
  rmSync(dir, { recursive: true, force: true });
  return {
    rounds,
    events_per_round: n,
    raw_insert_events_per_s: median(rawRates),
    ours_events_per_s: median(oursRates),
    ratio: median(ratios),
    steady_rate_events_per_s: rate,
    steady_achieved_events_per_s: achieved,
    steady_commit_lag_p50_ms: pct(lags, 50),
    steady_commit_lag_p99_ms: pct(lags, 99),
    idle_critical_ack_p50_ms: pct(idle, 50),
    idle_critical_ack_p99_ms: pct(idle, 99),
    raw_commit_p50_ms: pct(rawCommits, 50),
    raw_commit_p99_ms: pct(rawCommits, 99),
    ours_cpu_us_per_event: median(oursCpu),
    raw_cpu_us_per_event: median(rawCpu),
  };
}
