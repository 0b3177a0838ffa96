// Listing writes to the documents table: one metadata page (tombstones, then upserts), and the
// mark-and-sweep after a full enumeration. Each visible change appends exactly one change-feed row
// (changes.ts) and bumps the row's seq and updated_at; re-applying the same page (an activity retry
// after a crash) changes nothing and appends nothing.
import type { DocMetadata } from '../core/contract.js';
import type { DocKey, DocRef } from '../core/refs.js';
import { appendChanges, changeRowsFrom, type ChangeKind } from './changes.js';
import type { Queryable } from './db.js';

export interface PageWrite extends DocKey {
  upserts: DocMetadata[];
  deletes: string[];
  deletedPaths?: string[];
  /** Set while a full enumeration is in progress: rows seen are stamped for mark-and-sweep. */
  sweepId?: string;
}

export interface PageWriteResult {
  toFetch: DocRef[];
  /** Rows created, re-added or whose version changed. */
  upserted: number;
  /** Rows whose version stayed but whose visible metadata changed (rename, move, size, ...). */
  metadataChanged: number;
  deleted: number;
}

/** What a consumer sees of a row, besides its version and content. */
interface VisibleMetadata {
  title: string;
  path: string | null;
  mime_type: string | null;
  size: string | null;
  modified_at: Date | null;
  extra: unknown;
}

interface CurrentRow extends VisibleMetadata {
  external_id: string;
  version: string;
  deleted_at: Date | null;
  fetched_version: string | null;
}

/** Writes one metadata page in the caller's transaction. */
export async function applyMetadataPage(client: Queryable, page: PageWrite): Promise<PageWriteResult> {
  const { connector, userId } = page;
  // Last occurrence wins when a page lists the same id twice.
  const upserts = [...new Map(page.upserts.map((d) => [d.externalId, d])).values()];
  const ids = upserts.map((d) => d.externalId);
  // A document deleted (by path) and listed again in the same page was moved: it is not
  // tombstoned, so the upsert below records one 'metadata' change instead of a delete + re-add.
  const deleted = await tombstone(client, page, ids);
  if (upserts.length === 0) return { toFetch: [], upserted: 0, metadataChanged: 0, deleted };

  const existing = await client.query<CurrentRow>(
    `SELECT external_id, version, deleted_at, fetched_version, title, path, mime_type, size, modified_at, extra
       FROM documents WHERE connector = $1 AND user_id = $2 AND external_id = ANY($3::text[]) FOR UPDATE`,
    [connector, userId, ids],
  );
  const before = new Map(existing.rows.map((r) => [r.external_id, r]));
  const kinds = new Map<string, ChangeKind>();
  for (const d of upserts) {
    const kind = changeKindOf(before.get(d.externalId), d);
    if (kind) kinds.set(d.externalId, kind);
  }

  const appended = await appendChanges(
    client,
    page,
    upserts
      .filter((d) => kinds.has(d.externalId))
      .map((d) => ({ externalId: d.externalId, kind: kinds.get(d.externalId)!, version: d.version })),
  );
  const seqs = new Map(appended.map((c) => [c.externalId, c.seq]));

  // seq > 0: a new version or a re-added row, which goes back to pending; a metadata-only change
  // gets its seq and updated_at right after. Rows without a change only get their sweep stamp.
  const freshSeq = (d: DocMetadata) => (kinds.get(d.externalId) === 'upsert' ? seqs.get(d.externalId) : undefined) ?? '0';
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
      upserts.map((d) => sizeOf(d)),
      upserts.map((d) => d.modifiedAt ?? null),
      upserts.map((d) => d.version),
      upserts.map((d) => (d.extra ? JSON.stringify(d.extra) : null)),
      upserts.map(freshSeq),
    ],
  );
  await setSeqs(
    client,
    page,
    appended.filter((c) => kinds.get(c.externalId) === 'metadata').map((c) => ({ seq: c.seq, external_id: c.externalId })),
  );

  // Anything whose current version has not been fetched yet is (still) to fetch: a retried
  // activity therefore returns the same refs even though it wrote nothing new.
  const toFetch = upserts
    .filter((d) => before.get(d.externalId)?.fetched_version !== d.version)
    .map((d) => ({ externalId: d.externalId, version: d.version }));
  const counted = [...kinds.values()];
  return {
    toFetch,
    upserted: counted.filter((k) => k === 'upsert').length,
    metadataChanged: counted.filter((k) => k === 'metadata').length,
    deleted,
  };
}

/** 'upsert' for a new row, a re-added one or a new version; 'metadata' when only what is listed changed; else none. */
function changeKindOf(row: CurrentRow | undefined, doc: DocMetadata): ChangeKind | undefined {
  if (!row || row.deleted_at !== null || row.version !== doc.version) return 'upsert';
  const same =
    row.title === doc.title &&
    row.path === (doc.path ?? null) &&
    row.mime_type === (doc.mimeType ?? null) &&
    row.size === sizeOf(doc) &&
    timeOf(row.modified_at) === timeOf(doc.modifiedAt) &&
    canonicalJson(row.extra) === canonicalJson(doc.extra ?? null);
  return same ? undefined : 'metadata';
}

const sizeOf = (doc: DocMetadata): string | null => (doc.size === undefined || doc.size === null ? null : String(doc.size));
const timeOf = (at: Date | string | null | undefined): number | null => (at === null || at === undefined ? null : new Date(at).getTime());

/** JSON with object keys sorted, so a jsonb read back (keys reordered) compares equal to what was listed. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
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

/** Tombstones ids and path prefixes (a deleted folder takes everything under it), except ids in `keep`. */
export async function tombstone(client: Queryable, page: PageWrite, keep: string[] = []): Promise<number> {
  const paths = (page.deletedPaths ?? []).map((p) => p.toLowerCase());
  if (page.deletes.length === 0 && paths.length === 0) return 0;
  const result = await client.query(
    `WITH gone AS (
       UPDATE documents SET deleted_at = now(), status = 'deleted', updated_at = now()
        WHERE connector = $1 AND user_id = $2 AND deleted_at IS NULL
          AND (external_id = ANY($3::text[])
               OR path_lower = ANY($4::text[])
               OR path_lower LIKE ANY($5::text[]))
          AND NOT external_id = ANY($6::text[])
        RETURNING external_id, version)
     ${TOMBSTONE_CHANGES}`,
    [page.connector, page.userId, page.deletes, paths, paths.map(likePrefix), keep],
  );
  await setSeqs(client, page, result.rows);
  return result.rowCount ?? 0;
}

async function setSeqs(client: Queryable, key: DocKey, rows: { seq: string; external_id: string }[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `UPDATE documents d SET seq = t.seq, updated_at = now() FROM unnest($3::text[], $4::bigint[]) AS t(id, seq)
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
