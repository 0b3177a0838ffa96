// Gmail metadata completed at download: a message its listing could only give an id (its metadata
// read failed) gets Subject, size, internalDate, headers, thread and labels from the raw message
// (format=raw), through a real syncUser and the real @googleapis/gmail client against the fake.
import { describe, expect, it } from 'vitest';
import { readChanges } from '../../src/store/changes.js';
import { signalSync } from '../../src/workflows/client.js';
import { startFakeGoogle, type FakeGoogle } from '../fakes/google/index.js';
import { eventually, useHarness } from '../support/harness.js';

describe('gmail metadata completed at download (syncUser)', () => {
  let fake: FakeGoogle;
  const h = useHarness('gmail_dl_meta', {
    worker: true,
    setup: async () => {
      fake = await startFakeGoogle();
    },
    teardown: () => fake?.close(),
  });

  it('a message listed by id only is completed from its raw content, with one metadata change', async () => {
    const userId = 'gq2-complete';
    const subjects = new Map([
      [fake.gmail.addMessage({ subject: 'Invoice 42', from: 'Erin <erin@example.com>', cc: 'fin@example.com' }), 'Invoice 42'],
      [fake.gmail.addMessage({ subject: 'Team lunch', labelIds: ['INBOX', 'STARRED'] }), 'Team lunch'],
    ]);
    // The first metadata read of the listing fails: that message is stored with its id only.
    fake.failNext('gmail.messages.get.metadata', { status: 404, reason: 'notFound', message: 'Requested entity was not found.' });
    const ref = await h.credentials.save('gmail', userId, {
      clientId: fake.oauth.clientId,
      clientSecret: fake.oauth.clientSecret,
      refreshToken: fake.oauth.refreshToken,
    });
    const handle = await h.startSync({
      connector: 'gmail',
      userId,
      credentialRef: ref,
      config: { apiBaseUrl: fake.url, tokenUrl: fake.tokenUrl },
      options: { syncIntervalSeconds: 3600 },
    });
    await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched === 2;
    }, 60_000);
    await signalSync(handle, 'cancel');

    const bareAtListing = fake.requests.filter((r) => r.route === 'gmail.messages.get.metadata' && r.status === 404);
    expect(bareAtListing).toHaveLength(1);
    const { rows } = await h.pool.query(
      'SELECT external_id, title, size, modified_at, extra, status FROM documents WHERE connector = $1 AND user_id = $2',
      ['gmail', userId],
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const raw = fake.gmail.rawMessage(row.external_id)!;
      expect(row).toMatchObject({ title: subjects.get(row.external_id), size: String(raw.length), status: 'fetched' });
      expect(row.modified_at).toBeInstanceOf(Date);
      expect(row.extra).toMatchObject({ to: 'alice@example.com', threadId: row.external_id, date: expect.any(String) });
      expect(row.extra.labels).toEqual(expect.arrayContaining(['INBOX']));
    }
    const invoice = rows.find((r) => r.title === 'Invoice 42')!;
    expect(invoice.extra).toMatchObject({ from: 'Erin <erin@example.com>', cc: 'fin@example.com', labels: ['INBOX', 'UNREAD'] });
    expect(rows.find((r) => r.title === 'Team lunch')!.extra.labels).toEqual(['INBOX', 'STARRED']);

    // Only the message listed bare changed at download: one metadata change, before its content change.
    const changes = await readChanges(h.pool, { since: 0, connector: 'gmail', userId });
    const metadata = changes.filter((c) => c.kind === 'metadata');
    expect(metadata).toHaveLength(1);
    const completed = metadata[0].externalId;
    const kinds = changes.filter((c) => c.externalId === completed).map((c) => c.kind);
    expect(kinds).toEqual(['upsert', 'metadata', 'content']);
    const other = [...subjects.keys()].find((id) => id !== completed)!;
    expect(changes.filter((c) => c.externalId === other).map((c) => c.kind)).toEqual(['upsert', 'content']);
  });
});
