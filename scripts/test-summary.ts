// Prints the plain closing line CI readers look for ("N passed, N failed, N skipped") from
// vitest's JSON report, and fails if the run executed no test at all, or skipped a test that is
// not on test/skip-allowlist.json with its reason (in CI, only entries allowed there).
//
// Each failed test is named with its file and the first lines of its error, here and in
// test/artifacts/failed-tests.txt, which scripts/test.ts prints last: a CI log is often read from
// its tail only, and vitest's own account of a failure is far above it.
import { readFileSync, writeFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';

/** The fields of vitest's JSON report read here. */
interface VitestReport {
  readonly numPassedTests?: number;
  readonly numFailedTests?: number;
  readonly testResults?: readonly {
    readonly name?: string;
    readonly status?: string;
    readonly message?: string;
    readonly assertionResults?: readonly {
      readonly status: string;
      readonly fullName?: string;
      readonly title: string;
      readonly failureMessages?: readonly string[];
    }[];
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
const failures: string[] = [];
/** The first lines of an error, without the ANSI colours vitest may put in or the test runner's frames. */
const head = (text: string, lines: number): string =>
  stripVTControlCharacters(text)
    .split('\n')
    .filter((l) => !/^\s*at (.*node_modules|new Promise|process\.processTicksAndRejections)/.test(l))
    .slice(0, lines)
    .map((l) => `    ${l}`)
    .join('\n');
for (const file of r.testResults ?? []) {
  const where = (file.name ?? '?').replace(/^.*?\/(test|packages|apps|scripts)\//, '$1/');
  for (const a of file.assertionResults ?? []) {
    if (a.status === 'pending' || a.status === 'skipped' || a.status === 'todo') skipped.push(a.fullName ?? a.title);
    if (a.status === 'failed') failures.push(`FAILED ${where} > ${a.fullName ?? a.title}\n${head((a.failureMessages ?? []).join('\n'), 8)}`);
  }
  // A file that failed outside any test (an import error, a hook's timeout) has no failed assertion.
  if (file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed'))
    failures.push(`FAILED ${where} (outside a test)\n${head(file.message ?? '', 8)}`);
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
for (const f of failures) console.log(f);
writeFileSync(new URL('../test/artifacts/failed-tests.txt', import.meta.url), failures.map((f) => `${f}\n`).join(''));
console.log(`\n${passed} passed, ${failed} failed, ${skipped.length} skipped`);
process.exit(failed > 0 || passed === 0 || refused.length > 0 ? 1 : 0);
