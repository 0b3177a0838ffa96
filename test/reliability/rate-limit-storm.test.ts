// Rate-limit storm: the fake Dropbox answers 429 + Retry-After on every third call for a while.
// The sync still completes, no request reaches the fake inside any wait it announced, the waits
// show as phase `rate-limited` with `nextSyncAt`, and downloads never exceed the user's window
// (batch lanes × a batch's downloads, plus the children's maxInFlight: pages whose batches hand
// documents back start children while the next page's batch still runs).
import { describe, expect, it } from 'vitest';
import { concurrencyAfterWaits, maxConcurrentDownloads, requestsInsideWaits } from '../../scripts/chaos/waits.js';
import type { SyncStatus } from '../../src/workflows/types.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';
import { eventually, useHarness } from '../support/harness.js';
import { documents } from '../support/sample.js';
import { signalSync } from '../../src/workflows/client.js';
import { userDownloadLimit } from '../../src/pipeline/fetch-batch.js';

const FILES = 60;
const BATCH_LANES = 1;
const MAX_CHILDREN = 4;
const WINDOW = userDownloadLimit({ batchLanes: BATCH_LANES, maxInFlight: MAX_CHILDREN });

describe('rate-limit storm on a real Temporal + Postgres', () => {
  const fake = new FakeDropbox();
  let fakeUrl = '';
  const h = useHarness('rl_storm', {
    worker: true,
    setup: async () => {
      fakeUrl = (await fake.start()).url;
    },
    teardown: () => fake.stop(),
  });

  it('given 429 on every third call for a while, the sync completes with no request inside any announced wait', async () => {
    const contents = new Map<string, string>();
    for (let i = 0; i < FILES; i++) {
      const file = `/Storm/doc-${String(i).padStart(2, '0')}.txt`;
      contents.set(file, `storm document ${i}`);
      fake.addFile(file, `storm document ${i}`);
    }
    const rateLimit = { kind: 'rate-limit', retryAfterSeconds: 1 } as const;
    fake.inject('/2/files/download', rateLimit, { every: 3, times: 6 });
    fake.inject('/2/files/list_folder/continue', rateLimit, { every: 3, times: 1 });
    // Downloads that take a while, so how many run at once is visible at the fake.
    fake.inject('/2/files/download', { kind: 'slow', delayMs: 150 }, { times: Number.POSITIVE_INFINITY });
    const ref = await h.credentials.save('dropbox', 'storm', {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
    });
    const handle = await h.startSync({
      connector: 'dropbox',
      userId: 'storm',
      credentialRef: ref,
      config: { apiBaseUrl: fakeUrl, pageSize: 10 },
      options: { syncIntervalSeconds: 3600, maxInFlight: MAX_CHILDREN, batchLanes: BATCH_LANES },
    });

    const limited: SyncStatus[] = [];
    const done = await eventually(
      async () => {
        const s = await h.status(handle);
        if (s.phase === 'rate-limited') limited.push(s);
        return s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched === FILES && s;
      },
      90_000,
      100,
    );

    const report = requestsInsideWaits(fake.requests);
    const after = concurrencyAfterWaits(fake.requests, report.waits);
    console.log(
      `storm: ${report.waits.length} waits announced, ${report.inside.length} requests inside them (+${report.inFlightAtAnnouncement} in flight when announced),`,
      `${limited.length} rate-limited status samples, max ${maxConcurrentDownloads(fake.requests)} downloads at once (${after} right after a wait), counters`,
      done.counters,
    );
    expect(report.waits).toHaveLength(7); // every injected 429 fired: the storm really happened
    expect(report.inside).toEqual([]);
    expect(limited.length).toBeGreaterThan(0);
    for (const s of limited) {
      expect(s.nextSyncAt).toBeDefined();
      expect(s.waitReason).toMatch(/rate limit/);
    }
    expect(maxConcurrentDownloads(fake.requests)).toBeLessThanOrEqual(WINDOW);
    expect(after).toBeLessThanOrEqual(WINDOW);
    expect(done.counters.failed).toBe(0);
    const rows = await documents(h.pool, 'dropbox', 'storm');
    const texts = new Map([...rows.values()].map((r) => [r.path, r.text]));
    expect(texts).toEqual(contents);
    await signalSync(handle, 'cancel');
  });
});
