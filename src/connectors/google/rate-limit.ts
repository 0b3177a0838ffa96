// When to call Google again after a quota error. Retry-After (header, or Gmail's "Retry after
// <date>" message) wins; otherwise an exponential schedule driven by the rate-limit streak.
//
// The streak (listing calls refused in a row) is counted by the workflow, which owns all state,
// and reaches a listing call as `ctx.rateLimitStreak`: 30 s, 60 s, 120 s ... capped at 15 min.
// Downloads have no streak: a steady 30 s pause.
import type { ConnectorContext, Milestone } from '../../core/contract.js';
import { RateLimitError, type ErrorContext } from '../../core/errors.js';
import { parseRetryAfter } from '../shared/retry-after.js';
import type { GoogleFailure } from './failure.js';

export const RATE_LIMIT_BASE_MS = 30_000;
export const RATE_LIMIT_MAX_MS = 15 * 60_000;
/** A daily quota does not come back in seconds. */
export const DAILY_LIMIT_MS = 60 * 60_000;

export interface RateLimitSchedule {
  /** retrieveData: a fixed pause. */
  fixedMs?: number;
  /** retrieveMetadata: refusals in a row before this call (drives the exponential backoff). */
  streak?: number;
}

/** The schedule of a listing call: exponential in the streak the workflow counted. */
export function listingSchedule(ctx: Pick<ConnectorContext, 'rateLimitStreak'>): RateLimitSchedule {
  return { streak: ctx.rateLimitStreak ?? 0 };
}

export function backoffMs(streak: number): number {
  const n = Number.isInteger(streak) && streak > 0 ? streak : 0;
  return Math.min(RATE_LIMIT_BASE_MS * 2 ** Math.min(n, 20), RATE_LIMIT_MAX_MS);
}

export function retryAtFor(f: GoogleFailure, schedule: RateLimitSchedule, now = Date.now()): Date {
  const told = parseRetryAfter(f.retryAfter, now) ?? retryAfterInMessage(f.message, now);
  if (told) return told;
  let wait = schedule.fixedMs ?? backoffMs(schedule.streak ?? 0);
  if (f.reason === 'dailyLimitExceeded') wait = Math.max(wait, DAILY_LIMIT_MS);
  return new Date(now + wait);
}

/** Gmail: "User-rate limit exceeded.  Retry after 2024-05-01T12:00:00.000Z". */
function retryAfterInMessage(message: string | undefined, now: number): Date | undefined {
  const m = /Retry after (\d{4}-\d\d-\d\dT[\d:.]+Z)/i.exec(message ?? '');
  if (!m) return undefined;
  const at = Date.parse(m[1]);
  return Number.isNaN(at) ? undefined : new Date(Math.max(at, now));
}

export function rateLimitError(f: GoogleFailure, schedule: RateLimitSchedule, message: string, context: ErrorContext): RateLimitError {
  const retryAt = retryAtFor(f, schedule);
  return new RateLimitError(retryAt, `${message}; retry at ${retryAt.toISOString()}`, context);
}

/**
 * A milestone without the streak key that runs before the workflow counted the streak stored in
 * it: such a milestone with nothing else in it is still "no cursor yet", not an unreadable one.
 */
export function withoutStreak<M extends Milestone>(milestone: M): M {
  const { rateLimitStreak: _drop, ...rest } = milestone;
  return rest as M;
}
