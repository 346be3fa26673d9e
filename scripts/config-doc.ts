// Rewrites the generated tables in docs/00_SOURCE_OF_TRUTH.md from the code (run after a build):
// the configuration keys and their bounds (the schema) and the AI gate MODIFY rules (MODIFY_RULES).
import { readFileSync, writeFileSync } from 'node:fs';
import { configBoundsTable, configDocTable } from '@vigil/runtime/config-doc';
import { modifyDocTable } from '@vigil/core/aigate-modify';

const file = new URL('../docs/00_SOURCE_OF_TRUTH.md', import.meta.url);
let text = readFileSync(file, 'utf8');
for (const [name, table] of [
  ['config-table', configDocTable()],
  ['config-bounds', configBoundsTable()],
  ['modify-table', modifyDocTable()],
]) {
  const start = `<!-- ${name}:start -->\n`;
  const end = `\n<!-- ${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < 0) throw new Error(`${name} markers not found in docs/00_SOURCE_OF_TRUTH.md`);
  text = text.slice(0, a + start.length) + table + text.slice(b);
}
writeFileSync(file, text);
console.log('docs/00_SOURCE_OF_TRUTH.md tables regenerated');
