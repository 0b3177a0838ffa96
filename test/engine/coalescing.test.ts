// Bursts of syncNow (webhook storms, a poll answering beside them) coalesce: 100 signals within a
// second give at most one running cycle plus one queued cycle, and signals during a rate-limit wait
// do not shorten it. Cycles are counted at the fake (listing calls) and in sync_runs.
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { signalSync } from '../../src/workflows/client.js';
import type { SyncStatus } from '../../src/workflows/types.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually, useHarness } from '../support/harness.js';

const CONTINUE = '/2/files/list_folder/continue';

describe('syncNow bursts coalesce (real Temporal + Postgres)', () => {
  const h = useHarness('q1_coalescing', { worker: true });

  async function idleSync(userId: string, longpoll: boolean) {
    const fake = new FakeDropbox();
    const { url } = await fake.start();
    stopAfterTest(() => fake.stop());
    fake.addFile('/Docs/a.txt', 'a');
    const credentialRef = await h.credentials.save('dropbox', userId, {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
    });
    const sync = await h.startSync({
      connector: 'dropbox',
      userId,
      credentialRef,
      config: { apiBaseUrl: url },
      options: { syncIntervalSeconds: 3600, longpoll },
    });
    stopAfterTest(() => signalSync(sync, 'cancel').catch(() => undefined));
    const status = await until(sync, (s) => s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched === 1);
    fake.resetRecording();
    return { fake, sync, status };
  }

  const until = (sync: WorkflowHandle, check: (s: SyncStatus) => boolean) =>
    eventually(async () => {
      const s = await h.status(sync);
      return check(s) && s;
    }, 90_000);

  const finishedRuns = async (userId: string) =>
    Number((await h.pool.query('SELECT count(*) AS n FROM sync_runs WHERE user_id = $1 AND finished_at IS NOT NULL', [userId])).rows[0].n);

  /** 100 syncNow within a second (sent side by side). */
  const burst = (sync: WorkflowHandle) => Promise.all(Array.from({ length: 100 }, () => signalSync(sync, 'syncNow')));

  it('100 syncNow while a cycle runs: that cycle plus one queued cycle, then idle', async () => {
    const { fake, sync } = await idleSync('q1-co-carol', true);
    const runsBefore = await finishedRuns('q1-co-carol');
    // The next listing is slow, so the burst lands while the cycle it belongs to is running.
    fake.inject(CONTINUE, { kind: 'slow', delayMs: 2_000 });
    await signalSync(sync, 'syncNow');
    await eventually(async () => fake.count(CONTINUE) === 1, 30_000, 20);
    await burst(sync);
    // The queued cycle lists once more; idle is only observable once nothing is queued.
    const status = await until(sync, (s) => s.phase === 'idle' && s.inFlight === 0 && fake.count(CONTINUE) >= 2);
    const cycles = (await finishedRuns('q1-co-carol')) - runsBefore;
    console.log(`100 syncNow during a cycle: listing calls ${fake.count(CONTINUE)}, sync runs ${cycles}, phase ${status.phase}`);
    expect(fake.count(CONTINUE)).toBe(2);
    expect(cycles).toBe(2);
    // The long poll was cancelled for the cycle and re-armed after it, never two at once.
    await eventually(async () => fake.longpoll.open.length === 1, 60_000);
    const polls = fake.longpoll.polls;
    for (let i = 1; i < polls.length; i++) expect(polls[i].at).toBeGreaterThanOrEqual(polls[i - 1].answeredAt ?? polls[i - 1].closedAt!);
  });

  it('100 syncNow during a rate-limit wait: no request inside the wait, one queued cycle after it', async () => {
    const { fake, sync } = await idleSync('q1-co-rita', false);
    const runsBefore = await finishedRuns('q1-co-rita');
    fake.inject(CONTINUE, { kind: 'rate-limit', retryAfterSeconds: 3 });
    await signalSync(sync, 'syncNow');
    await until(sync, (s) => s.phase === 'rate-limited');
    await burst(sync);
    await until(sync, (s) => s.phase === 'idle' && fake.count(CONTINUE) >= 3);
    const refused = fake.requests.find((r) => r.status === 429)!;
    const inside = fake.requests.filter((r) => r.at > refused.at && r.at < refused.at + 3_000);
    const cycles = (await finishedRuns('q1-co-rita')) - runsBefore;
    console.log(
      `100 syncNow during a 3 s rate-limit wait: requests inside ${inside.length}, listing calls ${fake.count(CONTINUE)}, runs ${cycles}`,
    );
    expect(inside).toHaveLength(0);
    // The refused call, its retry after the wait, and one queued cycle for the whole burst.
    expect(fake.count(CONTINUE)).toBe(3);
    expect(cycles).toBe(2);
  });
});
