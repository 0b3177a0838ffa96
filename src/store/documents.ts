// The documents table: readers, and content and outcome writes, each appending its change-feed
// row (changes.ts); listing writes live in page-write.ts. Every write is idempotent: a retried
// write changes nothing and writes no change-feed rows.
import type pg from 'pg';
import type { JsonObject } from '../core/contract.js';
import type { DocKey } from '../core/refs.js';
import { changeRowsFrom, nthChangeSeqOfStatement } from './changes.js';
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

/** Many rows in one round trip (a batch reads all of its documents at once); ids without a row are absent. */
export async function getDocuments(db: Queryable, key: DocKey, externalIds: string[]): Promise<Map<string, DocumentRow>> {
  const result = await db.query<DocumentRow>(
    'SELECT * FROM documents WHERE connector = $1 AND user_id = $2 AND external_id = ANY($3::text[])',
    [key.connector, key.userId, externalIds],
  );
  return new Map(result.rows.map((r) => [r.external_id, r]));
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

/** One document's outcome, for the batched writers below (one statement for a whole batch). */
export type ContentRecord = ContentWrite & { externalId: string };
export interface SkipRecord {
  externalId: string;
  version: string;
  reason: string;
}
export interface FailureRecord {
  externalId: string;
  version: string;
  error: string;
  /** The content itself is broken (e.g. a corrupt PDF): this version is done with, only a new one is tried again. */
  final?: boolean;
}

/** Records fetched content for exactly `version`; a newer listed version is left alone. */
export async function markFetched(db: Queryable, key: DocKey, externalId: string, c: ContentWrite): Promise<boolean> {
  return (await recordContents(db, key, [{ ...c, externalId }])).length > 0;
}

export async function markSkipped(db: Queryable, key: DocKey, externalId: string, version: string, reason: string): Promise<boolean> {
  return (await recordSkips(db, key, [{ externalId, version, reason }])).length > 0;
}

/** Records a failure; `final` as in FailureRecord, otherwise the next sync retries it. */
export async function markFailed(
  db: Queryable,
  key: DocKey,
  externalId: string,
  version: string,
  error: string,
  options: { final?: boolean } = {},
): Promise<boolean> {
  return (await recordFailures(db, key, [{ externalId, version, error, final: options.final }])).length > 0;
}

/** The source says the document is gone (e.g. deleted between listing and download). */
export async function markGone(db: pg.Pool, key: DocKey, externalId: string): Promise<boolean> {
  const changed = await inTransaction(db, (client) => tombstone(client, { ...key, upserts: [], deletes: [externalId] }));
  return changed > 0;
}

/** Content for many documents in one statement, each with its 'content' change row. Returns the ids written. */
export async function recordContents(db: Queryable, key: DocKey, writes: ContentRecord[]): Promise<string[]> {
  // The extra condition makes a retried write a no-op: no second 'content' change row.
  return recordOutcomes(db, key, {
    columns: { sha256: 'text', size: 'bigint', mime: 'text', text: 'text', truncated: 'boolean' },
    rows: writes.map((w) => [w.externalId, w.version, w.sha256, w.size, w.mimeType, w.text, w.truncated]),
    set: `status = 'fetched', error = NULL, fetched_version = i.version, content_sha256 = i.sha256, content_size = i.size,
          content_mime = i.mime, text = COALESCE(i.text, d.text), text_truncated = i.truncated, ${CLEAR_PARKED}`,
    where: `AND (d.fetched_version IS DISTINCT FROM i.version OR d.content_sha256 IS DISTINCT FROM i.sha256 OR d.status <> 'fetched')`,
    changeKind: 'content',
  });
}

export async function recordSkips(db: Queryable, key: DocKey, skips: SkipRecord[]): Promise<string[]> {
  return recordOutcomes(db, key, {
    columns: { reason: 'text' },
    rows: skips.map((s) => [s.externalId, s.version, s.reason]),
    set: `status = 'skipped', error = i.reason, fetched_version = i.version, ${CLEAR_PARKED}`,
  });
}

export async function recordFailures(db: Queryable, key: DocKey, failures: FailureRecord[]): Promise<string[]> {
  return recordOutcomes(db, key, {
    columns: { error: 'text', final: 'boolean' },
    rows: failures.map((f) => [f.externalId, f.version, f.error, !!f.final]),
    set: `status = 'failed', error = i.error, attempts = d.attempts + 1,
          fetched_version = CASE WHEN i.final THEN i.version ELSE d.fetched_version END`,
  });
}

interface OutcomeWrite {
  /** Columns after (external_id, version), name → Postgres type; each row lists its values in this order. */
  columns: Record<string, string>;
  rows: unknown[][];
  /** SET clause over the row `d` and its input `i`. */
  set: string;
  where?: string;
  changeKind?: 'content';
}

/**
 * One UPDATE … FROM unnest(…) for a whole batch, guarded per row by version (a row re-listed with a
 * newer version meanwhile, or tombstoned, is left alone), and with a change row for each row
 * written in the same statement, so the writes and their change rows commit (or retry) together.
 */
async function recordOutcomes(db: Queryable, key: DocKey, write: OutcomeWrite): Promise<string[]> {
  if (write.rows.length === 0) return [];
  const names = ['external_id', 'version', ...Object.keys(write.columns)];
  const types = ['text', 'text', ...Object.values(write.columns)];
  const columns = names.map((_, c) => write.rows.map((row) => row[c]));
  const unnest = types.map((t, c) => `$${c + 3}::${t}[]`).join(', ');
  // Row n of the input takes the statement's n-th seq (gaps where a guard skips a row are harmless).
  const seq = write.changeKind ? `seq = ${nthChangeSeqOfStatement('i.n')}, ` : '';
  const result = await db.query<{ external_id: string }>(
    `WITH i AS (SELECT * FROM unnest(${unnest}) WITH ORDINALITY AS t(${names.join(', ')}, n)),
     done AS (
       UPDATE documents d SET ${write.set}, ${seq}updated_at = now() FROM i
        WHERE d.connector = $1 AND d.user_id = $2 AND d.external_id = i.external_id AND d.version = i.version
          AND d.deleted_at IS NULL ${write.where ?? ''}
        RETURNING d.external_id, d.version, d.seq)
     ${write.changeKind ? changeRowsFrom({ from: 'done', kind: write.changeKind, version: 'version', seq: 'seq', returning: 'external_id' }) : 'SELECT external_id FROM done'}`,
    [key.connector, key.userId, ...columns],
  );
  return result.rows.map((r) => r.external_id);
}

/** How many rows listDocuments would return without a limit: a listing says "showing N of M". */
export async function countDocuments(db: Queryable, query: Omit<DocumentQuery, 'limit' | 'offset'>): Promise<number> {
  const result = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM documents WHERE connector = $1 AND user_id = $2 AND ($3::text IS NULL OR status = $3)',
    [query.connector, query.userId, query.status ?? null],
  );
  return Number(result.rows[0].n);
}
