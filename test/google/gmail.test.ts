// Gmail connector scenarios: the real @googleapis/gmail client against the fake mailbox over
// HTTP on 127.0.0.1.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GmailConnector } from '../../src/connectors/gmail/connector.js';
import type { GmailConfig } from '../../src/connectors/gmail/config.js';
import { MESSAGE_VERSION } from '../../src/connectors/gmail/listing.js';
import { type Milestone } from '../../src/core/contract.js';
import { NotFoundError, type RateLimitError, TransientError } from '../../src/core/errors.js';
import { startFakeGoogle, googleFailures, type FakeGoogle } from '../fakes/google/index.js';
import { expectNoSecrets, failureOf, makeContext, readAll, syncUntilCaughtUp, userAuth, type TestContext } from './harness.js';
import { expectRateLimited } from '../support/rate-limit.js';

const connector = new GmailConnector();
let fake: FakeGoogle;

beforeEach(async () => {
  fake = await startFakeGoogle();
});
afterEach(async () => {
  await fake?.close(); // undefined when the first beforeEach failed; close is idempotent
});

function context(extra: object = {}): TestContext<GmailConfig> {
  return makeContext(connector, { ...userAuth(fake, { accessToken: fake.oauth.issueAccessToken() }), pageSize: 2, ...extra });
}

function seed(): string[] {
  return ['one', 'two', 'three', 'four', 'five'].map((subject) => fake.gmail.addMessage({ subject }));
}

async function synced(ctx: TestContext<GmailConfig>): Promise<Milestone> {
  const { milestone } = await syncUntilCaughtUp(connector, ctx);
  fake.clearLog();
  return milestone;
}

describe('gmail first sync', () => {
  it("given 5 messages with pageSize 2, reads the profile historyId first, then lists 3 pages (and each message's metadata)", async () => {
    const ids = seed();
    const startHistoryId = fake.gmail.currentHistoryId();
    const { pages, milestone } = await syncUntilCaughtUp(connector, context());
    expect(fake.requests.map((r) => r.route).filter((r) => r !== 'gmail.messages.get.metadata')).toEqual([
      'gmail.users.getProfile',
      'gmail.messages.list',
      'gmail.messages.list',
      'gmail.messages.list',
    ]);
    expect(fake.count('gmail.messages.get.metadata')).toBe(5);
    expect(fake.requests[1].query).toMatchObject({ maxResults: '2' });
    expect(pages.map((p) => [p.upserts.length, p.hasMore])).toEqual([
      [2, true],
      [2, true],
      [1, false],
    ]);
    expect(pages[0].milestone).toEqual({ phase: 'list', startHistoryId, pageToken: expect.any(String) });
    expect(milestone).toEqual({ phase: 'history', historyId: startHistoryId });
    const docs = pages.flatMap((p) => p.upserts);
    expect(docs.map((d) => d.externalId).sort()).toEqual([...ids].sort());
    expect(docs[0]).toMatchObject({
      title: expect.stringMatching(/^(one|two|three|four|five)$/),
      mimeType: 'message/rfc822',
      version: MESSAGE_VERSION,
    });
  });

  it('passes the configured labelIds and q to messages.list', async () => {
    seed();
    await syncUntilCaughtUp(connector, context({ labelIds: ['INBOX', 'Label_7'], q: 'from:bob' }));
    expect(fake.requests[1].query).toMatchObject({ labelIds: ['INBOX', 'Label_7'], q: 'from:bob', maxResults: '2' });
  });
});

describe('gmail incremental sync', () => {
  it('given an unchanged mailbox, costs exactly one history.list', async () => {
    seed();
    const ctx = context();
    const milestone = await synced(ctx);
    const page = await connector.retrieveMetadata(ctx, milestone);
    expect(fake.counts()).toEqual({ 'gmail.history.list': 1 });
    expect(page).toMatchObject({ upserts: [], deletes: [], hasMore: false, milestone });
    expect(fake.requests[0].query).toMatchObject({
      startHistoryId: (milestone as { historyId: string }).historyId,
      historyTypes: ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'],
    });
  });

  it('when a message arrives and another is deleted, one history.list reports both', async () => {
    const [first] = seed();
    const ctx = context({ pageSize: 100 });
    const milestone = await synced(ctx);
    const added = fake.gmail.addMessage({ subject: 'new' });
    fake.gmail.deleteMessage(first);
    const page = await connector.retrieveMetadata(ctx, milestone);
    expect(fake.counts()).toEqual({ 'gmail.history.list': 1, 'gmail.messages.get.metadata': 1 });
    expect(page.upserts.map((d) => d.externalId)).toEqual([added]);
    expect(page.deletes).toEqual([first]);
    expect(page.milestone).toEqual({ phase: 'history', historyId: fake.gmail.currentHistoryId() });
  });

  it('with labelIds [INBOX]: archiving deletes, moving back upserts, trashing deletes, read/unread updates the labels', async () => {
    const [a, b, c] = seed();
    const ctx = context({ labelIds: ['INBOX'], pageSize: 100 });
    let milestone = await synced(ctx);
    const outside = fake.gmail.addMessage({ subject: 'newsletter', labelIds: ['CATEGORY_PROMOTIONS'] });

    fake.gmail.removeLabels(a, ['INBOX']); // archived: out
    fake.gmail.removeLabels(b, ['UNREAD']); // read: stays in, its labels change
    fake.gmail.addLabels(c, ['TRASH']); // trashed: out
    let page = await connector.retrieveMetadata(ctx, milestone);
    expect(page.upserts).toEqual([expect.objectContaining({ externalId: b, extra: expect.objectContaining({ labels: ['INBOX'] }) })]);
    expect(page.deletes.sort()).toEqual([a, c].sort());
    milestone = page.milestone;

    fake.gmail.addLabels(a, ['INBOX']); // back in
    fake.gmail.addLabels(outside, ['INBOX']); // moved in
    page = await connector.retrieveMetadata(ctx, milestone);
    expect(page.upserts.map((d) => d.externalId).sort()).toEqual([a, outside].sort());
    expect(page.deletes).toEqual([]);
    expect(fake.counts()).toEqual({ 'gmail.history.list': 2, 'gmail.messages.get.metadata': 3 });
  });

  it('pages through history one request per call', async () => {
    seed();
    const ctx = context();
    const milestone = await synced(ctx);
    for (const s of ['x', 'y', 'z']) fake.gmail.addMessage({ subject: s });
    const { pages } = await syncUntilCaughtUp(connector, ctx, milestone);
    expect(pages.map((p) => [p.upserts.length, p.hasMore])).toEqual([
      [2, true],
      [1, false],
    ]);
    expect(pages[0].milestone).toMatchObject({ historyId: (milestone as { historyId: string }).historyId, pageToken: expect.any(String) });
    expect(fake.counts()).toEqual({ 'gmail.history.list': 2, 'gmail.messages.get.metadata': 3 });
  });

  it('when the historyId expired (404), restarts the full listing with reset: true', async () => {
    seed();
    const ctx = context();
    const milestone = await synced(ctx);
    fake.gmail.addMessage({ subject: 'during the gap' });
    fake.gmail.expireHistory();
    const first = await connector.retrieveMetadata(ctx, milestone);
    expect(first.reset).toBe(true);
    expect(fake.requests.map((r) => [r.route, r.status])).toEqual([
      ['gmail.history.list', 404],
      ['gmail.users.getProfile', 200],
      ['gmail.messages.list', 200],
      ['gmail.messages.get.metadata', 200],
      ['gmail.messages.get.metadata', 200],
    ]);
    const rest = await syncUntilCaughtUp(connector, ctx, first.milestone);
    expect([...first.upserts, ...rest.pages.flatMap((p) => p.upserts)]).toHaveLength(6);
    fake.clearLog();
    const next = await connector.retrieveMetadata(ctx, rest.milestone);
    expect(next).toMatchObject({ upserts: [], deletes: [], hasMore: false });
    expect(fake.counts()).toEqual({ 'gmail.history.list': 1 });
  });
});

describe('gmail quota and failures', () => {
  it('429 with Retry-After -> RateLimitError at that time, no extra request', async () => {
    seed();
    const ctx = context();
    const milestone = await synced(ctx);
    fake.failNext('gmail.history.list', googleFailures.tooManyRequests('42'));
    const err = await expectRateLimited(() => connector.retrieveMetadata(ctx, milestone), 42);
    expect(fake.counts()).toEqual({ 'gmail.history.list': 1 });
    expectNoSecrets(err, [fake.oauth.clientSecret, fake.oauth.refreshToken, ctx.config.accessToken]);
  });

  it("Gmail's 'Retry after <date>' message sets retryAt; otherwise the streak schedule applies", async () => {
    seed();
    const ctx = context();
    const milestone = await synced(ctx);
    const at = new Date(Date.now() + 300_000);
    fake.failNext('gmail.history.list', {
      status: 429,
      reason: 'rateLimitExceeded',
      message: `User-rate limit exceeded.  Retry after ${at.toISOString()}`,
    });
    const told = (await failureOf(connector.retrieveMetadata(ctx, milestone))) as RateLimitError;
    expect(told.retryAt.getTime()).toBe(at.getTime());

    fake.failNext('gmail.history.list', googleFailures.userRateLimit());
    await expectRateLimited(() => connector.retrieveMetadata({ ...ctx, rateLimitStreak: 1 }, milestone), 60);
    expect(fake.counts()).toEqual({ 'gmail.history.list': 2 });
  });

  it('5xx -> TransientError after one request', async () => {
    const ctx = context();
    fake.failNext('gmail.users.getProfile', googleFailures.serverError(502), 3);
    const err = await failureOf(connector.retrieveMetadata(ctx, {}));
    expect(err).toBeInstanceOf(TransientError);
    expect(fake.counts()).toEqual({ 'gmail.users.getProfile': 1 });
  });
});

describe('gmail retrieveData', () => {
  it('returns the raw RFC 822 message, base64url-decoded', async () => {
    const raw = Buffer.from(
      'Subject: caf\u00e9 \u2615\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\u00ff\u00fe binary-ish ???>>>\r\n',
      'utf8',
    );
    const id = fake.gmail.addMessage({ subject: 'ignored', raw });
    const result = await connector.retrieveData(context(), { externalId: id, title: id, version: '1' });
    expect(result.mimeType).toBe('message/rfc822');
    expect((await readAll(result.body)).equals(raw)).toBe(true);
    expect(result.size).toBe(raw.length);
    expect(fake.requests.map((r) => [r.route, r.query.format])).toEqual([['gmail.messages.get', 'raw']]);
  });

  it('a deleted message -> NotFoundError; a rate-limited fetch waits 30 s', async () => {
    const id = fake.gmail.addMessage({ subject: 'x' });
    fake.gmail.deleteMessage(id);
    const ctx = context();
    expect(await failureOf(connector.retrieveData(ctx, { externalId: id, title: id, version: '1' }))).toBeInstanceOf(NotFoundError);

    const other = fake.gmail.addMessage({ subject: 'y' });
    fake.failNext('gmail.messages.get', googleFailures.userRateLimit());
    await expectRateLimited(() => connector.retrieveData(ctx, { externalId: other, title: other, version: '1' }), 30);
  });
});
