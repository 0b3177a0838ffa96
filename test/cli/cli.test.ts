// The `docsync` CLI as a user runs it, against the real Temporal dev server and Postgres.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, docsync as runDocsync } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { newSampleSource, seedThreeDocs } from '../support/sample.js';

describe('docsync CLI', () => {
  let env: NodeJS.ProcessEnv;
  const source = newSampleSource();

  const docsync = (...args: string[]) => runDocsync(args, { cwd: source.dir, env });

  const h = useHarness('cli', {
    worker: true,
    setup: async (h) => {
      env = cliEnv(h, source.dir);
    },
  });

  it('lists connectors with their config fields', async () => {
    const { code, stdout } = await docsync('connectors');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^sample: sourceDir \(required\), pageSize/m);
    expect(stdout).toMatch(/^dropbox: appKey \(required\), appSecret \(required\), refreshToken \(required\)/m);
    expect(stdout).toMatch(/^gdrive: /m);
    expect(stdout).toMatch(/^gmail: /m);
  });

  it('refuses a bad config, naming each field, with exit code 2', async () => {
    const bad = path.join(source.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ pageSize: -1 }));
    const { code, stderr } = await docsync('connect', 'sample', '--user', 'carol', '--config', bad);
    expect(code).toBe(2);
    expect(stderr).toContain('sourceDir');
    expect(stderr).toContain('pageSize');
    const missing = await docsync('connect', 'sample', '--user', 'carol', '--config', path.join(source.dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read config file');
    const unknown = await docsync('connect', 'notion', '--user', 'carol', '--config', bad);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown connector "notion"');
  });

  it('connects, syncs, shows status, documents and changes, pauses, resumes and cancels', async () => {
    await seedThreeDocs(source);
    await source.requireToken('cli-secret-token');
    const good = path.join(source.dir, 'good.json');
    writeFileSync(good, JSON.stringify({ sourceDir: source.dir, pageSize: 2, token: 'cli-secret-token' }));
    const connected = await docsync('connect', 'sample', '--user', 'carol', '--config', good);
    expect(connected.code).toBe(0);
    const ref = connected.stdout.trim();
    expect(ref).toMatch(/^cred_[0-9a-f-]{36}$/);
    const stored = await h.pool.query('SELECT ciphertext FROM credentials WHERE ref = $1', [ref]);
    expect(stored.rows[0].ciphertext).not.toContain('cli-secret-token');

    const started = await docsync('sync', 'sample', 'carol', '--interval', '600');
    expect(started).toMatchObject({ code: 0 });
    expect(started.stdout).toContain('started sync/sample/carol');
    const input = (await h.client.workflow.getHandle('sync/sample/carol').fetchHistory()).events![0]
      .workflowExecutionStartedEventAttributes!.input!;
    expect(JSON.stringify(input)).not.toContain('cli-secret-token'); // only the credential ref travels
    expect((await h.client.workflow.getHandle('sync/sample/carol').describe()).memo).toEqual({ connector: 'sample', userId: 'carol' });
    await eventually(async () => (await docsync('status', 'sample', 'carol', '--json')).stdout.includes('"fetched": 3'));
    const table = await docsync('status', 'sample', 'carol');
    expect(table.stdout).toMatch(/sample\/carol\s*│\s*idle\s*│\s*3\s*│\s*3\s*│\s*0/);
    // The list comes from Temporal's visibility store, which lags a moment behind under load.
    const all = await eventually(async () => {
      const listed = await docsync('status');
      return listed.stdout.includes('sample/carol') && listed;
    });
    expect(all.code).toBe(0);

    const again = await docsync('sync', 'sample', 'carol');
    expect(again.stdout).toContain('already running: sent syncNow');

    const list = await docsync('docs', 'list', 'sample', 'carol');
    expect(list.stdout).toMatch(/doc-1\s*│\s*Quarterly report\s*│\s*fetched/);
    const show = await docsync('docs', 'show', 'sample', 'carol', 'doc-1');
    expect(show.stdout).toContain('Revenue grew in the third quarter.');
    const changes = await docsync('changes', '--since', '0', '--user', 'carol');
    const feed = changes.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(
      feed
        .filter((c) => c.kind === 'upsert')
        .map((c) => c.external_id)
        .sort(),
    ).toEqual(['doc-1', 'doc-2', 'doc-3']);
    const later = await docsync('changes', '--since', String(feed[2].seq), '--user', 'carol');
    expect(later.stdout.trim().split('\n')).toHaveLength(feed.length - 3);

    expect((await docsync('pause', 'sample', 'carol')).code).toBe(0);
    await eventually(async () => (await docsync('status', 'sample', 'carol', '--json')).stdout.includes('"phase": "paused"'));
    expect((await docsync('resume', 'sample', 'carol')).code).toBe(0);
    await eventually(async () => (await docsync('status', 'sample', 'carol', '--json')).stdout.includes('"phase": "idle"'));
    expect((await docsync('cancel', 'sample', 'carol')).stdout).toContain('requested cancellation of sync/sample/carol');
    await expect(h.client.workflow.getHandle('sync/sample/carol').result()).rejects.toThrow();
    expect((await h.client.workflow.getHandle('sync/sample/carol').describe()).status.name).toBe('CANCELLED');
  });

  it('gives clear errors and exit codes for an unknown user and an unreachable Temporal', async () => {
    const unknown = await docsync('pause', 'sample', 'nobody');
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('no running sync for connector "sample" and user "nobody"');
    const status = await docsync('status', 'sample', 'nobody');
    expect(status.code).toBe(4);
    const saved = env;
    env = { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const down = await docsync('status');
    env = saved;
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
  });
});
