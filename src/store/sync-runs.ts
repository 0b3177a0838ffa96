// The sync_runs import log: one row per sync cycle (from wake-up to caught up), updated
// idempotently page by page so activity retries never double-count.
import type { Queryable } from './db.js';

export interface PageRecord {
  runId: string;
  connector: string;
  userId: string;
  workflowId?: string;
  pageNo: number;
  upserted: number;
  deleted: number;
  fullListing: boolean;
  finished: boolean;
}

export async function recordPage(db: Queryable, page: PageRecord): Promise<void> {
  await db.query(
    `INSERT INTO sync_runs AS r (id, connector, user_id, workflow_id, pages, upserts, deletes, full_listing,
                                 finished_at, outcome)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $9 THEN now() END, CASE WHEN $9 THEN 'completed' ELSE 'running' END)
     ON CONFLICT (id) DO UPDATE SET
       pages = GREATEST(r.pages, EXCLUDED.pages),
       upserts = r.upserts + EXCLUDED.upserts,
       deletes = r.deletes + EXCLUDED.deletes,
       full_listing = r.full_listing OR EXCLUDED.full_listing,
       finished_at = COALESCE(r.finished_at, EXCLUDED.finished_at),
       outcome = CASE WHEN $9 THEN 'completed' ELSE r.outcome END`,
    [
      page.runId,
      page.connector,
      page.userId,
      page.workflowId ?? null,
      page.pageNo,
      page.upserted,
      page.deleted,
      page.fullListing,
      page.finished,
    ],
  );
}

export async function recordRunError(db: Queryable, runId: string): Promise<void> {
  await db.query('UPDATE sync_runs SET errors = errors + 1 WHERE id = $1', [runId]);
}

export interface SyncRunRow {
  id: string;
  connector: string;
  user_id: string;
  workflow_id: string | null;
  started_at: Date;
  finished_at: Date | null;
  pages: number;
  upserts: number;
  deletes: number;
  errors: number;
  full_listing: boolean;
  outcome: string;
}

export interface SyncRunQuery {
  connector?: string;
  userId?: string;
  /** The newest this many runs (default all). */
  limit?: number;
}

/** The import log, newest run first. */
export async function listSyncRuns(db: Queryable, query: SyncRunQuery = {}): Promise<SyncRunRow[]> {
  const result = await db.query<SyncRunRow>(
    `SELECT * FROM sync_runs WHERE ($1::text IS NULL OR connector = $1) AND ($2::text IS NULL OR user_id = $2)
      ORDER BY started_at DESC, id LIMIT $3`,
    [query.connector ?? null, query.userId ?? null, query.limit ?? null],
  );
  return result.rows;
}

/** Per connector, when a sync run last completed (its listing reached the end), across every worker. */
export async function lastCompletedRuns(db: Queryable): Promise<{ connector: string; finishedAt: Date }[]> {
  const result = await db.query<{ connector: string; finished_at: Date }>(
    `SELECT connector, max(finished_at) AS finished_at FROM sync_runs WHERE outcome = 'completed' GROUP BY connector`,
  );
  return result.rows.map((row) => ({ connector: row.connector, finishedAt: row.finished_at }));
}
