// One document's content path: decide from its row, download through the connector, store blob and
// text, and record the outcome on the row. Plain async code; activities add the Temporal parts.
// `downloadDocument` is the part a batch runs per document; the batch then records all at once.
import type { Pool } from 'pg';
import type { Connector, ConnectorContext, DataResult, DocMetadata } from '../core/contract.js';
import { NotFoundError, UnsupportedContentError } from '../core/errors.js';
import type { DocKey, DocRef } from '../core/refs.js';
import { completeMetadata } from '../store/completed-metadata.js';
import { getDocuments, type DocumentRow } from '../store/documents.js';
import { decideFetch } from './fetch-decision.js';
import { logOutcome, recordOutcomes, resultOf, type DocumentFetchResult, type PendingOutcome } from './record-outcomes.js';
import { storeContent, type ContentDeps } from './store-content.js';

export type { DocumentFetchResult, DocumentOutcome } from './record-outcomes.js';

export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
export const DEFAULT_MAX_TEXT_BYTES = 10 * 1024 * 1024;

export interface FetchDocumentDeps extends ContentDeps {
  pool: Pool;
}

/** A connector ready to call, with its context (logger, cancellation signal). */
export interface DocumentSource {
  connector: Connector<unknown>;
  ctx: ConnectorContext<unknown>;
}

export interface FetchDocumentInput {
  key: DocKey;
  doc: DocRef;
  /** Import-log run that counts a broken document as an error. */
  syncRunId?: string;
}

/** `openSource` runs only when a download is needed: a document already fetched builds no connector. */
export async function fetchDocument(
  deps: FetchDocumentDeps,
  input: FetchDocumentInput,
  openSource: () => Promise<DocumentSource>,
): Promise<DocumentFetchResult> {
  const { key, doc } = input;
  const rows = await getDocuments(deps.pool, key, [doc.externalId]);
  const decision = decideFetch(rows.get(doc.externalId), doc, deps.limits);
  if (decision.action !== 'fetch' && decision.action !== 'skip') return { outcome: decision.action };
  let source: DocumentSource | undefined;
  let pending: PendingOutcome;
  if (decision.action === 'skip') pending = { kind: 'skipped', doc, reason: decision.reason };
  else pending = await downloadDocument(deps, key, (source = await openSource()), doc, decision.row);
  await recordOutcomes(deps, key, [pending], input.syncRunId);
  logOutcome(source?.ctx.logger, pending);
  return resultOf(pending);
}

/** Downloads one document and stages its content; writes nothing. A throw (rate limit, transient) leaves it to a retry. */
export async function downloadDocument(
  deps: FetchDocumentDeps,
  key: DocKey,
  { connector, ctx }: DocumentSource,
  doc: DocRef,
  row: DocumentRow,
): Promise<PendingOutcome> {
  let data: DataResult;
  try {
    data = await connector.retrieveData(ctx, toMetadata(row));
  } catch (err) {
    if (err instanceof NotFoundError) return { kind: 'gone', doc };
    if (!(err instanceof UnsupportedContentError)) throw err;
    return { kind: 'skipped', doc, reason: err.message };
  }
  // What the listing did not know (e.g. a message listed by id only), completed from the content:
  // only connectors that report it (Gmail), one guarded statement that writes nothing when nothing differs.
  if (data.metadata) await completeMetadata(deps.pool, key, doc.externalId, doc.version, data.metadata);
  const content = await storeContent(deps, row, data, ctx.signal);
  switch (content.kind) {
    case 'skipped':
      return { kind: 'skipped', doc, reason: content.reason };
    case 'broken':
      return { kind: 'broken', doc, reason: content.reason };
    case 'same-bytes':
      // Same bytes as before: keep the stored text (null leaves the column alone).
      return {
        kind: 'content',
        doc,
        outcome: 'unchanged',
        blob: content.blob,
        write: { mimeType: content.mimeType, text: null, truncated: row.text_truncated },
      };
    case 'extracted':
      return {
        kind: 'content',
        doc,
        outcome: 'fetched',
        blob: content.blob,
        write: { mimeType: content.mimeType, text: content.text, truncated: content.truncated },
      };
  }
}

function toMetadata(row: DocumentRow): DocMetadata {
  return {
    externalId: row.external_id,
    title: row.title,
    path: row.path ?? undefined,
    mimeType: row.mime_type ?? undefined,
    size: row.size === null ? undefined : Number(row.size),
    modifiedAt: row.modified_at?.toISOString(),
    version: row.version,
    extra: row.extra ?? undefined,
  };
}
