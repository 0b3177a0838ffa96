// Fetches the small documents of a page in batches (retrieveDataBatch), two batches at a time;
// returns what is left for retrieveDoc children: large or failing documents (with the attempts
// already spent), and everything not tried because the source asked to slow down.
import { isCancellation, proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import { BATCH_ACTIVITY_OPTIONS } from './activity-options.js';
import type { DocOutcome, DocRef, RetrieveBatchInput, RetrieveBatchResult } from './types.js';

const { retrieveDataBatch } = proxyActivities<ReturnType<typeof activities.createActivities>>(BATCH_ACTIVITY_OPTIONS);

/** Batches in flight at once for one user. */
const BATCH_LANES = 2;

export interface BatchHooks {
  input: Omit<RetrieveBatchInput, 'docs'>;
  /** True while a rate-limit hold is on (or the sync is cancelled): no batch may call the source. */
  held(): boolean;
  rateLimited(retryAt: string): void;
  counted(outcome: DocOutcome, n: number): void;
}

export interface LeftDoc {
  doc: DocRef;
  attemptsUsed: number;
}

export async function fetchInBatches(docs: DocRef[], batchSize: number, hooks: BatchHooks): Promise<LeftDoc[]> {
  const chunks: DocRef[][] = [];
  for (let i = 0; i < docs.length; i += batchSize) chunks.push(docs.slice(i, i + batchSize));
  const left: LeftDoc[] = [];
  const add = (refs: DocRef[], attemptsUsed: number) => left.push(...refs.map((doc) => ({ doc, attemptsUsed })));
  const lane = async () => {
    for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
      if (hooks.held()) {
        add(chunk, 0);
        continue;
      }
      let result: RetrieveBatchResult;
      try {
        result = await retrieveDataBatch({ ...hooks.input, docs: chunk });
      } catch (err) {
        if (isCancellation(err)) throw err; // the sync is being cancelled: no children for these
        add(chunk, 0); // each document gets its own child, retries and final record
        continue;
      }
      for (const [outcome, n] of Object.entries(result.outcomes)) hooks.counted(outcome as DocOutcome, n ?? 0);
      if (result.retryAt) hooks.rateLimited(result.retryAt);
      add(result.left, 0);
      add(result.failed, 1);
    }
  };
  await Promise.all(Array.from({ length: BATCH_LANES }, lane));
  return left;
}
