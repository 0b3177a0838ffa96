// retrieveDataBatch: the small documents of a page fetched in one activity call. A retrieveDoc child
// costs the parent ~8 history events and several server round trips, which dominates for small
// files; anything a batch cannot finish cleanly is handed back for a child to retry on its own.
import type { Pool } from 'pg';
import { RateLimitError } from '../core/errors.js';
import type { DocOutcome, DocRef, RetrieveBatchInput, RetrieveBatchResult, RetrieveDataResult, RetrieveDocInput } from '../workflows/types.js';

/** Documents listed at most this large go into batches; larger or unknown sizes get a child. */
export const SMALL_DOC_BYTES = 1024 * 1024;
/** Downloads in flight inside one batch. */
const BATCH_CONCURRENCY = 4;

export function createBatchActivity(
  pool: Pool,
  fetchOne: (input: RetrieveDocInput) => Promise<RetrieveDataResult>,
  onRateLimit: (err: unknown) => void,
) {
  return async function retrieveDataBatch(input: RetrieveBatchInput): Promise<RetrieveBatchResult> {
    const { docs, ...ref } = input;
    const sizes = await listedSizes(pool, ref, docs);
    const outcomes: Partial<Record<DocOutcome, number>> = {};
    const left: DocRef[] = [];
    const failed: DocRef[] = [];
    let retryAtMs = 0;
    const queue = docs.filter((doc) => {
      const size = sizes.get(doc.externalId);
      if (size === null || (size !== undefined && size > SMALL_DOC_BYTES)) left.push(doc);
      return !left.includes(doc);
    });
    const lane = async () => {
      for (let doc = queue.shift(); doc; doc = queue.shift()) {
        // After a rate limit nothing more goes to the source: children wait it out durably.
        if (retryAtMs) {
          left.push(doc);
          continue;
        }
        try {
          const { outcome } = await fetchOne({ ...ref, doc });
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        } catch (err) {
          if (err instanceof RateLimitError) {
            onRateLimit(err);
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
  };
}

async function listedSizes(pool: Pool, ref: { connector: string; userId: string }, docs: DocRef[]): Promise<Map<string, number | null>> {
  const result = await pool.query<{ external_id: string; size: string | null }>(
    'SELECT external_id, size FROM documents WHERE connector = $1 AND user_id = $2 AND external_id = ANY($3::text[])',
    [ref.connector, ref.userId, docs.map((d) => d.externalId)],
  );
  return new Map(result.rows.map((r) => [r.external_id, r.size === null ? null : Number(r.size)]));
}
