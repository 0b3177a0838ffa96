// `npm start` (the embedded demo) runs all four stages end to end and exits 0.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../src/devstack/postgres.js';

const run = promisify(execFile);

describe('the demo command', () => {
  it('prints each stage, the Web UI address and where the data went, then exits 0', async () => {
    const databaseUrl = await createDatabase(inject('databaseUrl'), `t_demo_${Date.now()}`);
    const home = mkdtempSync(path.join(os.tmpdir(), 'docsync-demo-'));
    const { stdout } = await run('npx', ['tsx', 'src/cli/demo.ts'], {
      cwd: path.join(import.meta.dirname, '..', '..'),
      env: { ...process.env, DATABASE_URL: databaseUrl, DOCSYNC_HOME: home },
      timeout: 120_000,
    });
    expect(stdout).toMatch(/Temporal Web UI: http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/sync%2Fsample%2Fdemo-/);
    expect(stdout).toContain('listed 3 documents');
    expect(stdout).toContain('doc-1  fetched  "Revenue grew in the third quarter."');
    expect(stdout).toMatch(/change feed: .*delete doc-2/);
    expect(stdout).toContain('phase rate-limited');
    expect(stdout).toContain('successful calls to the source during the wait: 0');
    expect(stdout).toContain(`Blobs:    ${path.join(home, 'blobs')}`);
    expect(stdout).toContain('demo finished: all four stages ran.');
  }, 150_000);
});
