// Poison documents (dead letters): failed download attempts are counted on the row, a document
// whose retrieval kept failing is parked, and parked or re-requested documents are handed back
// to the next sync so one bad document never blocks a user's sync and is never forgotten.
import type { DocKey, DocRef } from '../core/refs.js';
import type { Queryable } from './db.js';

/** At most this many parked documents are re-queued per sync (keeps the activity result small). */
export const MAX_RETRIES_PER_SYNC = 200;
/** Stored errors are cut to this many characters (a provider may answer with a whole HTML page). */
export const MAX_ERROR_CHARS = 2000;

const clip = (error: string) => (error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}…` : error);

/** One failed attempt of `version` (the status is left alone: the workflow may still retry). */
export async function recordFailedAttempt(db: Queryable, key: DocKey, externalId: string, version: string, error: string): Promise<void> {
  await db.query(
    `UPDATE documents SET attempts = attempts + 1, error = $5, last_attempt_at = now(), updated_at = now()
      WHERE connector = $1 AND user_id = $2 AND external_id = $3 AND version = $4 AND deleted_at IS NULL`,
    [key.connector, key.userId, externalId, version, clip(error)],
  );
}

/**
 * Parks `version` after its last attempt failed: status 'failed' with the error, retried by the
 * next sync. Idempotent: a retried call (or an already parked row) changes nothing and returns false.
 */
export async function park(db: Queryable, key: DocKey, externalId: string, version: string, error: string): Promise<boolean> {
  const result = await db.query(
    `UPDATE documents SET status = 'failed', error = $5, attempts = GREATEST(attempts, 1), parked_at = now(),
            retry_requested_at = NULL, updated_at = now()
      WHERE connector = $1 AND user_id = $2 AND external_id = $3 AND version = $4 AND deleted_at IS NULL
        AND status <> 'failed'`,
    [key.connector, key.userId, externalId, version, clip(error)],
  );
  return (result.rowCount ?? 0) > 0;
}

/**
 * Documents to retry in sync run `runId`: parked, or re-requested (`docsync docs retry`), before
 * the run started, and not fetched since. They go back to 'pending' while they are retried.
 * Documents whose content itself is broken (fetched_version = version) are left alone.
 */
export async function takeDueRetries(db: Queryable, key: DocKey, runId: string): Promise<DocRef[]> {
  const result = await db.query<{ external_id: string; version: string }>(
    `WITH run AS (SELECT started_at FROM sync_runs WHERE id = $3),
          due AS (
       SELECT d.external_id FROM documents d, run
        WHERE d.connector = $1 AND d.user_id = $2 AND d.deleted_at IS NULL
          AND (d.parked_at IS NOT NULL OR d.retry_requested_at IS NOT NULL)
          AND d.status IN ('failed', 'pending') AND d.fetched_version IS DISTINCT FROM d.version
          AND (d.parked_at < run.started_at OR d.retry_requested_at < run.started_at)
        ORDER BY COALESCE(d.retry_requested_at, d.parked_at) LIMIT $4)
     UPDATE documents d SET status = 'pending', updated_at = now()
       FROM due WHERE d.connector = $1 AND d.user_id = $2 AND d.external_id = due.external_id
     RETURNING d.external_id, d.version`,
    [key.connector, key.userId, runId, MAX_RETRIES_PER_SYNC],
  );
  return result.rows.map((r) => ({ externalId: r.external_id, version: r.version }));
}

/**
 * Asks for `externalId` to be fetched again by the next sync, whatever its status (a corrupt
 * file the user replaced in place, a parked document). Returns false when there is no such live row.
 */
export async function requestRetry(db: Queryable, key: DocKey, externalId: string): Promise<boolean> {
  const result = await db.query(
    `UPDATE documents SET status = 'pending', fetched_version = NULL, retry_requested_at = now(), updated_at = now()
      WHERE connector = $1 AND user_id = $2 AND external_id = $3 AND deleted_at IS NULL`,
    [key.connector, key.userId, externalId],
  );
  return (result.rowCount ?? 0) > 0;
}

/** SQL fragment for a successful outcome: the document is no longer a dead letter. */
export const CLEAR_PARKED = 'attempts = 0, parked_at = NULL, retry_requested_at = NULL';
