#!/usr/bin/env node
// What grew between two V8 heap snapshots of one thread (scripts/soak.mjs --heap-snapshots DIR):
// objects counted and sized by constructor/type name, largest growth first.
//   node scripts/heap-diff.mjs before.heapsnapshot after.heapsnapshot [--top 30]
import { readFileSync } from 'node:fs';

function summarize(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const n = f.length;
  const by = new Map();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += n) {
    const type = types[nodes[i + iType]];
    const name = type === 'object' || type === 'closure' || type === 'native' ? snap.strings[nodes[i + iName]] : `(${type})`;
    const key = `${type}:${name}`.slice(0, 100);
    const e = by.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += nodes[i + iSize];
    by.set(key, e);
  }
  return by;
}

const [a, b] = process.argv.slice(2);
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 30;
const A = summarize(a);
const B = summarize(b);
const rows = [];
for (const [k, v] of B) {
  const u = A.get(k) ?? { count: 0, bytes: 0 };
  rows.push({ k, dCount: v.count - u.count, dBytes: v.bytes - u.bytes, count: v.count, bytes: v.bytes });
}
rows.sort((x, y) => y.dBytes - x.dBytes);
const total = (m) => [...m.values()].reduce((s, e) => s + e.bytes, 0);
console.log(`total self size ${(total(A) / 2 ** 20).toFixed(2)} MiB -> ${(total(B) / 2 ** 20).toFixed(2)} MiB`);
for (const r of rows.slice(0, top)) console.log(`${String(r.dBytes).padStart(10)} B ${String(r.dCount).padStart(8)} objs  (now ${r.count})  ${r.k}`);
