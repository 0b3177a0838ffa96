// What to do with one document before any download, decided from its row alone: tombstoned,
// superseded, already fetched, too big to try, or fetch. Pure, so the rules test without services.
import type { DocRef } from '../core/refs.js';
import type { DocumentRow } from '../store/documents.js';

/** The columns the decision reads (tests build these by hand). */
export type RowFacts = Pick<DocumentRow, 'version' | 'deleted_at' | 'fetched_version' | 'status' | 'size'>;

export type FetchDecision<Row extends RowFacts = RowFacts> =
  { action: 'deleted' | 'superseded' | 'unchanged' } | { action: 'skip'; reason: string } | { action: 'fetch'; row: Row };

export function decideFetch<Row extends RowFacts>(row: Row | undefined, ref: DocRef, caps: { maxBytes: number }): FetchDecision<Row> {
  if (!row || row.deleted_at) return { action: 'deleted' };
  // The listing has moved on: the child for the newer version does the work.
  if (row.version !== ref.version) return { action: 'superseded' };
  if (row.fetched_version === ref.version && (row.status === 'fetched' || row.status === 'skipped')) {
    return { action: 'unchanged' };
  }
  if (row.size !== null && Number(row.size) > caps.maxBytes) {
    // The source already told us it is too big: do not start a download that would be cut off.
    return { action: 'skip', reason: `content of ${row.size} bytes (listed size) exceeds the ${caps.maxBytes}-byte download cap` };
  }
  return { action: 'fetch', row };
}

/** Same bytes as the content already stored, whose text exists: extraction can be skipped. */
export function keepsStoredText(row: Pick<DocumentRow, 'content_sha256' | 'text'>, sha256: string): boolean {
  return sha256 === row.content_sha256 && row.text !== null;
}
