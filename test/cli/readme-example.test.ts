// The README's first example, run as written: its shell block, taken from README.md itself, in a
// fresh home folder with `docsync` on PATH, against a real worker. Also: a source folder that does
// not exist is an error naming the folder, for the filesystem and the sample connector.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, DOCSYNC_BIN, ROOT, run } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { documents } from '../support/sample.js';

/** The first ```bash block after the `docsync dev` one: the example a new user types first. */
function firstExample(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
  const dev = blocks.findIndex((b) => /^docsync dev\b/m.test(b));
  return blocks[dev + 1];
}

describe('the README first example', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'docsync-readme-'));
  let env: NodeJS.ProcessEnv;
  const shell = (script: string) => run('bash', ['-euo', 'pipefail', '-c', script], { cwd: home, env, timeoutMs: 120_000 });

  const h = useHarness('cli-readme', {
    worker: true,
    setup: async (h) => {
      const bin = path.join(home, 'bin');
      mkdirSync(bin);
      writeFileSync(path.join(bin, 'docsync'), `#!/bin/sh\nexec "${process.execPath}" "${DOCSYNC_BIN}" "$@"\n`);
      chmodSync(path.join(bin, 'docsync'), 0o755);
      env = { ...cliEnv(h, home), HOME: home, PATH: `${bin}:${process.env.PATH}` };
    },
  });

  it('syncs the folder it makes, as written', async () => {
    const example = firstExample();
    expect(example).toContain('docsync sync filesystem alice --config alice.json');
    const result = await shell(example);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/report\.txt\s*│[^\n]*│\s*fetched/);
    expect(result.stdout).toMatch(/"external_id":"report.txt","kind":"upsert"/);
    const rows = await documents(h.pool, 'filesystem', 'alice');
    expect(rows.get('report.txt')).toMatchObject({ status: 'fetched', text: expect.stringContaining('revenue is up 12%') });
  });

  it('refuses a source folder that does not exist, naming it', async () => {
    const missing = path.join(home, 'no-such-folder');
    writeFileSync(path.join(home, 'fs.json'), JSON.stringify({ root: missing }));
    // A missing filesystem root is an outage, not bad config: the sync starts, its cycle fails
    // visibly (phase failed, the error names the folder) and it lists again once the folder is back.
    expect((await shell('docsync sync filesystem cara --config fs.json')).code).toBe(0);
    const failed = await eventually(async () => {
      const s = await h.status(h.client.workflow.getHandle('sync/filesystem/cara'));
      return s.phase === 'failed' && s;
    });
    expect(failed.lastError).toContain(missing);

    writeFileSync(path.join(home, 'sample.json'), JSON.stringify({ sourceDir: missing }));
    expect((await shell('docsync sync sample cara --config sample.json')).code).toBe(0);
    const failure = await h.client.workflow
      .getHandle('sync/sample/cara')
      .result()
      .then(
        () => 'completed',
        (err: Error) => `${err.message} ${(err.cause as Error | undefined)?.message}`,
      );
    expect(failure).toContain(`sample source folder ${missing} does not exist`);
  });
});
