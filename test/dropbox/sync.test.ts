// Dropbox through the whole engine: what each sync costs in requests, rate-limit waits with no
// request inside them, and folder deletes that tombstone everything under the folder.
import { describe, expect, it } from 'vitest';
import { waitForStatus } from '../../src/testing/kit.js';
import type { SyncStatus } from '../../src/workflows/types.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';
import { conformanceEngine } from '../../src/testing/engine.js';
import { useHarness } from '../support/harness.js';

describe('dropbox sync costs on a real Temporal + Postgres', () => {
  const fake = new FakeDropbox();
  let fakeUrl = '';
  const h = useHarness('dropbox_sync', {
    worker: true,
    setup: async () => {
      fakeUrl = (await fake.start()).url;
    },
    teardown: () => fake.stop(),
  });

  const routes = () => ({ ...fake.counts });

  it('first sync, a no-change sync (exactly one continue), a 429 wait and a folder delete', async () => {
    for (let i = 1; i <= 5; i++) fake.addFile(`/Docs/file-${i}.txt`, `text of file ${i}`);
    fake.addFile('/Docs/Sub/deep-1.md', '# deep one');
    fake.addFile('/Docs/Sub/deep-2.md', '# deep two');
    const engine = conformanceEngine(h);
    const ref = await h.credentials.save('dropbox', 'dana', {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
    });
    const sync = await engine.startSync({
      connector: 'dropbox',
      userId: 'dana',
      credentialRef: ref,
      config: { apiBaseUrl: fakeUrl, pageSize: 2 },
      options: { syncIntervalSeconds: 3600 },
    });
    let status = await waitForStatus(sync, (s) => s.phase === 'idle' && s.counters.fetched === 7);
    const first = routes();
    console.log('dropbox first sync (7 files, pageSize 2):', first);
    expect(first['/2/files/list_folder']).toBe(1);
    expect(first['/2/files/download']).toBe(7);
    expect(first['/oauth2/token']).toBe(1); // one refresh, then the token is kept and reused

    const next = async (before: SyncStatus) => {
      await sync.signal('syncNow');
      return waitForStatus(sync, (s) => s.phase === 'idle' && s.inFlight === 0 && s.lastSyncAt !== before.lastSyncAt);
    };

    fake.resetRecording();
    status = await next(status);
    console.log('dropbox no-change sync:', routes());
    expect(routes()).toEqual({ '/2/files/list_folder/continue': 1 });

    fake.resetRecording();
    fake.addFile('/Docs/late.txt', 'arrived during the storm');
    fake.inject('/2/files/list_folder/continue', { kind: 'rate-limit', retryAfterSeconds: 3 });
    status = await next(status);
    const refused = fake.requests.find((r) => r.status === 429)!;
    const inside = fake.requests.filter((r) => r.at > refused.at && r.at < refused.at + 3_000);
    console.log('dropbox 429 with Retry-After 3:', routes(), 'requests inside the wait:', inside.length);
    expect(inside).toHaveLength(0);
    expect(status.counters.rateLimitWaits).toBe(1);
    expect(status.counters.fetched).toBe(8);

    fake.resetRecording();
    fake.deleteFile('/Docs/Sub');
    status = await next(status);
    console.log('dropbox folder delete:', routes());
    const gone = await h.pool.query("SELECT path FROM documents WHERE user_id = 'dana' AND deleted_at IS NOT NULL ORDER BY path");
    expect(gone.rows.map((r) => r.path)).toEqual(['/Docs/Sub/deep-1.md', '/Docs/Sub/deep-2.md']);
    expect(status.counters.deleted).toBe(2);
    await sync.signal('cancel');
  });
});
