// Services for one benchmark run: a Postgres cluster, a Temporal dev server, a Temporal client,
// and per-figure environments (an engine on a fresh database, stored credentials, a generated Dropbox fake).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Pool } from 'pg';
import { pino } from 'pino';
import { createDatabase, startPostgres, type PostgresHandle } from '../src/devstack/postgres.js';
import { startTemporal, type TemporalHandle } from '../src/devstack/temporal.js';
import type { createActivities } from '../src/activities/index.js';
import { createEngine } from '../src/workers/engine.js';
import { workflowsPath } from '../src/workers/worker.js';
import type { SyncUserInput, SyncOptions } from '../src/workflows/types.js';
import { GeneratedDropboxAccount, type CorpusOptions } from '../test/fakes/dropbox/corpus.js';
import { FakeDropbox } from '../test/fakes/dropbox/server.js';

/** Bench-only key: the fake's secrets are throwaway, but they still go through the credential store. */
export const BENCH_SECRET_KEY = 'docsync-bench-secret-key';

export interface BenchServices {
  postgres: PostgresHandle;
  temporal: TemporalHandle;
  client: Client;
  /** The product workflows bundled once; worker processes load it (DOCSYNC_WORKFLOW_BUNDLE). */
  bundlePath: string;
  stop(): Promise<void>;
}

export async function startBenchServices(): Promise<BenchServices> {
  // fsync on, as production runs: commit latency is part of every figure (BENCHMARKS.md).
  const postgres = await startPostgres({ fsync: true });
  let temporal: TemporalHandle;
  try {
    temporal = await startTemporal();
  } catch (err) {
    await postgres.stop();
    throw err;
  }
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  const silent = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: silent });
  const bundleDir = mkdtempSync(path.join(os.tmpdir(), 'docsync-bench-bundle-'));
  const bundlePath = path.join(bundleDir, 'workflows.js');
  writeFileSync(bundlePath, code);
  return {
    postgres,
    temporal,
    client,
    bundlePath,
    async stop() {
      rmSync(bundleDir, { recursive: true, force: true });
      await connection.close();
      await Promise.allSettled([temporal.stop(), postgres.stop()]);
    },
  };
}

/** One figure's world: its own database, blob dir, task queue and generated Dropbox account. */
export interface BenchEnv {
  name: string;
  databaseUrl: string;
  pool: Pool;
  blobDir: string;
  taskQueue: string;
  fake: FakeDropbox;
  corpus: GeneratedDropboxAccount;
  credentialRef: string;
  fakeUrl: string;
  /** The same activities the worker runs, called directly (the no-Temporal baselines). */
  activities: ReturnType<typeof createActivities>;
  /** syncUser input for this env's user (`name`), its stored credentials and the fake. */
  syncInput(pageSize: number, options: SyncOptions): SyncUserInput;
  close(): Promise<void>;
}

/** A figure's own database, blob dir and task queue on the shared services, with an engine over them. */
export async function createBenchEngine(services: BenchServices, name: string) {
  const suffix = `${name}_${Date.now().toString(36)}`;
  const databaseUrl = await createDatabase(services.postgres.url, `bench_${suffix}`);
  const blobDir = mkdtempSync(path.join(os.tmpdir(), 'docsync-bench-blobs-'));
  const taskQueue = `bench-${suffix}`;
  const engine = await createEngine({
    databaseUrl,
    address: services.temporal.address,
    namespace: services.temporal.namespace,
    taskQueue,
    blobDir,
    logger: pino({ level: 'silent' }),
    secretKey: BENCH_SECRET_KEY,
  });
  return { databaseUrl, blobDir, taskQueue, engine };
}

export async function createBenchEnv(services: BenchServices, name: string, corpus: CorpusOptions): Promise<BenchEnv> {
  const { databaseUrl, blobDir, taskQueue, engine } = await createBenchEngine(services, name);
  const { pool, credentials } = engine;
  const account = new GeneratedDropboxAccount(corpus);
  const fake = new FakeDropbox({ account });
  const { url } = await fake.start();
  const credentialRef = await credentials.save('dropbox', name, {
    appKey: fake.appKey,
    appSecret: fake.appSecret,
    refreshToken: fake.refreshToken,
  });
  const activities = await engine.activities();
  return {
    name,
    databaseUrl,
    pool,
    blobDir,
    fake,
    corpus: account,
    credentialRef,
    fakeUrl: url,
    activities,
    taskQueue,
    syncInput: (pageSize, options) => ({
      connector: 'dropbox',
      userId: name,
      credentialRef,
      config: { apiBaseUrl: url, pageSize },
      options,
    }),
    async close() {
      await fake.stop();
      await engine.close();
      rmSync(blobDir, { recursive: true, force: true });
    },
  };
}

/** Requests the fake answered, all routes together (token refreshes included). */
export function apiCalls(fake: FakeDropbox): number {
  return Object.values(fake.counts).reduce((sum, n) => sum + n, 0);
}
