// Drive push end to end over real HTTP: the watchChannels workflow opens a changes.watch channel at
// the fake, the fake posts Drive's notifications to the receiver (in-process webhook server), and a
// file edited at the fake reaches Postgres through the woken sync (interval 1 h, so only the push
// can bring it). Forged, unknown, expired and replayed notifications are refused and wake nothing;
// a short-lived channel is renewed with overlap and the old one stopped; stop and cancel stop it.
import { afterEach, describe, expect, it } from 'vitest';
import { getDocument } from '../../src/store/documents.js';
import { channelToken, channelsOfUser, saveChannel } from '../../src/store/push.js';
import { stopWatchChannels } from '../../src/workflows/client.js';
import { startFakeGoogle, type FakeGoogle } from '../fakes/google/index.js';
import { eventually, useHarness } from '../support/harness.js';
import { maybeRecordHistory } from '../support/sample.js';
import { firstSync, post, PUSH_SECRET, startReceiver, startWatch, type Receiver } from './push-harness.js';

process.env.DOCSYNC_PUSH_SECRET = PUSH_SECRET;
const h = useHarness('q3_push_drive', { worker: true });
let fake: FakeGoogle | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(): Promise<{ f: FakeGoogle; receiver: Receiver }> {
  fake = await startFakeGoogle();
  const receiver = await startReceiver(h, { pushSecret: PUSH_SECRET });
  // The activities read it at call time; one receiver per test, one test at a time in this file.
  process.env.DOCSYNC_PUSH_URL = receiver.server.url;
  return { f: fake, receiver };
}

const live = async (userId: string) => (await channelsOfUser(h.pool, 'gdrive', userId)).filter((c) => c.state === 'live');

describe('Drive changes.watch push', () => {
  it('a file edited at Drive reaches Postgres through the notification; `sync` wakes nothing; cancel stops the channel', async () => {
    const { f, receiver } = await setup();
    const id = f.drive.addFile({ name: 'notes.txt', content: 'first words' });
    const { user } = await firstSync(h, f, 'gdrive', 'q3-drive-alice', 1);
    const watch = await startWatch(h, user);

    const [channel] = await eventually(async () => {
      const open = await live(user.userId);
      return open.length === 1 && f.drivePush.deliveries.some((d) => d.state === 'sync' && d.status === 200) && open;
    }, 60_000);
    expect(f.drivePush.channels.get(channel.channelId)?.address).toBe(`${receiver.server.url}/gdrive`);
    // The token Drive echoes is the derived one, and it never entered the workflow's history.
    const token = channelToken(PUSH_SECRET, channel.channelId, user.userId);
    expect(f.drivePush.channels.get(channel.channelId)?.token).toBe(token);
    expect(JSON.stringify(await watch.fetchHistory())).not.toContain(token);
    await receiver.notifier.idle();
    expect(receiver.notifier.counts.signalled).toBe(0);

    f.clearLog();
    f.drive.modifyFile(id, 'second words, pushed');
    await eventually(
      async () => (await getDocument(h.pool, { connector: 'gdrive', userId: user.userId }, id))?.text?.includes('pushed'),
      60_000,
    );
    expect(f.drivePush.deliveries.filter((d) => d.state === 'change').map((d) => d.status)).toEqual([200]);
    expect(receiver.notifier.counts.signalled).toBe(1);
    console.log('drive push: requests for one pushed edit', f.counts());

    await watch.cancel();
    await eventually(async () => f.drivePush.stopped.includes(channel.channelId) && (await live(user.userId)).length === 0, 60_000);
  });

  it('refuses forged tokens, unknown, expired and replayed notifications, waking nothing', async () => {
    const { f, receiver } = await setup();
    const { user } = await firstSync(h, f, 'gdrive', 'q3-drive-bob', 0);
    await startWatch(h, user);
    const [channel] = await eventually(async () => {
      const open = await live(user.userId);
      return open.length === 1 && f.drivePush.deliveries.some((d) => d.state === 'sync') && open;
    }, 60_000);
    const url = `${receiver.server.url}/gdrive`;
    const headers = (channelId: string, token: string, number: number) => ({
      'x-goog-channel-id': channelId,
      'x-goog-channel-token': token,
      'x-goog-resource-state': 'change',
      'x-goog-message-number': String(number),
    });
    const realToken = channelToken(PUSH_SECRET, channel.channelId, user.userId);

    expect(await post(url, headers(channel.channelId, 'forged-token', 50))).toBe(403);
    expect(await post(url, headers('q3-no-such-channel', realToken, 51))).toBe(404);
    // A channel Postgres knows, with its right token, whose expiration has passed.
    await saveChannel(h.pool, {
      channelId: 'q3-expired',
      connector: 'gdrive',
      userId: user.userId,
      resourceId: 'r',
      expiresAt: new Date(Date.now() - 1000),
    });
    expect(await post(url, headers('q3-expired', channelToken(PUSH_SECRET, 'q3-expired', user.userId), 52))).toBe(404);
    // Drive's own duplicate of the `sync` message (same message number).
    expect((await f.drivePush.resend(channel.channelId, 'sync')).status).toBe(409);
    // A notification without the headers Drive always sends.
    expect(await post(url, { 'x-goog-channel-id': channel.channelId })).toBe(400);
    await receiver.notifier.idle();
    expect(receiver.notifier.counts.signalled).toBe(0);

    // The real next one still passes, once.
    expect((await f.drivePush.notify(channel.channelId)).status).toBe(200);
    expect((await f.drivePush.resend(channel.channelId)).status).toBe(409);
    await receiver.notifier.idle();
    expect(receiver.notifier.counts.signalled).toBe(1);
  });

  it('renews a short-lived channel before it expires, stops the old one after, and stops on disconnect', async () => {
    const { f, receiver } = await setup();
    const { user } = await firstSync(h, f, 'gdrive', 'q3-drive-carol', 0);
    const watch = await startWatch(h, user, { ttlMs: 8_000, renewBeforeMs: 4_000, renewalsPerRun: 1 });

    await eventually(async () => f.drivePush.stopped.length >= 1 && f.drivePush.channels.size >= 2, 60_000);
    const [first, second] = [...f.drivePush.channels.values()].sort((a, b) => a.openedAt - b.openedAt);
    expect(f.drivePush.stopped[0]).toBe(first.id);
    // Overlap: the next channel existed before the old one expired, and the old was stopped after it opened.
    expect(second.openedAt).toBeLessThan(first.expiration);
    expect(first.state).toBe('stopped');
    const rows = await channelsOfUser(h.pool, 'gdrive', user.userId);
    expect(rows.find((r) => r.channelId === first.id)?.state).toBe('stopped');
    // A notification Drive sends late for the stopped channel is refused.
    expect((await f.drivePush.notify(first.id)).status).toBe(404);

    await stopWatchChannels(h.client, 'gdrive', user.userId);
    await watch.result();
    await eventually(async () => (await live(user.userId)).length === 0, 30_000);
    expect(f.drivePush.live()).toEqual([]);
    await receiver.notifier.idle();
    expect(receiver.notifier.counts.signalled).toBe(0);
    // The first run (open, timer, open, stop the old, continue-as-new) and the last (timer, stop signal, stop).
    await maybeRecordHistory(h.client.workflow.getHandle(watch.workflowId, watch.firstExecutionRunId), 'watch-channels-renewal');
    await maybeRecordHistory(watch, 'watch-channels-stopped');
  });
});
