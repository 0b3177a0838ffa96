// Per-suite test harness on the real services started by test/global-setup.ts: an engine
// (workers/engine.ts) on a fresh database and a unique task queue, with workers that can be stopped
// and restarted mid-sync (crash/restart scenarios); `useHarness` registers its setup and teardown.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, inject } from 'vitest';
import { createDatabase } from '../../src/devstack/postgres.js';
import { stopAfterTest } from './cleanup.js';
import type { CredentialStore } from '../../src/store/credentials.js';
import { createEngine, type RunningWorker } from '../../src/workers/engine.js';
import { workflowsPath, type DocsyncWorkerOptions } from '../../src/workers/worker.js';
import { querySyncStatus, startSyncUser } from '../../src/workflows/client.js';
import { syncWorkflowId } from '../../src/workflows/definitions.js';
import type { SyncStatus, SyncUserInput } from '../../src/workflows/types.js';

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundles the workflows once per test file (≈2 s) and reuses the bundle for every worker. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietBundlerLogger });
  return bundlePromise;
}

const quietBundlerLogger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error: (message: string, meta?: unknown) => console.error(message, meta),
  log() {},
};

export interface Harness {
  pool: Pool;
  databaseUrl: string;
  client: Client;
  taskQueue: string;
  namespace: string;
  address: string;
  blobDir: string;
  credentials: CredentialStore;
  logger: Logger;
  /** Starts a worker running in the background; `stop()` drains and shuts it down. */
  startWorker(overrides?: Partial<DocsyncWorkerOptions>): Promise<RunningWorker>;
  startSync(input: SyncUserInput, workflowId?: string): Promise<WorkflowHandle>;
  status(handle: WorkflowHandle): Promise<SyncStatus>;
  close(): Promise<void>;
}

export type { RunningWorker };

export const TEST_SECRET_KEY = 'test-secret-key-for-docsync-tests';

export async function createHarness(name: string): Promise<Harness> {
  const suffix = `${name}_${randomUUID().slice(0, 8)}`.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
  const databaseUrl = await createDatabase(inject('databaseUrl'), `t_${suffix}`);
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const taskQueue = `docsync-${suffix}`;
  const blobDir = mkdtempSync(path.join(os.tmpdir(), 'docsync-blobs-'));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const engine = await createEngine({
    databaseUrl,
    address,
    namespace,
    taskQueue,
    blobDir,
    logger,
    secretKey: TEST_SECRET_KEY,
    worker: { shutdownGraceTime: '10 seconds' },
  });
  const { pool, client, credentials } = engine;

  const harness: Harness = {
    pool,
    databaseUrl,
    client,
    taskQueue,
    namespace,
    address,
    blobDir,
    credentials,
    logger,
    async startWorker(overrides = {}) {
      const handle = await engine.startWorker({ workflowBundle: await workflowBundle(), ...overrides });
      // A failing assertion must not leave this worker polling the queue for the next test.
      stopAfterTest(() => handle.stop());
      return handle;
    },
    async startSync(input, workflowId = syncWorkflowId(input.connector, input.userId)) {
      return startSyncUser(client, input, { taskQueue, workflowId });
    },
    async status(handle) {
      return querySyncStatus(handle);
    },
    close: () => engine.close(),
  };
  return harness;
}

export interface UseHarnessOptions {
  /** Start a worker once the harness exists: `true` for the defaults, or the worker's overrides. */
  worker?: boolean | Partial<DocsyncWorkerOptions>;
  /** Runs after the harness (and its worker) exist: fakes, CLI env... */
  setup?(h: Harness): Promise<unknown>;
  /** Runs after the harness closed, also when setup failed half way (make it tolerate that). */
  teardown?(): Promise<unknown>;
  /** Hook timeout for the setup (default: the config's hookTimeout). */
  timeout?: number;
}

/**
 * The harness of a file or describe block: registers its beforeAll/afterAll and returns the harness
 * as a lazy object, usable in the tests (and hooks registered after this call) once setup ran.
 * Teardown runs even when setup failed part way.
 */
export function useHarness(name: string, options: UseHarnessOptions = {}): Harness {
  let current: Harness | undefined;
  beforeAll(async () => {
    current = await createHarness(name);
    if (options.worker) await current.startWorker(options.worker === true ? {} : options.worker);
    await options.setup?.(current);
  }, options.timeout);
  afterAll(async () => {
    try {
      await current?.close();
    } finally {
      await options.teardown?.();
    }
  });
  return new Proxy({} as Harness, {
    get(_target, key) {
      if (!current) throw new Error(`harness '${name}' used before its beforeAll ran (or its setup failed)`);
      return current[key as keyof Harness];
    },
  });
}

/** Polls `check` until it returns a truthy value (or throws the last error after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 180_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
