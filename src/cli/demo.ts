// `npm start`: the embedded demo. Starts a Temporal dev server (with Web UI) and a local
// Postgres (or uses DATABASE_URL), runs a worker in-process, and replays the original
// framework's four stages against the sample connector, printing what happens at each step.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { pino } from 'pino';
import { startPostgres } from '../devstack/postgres.js';
import { startTemporal } from '../devstack/temporal.js';
import { SampleSource } from '../connectors/sample/source.js';
import { stageCreateThreeDocs, stageDeleteDocTwo, stageRateLimit } from '../connectors/sample/stages.js';
import { readChanges } from '../store/changes.js';
import { listDocuments } from '../store/documents.js';
import { startSyncUser } from '../workflows/client.js';
import { createEngine, type Engine } from '../workers/engine.js';
import { cancelSignal, statusQuery, syncNowSignal, syncWorkflowId } from '../workflows/definitions.js';
import type { SyncStatus } from '../workflows/types.js';

const HOME = path.resolve(process.env.DOCSYNC_HOME ?? '.docsync');
const TASK_QUEUE = 'docsync-demo';
const say = (line: string) => console.log(line);

async function waitFor(handle: WorkflowHandle, check: (s: SyncStatus) => boolean, timeoutMs = 60_000): Promise<SyncStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery);
    if (check(status)) return status;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last status: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  mkdirSync(HOME, { recursive: true });
  say('docsync demo: starting Temporal dev server and Postgres…');
  // Both keep their data under .docsync/ so the results can be inspected after the demo.
  const temporal = await startTemporal({ ui: true, dbFile: path.join(HOME, 'temporal.db') });
  const postgres = await startPostgres({ dataDir: path.join(HOME, 'pgdata') });
  let engine: Engine | undefined;
  const stopAll = async () => {
    await engine?.close().catch(() => undefined);
    await postgres.stop();
    await temporal.stop();
  };
  try {
    const blobDir = path.join(HOME, 'blobs');
    engine = await createEngine({
      databaseUrl: postgres.url,
      address: temporal.address,
      namespace: temporal.namespace,
      taskQueue: TASK_QUEUE,
      blobDir,
      logger: pino({ level: 'warn' }),
    });
    const { pool, client } = engine;
    const sourceDir = path.join(HOME, 'demo-source');
    rmSync(sourceDir, { recursive: true, force: true });
    const source = new SampleSource(sourceDir);
    const worker = await engine.startWorker();
    const userId = `demo-${Date.now()}`;
    const workflowId = syncWorkflowId('sample', userId);
    say(`Temporal Web UI: ${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows/${encodeURIComponent(workflowId)}`);

    say('\nStage 1 — three documents appear at the source; the first sync lists their metadata');
    await stageCreateThreeDocs(source);
    const handle = await startSyncUser(
      client,
      { connector: 'sample', userId, config: { sourceDir, pageSize: 2 }, options: { syncIntervalSeconds: 3600 } },
      { taskQueue: TASK_QUEUE, workflowId },
    );
    let status = await waitFor(handle, (s) => s.counters.listed === 3);
    say(`  listed ${status.counters.listed} documents in ${status.counters.pages} pages (workflow ${workflowId})`);

    say('\nStage 2 — one retrieveDoc child workflow per document downloads it and stores its text');
    status = await waitFor(handle, (s) => s.phase === 'idle' && s.counters.fetched === 3);
    const rows = await listDocuments(pool, { connector: 'sample', userId, withText: true });
    for (const r of rows) say(`  ${r.external_id}  ${r.status.padEnd(8)} ${JSON.stringify(r.text?.slice(0, 60) ?? null)}`);

    say('\nStage 3 — document 2 is deleted at the source; the next sync tombstones it');
    await stageDeleteDocTwo(source);
    await handle.signal(syncNowSignal);
    status = await waitFor(handle, (s) => s.phase === 'idle' && s.counters.deleted === 1);
    const feed = await readChanges(pool, { since: 0, connector: 'sample', userId });
    say(`  doc-2 tombstoned (row kept with deleted_at); change feed: ${feed.map((c) => `#${c.seq} ${c.kind} ${c.externalId}`).join(', ')}`);

    say('\nStage 4 — the source says "slow down"; the workflow sleeps on a durable timer until retryAt');
    const limitedFrom = new Date();
    const retryAt = new Date(Date.now() + 5_000);
    await stageRateLimit(source, retryAt);
    await handle.signal(syncNowSignal);
    status = await waitFor(handle, (s) => s.phase === 'rate-limited');
    say(`  phase ${status.phase}, next sync at ${status.nextSyncAt} (${status.waitReason})`);
    status = await waitFor(handle, (s) => s.phase === 'idle' && s.counters.fetched === 4);
    const calls = await source.calls();
    const during = calls.filter((c) => c.outcome === 'ok' && new Date(c.at) >= limitedFrom && new Date(c.at) < retryAt);
    say(`  resumed after the wait: doc-4 fetched; successful calls to the source during the wait: ${during.length}`);

    say('\nWhere the data went:');
    say(
      `  Postgres: ${process.env.DATABASE_URL ? postgres.url : `${path.join(HOME, 'pgdata')} (served at ${postgres.url} while running)`} — tables documents, changes, sync_runs`,
    );
    say(`  Temporal: ${path.join(HOME, 'temporal.db')} — histories of ${workflowId} and its doc/… children`);
    say(`  Blobs:    ${blobDir} (content-addressed by sha256)`);
    say(`  Counters: ${JSON.stringify(status.counters)}`);
    if (keep) {
      say(`\n--keep: services stay up; open ${temporal.uiUrl}. Ctrl-C to stop.`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    await handle.signal(cancelSignal);
    await handle.result();
    await worker.stop();
    say('\ndemo finished: all four stages ran.');
  } finally {
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`docsync demo failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
