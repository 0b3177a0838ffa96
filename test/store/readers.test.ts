// The store's typed readers against a real Postgres: the change feed a consumer follows by seq,
// document listings, listed sizes for batches, the newest credential ref, and the import log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import {
  appendChanges,
  countChanges,
  DEFAULT_CHANGES_PER_READ,
  latestChangeSeq,
  MAX_CHANGES_PER_READ,
  readChanges,
} from '../../src/store/changes.js';
import { inTransaction } from '../../src/store/db.js';
import { latestCredentialRefFor } from '../../src/store/credentials.js';
import { applyMetadataPage, listDocuments, listedSizes, markFetched, markSkipped } from '../../src/store/documents.js';
import { listSyncRuns, recordPage } from '../../src/store/sync-runs.js';
import { createHarness, type Harness } from '../support/harness.js';

const doc = (id: string, size?: number) => ({ externalId: id, title: `Title ${id}`, path: `/${id}`, version: '1', size });
const content = { version: '1', sha256: 'a'.repeat(64), size: 5, mimeType: 'text/plain', text: 'hello', truncated: false };

describe('store readers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('readers');
  });
  afterAll(async () => h?.close());

  it('given two users with changes, readChanges returns typed rows in seq order, filtered, and a cursor resumes after the last seq', async () => {
    const alice = { connector: 'sample', userId: 'r-alice' };
    const bob = { connector: 'sample', userId: 'r-bob' };
    const start = await latestChangeSeq(h.pool);
    await applyMetadataPage(h.pool, { ...alice, upserts: [doc('a1'), doc('a2')], deletes: [] });
    await applyMetadataPage(h.pool, { ...bob, upserts: [doc('b1')], deletes: [] });
    await markFetched(h.pool, alice, 'a1', content);
    await applyMetadataPage(h.pool, { ...alice, upserts: [], deletes: ['a2'] });

    const all = await readChanges(h.pool, { since: start });
    expect(all.map((c) => `${c.userId}:${c.externalId}:${c.kind}`)).toEqual([
      'r-alice:a1:upsert',
      'r-alice:a2:upsert',
      'r-bob:b1:upsert',
      'r-alice:a1:content',
      'r-alice:a2:delete',
    ]);
    expect(all[0]).toEqual({
      seq: expect.stringMatching(/^\d+$/),
      connector: 'sample',
      userId: 'r-alice',
      externalId: 'a1',
      kind: 'upsert',
      version: '1',
      at: expect.any(Date),
    });
    expect(all.map((c) => BigInt(c.seq))).toEqual(all.map((c) => BigInt(c.seq)).sort((x, y) => (x < y ? -1 : 1)));
    expect(await latestChangeSeq(h.pool)).toBe(all.at(-1)!.seq);

    const aliceOnly = await readChanges(h.pool, { since: start, ...alice });
    expect(aliceOnly.map((c) => c.externalId)).toEqual(['a1', 'a2', 'a1', 'a2']);
    expect(await readChanges(h.pool, { since: start, connector: 'dropbox' })).toEqual([]);

    // A consumer paging two rows at a time with its own cursor sees every row exactly once.
    const paged: string[] = [];
    for (let cursor: string | bigint = BigInt(start); ;) {
      const page = await readChanges(h.pool, { since: cursor, limit: 2 });
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(2);
      paged.push(...page.map((c) => c.seq));
      cursor = page.at(-1)!.seq;
    }
    expect(paged).toEqual(all.map((c) => c.seq));
  });

  it('refuses a negative, fractional or non-numeric cursor and a non-positive limit, naming the field', async () => {
    for (const since of [-1, 1.5, 'abc', '-3', '', -2n, Number.NaN]) {
      const err = await readChanges(h.pool, { since }).catch((e: unknown) => e);
      expect(err, String(since)).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).fields).toEqual(['since']);
      expect((err as Error).message).toContain('whole number');
    }
    for (const limit of [0, -5, 2.5]) {
      const err = await readChanges(h.pool, { since: 0, limit }).catch((e: unknown) => e);
      expect(err, String(limit)).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).fields).toEqual(['limit']);
    }
  });

  it('given more rows than the maximum, one read returns the default, or at most the maximum however many are asked for', async () => {
    const key = { connector: 'sample', userId: 'r-many' };
    const start = await latestChangeSeq(h.pool);
    const rows = Array.from({ length: MAX_CHANGES_PER_READ + 5 }, (_, i) => ({
      externalId: `m${i}`,
      kind: 'upsert' as const,
      version: '1',
    }));
    await inTransaction(h.pool, (client) => appendChanges(client, key, rows));
    expect(await readChanges(h.pool, { since: start, ...key })).toHaveLength(DEFAULT_CHANGES_PER_READ);
    const most = await readChanges(h.pool, { since: start, ...key, limit: MAX_CHANGES_PER_READ * 10 });
    expect(most).toHaveLength(MAX_CHANGES_PER_READ);
    expect(most.map((c) => c.externalId)).toEqual(rows.slice(0, MAX_CHANGES_PER_READ).map((r) => r.externalId));
  });

  it('countChanges counts one row per change, a re-applied page adds none, and a duplicate shows up as 2', async () => {
    const key = { connector: 'sample', userId: 'r-count' };
    await applyMetadataPage(h.pool, { ...key, upserts: [doc('c1'), doc('c2')], deletes: [] });
    await applyMetadataPage(h.pool, { ...key, upserts: [doc('c1'), doc('c2')], deletes: [] }); // an activity retry
    await markFetched(h.pool, key, 'c1', content);
    await markFetched(h.pool, key, 'c1', content); // a retried content write
    const counts = (await countChanges(h.pool, key)).map((c) => `${c.externalId}:${c.kind}:${c.version}=${c.count}`).sort();
    expect(counts).toEqual(['c1:content:1=1', 'c1:upsert:1=1', 'c2:upsert:1=1']);

    await inTransaction(h.pool, (client) => appendChanges(client, key, [{ externalId: 'c2', kind: 'upsert', version: '1' }]));
    expect((await countChanges(h.pool, key)).find((c) => c.externalId === 'c2')?.count).toBe(2);
  });

  it('lists documents in external_id order with status filter, limit and offset, and text only when asked for', async () => {
    const key = { connector: 'sample', userId: 'r-docs' };
    await applyMetadataPage(h.pool, { ...key, upserts: [doc('d3', 30), doc('d1', 10), doc('d2')], deletes: [] });
    await markFetched(h.pool, key, 'd1', content);
    await markSkipped(h.pool, key, 'd2', '1', 'unsupported type');

    const summaries = await listDocuments(h.pool, key);
    expect(summaries.map((r) => [r.external_id, r.status])).toEqual([
      ['d1', 'fetched'],
      ['d2', 'skipped'],
      ['d3', 'pending'],
    ]);
    expect(summaries[0]).not.toHaveProperty('text');
    expect(summaries[0]).toMatchObject({ title: 'Title d1', size: '10', version: '1', updated_at: expect.any(Date) });

    const withText = await listDocuments(h.pool, { ...key, withText: true });
    expect(withText.map((r) => r.text)).toEqual(['hello', null, null]);
    expect((await listDocuments(h.pool, { ...key, status: 'skipped' })).map((r) => r.error)).toEqual(['unsupported type']);
    expect((await listDocuments(h.pool, { ...key, limit: 1, offset: 1 })).map((r) => r.external_id)).toEqual(['d2']);
    expect(await listDocuments(h.pool, { connector: 'sample', userId: 'r-nobody' })).toEqual([]);
  });

  it('listedSizes gives the listed size of each known document, null when the source gave none', async () => {
    const key = { connector: 'sample', userId: 'r-sizes' };
    await applyMetadataPage(h.pool, { ...key, upserts: [doc('s1', 1234), doc('s2'), doc('s3', 0)], deletes: [] });
    const sizes = await listedSizes(h.pool, key, ['s1', 's2', 's3', 'unknown']);
    expect([...sizes.entries()].sort()).toEqual([
      ['s1', 1234],
      ['s2', null],
      ['s3', 0],
    ]);
    expect((await listedSizes(h.pool, { connector: 'sample', userId: 'r-other' }, ['s1'])).size).toBe(0);
    expect((await listedSizes(h.pool, key, [])).size).toBe(0);
  });

  it('latestCredentialRefFor picks the newest credential of that connector and user', async () => {
    const older = await h.credentials.save('sample', 'r-cred', { token: 'old' });
    const newer = await h.credentials.save('sample', 'r-cred', { token: 'new' });
    await h.credentials.save('dropbox', 'r-cred', { token: 'other connector' });
    await h.pool.query("UPDATE credentials SET updated_at = now() - interval '1 hour' WHERE ref = $1", [older]);
    expect(await latestCredentialRefFor(h.pool, 'sample', 'r-cred')).toBe(newer);
    expect(await latestCredentialRefFor(h.pool, 'sample', 'r-nobody')).toBeUndefined();
  });

  it('listSyncRuns reads the import log newest first, by connector and user, up to a limit', async () => {
    const page = { pageNo: 1, upserted: 2, deleted: 0, fullListing: true, finished: true };
    await recordPage(h.pool, { ...page, runId: 'run-1', connector: 'sample', userId: 'r-runs' });
    await recordPage(h.pool, { ...page, runId: 'run-2', connector: 'sample', userId: 'r-runs', finished: false });
    await recordPage(h.pool, { ...page, runId: 'run-3', connector: 'dropbox', userId: 'r-runs' });
    // Distinct start times, oldest first, so the order does not hang on clock resolution.
    await h.pool.query("UPDATE sync_runs SET started_at = now() - (interval '1 minute' * (4 - substr(id, 5)::int)) WHERE id LIKE 'run-_'");

    const runs = await listSyncRuns(h.pool, { connector: 'sample', userId: 'r-runs' });
    expect(runs.map((r) => [r.id, r.outcome, r.upserts])).toEqual([
      ['run-2', 'running', 2],
      ['run-1', 'completed', 2],
    ]);
    expect((await listSyncRuns(h.pool, { userId: 'r-runs', limit: 2 })).map((r) => r.id)).toEqual(['run-3', 'run-2']);
    expect(await listSyncRuns(h.pool, { connector: 'gmail' })).toEqual([]);
  });
});
