// The change feed without a lock: a consumer that keeps max(seq) as its cursor must never skip a
// row that was still uncommitted when it read (a page transaction racing a document write), and
// the document write must not wait for the page.
import { readChanges } from '../../src/store/changes.js';
import { describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/store/db.js';
import { applyMetadataPage, markFetched, sweep } from '../../src/store/documents.js';
import { stopAfterTest } from '../support/cleanup.js';
import { useHarness, type Harness } from '../support/harness.js';

const key = { connector: 'sample', userId: 'feed' };
const doc = (id: string, version = '1') => ({ externalId: id, title: id, path: `/${id}`, version });

const readFeed = (h: Harness, since: number) => readChanges(h.pool, { since, userId: key.userId });

describe('change feed', () => {
  const h = useHarness('changefeed');

  it('given a page transaction still open, a document write commits meanwhile but cannot overtake it in the feed', async () => {
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
    // If an assertion fails while the page is held, end the transaction and the document write, so their pool clients are released and afterAll's pool.end() does not hang.
    let content: Promise<unknown> | undefined;
    stopAfterTest(async () => {
      releasePage();
      await page.catch(() => undefined);
      await content?.catch(() => undefined);
    });
    await pageOpen;
    const cursor = Math.max(0, ...(await readFeed(h, 0)).map((c) => Number(c.seq)));

    content = markFetched(h.pool, key, 'a', {
      version: '1',
      sha256: 'f'.repeat(64),
      size: 1,
      mimeType: 'text/plain',
      text: 'x',
      truncated: false,
    });
    // No lock: the document write commits while the page is still open...
    expect(await content).toBe(true);
    expect((await h.pool.query("SELECT status FROM documents WHERE user_id = $1 AND external_id = 'a'", [key.userId])).rows).toEqual([
      { status: 'fetched' },
    ]);
    // ...but its change row, committed with a greater seq than the page's uncommitted rows, is not
    // handed out yet: a reader taking it would move its cursor past 'b' and 'c'.
    expect(await readFeed(h, cursor)).toEqual([]);

    releasePage();
    await page;
    const after = await readFeed(h, cursor);
    // A reader resuming from its cursor sees the page's rows, then the content row: nothing skipped.
    expect(after.map((c) => `${c.externalId}:${c.kind}`)).toEqual(['b:upsert', 'c:upsert', 'a:content']);
  });

  it('given an older transaction that appends again after a younger one appended, a reader taking its rows still gets the younger one later', async () => {
    // The order a sequence number drawn at insert time gets wrong: the page transaction (older) appends,
    // a second user's page (younger) appends and stays open, then the older one sweeps and commits.
    const race = { connector: 'race', userId: 'race-1' };
    const other = { connector: 'race', userId: 'race-2' };
    await applyMetadataPage(h.pool, { ...race, upserts: [doc('old')], deletes: [] });
    const start = Math.max(0, ...(await readChanges(h.pool, { since: 0, connector: 'race' })).map((c) => Number(c.seq)));
    const gate = () => {
      let open!: () => void;
      return { opened: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
    };
    const olderListed = gate();
    const youngerListed = gate();
    const youngerHeld = gate();
    const older = inTransaction(h.pool, async (client) => {
      await applyMetadataPage(client, { ...race, upserts: [doc('new')], deletes: [], sweepId: 'run-2' });
      olderListed.open();
      await youngerListed.opened;
      await sweep(client, race, 'run-2'); // tombstones 'old', after the younger transaction appended
    });
    const younger = olderListed.opened.then(() =>
      inTransaction(h.pool, async (client) => {
        await applyMetadataPage(client, { ...other, upserts: [doc('m')], deletes: [] });
        youngerListed.open();
        await youngerHeld.opened;
      }),
    );
    stopAfterTest(async () => {
      youngerListed.open();
      youngerHeld.open();
      await Promise.allSettled([older, younger]);
    });
    await older;
    const first = await readChanges(h.pool, { since: start, connector: 'race' });
    expect(first.map((c) => `${c.externalId}:${c.kind}`)).toEqual(['new:upsert', 'old:delete']);

    youngerHeld.open();
    await younger;
    const cursor = first.at(-1)!.seq;
    const rest = await readChanges(h.pool, { since: cursor, connector: 'race' });
    expect(rest.map((c) => `${c.userId}:${c.externalId}:${c.kind}`)).toEqual(['race-2:m:upsert']);
  });
});
