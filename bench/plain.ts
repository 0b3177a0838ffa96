// The no-Temporal baselines: the very same activity code (connector, store writes, blob store,
// extraction) called in a plain loop / p-limit pipeline inside one process.
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { Milestone } from '../src/core/contract.js';
import type { DocRef } from '../src/core/refs.js';
import type { BenchEnv } from './services.js';

/** Lists every page like syncUser's first sync does (sweep stamps included); returns the refs to fetch. */
export async function plainListing(env: BenchEnv, pageSize: number): Promise<DocRef[]> {
  const ref = { connector: 'dropbox', userId: env.name, credentialRef: env.credentialRef, config: { apiBaseUrl: env.fakeUrl, pageSize } };
  const syncRunId = randomUUID();
  const toFetch: DocRef[] = [];
  let milestone: Milestone = {};
  for (let pageNo = 1; ; pageNo++) {
    const page = await env.activities.retrieveMetadata({ ...ref, milestone, syncRunId, pageNo, sweep: true });
    toFetch.push(...page.toFetch);
    milestone = page.milestone;
    if (!page.hasMore) return toFetch;
  }
}

/** Downloads, extracts and stores `docs` with at most `concurrency` in flight. */
export async function plainContent(env: BenchEnv, docs: DocRef[], concurrency: number): Promise<void> {
  const ref = { connector: 'dropbox', userId: env.name, credentialRef: env.credentialRef, config: { apiBaseUrl: env.fakeUrl } };
  const limit = pLimit(concurrency);
  await Promise.all(docs.map((doc) => limit(() => env.activities.retrieveData({ ...ref, doc, parentWorkflowId: 'plain-baseline' }))));
}

/** Downloads `docs` the way syncUser's batches do: `batchSize` per retrieveDataBatch call, `lanes` calls in flight. */
export async function plainBatches(env: BenchEnv, docs: DocRef[], batchSize = 25, lanes = 2): Promise<void> {
  const ref = { connector: 'dropbox', userId: env.name, credentialRef: env.credentialRef, config: { apiBaseUrl: env.fakeUrl } };
  const limit = pLimit(lanes);
  const chunks: DocRef[][] = [];
  for (let i = 0; i < docs.length; i += batchSize) chunks.push(docs.slice(i, i + batchSize));
  await Promise.all(
    chunks.map((chunk) => limit(() => env.activities.retrieveDataBatch({ ...ref, docs: chunk, parentWorkflowId: 'plain-baseline' }))),
  );
}
