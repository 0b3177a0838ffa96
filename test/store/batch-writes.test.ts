// A batch's outcomes are written together (pipeline/record-outcomes.ts): blobs persisted, then one
// statement per kind in one transaction. Each keeps the single-document guarantees: version guards,
// one 'content' change row per written document whose seq the row carries, 'delete' rows for the
// gone, the run's error count, and a retried batch writes nothing twice.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DocMetadata } from '../../src/core/contract.js';
import { recordOutcomes, type PendingOutcome } from '../../src/pipeline/record-outcomes.js';
import { BlobStore } from '../../src/store/blobs.js';
import { applyMetadataPage, getDocuments } from '../../src/store/documents.js';
import { recordPage } from '../../src/store/sync-runs.js';
import { changes } from '../support/sample.js';
import { useHarness } from '../support/harness.js';

const file = (id: string, version = 'v1'): DocMetadata => ({
  externalId: id,
  title: `${id}.txt`,
  path: `/${id}.txt`,
  mimeType: 'text/plain',
  size: 10,
  version,
  extra: { pathLower: `/${id}.txt` },
});

describe('batched outcome writes', () => {
  const h = useHarness('batch_writes');

  it('given a batch with content, a re-listed version, a skip, a broken file and a gone one, each is written once under its guard', async () => {
    const key = { connector: 'batch', userId: 'pq3-batch' };
    const blobs = new BlobStore(h.blobDir);
    const runId = randomUUID();
    await recordPage(h.pool, { runId, ...key, pageNo: 1, upserted: 6, deleted: 0, fullListing: true, finished: false });
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    await applyMetadataPage(h.pool, { ...key, upserts: ids.map((id) => file(id)), deletes: [] });
    // 'c' is listed again with a newer version while its v1 download runs: v1 must not land on it.
    await applyMetadataPage(h.pool, { ...key, upserts: [file('c', 'v2')], deletes: [] });

    const content = async (id: string, body: string): Promise<PendingOutcome> => ({
      kind: 'content',
      doc: { externalId: id, version: 'v1' },
      outcome: 'fetched',
      blob: await blobs.stage(Buffer.from(body), { maxBytes: 1000 }),
      write: { mimeType: 'text/plain', text: body, truncated: false },
    });
    const batch = async (): Promise<PendingOutcome[]> => [
      await content('a', 'alpha'),
      await content('b', 'bravo'),
      await content('c', 'charlie v1'),
      { kind: 'skipped', doc: { externalId: 'd', version: 'v1' }, reason: 'unsupported type' },
      { kind: 'broken', doc: { externalId: 'e', version: 'v1' }, reason: 'text extraction failed: bad xref' },
      { kind: 'gone', doc: { externalId: 'f', version: 'v1' } },
    ];
    const first = await batch();
    await recordOutcomes({ pool: h.pool, blobs }, key, first, runId);

    const rows = await getDocuments(h.pool, key, ids);
    expect(rows.get('a')).toMatchObject({ status: 'fetched', fetched_version: 'v1', text: 'alpha' });
    expect(rows.get('b')).toMatchObject({ status: 'fetched', fetched_version: 'v1', text: 'bravo' });
    expect(rows.get('c')).toMatchObject({ status: 'pending', version: 'v2', fetched_version: null, content_sha256: null });
    expect(rows.get('d')).toMatchObject({ status: 'skipped', fetched_version: 'v1', error: 'unsupported type' });
    expect(rows.get('e')).toMatchObject({ status: 'failed', fetched_version: 'v1', attempts: 1 });
    expect(rows.get('f')).toMatchObject({ status: 'deleted' });
    // The blob of every row marked fetched is in the store under its hash; nothing is left in the temp dir for them.
    for (const id of ['a', 'b']) {
      const row = rows.get(id)!;
      expect(await fs.readFile(blobs.pathFor(row.content_sha256!), 'utf8')).toBe(row.text);
    }
    const feed = (await changes(h.pool, key.connector, key.userId)).filter((c) => c.kind === 'content' || c.kind === 'delete');
    expect(feed.map((c) => `${c.external_id}:${c.kind}`).sort()).toEqual(['a:content', 'b:content', 'f:delete']);
    // Each written row carries its own change row's seq: distinct, so a consumer following seq sees each.
    for (const c of feed) expect(rows.get(c.external_id)!.seq).toBe(c.seq);
    const errors = await h.pool.query<{ errors: number }>('SELECT errors FROM sync_runs WHERE id = $1', [runId]);
    expect(errors.rows[0].errors).toBe(1);

    // A retried batch (the activity ran again after a lost reply) changes nothing and appends nothing.
    const before = await changes(h.pool, key.connector, key.userId);
    await recordOutcomes({ pool: h.pool, blobs }, key, (await batch()).slice(0, 3), runId);
    expect(await changes(h.pool, key.connector, key.userId)).toEqual(before);
    expect((await getDocuments(h.pool, key, ['a'])).get('a')!.seq).toBe(rows.get('a')!.seq);
  });

  it('given staged blobs, persist moves them under their hash and discard drops them', async () => {
    const blobs = new BlobStore(h.blobDir);
    const kept = await blobs.stage(Buffer.from('kept bytes'), { maxBytes: 100 });
    const dropped = await blobs.stage(Buffer.from('dropped bytes'), { maxBytes: 100 });
    expect(kept.path.startsWith(blobs.tempDir)).toBe(true);
    const [stored] = await blobs.persist([kept]);
    await blobs.discard([dropped]);
    expect(stored.path).toBe(blobs.pathFor(kept.sha256));
    expect(await fs.readFile(stored.path, 'utf8')).toBe('kept bytes');
    await expect(fs.access(kept.path)).rejects.toThrow();
    await expect(fs.access(dropped.path)).rejects.toThrow();
    expect(await blobs.has(dropped.sha256)).toBe(false);
  });
});
