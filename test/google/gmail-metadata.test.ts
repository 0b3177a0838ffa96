// Gmail documents look like e-mails: Subject as title, internalDate as modifiedAt, sizeEstimate as
// size, headers/thread/labels in extra, through the real @googleapis/gmail client against the fake.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GmailConnector } from '../../src/connectors/gmail/connector.js';
import type { GmailConfig } from '../../src/connectors/gmail/config.js';
import { NO_SUBJECT } from '../../src/connectors/gmail/metadata.js';
import { partitionBySize } from '../../src/pipeline/fetch-batch.js';
import { startFakeGoogle, type FakeGoogle } from '../fakes/google/index.js';
import { makeContext, syncUntilCaughtUp, userAuth, type TestContext } from './harness.js';

const connector = new GmailConnector();
let fake: FakeGoogle;

beforeEach(async () => {
  fake = await startFakeGoogle();
});
afterEach(async () => {
  await fake?.close();
});

function context(extra: object = {}): TestContext<GmailConfig> {
  return makeContext(connector, { ...userAuth(fake, { accessToken: fake.oauth.issueAccessToken() }), pageSize: 100, ...extra });
}

describe('gmail metadata at listing', () => {
  it('a listed message has its Subject as title, internalDate, sizeEstimate and headers, thread and labels in extra', async () => {
    const id = fake.gmail.addMessage({ subject: 'Quarterly report', from: 'Carol <carol@example.com>', cc: 'dave@example.com' });
    const bare = fake.gmail.addMessage({ subject: undefined });
    const { pages } = await syncUntilCaughtUp(connector, context());
    const docs = new Map(pages.flatMap((p) => p.upserts).map((d) => [d.externalId, d]));
    const raw = fake.gmail.rawMessage(id)!;
    const doc = docs.get(id)!;
    expect(doc).toMatchObject({ title: 'Quarterly report', size: raw.length, mimeType: 'message/rfc822' });
    expect(Date.parse(doc.modifiedAt!)).toBeGreaterThan(0);
    expect(doc.extra).toMatchObject({
      from: 'Carol <carol@example.com>',
      to: 'alice@example.com',
      cc: 'dave@example.com',
      date: expect.any(String),
      threadId: id,
      labels: ['INBOX', 'UNREAD'],
    });
    expect(docs.get(bare)!.title).toBe(NO_SUBJECT);
    // One metadata read per message, asking only for the headers it uses.
    const gets = fake.requests.filter((r) => r.route === 'gmail.messages.get.metadata');
    expect(gets).toHaveLength(2);
    expect(gets[0].query).toMatchObject({ format: 'metadata', metadataHeaders: ['Subject', 'From', 'To', 'Cc', 'Date'] });
  });

  it('messages with a known size go to download batches, not one child each', async () => {
    fake.gmail.addMessage({ subject: 'small' });
    const { pages } = await syncUntilCaughtUp(connector, context());
    const docs = pages.flatMap((p) => p.upserts);
    const refs = docs.map((d) => ({ externalId: d.externalId, version: d.version }));
    const { small, large } = partitionBySize(refs, new Map(docs.map((d) => [d.externalId, d.size ?? null])));
    expect([small.length, large.length]).toEqual([1, 0]);
  });

  it('a message added later, read from history.list, gets the same metadata; a label change updates the labels', async () => {
    fake.gmail.addMessage({ subject: 'first' });
    const ctx = context();
    const { milestone } = await syncUntilCaughtUp(connector, ctx);
    const id = fake.gmail.addMessage({ subject: 'Lunch?', labelIds: ['INBOX'] });
    let page = await connector.retrieveMetadata(ctx, milestone);
    expect(page.upserts).toHaveLength(1);
    expect(page.upserts[0]).toMatchObject({ externalId: id, title: 'Lunch?', extra: { labels: ['INBOX'] } });
    fake.gmail.addLabels(id, ['STARRED']);
    fake.clearLog();
    page = await connector.retrieveMetadata(ctx, page.milestone);
    // Still in scope (no labelIds filter): re-read once, so the row's labels follow the mailbox.
    expect(page.upserts).toEqual([
      expect.objectContaining({ externalId: id, title: 'Lunch?', extra: expect.objectContaining({ labels: ['INBOX', 'STARRED'] }) }),
    ]);
    expect(fake.counts()).toEqual({ 'gmail.history.list': 1, 'gmail.messages.get.metadata': 1 });
  });

  it('a message deleted between messages.list and its metadata read keeps a bare row; the history feed deletes it', async () => {
    const id = fake.gmail.addMessage({ subject: 'soon gone' });
    fake.failNext('gmail.messages.get.metadata', { status: 404, reason: 'notFound', message: 'Requested entity was not found.' });
    const { pages } = await syncUntilCaughtUp(connector, context());
    expect(pages.flatMap((p) => p.upserts)).toEqual([expect.objectContaining({ externalId: id, title: id })]);
  });
});
