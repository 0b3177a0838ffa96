// One chaos run: its own Postgres and Temporal (persistent SQLite), a fake Dropbox with N files,
// a worker process; a rate-limit storm first, then kill -9s and service restarts while the user
// syncs; then everything is checked and counted. Everything started here is stopped here.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createDatabase, startPostgres, type PostgresHandle } from '../../src/devstack/postgres.js';
import { startTemporal, type TemporalHandle } from '../../src/devstack/temporal.js';
import { FakeDropbox } from '../../test/fakes/dropbox/server.js';
import { createPool } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { CredentialStore, secretKeyFrom } from '../../src/store/credentials.js';
import { syncWorkflowId } from '../../src/workflows/definitions.js';
import type { SyncUserInput } from '../../src/workflows/types.js';
import type { SyncUserResult } from '../../src/workflows/sync-user.js';
import { nextListingAnswer, planDisruptions, seededRandom, type Disruption } from './disruptions.js';
import { checkListing, checkStore, LiveFeedReader } from './verify.js';
import { concurrencyAfterWaits, maxConcurrentDownloads, requestsInsideWaits } from './waits.js';
import { WorkerProcess } from './worker-process.js';
import { judge, type ChaosOptions, type ChaosReport, type DisruptionRecord } from './report.js';

const USER = { connector: 'dropbox', userId: 'chaos' };

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  if (process.env.DATABASE_URL) throw new Error('chaos restarts its own Postgres: unset DATABASE_URL');
  const started = Date.now();
  const random = seededRandom(o.seed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docsync-chaos-'));
  fs.chmodSync(dir, 0o755); // the postgres user must reach its data dir inside
  const log = (line: string) => o.log(`[chaos +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
  let postgres: PostgresHandle | undefined;
  let temporal: TemporalHandle | undefined;
  let worker: WorkerProcess | undefined;
  let connection: Connection | undefined;
  const fake = new FakeDropbox();
  const pools: { end(): Promise<void> }[] = [];
  const extraDirs: string[] = [];
  try {
    postgres = await startPostgres({ dataDir: path.join(dir, 'pg') });
    // The SQLite file survives the server process restart; on tmpfs when there is one, because
    // SQLite's per-commit fsync on disk slows the dev server to a few workflows per second.
    const dbDir = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/docsync-chaos-') : dir;
    extraDirs.push(dbDir);
    temporal = await startTemporal({ dbFile: path.join(dbDir, 'temporal.db') });
    const databaseUrl = await createDatabase(postgres.url, 'docsync_chaos');
    const pool = createPool(databaseUrl, 4);
    pools.push(pool);
    await migrate(pool);
    const secretKey = randomBytes(32).toString('hex');
    const credentialRef = await new CredentialStore(pool, secretKeyFrom(secretKey)).save(USER.connector, USER.userId, {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
    });
    const files = new Map<string, string>();
    for (let i = 0; i < o.docs; i++) {
      const file = `/chaos/folder-${String(i % 50).padStart(2, '0')}/doc-${String(i).padStart(5, '0')}.txt`;
      const content = `chaos document ${i} (seed ${o.seed}): ${randomBytes(12).toString('hex')}\n`;
      fake.addFile(file, content);
      files.set(file, content);
    }
    const { url: fakeUrl } = await fake.start();
    log(
      `postgres ${postgres.url}, temporal ${temporal.address} (sqlite ${temporal.address && 'persistent'}), fake dropbox ${fakeUrl} with ${o.docs} files`,
    );

    worker = new WorkerProcess(
      {
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        DOCSYNC_TASK_QUEUE: 'docsync-chaos',
        DATABASE_URL: databaseUrl,
        DOCSYNC_BLOB_DIR: path.join(dir, 'blobs'),
        DOCSYNC_SECRET_KEY: secretKey,
        DOCSYNC_METRICS_PORT: '0',
        LOG_LEVEL: 'info',
      },
      path.join(dir, 'worker.log'),
      (code, signal) => log(`worker exited on its own (code ${code}, signal ${signal}): starting a new one`),
    );
    const supervise = async () => {
      if (!worker!.pid()) await worker!.start();
    };
    await worker.start();
    if (o.storm) {
      const fault = { kind: 'rate-limit', retryAfterSeconds: o.storm.retryAfterSeconds } as const;
      fake.inject('/2/files/download', fault, { every: o.storm.every, times: o.storm.times });
      fake.inject('/2/files/list_folder/continue', fault, { every: o.storm.every, times: Math.ceil(o.storm.times / 3) });
    }

    connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: temporal.namespace });
    const input: SyncUserInput = {
      ...USER,
      credentialRef,
      config: { apiBaseUrl: fakeUrl, pageSize: o.pageSize },
      options: { once: true, maxInFlight: o.maxInFlight, batchLanes: o.batchLanes, syncIntervalSeconds: 3600 },
    };
    const handle = await client.workflow.start('syncUser', {
      taskQueue: 'docsync-chaos',
      workflowId: syncWorkflowId(USER.connector, USER.userId),
      args: [input],
    });
    log(`started ${handle.workflowId}`);

    const reader = new LiveFeedReader(pool, USER);
    const stored = async () => {
      const r = await pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM documents WHERE connector = $1 AND user_id = $2 AND status = 'fetched'",
        [USER.connector, USER.userId],
      );
      return Number(r.rows[0].n);
    };
    const progress = async () => {
      await reader.poll();
      return stored();
    };

    const records: DisruptionRecord[] = [];
    const strike = async (d: Disruption): Promise<void> => {
      const done = await progress().catch(() => -1);
      if (d.kind === 'kill') {
        const hitListing = d.phase === 'listing' ? await nextListingAnswer(fake, 30_000) : false;
        const pid = await worker!.kill9();
        log(`kill -9 worker pid ${pid} (${hitListing ? 'right after a listing answer' : 'mid-download'}, ${done} docs stored)`);
        await worker!.start();
        records.push({ kind: 'kill', detail: hitListing ? 'listing' : 'content', docsStored: done });
      } else if (d.kind === 'restart-temporal') {
        log(`restarting temporal (pid ${temporal!.pid()}, ${done} docs stored)`);
        await temporal!.restart();
        records.push({ kind: d.kind, detail: `back on ${temporal!.address}`, docsStored: done });
      } else {
        log(`restarting postgres (pid ${postgres!.pid()}, ${done} docs stored)`);
        await postgres!.restart();
        records.push({ kind: d.kind, detail: 'same port and data dir', docsStored: done });
      }
      await supervise();
    };

    const plan = planDisruptions({ ...o, random });
    // Disruptions start once every storm 429 was answered and waited out: a fresh worker does not
    // know what its killed predecessor was told, so the two are measured apart.
    const stormFaults = o.storm ? o.storm.times + Math.ceil(o.storm.times / 3) : 0;
    const stormOver = () => {
      const announced = fake.requests.filter((r) => r.retryAfterSeconds !== undefined);
      const last = announced.at(-1);
      return announced.length >= stormFaults && (!last || Date.now() > (last.finishedAt ?? last.at) + last.retryAfterSeconds! * 1000);
    };
    const deadline = started + o.timeoutMs;
    let next = 0;
    let lastStrikeAt = 0;
    let lastLogged = 0;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`chaos run timed out after ${o.timeoutMs} ms (${records.length} disruptions done)`);
      await supervise();
      const done = await progress().catch(() => -1);
      const planned = plan[next];
      const due =
        planned &&
        stormOver() &&
        (o.schedule === 'burst' && next > 0 ? Date.now() - lastStrikeAt >= o.burstGapMs : done >= planned.atFraction * o.docs);
      if (planned && due) {
        await strike(planned.disruption);
        next += 1;
        lastStrikeAt = Date.now();
        continue;
      }
      if (!planned) {
        const description = await handle.describe().catch(() => undefined);
        if (description && description.status.name !== 'RUNNING') {
          log(`workflow ${description.status.name}`);
          break;
        }
      }
      const line = `${done}/${o.docs} docs stored`;
      if (Math.floor(done / (o.docs / 10)) !== Math.floor(lastLogged / (o.docs / 10))) {
        log(line);
        lastLogged = done;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const result = (await handle.result()) as SyncUserResult;
    await worker.stop();

    const waits = requestsInsideWaits(fake.requests);
    return judge(o, {
      durationMs: Date.now() - started,
      disruptions: records,
      workerUnexpectedExits: worker.unexpectedExits,
      store: await checkStore(pool, USER, files),
      listing: checkListing(fake.requests),
      feedMissedByLiveReader: await reader.missed(),
      waits: {
        announced: waits.waits.length,
        inside: waits.inside.length,
        insideDetails: waits.insideDetails,
        inFlightAtAnnouncement: waits.inFlightAtAnnouncement,
        maxConcurrentDownloads: maxConcurrentDownloads(fake.requests),
        maxConcurrentAfterWaits: concurrencyAfterWaits(fake.requests, waits.waits),
      },
      counters: result.counters,
    });
  } finally {
    await worker?.stop().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await fake.stop().catch(() => undefined);
    for (const p of pools) await p.end().catch(() => undefined);
    await temporal?.stop().catch(() => undefined);
    await postgres?.stop().catch(() => undefined);
    for (const d of extraDirs) if (d !== dir) fs.rmSync(d, { recursive: true, force: true });
    if (process.env.CHAOS_KEEP_LOGS) log(`kept ${dir} (worker.log, blobs, data)`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}
