// When to call Google again after a quota error. Retry-After (header, or Gmail's "Retry after
// <date>" message) wins; otherwise an exponential schedule driven by a streak counter.
//
// The counter lives in the milestone (`rateLimitStreak`) because the workflow owns all state.
// A thrown error cannot return a milestone, so the RateLimitError carries `milestone`: the
// cursor to keep, with the streak incremented. An activity that stores it gets 30 s, 60 s,
// 120 s ... capped at 15 min; one that ignores it still gets a steady 30 s pause. Any page
// returned normally drops the counter (the next milestone never includes it).
import { type Milestone } from '../../core/contract.js';
import { RateLimitError, type ErrorContext } from '../../core/errors.js';
import { parseRetryAfter } from '../shared/retry-after.js';
import type { GoogleFailure } from './failure.js';

export const RATE_LIMIT_BASE_MS = 30_000;
export const RATE_LIMIT_MAX_MS = 15 * 60_000;
/** A daily quota does not come back in seconds. */
export const DAILY_LIMIT_MS = 60 * 60_000;

export interface RateLimitSchedule {
  /** retrieveData has no milestone: a fixed pause. */
  fixedMs?: number;
  /** retrieveMetadata: the milestone the failed call was given (its streak drives the backoff). */
  milestone?: Milestone;
}

/** A RateLimitError that also hands back the milestone to keep (with the streak incremented). */
export type RateLimitWithMilestone = RateLimitError & { milestone?: Milestone };

export function streakOf(milestone: Milestone | undefined): number {
  const n = milestone?.rateLimitStreak;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
}

export function backoffMs(streak: number): number {
  return Math.min(RATE_LIMIT_BASE_MS * 2 ** Math.min(streak, 20), RATE_LIMIT_MAX_MS);
}

export function retryAtFor(f: GoogleFailure, schedule: RateLimitSchedule, now = Date.now()): Date {
  const told = parseRetryAfter(f.retryAfter, now) ?? retryAfterInMessage(f.message, now);
  if (told) return told;
  let wait = schedule.fixedMs ?? backoffMs(streakOf(schedule.milestone));
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

export function rateLimitError(f: GoogleFailure, schedule: RateLimitSchedule, message: string, context: ErrorContext): RateLimitWithMilestone {
  const retryAt = retryAtFor(f, schedule);
  const error: RateLimitWithMilestone = new RateLimitError(retryAt, `${message}; retry at ${retryAt.toISOString()}`, context);
  if (schedule.milestone) error.milestone = { ...schedule.milestone, rateLimitStreak: streakOf(schedule.milestone) + 1 };
  return error;
}

/** A milestone without the streak: what every successful page returns. */
export function withoutStreak<M extends Milestone>(milestone: M): M {
  const { rateLimitStreak: _drop, ...rest } = milestone;
  return rest as M;
}
