// Thin Temporal activities: build the connector, call it, write results to Postgres and the
// blob store, and return only ids and counts (document content never enters a payload).
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { DocMetadata } from '../core/contract.js';
import path from 'node:path';
import { NotFoundError, RateLimitError, TransientError, UnsupportedContentError } from '../core/errors.js';
import type { DocsyncMetrics } from '../workers/metrics.js';
import { extractText } from '../extract/index.js';
import type { BlobStore } from '../store/blobs.js';
import type { CredentialStore } from '../store/credentials.js';
import { inTransaction } from '../store/db.js';
import type { DocumentRow } from '../store/documents.js';
import { applyMetadataPage, getDocument, markFailed, markFetched, markGone, markSkipped, sweep } from '../store/documents.js';
import { park, recordFailedAttempt, takeDueRetries } from '../store/parked.js';
import { recordPage, recordRunError } from '../store/sync-runs.js';
import type {
  RecordDocFailureInput,
  RetrieveBatchInput,
  RetrieveBatchResult,
  RetrieveDataResult,
  RetrieveDocInput,
  RetrieveMetadataInput,
  RetrieveMetadataResult,
} from '../workflows/types.js';
import { createBatchActivity } from './batch.js';
import { prepareConnector, withHeartbeats } from './connector-context.js';
import { withTypedFailures } from './failures.js';
import { checkMilestone } from './milestone.js';

export interface ActivityDeps {
  pool: Pool;
  blobs: BlobStore;
  logger: Logger;
  credentials?: CredentialStore;
  limits?: { maxBytes?: number; maxTextBytes?: number };
  tikaUrl?: string;
  metrics?: DocsyncMetrics;
}

export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
export const DEFAULT_MAX_TEXT_BYTES = 10 * 1024 * 1024;

export function createActivities(deps: ActivityDeps) {
  const maxBytes = deps.limits?.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxTextBytes = deps.limits?.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES;
  const metrics = deps.metrics;
  const countDocs = (connector: string, outcome: string, n = 1) => {
    if (n > 0) metrics?.docs.inc({ connector, outcome }, n);
  };
  const observeRateLimit = (connector: string, stage: 'listing' | 'download') => (err: unknown) => {
    if (!(err instanceof RateLimitError) || !metrics) return;
    metrics.rateLimitWaits.inc({ connector, stage });
    metrics.rateLimitSeconds.inc({ connector, stage }, Math.max(0, (err.retryAt.getTime() - Date.now()) / 1000));
  };

  async function retrieveMetadata(input: RetrieveMetadataInput): Promise<RetrieveMetadataResult> {
    return withTypedFailures(() =>
      withHeartbeats(async () => {
        const { connector, ctx } = await prepareConnector(input, deps);
        const page = await connector.retrieveMetadata({ ...ctx, rateLimitStreak: input.rateLimitStreak }, input.milestone);
        checkMilestone(input.connector, page.milestone);
        const key = { connector: input.connector, userId: input.userId };
        const sweepId = input.sweep || page.reset ? input.syncRunId : undefined;
        const written = await inTransaction(deps.pool, async (client) => {
          const result = await applyMetadataPage(client, {
            ...key,
            upserts: page.upserts,
            deletes: page.deletes,
            deletedPaths: page.deletedPaths,
            sweepId,
          });
          const swept = !page.hasMore && sweepId ? await sweep(client, key, sweepId) : 0;
          await recordPage(client, {
            runId: input.syncRunId,
            ...key,
            workflowId: input.workflowId,
            pageNo: input.pageNo,
            upserted: result.upserted,
            deleted: result.deleted + swept,
            fullListing: Boolean(sweepId),
            finished: !page.hasMore,
          });
          // Caught up: parked documents (and ones re-requested by hand) get another chance.
          if (input.fetchContent === false) return { ...result, toFetch: [], retried: 0, deleted: result.deleted + swept };
          const retries = page.hasMore ? [] : await takeDueRetries(client, key, input.syncRunId);
          const listed = new Set(result.toFetch.map((d) => d.externalId));
          const toFetch = [...result.toFetch, ...retries.filter((d) => !listed.has(d.externalId))];
          return { ...result, toFetch, retried: retries.length, deleted: result.deleted + swept };
        });
        countDocs(input.connector, 'listed', written.upserted);
        countDocs(input.connector, 'deleted', written.deleted);
        ctx.logger.info(
          { page: input.pageNo, listed: page.upserts.length, upserted: written.upserted, deleted: written.deleted, toFetch: written.toFetch.length, retried: written.retried, hasMore: page.hasMore },
          'metadata page stored',
        );
        const { retried: _retried, ...refs } = written;
        return { ...refs, milestone: page.milestone, hasMore: page.hasMore, reset: Boolean(page.reset) };
      }),
      observeRateLimit(input.connector, 'listing'),
    );
  }

  async function retrieveData(input: RetrieveDocInput): Promise<RetrieveDataResult> {
    return withTypedFailures(() => countingFailures(input, () => fetchCounted(input)), observeRateLimit(input.connector, 'download'));
  }

  async function fetchCounted(input: RetrieveDocInput): Promise<RetrieveDataResult> {
    const result = await fetchAndStore(input);
    countDocs(input.connector, result.outcome);
    if (result.outcome === 'fetched' && result.size) metrics?.bytes.inc({ connector: input.connector }, result.size);
    return result;
  }

  async function retrieveDataBatch(input: RetrieveBatchInput): Promise<RetrieveBatchResult> {
    const fetchOne = (doc: RetrieveDocInput) => countingFailures(doc, () => fetchCounted(doc));
    const batch = createBatchActivity(deps.pool, fetchOne, observeRateLimit(input.connector, 'download'));
    return withTypedFailures(() => batch(input));
  }

  async function fetchAndStore(input: RetrieveDocInput): Promise<RetrieveDataResult> {
    return withHeartbeats(async () => {
      const key = { connector: input.connector, userId: input.userId };
      const { externalId, version } = input.doc;
      const row = await getDocument(deps.pool, key, externalId);
      if (!row || row.deleted_at) return { outcome: 'deleted' };
      if (row.version !== version) return { outcome: 'superseded' };
      if (row.fetched_version === version && (row.status === 'fetched' || row.status === 'skipped')) {
        return { outcome: 'unchanged' };
      }
      if (row.size !== null && Number(row.size) > maxBytes) {
        // The source already told us it is too big: do not start a download that would be cut off.
        const reason = `content of ${row.size} bytes (listed size) exceeds the ${maxBytes}-byte download cap`;
        await markSkipped(deps.pool, key, externalId, version, reason);
        return { outcome: 'skipped', reason };
      }
      const { connector, ctx } = await prepareConnector(input, deps);
      let data;
      try {
        data = await connector.retrieveData(ctx, toMetadata(row));
      } catch (err) {
        if (err instanceof NotFoundError) {
          await markGone(deps.pool, key, externalId);
          return { outcome: 'deleted' };
        }
        if (err instanceof UnsupportedContentError) return skip(err.message);
        throw err;
      }

      async function skip(reason: string): Promise<RetrieveDataResult> {
        await markSkipped(deps.pool, key, externalId, version, reason);
        ctx.logger.info({ externalId, reason }, 'document skipped');
        return { outcome: 'skipped', reason };
      }

      let blob;
      try {
        blob = await deps.blobs.put(data.body, { maxBytes, signal: ctx.signal });
      } catch (err) {
        if (err instanceof UnsupportedContentError) return skip(err.message);
        throw err;
      }
      const mimeType = data.mimeType || row.mime_type || 'application/octet-stream';
      const content = { version, sha256: blob.sha256, size: blob.size, mimeType };
      if (blob.sha256 === row.content_sha256 && row.text !== null) {
        // Same bytes as before: keep the stored text, skip extraction.
        await markFetched(deps.pool, key, externalId, { ...content, text: null, truncated: row.text_truncated });
        return { outcome: 'unchanged', sha256: blob.sha256, size: blob.size };
      }
      let extracted;
      try {
        // A zero-byte file has no text; no extractor (or Tika round trip) needed.
        extracted = blob.size === 0 ? { text: '', truncated: false } : await extractText(blob.path, mimeType, {
          maxTextBytes,
          signal: ctx.signal,
          // Blob paths have no extension: the name lets Markdown/CSV/e-mail be recognised.
          fileName: row.path ? path.posix.basename(row.path) : row.title,
          tikaUrl: deps.tikaUrl,
        });
      } catch (err) {
        if (err instanceof UnsupportedContentError) return skip(err.message);
        if (err instanceof TransientError || (err as Error).name === 'AbortError') throw err;
        // A damaged file fails the same way on every attempt: record it now instead of retrying.
        const reason = `text extraction failed: ${(err as Error).message}`;
        await markFailed(deps.pool, key, externalId, version, reason, { final: true });
        if (input.syncRunId) await recordRunError(deps.pool, input.syncRunId);
        ctx.logger.warn({ externalId, reason }, 'document failed');
        return { outcome: 'failed', reason };
      }
      await markFetched(deps.pool, key, externalId, { ...content, text: extracted.text, truncated: extracted.truncated });
      return {
        outcome: 'fetched',
        sha256: blob.sha256,
        size: blob.size,
        textBytes: Buffer.byteLength(extracted.text, 'utf8'),
      };
    });
  }

  /** The last word on a document whose retrieval kept failing: recorded on its row, never fatal to the sync. */
  async function recordDocFailure(input: RecordDocFailureInput): Promise<void> {
    const key = { connector: input.connector, userId: input.userId };
    const changed = await park(deps.pool, key, input.doc.externalId, input.doc.version, input.error);
    if (changed && input.syncRunId) await recordRunError(deps.pool, input.syncRunId);
    if (changed) countDocs(input.connector, 'failed');
    deps.logger.warn({ connector: input.connector, userId: input.userId, externalId: input.doc.externalId, error: input.error }, 'document failed');
  }

  /** Counts each failed attempt and its error on the row (a rate-limit wait is not a failure). */
  async function countingFailures<T>(input: RetrieveDocInput, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof RateLimitError) && (err as Error)?.name !== 'AbortError') {
        const message = err instanceof Error ? err.message : String(err);
        await recordFailedAttempt(deps.pool, { connector: input.connector, userId: input.userId }, input.doc.externalId, input.doc.version, message)
          // Best effort: the activity's own failure matters more than the count.
          .catch((dbErr: unknown) => deps.logger.warn({ externalId: input.doc.externalId, error: (dbErr as Error).message }, 'could not count a failed attempt'));
      }
      throw err;
    }
  }

  return { retrieveMetadata, retrieveData, retrieveDataBatch, recordDocFailure };
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
