import { percentile } from '@vigil/core';
import { MessageChannel, Worker } from 'node:worker_threads';
import { CONTROL_CHANNEL, type SupervisorSide, type WorkerSide } from '@vigil/contracts';
import { Endpoint } from '../channel.js';

export interface ChannelBenchResult {
  readonly round_trips: number;
  readonly raw_rtt_p50_us: number;
  readonly raw_rtt_p99_us: number;
  readonly typed_rtt_p50_us: number;
  readonly typed_rtt_p99_us: number;
  readonly raw_msgs_per_s: number;
  readonly typed_msgs_per_s: number;
  /** typed / raw for latency (lower is better), raw / typed for throughput: the cost of our layer. */
  readonly rtt_p50_ratio: number;
  readonly rtt_p99_ratio: number;
  readonly throughput_cost_ratio: number;
}

const pct = percentile;
const median = (xs: number[]): number => pct(xs, 50);

/**
 * Channel round trip and one-way throughput, raw MessagePort vs our typed Endpoint, against the
 * same echo thread, measured in alternating rounds so both see the same machine noise.
 */
export async function runChannelBench(opts: { rounds?: number; roundTrips?: number; messages?: number } = {}): Promise<ChannelBenchResult> {
  const rounds = opts.rounds ?? 5;
  const roundTrips = opts.roundTrips ?? 4000;
  const messages = opts.messages ?? 100_000;
  const raw = new MessageChannel();
  const typed = new MessageChannel();
  const worker = new Worker(new URL('./channel-bench-worker.js', import.meta.url), {
    workerData: { raw: raw.port2, typed: typed.port2 },
    transferList: [raw.port2, typed.port2],
  });
  await new Promise((r) => worker.once('message', r));
  const ep = new Endpoint<SupervisorSide, WorkerSide>(typed.port1, { spec: CONTROL_CHANNEL, side: 'a', requestTimeoutMs: 10_000 });
  const rawPort = raw.port1;
  const rawReply = (): Promise<{ k: string; n?: number }> => new Promise((r) => rawPort.once('message', r));

  const rawRtt: number[] = [];
  const typedRtt: number[] = [];
  const rawRate: number[] = [];
  const typedRate: number[] = [];
  // The mode broadcast is the control event every worker receives all day long.
  const modeEv = { type: 'mode', mode: 'NORMAL', seq: 1, since_ms: 0, reasons: [] } as const;

  for (let round = 0; round < rounds; round++) {
    // round trips, raw
    for (let i = 0; i < roundTrips; i++) {
      const t = process.hrtime.bigint();
      const p = rawReply();
      rawPort.postMessage({ k: 'ping', sent_ts_ms: i });
      await p;
      rawRtt.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    // round trips, typed
    for (let i = 0; i < roundTrips; i++) {
      const t = process.hrtime.bigint();
      await ep.request('ping', { sent_ts_ms: i });
      typedRtt.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    // one-way throughput, raw: the same heartbeat-shaped body, wrapped the way our frames are
    {
      const t = process.hrtime.bigint();
      for (let i = 0; i < messages; i++) rawPort.postMessage({ k: 'ev', body: modeEv });
      const p = rawReply();
      rawPort.postMessage({ k: 'count' });
      await p;
      rawRate.push(messages / (Number(process.hrtime.bigint() - t) / 1e9));
    }
    // one-way throughput, typed (validated on receipt)
    {
      const t = process.hrtime.bigint();
      for (let i = 0; i < messages; i++) ep.emit(modeEv);
      await ep.request('status', {});
      typedRate.push(messages / (Number(process.hrtime.bigint() - t) / 1e9));
    }
  }
  ep.close();
  rawPort.close();
  await worker.terminate();
  const r = {
    round_trips: rounds * roundTrips,
    raw_rtt_p50_us: median(rawRtt),
    raw_rtt_p99_us: pct(rawRtt, 99),
    typed_rtt_p50_us: median(typedRtt),
    typed_rtt_p99_us: pct(typedRtt, 99),
    raw_msgs_per_s: median(rawRate),
    typed_msgs_per_s: median(typedRate),
  };
  return {
    ...r,
    rtt_p50_ratio: r.typed_rtt_p50_us / r.raw_rtt_p50_us,
    rtt_p99_ratio: r.typed_rtt_p99_us / r.raw_rtt_p99_us,
    throughput_cost_ratio: r.raw_msgs_per_s / r.typed_msgs_per_s,
  };
}
