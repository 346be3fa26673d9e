// Rewrites the configuration table in docs/00_SOURCE_OF_TRUTH.md from the schema (run after a build).
import { readFileSync, writeFileSync } from 'node:fs';
import { configDocTable } from '../packages/runtime/dist/config-doc.js';
import { modifyDocTable } from '../packages/core/dist/aigate-modify.js';

const file = new URL('../docs/00_SOURCE_OF_TRUTH.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const start = '<!-- config-table:start -->\n';
const end = '\n<!-- config-table:end -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < 0) throw new Error('table markers not found in docs/00_SOURCE_OF_TRUTH.md');
let out = text.slice(0, a + start.length) + configDocTable() + text.slice(b);
// The AI gate MODIFY rules, from MODIFY_RULES (test/unit/modify-doc.test.ts).
const ms = '<!-- modify-table:start -->\n';
const me = '\n<!-- modify-table:end -->';
const c = out.indexOf(ms);
const d = out.indexOf(me);
if (c < 0 || d < 0) throw new Error('modify table markers not found in docs/00_SOURCE_OF_TRUTH.md');
out = out.slice(0, c + ms.length) + modifyDocTable() + out.slice(d);
writeFileSync(file, out);
console.log('docs/00_SOURCE_OF_TRUTH.md table regenerated');
