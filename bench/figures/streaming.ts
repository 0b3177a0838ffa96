// Streaming figure: peak RSS of the worker process while it syncs one big file (default 1 GiB)
// streamed by the fake, hashed into the blob store and text-extracted up to the text cap.
import { createBenchEnv, type BenchServices } from '../services.js';
import { expectRows, seconds, startSync } from '../sync.js';
import type { FigureRow } from '../table.js';
import { startWorkerProcess } from '../worker-process.js';

export async function streamingFigure(services: BenchServices, opts: { bytes: number }): Promise<FigureRow[]> {
  const env = await createBenchEnv(services, 'streaming', { count: 1, fileSize: opts.bytes });
  const worker = await startWorkerProcess(services, env, { maxBytes: 2 * opts.bytes });
  try {
    const idle = worker.peakRssMiB();
    const t0 = performance.now();
    const handle = await startSync(services.client, env.taskQueue, env.syncInput(10, { once: true }));
    await handle.result();
    const total = seconds(t0);
    const rss = worker.peakRssMiB();
    await expectRows(env.pool, env.name, 'fetched', 1);
    const stored = await env.pool.query<{ size: string }>('SELECT content_size AS size FROM documents WHERE user_id = $1', [env.name]);
    if (Number(stored.rows[0].size) !== opts.bytes) throw new Error(`streamed ${stored.rows[0].size} bytes, expected ${opts.bytes}`);
    const mib = opts.bytes / 2 ** 20;
    return [
      {
        figure: 'streaming',
        metric: 'worker RSS before the sync (idle)',
        value: idle,
        unit: 'MiB',
        detail: 'production entry point, pre-built workflow bundle',
      },
      {
        figure: 'streaming',
        metric: `peak worker RSS, one ${mib} MiB file`,
        value: rss,
        unit: 'MiB',
        target: { op: '<=', value: 300 },
        detail: `${(mib / total).toFixed(0)} MiB/s end to end (${total.toFixed(1)} s)`,
      },
    ];
  } finally {
    await worker.stop();
    await env.close();
  }
}
