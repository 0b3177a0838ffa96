// /readyz of the real worker process tells the truth about its dependencies: it fails (503, naming
// the one that is down) when its Temporal server stops, recovers when Temporal is back on the same
// address, and fails again when its Postgres is stopped. The test owns both servers so it can stop them.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startPostgres, type PostgresHandle } from '../../src/devstack/postgres.js';
import { freePort } from '../../src/devstack/ports.js';
import { startTemporal, type TemporalHandle } from '../../src/devstack/temporal.js';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually } from '../support/harness.js';

const ROOT = path.join(import.meta.dirname, '..', '..');

interface Readiness {
  status: number;
  body: { ready: boolean; checks: Record<string, string> };
}

describe('worker readiness', () => {
  it('fails while Temporal or Postgres is down, naming it, and recovers when Temporal is back', async () => {
    // startPostgres reuses DATABASE_URL when set; this test needs a server of its own to stop.
    const { DATABASE_URL: _shared, ...environment } = process.env;
    let postgres: PostgresHandle | undefined;
    let temporal: TemporalHandle | undefined;
    stopAfterTest(async () => {
      await temporal?.stop();
      await postgres?.stop();
    });
    postgres = await startPostgres();
    const temporalPort = await freePort();
    temporal = await startTemporal({ port: temporalPort });
    const metricsPort = await freePort();
    const worker = spawn(process.execPath, ['--import', 'tsx', 'src/workers/main.ts'], {
      cwd: ROOT,
      env: {
        ...environment,
        TEMPORAL_ADDRESS: temporal.address,
        DOCSYNC_TASK_QUEUE: `docsync-ready-${Date.now()}`,
        DATABASE_URL: postgres.url,
        DOCSYNC_BLOB_DIR: mkdtempSync(path.join(os.tmpdir(), 'docsync-blobs-')),
        DOCSYNC_METRICS_PORT: String(metricsPort),
        DOCSYNC_METRICS_HOST: '127.0.0.1',
        DOCSYNC_CORE_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    stopAfterTest(async () => {
      worker.kill('SIGKILL');
      await exited;
    });
    let output = '';
    worker.stdout.on('data', (d) => (output += d));
    worker.stderr.on('data', (d) => (output += d));
    await eventually(async () => output.includes('worker started'));

    const readiness = async (): Promise<Readiness> => {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      return { status: res.status, body: (await res.json()) as Readiness['body'] };
    };
    expect(await eventually(async () => (await readiness()).status === 200 && readiness())).toMatchObject({
      body: { ready: true, checks: { worker: 'ok', postgres: 'ok', temporal: 'ok' } },
    });

    await temporal.stop();
    temporal = undefined;
    const temporalDown = await eventually(async () => {
      const r = await readiness();
      return r.status === 503 && r;
    });
    expect(temporalDown.body.ready).toBe(false);
    expect(temporalDown.body.checks.postgres).toBe('ok');
    expect(temporalDown.body.checks.temporal).not.toBe('ok');

    temporal = await startTemporal({ port: temporalPort });
    const back = await eventually(async () => {
      const r = await readiness();
      return r.status === 200 && r;
    }, 120_000);
    expect(back.body.checks).toEqual({ worker: 'ok', postgres: 'ok', temporal: 'ok' });

    await postgres.stop();
    postgres = undefined;
    const postgresDown = await eventually(async () => {
      const r = await readiness();
      return r.status === 503 && r;
    });
    expect(postgresDown.body.checks.temporal).toBe('ok');
    expect(postgresDown.body.checks.postgres).not.toBe('ok');
  });
});
