// Following the change feed live: a follower is woken by the commit (LISTEN/NOTIFY) and reads by
// seq; named consumers keep their own place in Postgres across restarts; a follower whose listening
// connection dies still gets every row (by polling); the CLI's --follow and --consumer do the same.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { appendChanges, type Change } from '../../src/store/changes.js';
import { acknowledgeChanges, consumerPosition, listConsumers } from '../../src/store/consumers.js';
import { ChangeAnnouncer, followChanges } from '../../src/store/follow-changes.js';
import { createPool, inTransaction } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { stopAfterTest } from '../support/cleanup.js';
import { DOCSYNC_BIN, docsync, ROOT } from '../support/cli.js';
import { eventually, useHarness, type Harness } from '../support/harness.js';
import { newSampleSource } from '../support/sample.js';

const key = { connector: 'sample', userId: 'fern' };

/** Appends in one transaction and, like a worker, announces the commit. */
async function append(h: Harness, ids: string[]): Promise<string[]> {
  const rows = await inTransaction(h.pool, (client) =>
    appendChanges(
      client,
      key,
      ids.map((externalId) => ({ externalId, kind: 'upsert' as const, version: '1' })),
    ),
  );
  const announcer = new ChangeAnnouncer(h.pool);
  announcer.committed();
  await announcer.flush();
  return rows.map((r) => r.seq);
}

/** Follows in the background; `seen` fills as batches arrive, `stop()` ends it and waits for the end. */
function follow(h: Harness, options: { consumer?: string; since?: string; pollIntervalMs?: number; failOnce?: boolean }) {
  const seen: Change[] = [];
  const stop = new AbortController();
  let failed = !options.failOnce;
  const done = followChanges(h.pool, { ...options, userId: key.userId, signal: stop.signal }, async (changes) => {
    if (!failed) {
      failed = true;
      throw new Error('handler failed once');
    }
    seen.push(...changes);
  });
  const handle = {
    seen,
    done,
    stop: async () => {
      stop.abort();
      await done.catch(() => undefined);
    },
  };
  stopAfterTest(handle.stop);
  return handle;
}

describe('following the change feed', () => {
  const h = useHarness('follow');

  it('given a follower waiting, a committed change reaches it on the notification, long before its poll interval', async () => {
    const [before] = await append(h, ['f0']);
    // An hour between polls: only the notification can wake it in time for the test.
    const follower = follow(h, { since: before, pollIntervalMs: 3_600_000 });
    await eventually(
      async () =>
        (await h.pool.query(`SELECT 1 FROM pg_stat_activity WHERE query = 'LISTEN docsync_changes' AND datname = current_database()`))
          .rowCount,
    );
    const seqs = await append(h, ['f1', 'f2']);
    await eventually(async () => follower.seen.length === 2);
    expect(follower.seen.map((c) => c.seq)).toEqual(seqs);
    expect(follower.seen.map((c) => c.externalId)).toEqual(['f1', 'f2']);
    await follower.stop();
  });

  it('given two named consumers, each resumes where it acknowledged, and a failing handler acknowledges nothing', async () => {
    const base = (await append(h, ['c0']))[0];
    const indexer = follow(h, { consumer: 'indexer-fern', since: base, pollIntervalMs: 100 });
    const first = await append(h, ['c1', 'c2']);
    await eventually(async () => indexer.seen.length === 2);
    await indexer.stop();
    expect(await consumerPosition(h.pool, 'indexer-fern')).toBe(first[1]);

    const later = await append(h, ['c3']);
    // Restarted: only what came after its acknowledgement, whatever `since` says now.
    const again = follow(h, { consumer: 'indexer-fern', since: '0', pollIntervalMs: 100 });
    await eventually(async () => again.seen.length >= 1);
    expect(again.seen.map((c) => c.seq)).toEqual(later);
    await again.stop();

    // A second consumer has its own place; its handler fails once, so the first batch is handed over again.
    const audit = follow(h, { consumer: 'audit-fern', since: base, pollIntervalMs: 100, failOnce: true });
    await expect(audit.done).rejects.toThrow('handler failed once');
    expect(await consumerPosition(h.pool, 'audit-fern')).toBe(base);
    const retry = follow(h, { consumer: 'audit-fern', pollIntervalMs: 100 });
    await eventually(async () => retry.seen.length === 3);
    expect(retry.seen.map((c) => c.externalId)).toEqual(['c1', 'c2', 'c3']);
    await retry.stop();
    // A late acknowledgement of an older seq never moves a cursor back.
    await acknowledgeChanges(h.pool, 'audit-fern', base);
    expect(await consumerPosition(h.pool, 'audit-fern')).toBe(later[0]);
    expect((await listConsumers(h.pool)).map((c) => c.name)).toEqual(expect.arrayContaining(['indexer-fern', 'audit-fern']));
  });

  it('given the listening connection is killed, the follower still gets every row by polling', async () => {
    const [before] = await append(h, ['k0']);
    const follower = follow(h, { since: before, pollIntervalMs: 200 });
    const listening = await eventually(async () => {
      const r = await h.pool.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN docsync_changes' AND datname = current_database()`,
      );
      return r.rows[0]?.pid;
    });
    await h.pool.query('SELECT pg_terminate_backend($1)', [listening]);
    const seqs = await append(h, ['k1']);
    await eventually(async () => follower.seen.length === 1);
    expect(follower.seen.map((c) => c.seq)).toEqual(seqs);
    await follower.stop();
  });

  it('given a follower with no polling, the writes of a sync reach it: the worker announces its commits', async () => {
    const source = newSampleSource();
    for (const id of ['w1', 'w2', 'w3']) await source.put(id, { title: id, content: `worker ${id}` });
    const seen: Change[] = [];
    const stop = new AbortController();
    const done = followChanges(
      h.pool,
      { userId: 'wendy', signal: stop.signal, pollIntervalMs: 3_600_000 },
      async (c) => void seen.push(...c),
    );
    stopAfterTest(async () => {
      stop.abort();
      await done.catch(() => undefined);
    });
    await eventually(
      async () =>
        (await h.pool.query(`SELECT 1 FROM pg_stat_activity WHERE query = 'LISTEN docsync_changes' AND datname = current_database()`))
          .rowCount,
    );
    const worker = await h.startWorker();
    await h.startSync({ connector: 'sample', userId: 'wendy', config: { sourceDir: source.dir }, options: { once: true } });
    // Each document: its upsert at listing and its content once fetched.
    await eventually(async () => seen.filter((c) => c.kind === 'content').length === 3);
    expect(
      seen
        .filter((c) => c.kind === 'upsert')
        .map((c) => c.externalId)
        .sort(),
    ).toEqual(['w1', 'w2', 'w3']);
    await worker.stop();
  });

  it('given a bad consumer name or cursor, the CLI says which flag is wrong', async () => {
    const env = { ...process.env, DATABASE_URL: h.databaseUrl };
    const badName = await docsync(['changes', '--consumer', 'no spaces'], { env });
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('--consumer');
    const badSince = await docsync(['changes', '--follow', '--since', 'x'], { env });
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('--since');
  });

  it('given `docsync changes --follow --consumer`, new rows are printed as they commit and the consumer advances', async () => {
    const [base] = await append(h, ['cli0']);
    const child = spawn(
      process.execPath,
      [DOCSYNC_BIN, 'changes', '--follow', '--consumer', 'cli-fern', '--since', base, '--user', key.userId],
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: h.databaseUrl },
      },
    );
    stopAfterTest(() => void child.kill('SIGKILL'));
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await eventually(async () => (await h.pool.query(`SELECT 1 FROM change_consumers WHERE name = 'cli-fern'`)).rowCount);
    const seqs = await append(h, ['cli1', 'cli2']);
    const lines = await eventually(async () => {
      const parsed = stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { seq: string; external_id: string });
      return parsed.length === 2 && parsed;
    });
    expect(lines.map((l) => l.external_id)).toEqual(['cli1', 'cli2']);
    await eventually(async () => (await consumerPosition(h.pool, 'cli-fern')) === seqs[1]);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('DOCSYNC_DB_SCHEMA', () => {
  const h = useHarness('dbschema');

  it('given a schema name, migrations create docsync tables there and the CLI reads the feed from it', async () => {
    const pool = createPool(h.databaseUrl, 2, 'docsync_fern');
    stopAfterTest(() => pool.end());
    await migrate(pool);
    const tables = await h.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'docsync_fern' ORDER BY table_name`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['change_consumers', 'changes', 'documents', 'schema_migrations', 'sync_runs']),
    );
    await inTransaction(pool, (client) => appendChanges(client, key, [{ externalId: 'in-schema', kind: 'upsert', version: '1' }]));
    const env = { ...process.env, DATABASE_URL: h.databaseUrl, DOCSYNC_DB_SCHEMA: 'docsync_fern' };
    const read = await docsync(['changes', '--user', key.userId], { env });
    expect(read.code).toBe(0);
    expect(read.stdout).toContain('"external_id":"in-schema"');
    // The default schema of the same database holds no such row.
    const publicRead = await docsync(['changes', '--user', key.userId], { env: { ...env, DOCSYNC_DB_SCHEMA: '' } });
    expect(publicRead.stdout).not.toContain('in-schema');
    const bad = await docsync(['changes'], { env: { ...env, DOCSYNC_DB_SCHEMA: 'Drop Table' } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('DOCSYNC_DB_SCHEMA');
  });
});
