// The worker entry point as users run it (`npm run worker` with env settings), driven with the
// real `temporal` CLI exactly as the README shows, then stopped with SIGTERM.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../src/devstack/postgres.js';
import { freePort } from '../../src/devstack/ports.js';
import { temporalCliPath } from '../../src/devstack/temporal.js';
import { seedThreeDocs, newSampleSource, documents } from '../support/sample.js';
import { createPool } from '../../src/store/db.js';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually } from '../support/harness.js';

const exec = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..', '..');

describe('worker process + temporal CLI', () => {
  it('syncs a user started with `temporal workflow start` and drains on SIGTERM', async () => {
    const databaseUrl = await createDatabase(inject('databaseUrl'), `t_workerproc_${Date.now()}`);
    const address = inject('temporalAddress');
    const taskQueue = `docsync-cli-${Date.now()}`;
    const metricsPort = await freePort();
    const corePort = await freePort();
    const worker = spawn(process.execPath, ['--import', 'tsx', 'src/workers/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: address,
        DOCSYNC_TASK_QUEUE: taskQueue,
        DATABASE_URL: databaseUrl,
        DOCSYNC_BLOB_DIR: mkdtempSync(path.join(os.tmpdir(), 'docsync-blobs-')),
        LOG_LEVEL: 'info',
        DOCSYNC_METRICS_PORT: String(metricsPort),
        DOCSYNC_CORE_METRICS_ADDRESS: `127.0.0.1:${corePort}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The SIGTERM at the end is part of the scenario; this only covers a test that failed before it.
    stopAfterTest(() => worker.kill('SIGKILL'));
    let output = '';
    worker.stdout.on('data', (d) => (output += d));
    worker.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    await eventually(async () => output.includes('worker started'), 180_000);

    const source = newSampleSource();
    await seedThreeDocs(source);
    const cli = temporalCliPath();
    const input = JSON.stringify({
      connector: 'sample',
      userId: 'alice',
      config: { sourceDir: source.dir, pageSize: 50 },
      options: { syncIntervalSeconds: 600 },
    });
    await exec(cli, [
      'workflow',
      'start',
      '--address',
      address,
      '--type',
      'syncUser',
      '--task-queue',
      taskQueue,
      '--workflow-id',
      `sync/sample/alice-${taskQueue}`,
      '--input',
      input,
    ]);
    const status = await eventually(async () => {
      const { stdout } = await exec(cli, [
        'workflow',
        'query',
        '--address',
        address,
        '--workflow-id',
        `sync/sample/alice-${taskQueue}`,
        '--name',
        'status',
        '--output',
        'json',
      ]);
      const parsed = JSON.parse(stdout);
      const s = parsed.queryResult?.[0] ?? parsed.result?.[0] ?? parsed;
      return s.phase === 'idle' && s.counters?.fetched === 3 && s;
    });
    expect(status.counters.listed).toBe(3);
    const pool = createPool(databaseUrl, 2);
    try {
      const rows = await documents(pool, 'sample', 'alice');
      expect([...rows.values()].every((r) => r.status === 'fetched')).toBe(true);
    } finally {
      await pool.end();
    }

    const base = `http://127.0.0.1:${metricsPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/docsync_documents_total\{connector="sample",outcome="listed"\} 3/);
    expect(metrics).toMatch(/docsync_documents_total\{connector="sample",outcome="fetched"\} 3/);
    expect(metrics).toMatch(/^temporal_\w+/m); // the SDK core's runtime metrics, re-exported
    // Standard names for prom-client's defaults (no docsync_ prefix, no doubled process_), docsync's own under docsync_.
    expect(metrics).toMatch(/^process_cpu_user_seconds_total /m);
    expect(metrics).toMatch(/^nodejs_heap_size_total_bytes /m);
    expect(metrics).not.toContain('docsync_process_');
    expect(metrics).toMatch(/^docsync_activity_duration_seconds_count\{activity="retrieveMetadata",outcome="completed"\} [1-9]/m);
    expect(metrics).toMatch(/^docsync_document_duration_seconds_count\{connector="sample",outcome="fetched"\} 3$/m);
    expect(metrics).toMatch(/^docsync_last_caught_up_timestamp_seconds\{connector="sample"\} \d+/m);

    await exec(cli, ['workflow', 'signal', '--address', address, '--workflow-id', `sync/sample/alice-${taskQueue}`, '--name', 'cancel']);
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('worker stopped');
  });
});
