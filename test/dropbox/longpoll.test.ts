// Dropbox list_folder/longpoll, first at the connector (no Authorization header, held until a change,
// backoff, reset, cancellation, the account id of a full enumeration), then through syncUser: an edit
// made while the sync idles reaches Postgres without syncNow, with its request count per edit.
import type { WorkflowHandle } from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMilestone } from '../../src/activities/milestone.js';
import type { DropboxMilestone } from '../../src/connectors/dropbox/listing.js';
import { signalSync } from '../../src/workflows/client.js';
import { MAX_EVENTS_PER_POLL_ROUND } from '../../src/workflows/idle-wait.js';
import { FakeDropbox, type LongpollRecord } from '../fakes/dropbox/server.js';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually, useHarness } from '../support/harness.js';
import { documents, maybeRecordHistory } from '../support/sample.js';
import { listUntilCaughtUp, rejectionOf, startHarness, type Harness } from './harness.js';

describe('dropbox waitForChanges (connector)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ longpollTimeoutSeconds: 30 });
  });
  afterEach(async () => {
    await h?.fake.stop();
  });

  async function caughtUp(): Promise<DropboxMilestone> {
    const { milestone } = await listUntilCaughtUp(h);
    h.fake.resetRecording();
    return parseMilestone(h.connector, milestone);
  }

  it('is held until a file is added, then answers changes: true, without an Authorization header', async () => {
    h.fake.addFile('/a.txt', 'a');
    const milestone = await caughtUp();
    const wait = h.connector.waitForChanges(h.ctx, milestone);
    await eventually(async () => h.fake.longpoll.open.length === 1, 10_000, 20);
    h.fake.addFile('/b.txt', 'b');
    await expect(wait).resolves.toEqual({ changes: true });
    const [poll] = h.fake.longpoll.polls;
    expect(poll).toMatchObject({ timeout: 30, authorization: false, answer: { changes: true } });
    expect(poll.cursor).toBe((milestone as { cursor: string }).cursor);
    // The poll is the only request: no token refresh, no listing.
    expect(h.fake.counts).toEqual({ '/2/files/list_folder/longpoll': 1 });
  });

  it('answers changes: false after the timeout, with the backoff Dropbox asked for in ms', async () => {
    const milestone = await caughtUp();
    h.fake.longpoll.holdMs = 50;
    h.fake.longpoll.backoffSeconds = 7;
    await expect(h.connector.waitForChanges(h.ctx, milestone)).resolves.toEqual({ changes: false, backoffMs: 7_000 });
  });

  it('an invalidated cursor (409 reset) answers changes: true, and the next listing takes the reset path', async () => {
    h.fake.addFile('/a.txt', 'a');
    const milestone = await caughtUp();
    h.fake.invalidateCursors();
    await expect(h.connector.waitForChanges(h.ctx, milestone)).resolves.toEqual({ changes: true });
    expect(h.fake.longpoll.polls[0].answer).toBe('reset');
    const page = await h.connector.retrieveMetadata(h.ctx, milestone);
    expect(page.reset).toBe(true);
  });

  it('a cancelled activity closes the request at the fake', async () => {
    const milestone = await caughtUp();
    const abort = new AbortController();
    const wait = h.connector.waitForChanges({ ...h.ctx, signal: abort.signal }, milestone);
    await eventually(async () => h.fake.longpoll.open.length === 1, 10_000, 20);
    abort.abort(new Error('cancelled by the test'));
    expect((await rejectionOf(wait)).message).toBe('cancelled by the test');
    await eventually(async () => h.fake.longpoll.polls[0].closedAt !== undefined, 10_000, 20);
    expect(h.fake.longpoll.polls[0].answeredAt).toBeUndefined();
  });

  it('a full enumeration reports the account id once; incremental pages stay at one request', async () => {
    h.fake.addFile('/a.txt', 'a');
    const { pages, milestone } = await listUntilCaughtUp(h);
    expect(pages[0].sourceAccount).toMatch(/^dbid:/);
    expect(h.fake.count('/2/users/get_current_account')).toBe(1);
    h.fake.resetRecording();
    const next = await h.connector.retrieveMetadata(h.ctx, parseMilestone(h.connector, milestone));
    expect(next.sourceAccount).toBeUndefined();
    expect(h.fake.counts).toEqual({ '/2/files/list_folder/continue': 1 });
  });
});

describe('dropbox longpoll through syncUser (real Temporal + Postgres)', () => {
  const h = useHarness('q1_longpoll', { worker: true });

  /** A started fake with `files` under /Docs and a caught-up, idle sync polling it (interval 1 h). */
  async function idleSync(userId: string, files: number, config: Record<string, unknown> = {}) {
    const fake = new FakeDropbox();
    const { url } = await fake.start();
    stopAfterTest(() => fake.stop());
    for (let i = 1; i <= files; i++) fake.addFile(`/Docs/file-${i}.txt`, `text of file ${i}`);
    const credentialRef = await h.credentials.save('dropbox', userId, {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
    });
    const sync = await h.startSync({
      connector: 'dropbox',
      userId,
      credentialRef,
      config: { apiBaseUrl: url, ...config },
      options: { syncIntervalSeconds: 3600, longpoll: true },
    });
    stopAfterTest(() => signalSync(sync, 'cancel').catch(() => undefined));
    const status = await eventually(async () => {
      const s = await h.status(sync);
      return s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched === files && s;
    }, 90_000);
    await eventually(async () => fake.longpoll.open.length === 1, 60_000);
    return { fake, sync, status };
  }

  /** Polls never overlap: each arrives after the previous one was answered or closed. */
  function expectOnePollAtATime(polls: LongpollRecord[]): void {
    for (let i = 1; i < polls.length; i++) {
      const before = polls[i - 1].answeredAt ?? polls[i - 1].closedAt;
      expect(before, `poll ${i - 1} still open when poll ${i} arrived`).toBeDefined();
      expect(polls[i].at).toBeGreaterThanOrEqual(before!);
    }
  }

  it('a file added while the sync idles reaches Postgres without syncNow: one answer, one listing, one download, one re-arm', async () => {
    const { fake, sync, status } = await idleSync('q1-lp-alice', 2);
    const pollsBefore = fake.longpoll.polls.length;
    fake.resetRecording();
    fake.addFile('/Docs/fresh.txt', 'fresh text from the edit');

    const row = await eventually(async () => {
      const docs = [...(await documents(h.pool, 'dropbox', 'q1-lp-alice')).values()];
      return docs.find((d) => d.path === '/Docs/fresh.txt' && d.text?.includes('fresh text from the edit'));
    }, 60_000);
    expect(row).toBeDefined();
    const after = await eventually(async () => {
      const s = await h.status(sync);
      return s.phase === 'idle' && s.lastSyncAt !== status.lastSyncAt && fake.longpoll.open.length === 1 && s;
    }, 60_000);
    const polls = fake.longpoll.polls.slice(pollsBefore - 1);
    console.log(
      'per edit via longpoll:',
      fake.counts,
      'polls:',
      polls.map((p) => p.answer ?? 'open'),
    );
    // The poll open before the edit answered; the re-arm is the only poll sent since.
    expect(polls.map((p) => p.answer)).toEqual([{ changes: true }, undefined]);
    expect(fake.counts).toEqual({ '/2/files/list_folder/continue': 1, '/2/files/download': 1, '/2/files/list_folder/longpoll': 1 });
    expect(polls[1].cursor).not.toBe(polls[0].cursor); // re-armed with the new milestone
    expect(after.counters.fetched).toBe(3);
    expectOnePollAtATime(fake.longpoll.polls);
    // The listing from no cursor recorded the Dropbox account for the webhook receiver.
    const accounts = await h.pool.query("SELECT account_id FROM source_accounts WHERE connector = 'dropbox' AND user_id = $1", [
      'q1-lp-alice',
    ]);
    expect(accounts.rows.map((r) => r.account_id)).toEqual([expect.stringMatching(/^dbid:/)]);
    await maybeRecordHistory(sync, 'sample-longpoll-edit');
  });

  it('pause closes the open poll at the fake; resume lists and polls again', async () => {
    const { fake, sync } = await idleSync('q1-lp-paula', 1);
    const open = fake.longpoll.open[0];
    await signalSync(sync, 'pause');
    await eventually(async () => open.closedAt !== undefined, 60_000);
    expect(open.answeredAt).toBeUndefined();
    expect((await h.status(sync)).phase).toBe('paused');
    expect(fake.longpoll.open).toHaveLength(0);

    await signalSync(sync, 'resume');
    await eventually(async () => fake.longpoll.open.length === 1, 60_000);
    expectOnePollAtATime(fake.longpoll.polls);
    await maybeRecordHistory(sync, 'sample-longpoll-paused');
  });

  it('a backoff is honoured before the next poll (fake timestamps); history events per poll round', async () => {
    const { fake, sync } = await idleSync('q1-lp-bob', 1);
    const first = fake.longpoll.polls.length - 1; // the open one
    // From now on every answer asks for 2 s of backoff and a poll with no change answers at once.
    fake.longpoll.backoffSeconds = 2;
    fake.longpoll.holdMs = 0;
    fake.addFile('/Docs/kick.txt', 'ends the open poll: changes, then a cycle, then polls with no change');
    await eventually(async () => fake.longpoll.polls.length >= first + 5, 90_000);
    const rounds = fake.longpoll.polls.slice(first);
    expect(rounds[0].answer).toEqual({ changes: true, backoff: 2 });
    // Every poll after an answer with backoff (the one with changes included) waited at least 2 s.
    for (let i = 1; i < rounds.length; i++) {
      const gap = rounds[i].at - rounds[i - 1].answeredAt!;
      expect(gap, `poll ${i} came ${gap} ms after an answer asking for 2 s of backoff`).toBeGreaterThanOrEqual(2_000);
    }
    expectOnePollAtATime(fake.longpoll.polls);
    const events = await eventsPerRound(sync);
    console.log(`history events per poll round (changes: false + 2 s backoff timer): ${events}`);
    expect(events).toBeLessThanOrEqual(MAX_EVENTS_PER_POLL_ROUND);
    await maybeRecordHistory(sync, 'sample-longpoll-backoff');
  });
});

/** Mean history events between consecutive waitForChanges schedulings of the current run. */
async function eventsPerRound(sync: WorkflowHandle): Promise<number> {
  const history = await sync.fetchHistory();
  const ids = (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'waitForChanges')
    .map((e) => Number(e.eventId));
  if (ids.length < 3) throw new Error(`only ${ids.length} polls in history`);
  const tail = ids.slice(-3);
  return (tail[2] - tail[0]) / 2;
}

describe('dropbox longpoll when its worker goes away', () => {
  const h = useHarness('q1_longpoll_crash');

  it('a worker stopped mid-poll: the poll is re-armed on the next worker, and an edit still arrives', async () => {
    const first = await h.startWorker();
    const fake = new FakeDropbox();
    const { url } = await fake.start();
    stopAfterTest(() => fake.stop());
    fake.addFile('/Docs/a.txt', 'a');
    const credentialRef = await h.credentials.save('dropbox', 'q1-lp-crash', {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
    });
    const sync = await h.startSync({
      connector: 'dropbox',
      userId: 'q1-lp-crash',
      credentialRef,
      config: { apiBaseUrl: url },
      options: { syncIntervalSeconds: 3600, longpoll: true },
    });
    stopAfterTest(() => signalSync(sync, 'cancel').catch(() => undefined));
    await eventually(async () => fake.longpoll.open.length === 1, 90_000);
    const lost = fake.longpoll.open[0];
    await first.stop();
    await h.startWorker();
    // A new poll with the same cursor: the server retried the activity after the first worker left.
    const rearmed = await eventually(async () => fake.longpoll.open.find((p) => p !== lost), 90_000);
    expect(rearmed.cursor).toBe(lost.cursor);
    expect(lost.closedAt ?? lost.answeredAt).toBeDefined();
    fake.addFile('/Docs/after-crash.txt', 'written after the worker went away');
    await eventually(async () => {
      const docs = [...(await documents(h.pool, 'dropbox', 'q1-lp-crash')).values()];
      return docs.some((d) => d.text?.includes('written after the worker went away'));
    }, 90_000);
  });
});
