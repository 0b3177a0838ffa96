// The shared app quota's arithmetic without services: the GCRA step, slot spacing inside reserved
// blocks, Gmail's unit costs, two processes sharing one timeline, refusals beyond the longest wait,
// cancellation, and DOCSYNC_APP_QUOTAS validation.
import { describe, expect, it } from 'vitest';
import {
  AppQuota,
  MemoryQuotaStore,
  reserveOnTimeline,
  type AppQuotaStore,
  type Reservation,
} from '../../src/connectors/shared/app-quota.js';
import { ConfigError, RateLimitError } from '../../src/core/errors.js';
import { readWorkerEnv } from '../../src/workers/env.js';

/** A clock the test moves by hand, and a store counting its round trips. */
function world() {
  let t = 1_000_000;
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const memory = new MemoryQuotaStore(clock.now);
  const calls: number[] = [];
  const store: AppQuotaStore = {
    reserve: (connector, blockMs, maxWaitMs): Promise<Reservation> => {
      calls.push(blockMs);
      return memory.reserve(connector, blockMs, maxWaitMs);
    },
  };
  return { clock, store, calls };
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);

describe('reserveOnTimeline (the GCRA step the SQL implements)', () => {
  it('starts an idle budget now, a busy one at its tat, and refuses past the longest wait without moving tat', () => {
    expect(reserveOnTimeline(0, 100, 50, 1000)).toEqual({ tat: 150, reservation: { startsInMs: 0 } });
    expect(reserveOnTimeline(400, 100, 50, 1000)).toEqual({ tat: 450, reservation: { startsInMs: 300 } });
    expect(reserveOnTimeline(2000, 100, 50, 1000)).toEqual({ tat: 2000, reservation: { refusedForMs: 1900 } });
  });
});

describe('AppQuota', () => {
  it('spaces calls at the budget rate and reserves one block for the calls waiting together', async () => {
    const { clock, store, calls } = world();
    const quota = new AppQuota('dropbox', { perSecond: 100, blockMs: 1000 }, store, clock.now);
    const slots = await Promise.all(Array.from({ length: 10 }, () => quota.slot('files/download')));
    expect(gaps(slots)).toEqual(Array(9).fill(10));
    expect(slots[0]).toBe(clock.now());
    expect(calls).toHaveLength(2); // the first caller's block, then one block for the nine queued behind it
  });

  it("charges Gmail's documented units per method", async () => {
    const { clock, store } = world();
    const quota = new AppQuota('gmail', { perSecond: 100 }, store, clock.now);
    expect([quota.costOf('users.messages.get'), quota.costOf('users.history.list'), quota.costOf('other')]).toEqual([5, 2, 1]);
    const slots = await Promise.all(['users.messages.get', 'users.history.list', 'users.getProfile', 'x'].map((op) => quota.slot(op)));
    expect(gaps(slots)).toEqual([50, 20, 10]);
  });

  it('two processes sharing one timeline never send closer than the budget allows', async () => {
    const { clock, store } = world();
    const a = new AppQuota('dropbox', { perSecond: 50, blockMs: 100 }, store, clock.now);
    const b = new AppQuota('dropbox', { perSecond: 50, blockMs: 100 }, store, clock.now);
    const slots = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).slot('op')));
    const sorted = [...slots].sort((x, y) => x - y);
    expect(Math.min(...gaps(sorted))).toBeGreaterThanOrEqual(20 - 1e-6);
  });

  it('drops slots left unused in the past instead of spending them in a burst', async () => {
    const { clock, store } = world();
    const quota = new AppQuota('dropbox', { perSecond: 10, blockMs: 1000 }, store, clock.now);
    await quota.slot('op');
    clock.advance(500); // the rest of the block passed unused
    const next = await Promise.all([quota.slot('op'), quota.slot('op')]);
    expect(next[0]).toBe(clock.now());
    expect(next[1] - next[0]).toBe(100);
  });

  it('refuses with RateLimitError(retryAt) when the next slot is beyond the longest wait, reserving nothing', async () => {
    const { clock, store, calls } = world();
    const quota = new AppQuota('dropbox', { perSecond: 10, maxWaitMs: 1000, blockMs: 1000 }, store, clock.now);
    await Promise.all(Array.from({ length: 30 }, () => quota.slot('op').catch(() => undefined)));
    const err = await quota.slot('op').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAt.getTime()).toBeGreaterThan(clock.now() + 1000);
    const before = calls.length;
    const again = await quota.slot('op').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(RateLimitError);
    // The refused reservation did not move the timeline: the earliest slot is still where it was.
    expect((again as RateLimitError).retryAt).toEqual((err as RateLimitError).retryAt);
    expect(calls.length).toBe(before + 1);
  });

  it('a cancelled call leaves the queue with the abort reason', async () => {
    const { clock, store } = world();
    const quota = new AppQuota('dropbox', { perSecond: 1, blockMs: 1000 }, store, clock.now);
    await quota.slot('op');
    const controller = new AbortController();
    const waiting = quota.acquire('op', controller.signal);
    controller.abort(new Error('activity cancelled'));
    await expect(waiting).rejects.toThrow('activity cancelled');
  });
});

describe('DOCSYNC_APP_QUOTAS', () => {
  const base = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' };
  it('parses per-connector budgets', () => {
    const env = readWorkerEnv({ ...base, DOCSYNC_APP_QUOTAS: '{"dropbox":{"perSecond":50},"gmail":{"perSecond":2000}}' });
    expect(env.DOCSYNC_APP_QUOTAS).toEqual({ dropbox: { perSecond: 50 }, gmail: { perSecond: 2000 } });
    expect(readWorkerEnv(base).DOCSYNC_APP_QUOTAS).toBeUndefined();
  });
  it.each(['{"dropbox":{"perSecond":-1}}', '{"dropbox":{"perSec":5}}', 'dropbox=5'])('names the variable for %s', (value) => {
    let err: unknown;
    try {
      readWorkerEnv({ ...base, DOCSYNC_APP_QUOTAS: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/DOCSYNC_APP_QUOTAS/);
  });
});
