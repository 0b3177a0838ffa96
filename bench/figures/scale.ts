// Scale figure: one user with many documents synced with content through the production worker
// process: events per workflow run, largest payload in any history, peak worker RSS, total time.
import { historyStats, childPayloadSample } from '../history.js';
import { createBenchEnv, type BenchServices } from '../services.js';
import { expectRows, seconds, startSync } from '../sync.js';
import type { FigureRow } from '../table.js';
import { startWorkerProcess, type WorkerTuning } from '../worker-process.js';

export interface ScaleOptions {
  count: number;
  pageSize: number;
  maxInFlight: number;
  maxHistoryEvents?: number;
  /** false: metadata only (no retrieveDoc children), to reach 100k documents in minutes. */
  fetchContent: boolean;
  worker: WorkerTuning;
}

export async function scaleFigure(services: BenchServices, opts: ScaleOptions): Promise<FigureRow[]> {
  const label = opts.fetchContent ? 'scale+content' : 'scale';
  const env = await createBenchEnv(services, opts.fetchContent ? 'scale_content' : 'scale_metadata', { count: opts.count, fileSize: 512 });
  const worker = await startWorkerProcess(services, env, opts.worker);
  try {
    const t0 = performance.now();
    const sampler = setInterval(() => worker.peakRssMiB(), 1000);
    const handle = await startSync(
      services.client,
      env.taskQueue,
      env.syncInput(opts.pageSize, {
        once: true,
        fetchContent: opts.fetchContent,
        maxInFlight: opts.maxInFlight,
        maxHistoryEvents: opts.maxHistoryEvents,
      }),
    );
    await handle.result().finally(() => clearInterval(sampler));
    const total = seconds(t0);
    const rss = worker.peakRssMiB();
    await expectRows(env.pool, env.name, opts.fetchContent ? 'fetched' : 'pending', opts.count);
    const parent = await historyStats(services.client, handle.workflowId);
    const childLargest = opts.fetchContent ? await childPayloadSample(services.client, `doc/dropbox/${env.name}/`, 20) : 0;

    const what = opts.fetchContent
      ? `${opts.count} docs × 512 B with content, ${opts.maxInFlight} in flight`
      : `${opts.count} docs, metadata only`;
    const detail = `${what}, page ${opts.pageSize}, max history ${opts.maxHistoryEvents ?? 8000} events`;
    return [
      {
        figure: label,
        metric: 'max events in one syncUser run',
        value: parent.maxEventsPerRun,
        unit: 'events',
        target: { op: '<=', value: 10_000 },
        detail: `${parent.totalEvents} events in ${parent.runs} runs`,
      },
      {
        figure: label,
        metric: 'largest payload in any history',
        value: Math.max(parent.largestPayloadBytes, childLargest) / 1024,
        unit: 'KiB',
        target: { op: '<=', value: 64 },
        detail: opts.fetchContent ? 'all parent runs + 20 sampled children' : 'all parent runs',
      },
      {
        figure: label,
        metric: 'payload bytes in the biggest run',
        value: parent.maxPayloadBytesPerRun / 2 ** 20,
        unit: 'MiB',
        detail: 'lower bound of history size (limit 50 MB, warning 10 MB)',
      },
      {
        figure: label,
        metric: 'peak worker RSS',
        value: rss,
        unit: 'MiB',
        target: { op: '<=', value: 500 },
        detail: 'VmHWM of the worker process',
      },
      { figure: label, metric: 'total time', value: total, unit: 's', detail: `${(opts.count / total).toFixed(0)} docs/s; ${detail}` },
    ];
  } finally {
    await worker.stop();
    await env.close();
  }
}
