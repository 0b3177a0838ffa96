// Turns connector errors into ApplicationFailures whose `type` is the error class name, so
// workflows decide retry vs. wait vs. give up. Messages never carry secrets.
import { ApplicationFailure } from '@temporalio/activity';
import { ConfigError, DocsyncError, NON_RETRYABLE_ERROR_TYPES, RateLimitError } from '../core/errors.js';

const nonRetryable = new Set<string>(NON_RETRYABLE_ERROR_TYPES);

export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof DocsyncError)) return err;
  const details: unknown[] = [];
  if (err instanceof RateLimitError) details.push({ retryAt: err.retryAt.toISOString() });
  if (err instanceof ConfigError) details.push({ fields: err.fields });
  details.push({ context: err.context });
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
