// `npm run bench [-- --quick] [-- --only listing,content]`: starts Postgres, a Temporal dev server
// and generated Dropbox fakes, measures every figure side by side, prints one table with targets
// and writes bench/results.json. Exits 0 whether targets hold or not (CI shows, never gates).
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { ceilingFigure } from './figures/ceiling.js';
import { contentFigure } from './figures/content.js';
import { fairnessFigure } from './figures/fairness.js';
import { incrementalFigure } from './figures/incremental.js';
import { limitFigure } from './figures/limit.js';
import { listingFigure } from './figures/listing.js';
import { scaleFigure } from './figures/scale.js';
import { streamingFigure } from './figures/streaming.js';
import { usersFigure } from './figures/users.js';
import { workerMemoryFigure } from './figures/worker-memory.js';
import { startBenchServices, type BenchServices } from './services.js';
import { COMPILED_MAIN } from './worker-process.js';
import { printTable, writeResults, type FigureRow } from './table.js';

const quick = process.argv.includes('--quick');
const onlyArg =
  process.argv.find((a, i) => process.argv[i - 1] === '--only') ?? process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;
// `--users 10,100`: the users figure at these K only (a partial run when the full sizes do not fit).
const usersArg = process.argv.find((a, i) => process.argv[i - 1] === '--users');
// `--workers 1`: the users figure with these worker counts only (default 1 and 2).
const workersArg = process.argv.find((a, i) => process.argv[i - 1] === '--workers');
const usersWorkers = workersArg ? workersArg.split(',').map(Number) : [1, 2];
const usersK = usersArg ? usersArg.split(',').map(Number) : quick ? [1, 5] : [1, 10, 100, 1000];

// Tuned settings (see BENCHMARKS.md for the before/after runs that chose them).
// The production worker: compiled dist/ as the image runs it (npm run build) when there is one, else
// under tsx (its loader thread and on-the-fly transpiling cost RSS and CPU; `--tsx` forces it).
const compiled = existsSync(COMPILED_MAIN) && !process.argv.includes('--tsx');
const worker = { maxConcurrentActivities: 20, dbPoolMax: 10, compiled };
const window = 20;
// The issue's workload: 2,000 × 2 KiB + 20 × 1 MiB .txt (quick: 100 + 2).
const contentCorpus = { count: quick ? 100 : 2000, fileSize: 2048, extra: { count: quick ? 2 : 20, fileSize: 2 ** 20 } };
const limitConcurrency = 64;

// Quick mode (CI) is a smoke run of every figure at toy sizes: its numbers are not the targets'.
const figures: Record<string, (s: BenchServices) => Promise<FigureRow[]>> = {
  listing: (s) => listingFigure(s, { count: quick ? 1000 : 20_000, pageSize: 2000 }),
  // limit before content: content divides by it (measured once per run, also when limit is not listed).
  limit: (s) => limitFigure(s, { corpus: contentCorpus, concurrency: limitConcurrency }),
  content: (s) =>
    contentFigure(s, {
      count: contentCorpus.count,
      large: contentCorpus.extra!.count,
      pageSize: 500,
      maxInFlight: window,
      worker,
      limitConcurrency,
    }),
  ceiling: (s) => ceilingFigure(s, { count: quick ? 40 : 1000, window }),
  incremental: (s) =>
    incrementalFigure(s, { count: quick ? 100 : 10_000, changes: quick ? 1 : 10, pageSize: 500, maxInFlight: window, worker }),
  scale: (s) => scaleFigure(s, { count: quick ? 1000 : 100_000, pageSize: 500, fetchContent: false, maxInFlight: window, worker }),
  'scale+content': (s) =>
    scaleFigure(s, {
      count: quick ? 100 : 100_000,
      pageSize: quick ? 20 : 500,
      maxHistoryEvents: quick ? 250 : undefined,
      fetchContent: true,
      maxInFlight: window,
      worker,
    }),
  streaming: (s) => streamingFigure(s, { bytes: quick ? 64 * 2 ** 20 : 2 ** 30 }),
  // Activities-only worker (compiled when dist/ exists): idle RSS and peak RSS streaming 1 GiB (quick: 64 MiB).
  'worker-memory': (s) => workerMemoryFigure(s, { bytes: quick ? 64 * 2 ** 20 : 2 ** 30, quick }),
  users: (s) =>
    usersFigure(s, {
      users: usersK,
      workers: usersWorkers,
      docsPerUser: 20,
      pageSize: 500,
      maxInFlight: window,
      worker,
    }),
  fairness: (s) =>
    fairnessFigure(s, { users: quick ? 6 : 50, docsPerUser: 20, pageSize: 500, maxInFlight: window, worker, rounds: quick ? 1 : 2 }),
  quota: async (s) =>
    (await import('./figures/quota.js')).quotaFigure(s, {
      users: quick ? 20 : 200,
      filesPerUser: 5,
      perSecond: 20,
      headroom: 0.9,
      worker,
    }),
  // Push paths: 50 edits over 60 s per path (quick: 8 over 8 s); see BENCHMARKS.md "freshness".
  freshness: async (s) =>
    (await import('./figures/freshness.js')).freshnessFigure(s, {
      edits: quick ? 8 : 50,
      windowMs: quick ? 8_000 : 60_000,
      worker,
      quick,
    }),
};

async function main(): Promise<void> {
  const started = performance.now();
  console.log(
    `docsync bench${quick ? ' (quick)' : ''}: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, worker ${compiled ? `compiled dist/ (built ${statSync(COMPILED_MAIN).mtime.toISOString().slice(0, 16)}Z)` : 'under tsx (no dist/, or --tsx)'}`,
  );
  const services = await startBenchServices();
  const rows: FigureRow[] = [];
  const errors: string[] = [];
  try {
    for (const [name, run] of Object.entries(figures)) {
      if (only && !only.has(name)) continue;
      const t0 = performance.now();
      try {
        const got = await run(services);
        rows.push(...got);
        console.log(`  ${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      } catch (err) {
        const message = `${name}: ${(err as Error).stack ?? err}`;
        errors.push(message);
        console.error(`  ${name} FAILED to measure: ${message}`);
      }
    }
  } finally {
    await services.stop();
  }
  printTable(rows);
  const seconds = (performance.now() - started) / 1000;
  const file = fileURLToPath(new URL('./results.json', import.meta.url));
  writeResults(file, rows, { quick, seconds, errors });
  console.log(
    `total ${seconds.toFixed(0)} s; results in ${file}${errors.length ? `; ${errors.length} figure(s) could not be measured` : ''}`,
  );
}

main()
  .catch((err) => console.error(`bench failed: ${(err as Error).stack ?? err}`))
  .finally(() => process.exit(0));
