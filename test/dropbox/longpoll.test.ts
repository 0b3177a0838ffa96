// Dropbox list_folder/longpoll, first at the connector (no Authorization header, held until a change,
// backoff, reset, cancellation, the account id of a full enumeration), then through syncUser: an edit
// made while the sync idles reaches Postgres without syncNow, with its request count per edit.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMilestone } from '../../src/activities/milestone.js';
import type { DropboxMilestone } from '../../src/connectors/dropbox/listing.js';
import { eventually } from '../support/harness.js';
import { listUntilCaughtUp, rejectionOf, startHarness, type Harness } from './harness.js';

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

describe('dropbox waitForChanges (connector)', () => {
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
