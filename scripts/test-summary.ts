// Prints the plain closing line CI readers look for ("N passed, N failed, N skipped") from
// vitest's JSON report, and fails if the run executed no test at all, or skipped a test that is
// not on test/skip-allowlist.json with its reason (in CI, only entries allowed there).
import { readFileSync } from 'node:fs';

/** The fields of vitest's JSON report read here. */
interface VitestReport {
  readonly numPassedTests?: number;
  readonly numFailedTests?: number;
  readonly testResults?: readonly {
    readonly assertionResults?: readonly { readonly status: string; readonly fullName?: string; readonly title: string }[];
  }[];
}
/** An entry of test/skip-allowlist.json. */
interface SkipEntry {
  readonly test: string;
  readonly match?: 'prefix';
  readonly in_ci?: boolean;
  readonly reason: string;
}

const r = JSON.parse(readFileSync(new URL('../test/artifacts/vitest.json', import.meta.url), 'utf8')) as VitestReport;
const allow = JSON.parse(readFileSync(new URL('../test/skip-allowlist.json', import.meta.url), 'utf8')).skips as SkipEntry[];
const ci = process.env.CI === 'true' || process.env.CI === '1';
const passed = r.numPassedTests ?? 0;
const failed = r.numFailedTests ?? 0;
const skipped: string[] = [];
for (const file of r.testResults ?? []) {
  for (const a of file.assertionResults ?? []) {
    if (a.status === 'pending' || a.status === 'skipped' || a.status === 'todo') skipped.push(a.fullName ?? a.title);
  }
}
const entryFor = (name: string): SkipEntry | undefined => allow.find((e) => (e.match === 'prefix' ? name.startsWith(e.test) : name === e.test));
const refused: string[] = [];
for (const name of skipped) {
  const e = entryFor(name);
  if (!e) refused.push(`${name}: not on test/skip-allowlist.json`);
  else if (ci && !e.in_ci) refused.push(`${name}: allowed to skip outside CI only (${e.reason})`);
  else console.log(`skipped (allowed): ${name} — ${e.reason}`);
}
for (const x of refused) console.log(`SKIP REFUSED: ${x}`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped.length} skipped`);
process.exit(failed > 0 || passed === 0 || refused.length > 0 ? 1 : 0);
