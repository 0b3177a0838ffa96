// What the chaos run checks once the sync is done: every document exactly once with its text,
// the change feed complete and without duplicates, sync_runs agreeing with what was listed, and
// how often the fake was asked for a page (from scratch, or the same page twice).
import type { Pool } from 'pg';
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
  const key = [user.connector, user.userId];
  const docs = await pool.query<{ external_id: string; path: string; status: string; text: string | null; deleted_at: Date | null }>(
    'SELECT external_id, path, status, text, deleted_at FROM documents WHERE connector = $1 AND user_id = $2', key);
  const byPath = new Map<string, typeof docs.rows>();
  for (const row of docs.rows) byPath.set(row.path, [...(byPath.get(row.path) ?? []), row]);
  const lost: string[] = [];
  for (const [path, content] of files) {
    const rows = byPath.get(path) ?? [];
    if (!rows.some((r) => r.status === 'fetched' && !r.deleted_at && r.text === content)) lost.push(path);
  }
  let duplicates = 0;
  for (const [path, rows] of byPath) duplicates += files.has(path) ? rows.length - 1 : rows.length;

  const feed = await pool.query<{ external_id: string; kind: string; version: string; n: string }>(
    `SELECT external_id, kind, version, count(*) AS n FROM changes WHERE connector = $1 AND user_id = $2
      GROUP BY external_id, kind, version`, key);
  const kinds = new Map<string, Set<string>>();
  let duplicateChanges = 0;
  for (const row of feed.rows) {
    duplicateChanges += Number(row.n) - 1;
    kinds.set(row.external_id, (kinds.get(row.external_id) ?? new Set()).add(row.kind));
  }
  const docsWithoutFullFeed = docs.rows.filter((d) => !kinds.get(d.external_id)?.has('upsert') || !kinds.get(d.external_id)?.has('content')).length;
  const count = (kind: string) => feed.rows.filter((r) => r.kind === kind).reduce((n, r) => n + Number(r.n), 0);

  const runs = await pool.query<{ pages: number; upserts: number; deletes: number; errors: number; outcome: string; finished_at: Date | null; full_listing: boolean }>(
    'SELECT pages, upserts, deletes, errors, outcome, finished_at, full_listing FROM sync_runs WHERE connector = $1 AND user_id = $2', key);
  const problems: string[] = [];
  if (runs.rows.length !== 1) problems.push(`expected 1 sync_runs row for the first sync, found ${runs.rows.length}`);
  for (const run of runs.rows) {
    if (run.outcome !== 'completed' || !run.finished_at) problems.push(`run not completed (outcome ${run.outcome})`);
    if (run.upserts !== files.size) problems.push(`run counted ${run.upserts} upserts for ${files.size} documents`);
    if (run.deletes !== 0 || run.errors !== 0) problems.push(`run counted ${run.deletes} deletes and ${run.errors} errors, expected none`);
    if (!run.full_listing) problems.push('first sync not marked as a full listing');
  }
  return {
    expected: files.size,
    stored: docs.rows.length,
    lost,
    duplicates,
    changes: { upserts: count('upsert'), contents: count('content'), docsWithoutFullFeed, duplicateChanges },
    syncRuns: {
      rows: runs.rows.length,
      pages: runs.rows.reduce((n, r) => n + r.pages, 0),
      upserts: runs.rows.reduce((n, r) => n + r.upserts, 0),
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

  constructor(private readonly pool: Pool, private readonly user: { connector: string; userId: string }) {}

  async poll(): Promise<void> {
    const rows = await this.pool.query<{ seq: string }>(
      'SELECT seq FROM changes WHERE connector = $1 AND user_id = $2 AND seq > $3 ORDER BY seq LIMIT 20000',
      [this.user.connector, this.user.userId, this.cursor.toString()]);
    this.polls += 1;
    for (const row of rows.rows) {
      this.seen.add(row.seq);
      if (BigInt(row.seq) > this.cursor) this.cursor = BigInt(row.seq);
    }
  }

  /** After a final poll: rows in the feed this reader never saw. */
  async missed(): Promise<number> {
    await this.poll();
    const all = await this.pool.query<{ seq: string }>('SELECT seq FROM changes WHERE connector = $1 AND user_id = $2', [this.user.connector, this.user.userId]);
    return all.rows.filter((r) => !this.seen.has(r.seq)).length;
  }
}
