// How workflows read activity failures: the activity layer encodes connector errors as
// ApplicationFailures whose `type` is the error class name (see activities/failures.ts).
import { ActivityFailure, ApplicationFailure, type ActivityOptions } from '@temporalio/workflow';
import type { Milestone } from './types.js';

export const NON_RETRYABLE = ['RateLimitError', 'AuthError', 'NotFoundError', 'ConfigError', 'UnsupportedContentError'];

export const METADATA_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8, nonRetryableErrorTypes: NON_RETRYABLE },
};

export const DATA_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '60 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
};

/** A batch of small documents: few attempts, since its leftovers go to children that retry each. */
export const BATCH_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 2, nonRetryableErrorTypes: NON_RETRYABLE },
};

export type ClassifiedFailure =
  | { kind: 'rate-limit'; retryAt: Date; message: string; milestone?: Milestone }
  | { kind: 'auth'; message: string }
  | { kind: 'config'; message: string; details: unknown[] }
  | { kind: 'not-found'; message: string }
  | { kind: 'other'; message: string };

export function classifyFailure(err: unknown): ClassifiedFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (!(cause instanceof ApplicationFailure)) return { kind: 'other', message };
  switch (cause.type) {
    case 'RateLimitError': {
      const details = (cause.details?.[0] ?? {}) as { retryAt?: string; milestone?: Milestone };
      const retryAt = details.retryAt ? new Date(details.retryAt) : new Date(Date.now() + 60_000);
      const milestone = details.milestone && typeof details.milestone === 'object' ? details.milestone : undefined;
      return { kind: 'rate-limit', retryAt: isNaN(retryAt.getTime()) ? new Date(Date.now() + 60_000) : retryAt, message, milestone };
    }
    case 'AuthError':
      return { kind: 'auth', message };
    case 'ConfigError':
      return { kind: 'config', message, details: [...(cause.details ?? [])] };
    case 'NotFoundError':
      return { kind: 'not-found', message };
    default:
      return { kind: 'other', message };
  }
}
