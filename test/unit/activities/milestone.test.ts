// The milestone size guard: a connector's cursor lives in workflow state and history, so anything
// but a small JSON object is refused with a non-retryable failure that says why.
import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { MAX_MILESTONE_BYTES } from '../../../src/core/contract.js';
import { checkMilestone, MILESTONE_ERROR_TYPE } from '../../../src/activities/milestone.js';

/** A milestone whose JSON is exactly `bytes` long: {"pad":"xxx..."} (10 bytes of framing). */
const milestoneOf = (bytes: number, char = 'x') => ({ pad: char.repeat((bytes - 10) / Buffer.byteLength(char)) });

function refusal(milestone: unknown): ApplicationFailure {
  try {
    checkMilestone('dropbox', milestone);
  } catch (err) {
    return err as ApplicationFailure;
  }
  throw new Error('checkMilestone accepted the milestone');
}

describe('checkMilestone', () => {
  it('given a small object, it is returned as is', () => {
    const milestone = { cursor: 'AAE-abc', rateLimitStreak: 1 };
    expect(checkMilestone('dropbox', milestone)).toBe(milestone);
  });

  it('given exactly the limit, it passes; one byte more, it is refused non-retryably with its size', () => {
    expect(JSON.stringify(milestoneOf(MAX_MILESTONE_BYTES)).length).toBe(MAX_MILESTONE_BYTES);
    expect(checkMilestone('dropbox', milestoneOf(MAX_MILESTONE_BYTES))).toEqual(milestoneOf(MAX_MILESTONE_BYTES));
    const err = refusal(milestoneOf(MAX_MILESTONE_BYTES + 1));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.type).toBe(MILESTONE_ERROR_TYPE);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain(`a milestone of ${MAX_MILESTONE_BYTES + 1} bytes`);
    expect(err.details).toEqual([{ connector: 'dropbox', bytes: MAX_MILESTONE_BYTES + 1 }]);
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 3-byte characters: fewer than MAX_MILESTONE_BYTES characters, more bytes.
    const wide = { pad: '€'.repeat(Math.ceil(MAX_MILESTONE_BYTES / 3)) };
    expect(JSON.stringify(wide).length).toBeLessThan(MAX_MILESTONE_BYTES);
    expect(refusal(wide).type).toBe(MILESTONE_ERROR_TYPE);
  });

  it.each([
    ['an array', ['cursor'], 'array'],
    ['null', null, 'object'],
    ['a string', 'cursor', 'string'],
    ['undefined', undefined, 'undefined'],
  ])('given %s, it is refused as not a JSON object', (_name, milestone, kind) => {
    const err = refusal(milestone);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain(`a milestone that is not a JSON object (${kind})`);
  });
});
