// The small documents of a page fetched in one call (retrieveDataBatch). A retrieveDoc child costs
// the parent ~8 history events and several server round trips, which dominates for small files;
// anything a batch cannot finish cleanly is handed back for a child to retry on its own.
// The fixed costs are paid once per batch: one connector (opened on the first download), one read
// of every row, downloads in lanes, then the blobs synced together and one transaction of writes.
import { RateLimitError } from '../core/errors.js';
import type { DocKey, DocRef } from '../core/refs.js';
import { getDocuments } from '../store/documents.js';
import { decideFetch } from './fetch-decision.js';
import { downloadDocument, type DocumentSource, type FetchDocumentDeps } from './fetch-document.js';
import { logOutcome, recordOutcomes, resultOf, type DocumentFetchResult, type PendingOutcome } from './record-outcomes.js';

/** Documents listed at most this large go into batches; larger or unknown sizes get a child. */
export const SMALL_DOC_BYTES = 1024 * 1024;
/** Downloads in flight inside one batch. */
export const BATCH_CONCURRENCY = 4;

/** Most downloads one user can have at the source at once: its batch lanes' plus its children's. */
export function userDownloadLimit(o: { batchLanes: number; maxInFlight: number }): number {
  return o.batchLanes * BATCH_CONCURRENCY + o.maxInFlight;
}

export interface BatchResult {
  outcomes: Partial<Record<DocumentFetchResult['outcome'], number>>;
  /** Documents for retrieveDoc children: large, or not tried after a rate limit. */
  left: DocRef[];
  /** Documents whose one attempt in the batch failed: their children have one attempt fewer. */
  failed: DocRef[];
  /** Set when the source refused with a rate limit: nothing more may call it before then. */
  retryAt?: string;
}

export interface FetchBatchDeps extends FetchDocumentDeps {
  /** The batch's one connector; called on the first download only (memoise it: every lane calls it). */
  openSource(): Promise<DocumentSource>;
  /** Sees each document's result once its write committed (metrics). */
  onResult?(doc: DocRef, result: DocumentFetchResult): void;
  /** Sees each document whose attempt threw (not a rate limit): its child retries it. */
  onFailure?(doc: DocRef, err: unknown): Promise<void>;
  /** Sees each rate-limit refusal (metrics). */
  onRateLimit(err: RateLimitError): void;
}

export async function fetchBatch(deps: FetchBatchDeps, key: DocKey, docs: DocRef[], syncRunId?: string): Promise<BatchResult> {
  const rows = await getDocuments(
    deps.pool,
    key,
    docs.map((d) => d.externalId),
  );
  const sizes = new Map([...rows].map(([id, row]) => [id, row.size === null ? null : Number(row.size)]));
  const { small, large } = partitionBySize(docs, sizes);
  const settled: [DocRef, DocumentFetchResult][] = [];
  const pending: PendingOutcome[] = [];
  const left = [...large];
  const failed: DocRef[] = [];
  let retryAtMs = 0;
  let source: DocumentSource | undefined;
  const lane = async () => {
    for (let doc = small.shift(); doc; doc = small.shift()) {
      const decision = decideFetch(rows.get(doc.externalId), doc, deps.limits);
      if (decision.action === 'skip') pending.push({ kind: 'skipped', doc, reason: decision.reason });
      if (decision.action !== 'fetch') {
        if (decision.action !== 'skip') settled.push([doc, { outcome: decision.action }]);
        continue;
      }
      // After a rate limit nothing more goes to the source: children wait it out durably.
      if (retryAtMs) {
        left.push(doc);
        continue;
      }
      try {
        source = await deps.openSource();
        pending.push(await downloadDocument(deps, key, source, doc, decision.row));
      } catch (err) {
        if (err instanceof RateLimitError) {
          deps.onRateLimit(err);
          retryAtMs = Math.max(retryAtMs, err.retryAt.getTime());
          left.push(doc); // a refusal is not an attempt
        } else {
          failed.push(doc); // its child retries it with backoff and records the final failure
          await deps.onFailure?.(doc, err);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: BATCH_CONCURRENCY }, lane));
  await recordOutcomes(deps, key, pending, syncRunId);
  for (const p of pending) {
    logOutcome(source?.ctx.logger, p);
    settled.push([p.doc, resultOf(p)]);
  }
  const outcomes: BatchResult['outcomes'] = {};
  for (const [doc, result] of settled) {
    outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
    deps.onResult?.(doc, result);
  }
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
