// Prints the plain closing line CI readers look for ("N passed, N failed, N skipped") from
// vitest's JSON report, and fails if the run executed no test at all, or skipped a test that is
// not on test/skip-allowlist.json with its reason (in CI, only entries allowed there).
import { readFileSync } from 'node:fs';

const r = JSON.parse(readFileSync(new URL('../test/artifacts/vitest.json', import.meta.url), 'utf8'));
const allow = JSON.parse(readFileSync(new URL('../test/skip-allowlist.json', import.meta.url), 'utf8')).skips;
const ci = process.env.CI === 'true' || process.env.CI === '1';
const passed = r.numPassedTests ?? 0;
const failed = r.numFailedTests ?? 0;
const skipped = [];
for (const file of r.testResults ?? []) {
  for (const a of file.assertionResults ?? []) {
    if (a.status === 'pending' || a.status === 'skipped' || a.status === 'todo') skipped.push(a.fullName ?? a.title);
  }
}
const entryFor = (name) => allow.find((e) => (e.match === 'prefix' ? name.startsWith(e.test) : name === e.test));
const refused = [];
for (const name of skipped) {
  const e = entryFor(name);
  if (!e) refused.push(`${name}: not on test/skip-allowlist.json`);
  else if (ci && !e.in_ci) refused.push(`${name}: allowed to skip outside CI only (${e.reason})`);
  else console.log(`skipped (allowed): ${name} — ${e.reason}`);
}
for (const x of refused) console.log(`SKIP REFUSED: ${x}`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped.length} skipped`);
process.exit(failed > 0 || passed === 0 || refused.length > 0 ? 1 : 0);
