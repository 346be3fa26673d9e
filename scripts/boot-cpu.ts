// Measures the CPU one boot of the bot costs: a supervisor with its three worker threads started
// against the local simulator (as test/integration/harness.ts does) and stopped again. Prints, per
// boot, the process CPU of start+stop and each named thread's CPU read from /proc (Linux only).
// Usage: node scripts/run.mjs scripts/boot-cpu.ts [boots=5] [--unbundled]
// Not `node --import tsx`: the flag is inherited by every worker thread, which then loads the
// TypeScript loader too (it more than doubled each boot's CPU: 1.3 s against 0.57 s).
// --unbundled starts the workers from their dist/worker.js module graphs instead of the entry bundles
// the supervisor uses (scripts/worker-bundles.ts), to compare the two in one machine state.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newRunId } from '@vigil/contracts';
import { createLogger, parseConfig } from '@vigil/runtime';
import { Supervisor } from '@vigil/supervisor';
import { createExchangeSim } from '@vigil/exchange-sim';

const KEY = {
  apiKey: 'itestkey00000000000000000000000001',
  secretKey: 'itestsecret000000000000000000000001',
  canTrade: true,
  enableWithdrawals: false,
  ipRestrict: true,
};
const TICK = 100; // /proc stat unit (USER_HZ)
const unbundled = process.argv.includes('--unbundled');
const requireHere = createRequire(import.meta.url);
const UNBUNDLED = {
  audit: requireHere.resolve('@vigil/audit/worker'),
  gateway: requireHere.resolve('@vigil/gateway/worker'),
  engine: requireHere.resolve('@vigil/engine/worker'),
};

/** CPU ms by thread name, summed over live threads of this process (a finished thread's time is lost, so sample before stop). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
      const key = Number(tid) === process.pid ? 'main' : `${comm}#${tid}`;
      out.set(key, ms);
    } catch {
      /* thread ended */
    }
  }
  return out;
}

async function boot(): Promise<{ cpuMs: number; wallMs: number; threads: Map<string, number> }> {
  const sim = await createExchangeSim({ keys: [{ ...KEY }], seed: 7, tickMs: 100 });
  const varDir = mkdtempSync(join(tmpdir(), 'vigil-boot-'));
  const r = parseConfig({
    paths: { var_dir: varDir },
    exchange: { rest_base_url: sim.rest, ws_market_url: sim.ws, ws_api_url: `${sim.ws}/ws-api/v3`, symbols: ['BTCUSDT', 'ETHUSDT'] },
    live: { fault_hooks_enabled: true },
    logging: { level: 'warn' },
    audit: { backup_enabled: false },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  const log = createLogger({ thread: 'supervisor', logDir: join(varDir, 'log'), config: r.config.logging, console: false });
  const before = threadCpu();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const sup = new Supervisor({
    config: r.config,
    varDir,
    runId: newRunId(),
    secrets: { api_key: KEY.apiKey, api_secret: KEY.secretKey },
    log,
    consoleAlerts: false,
    ...(unbundled ? { entries: UNBUNDLED } : {}),
  });
  await sup.start();
  const during = threadCpu();
  await sup.stop('boot-cpu');
  const c = process.cpuUsage(c0);
  const wallMs = performance.now() - t0;
  await sim.close();
  // Threads present before the boot (main, libuv pool, V8 platform) are summed as 'main' and 'helpers';
  // threads born during it (the workers and their own helper threads) are listed by tid, oldest first.
  const threads = new Map<string, number>();
  let helpers = 0;
  for (const [k, v] of during) {
    const was = before.get(k);
    if (k === 'main') threads.set('main', v - (was ?? 0));
    else if (was !== undefined) helpers += v - was;
    else threads.set(k, v);
  }
  threads.set('helpers', helpers);
  return { cpuMs: (c.user + c.system) / 1000, wallMs, threads };
}

const n = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 5);
await boot(); // warm the main thread's module cache, as a test file's second boot finds it
const rows: number[] = [];
for (let i = 0; i < n; i++) {
  const b = await boot();
  rows.push(b.cpuMs);
  const th = [...b.threads].filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v.toFixed(0)}`);
  console.log(`boot ${i + 1}: cpu ${b.cpuMs.toFixed(0)} ms, wall ${b.wallMs.toFixed(0)} ms; threads (to ready) ${th.join(' ')}`);
}
rows.sort((a, z) => a - z);
console.log(`median cpu per boot: ${(rows[Math.floor(rows.length / 2)] ?? NaN).toFixed(0)} ms over ${n}`);
