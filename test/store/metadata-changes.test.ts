// Every change a consumer can see reaches the change feed exactly once, with a kind that says what
// changed: renames, moves and other listed metadata ('metadata'), new versions ('upsert'), content,
// deletes; a move inside one page is one change, and a page that alters nothing writes nothing.
import { describe, expect, it } from 'vitest';
import type { DocMetadata } from '../../src/core/contract.js';
import { applyMetadataPage, getDocument, markFetched, type PageWrite } from '../../src/store/documents.js';
import { changes } from '../support/sample.js';
import { useHarness } from '../support/harness.js';

const file = (id: string, path: string, more: Partial<DocMetadata> = {}): DocMetadata => ({
  externalId: id,
  title: path.slice(path.lastIndexOf('/') + 1),
  path,
  mimeType: 'text/plain',
  size: 10,
  modifiedAt: '2026-01-01T00:00:00Z',
  version: 'v1',
  extra: { rev: 'r1', pathLower: path.toLowerCase() },
  ...more,
});
const content = { version: 'v1', sha256: 'c'.repeat(64), size: 10, mimeType: 'text/plain', text: 'ten bytes.', truncated: false };

describe('metadata changes in the change feed', () => {
  const h = useHarness('metadata_changes');

  const feedOf = async (userId: string) => (await changes(h.pool, 'meta', userId)).map((c) => `${c.external_id}:${c.kind}:${c.version}`);
  /** Applies the page in its own transaction, as the listing activity does. */
  const apply = (page: Omit<PageWrite, 'connector' | 'deletes'> & { deletes?: string[] }) =>
    applyMetadataPage(h.pool, { connector: 'meta', deletes: [], ...page });

  it('given a fetched document, a rename, a move, a size and time change and a new version each write one change and bump seq', async () => {
    const key = { connector: 'meta', userId: 'm-rename' };
    await apply({ userId: key.userId, upserts: [file('id:1', '/a/one.txt')] });
    await markFetched(h.pool, key, 'id:1', content);
    const fetched = (await getDocument(h.pool, key, 'id:1'))!;

    const renamed = await apply({ userId: key.userId, upserts: [file('id:1', '/a/uno.txt')] });
    expect(renamed).toMatchObject({ toFetch: [], upserted: 0, metadataChanged: 1, deleted: 0 });
    const afterRename = (await getDocument(h.pool, key, 'id:1'))!;
    expect(afterRename).toMatchObject({
      title: 'uno.txt',
      path: '/a/uno.txt',
      status: 'fetched',
      fetched_version: 'v1',
      text: 'ten bytes.',
    });
    expect(BigInt(afterRename.seq)).toBeGreaterThan(BigInt(fetched.seq));
    expect(afterRename.updated_at.getTime()).toBeGreaterThan(fetched.updated_at.getTime());

    // A retried page alters nothing: no change row, same seq.
    await apply({ userId: key.userId, upserts: [file('id:1', '/a/uno.txt')] });
    expect((await getDocument(h.pool, key, 'id:1'))!.seq).toBe(afterRename.seq);

    await apply({ userId: key.userId, upserts: [file('id:1', '/b/uno.txt')] }); // moved to another folder
    await apply({ userId: key.userId, upserts: [file('id:1', '/b/uno.txt', { size: 12, modifiedAt: '2026-02-01T00:00:00Z' })] });
    await apply({
      userId: key.userId,
      upserts: [file('id:1', '/b/uno.txt', { size: 12, modifiedAt: '2026-02-01T00:00:00Z', version: 'v2' })],
    });
    expect(await feedOf(key.userId)).toEqual([
      'id:1:upsert:v1',
      'id:1:content:v1',
      'id:1:metadata:v1',
      'id:1:metadata:v1',
      'id:1:metadata:v1',
      'id:1:upsert:v2',
    ]);
    const feed = await changes(h.pool, 'meta', key.userId);
    expect((await getDocument(h.pool, key, 'id:1'))!).toMatchObject({ seq: feed.at(-1)!.seq, status: 'pending', version: 'v2' });
  });

  it('given a page that deletes a path and lists the same id elsewhere, it is one move, not a delete and a re-add', async () => {
    const key = { connector: 'meta', userId: 'm-move' };
    await apply({ userId: key.userId, upserts: [file('id:1', '/old/one.txt'), file('id:2', '/old/two.txt'), file('id:3', '/keep.txt')] });
    await markFetched(h.pool, key, 'id:1', content);
    const before = await feedOf(key.userId);

    // Dropbox reports a folder move as the deletion of the old folder path plus the files at their new paths.
    const page = { userId: key.userId, upserts: [file('id:1', '/new/one.txt')], deletedPaths: ['/old'] };
    const result = await apply(page);
    expect(result).toMatchObject({ toFetch: [], upserted: 0, metadataChanged: 1, deleted: 1 });
    expect((await feedOf(key.userId)).slice(before.length)).toEqual(['id:2:delete:v1', 'id:1:metadata:v1']);
    expect(await getDocument(h.pool, key, 'id:1')).toMatchObject({ path: '/new/one.txt', status: 'fetched', deleted_at: null });
    expect(await getDocument(h.pool, key, 'id:2')).toMatchObject({ status: 'deleted' });

    // The same page again (an activity retry) writes nothing.
    await apply(page);
    expect((await feedOf(key.userId)).slice(before.length)).toHaveLength(2);
  });

  it('given a page that changes nothing visible, only a sweep stamp, it writes no change row and keeps seq and updated_at', async () => {
    const key = { connector: 'meta', userId: 'm-same' };
    await apply({ userId: key.userId, upserts: [file('id:1', '/one.txt', { extra: { b: 1, a: { y: 2, x: 1 } } })] });
    const first = (await getDocument(h.pool, key, 'id:1'))!;
    // The same metadata, keys listed in another order, in a full enumeration (sweep stamp).
    const again = await apply({
      userId: key.userId,
      upserts: [file('id:1', '/one.txt', { extra: { a: { x: 1, y: 2 }, b: 1 } })],
      sweepId: 'run-2',
    });
    expect(again).toMatchObject({ upserted: 0, metadataChanged: 0 });
    const second = (await getDocument(h.pool, key, 'id:1'))!;
    expect({ seq: second.seq, updated_at: second.updated_at }).toEqual({ seq: first.seq, updated_at: first.updated_at });
    expect(await feedOf(key.userId)).toEqual(['id:1:upsert:v1']);
  });
});
