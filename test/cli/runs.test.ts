// `docsync runs`: the import log as a user reads it, after real syncs through the CLI, the worker,
// Temporal and Postgres.
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, docsync as runDocsync } from '../support/cli.js';
import { createHarness, eventually, type Harness } from '../support/harness.js';
import { newSampleSource, seedThreeDocs } from '../support/sample.js';

interface RunLine {
  id: string;
  connector: string;
  user_id: string;
  outcome: string;
  pages: number;
  upserts: number;
  deletes: number;
  errors: number;
  full_listing: boolean;
  finished_at: string | null;
}

describe('docsync runs', () => {
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  const source = newSampleSource();
  const docsync = (...args: string[]) => runDocsync(args, { cwd: source.dir, env });
  const runs = async (...args: string[]): Promise<RunLine[]> => {
    const result = await docsync('runs', ...args, '--json');
    expect(result, result.stderr).toMatchObject({ code: 0 });
    return result.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  };

  beforeAll(async () => {
    h = await createHarness('cli_runs');
    await h.startWorker();
    env = cliEnv(h, source.dir);
  });
  afterAll(async () => h?.close());

  it('given a user synced twice, lists both sync cycles newest first, as a table or JSON lines, up to --limit', async () => {
    expect((await docsync('runs', 'sample', 'dave')).stdout.trim()).toBe('no sync runs for sample/dave');

    await seedThreeDocs(source);
    const config = path.join(source.dir, 'dave.json');
    writeFileSync(config, JSON.stringify({ sourceDir: source.dir, pageSize: 2 }));
    expect((await docsync('sync', 'sample', 'dave', '--config', config, '--interval', '600')).code).toBe(0);
    const [first] = await eventually(async () => {
      const log = await runs('sample', 'dave');
      return log.length === 1 && log[0].outcome === 'completed' && log;
    });
    expect(first).toMatchObject({ connector: 'sample', user_id: 'dave', upserts: 3, deletes: 0, errors: 0, full_listing: true });
    expect(first.pages).toBeGreaterThanOrEqual(2); // three documents, two per page
    expect(first.finished_at).not.toBeNull();

    // A second cycle (nudged by a second `docsync sync`) finds nothing new.
    await source.remove('doc-2');
    expect((await docsync('sync', 'sample', 'dave', '--config', config)).stdout).toContain('sent syncNow');
    const log = await eventually(async () => {
      const all = await runs('sample', 'dave');
      return all.length === 2 && all[0].outcome === 'completed' && all;
    });
    expect(log[1].id).toBe(first.id);
    expect(log[0]).toMatchObject({ upserts: 0, deletes: 1, errors: 0 });
    expect(log[0].id).not.toBe(first.id);

    expect((await runs('sample', 'dave', '--limit', '1')).map((r) => r.id)).toEqual([log[0].id]);
    expect((await runs()).map((r) => r.id)).toEqual(log.map((r) => r.id)); // no filter: every user's runs
    expect(await runs('sample', 'nobody')).toEqual([]);

    const table = await docsync('runs', 'sample', 'dave');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/sample\/dave\s*│\s*completed\s*│\s*\d+\s*│\s*0\s*│\s*1\s*│\s*0\s*│\s*changes/);
    expect(table.stdout).toMatch(/sample\/dave\s*│\s*completed\s*│\s*\d+\s*│\s*3\s*│\s*0\s*│\s*0\s*│\s*full/);

    expect((await docsync('cancel', 'sample', 'dave')).code).toBe(0);
    await expect(h.client.workflow.getHandle('sync/sample/dave').result()).rejects.toThrow(); // ends CANCELED
  });

  it('refuses a bad --limit with exit code 2', async () => {
    const bad = await docsync('runs', '--limit', 'lots');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit must be a whole number');
  });
});
