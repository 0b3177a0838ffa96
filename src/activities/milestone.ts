// Guards the milestone a connector hands back: it lives in workflow state and history, so an
// oversized or non-object cursor is refused at the activity instead of bloating every event.
import { ApplicationFailure } from '@temporalio/activity';
import { MAX_MILESTONE_BYTES, type Milestone } from '../core/contract.js';

export const MILESTONE_ERROR_TYPE = 'MilestoneTooLargeError';

/**
 * Returns the milestone when it is a JSON object under MAX_MILESTONE_BYTES. Otherwise fails
 * non-retryably (the connector would return the same cursor again): the workflow records the
 * error, keeps its previous milestone and waits for the next sync.
 */
export function checkMilestone(connector: string, milestone: unknown): Milestone {
  const isObject = typeof milestone === 'object' && milestone !== null && !Array.isArray(milestone);
  const bytes = Buffer.byteLength(JSON.stringify(milestone ?? null) ?? 'undefined', 'utf8');
  if (isObject && bytes <= MAX_MILESTONE_BYTES) return milestone as Milestone;
  const what = isObject ? `a milestone of ${bytes} bytes` : `a milestone that is not a JSON object (${Array.isArray(milestone) ? 'array' : typeof milestone})`;
  throw ApplicationFailure.create({
    type: MILESTONE_ERROR_TYPE,
    nonRetryable: true,
    message: `connector "${connector}" returned ${what} (limit ${MAX_MILESTONE_BYTES} bytes as JSON): keep cursors small and state in the store`,
    details: [{ connector, bytes }],
  });
}
