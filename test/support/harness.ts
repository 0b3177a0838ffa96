// Per-suite test harness on the real services started by test/global-setup.ts: a fresh
// database, a unique task queue, a Temporal client, and workers that can be stopped and
// restarted mid-sync (crash/restart scenarios).
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { pino, type Logger } from 'pino';
import { inject } from 'vitest';
import { createDatabase } from '../../src/devstack/postgres.js';
import { createPool } from '../../src/store/db.js';
import { stopAfterTest } from './cleanup.js';
import { migrate } from '../../src/store/migrate.js';
import { CredentialStore, secretKeyFrom } from '../../src/store/credentials.js';
import { installRuntimeOnce } from '../../src/workers/runtime.js';
import { createDocsyncWorker, workflowsPath, type DocsyncWorkerOptions } from '../../src/workers/worker.js';
import { statusQuery, syncWorkflowId } from '../../src/workflows/definitions.js';
import type { SyncStatus, SyncUserInput } from '../../src/workflows/types.js';

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundles the workflows once per test file (≈2 s) and reuses the bundle for every worker. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietBundlerLogger });
  return bundlePromise;
}

const quietBundlerLogger = {
  trace() {}, debug() {}, info() {}, warn() {},
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

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

export const TEST_SECRET_KEY = 'test-secret-key-for-docsync-tests';

export async function createHarness(name: string): Promise<Harness> {
  installRuntimeOnce('ERROR');
  const suffix = `${name}_${randomUUID().slice(0, 8)}`.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
  const databaseUrl = await createDatabase(inject('databaseUrl'), `t_${suffix}`);
  const pool = createPool(databaseUrl, 10);
  await migrate(pool);
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = `docsync-${suffix}`;
  const blobDir = mkdtempSync(path.join(os.tmpdir(), 'docsync-blobs-'));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const credentials = new CredentialStore(pool, secretKeyFrom(TEST_SECRET_KEY));
  const running = new Set<RunningWorker>();

  const harness: Harness = {
    pool, databaseUrl, client, taskQueue, namespace, address, blobDir, credentials, logger,
    async startWorker(overrides = {}) {
      const worker = await createDocsyncWorker({
        connection: nativeConnection,
        namespace,
        taskQueue,
        pool,
        blobDir,
        logger,
        credentials,
        workflowBundle: await workflowBundle(),
        shutdownGraceTime: '10 seconds',
        ...overrides,
      });
      const done = worker.run();
      const handle: RunningWorker = {
        worker,
        async stop() {
          running.delete(handle);
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await done;
        },
      };
      running.add(handle);
      // A failing assertion must not leave this worker polling the queue for the next test.
      stopAfterTest(() => handle.stop());
      return handle;
    },
    async startSync(input, workflowId = syncWorkflowId(input.connector, input.userId)) {
      return client.workflow.start('syncUser', { taskQueue, workflowId, args: [input] });
    },
    async status(handle) {
      return handle.query(statusQuery);
    },
    async close() {
      for (const w of [...running]) await w.stop();
      await nativeConnection.close();
      await connection.close();
      await pool.end();
    },
  };
  return harness;
}

/** Polls `check` until it returns a truthy value (or throws the last error after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
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
