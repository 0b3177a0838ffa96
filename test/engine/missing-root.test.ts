// A source root that disappears (a filesystem folder moved away or an emptied mount point, a Dropbox
// rootPath deleted) fails the cycle with phase failed and an error naming the root, keeps every
// document (no sweep), and a syncNow after the root is back recovers.
import { promises as fs } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { conformanceEngine } from '../../src/testing/engine.js';
import { waitForStatus } from '../../src/testing/kit.js';
import { syncNowSignal } from '../../src/workflows/definitions.js';
import type { SyncStatus } from '../../src/workflows/types.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';
import { eventually, useHarness, type Harness } from '../support/harness.js';
import { documents } from '../support/sample.js';

async function liveDocs(h: Harness, connector: string, userId: string): Promise<string[]> {
  const rows = await documents(h.pool, connector, userId);
  return [...rows.values()].filter((r) => !r.deleted_at).map((r) => r.external_id);
}

async function nextCycle(h: Harness, handle: WorkflowHandle, check: (s: SyncStatus) => boolean): Promise<SyncStatus> {
  await handle.signal(syncNowSignal);
  return eventually(async () => {
    const s = await h.status(handle);
    return check(s) && s;
  });
}

describe('a source root that disappears is an outage, not a wipe', () => {
  const fake = new FakeDropbox();
  let fakeUrl = '';
  const h = useHarness('missing_root', {
    worker: true,
    setup: async () => void (fakeUrl = (await fake.start()).url),
    teardown: () => fake.stop(),
  });

  it('filesystem: a folder moved away, then an empty mount point, then back', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'docsync-root-'));
    await fs.writeFile(path.join(root, 'a.txt'), 'alpha');
    await fs.writeFile(path.join(root, 'b.txt'), 'beta');
    const handle = await h.startSync({ connector: 'filesystem', userId: 'mo', config: { root }, options: { syncIntervalSeconds: 3600 } });
    await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.counters.fetched === 2 && s;
    });

    await fs.rename(root, `${root}.away`);
    let status = await nextCycle(h, handle, (s) => s.phase === 'failed');
    expect(status.lastError).toContain(`filesystem root ${root} is unavailable`);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(await liveDocs(h, 'filesystem', 'mo')).toEqual(['a.txt', 'b.txt']);

    await fs.mkdir(root); // the mount point is there, the share is not
    status = await nextCycle(h, handle, (s) => s.phase === 'failed' && !!s.lastError?.includes('is empty'));
    expect(status.counters.deleted).toBe(0);
    expect(await liveDocs(h, 'filesystem', 'mo')).toEqual(['a.txt', 'b.txt']);

    await fs.rmdir(root);
    await fs.rename(`${root}.away`, root);
    const before = status.lastSyncAt;
    status = await nextCycle(h, handle, (s) => s.phase === 'idle' && s.lastSyncAt !== before);
    expect(status.lastError).toBeUndefined();
    expect(status.counters.deleted).toBe(0);
    expect(await liveDocs(h, 'filesystem', 'mo')).toEqual(['a.txt', 'b.txt']);
  });

  it('dropbox: rootPath deleted (409 path/not_found on list_folder/continue), then restored', async () => {
    fake.addFile('/Team/one.txt', 'one');
    fake.addFile('/Team/two.txt', 'two');
    const ref = await h.credentials.save('dropbox', 'dee', {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
    });
    const sync = await conformanceEngine(h).startSync({
      connector: 'dropbox',
      userId: 'dee',
      credentialRef: ref,
      config: { apiBaseUrl: fakeUrl, rootPath: '/Team' },
      options: { syncIntervalSeconds: 3600 },
    });
    await waitForStatus(sync, (s) => s.phase === 'idle' && s.counters.fetched === 2);
    const handle = h.client.workflow.getHandle('sync/dropbox/dee');

    fake.deleteFile('/Team');
    let status = await nextCycle(h, handle, (s) => s.phase === 'failed');
    expect(status.lastError).toContain('dropbox source folder "/Team" (rootPath) is unavailable');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(await liveDocs(h, 'dropbox', 'dee')).toHaveLength(2);

    fake.addFile('/Team/one.txt', 'one');
    fake.addFile('/Team/two.txt', 'two');
    const before = status.lastSyncAt;
    status = await nextCycle(h, handle, (s) => s.phase === 'idle' && s.lastSyncAt !== before);
    expect(status.lastError).toBeUndefined();
    // The restored files (new Dropbox ids) are synced again.
    const restored = [fake.lookup('/Team/one.txt')!.id, fake.lookup('/Team/two.txt')!.id];
    expect(await liveDocs(h, 'dropbox', 'dee')).toEqual(expect.arrayContaining(restored));
  });
});
