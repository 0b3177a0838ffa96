// The CLI as a Unix tool, through the real binary: a closed pipe ends it quietly with exit 0, the
// status table fits a 100-column terminal (a real pty via script(1)), listings say on stderr when
// they were cut short, --version, and a misspelt config key is refused with the field named.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, DOCSYNC_BIN, ROOT, docsync as runDocsync, run } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { newSampleSource, seedThreeDocs } from '../support/sample.js';
import { appendChanges } from '../../src/store/changes.js';

const BULK = 3000; // far more than a pipe buffer (64 KiB) of output, so the writer meets the closed pipe

describe('docsync CLI as a Unix tool', () => {
  let env: NodeJS.ProcessEnv;
  const source = newSampleSource();
  const docsync = (...args: string[]) => runDocsync(args, { cwd: source.dir, env });
  /** `docsync <args> | head -1` in bash, with docsync's own exit status. */
  const pipedToHead = (args: string) =>
    run('bash', ['-c', `set -o pipefail; "${process.execPath}" "${DOCSYNC_BIN}" ${args} | head -1`], { cwd: source.dir, env });
  /** `docsync <args>` on a pseudo-terminal `columns` wide (script(1)); lines without the pty's \r. */
  const onTerminal = async (columns: number, args: string) => {
    const cmd = `stty cols ${columns} rows 50; exec "${process.execPath}" "${DOCSYNC_BIN}" ${args}`;
    const result = await run('script', ['-qec', cmd, '/dev/null'], { cwd: source.dir, env });
    return { ...result, lines: result.stdout.replace(/\r/g, '').split('\n').filter(Boolean) };
  };

  let bulkSeqs: string[] = [];
  useHarness('cli-unix', {
    worker: true,
    setup: async (h) => {
      env = cliEnv(h, source.dir);
      await seedThreeDocs(source);
      // Rows as a big import leaves them, written straight to the store: only the CLI's output is under test.
      await h.pool.query(
        `INSERT INTO documents (connector, user_id, external_id, title, version, status, seq)
           SELECT 'sample', 'bulk', 'bulk-' || lpad(n::text, 5, '0'), 'Bulk document number ' || n, 'v1', 'fetched', n
           FROM generate_series(1, ${BULK}) AS n`,
      );
      const bulk = Array.from({ length: BULK }, (_, i) => ({
        externalId: `bulk-${String(i + 1).padStart(5, '0')}`,
        kind: 'upsert' as const,
        version: 'v1',
      }));
      // Seqs come from the writing transaction's block (store/changes.ts): read them, never assume 1..N.
      bulkSeqs = (await appendChanges(h.pool, { connector: 'sample', userId: 'bulk' }, bulk)).map((r) => r.seq);
    },
  });

  it('prints its version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await docsync('--version');
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('ends quietly with exit 0 when the reader closes the pipe', async () => {
    const changes = await pipedToHead(`changes --limit ${BULK}`);
    expect(changes).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(changes.stdout)).toMatchObject({ seq: bulkSeqs[0], external_id: 'bulk-00001', kind: 'upsert' });
    const docs = await pipedToHead(`docs list sample bulk --json --limit ${BULK}`);
    expect(docs).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(docs.stdout)).toMatchObject({ external_id: 'bulk-00001', status: 'fetched' });
  });

  it('says on stderr when a listing was cut short, and not when it was not', async () => {
    const cut = await docsync('docs', 'list', 'sample', 'bulk', '--json', '--limit', '2');
    expect(cut.code).toBe(0);
    expect(cut.stdout.trim().split('\n')).toHaveLength(2);
    expect(cut.stderr).toBe(`showing 2 of ${BULK} (raise --limit to see more)\n`);
    const whole = await docsync('docs', 'list', 'sample', 'bulk', '--json', '--limit', String(BULK));
    expect(whole.stderr).toBe('');
    const changes = await docsync('changes', '--connector', 'sample', '--user', 'bulk', '--since', bulkSeqs[9], '--limit', '5');
    expect(
      changes.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { seq: string }).seq),
    ).toEqual(bulkSeqs.slice(10, 15));
    expect(changes.stderr).toBe(`showing 5 of more than 5 (continue with --since ${bulkSeqs[14]})\n`);
    const tail = await docsync('changes', '--connector', 'sample', '--user', 'bulk', '--since', bulkSeqs[BULK - 3], '--limit', '5');
    expect(tail.stdout.trim().split('\n')).toHaveLength(2);
    expect(tail.stderr).toBe('');
  });

  it('fits the status table to a 100-column terminal and keeps the wide table when piped', async () => {
    const config = path.join(source.dir, 'ulla.json');
    writeFileSync(config, JSON.stringify({ sourceDir: source.dir }));
    expect(await docsync('sync', 'sample', 'ulla', '--config', config, '--interval', '600')).toMatchObject({ code: 0 });
    await eventually(async () => (await docsync('status', 'sample', 'ulla', '--json')).stdout.includes('"fetched": 3'));
    const piped = await eventually(async () => {
      const listed = await docsync('status');
      return listed.stdout.includes('sample/ulla') && listed;
    });
    const pipedWidth = Math.max(...piped.stdout.split('\n').map((line) => line.length));
    expect(pipedWidth).toBeGreaterThan(100); // the wide table: what a 100-column terminal could not show
    expect(piped.stdout).toMatch(/sample\/ulla\s*│\s*idle\s*│\s*3\s*│\s*3\s*│\s*0/);

    const narrow = await onTerminal(100, 'status');
    expect(narrow.code).toBe(0);
    expect(narrow.lines.filter((line) => line.length > 100)).toEqual([]);
    expect(narrow.lines).toContain('sample/ulla  idle');
    expect(narrow.lines).toContain('  listed 3  fetched 3  failed 0  deleted 0  in flight 0');
    const wide = await onTerminal(pipedWidth + 20, 'status sample ulla');
    expect(wide.lines.some((line) => /sample\/ulla\s*│\s*idle/.test(line))).toBe(true);
  });

  it('refuses a misspelt config key, naming it and the field it resembles', async () => {
    const config = path.join(source.dir, 'typo.json');
    writeFileSync(config, JSON.stringify({ sourceDir: source.dir, pagesize: 2, colour: 'red' }));
    const result = await docsync('connect', 'sample', '--user', 'carol', '--config', config);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pagesize: unknown field (did you mean "pageSize"?)');
    expect(result.stderr).toContain('colour: unknown field');
  });
});
