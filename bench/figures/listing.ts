// Listing figure: documents/second through syncUser (metadata only) vs. the same activity code
// in a plain loop, each against its own generated Dropbox and its own database.
import { plainListing } from '../plain.js';
import { createBenchEnv, type BenchServices } from '../services.js';
import { expectRows, seconds, startSync } from '../sync.js';
import type { FigureRow } from '../table.js';
import { startWorkerProcess } from '../worker-process.js';

export async function listingFigure(services: BenchServices, opts: { count: number; pageSize: number }): Promise<FigureRow[]> {
  const corpus = { count: opts.count, fileSize: 256 };

  const plain = await createBenchEnv(services, 'listing_plain', corpus);
  let plainRate: number;
  try {
    const t0 = performance.now();
    await plainListing(plain, opts.pageSize);
    plainRate = opts.count / seconds(t0);
    await expectRows(plain.pool, plain.name, 'pending', opts.count);
  } finally {
    await plain.close();
  }

  const env = await createBenchEnv(services, 'listing_wf', corpus);
  const worker = await startWorkerProcess(services, env);
  let wfRate: number;
  try {
    const t0 = performance.now();
    const handle = await startSync(services.client, env.taskQueue, env.syncInput(opts.pageSize, { fetchContent: false, once: true }));
    await handle.result();
    wfRate = opts.count / seconds(t0);
    await expectRows(env.pool, env.name, 'pending', opts.count);
  } finally {
    await worker.stop();
    await env.close();
  }

  const detail = `${opts.count} docs, page size ${opts.pageSize}`;
  return [
    { figure: 'listing', metric: 'syncUser metadata-only', value: wfRate, unit: 'docs/s', detail },
    { figure: 'listing', metric: 'plain loop, no Temporal', value: plainRate, unit: 'docs/s', detail },
    { figure: 'listing', metric: 'ratio syncUser / plain', value: wfRate / plainRate, unit: '×', target: { op: '>=', value: 0.8 } },
  ];
}
