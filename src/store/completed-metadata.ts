// Metadata a download completed (DataResult.metadata): written on the row of exactly the downloaded
// version, in one statement with its `metadata` change row, only when it alters something.
import type { DataResult } from '../core/contract.js';
import type { DocKey } from '../core/refs.js';
import { changeRowsFrom, NEXT_SINGLE_CHANGE_SEQ } from './changes.js';
import type { Queryable } from './db.js';

/** Returns whether the row changed. `extra` is merged into the stored object, key by key. */
export async function completeMetadata(
  db: Queryable,
  key: DocKey,
  externalId: string,
  version: string,
  metadata: NonNullable<DataResult['metadata']>,
): Promise<boolean> {
  const { title, size, modifiedAt, extra } = metadata;
  // The IS DISTINCT FROM guard makes a retried download (or a second lane) write no second change.
  const result = await db.query(
    `WITH next AS (
       SELECT COALESCE($5::text, title) AS title, COALESCE($6::bigint, size) AS size,
              COALESCE($7::timestamptz, modified_at) AS modified_at,
              CASE WHEN $8::jsonb IS NULL THEN extra ELSE COALESCE(extra, '{}'::jsonb) || $8::jsonb END AS extra
         FROM documents
        WHERE connector = $1 AND user_id = $2 AND external_id = $3),
     done AS (
       UPDATE documents d SET title = n.title, size = n.size, modified_at = n.modified_at, extra = n.extra,
              seq = ${NEXT_SINGLE_CHANGE_SEQ}, updated_at = now()
         FROM next n
        WHERE d.connector = $1 AND d.user_id = $2 AND d.external_id = $3 AND d.version = $4 AND d.deleted_at IS NULL
          AND (d.title, d.size, d.modified_at, d.extra) IS DISTINCT FROM (n.title, n.size, n.modified_at, n.extra)
        RETURNING d.external_id, d.seq)
     ${changeRowsFrom({ from: 'done', kind: 'metadata', version: '$4', seq: 'seq', returning: 'external_id' })}`,
    [
      key.connector,
      key.userId,
      externalId,
      version,
      title ?? null,
      size ?? null,
      modifiedAt ?? null,
      extra && Object.keys(extra).length ? JSON.stringify(extra) : null,
    ],
  );
  return (result.rowCount ?? 0) > 0;
}
