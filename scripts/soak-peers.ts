// The soak's venue and reviewer, in a process of their own (forked by scripts/soak.ts with an IPC
// channel), so the soak's RSS of the bot is the bot's alone: the venue keeps its own growing state
// (orders, trades, tapes) that would otherwise be counted as the bot's.
//
// Ready message: { type: 'ready', sim: { rest, ws, admin }, reviewer: { baseUrl } }.
// On { type: 'mem', id } it answers { type: 'mem', id, rss_bytes, heap_used_bytes, heap_total_bytes,
// external_bytes, venue: <the simulator's own state sizes> }; on { type: 'close' } it closes both and exits.
import { startReviewer } from '@vigil/ai-reviewer';
import { createExchangeSim, type SimOptions } from '@vigil/exchange-sim';

/** What scripts/soak.ts passes as the first argument (JSON). */
export interface PeerOptions {
  readonly keys: SimOptions['keys'];
  readonly seed?: number;
  readonly tickMs?: number;
  readonly aiKey?: string;
}
/** Messages from the parent. */
export type PeerRequest = { readonly type: 'mem'; readonly id: number } | { readonly type: 'close' };

const o = JSON.parse(process.argv[2] ?? '{}') as PeerOptions;
const sim = await createExchangeSim({ keys: o.keys, seed: o.seed ?? 11, tickMs: o.tickMs });
const reviewer = await startReviewer({ apiKey: o.aiKey });

const close = async () => {
  await sim.close().catch(() => undefined);
  await reviewer.close().catch(() => undefined);
};

process.on('message', (m: PeerRequest | undefined) => {
  if (m?.type === 'mem') {
    const mu = process.memoryUsage();
    const venue = typeof sim.exchange.stateSizes === 'function' ? sim.exchange.stateSizes() : null;
    process.send?.({
      type: 'mem',
      id: m.id,
      rss_bytes: mu.rss,
      heap_used_bytes: mu.heapUsed,
      heap_total_bytes: mu.heapTotal,
      external_bytes: mu.external,
      venue,
    });
  } else if (m?.type === 'close') {
    void close().then(() => process.exit(0));
  }
});
// The parent gone (crash, Ctrl-C): never outlive it.
process.on('disconnect', () => void close().then(() => process.exit(0)));
process.send?.({ type: 'ready', sim: { rest: sim.rest, ws: sim.ws, admin: sim.admin }, reviewer: { baseUrl: reviewer.baseUrl } });
