// Rewrites test/file-durations.json (each test file's wall time, seconds) from the last full run's
// test/artifacts/vitest.json: test/sequencer.ts starts the longest files first from it.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The fields of vitest's JSON report read here. */
interface VitestReport {
  readonly testResults?: readonly { readonly name: string; readonly startTime: number; readonly endTime: number }[];
}
const report = JSON.parse(readFileSync(new URL('../test/artifacts/vitest.json', import.meta.url), 'utf8')) as VitestReport;
const files: Record<string, number> = {};
for (const f of report.testResults ?? []) files[relative(root, f.name)] = Math.round((f.endTime - f.startTime) / 100) / 10;
const sorted = Object.fromEntries(Object.entries(files).sort((a, b) => b[1] - a[1]));
const out = { note: 'Written by node --import tsx scripts/test-durations.ts from a full run; read by test/sequencer.ts.', files: sorted };
writeFileSync(new URL('../test/file-durations.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.log(`test/file-durations.json: ${Object.keys(sorted).length} files`);
