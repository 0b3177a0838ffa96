// How workflows read activity failures: the activity layer encodes connector errors as
// ApplicationFailures whose `type` is the error class name (see activities/failures.ts).
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { Milestone } from './types.js';

export type ClassifiedFailure =
  | { kind: 'rate-limit'; retryAt: Date; message: string; legacyMilestone?: Milestone }
  | { kind: 'auth'; message: string }
  | { kind: 'config'; message: string; details: unknown[] }
  | { kind: 'not-found'; message: string }
  | { kind: 'other'; message: string };

/** When a rate limit names no time: wait a minute. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

export function classifyFailure(err: unknown): ClassifiedFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (!(cause instanceof ApplicationFailure)) return { kind: 'other', message };
  switch (cause.type) {
    case 'RateLimitError': {
      const details = (cause.details?.[0] ?? {}) as { retryAt?: string; milestone?: Milestone };
      const told = details.retryAt ? new Date(details.retryAt) : undefined;
      const retryAt = told && !isNaN(told.getTime()) ? told : new Date(Date.now() + DEFAULT_RATE_LIMIT_WAIT_MS);
      // Activities before the workflow counted the rate-limit streak sent a milestone to keep;
      // only runs recorded before the 'listing-rate-limit-streak' patch still read it.
      const legacyMilestone = details.milestone && typeof details.milestone === 'object' ? details.milestone : undefined;
      return { kind: 'rate-limit', retryAt, message, legacyMilestone };
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
