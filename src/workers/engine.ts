// The one composition root: a migrated Postgres pool, the credential and blob stores, a Temporal
// client, and workers whose activities use them. The worker process, the demo, the conformance
// engine, the test harness and the benches all build their engine here.
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, type LogLevel, type Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { ActivityDeps, createActivities } from '../activities/index.js';
import { registerAppQuotas, type AppQuotasSettings } from '../connectors/shared/app-quota.js';
import { reserveAppQuota } from '../store/app-quotas.js';
import { BlobStore } from '../store/blobs.js';
import { CredentialStore, secretKeyFrom } from '../store/credentials.js';
import { createPool } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { installRuntimeOnce } from './runtime.js';
import { TemporalConnectFailure, type TemporalConnectOptions } from './temporal-connection.js';
import { createDocsyncWorker, type DocsyncWorkerOptions } from './worker.js';

export interface EngineOptions {
  databaseUrl: string;
  /** Postgres schema for docsync's tables (DOCSYNC_DB_SCHEMA); unset: the database's default search path. */
  databaseSchema?: string;
  /** Pool size (default 10). */
  poolMax?: number;
  /** Temporal frontend, e.g. `127.0.0.1:7233`. */
  address: string;
  /** TLS, API key and gRPC metadata for the client and the workers (loadTemporalSettings().connect). */
  connection?: Omit<TemporalConnectOptions, 'address'>;
  namespace: string;
  taskQueue: string;
  blobDir: string;
  logger: Logger;
  /** The credential store's key (DOCSYNC_SECRET_KEY); without one the engine has no credential store. */
  secretKey?: string;
  /** Pre-built workflow code (a bundle path, or a bundle made once and shared by many workers). */
  workflowBundle?: DocsyncWorkerOptions['workflowBundle'];
  /** Encrypts every payload of the client and the workers (DOCSYNC_PAYLOAD_KEY). */
  payloadCodec?: PayloadCodec;
  /** Settings every worker of this engine starts with; `startWorker(overrides)` adjusts one worker. */
  worker?: Partial<DocsyncWorkerOptions>;
  /** The Temporal runtime, installed once per process (default: log level ERROR, no core metrics). */
  runtime?: { logLevel?: LogLevel; prometheusBindAddress?: string };
  /** Per-connector app budgets shared by every worker on this database (DOCSYNC_APP_QUOTAS); none = no limit. */
  appQuotas?: AppQuotasSettings;
}

export interface RunningWorker {
  worker: Worker;
  /** Settles when the worker stopped (after SIGINT/SIGTERM or `stop()`, once in-flight tasks drained). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export interface Engine<Credentials extends CredentialStore | undefined = CredentialStore | undefined> {
  pool: Pool;
  client: Client;
  /** The task queue this engine's workers poll and its syncs start on. */
  taskQueue: string;
  credentials: Credentials;
  blobs: BlobStore;
  options: EngineOptions;
  /** Migrations this engine applied when it opened (empty when the schema was current). */
  applied: string[];
  /**
   * The activities a worker of this engine runs, for callers that invoke them without Temporal.
   * Imported on first use, so an engine that runs only workflows never loads extractors or connectors.
   */
  activities(overrides?: Partial<ActivityDeps>): Promise<ReturnType<typeof createActivities>>;
  /** Builds a worker on this engine's connection, stores and task queue (not yet running). */
  createWorker(overrides?: Partial<DocsyncWorkerOptions>): Promise<Worker>;
  /** Builds a worker and runs it in the background. */
  startWorker(overrides?: Partial<DocsyncWorkerOptions>): Promise<RunningWorker>;
  /** Stops running workers, then closes the connections and the pool. */
  close(): Promise<void>;
}

export function createEngine(options: EngineOptions & { secretKey: string }): Promise<Engine<CredentialStore>>;
export function createEngine(options: EngineOptions): Promise<Engine>;
export async function createEngine(options: EngineOptions): Promise<Engine> {
  installRuntimeOnce(options.runtime?.logLevel ?? 'ERROR', options.runtime?.prometheusBindAddress);
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    const pool = createPool(options.databaseUrl, options.poolMax ?? 10, options.databaseSchema);
    closers.push(() => pool.end());
    const applied = await migrate(pool);
    registerAppQuotas(pool, options.appQuotas, { reserve: (c, blockMs, maxWaitMs) => reserveAppQuota(pool, c, blockMs, maxWaitMs) });
    const connection = await Connection.connect(connectOptions(options)).catch((err: unknown) => {
      throw new TemporalConnectFailure(err);
    });
    closers.push(() => connection.close());
    // The first call proves the credentials: a TLS or API-key refusal surfaces here, not at connect.
    await connection.workflowService.getSystemInfo({}).catch((err: unknown) => {
      throw new TemporalConnectFailure(err);
    });
    const dataConverter = options.payloadCodec ? { payloadCodecs: [options.payloadCodec] } : undefined;
    const client = new Client({ connection, namespace: options.namespace, dataConverter });
    const credentials = options.secretKey ? new CredentialStore(pool, secretKeyFrom(options.secretKey)) : undefined;
    const blobs = new BlobStore(options.blobDir);
    return assemble({ options, pool, client, credentials, blobs, applied, closers, closeAll });
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function connectOptions(options: EngineOptions): TemporalConnectOptions {
  return { ...options.connection, address: options.address };
}

interface EngineParts {
  options: EngineOptions;
  pool: Pool;
  client: Client;
  credentials?: CredentialStore;
  blobs: BlobStore;
  applied: string[];
  closers: Array<() => Promise<unknown>>;
  closeAll(): Promise<void>;
}

/** Workers share one native connection, opened with the first worker (clients-only engines never open it). */
function assemble(parts: EngineParts): Engine {
  const { options, pool, credentials, blobs } = parts;
  let native: Promise<NativeConnection> | undefined;
  const nativeConnection = () => {
    if (!native) {
      native = NativeConnection.connect(connectOptions(options));
      parts.closers.push(async () => (await native)?.close());
    }
    return native;
  };
  const running = new Set<RunningWorker>();
  const engine: Engine = {
    pool,
    client: parts.client,
    taskQueue: options.taskQueue,
    credentials,
    blobs,
    options,
    applied: parts.applied,
    async activities(overrides = {}) {
      const { createActivities } = await import('../activities/index.js');
      return createActivities({ pool, blobs, logger: options.logger, credentials, ...overrides });
    },
    async createWorker(overrides = {}) {
      // A worker given its own blob dir gets its own store over it.
      const ownBlobDir = overrides.blobDir !== undefined && overrides.blobDir !== options.blobDir;
      return createDocsyncWorker({
        connection: await nativeConnection(),
        namespace: options.namespace,
        taskQueue: options.taskQueue,
        pool,
        credentials,
        blobs: ownBlobDir ? undefined : blobs,
        blobDir: options.blobDir,
        logger: options.logger,
        workflowBundle: options.workflowBundle,
        payloadCodec: options.payloadCodec,
        ...options.worker,
        ...overrides,
      });
    },
    async startWorker(overrides = {}) {
      const worker = await engine.createWorker(overrides);
      const done = worker.run();
      const handle: RunningWorker = {
        worker,
        done,
        async stop() {
          running.delete(handle);
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await done;
        },
      };
      running.add(handle);
      return handle;
    },
    async close() {
      for (const w of [...running]) await w.stop().catch(() => undefined);
      await parts.closeAll();
    },
  };
  return engine;
}
