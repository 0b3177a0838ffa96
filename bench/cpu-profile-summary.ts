// Summarises a .cpuprofile (worker run with DOCSYNC_BENCH_WORKER_NODE_ARGS="--cpu-prof") for
// BENCHMARKS.md: self time by function and by owner (a docsync folder, an npm package, node
// internals, GC), as shares of the sampled non-idle time.
// `node --import tsx bench/cpu-profile-summary.ts <file.cpuprofile> [top]`.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: cpu-profile-summary.ts <file.cpuprofile> [top]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

// Self time per node from the sample stream (timeDeltas[i] is the time before sample i).
const selfUs = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const delta = profile.timeDeltas[i + 1] ?? 0;
  selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + delta);
}

/** Which code a frame belongs to: docsync's folder, an npm package, node's own modules, or V8's pseudo frames. */
function ownerOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const own = /\/(src|bench|test)\/(.+)$/.exec(url);
  if (own) return `${own[1]}/${own[2]!.split('/').slice(0, -1).join('/') || own[2]}`;
  return url;
}

const fns = new Map<string, number>();
const owners = new Map<string, number>();
let busy = 0;
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (functionName === '(idle)') continue;
  busy += us;
  const short = url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|bench|test)\//, '$1/');
  const fn = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
  fns.set(fn, (fns.get(fn) ?? 0) + us);
  const owner = ownerOf(url, functionName);
  owners.set(owner, (owners.get(owner) ?? 0) + us);
}

const table = (title: string, rows: Map<string, number>) => {
  console.log(`\n| ${title} | self ms | share |\n|---|---:|---:|`);
  for (const [k, us] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`| ${k.replace(/\|/g, '\\|')} | ${(us / 1000).toFixed(0)} | ${((100 * us) / busy).toFixed(1)} % |`);
  }
};
console.log(`${file}: ${(busy / 1000).toFixed(0)} ms sampled busy time (idle excluded)`);
table('owner', owners);
table('function', fns);
