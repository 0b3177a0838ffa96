// The documents table: readers, and content and outcome writes, each appending its change-feed
// row (changes.ts); listing writes live in page-write.ts. Every write is idempotent: a retried
// write changes nothing and writes no change-feed rows.
import type pg from 'pg';
import type { JsonObject } from '../core/contract.js';
import type { DocKey } from '../core/refs.js';
import { changeRowsFrom, NEXT_SINGLE_CHANGE_SEQ } from './changes.js';
import { inTransaction, type Queryable } from './db.js';
import { tombstone } from './page-write.js';
import { CLEAR_PARKED } from './parked.js';

export { applyMetadataPage, sweep, type PageWrite, type PageWriteResult } from './page-write.js';

export interface DocumentRow {
  connector: string;
  user_id: string;
  external_id: string;
  title: string;
  path: string | null;
  mime_type: string | null;
  size: string | null;
  modified_at: Date | null;
  version: string;
  extra: JsonObject | null;
  fetched_version: string | null;
  content_sha256: string | null;
  content_size: string | null;
  text: string | null;
  text_truncated: boolean;
  status: 'pending' | 'fetched' | 'failed' | 'skipped' | 'deleted';
  error: string | null;
  attempts: number;
  parked_at: Date | null;
  retry_requested_at: Date | null;
  last_attempt_at: Date | null;
  deleted_at: Date | null;
  updated_at: Date;
  seq: string;
}

export async function getDocument(db: Queryable, key: DocKey, externalId: string): Promise<DocumentRow | undefined> {
  const result = await db.query<DocumentRow>('SELECT * FROM documents WHERE connector = $1 AND user_id = $2 AND external_id = $3', [
    key.connector,
    key.userId,
    externalId,
  ]);
  return result.rows[0];
}

export interface DocumentQuery extends DocKey {
  status?: DocumentRow['status'];
  /** Rows come in external_id order; without a limit, all of them. */
  limit?: number;
  offset?: number;
}

/** A row without its text (which may be large), for listings. */
export type DocumentSummary = Omit<DocumentRow, 'text'>;

const SUMMARY_COLUMNS = (
  [
    'connector',
    'user_id',
    'external_id',
    'title',
    'path',
    'mime_type',
    'size',
    'modified_at',
    'version',
    'extra',
    'fetched_version',
    'content_sha256',
    'content_size',
    'text_truncated',
    'status',
    'error',
    'attempts',
    'parked_at',
    'retry_requested_at',
    'last_attempt_at',
    'deleted_at',
    'updated_at',
    'seq',
  ] as const satisfies readonly (keyof DocumentSummary)[]
).join(', ');

/** A user's documents, tombstoned ones included; `withText` also reads the extracted text. */
export function listDocuments(db: Queryable, query: DocumentQuery & { withText: true }): Promise<DocumentRow[]>;
export function listDocuments(db: Queryable, query: DocumentQuery & { withText?: false }): Promise<DocumentSummary[]>;
export async function listDocuments(db: Queryable, query: DocumentQuery & { withText?: boolean }): Promise<DocumentSummary[]> {
  const result = await db.query<DocumentSummary>(
    `SELECT ${query.withText ? '*' : SUMMARY_COLUMNS} FROM documents
      WHERE connector = $1 AND user_id = $2 AND ($3::text IS NULL OR status = $3)
      ORDER BY external_id LIMIT $4 OFFSET $5`,
    [query.connector, query.userId, query.status ?? null, query.limit ?? null, query.offset ?? 0],
  );
  return result.rows;
}

/** Listed sizes of these documents (null: the source gave none); ids without a row are absent. */
export async function listedSizes(db: Queryable, key: DocKey, externalIds: string[]): Promise<Map<string, number | null>> {
  const result = await db.query<{ external_id: string; size: string | null }>(
    'SELECT external_id, size FROM documents WHERE connector = $1 AND user_id = $2 AND external_id = ANY($3::text[])',
    [key.connector, key.userId, externalIds],
  );
  return new Map(result.rows.map((r) => [r.external_id, r.size === null ? null : Number(r.size)]));
}

export interface ContentWrite {
  version: string;
  sha256: string;
  size: number;
  mimeType: string;
  text: string | null;
  truncated: boolean;
}

/** Records fetched content for exactly `version`; a newer listed version is left alone. */
export async function markFetched(db: pg.Pool, key: DocKey, externalId: string, c: ContentWrite): Promise<boolean> {
  // The extra condition makes a retried write a no-op: no second 'content' change row.
  return recordOutcome(
    db,
    key,
    externalId,
    c.version,
    'content',
    `status = 'fetched', error = NULL, fetched_version = $4, content_sha256 = $5, content_size = $6,
     content_mime = $7, text = COALESCE($8, text), text_truncated = $9, ${CLEAR_PARKED}`,
    [c.sha256, c.size, c.mimeType, c.text, c.truncated],
    `AND (fetched_version IS DISTINCT FROM $4 OR content_sha256 IS DISTINCT FROM $5 OR status <> 'fetched')`,
  );
}

export async function markSkipped(db: pg.Pool, key: DocKey, externalId: string, version: string, reason: string): Promise<boolean> {
  return recordOutcome(db, key, externalId, version, null, `status = 'skipped', error = $5, fetched_version = $4, ${CLEAR_PARKED}`, [
    reason,
  ]);
}

/**
 * Records a failure. `final`: the content itself is broken (e.g. a corrupt PDF), so this version
 * is done with and only a new version is tried again; otherwise the next sync retries it.
 */
export async function markFailed(
  db: pg.Pool,
  key: DocKey,
  externalId: string,
  version: string,
  error: string,
  options: { final?: boolean } = {},
): Promise<boolean> {
  return recordOutcome(
    db,
    key,
    externalId,
    version,
    null,
    `status = 'failed', error = $5, attempts = attempts + 1${options.final ? ', fetched_version = $4' : ''}`,
    [error],
  );
}

/** The source says the document is gone (e.g. deleted between listing and download). */
export async function markGone(db: pg.Pool, key: DocKey, externalId: string): Promise<boolean> {
  const changed = await inTransaction(db, (client) => tombstone(client, { ...key, upserts: [], deletes: [externalId] }));
  return changed > 0;
}

async function recordOutcome(
  db: pg.Pool,
  key: DocKey,
  externalId: string,
  version: string,
  changeKind: 'content' | null,
  setClause: string,
  params: unknown[],
  extraWhere = '',
): Promise<boolean> {
  // One statement: the document write and its change row commit together, no transaction needed.
  const result = await db.query(
    `WITH done AS (
       UPDATE documents SET ${setClause}, ${changeKind ? `seq = ${NEXT_SINGLE_CHANGE_SEQ}, ` : ''}updated_at = now()
        WHERE connector = $1 AND user_id = $2 AND external_id = $3 AND version = $4 AND deleted_at IS NULL ${extraWhere}
        RETURNING external_id, seq)
     ${changeKind ? changeRowsFrom({ from: 'done', kind: changeKind, version: '$4', seq: 'seq', returning: 'external_id' }) : 'SELECT external_id FROM done'}`,
    [key.connector, key.userId, externalId, version, ...params],
  );
  return (result.rowCount ?? 0) > 0;
}

/** How many rows listDocuments would return without a limit: a listing says "showing N of M". */
export async function countDocuments(db: Queryable, query: Omit<DocumentQuery, 'limit' | 'offset'>): Promise<number> {
  const result = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM documents WHERE connector = $1 AND user_id = $2 AND ($3::text IS NULL OR status = $3)',
    [query.connector, query.userId, query.status ?? null],
  );
  return Number(result.rows[0].n);
}
