// Temporal activities as thin adapters: each prepares the connector, runs a pipeline or store call,
// and adds typed failures, heartbeats and metrics. Only ids and counts travel back, never content.
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { RateLimitError } from '../core/errors.js';
import { extractText } from '../extract/index.js';
import { fetchBatch, type FetchBatchDeps } from '../pipeline/fetch-batch.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_TEXT_BYTES, fetchDocument, type FetchDocumentDeps } from '../pipeline/fetch-document.js';
import type { BlobStore } from '../store/blobs.js';
import type { CredentialStore } from '../store/credentials.js';
import { park, recordFailedAttempt } from '../store/parked.js';
import { recordRunError } from '../store/sync-runs.js';
import type {
  RecordDocFailureInput,
  RetrieveBatchInput,
  RetrieveBatchResult,
  RetrieveDataResult,
  RetrieveDocInput,
} from '../workflows/types.js';
import { ChangeAnnouncer } from '../store/follow-changes.js';
import { prepareConnector, withHeartbeats } from './connector-context.js';
import { withTypedFailures } from './failures.js';
import { activityMetrics, type DocsyncMetrics } from './metrics.js';
import { createRetrieveMetadata } from './retrieve-metadata.js';
import { createWaitForChanges } from './wait-for-changes.js';
import { createWatchActivities } from './watch-channels.js';

export interface ActivityDeps {
  pool: Pool;
  blobs: BlobStore;
  logger: Logger;
  credentials?: CredentialStore;
  limits?: { maxBytes?: number; maxTextBytes?: number };
  tikaUrl?: string;
  metrics?: DocsyncMetrics;
}

export function createActivities(deps: ActivityDeps) {
  const metrics = activityMetrics(deps.metrics);
  // Followers of the change feed (docsync changes --follow) are woken after each activity's writes
  // committed: one throttled NOTIFY outside the writing transactions.
  const announcer = new ChangeAnnouncer(deps.pool, 50, (err) =>
    deps.logger.debug({ error: (err as Error)?.message }, 'could not notify change-feed followers'),
  );
  const announcing =
    <I, R>(activity: (input: I) => Promise<R>) =>
    async (input: I): Promise<R> => {
      try {
        return await activity(input);
      } finally {
        announcer.committed();
      }
    };
  const pipeline: FetchDocumentDeps = {
    pool: deps.pool,
    blobs: deps.blobs,
    extract: (input, mimeType, options) => extractText(input, mimeType, { ...options, tikaUrl: deps.tikaUrl }),
    limits: { maxBytes: deps.limits?.maxBytes ?? DEFAULT_MAX_BYTES, maxTextBytes: deps.limits?.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES },
  };

  /** One document alone (a retrieveDoc child): its outcome goes to metrics, a thrown error to its row's attempt count. */
  async function fetchOneDocument(input: RetrieveDocInput): Promise<RetrieveDataResult> {
    const started = performance.now();
    try {
      const key = { connector: input.connector, userId: input.userId };
      const result = await withHeartbeats(() =>
        fetchDocument(pipeline, { key, doc: input.doc, syncRunId: input.syncRunId }, () => prepareConnector(input, deps)),
      );
      metrics.countFetch(input.connector, result, started);
      return result;
    } catch (err) {
      await countFailedAttempt(input, err);
      throw err;
    }
  }

  /** A rate-limit wait or a cancellation is not a failed attempt; best effort, the activity's own error matters more. */
  async function countFailedAttempt(input: RetrieveDocInput, err: unknown): Promise<void> {
    if (err instanceof RateLimitError || (err as Error)?.name === 'AbortError') return;
    const message = err instanceof Error ? err.message : String(err);
    await recordFailedAttempt(
      deps.pool,
      { connector: input.connector, userId: input.userId },
      input.doc.externalId,
      input.doc.version,
      message,
    ).catch((dbErr: unknown) =>
      deps.logger.warn({ externalId: input.doc.externalId, error: (dbErr as Error).message }, 'could not count a failed attempt'),
    );
  }

  async function retrieveData(input: RetrieveDocInput): Promise<RetrieveDataResult> {
    return withTypedFailures(() => fetchOneDocument(input), metrics.observeRateLimit(input.connector, 'download'));
  }

  async function retrieveDataBatch(input: RetrieveBatchInput): Promise<RetrieveBatchResult> {
    const { docs, ...ref } = input;
    const started = performance.now();
    const batch: FetchBatchDeps = {
      ...pipeline,
      // One connector for the whole batch: module, credentials (decrypted once), config parse and hold read.
      openSource: once(() => prepareConnector(ref, deps)),
      onResult: (_doc, result) => metrics.countFetch(input.connector, result, started),
      onFailure: (doc, err) => countFailedAttempt({ ...ref, doc }, err),
      onRateLimit: metrics.observeRateLimit(input.connector, 'download'),
    };
    const key = { connector: input.connector, userId: input.userId };
    return withTypedFailures(() => withHeartbeats(() => fetchBatch(batch, key, docs, input.syncRunId)));
  }

  /** The last word on a document whose retrieval kept failing: recorded on its row, never fatal to the sync. */
  async function recordDocFailure(input: RecordDocFailureInput): Promise<void> {
    const key = { connector: input.connector, userId: input.userId };
    const changed = await park(deps.pool, key, input.doc.externalId, input.doc.version, input.error);
    if (changed && input.syncRunId) await recordRunError(deps.pool, input.syncRunId);
    if (changed) metrics.countDocs(input.connector, 'failed');
    deps.logger.warn(
      { connector: input.connector, userId: input.userId, externalId: input.doc.externalId, error: input.error },
      'document failed',
    );
  }

  return {
    retrieveMetadata: announcing(createRetrieveMetadata(deps, metrics)),
    retrieveData: announcing(retrieveData),
    retrieveDataBatch: announcing(retrieveDataBatch),
    recordDocFailure,
    waitForChanges: createWaitForChanges({ logger: deps.logger, credentials: deps.credentials }),
    ...createWatchActivities(deps),
  };
}

/** Runs `make` on the first call only; every later call shares its promise (a failure included). */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}
