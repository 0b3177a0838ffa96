// Summarises a V8 .heapsnapshot (from bench/worker-memory-probe.mjs) for BENCHMARKS.md: self size
// by node type and constructor, and for the largest constructors who holds them (the names of
// their immediate retainers). `node --import tsx bench/heap-summary.ts <file> [top]`.
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: heap-summary.ts <file.heapsnapshot> [top]');
const top = Number(topArg ?? 25);
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const { meta } = snap.snapshot;
const nf = meta.node_fields.length;
const ef = meta.edge_fields.length;
const [typeI, nameI, sizeI, edgesI] = ['type', 'name', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f));
const [edgeTypeI, toI] = ['type', 'to_node'].map((f) => meta.edge_fields.indexOf(f));
const nodeTypes = meta.node_types[0];
const weak = meta.edge_types[0].indexOf('weak');

const label = (n: number) => {
  const type = nodeTypes[snap.nodes[n + typeI]!]!;
  const name = snap.strings[snap.nodes[n + nameI]!]!;
  // Strings, code and arrays are grouped by type: their names are contents, not constructors.
  return type === 'object' || type === 'closure' || type === 'native' ? `${type}:${name.slice(0, 60)}` : `(${type})`;
};

const bySize = new Map<string, { size: number; count: number }>();
let total = 0;
for (let n = 0; n < snap.nodes.length; n += nf) {
  const key = label(n);
  const size = snap.nodes[n + sizeI]!;
  total += size;
  const entry = bySize.get(key) ?? { size: 0, count: 0 };
  entry.size += size;
  entry.count += 1;
  bySize.set(key, entry);
}
const largest = [...bySize].sort((a, b) => b[1].size - a[1].size).slice(0, top);
const wanted = new Set(largest.map(([k]) => k).filter((k) => !k.startsWith('(')));

// Immediate retainers of the largest constructors, by the retainer's label.
const retainers = new Map<string, Map<string, number>>();
for (let n = 0, e = 0; n < snap.nodes.length; n += nf) {
  const from = label(n);
  for (let i = 0; i < snap.nodes[n + edgesI]!; i++, e += ef) {
    if (snap.edges[e + edgeTypeI] === weak) continue;
    const to = snap.edges[e + toI]!;
    const key = label(to);
    if (!wanted.has(key)) continue;
    const m = retainers.get(key) ?? new Map<string, number>();
    m.set(from, (m.get(from) ?? 0) + 1);
    retainers.set(key, m);
  }
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(`${file}: ${mib(total)} MiB self size in ${snap.nodes.length / nf} nodes`);
console.log('| MiB | count | type:constructor | top retainers |');
console.log('|---:|---:|---|---|');
for (const [key, { size, count }] of largest) {
  const held = [...(retainers.get(key) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, 3);
  console.log(`| ${mib(size)} | ${count} | ${key} | ${held.map(([k, c]) => `${k} ×${c}`).join(', ')} |`);
}
