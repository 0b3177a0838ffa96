// worker-memory figure (issue #18 item 4): RSS of an activities-only worker process, idle and while
// it streams one big file (1 GiB; quick: 64 MiB) generated on the fly by the Dropbox fake over HTTP
// (never on disk before the worker writes its blob), hashed into the blob store and text-extracted
// up to the text cap. Workflow tasks run in a second, workflows-only worker process, as deployed
// with split roles. Measured on the compiled build (dist/) when there is one, else under tsx.
import { existsSync, statSync } from 'node:fs';
import { createBenchEnv, type BenchServices } from '../services.js';
import { expectRows, seconds, startSync } from '../sync.js';
import type { FigureRow } from '../table.js';
import { COMPILED_MAIN, startWorkerProcess } from '../worker-process.js';

/**
 * What README "Worker roles and sizing" recommends for activity workers: a 1 MiB young generation
 * (V8's default grows it to 16 MiB per semi-space, which a 64 KiB-chunk stream fills and keeps) and
 * two glibc malloc arenas (the default, 8 per core, gives the SDK's native threads and V8's helpers
 * arenas of their own that each keep freed memory resident).
 */
const ACTIVITY_WORKER_ENV = { NODE_OPTIONS: '--max-semi-space-size=1', MALLOC_ARENA_MAX: '2' };
const envText = Object.entries(ACTIVITY_WORKER_ENV)
  .map(([k, v]) => `${k}=${v}`)
  .join(' ');

export interface WorkerMemoryOptions {
  bytes: number;
  /** Quick runs stream a smaller file: their peak is not the 1 GiB target's reading. */
  quick: boolean;
}

export async function workerMemoryFigure(services: BenchServices, opts: WorkerMemoryOptions): Promise<FigureRow[]> {
  const compiled = existsSync(COMPILED_MAIN);
  const runtime = compiled
    ? `compiled dist/ (plain node, built ${statSync(COMPILED_MAIN).mtime.toISOString().slice(0, 16)}Z)`
    : 'tsx from src/ (no dist/: run npm run build to measure the compiled worker)';
  console.log(`  worker-memory: activities-only worker on ${runtime}, ${envText}`);
  const env = await createBenchEnv(services, 'worker_memory', { count: 1, fileSize: opts.bytes });
  const workflows = await startWorkerProcess(services, env, { role: 'workflows' });
  try {
    const activities = await startWorkerProcess(services, env, {
      role: 'activities',
      compiled,
      maxBytes: 2 * opts.bytes,
      env: ACTIVITY_WORKER_ENV,
    });
    try {
      const idle = activities.rssMiB();
      const startupPeak = activities.peakRssMiB();
      const t0 = performance.now();
      const handle = await startSync(services.client, env.taskQueue, env.syncInput(10, { once: true }));
      await handle.result();
      const total = seconds(t0);
      const peak = activities.peakRssMiB();
      await expectRows(env.pool, env.name, 'fetched', 1);
      const stored = await env.pool.query<{ size: string; text: string }>(
        'SELECT content_size AS size, octet_length(text) AS text FROM documents WHERE user_id = $1',
        [env.name],
      );
      if (Number(stored.rows[0].size) !== opts.bytes) throw new Error(`streamed ${stored.rows[0].size} bytes, expected ${opts.bytes}`);
      const mib = opts.bytes / 2 ** 20;
      const size = `${mib} MiB${opts.quick ? ' (quick; the target is for 1 GiB)' : ''}`;
      return [
        {
          figure: 'worker-memory',
          metric: 'activities-only worker: idle RSS',
          value: idle,
          unit: 'MiB',
          target: { op: '<=', value: 120 },
          detail: `VmRSS once polling, ${runtime}, ${envText}; start-up peak ${startupPeak.toFixed(0)} MiB`,
        },
        {
          figure: 'worker-memory',
          metric: `activities-only worker: peak RSS, one ${size} file`,
          value: peak,
          unit: 'MiB',
          target: { op: '<=', value: 200 },
          detail: `VmHWM; ${(mib / total).toFixed(0)} MiB/s end to end (${total.toFixed(1)} s); text stored ${(Number(stored.rows[0].text) / 2 ** 20).toFixed(1)} MiB (capped); workflows in a workflows-only process (${workflows.peakRssMiB().toFixed(0)} MiB peak)`,
        },
      ];
    } finally {
      await activities.stop();
    }
  } finally {
    await workflows.stop();
    await env.close();
  }
}
