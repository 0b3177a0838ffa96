// Fetches the small documents of a page in batches (retrieveDataBatch); returns what is left for
// retrieveDoc children: large or failing documents (with the attempts already spent), and
// everything not tried because the sync was cancelled (or, in runs recorded before
// 'overlap-listing', because the source asked to slow down).
import { condition, isCancellation, proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import { BATCH_ACTIVITY_OPTIONS } from './activity-options.js';
import type { DocOutcome, DocRef, RetrieveBatchInput, RetrieveBatchResult } from './types.js';

const { retrieveDataBatch } = proxyActivities<ReturnType<typeof activities.createActivities>>(BATCH_ACTIVITY_OPTIONS);

/** Batches in flight at once for one page, in runs recorded before 'overlap-listing'. */
const BATCH_LANES = 2;
/**
 * With shared lanes, documents a batch handed back after a rate limit go into another batch once
 * the hold is over (6 history events a batch, instead of ~13 a child), at most this many times.
 */
const MAX_REQUEUES = 3;

/**
 * The batch activities one user has in flight, across every page being fetched: an AIMD limit
 * that halves when the source rate-limits a batch (once per wait) and grows back by one per batch
 * that finished without one, up to `max`.
 */
export class BatchLanes {
  private busy = 0;
  private size: number;

  constructor(readonly max: number) {
    this.size = max;
  }

  get limit(): number {
    return this.size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await condition(() => this.busy < this.size);
    this.busy += 1;
    try {
      return await work();
    } finally {
      this.busy -= 1;
    }
  }

  /** A batch met a rate limit; `firstOfWait` is false for further reports of the same wait. */
  rateLimited(firstOfWait: boolean): void {
    if (firstOfWait) this.size = Math.max(1, Math.floor(this.size / 2));
  }

  succeeded(): void {
    this.size = Math.min(this.max, this.size + 1);
  }
}

export interface BatchHooks {
  input: Omit<RetrieveBatchInput, 'docs'>;
  /** True while a rate-limit hold is on (or the sync is cancelled): no batch may call the source. */
  held(): boolean;
  rateLimited(retryAt: string): void;
  counted(outcome: DocOutcome, n: number): void;
  /** Documents entering (+n) and leaving (-n) a running batch activity: the status counts them in flight. */
  running?(delta: number): void;
  /**
   * Shared lanes ('overlap-listing'): batches wait out a hold (a durable timer) instead of handing
   * their documents to children, and `waitOutHold` resolves false when the sync was cancelled.
   */
  lanes?: { limiter: BatchLanes; waitOutHold(): Promise<boolean> };
}

export interface LeftDoc {
  doc: DocRef;
  attemptsUsed: number;
}

export async function fetchInBatches(docs: DocRef[], batchSize: number, hooks: BatchHooks): Promise<LeftDoc[]> {
  const chunks: { docs: DocRef[]; requeues: number }[] = [];
  for (let i = 0; i < docs.length; i += batchSize) chunks.push({ docs: docs.slice(i, i + batchSize), requeues: 0 });
  const left: LeftDoc[] = [];
  const add = (refs: DocRef[], attemptsUsed: number) => left.push(...refs.map((doc) => ({ doc, attemptsUsed })));
  const { lanes } = hooks;
  const fetchChunk = async ({ docs: chunk, requeues }: (typeof chunks)[number]) => {
    let result: RetrieveBatchResult;
    hooks.running?.(chunk.length);
    try {
      result = await retrieveDataBatch({ ...hooks.input, docs: chunk });
    } catch (err) {
      if (isCancellation(err)) throw err; // the sync is being cancelled: no children for these
      add(chunk, 0); // each document gets its own child, retries and final record
      return;
    } finally {
      hooks.running?.(-chunk.length);
    }
    for (const [outcome, n] of Object.entries(result.outcomes)) hooks.counted(outcome as DocOutcome, n ?? 0);
    if (result.retryAt) hooks.rateLimited(result.retryAt);
    else lanes?.limiter.succeeded();
    // Handed back after a rate limit: small ones the batch did not try; the large come back again
    // from the next batch without a retryAt and go to children then.
    if (lanes && result.retryAt && result.left.length > 0 && requeues < MAX_REQUEUES) {
      chunks.push({ docs: result.left, requeues: requeues + 1 });
    } else add(result.left, 0);
    add(result.failed, 1);
  };
  const lane = async () => {
    for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
      if (lanes) {
        const current = chunk;
        await lanes.limiter.run(async () => ((await lanes.waitOutHold()) ? fetchChunk(current) : add(current.docs, 0)));
        continue;
      }
      if (hooks.held()) {
        add(chunk.docs, 0);
        continue;
      }
      await fetchChunk(chunk);
    }
  };
  const laneCount = lanes ? Math.min(chunks.length, lanes.limiter.max) : BATCH_LANES;
  await Promise.all(Array.from({ length: laneCount }, lane));
  return left;
}
