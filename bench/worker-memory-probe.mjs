// Bench-only preload for the worker process (`DOCSYNC_BENCH_WORKER_NODE_ARGS="--import
// ./bench/worker-memory-probe.mjs"`): on SIGUSR2 it writes what the worker's memory is made of into
// DOCSYNC_BENCH_PROBE_DIR — process.memoryUsage(), V8 heap statistics, /proc/self/smaps_rollup,
// and a heap snapshot of the main thread and of every worker thread (Temporal runs workflows in
// worker threads, whose heaps a main-thread snapshot does not see). Plain JS: worker threads
// inherit the flag but not tsx's loader.
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const dir = process.env.DOCSYNC_BENCH_PROBE_DIR ?? '/tmp/docsync-probe';
  const threads = [];
  process.on('worker', (w) => threads.push(w));

  const probe = async (n) => {
    mkdirSync(dir, { recursive: true });
    const base = path.join(dir, `probe-${process.pid}-${n}`);
    // Numbers first: the snapshots themselves grow the heap.
    const summary = {
      memoryUsage: process.memoryUsage(),
      heap: v8.getHeapStatistics(),
      spaces: v8.getHeapSpaceStatistics(),
      threads: threads.length,
      smapsRollup: readFileSync('/proc/self/smaps_rollup', 'utf8'),
    };
    writeFileSync(`${base}.json`, JSON.stringify(summary, null, 2));
    v8.writeHeapSnapshot(`${base}-main.heapsnapshot`);
    for (const [i, w] of threads.entries()) {
      await pipeline(await w.getHeapSnapshot(), createWriteStream(`${base}-thread${i}.heapsnapshot`)).catch(() => undefined);
    }
    console.error(`memory probe ${n} written to ${base}*`);
  };

  let taken = 0;
  process.on('SIGUSR2', () => {
    probe(++taken).catch((err) => console.error(`memory probe failed: ${err.message}`));
  });
}
