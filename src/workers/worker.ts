// Builds the docsync worker: workflows bundled from src/workflows, activities wired to a real
// Postgres pool, blob store and credential store.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PayloadCodec } from '@temporalio/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { bundleWorkflowCode, type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { BlobStore } from '../store/blobs.js';
import type { CredentialStore } from '../store/credentials.js';
import { activityDurationInterceptor } from './metrics.js';
import { demotedLogger, runtimeLogger } from './runtime.js';

export interface DocsyncWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  pool: Pool;
  blobDir: string;
  /** The blob store over `blobDir`, when the caller shares one (the engine does). */
  blobs?: BlobStore;
  logger: Logger;
  credentials?: CredentialStore;
  limits?: ActivityDeps['limits'];
  tikaUrl?: string;
  metrics?: ActivityDeps['metrics'];
  /** Pre-bundled workflow code (tests bundle once and reuse it). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /**
   * Workflows kept in the worker's sticky cache (unset: the SDK's default, sized from the heap limit,
   * thousands on a large machine). Each cached syncUser costs ~0.5 MiB; an evicted one replays its
   * history when it next wakes.
   */
  maxCachedWorkflows?: number;
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /** Encrypts every payload (DOCSYNC_PAYLOAD_KEY); clients need the same codec. */
  payloadCodec?: PayloadCodec;
}

export function workflowsPath(): string {
  const ts = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('../workflows/index.js', import.meta.url));
}

/** Bundles the workflows with webpack's ~20-line report at DEBUG: shown only with LOG_LEVEL=debug. */
async function quietBundle(): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  return bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: demotedLogger(runtimeLogger()) });
}

export async function createDocsyncWorker(options: DocsyncWorkerOptions): Promise<Worker> {
  const blobs = options.blobs ?? new BlobStore(options.blobDir);
  // Temp files of a worker that crashed mid-download are never renamed into the store: sweep the old ones.
  const swept = await blobs.sweepTemp();
  if (swept > 0) options.logger.info({ swept }, 'removed stale blob temp files');
  const activities = createActivities({
    pool: options.pool,
    blobs,
    logger: options.logger,
    credentials: options.credentials,
    limits: options.limits,
    tikaUrl: options.tikaUrl,
    metrics: options.metrics,
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities,
    ...(options.metrics ? { interceptors: { activity: [activityDurationInterceptor(options.metrics)] } } : {}),
    workflowBundle: options.workflowBundle ?? (await quietBundle()),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
    maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions ?? 40,
    ...(options.maxCachedWorkflows ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    shutdownGraceTime: options.shutdownGraceTime ?? '30 seconds',
    ...(options.payloadCodec ? { dataConverter: { payloadCodecs: [options.payloadCodec] } } : {}),
  });
}
