// Content figure: documents/second through syncUser (small files in retrieveDataBatch batches, the rest
// in retrieveDoc children; built-in extraction) vs. a p-limit pipeline over the same activity code.
import { plainContent, plainListing } from '../plain.js';
import { createBenchEnv, type BenchServices } from '../services.js';
import { expectRows, seconds, startSync } from '../sync.js';
import type { FigureRow } from '../table.js';
import { startWorkerProcess, type WorkerTuning } from '../worker-process.js';

export interface ContentOptions {
  count: number;
  pageSize: number;
  maxInFlight: number;
  worker: WorkerTuning;
}

export async function contentFigure(services: BenchServices, opts: ContentOptions): Promise<FigureRow[]> {
  const corpus = { count: opts.count, fileSize: 2048 };

  const plain = await createBenchEnv(services, 'content_plain', corpus);
  let plainRate: number;
  try {
    const t0 = performance.now();
    await plainContent(plain, await plainListing(plain, opts.pageSize), opts.maxInFlight);
    plainRate = opts.count / seconds(t0);
    await expectRows(plain.pool, plain.name, 'fetched', opts.count);
  } finally {
    await plain.close();
  }

  const env = await createBenchEnv(services, 'content_wf', corpus);
  const worker = await startWorkerProcess(services, env, opts.worker);
  let wfRate: number;
  try {
    const t0 = performance.now();
    const handle = await startSync(
      services.client,
      env.taskQueue,
      env.syncInput(opts.pageSize, { once: true, maxInFlight: opts.maxInFlight }),
    );
    await handle.result();
    wfRate = opts.count / seconds(t0);
    await expectRows(env.pool, env.name, 'fetched', opts.count);
  } finally {
    await worker.stop();
    await env.close();
  }

  const detail = `${opts.count} × 2 KiB .txt, listing included on both sides, ${opts.maxInFlight} in flight`;
  return [
    { figure: 'content', metric: 'syncUser (batches + children)', value: wfRate, unit: 'docs/s', detail },
    { figure: 'content', metric: 'plain p-limit pipeline', value: plainRate, unit: 'docs/s', detail },
    { figure: 'content', metric: 'ratio syncUser / plain', value: wfRate / plainRate, unit: '×', target: { op: '>=', value: 0.5 } },
  ];
}
