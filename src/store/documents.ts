// The documents table: page, content and outcome writes, each appending its change-feed rows
// (changes.ts). Every write is idempotent: re-applying the same page (an activity retry after a
// crash) changes nothing and writes no change-feed rows.
import type pg from 'pg';
import type { DocMetadata, JsonObject } from '../core/contract.js';
import type { DocKey, DocRef } from '../core/refs.js';
import { appendChanges, changeRowsFrom, inChangeFeedTransaction, lockChangeFeed } from './changes.js';
import type { Queryable } from './db.js';
import { CLEAR_PARKED } from './parked.js';

export interface PageWrite extends DocKey {
  upserts: DocMetadata[];
  deletes: string[];
  deletedPaths?: string[];
  /** Set while a full enumeration is in progress: rows seen are stamped for mark-and-sweep. */
  sweepId?: string;
}

export interface PageWriteResult {
  toFetch: DocRef[];
  /** Rows created or whose version changed. */
  upserted: number;
  deleted: number;
}

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

/** Writes one metadata page in the caller's transaction. */
export async function applyMetadataPage(client: Queryable, page: PageWrite): Promise<PageWriteResult> {
  await lockChangeFeed(client); // callers run this inside a transaction
  const { connector, userId } = page;
  const deleted = await tombstone(client, page);

  // Last occurrence wins when a page lists the same id twice.
  const upserts = [...new Map(page.upserts.map((d) => [d.externalId, d])).values()];
  if (upserts.length === 0) return { toFetch: [], upserted: 0, deleted };

  const ids = upserts.map((d) => d.externalId);
  const existing = await client.query<{
    external_id: string;
    version: string;
    deleted_at: Date | null;
    fetched_version: string | null;
    status: string;
  }>(
    `SELECT external_id, version, deleted_at, fetched_version, status FROM documents
      WHERE connector = $1 AND user_id = $2 AND external_id = ANY($3::text[]) FOR UPDATE`,
    [connector, userId, ids],
  );
  const before = new Map(existing.rows.map((r) => [r.external_id, r]));
  const changed = upserts.filter((d) => {
    const row = before.get(d.externalId);
    return !row || row.version !== d.version || row.deleted_at !== null;
  });

  const appended = await appendChanges(
    client,
    page,
    changed.map((d) => ({ externalId: d.externalId, kind: 'upsert', version: d.version })),
  );
  const seqs = new Map(appended.map((c) => [c.externalId, c.seq]));

  // Unchanged rows only get their sweep stamp (and metadata refresh); changed rows go back to pending.
  await client.query(
    `INSERT INTO documents AS d (connector, user_id, external_id, title, path, path_lower, mime_type, size,
                                 modified_at, version, extra, sweep_id, seq, status)
     SELECT $1, $2, t.id, t.title, t.path, t.path_lower, t.mime, t.size, t.modified, t.version, t.extra, $3,
            COALESCE(t.seq, 0), 'pending'
       FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::timestamptz[],
                   $11::text[], $12::jsonb[], $13::bigint[])
         AS t(id, title, path, path_lower, mime, size, modified, version, extra, seq)
     ON CONFLICT (connector, user_id, external_id) DO UPDATE SET
       title = EXCLUDED.title, path = EXCLUDED.path, path_lower = EXCLUDED.path_lower,
       mime_type = EXCLUDED.mime_type, size = EXCLUDED.size, modified_at = EXCLUDED.modified_at,
       extra = EXCLUDED.extra, sweep_id = COALESCE(EXCLUDED.sweep_id, d.sweep_id),
       version = EXCLUDED.version,
       seq = CASE WHEN EXCLUDED.seq > 0 THEN EXCLUDED.seq ELSE d.seq END,
       status = CASE WHEN EXCLUDED.seq = 0 THEN d.status
                     WHEN d.fetched_version IS DISTINCT FROM EXCLUDED.version THEN 'pending'
                     WHEN d.status <> 'deleted' THEN d.status
                     WHEN d.content_sha256 IS NOT NULL THEN 'fetched'
                     ELSE 'skipped' END,
       error = CASE WHEN EXCLUDED.seq > 0 AND d.fetched_version IS DISTINCT FROM EXCLUDED.version THEN NULL ELSE d.error END,
       attempts = CASE WHEN EXCLUDED.seq > 0 AND d.fetched_version IS DISTINCT FROM EXCLUDED.version THEN 0 ELSE d.attempts END,
       deleted_at = CASE WHEN EXCLUDED.seq > 0 THEN NULL ELSE d.deleted_at END,
       updated_at = CASE WHEN EXCLUDED.seq > 0 THEN now() ELSE d.updated_at END`,
    [
      connector,
      userId,
      page.sweepId ?? null,
      ids,
      upserts.map((d) => d.title),
      upserts.map((d) => d.path ?? null),
      upserts.map((d) => pathLower(d)),
      upserts.map((d) => d.mimeType ?? null),
      upserts.map((d) => (d.size === undefined ? null : String(d.size))),
      upserts.map((d) => d.modifiedAt ?? null),
      upserts.map((d) => d.version),
      upserts.map((d) => (d.extra ? JSON.stringify(d.extra) : null)),
      upserts.map((d) => seqs.get(d.externalId) ?? '0'),
    ],
  );

  // Anything whose current version has not been fetched yet is (still) to fetch: a retried
  // activity therefore returns the same refs even though it wrote nothing new.
  const toFetch = upserts
    .filter((d) => before.get(d.externalId)?.fetched_version !== d.version)
    .map((d) => ({ externalId: d.externalId, version: d.version }));
  return { toFetch, upserted: changed.length, deleted };
}

function pathLower(doc: DocMetadata): string | null {
  const fromExtra = doc.extra?.pathLower;
  if (typeof fromExtra === 'string') return fromExtra;
  return doc.path ? doc.path.toLowerCase() : null;
}

function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '/%';
}

/** One 'delete' row per tombstoned document of the `gone` CTE, in external_id order. */
const TOMBSTONE_CHANGES = changeRowsFrom({
  from: 'gone',
  kind: 'delete',
  version: 'version',
  orderBy: 'external_id',
  returning: 'seq, external_id',
});

/** Tombstones ids and path prefixes (a deleted folder takes everything under it). */
async function tombstone(client: Queryable, page: PageWrite): Promise<number> {
  const paths = (page.deletedPaths ?? []).map((p) => p.toLowerCase());
  if (page.deletes.length === 0 && paths.length === 0) return 0;
  const result = await client.query(
    `WITH gone AS (
       UPDATE documents SET deleted_at = now(), status = 'deleted', updated_at = now()
        WHERE connector = $1 AND user_id = $2 AND deleted_at IS NULL
          AND (external_id = ANY($3::text[])
               OR path_lower = ANY($4::text[])
               OR path_lower LIKE ANY($5::text[]))
        RETURNING external_id, version)
     ${TOMBSTONE_CHANGES}`,
    [page.connector, page.userId, page.deletes, paths, paths.map(likePrefix)],
  );
  await setSeqs(client, page, result.rows);
  return result.rowCount ?? 0;
}

async function setSeqs(client: Queryable, key: DocKey, rows: { seq: string; external_id: string }[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `UPDATE documents d SET seq = t.seq FROM unnest($3::text[], $4::bigint[]) AS t(id, seq)
      WHERE d.connector = $1 AND d.user_id = $2 AND d.external_id = t.id`,
    [key.connector, key.userId, rows.map((r) => r.external_id), rows.map((r) => r.seq)],
  );
}

/** Mark-and-sweep: after a clean full enumeration, rows not stamped with `sweepId` are gone at the source. */
export async function sweep(client: Queryable, key: DocKey, sweepId: string): Promise<number> {
  const result = await client.query(
    `WITH gone AS (
       UPDATE documents SET deleted_at = now(), status = 'deleted', updated_at = now()
        WHERE connector = $1 AND user_id = $2 AND deleted_at IS NULL AND sweep_id IS DISTINCT FROM $3
        RETURNING external_id, version)
     ${TOMBSTONE_CHANGES}`,
    [key.connector, key.userId, sweepId],
  );
  await setSeqs(client, key, result.rows);
  return result.rowCount ?? 0;
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
  const changed = await inChangeFeedTransaction(db, (client) => tombstone(client, { ...key, upserts: [], deletes: [externalId] }));
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
  const write = (client: Queryable) =>
    client.query(
      `WITH done AS (
       UPDATE documents SET ${setClause}, updated_at = now()
        WHERE connector = $1 AND user_id = $2 AND external_id = $3 AND version = $4 AND deleted_at IS NULL ${extraWhere}
        RETURNING external_id)
     ${changeKind ? changeRowsFrom({ from: 'done', kind: changeKind, version: '$4', returning: 'external_id' }) : 'SELECT external_id FROM done'}`,
      [key.connector, key.userId, externalId, version, ...params],
    );
  const result = changeKind ? await inChangeFeedTransaction(db, write) : await write(db);
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
