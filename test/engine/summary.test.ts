// What the Web UI shows for a sync started by the real `docsync sync`: the workflow's static summary
// (connector, user, folder) and static details (the non-secret config), read back with describe();
// a secret stored with `docsync connect` appears in neither, nor in the memo.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, docsync as runDocsync } from '../support/cli.js';
import { useHarness } from '../support/harness.js';
import { newSampleSource, seedThreeDocs } from '../support/sample.js';

describe('static summary and details of a sync', () => {
  let env: NodeJS.ProcessEnv;
  const source = newSampleSource();
  const docsync = (...args: string[]) => runDocsync(args, { cwd: source.dir, env });
  // No worker: what is shown is set when the workflow starts, and terminating it leaves nothing behind.
  const h = useHarness('summary', { setup: async (h) => void (env = cliEnv(h, source.dir)) });

  async function described(userId: string) {
    const handle = h.client.workflow.getHandle(`sync/sample/${userId}`);
    const description = await handle.describe();
    const shown = { summary: await description.staticSummary(), details: await description.staticDetails(), memo: description.memo };
    await handle.terminate('test done');
    return shown;
  }

  it('names connector, user and folder from stored credentials, never the secret', async () => {
    await seedThreeDocs(source);
    const secret = 'q7-very-secret-token-value';
    const file = path.join(source.dir, 'stored.json');
    writeFileSync(file, JSON.stringify({ sourceDir: source.dir, pageSize: 2, token: secret }));
    const connected = await docsync('connect', 'sample', '--user', 'q7-sum-stored', '--config', file);
    expect(connected.code).toBe(0);
    const ref = connected.stdout.trim();
    expect((await docsync('sync', 'sample', 'q7-sum-stored')).code).toBe(0);

    const shown = await described('q7-sum-stored');
    expect(shown.summary).toBe(`sample · q7-sum-stored · sourceDir=${source.dir}`);
    expect(shown.details).toContain('`sample`');
    expect(shown.details).toContain('`q7-sum-stored`');
    expect(shown.details).toContain(`| \`sourceDir\` | ${source.dir} |`);
    expect(shown.details).toContain('| `pageSize` | 2 |');
    expect(shown.details).toContain(ref);
    expect(shown.details).not.toContain('token');
    expect(JSON.stringify(shown)).not.toContain(secret);
    expect(shown.memo).toEqual({ connector: 'sample', userId: 'q7-sum-stored' });
  });

  it('describes a sync started with --config and no stored credentials', async () => {
    const file = path.join(source.dir, 'plain.json');
    writeFileSync(file, JSON.stringify({ sourceDir: source.dir, listDelayMs: 5 }));
    expect((await docsync('sync', 'sample', 'q7-sum-plain', '--config', file)).code).toBe(0);

    const shown = await described('q7-sum-plain');
    expect(shown.summary).toBe(`sample · q7-sum-plain · sourceDir=${source.dir}`);
    expect(shown.details).toContain('Credentials: none stored');
    expect(shown.details).toContain('| `listDelayMs` | 5 |');
    expect(shown.memo).toEqual({ connector: 'sample', userId: 'q7-sum-plain' });
  });
});
