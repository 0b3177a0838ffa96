// `docsync dev` failing to start says why and exits, instead of hanging on the half-started stack.
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/devstack/ports.js';
import { docsync } from '../support/cli.js';

describe('docsync dev errors', () => {
  it.runIf(process.getuid?.() === 0)('names a folder the postgres user cannot reach, exits 2 and leaves no Temporal behind', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'docsync-dev-private-')); // 0700, owned by root
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, DOCSYNC_HOME: path.join(home, '.docsync'), DOCSYNC_METRICS_PORT: '0' };
    delete env.DATABASE_URL;
    const result = await docsync(['dev', '--port', String(port), '--ui-port', String(await freePort())], {
      cwd: home,
      env,
      timeoutMs: 90_000,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`the postgres user cannot reach ${path.join(home, '.docsync', 'pgdata')}`);
    const stillListening = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true))).once('error', () => resolve(false));
    });
    expect(stillListening).toBe(false); // the Temporal server started before Postgres failed is gone
  });
});
