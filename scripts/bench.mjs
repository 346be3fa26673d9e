// `npm run bench`: every benchmark of the project, each figure beside a baseline measured in the
// same run on this machine, as medians over alternating rounds (2 noisy cores: ratios, not absolutes).
import os from 'node:os';

const rows = [];
const add = (area, metric, ours, baseline, ratio, goal) => rows.push({ area, metric, ours, baseline, ratio, goal });
const f = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

async function channels() {
  const { runChannelBench } = await import('../packages/runtime/dist/bench/channel-bench.js');
  const r = await runChannelBench();
  add('channels', 'round trip p50 (us)', f(r.typed_rtt_p50_us), `raw ${f(r.raw_rtt_p50_us)}`, f(r.rtt_p50_ratio, 2), '<= 1.5x raw');
  add('channels', 'round trip p99 (us)', f(r.typed_rtt_p99_us), `raw ${f(r.raw_rtt_p99_us)}`, f(r.rtt_p99_ratio, 2), '<= 1.5x raw');
  add('channels', 'one-way msgs/s', f(r.typed_msgs_per_s, 0), `raw ${f(r.raw_msgs_per_s, 0)}`, f(r.throughput_cost_ratio, 2), '<= 1.5x raw');
}

const suites = { channels };
const only = process.argv.slice(2);
for (const [name, run] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`running ${name}...\n`);
  try {
    await run();
  } catch (e) {
    add(name, 'FAILED', String(e?.message ?? e), '', '', '');
  }
}
console.log(`\nmachine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n`);
const cols = ['area', 'metric', 'ours', 'baseline', 'ratio', 'goal'];
const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
const line = (vals) => vals.map((v, i) => String(v).padEnd(width[i])).join('  ');
console.log(line(cols));
console.log(line(width.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(cols.map((c) => r[c])));
