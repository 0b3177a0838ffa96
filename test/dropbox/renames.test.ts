// Dropbox renames and moves through the whole engine reach the change feed: a move found by the
// incremental listing (delete of the old path + the file at the new one, in one page) and a rename
// found by a full re-list (cursor reset) each give one 'metadata' change, no tombstone and no
// download; a re-list that finds nothing new writes nothing.
import { describe, expect, it } from 'vitest';
import { waitForStatus } from '../../src/testing/kit.js';
import { conformanceEngine } from '../../src/testing/engine.js';
import type { SyncStatus } from '../../src/workflows/types.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';
import { useHarness } from '../support/harness.js';
import { changes, documents } from '../support/sample.js';

describe('dropbox renames in the change feed', () => {
  const fake = new FakeDropbox();
  let fakeUrl = '';
  const h = useHarness('dropbox_renames', {
    worker: true,
    setup: async () => {
      fakeUrl = (await fake.start()).url;
    },
    teardown: () => fake.stop(),
  });

  it('a move in one page and a rename found by a full re-list are one metadata change each, without a download', async () => {
    const moved = fake.addFile('/Docs/report.txt', 'quarterly report');
    const renamed = fake.addFile('/Docs/notes.txt', 'meeting notes');
    fake.addFile('/Docs/other.txt', 'unrelated');
    const engine = conformanceEngine(h);
    const ref = await h.credentials.save('dropbox', 'rene', {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
    });
    const sync = await engine.startSync({
      connector: 'dropbox',
      userId: 'rene',
      credentialRef: ref,
      config: { apiBaseUrl: fakeUrl },
      options: { syncIntervalSeconds: 3600 },
    });
    let status = await waitForStatus(sync, (s) => s.phase === 'idle' && s.counters.fetched === 3);
    const next = async (before: SyncStatus) => {
      await sync.signal('syncNow');
      return waitForStatus(sync, (s) => s.phase === 'idle' && s.inFlight === 0 && s.lastSyncAt !== before.lastSyncAt);
    };
    const feedSince = async (count: number) =>
      (await changes(h.pool, 'dropbox', 'rene')).slice(count).map((c) => `${c.external_id}:${c.kind}`);
    const seqOf = async (id: string) => BigInt((await documents(h.pool, 'dropbox', 'rene')).get(id)!.seq);

    let seen = (await changes(h.pool, 'dropbox', 'rene')).length;
    const seqBeforeMove = await seqOf(moved.id);
    fake.resetRecording();
    fake.move('/Docs/report.txt', '/Archive/2026/report.txt');
    status = await next(status);
    console.log('dropbox move (incremental listing):', { ...fake.counts });
    expect(await feedSince(seen)).toEqual([`${moved.id}:metadata`]);
    const afterMove = (await documents(h.pool, 'dropbox', 'rene')).get(moved.id)!;
    expect(afterMove).toMatchObject({ path: '/Archive/2026/report.txt', status: 'fetched', deleted_at: null, text: 'quarterly report' });
    expect(BigInt(afterMove.seq)).toBeGreaterThan(seqBeforeMove);
    expect(fake.counts['/2/files/download'] ?? 0).toBe(0);

    seen = (await changes(h.pool, 'dropbox', 'rene')).length;
    fake.resetRecording();
    fake.invalidateCursors(); // the next continue answers reset: the connector lists everything again
    fake.move('/Docs/notes.txt', '/Docs/minutes.txt');
    status = await next(status);
    console.log('dropbox rename (full re-list after reset):', { ...fake.counts });
    expect(await feedSince(seen)).toEqual([`${renamed.id}:metadata`]);
    expect((await documents(h.pool, 'dropbox', 'rene')).get(renamed.id)).toMatchObject({
      title: 'minutes.txt',
      status: 'fetched',
      deleted_at: null,
    });
    expect(fake.counts['/2/files/download'] ?? 0).toBe(0);

    seen = (await changes(h.pool, 'dropbox', 'rene')).length;
    fake.invalidateCursors();
    status = await next(status);
    expect(await feedSince(seen)).toEqual([]);
    expect(status.counters.fetched).toBe(3);
    await sync.signal('cancel');
  });
});
