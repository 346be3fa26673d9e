// `npm run fuzz`: every fuzz suite and property test of an inbound surface or a many-path core,
// at FUZZ_RUNS times their CI runs (default 20), then the "Fuzzed surfaces" section of
// docs/RELIABILITY.md (between the fuzz markers; `npm run chaos` keeps it when it rewrites the rest).
//
//   node scripts/fuzz-report.ts [--runs N] [--no-write]
import { readFileSync, writeFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { machineLine } from './machine.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runsArg = args.indexOf('--runs');
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : Number(process.env['FUZZ_RUNS'] ?? 20);
const write = !args.includes('--no-write');

/** Each surface, the files that fuzz it, and what a case must never do. */
interface Surface {
  readonly surface: string;
  readonly files: readonly string[];
  /** A line the suite prints with what its cases reached (group 1), or null. */
  readonly measure: RegExp | null;
  readonly documented: string;
}
/** The fields of vitest's JSON report read here. */
interface VitestReport {
  readonly testResults: readonly { readonly name: string; readonly assertionResults: readonly { readonly status: string }[] }[];
}

const SURFACES: readonly Surface[] = [
  {
    surface: 'AI gate replies (raw bytes and structured mutations)',
    files: ['test/fuzz/aigate-reply.fuzz.test.ts'],
    measure: /^aigate-reply fuzz: (.*)$/,
    documented: 'a valid verdict or a fail-closed AIGATE_* code; never ALLOW from a reply that is not strictly valid; never a throw',
  },
  {
    surface: 'Configuration and secrets files',
    files: ['test/fuzz/config-secrets.fuzz.test.ts'],
    measure: /^config fuzz depth: (.*)$/,
    documented:
      'loads with every bound holding, or one line naming a key (exit 78 at the CLI); never the file or secret content; never a hang on a FIFO/device',
  },
  {
    surface: 'Exchange REST replies (statuses, bodies, headers, cut connections) through the real gateway stack',
    files: ['test/fuzz/gateway-rest.fuzz.test.ts'],
    measure: /^\[measure\] gateway-rest fuzz: (.*)$/,
    documented: 'an order request whose outcome the reply does not prove is UNKNOWN (never FAILED); reads fail closed; never a throw',
  },
  {
    surface: 'Trust-boundary parsers (REST classification, exchangeInfo, AI answers and MODIFY, configuration)',
    files: ['test/fuzz/parsers.fuzz.test.ts'],
    measure: null,
    documented: 'a typed value or a reason code; never a throw; MODIFY never increases risk',
  },
  {
    surface: 'WebSocket frames (market streams, user stream, WS API)',
    files: ['test/fuzz/streams.fuzz.test.ts'],
    measure: /^\[measure\] streams fuzz: (.*)$/,
    documented: 'a typed event or a counted rejection with a reason code; the stream survives; never a throw',
  },
  {
    surface: 'Panel HTTP requests and channel frames',
    files: ['test/fuzz/channel-panel.fuzz.test.ts'],
    measure: /^\[measure\] panel fuzz: (.*)$/,
    documented:
      'never a 5xx or a hang; 2xx only for GET/HEAD with a loopback Host; nothing but reads taken from the source; malformed frames refused with a reason code',
  },
  {
    surface: 'Order filters (validateOrder against exchange rules)',
    files: ['packages/core/src/filters.test.ts'],
    measure: /^\[measure\] filters fuzz: (.*)$/,
    documented: 'a quantized order passes exactly the filters Binance applies, or is refused naming the filter',
  },
  {
    surface: 'Position truth (venue trades and balances against own fills)',
    files: ['packages/core/src/position-truth.test.ts'],
    measure: null,
    documented: 'never more than own fills nor the balance; the operator’s coins never sold',
  },
  {
    surface: 'Position lifecycle step (random states, facts and sequences)',
    files: ['packages/core/src/lifecycle.test.ts'],
    measure: null,
    documented: 'invariants I1-I9 of docs/05 hold',
  },
];

const files = SURFACES.flatMap((s) => s.files);
const out = join(mkdtempSync(join(tmpdir(), 'vigil-fuzz-')), 'vitest.json');
const started = Date.now();
const r = await execa(
  'npx',
  ['vitest', 'run', '--config', 'test/vitest.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...files],
  {
    cwd: root,
    env: { ...process.env, FUZZ_RUNS: String(runs) },
    reject: false,
    all: true,
  },
);
process.stdout.write(r.all ?? '');
const json: VitestReport = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as VitestReport) : { testResults: [] };
const lines = (r.all ?? '').split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim()); // eslint-disable-line no-control-regex

const rows = SURFACES.map((s) => {
  const results = json.testResults.filter((t) => s.files.some((f) => t.name.endsWith(f)));
  const tests = results.flatMap((t) => t.assertionResults);
  const passed = tests.filter((a) => a.status === 'passed').length;
  const failed = tests.filter((a) => a.status === 'failed').length;
  const re = s.measure;
  const measured = re ? lines.flatMap((l) => l.match(re)?.[1] ?? []) : [];
  return { ...s, properties: tests.length, passed, failed, measured: measured.join('; ') };
});

const ok = rows.every((x) => x.failed === 0 && x.properties > 0) && r.exitCode === 0;
const section = [
  '<!-- fuzz:start -->',
  '## Fuzzed inbound surfaces',
  '',
  `Generated by \`npm run fuzz\` (scripts/fuzz-report.mjs) on ${new Date().toISOString()}, FUZZ_RUNS=${runs} (each property runs ${runs}x its CI count; CI runs 1x with a fixed seed), in ${Math.round((Date.now() - started) / 1000)} s. ${machineLine()}`,
  '',
  '| surface | fuzzed by | properties (passed / failed) | documented outcome asserted | cases reaching the deepest check, outcomes |',
  '|---|---|---|---|---|',
  ...rows.map(
    (x) =>
      `| ${x.surface} | ${x.files.map((f) => `\`${f}\``).join(', ')} | ${x.properties} (${x.passed} / ${x.failed}) | ${x.documented} | ${x.measured || '-'} |`,
  ),
  '',
  `Overall: ${ok ? 'PASS' : 'FAIL'}`,
  '<!-- fuzz:end -->',
].join('\n');

if (write) {
  const file = join(root, 'docs/RELIABILITY.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Reliability\n';
  const a = text.indexOf('<!-- fuzz:start -->');
  const b = text.indexOf('<!-- fuzz:end -->');
  const next = a >= 0 && b > a ? text.slice(0, a) + section + text.slice(b + '<!-- fuzz:end -->'.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
  console.log('docs/RELIABILITY.md: fuzzed surfaces section written');
}
console.log(section);
process.exit(ok ? 0 : 1);
