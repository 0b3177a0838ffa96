// retrieveDoc: one short workflow per document version. It downloads, extracts and stores the
// content through the retrieveData activity, waits out rate limits durably, records a final
// failure on the document row (never failing the user's sync), and tells the parent it is done.
import { getExternalWorkflowHandle, patched, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import { docDoneSignal, docRateLimitedSignal } from './definitions.js';
import { DATA_ACTIVITY_OPTIONS, METADATA_ACTIVITY_OPTIONS } from './activity-options.js';
import { classifyFailure } from './failures.js';
import type { DocOutcome, RetrieveDocInput } from './types.js';

type Activities = ReturnType<typeof activities.createActivities>;
const { recordDocFailure } = proxyActivities<Activities>(METADATA_ACTIVITY_OPTIONS);

/** Rate-limit waits a single document may sit through before it is recorded as failed. */
const MAX_RATE_LIMIT_WAITS = 20;

export async function retrieveDoc(input: RetrieveDocInput): Promise<DocOutcome> {
  const { doc, parentWorkflowId, syncRunId, maxAttempts, ...ref } = input;
  const { retrieveData } = proxyActivities<Activities>({
    ...DATA_ACTIVITY_OPTIONS,
    retry: { ...DATA_ACTIVITY_OPTIONS.retry, ...(maxAttempts ? { maximumAttempts: maxAttempts } : {}) },
  });
  let outcome: DocOutcome;
  for (let waits = 0; ; waits++) {
    try {
      outcome = (await retrieveData({ ...ref, doc, parentWorkflowId, syncRunId })).outcome;
      break;
    } catch (err) {
      const failure = classifyFailure(err);
      if (failure.kind === 'rate-limit' && waits < MAX_RATE_LIMIT_WAITS) {
        // Tell the parent so it holds new downloads for this user until retryAt (added later: patched).
        if (patched('doc-rate-limit-feedback')) {
          await getExternalWorkflowHandle(parentWorkflowId)
            .signal(docRateLimitedSignal, { childId: workflowInfo().workflowId, retryAt: failure.retryAt.toISOString() })
            .catch(() => undefined);
        }
        await sleep(Math.max(failure.retryAt.getTime() - Date.now(), 1));
        continue;
      }
      await recordDocFailure({ ...ref, doc, error: failure.message, syncRunId });
      outcome = 'failed';
      break;
    }
  }
  // By workflow id only (no run id): reaches the parent's latest run after continue-as-new.
  await getExternalWorkflowHandle(parentWorkflowId)
    .signal(docDoneSignal, { childId: workflowInfo().workflowId, outcome })
    .catch(() => undefined); // the parent may be gone (cancelled): the row already holds the outcome
  return outcome;
}
