// Prints the plain closing line CI readers look for ("N passed, N failed, N skipped") from
// vitest's JSON report, and fails if the run executed no test at all.
import { readFileSync } from 'node:fs';

const r = JSON.parse(readFileSync(new URL('../test/artifacts/vitest.json', import.meta.url), 'utf8'));
const passed = r.numPassedTests ?? 0;
const failed = r.numFailedTests ?? 0;
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
