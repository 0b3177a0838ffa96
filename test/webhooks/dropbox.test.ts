// Dropbox webhooks over real HTTP into a real Temporal + Postgres: the verification challenge, a
// signed notification waking an idle sync (interval 1 h) until the new file is in Postgres,
// forged/replayed/oversized/malformed requests refused without a trace, unknown accounts ignored,
// and a burst of 100 notifications folded into at most two syncNow signals.
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../src/webhooks/receiver.js';
import {
  deliverDropboxWebhook,
  dropboxNotificationBody,
  replayDropboxWebhook,
  sendDropboxWebhook,
  verifyDropboxWebhookUri,
} from '../fakes/dropbox/webhooks.js';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually, useHarness } from '../support/harness.js';
import { APP_SECRET, documentText, idleDropboxUser, syncNowSignals, syncRuns, uniqueUser } from './dropbox-user.js';

describe('Dropbox webhooks through the receiver', () => {
  let receiver: Receiver | undefined;
  let hook = '';
  const h = useHarness('q2_webhooks_dropbox', {
    worker: true,
    setup: async (h) => {
      receiver = await startReceiver({
        host: '127.0.0.1',
        port: 0,
        pool: h.pool,
        client: h.client,
        logger: pino({ level: 'silent' }),
        // A window far longer than any test step, so a replay below is always inside it.
        env: { DOCSYNC_DROPBOX_APP_SECRET: APP_SECRET, DOCSYNC_DROPBOX_REPLAY_WINDOW_SECONDS: '3600' },
      });
      hook = `${receiver.url}/dropbox`;
    },
  });
  // Registered after the harness: runs before its teardown (hooks stack), while Temporal is still up.
  afterAll(() => receiver?.close());

  it('echoes the verification challenge as text/plain with nosniff', async () => {
    const check = await verifyDropboxWebhookUri(hook);
    expect(check.verified).toBe(true);
    expect(check.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(check.headers.get('x-content-type-options')).toBe('nosniff');
    // Echoed verbatim, never as HTML.
    const markup = await verifyDropboxWebhookUri(hook, '<script>alert(1)</script>');
    expect(markup.text).toBe('<script>alert(1)</script>');
    expect(markup.headers.get('content-type')).toMatch(/^text\/plain/);
    expect((await fetch(hook)).status).toBe(400);
    expect((await fetch(hook, { method: 'PUT', body: '{}' })).status).toBe(405);
  });

  it('a signed notification wakes the idle sync and the new file lands in Postgres', async () => {
    const user = await idleDropboxUser(h, 'alice');
    expect(await syncNowSignals(user.handle)).toBe(0);
    user.fake.addFile('/Docs/new.txt', 'pushed by a webhook');
    const sent = await sendDropboxWebhook(hook, APP_SECRET, { accounts: [user.account] });
    expect(sent.status).toBe(200);
    await eventually(async () => (await documentText(h, user.userId, '/Docs/new.txt')) === 'pushed by a webhook');
    expect(await syncNowSignals(user.handle)).toBe(1);
  });

  it('refuses unsigned, forged, oversized, malformed and replayed requests and changes nothing; unknown accounts get 200 and wake nothing', async () => {
    const user = await idleDropboxUser(h, 'bob');
    const notifier = receiver!.notifier;
    // One genuine notification first, so there is something to replay.
    const genuine = await sendDropboxWebhook(hook, APP_SECRET, { accounts: [user.account] });
    expect(genuine.status).toBe(200);
    await eventually(async () => {
      const s = await h.status(user.handle);
      return s.phase === 'idle' && s.inFlight === 0 && s.lastSyncAt !== user.first.lastSyncAt;
    });
    await notifier.idle();
    const signalsBefore = await syncNowSignals(user.handle);
    const runsBefore = await syncRuns(h, user.userId);
    const countsBefore = { ...notifier.counts };
    expect(signalsBefore).toBe(1);
    user.fake.resetRecording();

    const notice = { accounts: [user.account] };
    const other = { accounts: [user.account, 'dbid:q2-someone-else'] };
    const refused = {
      unsigned: await sendDropboxWebhook(hook, APP_SECRET, other, { signature: null }),
      forged: await sendDropboxWebhook(hook, 'not-the-app-secret', other),
      tampered: await sendDropboxWebhook(hook, APP_SECRET, other, {
        body: dropboxNotificationBody(other),
        signature: genuine.signature, // a real signature over another body
      }),
      garbage: await sendDropboxWebhook(hook, APP_SECRET, notice, { signature: 'zz' }),
      oversized: await sendDropboxWebhook(hook, APP_SECRET, { accounts: [user.account, 'x'.repeat(300 * 1024)] }),
      notJson: await sendDropboxWebhook(hook, APP_SECRET, notice, { body: '{"list_folder": {"accounts": [' }),
      wrongShape: await sendDropboxWebhook(hook, APP_SECRET, notice, { body: JSON.stringify({ list_folder: { accounts: user.account } }) }),
      replayed: await replayDropboxWebhook(hook, genuine),
    };
    expect(Object.fromEntries(Object.entries(refused).map(([k, v]) => [k, v.status]))).toEqual({
      unsigned: 403,
      forged: 403,
      tampered: 403,
      garbage: 403,
      oversized: 413,
      notJson: 400,
      wrongShape: 400,
      replayed: 409,
    });
    // No answer echoes what was sent.
    for (const r of Object.values(refused)) expect(r.text).not.toContain(user.account);

    const unknown = await sendDropboxWebhook(hook, APP_SECRET, { accounts: [`dbid:${uniqueUser('nobody')}`] });
    expect(unknown.status).toBe(200);

    // Every wake a request could cause was handed to the notifier before its answer was sent.
    await notifier.idle();
    expect(notifier.counts).toEqual(countsBefore);
    expect(await syncNowSignals(user.handle)).toBe(signalsBefore);
    expect(await syncRuns(h, user.userId)).toBe(runsBefore);
    expect(user.fake.requests).toHaveLength(0); // not one call at Dropbox
  });

  it("a genuine repeat inside the replay window is refused, then accepted on Dropbox's retry after the window", async () => {
    const short = await startReceiver({
      host: '127.0.0.1',
      port: 0,
      pool: h.pool,
      client: h.client,
      logger: pino({ level: 'silent' }),
      env: { DOCSYNC_DROPBOX_APP_SECRET: APP_SECRET, DOCSYNC_DROPBOX_REPLAY_WINDOW_SECONDS: '10' },
    });
    stopAfterTest(() => short.close());
    const user = await idleDropboxUser(h, 'fay');
    const url = `${short.url}/dropbox`;
    const first = await deliverDropboxWebhook(url, APP_SECRET, { accounts: [user.account] });
    expect(first.statuses).toEqual([200]);
    user.fake.addFile('/Docs/second-edit.txt', 'a second edit');
    // The same account again: byte-identical to the first, so refused until the window has passed.
    const repeat = await deliverDropboxWebhook(url, APP_SECRET, { accounts: [user.account] }, { firstRetryMs: 1_000 });
    console.log('genuine repeat inside the window, attempts:', repeat.statuses);
    expect(repeat.delivered).toBe(true);
    expect(repeat.statuses[0]).toBe(409);
    expect(repeat.statuses.slice(0, -1).every((s) => s === 409)).toBe(true);
    await eventually(async () => (await documentText(h, user.userId, '/Docs/second-edit.txt')) === 'a second edit');
    await short.notifier.idle();
    expect(await syncNowSignals(user.handle)).toBe(2);
  });

  it('folds a burst of 100 signed notifications into at most two syncNow signals', async () => {
    const user = await idleDropboxUser(h, 'carol');
    user.fake.addFile('/Docs/burst.txt', 'after the burst');
    // Distinct bodies (the account batched with others, as Dropbox does), so none is a replay.
    const sent = await Promise.all(
      Array.from({ length: 100 }, (_, i) => sendDropboxWebhook(hook, APP_SECRET, { accounts: [user.account, `dbid:q2-burst-other-${i}`] })),
    );
    expect(sent.every((s) => s.status === 200)).toBe(true);
    expect(new Set(sent.map((s) => s.signature)).size).toBe(100);
    await receiver!.notifier.idle();
    await eventually(async () => (await documentText(h, user.userId, '/Docs/burst.txt')) === 'after the burst');
    const signals = await syncNowSignals(user.handle);
    const listings = user.fake.counts['/2/files/list_folder/continue'] ?? 0;
    console.log(`burst of 100 notifications: ${signals} syncNow signals, ${listings} list_folder/continue calls`);
    expect(signals).toBeGreaterThanOrEqual(1);
    expect(signals).toBeLessThanOrEqual(2);
    expect(listings).toBeLessThanOrEqual(2);
  });
});
