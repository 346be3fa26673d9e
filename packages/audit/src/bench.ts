import { percentile } from '@vigil/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import {
  CONTROL_CHANNEL,
  PROTOCOL_VERSION,
  newEventId,
  type EventEnvelope,
  type SupervisorSide,
  type WorkerInit,
  type WorkerSide,
} from '@vigil/contracts';
import { AuditClient, Endpoint, parseConfig } from '@vigil/runtime';
import { migrate } from './schema.js';

export interface AuditBenchResult {
  readonly raw_insert_events_per_s: number;
  readonly ours_events_per_s: number;
  readonly ratio: number;
  readonly steady_rate_events_per_s: number;
  readonly steady_achieved_events_per_s: number;
  readonly steady_commit_lag_p50_ms: number;
  readonly steady_commit_lag_p99_ms: number;
  readonly idle_critical_ack_p50_ms: number;
  readonly idle_critical_ack_p99_ms: number;
}

const pct = percentile;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function event(i: number): EventEnvelope {
  const ts = Date.now();
  return {
    event_id: newEventId(ts),
    ts_ms: ts,
    run_id: 'run_bench',
    source: 'engine',
    cycle_id: i,
    stage: 'MARKET_SNAPSHOT',
    snapshot_id: null,
    decision_id: null,
    order_intent_id: null,
    event_type: 'MARKET_SNAPSHOT_TAKEN',
    reason_code: null,
    severity: 'INFO',
    payload: { symbol: 'BTCUSDT', bid: '64000.10', ask: '64000.20', n: i },
  };
}

/** The baseline: plain better-sqlite3 batched inserts of the same rows into the same table, no chain, no JSONL. */
function rawInsertRate(dir: string, n: number): number {
  const db = new Database(join(dir, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  migrate(db);
  const ins = db.prepare(
    `INSERT INTO events (event_id, ts_ms, run_id, source, cycle_id, stage, snapshot_id, decision_id, order_intent_id, event_type, reason_code, severity, payload, prev_hash, hash)
     VALUES (@event_id, @ts_ms, @run_id, @source, @cycle_id, @stage, @snapshot_id, @decision_id, @order_intent_id, @event_type, @reason_code, @severity, @payload, '', '')`,
  );
  const rows = Array.from({ length: n }, (_, i) => {
    const e = event(i);
    return { ...e, payload: JSON.stringify(e.payload) };
  });
  const t = performance.now();
  for (let i = 0; i < n; i += 5000) {
    db.transaction(() => {
      for (const r of rows.slice(i, i + 5000)) ins.run(r);
    })();
  }
  const rate = n / ((performance.now() - t) / 1000);
  db.close();
  return rate;
}

/**
 * The audit path end to end: events sent from this thread over the audit channel to the real
 * audit-writer worker thread, committed to SQLite (synchronous=FULL) and appended to JSONL.
 */
export async function runAuditBench(opts: { events?: number; steadyRate?: number; steadySeconds?: number } = {}): Promise<AuditBenchResult> {
  const n = opts.events ?? 200_000;
  const rate = opts.steadyRate ?? 20_000;
  const seconds = opts.steadySeconds ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-bench-'));
  const raw = rawInsertRate(dir, n);

  const r = parseConfig({ paths: { var_dir: dir }, audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0, audit_writer_queue_capacity: 1_000_000}, logging: { level: 'error' } });
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

  // Throughput: everything as fast as the producer can send it, then a flush.
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    client.append(event(i));
    if (i % 5000 === 4999) await sleep(0);
  }
  await client.flush();
  const ours = n / ((performance.now() - t0) / 1000);

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

  // Idle critical acknowledgement.
  const idle: number[] = [];
  await sleep(100);
  for (let i = 0; i < 200; i++) {
    const ts = performance.now();
    await client.appendCritical([event(i)]);
    idle.push(performance.now() - ts);
  }
  client.close();
  await worker.terminate();
  rmSync(dir, { recursive: true, force: true });
  return {
    raw_insert_events_per_s: raw,
    ours_events_per_s: ours,
    ratio: ours / raw,
    steady_rate_events_per_s: rate,
    steady_achieved_events_per_s: achieved,
    steady_commit_lag_p50_ms: pct(lags, 50),
    steady_commit_lag_p99_ms: pct(lags, 99),
    idle_critical_ack_p50_ms: pct(idle, 50),
    idle_critical_ack_p99_ms: pct(idle, 99),
  };
}
