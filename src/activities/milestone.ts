// Guards milestones on their way in and out of a connector: they live in workflow state and
// history, so an oversized or non-object cursor is refused at the activity instead of bloating
// every event, and a stored one is read with the connector's milestoneSchema before each listing.
import { ApplicationFailure } from '@temporalio/activity';
import { MAX_MILESTONE_BYTES, type Connector, type Milestone } from '../core/contract.js';
import { ConfigError } from '../core/errors.js';

export const MILESTONE_ERROR_TYPE = 'MilestoneTooLargeError';

/**
 * Returns the milestone when it is a JSON object under MAX_MILESTONE_BYTES. Otherwise fails
 * non-retryably (the connector would return the same cursor again): the workflow records the
 * error, keeps its previous milestone and waits for the next sync.
 */
export function checkMilestone(connector: string, milestone: unknown, origin: 'returned' | 'was given' = 'returned'): Milestone {
  const isObject = typeof milestone === 'object' && milestone !== null && !Array.isArray(milestone);
  const bytes = Buffer.byteLength(JSON.stringify(milestone ?? null) ?? 'undefined', 'utf8');
  if (isObject && bytes <= MAX_MILESTONE_BYTES) return milestone as Milestone;
  const what = isObject
    ? `a milestone of ${bytes} bytes`
    : `a milestone that is not a JSON object (${Array.isArray(milestone) ? 'array' : typeof milestone})`;
  throw ApplicationFailure.create({
    type: MILESTONE_ERROR_TYPE,
    nonRetryable: true,
    message: `connector "${connector}" ${origin} ${what} (limit ${MAX_MILESTONE_BYTES} bytes as JSON): keep cursors small and state in the store`,
    details: [{ connector, bytes }],
  });
}

/**
 * The stored milestone as the connector reads it: size-guarded, then parsed by its milestoneSchema
 * (raw when it has none). A milestone the schema refuses is a ConfigError naming the connector and
 * each bad field (`milestone.<path>`): retrying cannot help, a resync (which drops it) does.
 */
export function parseMilestone<M>(connector: Pick<Connector<unknown, M>, 'name' | 'milestoneSchema'>, raw: unknown): M {
  const milestone = checkMilestone(connector.name, raw, 'was given');
  if (!connector.milestoneSchema) return milestone as M;
  const result = connector.milestoneSchema.safeParse(milestone);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: ['milestone', ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new ConfigError(
    `connector "${connector.name}" cannot read its milestone (${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}): ` +
      'send the "resync" signal to list everything again',
    [...new Set(issues.map((i) => i.field))],
    { connector: connector.name },
  );
}
