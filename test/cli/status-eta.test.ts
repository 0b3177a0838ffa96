// `docsync status` while batches download: the documents of running batch activities count as in
// flight, and an ETA appears once some documents are done (the pace of the current sync run), in
// the table (a 100-column pty) and in --json. Downloads are slowed at the fake Dropbox.
import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../src/workflows/types.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';
import { cliEnv, docsync as runDocsync, run, DOCSYNC_BIN } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';

describe('docsync status: in flight and ETA during batch downloads', () => {
  const fake = new FakeDropbox();
  let fakeUrl = '';
  let env: NodeJS.ProcessEnv;
  const h = useHarness('status_eta', {
    worker: true,
    setup: async (h) => {
      fakeUrl = (await fake.start()).url;
      env = cliEnv(h, h.blobDir);
    },
    teardown: () => fake.stop(),
  });
  const docsync = (...args: string[]) => runDocsync(args, { env });
  const statusJson = async (userId: string): Promise<SyncStatus | undefined> => {
    const result = await docsync('status', 'dropbox', userId, '--json');
    return result.code === 0 ? (JSON.parse(result.stdout) as SyncStatus[])[0] : undefined;
  };
  /** `docsync status` on a 100-column pseudo-terminal (script(1)), without the pty's \r. */
  const statusAt100 = async (userId: string) => {
    const cmd = `stty cols 100 rows 50; exec "${process.execPath}" "${DOCSYNC_BIN}" status dropbox ${userId}`;
    const result = await run('script', ['-qec', cmd, '/dev/null'], { env });
    return result.stdout.replace(/\r/g, '');
  };

  it('counts the documents of running batches as in flight and shows an ETA once some are done', async () => {
    const userId = 'q7-eta';
    for (let i = 1; i <= 20; i++) fake.addFile(`/Docs/note-${String(i).padStart(2, '0')}.txt`, `note ${i}`);
    // Every download answers after 2 s: 10 batches of 2, one at a time, keep the sync fetching ~20 s.
    fake.inject('/2/files/download', { kind: 'slow', delayMs: 2000 }, { every: 1 });
    const ref = await h.credentials.save('dropbox', userId, {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
    });
    const handle = await h.startSync({
      connector: 'dropbox',
      userId,
      credentialRef: ref,
      config: { apiBaseUrl: fakeUrl, pageSize: 100 }, // one page: a page of one document would go to a child
      options: { batchSize: 2, batchLanes: 1, syncIntervalSeconds: 3600 },
    });

    // A busy machine may answer the first status call after a few batches: wait for the condition.
    const paced = await eventually(async () => {
      const s = await statusJson(userId);
      return s && s.inFlight > 0 && s.counters.fetched > 0 && s.etaSeconds !== undefined ? s : undefined;
    });
    expect(paced.inFlight).toBeLessThanOrEqual(2); // at most the one running batch's documents
    expect(paced.documentsLeft).toBe(20 - paced.counters.fetched);
    expect(paced.etaSeconds).toBeGreaterThan(0);

    const table = await eventually(async () => {
      const out = await statusAt100(userId);
      return /ETA \d+s/.test(out) || /│\s*\d+s\s*│/.test(out) ? out : undefined;
    });
    console.log(`docsync status at 100 columns during batch downloads:\n${table}`);
    expect(table.split('\n').every((line) => line.length <= 100)).toBe(true);
    expect(table).toMatch(/in flight [1-9]/);

    fake.clearFaults();
    const done = await eventually(async () => {
      const s = await statusJson(userId);
      return s && s.phase === 'idle' && s.counters.fetched === 20 ? s : undefined;
    });
    expect(done.inFlight).toBe(0);
    expect(done.etaSeconds).toBeUndefined();
    // Every document went through a batch: the in-flight counts above were batch downloads, not children.
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(0);
    await handle.cancel();
  });
});
