// Runs the production worker entry point (src/workers/main.ts under tsx, or the compiled
// dist/workers/main.js) as a child process, so its peak RSS (VmHWM) is the worker's own and not the
// benchmark driver's or the fake's.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { WorkerRole } from '../src/workers/roles.js';
import { peakRssMiB as readPeakRss, processCpuMs, rssMiB } from './proc-stats.js';
import { BENCH_SECRET_KEY, type BenchEnv, type BenchServices } from './services.js';

const MAIN = fileURLToPath(new URL('../src/workers/main.ts', import.meta.url));
/** `npm run build` output: what production runs (plain node, no tsx). */
export const COMPILED_MAIN = fileURLToPath(new URL('../dist/workers/main.js', import.meta.url));

export interface WorkerTuning {
  maxConcurrentActivities?: number;
  dbPoolMax?: number;
  maxBytes?: number;
  /** false: the worker bundles the workflows itself at start (as without DOCSYNC_WORKFLOW_BUNDLE). */
  bundle?: boolean;
  /** Wait until this many pollers serve the task queue (the 2nd worker of a queue waits for 2). */
  pollers?: number;
  /** DOCSYNC_WORKER_ROLE (default all). */
  role?: WorkerRole;
  /** Run dist/workers/main.js with plain node (throws when there is no build). */
  compiled?: boolean;
  /** More environment for the worker process (e.g. the README's memory settings for activity workers). */
  env?: Record<string, string>;
}

/** What a worker needs of a bench environment: its queue, database and blob dir. */
export type WorkerEnv = Pick<BenchEnv, 'taskQueue' | 'databaseUrl' | 'blobDir'>;

export interface WorkerProcess {
  pid: number;
  /** Peak resident set size so far, MiB (VmHWM from /proc). */
  peakRssMiB(): number;
  /** Resident set size now, MiB (VmRSS). */
  rssMiB(): number;
  /** utime + stime of the worker process so far, ms (/proc/<pid>/stat). */
  cpuMs(): number;
  stop(): Promise<void>;
}

export async function startWorkerProcess(services: BenchServices, env: WorkerEnv, tuning: WorkerTuning = {}): Promise<WorkerProcess> {
  const { client } = services;
  if (tuning.compiled && !existsSync(COMPILED_MAIN)) throw new Error(`no build at ${COMPILED_MAIN}: run npm run build`);
  // Extra node flags for measuring the worker (--cpu-prof, a memory probe preload): bench/worker-memory-probe.mjs.
  const nodeArgs = (process.env.DOCSYNC_BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, tuning.compiled ? [...nodeArgs, COMPILED_MAIN] : ['--import', 'tsx', ...nodeArgs, MAIN], {
    env: {
      ...process.env,
      ...(tuning.role ? { DOCSYNC_WORKER_ROLE: tuning.role } : {}),
      ...tuning.env,
      TEMPORAL_ADDRESS: services.temporal.address,
      ...(tuning.bundle === false ? {} : { DOCSYNC_WORKFLOW_BUNDLE: services.bundlePath }),
      TEMPORAL_NAMESPACE: client.options.namespace,
      DOCSYNC_TASK_QUEUE: env.taskQueue,
      DATABASE_URL: env.databaseUrl,
      DOCSYNC_BLOB_DIR: env.blobDir,
      DOCSYNC_SECRET_KEY: BENCH_SECRET_KEY,
      DOCSYNC_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      ...(tuning.maxConcurrentActivities ? { DOCSYNC_MAX_CONCURRENT_ACTIVITIES: String(tuning.maxConcurrentActivities) } : {}),
      ...(tuning.dbPoolMax ? { DOCSYNC_DB_POOL_MAX: String(tuning.dbPoolMax) } : {}),
      ...(tuning.maxBytes ? { DOCSYNC_MAX_BYTES: String(tuning.maxBytes) } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    // An activities-only worker never polls workflow tasks: wait for its activity poller instead.
    const taskQueueType = tuning.role === 'activities' ? 2 : 1;
    await waitForPoller(client, env.taskQueue, child, () => stderr, tuning.pollers ?? 1, taskQueueType);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  let lastPeak = 0;
  return {
    pid: child.pid!,
    cpuMs() {
      return processCpuMs(child.pid!);
    },
    rssMiB() {
      return rssMiB(child.pid!);
    },
    peakRssMiB() {
      lastPeak = Math.max(lastPeak, readPeakRss(child.pid!));
      return lastPeak;
    },
    async stop() {
      if (child.exitCode === null) {
        lastPeak = Math.max(lastPeak, readPeakRss(child.pid!));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', killOnExit);
    },
  };
}

/** The worker is ready once it polls its task queue (workflow tasks: type 1, activity tasks: type 2). */
async function waitForPoller(
  client: Client,
  taskQueue: string,
  child: ChildProcess,
  stderr: () => string,
  pollers: number,
  taskQueueType: 1 | 2,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`bench worker exited with code ${child.exitCode}: ${stderr()}`);
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType,
    });
    if ((res.pollers?.length ?? 0) >= pollers) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`bench worker did not poll task queue ${taskQueue} within 60 s: ${stderr()}`);
}
