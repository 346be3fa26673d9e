// Rewrites the configuration table in docs/00_SOURCE_OF_TRUTH.md from the schema (run after a build).
import { readFileSync, writeFileSync } from 'node:fs';
import { configDocTable } from '../packages/runtime/dist/config-doc.js';

const file = new URL('../docs/00_SOURCE_OF_TRUTH.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const start = '<!-- config-table:start -->\n';
const end = '\n<!-- config-table:end -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < 0) throw new Error('table markers not found in docs/00_SOURCE_OF_TRUTH.md');
writeFileSync(file, text.slice(0, a + start.length) + configDocTable() + text.slice(b));
console.log('docs/00_SOURCE_OF_TRUTH.md table regenerated');
