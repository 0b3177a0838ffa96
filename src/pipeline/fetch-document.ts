// One document's content path: decide from its row, download through the connector, store blob and
// text, and record the outcome on the row. Plain async code; activities add the Temporal parts.
import type { Pool } from 'pg';
import type { Connector, ConnectorContext, DataResult, DocMetadata } from '../core/contract.js';
import { NotFoundError, UnsupportedContentError } from '../core/errors.js';
import type { DocKey, DocRef } from '../core/refs.js';
import type { StoredBlob } from '../store/blobs.js';
import { completeMetadata } from '../store/completed-metadata.js';
import { getDocument, markFailed, markFetched, markGone, markSkipped, type DocumentRow } from '../store/documents.js';
import { recordRunError } from '../store/sync-runs.js';
import { decideFetch } from './fetch-decision.js';
import { storeContent, type ContentDeps, type StoredContent } from './store-content.js';

export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
export const DEFAULT_MAX_TEXT_BYTES = 10 * 1024 * 1024;

export type DocumentOutcome = 'fetched' | 'unchanged' | 'skipped' | 'deleted' | 'superseded' | 'failed';

export interface DocumentFetchResult {
  /** 'failed' when the content itself is broken (retrying would not help); the row holds why. */
  outcome: DocumentOutcome;
  sha256?: string;
  size?: number;
  textBytes?: number;
  reason?: string;
}

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
  const decision = decideFetch(await getDocument(deps.pool, key, doc.externalId), doc, deps.limits);
  if (decision.action === 'skip') {
    await markSkipped(deps.pool, key, doc.externalId, doc.version, decision.reason);
    return { outcome: 'skipped', reason: decision.reason };
  }
  if (decision.action !== 'fetch') return { outcome: decision.action };
  const { row } = decision;
  const { connector, ctx } = await openSource();
  let data: DataResult;
  try {
    data = await connector.retrieveData(ctx, toMetadata(row));
  } catch (err) {
    if (err instanceof NotFoundError) {
      await markGone(deps.pool, key, doc.externalId);
      return { outcome: 'deleted' };
    }
    if (!(err instanceof UnsupportedContentError)) throw err;
    return recordContent(deps.pool, input, row, { kind: 'skipped', reason: err.message }, ctx.logger);
  }
  // What the listing did not know (e.g. a message listed by id only), completed from the content.
  if (data.metadata) await completeMetadata(deps.pool, key, doc.externalId, doc.version, data.metadata);
  return recordContent(deps.pool, input, row, await storeContent(deps, row, data, ctx.signal), ctx.logger);
}

/** Writes what the content step found on the row (and the run's error count for a broken file). */
async function recordContent(
  pool: Pool,
  { key, doc, syncRunId }: FetchDocumentInput,
  row: DocumentRow,
  content: StoredContent,
  logger: ConnectorContext<unknown>['logger'],
): Promise<DocumentFetchResult> {
  const { externalId, version } = doc;
  switch (content.kind) {
    case 'skipped':
      await markSkipped(pool, key, externalId, version, content.reason);
      logger.info({ externalId, reason: content.reason }, 'document skipped');
      return { outcome: 'skipped', reason: content.reason };
    case 'broken':
      await markFailed(pool, key, externalId, version, content.reason, { final: true });
      if (syncRunId) await recordRunError(pool, syncRunId);
      logger.warn({ externalId, reason: content.reason }, 'document failed');
      return { outcome: 'failed', reason: content.reason };
    case 'same-bytes':
      // Same bytes as before: keep the stored text (null leaves the column alone).
      await markFetched(pool, key, externalId, { ...written(content), text: null, truncated: row.text_truncated });
      return { outcome: 'unchanged', sha256: content.blob.sha256, size: content.blob.size };
    case 'extracted':
      await markFetched(pool, key, externalId, { ...written(content), text: content.text, truncated: content.truncated });
      return {
        outcome: 'fetched',
        sha256: content.blob.sha256,
        size: content.blob.size,
        textBytes: Buffer.byteLength(content.text, 'utf8'),
      };
  }

  function written({ blob, mimeType }: { blob: StoredBlob; mimeType: string }) {
    return { version, sha256: blob.sha256, size: blob.size, mimeType };
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
