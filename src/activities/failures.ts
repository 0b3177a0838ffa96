// Turns connector errors into ApplicationFailures whose `type` is the error class name, so
// workflows decide retry vs. wait vs. give up. Messages never carry secrets.
import { ApplicationFailure } from '@temporalio/activity';
import { ConfigError, DocsyncError, NON_RETRYABLE_ERROR_TYPES, RateLimitError } from '../core/errors.js';

const nonRetryable = new Set<string>(NON_RETRYABLE_ERROR_TYPES);

/**
 * A rate limit is an outcome the workflow handles (it sleeps durably until `retryAt`), so its failure
 * must not read like a crash in the Web UI's ActivityTaskFailed event: the message says it is handled
 * and until when, there is no stack (it would point into docsync, as if the code broke), and category
 * BENIGN makes the SDK log it at DEBUG and leave it out of its failure metrics. The workflow reads only
 * type and details, so none of this changes the commands it issues (replay-safe without a patch).
 */
function rateLimitFailure(err: RateLimitError, details: unknown[]): ApplicationFailure {
  const failure = ApplicationFailure.create({
    type: err.name,
    message: `handled rate limit (not a crash): the workflow waits until ${err.retryAt.toISOString()} and goes on; ${err.message}`,
    nonRetryable: true,
    details,
    category: 'BENIGN',
  });
  failure.stack = '';
  return failure;
}

export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof DocsyncError)) return err;
  const details: unknown[] = [];
  if (err instanceof RateLimitError) details.push({ retryAt: err.retryAt.toISOString() });
  if (err instanceof ConfigError) details.push({ fields: err.fields });
  details.push({ context: err.context });
  if (err instanceof RateLimitError) return rateLimitFailure(err, details);
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    nonRetryable: nonRetryable.has(err.name),
    details,
  });
}

/** Runs `work`, rethrowing connector errors as typed ApplicationFailures (after `observe` saw them). */
export async function withTypedFailures<T>(work: () => Promise<T>, observe?: (err: unknown) => void): Promise<T> {
  try {
    return await work();
  } catch (err) {
    observe?.(err);
    throw toApplicationFailure(err);
  }
}
