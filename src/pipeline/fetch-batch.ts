// The small documents of a page fetched in one call (retrieveDataBatch). A retrieveDoc child costs
// the parent ~8 history events and several server round trips, which dominates for small files;
// anything a batch cannot finish cleanly is handed back for a child to retry on its own.
import { RateLimitError } from '../core/errors.js';
import type { DocKey, DocRef } from '../core/refs.js';
import type { Queryable } from '../store/db.js';
import { listedSizes } from '../store/documents.js';
import type { DocumentOutcome } from './fetch-document.js';

/** Documents listed at most this large go into batches; larger or unknown sizes get a child. */
export const SMALL_DOC_BYTES = 1024 * 1024;
/** Downloads in flight inside one batch. */
const BATCH_CONCURRENCY = 4;

export interface BatchResult {
  outcomes: Partial<Record<DocumentOutcome, number>>;
  /** Documents for retrieveDoc children: large, or not tried after a rate limit. */
  left: DocRef[];
  /** Documents whose one attempt in the batch failed: their children have one attempt fewer. */
  failed: DocRef[];
  /** Set when the source refused with a rate limit: nothing more may call it before then. */
  retryAt?: string;
}

export interface FetchBatchDeps {
  pool: Queryable;
  /** Fetches and records one document; a throw leaves it to a child. */
  fetchOne(doc: DocRef): Promise<{ outcome: DocumentOutcome }>;
  /** Sees each rate-limit refusal (metrics). */
  onRateLimit(err: RateLimitError): void;
}

export async function fetchBatch(deps: FetchBatchDeps, key: DocKey, docs: DocRef[]): Promise<BatchResult> {
  const sizes = await listedSizes(
    deps.pool,
    key,
    docs.map((d) => d.externalId),
  );
  const { small, large } = partitionBySize(docs, sizes);
  const outcomes: BatchResult['outcomes'] = {};
  const left = [...large];
  const failed: DocRef[] = [];
  let retryAtMs = 0;
  const lane = async () => {
    for (let doc = small.shift(); doc; doc = small.shift()) {
      // After a rate limit nothing more goes to the source: children wait it out durably.
      if (retryAtMs) {
        left.push(doc);
        continue;
      }
      try {
        const { outcome } = await deps.fetchOne(doc);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      } catch (err) {
        if (err instanceof RateLimitError) {
          deps.onRateLimit(err);
          retryAtMs = Math.max(retryAtMs, err.retryAt.getTime());
          left.push(doc); // a refusal is not an attempt
        } else {
          failed.push(doc); // its child retries it with backoff and records the final failure
        }
      }
    }
  };
  await Promise.all(Array.from({ length: BATCH_CONCURRENCY }, lane));
  return { outcomes, left, failed, retryAt: retryAtMs ? new Date(retryAtMs).toISOString() : undefined };
}

/**
 * Splits by listed size. Unknown size (null) goes to a child; a document with no row at all stays
 * in the batch, where its fetch reports it deleted at once.
 */
export function partitionBySize(docs: DocRef[], sizes: Map<string, number | null>): { small: DocRef[]; large: DocRef[] } {
  const small: DocRef[] = [];
  const large: DocRef[] = [];
  for (const doc of docs) {
    const size = sizes.get(doc.externalId);
    (size === null || (size !== undefined && size > SMALL_DOC_BYTES) ? large : small).push(doc);
  }
  return { small, large };
}
