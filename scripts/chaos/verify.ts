// What the chaos run checks once the sync is done: every document exactly once with its text,
// the change feed complete and without duplicates, sync_runs agreeing with what was listed, and
// how often the fake was asked for a page (from scratch, or the same page twice).
import type { Pool } from 'pg';
import { countChanges, MAX_CHANGES_PER_READ, readChanges } from '../../src/store/changes.js';
import { listDocuments, type DocumentRow } from '../../src/store/documents.js';
import { listSyncRuns } from '../../src/store/sync-runs.js';
import type { RecordedRequest } from '../../test/fakes/dropbox/server.js';

export interface StoreCheck {
  expected: number;
  stored: number;
  /** Expected documents missing, not fetched, or with a text other than their content. */
  lost: string[];
  /** Rows for one path beyond the first, or rows for documents that do not exist. */
  duplicates: number;
  changes: { upserts: number; contents: number; docsWithoutFullFeed: number; duplicateChanges: number };
  syncRuns: { rows: number; pages: number; upserts: number; problems: string[] };
}

export interface ListingCheck {
  /** files/list_folder calls answered 200 beyond the first: a listing restarted from scratch. */
  relistedFromScratch: number;
  /** list_folder/continue answered 200 for a cursor already answered before (a crash between the answer and the commit). */
  pagesRepeated: number;
  /** Distinct pages the fake handed out (1 start + distinct continue cursors). */
  pagesServed: number;
}

export async function checkStore(pool: Pool, user: { connector: string; userId: string }, files: Map<string, string>): Promise<StoreCheck> {
  const docs = await listDocuments(pool, { ...user, withText: true });
  const byPath = new Map<string | null, DocumentRow[]>();
  for (const row of docs) byPath.set(row.path, [...(byPath.get(row.path) ?? []), row]);
  const lost: string[] = [];
  for (const [path, content] of files) {
    const rows = byPath.get(path) ?? [];
    if (!rows.some((r) => r.status === 'fetched' && !r.deleted_at && r.text === content)) lost.push(path);
  }
  let duplicates = 0;
  for (const [path, rows] of byPath) duplicates += path !== null && files.has(path) ? rows.length - 1 : rows.length;

  const feed = await countChanges(pool, user);
  const kinds = new Map<string, Set<string>>();
  let duplicateChanges = 0;
  for (const row of feed) {
    duplicateChanges += row.count - 1;
    kinds.set(row.externalId, (kinds.get(row.externalId) ?? new Set()).add(row.kind));
  }
  const docsWithoutFullFeed = docs.filter(
    (d) => !kinds.get(d.external_id)?.has('upsert') || !kinds.get(d.external_id)?.has('content'),
  ).length;
  const count = (kind: string) => feed.filter((r) => r.kind === kind).reduce((n, r) => n + r.count, 0);

  const runs = await listSyncRuns(pool, user);
  const problems: string[] = [];
  if (runs.length !== 1) problems.push(`expected 1 sync_runs row for the first sync, found ${runs.length}`);
  for (const run of runs) {
    if (run.outcome !== 'completed' || !run.finished_at) problems.push(`run not completed (outcome ${run.outcome})`);
    if (run.upserts !== files.size) problems.push(`run counted ${run.upserts} upserts for ${files.size} documents`);
    if (run.deletes !== 0 || run.errors !== 0) problems.push(`run counted ${run.deletes} deletes and ${run.errors} errors, expected none`);
    if (!run.full_listing) problems.push('first sync not marked as a full listing');
  }
  return {
    expected: files.size,
    stored: docs.length,
    lost,
    duplicates,
    changes: { upserts: count('upsert'), contents: count('content'), docsWithoutFullFeed, duplicateChanges },
    syncRuns: {
      rows: runs.length,
      pages: runs.reduce((n, r) => n + r.pages, 0),
      upserts: runs.reduce((n, r) => n + r.upserts, 0),
      problems,
    },
  };
}

export function checkListing(requests: RecordedRequest[]): ListingCheck {
  const answered = requests.filter((r) => r.status === 200);
  const starts = answered.filter((r) => r.route === '/2/files/list_folder').length;
  const continues = answered.filter((r) => r.route === '/2/files/list_folder/continue');
  const cursors = new Set(continues.map((r) => r.cursor));
  return {
    relistedFromScratch: Math.max(0, starts - 1),
    pagesRepeated: continues.length - cursors.size,
    pagesServed: Math.min(starts, 1) + cursors.size,
  };
}

/**
 * A downstream consumer reading the change feed with its own cursor (`seq > cursor`) while the
 * sync runs. Comparing what it saw with the final table shows whether a live reader misses rows
 * (a transaction committing a lower seq after a higher one was already read).
 */
export class LiveFeedReader {
  private cursor = 0n;
  private readonly seen = new Set<string>();
  polls = 0;

  constructor(
    private readonly pool: Pool,
    private readonly user: { connector: string; userId: string },
  ) {}

  async poll(): Promise<void> {
    const rows = await readChanges(this.pool, { ...this.user, since: this.cursor, limit: MAX_CHANGES_PER_READ });
    this.polls += 1;
    for (const row of rows) {
      this.seen.add(row.seq);
      if (BigInt(row.seq) > this.cursor) this.cursor = BigInt(row.seq);
    }
  }

  /** After a final poll: rows in the feed this reader never saw. */
  async missed(): Promise<number> {
    await this.poll();
    let missed = 0;
    // A second pass over the whole feed, page by page, now that nothing writes any more.
    for (let since = '0'; ;) {
      const page = await readChanges(this.pool, { ...this.user, since, limit: MAX_CHANGES_PER_READ });
      if (page.length === 0) return missed;
      missed += page.filter((r) => !this.seen.has(r.seq)).length;
      since = page.at(-1)!.seq;
    }
  }
}
