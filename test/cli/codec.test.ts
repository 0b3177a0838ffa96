// DOCSYNC_PAYLOAD_KEY: a worker and the CLI sharing the key run a sync whose history holds only
// ciphertext; `docsync codec-server` decrypts it for the Web UI (CORS for the UI's origin).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/devstack/ports.js';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, toJson } from '../../src/workers/payload-codec.js';
import { secretKeyFrom } from '../../src/store/credentials.js';
import { stopAfterTest } from '../support/cleanup.js';
import { cliEnv, docsync, DOCSYNC_BIN } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { newSampleSource, seedThreeDocs } from '../support/sample.js';

const PAYLOAD_KEY = 'cd'.repeat(32);

describe('payload encryption and docsync codec-server', () => {
  let env: NodeJS.ProcessEnv;
  const source = newSampleSource();

  const h = useHarness('codec', {
    setup: async (h) => {
      await h.startWorker({ payloadCodec: new AesGcmPayloadCodec(secretKeyFrom(PAYLOAD_KEY)) });
      env = { ...cliEnv(h, source.dir), DOCSYNC_PAYLOAD_KEY: PAYLOAD_KEY };
    },
  });

  it('keeps history encrypted, lets the CLI read status, and decodes for the UI', async () => {
    await seedThreeDocs(source);
    const config = path.join(source.dir, 'yan.json');
    writeFileSync(config, JSON.stringify({ sourceDir: source.dir }));
    expect((await docsync(['sync', 'sample', 'yan', '--config', config], { cwd: source.dir, env })).code).toBe(0);
    await eventually(async () =>
      (await docsync(['status', 'sample', 'yan', '--json'], { cwd: source.dir, env })).stdout.includes('"fetched": 3'),
    );

    // Without the key (a plain client, like the server's database) the input is ciphertext.
    const history = await h.client.workflow.getHandle('sync/sample/yan').fetchHistory();
    const input = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    expect(new TextDecoder().decode(input.metadata!.encoding!)).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(input.data!).toString('latin1')).not.toContain(source.dir);
    const wrongKey = await docsync(['status', 'sample', 'yan'], { cwd: source.dir, env: { ...env, DOCSYNC_PAYLOAD_KEY: 'ef'.repeat(32) } });
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toMatch(/payload was encrypted with key [0-9a-f]{16}, but DOCSYNC_PAYLOAD_KEY is key [0-9a-f]{16}/);

    const port = await freePort();
    const server = spawn(process.execPath, [DOCSYNC_BIN, 'codec-server', '--port', String(port), '--origin', 'http://ui.example:8233'], {
      env,
    });
    // Backstop for the SIGINT below (e.g. a server that does not exit on it): a no-op once it exited.
    stopAfterTest(() => server.kill('SIGKILL'));
    let out = '';
    server.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    try {
      await eventually(async () => out.includes('codec server on'));
      const res = await fetch(`http://127.0.0.1:${port}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': h.namespace },
        body: JSON.stringify({ payloads: [toJson(input as never)] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('http://ui.example:8233');
      const decoded = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
      expect(Buffer.from(decoded.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(decoded.payloads[0].data, 'base64').toString())).toMatchObject({
        connector: 'sample',
        userId: 'yan',
        config: { sourceDir: source.dir },
      });
      const preflight = await fetch(`http://127.0.0.1:${port}/decode`, { method: 'OPTIONS' });
      expect(preflight.status).toBe(204);
    } finally {
      server.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const noKey = await docsync(['codec-server'], { env: { ...env, DOCSYNC_PAYLOAD_KEY: '' } });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('DOCSYNC_PAYLOAD_KEY is not set');
    await h.client.workflow.getHandle('sync/sample/yan').signal('cancel');
  });
});
