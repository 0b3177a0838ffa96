// The real `docsync webhooks` binary: listens where its flags say, answers /healthz and Dropbox's
// challenge, wakes an idle sync from a signed notification until the new file is in Postgres, logs
// one line per refusal without bodies or secrets, and exits cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sendDropboxWebhook, verifyDropboxWebhookUri } from '../fakes/dropbox/webhooks.js';
import { stopAfterTest } from '../support/cleanup.js';
import { cliEnv, docsync, DOCSYNC_BIN } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { APP_SECRET, documentText, idleDropboxUser, syncNowSignals } from './dropbox-user.js';

describe('docsync webhooks', () => {
  const h = useHarness('q2_webhooks_cli', { worker: true });

  it('serves the Dropbox route from its own process and stops on SIGTERM', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'q2-webhooks-'));
    const env = { ...cliEnv(h, home), DOCSYNC_DROPBOX_APP_SECRET: APP_SECRET };

    // Without a configured source there is nothing to receive: a config error, not a silent server.
    const { DOCSYNC_DROPBOX_APP_SECRET: _unset, ...bare } = env;
    const refused = await docsync(['webhooks', '--port', '0'], { env: bare });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('DOCSYNC_DROPBOX_APP_SECRET');

    const user = await idleDropboxUser(h, 'dora');
    const receiver = spawn(process.execPath, [DOCSYNC_BIN, 'webhooks', '--port', '0'], { env: { ...env, DOCSYNC_WEBHOOKS_PORT: '1' } });
    stopAfterTest(() => receiver.kill('SIGKILL')); // backstop for the SIGTERM below; a no-op once it exited
    let out = '';
    let err = '';
    receiver.stdout.on('data', (d) => (out += d));
    receiver.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => receiver.once('exit', (code) => resolve(code)));

    // --port wins over DOCSYNC_WEBHOOKS_PORT; the default host is loopback.
    const base = await eventually(async () => /webhook receiver on (http:\/\/127\.0\.0\.1:\d+) /.exec(out)?.[1]);
    expect(base).not.toMatch(/:1$/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await verifyDropboxWebhookUri(`${base}/dropbox`)).verified).toBe(true);

    user.fake.addFile('/Docs/via-cli.txt', 'woken through docsync webhooks');
    expect((await sendDropboxWebhook(`${base}/dropbox`, APP_SECRET, { accounts: [user.account] })).status).toBe(200);
    await eventually(async () => (await documentText(h, user.userId, '/Docs/via-cli.txt')) === 'woken through docsync webhooks');
    expect(await syncNowSignals(user.handle)).toBe(1);

    const forged = await sendDropboxWebhook(`${base}/dropbox`, 'wrong-secret', { accounts: [user.account, 'dbid:q2-forged'] });
    expect(forged.status).toBe(403);
    const refusals = await eventually(async () => {
      const lines = err.split('\n').filter((l) => l.includes('webhook refused'));
      return lines.length >= 1 && lines;
    });
    expect(refusals).toHaveLength(1);
    expect(JSON.parse(refusals[0])).toMatchObject({ route: '/dropbox', status: 403, reason: 'bad signature' });
    expect(err + out).not.toContain(APP_SECRET);
    expect(err + out).not.toContain('dbid:q2-forged'); // no body in the log

    receiver.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
