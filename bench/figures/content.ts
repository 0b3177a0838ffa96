// Content figure: a first sync of small and 1 MiB `.txt` files through syncUser on the production
// worker (batches for small documents, children for the rest; built-in extraction), against the
// machine's `limit` (physical work only) and a p-limit pipeline over the same activity code.
import type { CorpusOptions } from '../../test/fakes/dropbox/corpus.js';
import { plainContent, plainListing } from '../plain.js';
import { cpuMeter, formatShares } from '../proc-stats.js';
import { createBenchEnv, type BenchServices } from '../services.js';
import { expectRows, seconds, startSync } from '../sync.js';
import type { FigureRow } from '../table.js';
import { startWorkerProcess, type WorkerTuning } from '../worker-process.js';
import { measureLimit } from './limit.js';

export interface ContentOptions {
  /** 2 KiB files. */
  count: number;
  /** 1 MiB files on top. */
  large: number;
  pageSize: number;
  maxInFlight: number;
  worker: WorkerTuning;
  /** In-flight downloads of the `limit` script this figure is compared with. */
  limitConcurrency: number;
}

// The users figure compares its aggregate with this run's content rate (when content ran first).
let measuredRate: number | undefined;

/** syncUser docs/s of the content figure in this run, if it ran. */
export function contentRate(): number | undefined {
  return measuredRate;
}

export async function contentFigure(services: BenchServices, opts: ContentOptions): Promise<FigureRow[]> {
  const corpus: CorpusOptions = { count: opts.count, fileSize: 2048, extra: { count: opts.large, fileSize: 2 ** 20 } };
  const docs = opts.count + opts.large;
  const limit = await measureLimit(services, { corpus, concurrency: opts.limitConcurrency });

  const plain = await createBenchEnv(services, 'content_plain', corpus);
  let plainRate: number;
  try {
    const t0 = performance.now();
    await plainContent(plain, await plainListing(plain, opts.pageSize), opts.maxInFlight);
    plainRate = docs / seconds(t0);
    await expectRows(plain.pool, plain.name, 'fetched', docs);
  } finally {
    await plain.close();
  }

  const env = await createBenchEnv(services, 'content_wf', corpus);
  const worker = await startWorkerProcess(services, env, opts.worker);
  let wfRate: number;
  let cpuMs: number;
  let shares: string;
  let rss: number;
  try {
    const sampler = setInterval(() => worker.peakRssMiB(), 500);
    const cpu0 = worker.cpuMs();
    const meter = cpuMeter({ worker: [worker.pid], postgres: services.postgres.pid(), temporal: services.temporal.pid() });
    const t0 = performance.now(); // before the workflow starts: start latency counts
    const handle = await startSync(
      services.client,
      env.taskQueue,
      env.syncInput(opts.pageSize, { once: true, maxInFlight: opts.maxInFlight }),
    );
    await handle.result().finally(() => clearInterval(sampler));
    wfRate = docs / seconds(t0);
    measuredRate = wfRate;
    cpuMs = worker.cpuMs() - cpu0;
    shares = formatShares(meter.stop());
    rss = worker.peakRssMiB();
    await expectRows(env.pool, env.name, 'fetched', docs);
  } finally {
    await worker.stop();
    await env.close();
  }

  const what = `${opts.count} × 2 KiB + ${opts.large} × 1 MiB .txt, listing included, window ${opts.maxInFlight}`;
  return [
    {
      figure: 'content',
      metric: 'syncUser first sync',
      value: wfRate,
      unit: 'docs/s',
      target: { op: '>=', value: 400 },
      detail: `${what}; ${shares}`,
    },
    {
      figure: 'content',
      metric: 'ratio syncUser / limit',
      value: wfRate / limit.rate,
      unit: '×',
      target: { op: '>=', value: 0.6 },
      detail: `limit ${limit.rate.toFixed(0)} docs/s (${limit.concurrency} in flight)`,
    },
    {
      figure: 'content',
      metric: 'worker CPU per 2 KiB document',
      value: cpuMs / opts.count,
      unit: 'ms',
      target: { op: '<=', value: 2 },
      detail: `utime+stime of the worker process over the run (${(cpuMs / 1000).toFixed(1)} s, the 1 MiB files included) ÷ ${opts.count}`,
    },
    {
      figure: 'content',
      metric: 'peak worker RSS',
      value: rss,
      unit: 'MiB',
      target: { op: '<=', value: 250 },
      detail: 'VmHWM of the worker process',
    },
    {
      figure: 'content',
      metric: 'plain p-limit pipeline',
      value: plainRate,
      unit: 'docs/s',
      detail: `same activity code, no Temporal, ${opts.maxInFlight} in flight`,
    },
    { figure: 'content', metric: 'ratio syncUser / plain', value: wfRate / plainRate, unit: '×', target: { op: '>=', value: 0.5 } },
  ];
}
