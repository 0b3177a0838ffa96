// The change feed in commit order: a consumer that keeps max(seq) as its cursor must never skip a
// row that was still uncommitted when it read (a page transaction racing a document write).
import { readChanges } from '../../src/store/changes.js';
import { describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/store/db.js';
import { applyMetadataPage, markFetched } from '../../src/store/documents.js';
import { stopAfterTest } from '../support/cleanup.js';
import { useHarness, type Harness } from '../support/harness.js';

const key = { connector: 'sample', userId: 'feed' };
const doc = (id: string, version = '1') => ({ externalId: id, title: id, path: `/${id}`, version });

const readFeed = (h: Harness, since: number) => readChanges(h.pool, { since, userId: key.userId });

describe('change feed', () => {
  const h = useHarness('changefeed');

  it('given a page transaction still open, a document write that commits meanwhile cannot overtake it in the feed', async () => {
    await applyMetadataPage(h.pool, { ...key, upserts: [doc('a')], deletes: [] });
    let releasePage!: () => void;
    const pageHeld = new Promise<void>((resolve) => (releasePage = resolve));
    let pageWritten!: () => void;
    const pageOpen = new Promise<void>((resolve) => (pageWritten = resolve));
    const page = inTransaction(h.pool, async (client) => {
      await applyMetadataPage(client, { ...key, upserts: [doc('b'), doc('c')], deletes: [] });
      pageWritten();
      await pageHeld; // the listing transaction is still open here
    });
    // If an assertion fails while the page is held, end the transaction and the write queued behind
    // it, so their pool clients are released and afterAll's pool.end() does not hang.
    let content: Promise<unknown> | undefined;
    stopAfterTest(async () => {
      releasePage();
      await page.catch(() => undefined);
      await content?.catch(() => undefined);
    });
    await pageOpen;
    const cursor = Math.max(0, ...(await readFeed(h, 0)).map((c) => Number(c.seq)));

    let contentDone = false;
    content = markFetched(h.pool, key, 'a', {
      version: '1',
      sha256: 'f'.repeat(64),
      size: 1,
      mimeType: 'text/plain',
      text: 'x',
      truncated: false,
    }).then((changed) => {
      contentDone = true;
      return changed;
    });
    // Give the document write every chance to commit; it must wait for the page instead.
    await new Promise((r) => setTimeout(r, 500));
    expect(contentDone).toBe(false);
    expect(await readFeed(h, cursor)).toEqual([]);

    releasePage();
    await page;
    expect(await content).toBe(true);
    const after = await readFeed(h, cursor);
    // A reader resuming from its cursor sees the page's rows, then the content row: nothing skipped.
    expect(after.map((c) => `${c.externalId}:${c.kind}`)).toEqual(['b:upsert', 'c:upsert', 'a:content']);
  });
});
