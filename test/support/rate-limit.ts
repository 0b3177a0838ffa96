// Rate-limit assertions that hold on a busy machine: retryAt is checked against the clock read just
// before and just after the refused call, never against "now" some unknown time later.
import { expect } from 'vitest';
import { RateLimitError } from '../../src/core/errors.js';

/** Runs `call`, expects a RateLimitError whose retryAt is `seconds` after the call, and returns it. */
export async function expectRateLimited(call: () => Promise<unknown>, seconds: number): Promise<RateLimitError> {
  const before = Date.now();
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  const after = Date.now();
  expect(err).toBeInstanceOf(RateLimitError);
  const retryAt = (err as RateLimitError).retryAt.getTime();
  expect(retryAt).toBeGreaterThanOrEqual(before + seconds * 1000);
  expect(retryAt).toBeLessThanOrEqual(after + seconds * 1000);
  return err as RateLimitError;
}
