// Builds the docsync worker: workflows bundled from src/workflows, activities wired to a real
// Postgres pool, blob store and credential store.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PayloadCodec } from '@temporalio/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { bundleWorkflowCode, type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/index.js';
import { ConfigError } from '../core/errors.js';
import { BlobStore } from '../store/blobs.js';
import type { CredentialStore } from '../store/credentials.js';
import { activityDurationInterceptor } from './metrics.js';
import { runsActivities, runsWorkflows, type WorkerRole } from './roles.js';
import { demotedLogger, runtimeLogger } from './runtime.js';
import { prebuiltWorkflowBundle } from './workflow-bundle.js';

export interface DocsyncWorkerOptions {
  connection: NativeConnection;
  /** all (default) | workflows (no activity code imported) | activities (no workflow bundle or V8 context). */
  role?: WorkerRole;
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

/** This module runs compiled (dist/workers/worker.js) rather than from src/ through tsx or vitest. */
const COMPILED = import.meta.url.endsWith('.js');

/**
 * Where a worker's workflow code comes from: a bundle the caller passes (tests, DOCSYNC_WORKFLOW_BUNDLE),
 * else in a compiled install the build's prebuilt bundle (checked against the compiled code), else the
 * sources bundled at start. Development runs from src/ and never reads dist/, so a bundle left there by
 * an earlier build cannot shadow edited workflows; production (NODE_ENV=production) never bundles at start.
 */
async function workflowCode(options: DocsyncWorkerOptions): Promise<Pick<WorkerOptions, 'workflowBundle'>> {
  if (options.workflowBundle) return { workflowBundle: options.workflowBundle };
  if (COMPILED) {
    const prebuilt = prebuiltWorkflowBundle(fileURLToPath(new URL('..', import.meta.url)));
    if (prebuilt) {
      options.logger.info({ workflowBundle: prebuilt.codePath }, 'loading the prebuilt workflow bundle');
      return { workflowBundle: prebuilt };
    }
    if (process.env.NODE_ENV === 'production')
      throw new ConfigError('no prebuilt workflow bundle beside the compiled worker: build with `npm run build`, which writes one', [
        'workflowBundle',
      ]);
    options.logger.warn('compiled worker without a prebuilt workflow bundle: bundling the workflows at start (`npm run build` writes one)');
  }
  return { workflowBundle: await quietBundle() };
}

export async function createDocsyncWorker(options: DocsyncWorkerOptions): Promise<Worker> {
  const activities = runsActivities(options.role) ? await loadActivities(options) : undefined;
  const workflows = runsWorkflows(options.role) ? await workflowCode(options) : {};
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(activities ? { activities } : {}),
    ...(activities && options.metrics ? { interceptors: { activity: [activityDurationInterceptor(options.metrics)] } } : {}),
    ...workflows,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
    maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions ?? 40,
    ...(options.maxCachedWorkflows ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    shutdownGraceTime: options.shutdownGraceTime ?? '30 seconds',
    ...(options.payloadCodec ? { dataConverter: { payloadCodecs: [options.payloadCodec] } } : {}),
  });
}

/**
 * The activity side, imported only by roles that run it: a workflows-only worker then never loads
 * extractors, the pipeline or connector code (roles test: module log of a workflows worker).
 */
async function loadActivities(options: DocsyncWorkerOptions) {
  const blobs = options.blobs ?? new BlobStore(options.blobDir);
  // Temp files of a worker that crashed mid-download are never renamed into the store: sweep the old ones.
  const swept = await blobs.sweepTemp();
  if (swept > 0) options.logger.info({ swept }, 'removed stale blob temp files');
  const { createActivities } = await import('../activities/index.js');
  return createActivities({
    pool: options.pool,
    blobs,
    logger: options.logger,
    credentials: options.credentials,
    limits: options.limits,
    tikaUrl: options.tikaUrl,
    metrics: options.metrics,
  });
}
