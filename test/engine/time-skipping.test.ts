// Long rate-limit waits on Temporal's time-skipping test server: an hour-long "retry later"
// is slept through on a durable timer without a single early call, in seconds of real time.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../src/devstack/postgres.js';
import { temporalTestServerPath } from '../../src/devstack/temporal.js';
import { createPool } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { installRuntimeOnce } from '../../src/workers/runtime.js';
import { createDocsyncWorker } from '../../src/workers/worker.js';
import type { SyncUserResult } from '../../src/workflows/sync-user.js';
import { stopAfterTest } from '../support/cleanup.js';
import { workflowBundle } from '../support/harness.js';
import { documents, newSampleSource } from '../support/sample.js';

describe('time-skipping: an hour-long rate limit', () => {
  let env: TestWorkflowEnvironment;
  let pool: ReturnType<typeof createPool>;

  beforeAll(async () => {
    installRuntimeOnce('ERROR');
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
    });
    pool = createPool(await createDatabase(inject('databaseUrl'), `t_timeskip_${Date.now()}`));
    await migrate(pool);
  });
  afterAll(async () => {
    try {
      await env?.teardown();
    } finally {
      await pool?.end();
    }
  });

  it('sleeps until retryAt on a durable timer and then finishes the sync', async () => {
    const source = newSampleSource();
    await source.put('report', { title: 'Report', content: 'numbers' });
    await source.rateLimitNextCalls(1, 3_600_000);
    const worker: Worker = await createDocsyncWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: 'timeskip',
      pool,
      blobDir: mkdtempSync(path.join(os.tmpdir(), 'docsync-blobs-')),
      logger: pino({ level: 'silent' }),
      workflowBundle: await workflowBundle(),
    });
    // runUntil shuts the worker down itself; this covers a test that times out while it still runs.
    stopAfterTest(() => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    });
    const started = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute('syncUser', {
        taskQueue: 'timeskip',
        workflowId: 'sync/sample/sleeper',
        args: [
          { connector: 'sample', userId: 'sleeper', config: { sourceDir: source.dir }, options: { once: true, searchAttributes: false } },
        ],
      }) as Promise<SyncUserResult>,
    );
    const realSeconds = (Date.now() - started) / 1000;
    expect(result.counters).toMatchObject({ rateLimitWaits: 1, fetched: 1, listed: 1 });
    expect(realSeconds).toBeLessThan(600); // an hour of workflow time, skipped

    const history = await env.client.workflow.getHandle('sync/sample/sleeper').fetchHistory();
    const timers = history
      .events!.filter((e) => e.timerStartedEventAttributes)
      .map((e) => Number(e.timerStartedEventAttributes!.startToFireTimeout!.seconds));
    expect(Math.max(...timers)).toBeGreaterThan(3_500);
    const calls = await source.calls();
    expect(calls.map((c) => c.outcome)).toEqual(['rate-limited', 'ok', 'ok']); // listing refused, listing, download
    expect((await documents(pool, 'sample', 'sleeper')).get('report')!.text).toBe('numbers');
  });
});
