// Gmail push end to end over real HTTP: watchChannels calls users.watch on the Pub/Sub topic and
// records the mailbox address for the user; the fake's push subscription posts the Pub/Sub envelope
// with a Google-style OIDC token (signed by a test key whose certificates the fake serves) to the
// receiver, which verifies it and wakes the sync (interval 1 h): a new message reaches Postgres.
// A bad signature, a wrong audience or issuer, and a replayed messageId wake nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { getDocument } from '../../src/store/documents.js';
import { channelsOfUser, usersOfAccount } from '../../src/store/push.js';
import { stopWatchChannels } from '../../src/workflows/client.js';
import { startFakeGoogle, type FakeGoogle } from '../fakes/google/index.js';
import { eventually, useHarness } from '../support/harness.js';
import { firstSync, post, PUSH_SECRET, startReceiver, startWatch, type Receiver } from './push-harness.js';

process.env.DOCSYNC_PUSH_SECRET = PUSH_SECRET;
process.env.DOCSYNC_GMAIL_PUSH_TOPIC = 'projects/docsync-test/topics/gmail';
const AUDIENCE = 'https://q3-receiver.example.com/gmail';
const h = useHarness('q3_push_gmail', { worker: true });
let fake: FakeGoogle | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(gmail: { audience?: string; pushToken?: string }): Promise<{ f: FakeGoogle; receiver: Receiver }> {
  fake = await startFakeGoogle();
  const receiver = await startReceiver(h, { gmail: { ...gmail, certsUrl: `${fake.url}/oauth2/v1/certs` } });
  const query = gmail.pushToken ? `?token=${gmail.pushToken}` : '';
  fake.gmailPush.subscription = { endpoint: `${receiver.server.url}/gmail${query}`, audience: gmail.audience };
  return { f: fake, receiver };
}

describe('Gmail users.watch + Pub/Sub push', () => {
  it('a new message reaches Postgres through a verified push; forged and replayed pushes wake nothing; stop ends the watch', async () => {
    const { f, receiver } = await setup({ audience: AUDIENCE });
    f.gmail.addMessage({ subject: 'before' });
    const { user } = await firstSync(h, f, 'gmail', 'q3-gmail-alice', 1);
    const watch = await startWatch(h, user);
    await eventually(
      async () => f.gmailPush.watch && (await usersOfAccount(h.pool, 'gmail', 'alice@example.com')).includes(user.userId),
      60_000,
    );
    expect(f.gmailPush.watch?.topicName).toBe('projects/docsync-test/topics/gmail');

    const id = f.gmail.addMessage({ subject: 'pushed', body: 'hello through Pub/Sub' });
    await eventually(
      async () => (await getDocument(h.pool, { connector: 'gmail', userId: user.userId }, id))?.status === 'fetched',
      60_000,
    );
    const row = await getDocument(h.pool, { connector: 'gmail', userId: user.userId }, id);
    expect(row?.text).toContain('hello through Pub/Sub');
    await f.gmailPush.idle();
    expect(f.gmailPush.deliveries.map((d) => d.status)).toEqual([200]);
    await receiver.notifier.idle();
    const woken = receiver.notifier.counts.signalled;
    expect(woken).toBe(1);

    expect((await f.gmailPush.push({ wrongKey: true })).status).toBe(401);
    expect((await f.gmailPush.push({ audience: 'https://someone-else.example.com/push' })).status).toBe(401);
    expect((await f.gmailPush.push({ issuer: 'https://evil.example.com' })).status).toBe(401);
    expect(await post(`${receiver.server.url}/gmail`, { 'content-type': 'application/json' }, '{}')).toBe(401);
    // The messageId already accepted: acknowledged (Pub/Sub would redeliver any non-2xx), nothing woken.
    const replay = await f.gmailPush.push({ messageId: f.gmailPush.deliveries[0].messageId });
    expect(replay.status).toBe(200);
    await receiver.notifier.idle();
    expect(receiver.notifier.counts.signalled).toBe(woken);

    await stopWatchChannels(h.client, 'gmail', user.userId);
    await watch.result();
    expect(f.gmailPush.watch).toBeUndefined();
    expect(f.gmailPush.stops.length).toBe(1);
    expect((await channelsOfUser(h.pool, 'gmail', user.userId)).every((c) => c.state === 'stopped')).toBe(true);
  });

  it('without an OIDC audience, only pushes carrying the URL token are accepted', async () => {
    const { f, receiver } = await setup({ pushToken: 'q3-url-token-0123456789' });
    const { user } = await firstSync(h, f, 'gmail', 'q3-gmail-bob', 0);
    await startWatch(h, user);
    await eventually(async () => (await usersOfAccount(h.pool, 'gmail', 'alice@example.com')).includes(user.userId), 60_000);
    expect((await f.gmailPush.push()).status).toBe(200);
    f.gmailPush.subscription = { endpoint: `${receiver.server.url}/gmail?token=guessed` };
    expect((await f.gmailPush.push()).status).toBe(403);
    await receiver.notifier.idle();
    expect(receiver.notifier.counts.signalled).toBe(1);
  });
});
