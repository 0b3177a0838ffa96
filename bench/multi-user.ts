// Many users at once for the `users` and `fairness` figures: one database, K users each with their
// own generated Dropbox fake (own account, tokens and bodies), all syncUser workflows started
// together on 1..n production worker processes; per-user completion times, RSS, CPU, lock waits.
import { rmSync } from 'node:fs';
import { ServiceError } from '@temporalio/client';
import pLimit from 'p-limit';
import type { Pool } from 'pg';
import type { CredentialStore } from '../src/store/credentials.js';
import { GeneratedDropboxAccount } from '../test/fakes/dropbox/corpus.js';
import { FakeDropboxHost } from '../test/fakes/dropbox/host.js';
import { FakeDropbox, type FakeRoute } from '../test/fakes/dropbox/server.js';
import { sampleLockWaits, type LockWaits } from './lock-waits.js';
import { cpuMeter, type CpuShares } from './proc-stats.js';
import { createBenchEngine, type BenchServices } from './services.js';
import { seconds, startSync } from './sync.js';
import { startWorkerProcess, type WorkerProcess, type WorkerTuning } from './worker-process.js';

export interface UsersRunOptions {
  /** Short label for user ids. */
  name: string;
  users: number;
  docsPerUser: number;
  pageSize: number;
  maxInFlight: number;
  /** User 0's fake answers every API call 429 + Retry-After 1 s; its sync is not waited for. */
  storm?: boolean;
}

/** One database, blob dir and task queue served by `workers` production worker processes, reused across runs. */
export interface UsersDeployment {
  databaseUrl: string;
  taskQueue: string;
  workers: WorkerProcess[];
  pool: Pool;
  credentials: CredentialStore;
  close(): Promise<void>;
}

export async function startUsersDeployment(
  services: BenchServices,
  name: string,
  workers: number,
  tuning: WorkerTuning,
): Promise<UsersDeployment> {
  const { databaseUrl, blobDir, taskQueue, engine } = await createBenchEngine(services, name);
  const started: WorkerProcess[] = [];
  const close = async () => {
    for (const worker of started) await worker.stop();
    await engine.close();
    rmSync(blobDir, { recursive: true, force: true });
  };
  try {
    for (let w = 0; w < workers; w++) {
      started.push(await startWorkerProcess(services, { taskQueue, databaseUrl, blobDir }, { ...tuning, pollers: w + 1 }));
    }
  } catch (err) {
    await close();
    throw err;
  }
  if (!engine.credentials) throw new Error('bench engine without a credential store (secretKey missing)');
  return { databaseUrl, taskQueue, workers: started, pool: engine.pool, credentials: engine.credentials, close };
}

export interface UsersRunResult {
  seconds: number;
  /** Documents of the users waited for ÷ time until the last of them completed. */
  rate: number;
  /** Completion time of every user waited for, from the moment all were being started, seconds, sorted. */
  completions: number[];
  /** Completion time per user index (undefined for the storm user). */
  byUser: (number | undefined)[];
  peakRssMiB: number;
  cpu: CpuShares;
  locks: LockWaits;
}

const STORM_ROUTES: FakeRoute[] = [
  '/2/files/list_folder',
  '/2/files/list_folder/continue',
  '/2/files/download',
  '/2/users/get_current_account',
];

export async function runUsers(services: BenchServices, deployment: UsersDeployment, opts: UsersRunOptions): Promise<UsersRunResult> {
  const { credentials, pool, taskQueue, workers } = deployment;
  const prefix = `${opts.name}_${Date.now().toString(36)}`;
  // One API host for every user, as in a deployment (one connection pool), one account each under it.
  const host = new FakeDropboxHost();
  try {
    await host.start();
    const inputs = [];
    for (let u = 0; u < opts.users; u++) {
      const userId = `${prefix}_u${u}`;
      // One account per user: its own tokens (a storm hits one credential only) and its own bytes.
      const fake = new FakeDropbox({ account: new GeneratedDropboxAccount({ count: opts.docsPerUser, fileSize: 2048, salt: userId }) });
      const url = host.mount(userId, fake);
      if (opts.storm && u === 0) {
        for (const route of STORM_ROUTES) fake.inject(route, { kind: 'rate-limit', retryAfterSeconds: 1 }, { every: 1 });
      }
      const credentialRef = await credentials.save('dropbox', userId, {
        appKey: fake.appKey,
        appSecret: fake.appSecret,
        refreshToken: fake.refreshToken,
      });
      inputs.push({
        connector: 'dropbox',
        userId,
        credentialRef,
        config: { apiBaseUrl: url, pageSize: opts.pageSize },
        options: { once: true, maxInFlight: opts.maxInFlight },
      });
    }

    const locks = await sampleLockWaits(deployment.databaseUrl);
    const rssSampler = setInterval(() => workers.forEach((w) => w.peakRssMiB()), 500);
    const meter = cpuMeter({ worker: workers.map((w) => w.pid), postgres: services.postgres.pid(), temporal: services.temporal.pid() });
    const starting = pLimit(50);
    const byUser: (number | undefined)[] = new Array<number | undefined>(opts.users).fill(undefined);
    const handles = [];
    const t0 = performance.now(); // before the first workflow starts
    try {
      const started = inputs.map((input) => starting(() => startSync(services.client, taskQueue, input)));
      const waited = started.map(async (handle, u) => {
        if (opts.storm && u === 0) return;
        await resultOf(await handle);
        byUser[u] = seconds(t0);
      });
      // Together, so a failed start and a failed sync are both awaited (no unhandled rejection).
      const [all] = await Promise.all([Promise.all(started), Promise.all(waited)]);
      handles.push(...all);
    } finally {
      clearInterval(rssSampler);
    }
    const total = seconds(t0);
    const cpu = meter.stop();
    const lockWaits = await locks.stop();
    if (opts.storm) await handles[0]?.terminate('benchmark over: the storm user never finishes');

    const waitedFor = opts.storm ? opts.users - 1 : opts.users;
    const { rows } = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM documents WHERE status = 'fetched' AND user_id LIKE $1 AND user_id <> $2",
      [`${prefix}\\_u%`, opts.storm ? `${prefix}_u0` : ''],
    );
    if (Number(rows[0]!.n) !== waitedFor * opts.docsPerUser) {
      throw new Error(`${opts.name}: ${rows[0]!.n} documents fetched, expected ${waitedFor * opts.docsPerUser}`);
    }
    return {
      seconds: total,
      rate: (waitedFor * opts.docsPerUser) / total,
      completions: sorted(byUser),
      byUser,
      // VmHWM is a high-water mark: with runs in ascending size on one deployment it is this run's peak.
      peakRssMiB: Math.max(...workers.map((w) => w.peakRssMiB())),
      cpu,
      locks: lockWaits,
    };
  } finally {
    await host.stop();
  }
}

/**
 * The workflow's result; a failed long poll for it (the dev server answers ServiceError when it is
 * too busy, seen at 1,000 users on a loaded machine) is asked again, not reported as a failed sync.
 */
async function resultOf(handle: { result(): Promise<unknown> }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await handle.result();
      return;
    } catch (err) {
      if (!(err instanceof ServiceError) || attempt >= 10) throw err;
    }
  }
}

/** The defined values, ascending. */
export function sorted(values: (number | undefined)[]): number[] {
  return values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
