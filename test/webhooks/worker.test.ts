// The receiver inside the worker process (DOCSYNC_WEBHOOKS_PORT): the worker entry point as users
// run it serves /dropbox beside its task polling, a signed notification wakes a sync it runs, and
// SIGTERM stops both.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/devstack/ports.js';
import { sendDropboxWebhook, verifyDropboxWebhookUri } from '../fakes/dropbox/webhooks.js';
import { stopAfterTest } from '../support/cleanup.js';
import { ROOT } from '../support/cli.js';
import { eventually, TEST_SECRET_KEY, useHarness } from '../support/harness.js';
import { APP_SECRET, documentText, idleDropboxUser } from './dropbox-user.js';

describe('webhook receiver in the worker', () => {
  const h = useHarness('q2_webhooks_worker'); // no in-process worker: the spawned one polls the queue

  it('DOCSYNC_WEBHOOKS_PORT runs /dropbox in the worker, which wakes its syncs', async () => {
    const port = await freePort();
    const worker = spawn(process.execPath, ['--import', 'tsx', 'src/workers/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: h.address,
        TEMPORAL_NAMESPACE: h.namespace,
        DOCSYNC_TASK_QUEUE: h.taskQueue,
        DATABASE_URL: h.databaseUrl,
        DOCSYNC_SECRET_KEY: TEST_SECRET_KEY,
        DOCSYNC_BLOB_DIR: mkdtempSync(path.join(os.tmpdir(), 'q2-webhooks-blobs-')),
        DOCSYNC_METRICS_PORT: '0',
        DOCSYNC_CORE_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
        DOCSYNC_WEBHOOKS_PORT: String(port),
        DOCSYNC_DROPBOX_APP_SECRET: APP_SECRET,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stopAfterTest(() => worker.kill('SIGKILL')); // backstop for the SIGTERM below; a no-op once it exited
    let output = '';
    worker.stdout.on('data', (d) => (output += d));
    worker.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    await eventually(async () => output.includes('worker started'));
    expect(output).toContain('webhook receiver listening');
    const hook = `http://127.0.0.1:${port}/dropbox`;
    expect((await verifyDropboxWebhookUri(hook)).verified).toBe(true);

    const user = await idleDropboxUser(h, 'erin');
    user.fake.addFile('/Docs/in-worker.txt', 'woken by the worker');
    expect((await sendDropboxWebhook(hook, APP_SECRET, { accounts: [user.account] })).status).toBe(200);
    await eventually(async () => (await documentText(h, user.userId, '/Docs/in-worker.txt')) === 'woken by the worker');
    await user.handle.terminate('test over');

    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).not.toContain(APP_SECRET);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow(); // the receiver stopped with it
  });
});
