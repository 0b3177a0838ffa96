// Incremental figure: API calls and wall time of a second sync after `changes` edits in
// `count` documents, as a fraction of the first (full, with content) sync of the same user.
import { syncNowSignal } from '../../src/workflows/definitions.js';
import { apiCalls, createBenchEnv, type BenchServices } from '../services.js';
import { expectRows, seconds, startSync, waitCaughtUp } from '../sync.js';
import type { FigureRow } from '../table.js';
import { startWorkerProcess, type WorkerTuning } from '../worker-process.js';

export interface IncrementalOptions {
  count: number;
  changes: number;
  pageSize: number;
  maxInFlight: number;
  worker: WorkerTuning;
}

export async function incrementalFigure(services: BenchServices, opts: IncrementalOptions): Promise<FigureRow[]> {
  const env = await createBenchEnv(services, 'incremental', { count: opts.count, fileSize: 1024 });
  const worker = await startWorkerProcess(services, env, opts.worker);
  try {
    let t0 = performance.now();
    const handle = await startSync(
      services.client,
      env.taskQueue,
      env.syncInput(opts.pageSize, { maxInFlight: opts.maxInFlight, syncIntervalSeconds: 24 * 3600 }),
    );
    const first = await waitCaughtUp(handle);
    const firstSeconds = seconds(t0);
    const firstCalls = apiCalls(env.fake);
    await expectRows(env.pool, env.name, 'fetched', opts.count);

    env.fake.resetRecording();
    const step = Math.floor(opts.count / opts.changes);
    for (let i = 0; i < opts.changes; i++) env.corpus.touch(i * step);
    t0 = performance.now();
    await handle.signal(syncNowSignal);
    const second = await waitCaughtUp(handle, first.lastSyncAt);
    const secondSeconds = seconds(t0);
    const secondCalls = apiCalls(env.fake);
    const refetched = second.counters.fetched - first.counters.fetched;
    if (refetched !== opts.changes) throw new Error(`incremental sync fetched ${refetched} documents, expected ${opts.changes}`);
    await handle.terminate('benchmark done');

    const detail = `${opts.changes} changes in ${opts.count} docs`;
    return [
      {
        figure: 'incremental',
        metric: 'first sync: API calls / time',
        value: firstCalls,
        unit: `calls / ${firstSeconds.toFixed(1)} s`,
        detail,
      },
      {
        figure: 'incremental',
        metric: 'second sync: API calls / time',
        value: secondCalls,
        unit: `calls / ${secondSeconds.toFixed(2)} s`,
        detail,
      },
      {
        figure: 'incremental',
        metric: 'calls, second / first',
        value: (100 * secondCalls) / firstCalls,
        unit: '%',
        target: { op: '<=', value: 2 },
      },
      { figure: 'incremental', metric: 'wall time, second / first', value: (100 * secondSeconds) / firstSeconds, unit: '%' },
    ];
  } finally {
    await worker.stop();
    await env.close();
  }
}
