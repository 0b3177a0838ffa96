// The deployment summary a real worker process serves on /metrics: running syncs per phase (from
// Temporal visibility) and the last successful sync time per connector (from sync_runs), with
// prom-client's standard process_* names, scraped over HTTP while syncs run.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/devstack/ports.js';
import { stopAfterTest } from '../support/cleanup.js';
import { ROOT } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { newSampleSource, seedThreeDocs } from '../support/sample.js';

/** The value of one sample line (`name{labels} value`) of a Prometheus text page, if present. */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('worker /metrics: syncs per phase and last successful sync', () => {
  const h = useHarness('summary_metrics');

  it('counts running syncs by phase and reports when each connector last synced', async () => {
    const metricsPort = await freePort();
    const worker = spawn(process.execPath, ['--import', 'tsx', 'src/workers/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: h.address,
        TEMPORAL_NAMESPACE: h.namespace,
        DOCSYNC_TASK_QUEUE: h.taskQueue,
        DATABASE_URL: h.databaseUrl,
        DOCSYNC_BLOB_DIR: mkdtempSync(path.join(os.tmpdir(), 'docsync-blobs-')),
        DOCSYNC_METRICS_PORT: String(metricsPort),
        DOCSYNC_METRICS_HOST: '127.0.0.1',
        DOCSYNC_CORE_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    stopAfterTest(async () => {
      worker.kill('SIGTERM');
      await exited;
    });
    let output = '';
    worker.stdout.on('data', (d) => (output += d));
    worker.stderr.on('data', (d) => (output += d));
    await eventually(async () => output.includes('worker started'), 120_000);
    const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();

    const before = await scrape();
    expect(sample(before, 'docsync_syncs{phase="idle"}')).toBe(0);
    expect(before).not.toContain('docsync_last_successful_sync_timestamp_seconds{');
    expect(before).toMatch(/^process_cpu_seconds_total /m);

    const source = newSampleSource();
    await seedThreeDocs(source);
    const caughtUp = await h.startSync({ connector: 'sample', userId: 'q7-metrics-idle', config: { sourceDir: source.dir } });
    const paused = await h.startSync({ connector: 'sample', userId: 'q7-metrics-paused', config: { sourceDir: source.dir } });
    await paused.signal('pause');

    const page = await eventually(async () => {
      const text = await scrape();
      return sample(text, 'docsync_syncs{phase="idle"}') === 1 && sample(text, 'docsync_syncs{phase="paused"}') === 1 ? text : undefined;
    });
    console.log(
      page
        .split('\n')
        .filter((l) => /^docsync_(syncs|last_successful)/.test(l))
        .join('\n'),
    );
    expect(sample(page, 'docsync_syncs{phase="failed"}')).toBe(0);
    const last = sample(page, 'docsync_last_successful_sync_timestamp_seconds{connector="sample"}');
    expect(last).toBeGreaterThan(Date.parse('2026-01-01') / 1000);
    const finished = await h.pool.query("SELECT max(finished_at) AS at FROM sync_runs WHERE connector = 'sample'");
    expect(last).toBe((finished.rows[0].at as Date).getTime() / 1000);

    await Promise.all([caughtUp.cancel(), paused.cancel()]);
  });
});
