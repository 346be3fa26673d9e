// What grew between two V8 heap snapshots of one thread (scripts/soak.mjs --heap-snapshots DIR):
// objects counted and sized by constructor/type name, largest growth first.
//   node scripts/heap-diff.mjs before.heapsnapshot after.heapsnapshot [--top 30]
import { readFileSync } from 'node:fs';

/** The parts of a .heapsnapshot file read here (V8's flat node array and its field layout). */
interface HeapSnapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: string[]; readonly node_types: [string[], ...unknown[]] } };
  readonly nodes: number[];
  readonly strings: string[];
}
type Sizes = Map<string, { count: number; bytes: number }>;

function summarize(file: string): Sizes {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const n = f.length;
  const by: Sizes = new Map();
  const nodes = snap.nodes;
  const at = (i: number): number => nodes[i] ?? 0;
  for (let i = 0; i < nodes.length; i += n) {
    const type = types[at(i + iType)];
    const name = type === 'object' || type === 'closure' || type === 'native' ? snap.strings[at(i + iName)] : `(${type})`;
    const key = `${type}:${name}`.slice(0, 100);
    const e = by.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += at(i + iSize);
    by.set(key, e);
  }
  return by;
}

const [a, b] = process.argv.slice(2);
if (a === undefined || b === undefined) {
  console.error('usage: node --import tsx scripts/heap-diff.ts before.heapsnapshot after.heapsnapshot [--top 30]');
  process.exit(1);
}
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 30;
const A = summarize(a);
const B = summarize(b);
const rows = [];
for (const [k, v] of B) {
  const u = A.get(k) ?? { count: 0, bytes: 0 };
  rows.push({ k, dCount: v.count - u.count, dBytes: v.bytes - u.bytes, count: v.count, bytes: v.bytes });
}
rows.sort((x, y) => y.dBytes - x.dBytes);
const total = (m: Sizes): number => [...m.values()].reduce((s, e) => s + e.bytes, 0);
console.log(`total self size ${(total(A) / 2 ** 20).toFixed(2)} MiB -> ${(total(B) / 2 ** 20).toFixed(2)} MiB`);
for (const r of rows.slice(0, top)) console.log(`${String(r.dBytes).padStart(10)} B ${String(r.dCount).padStart(8)} objs  (now ${r.count})  ${r.k}`);
