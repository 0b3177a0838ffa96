// Shared app quotas across workers: two engines with pools of their own (only Postgres links them)
// run ~20 users at once against Dropbox fakes enforcing one app-wide budget. The fakes see no more
// than the budget (from their arrival timestamps, in any one-second window), answer no
// quota 429, and every document arrives; one user's own 429s still hold that user only.
import { describe, expect, it } from 'vitest';
import { requestsInsideWaits } from '../../scripts/chaos/waits.js';
import { createEngine, type Engine } from '../../src/workers/engine.js';
import { signalSync } from '../../src/workflows/client.js';
import { FakeAppBudget, FakeDropbox } from '../fakes/dropbox/server.js';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually, TEST_SECRET_KEY, useHarness, workflowBundle, type Harness } from '../support/harness.js';
import { documents } from '../support/sample.js';

const USERS = 20;
const FILES = 8;
const PER_SECOND = 30;
/** docsync runs at 90% of the provider's budget: the slack absorbs requests delayed inside their slot (a token refresh, a busy event loop) that then arrive closer together. */
const CONFIGURED = PER_SECOND * 0.9;

async function quotaEngine(h: Harness): Promise<Engine> {
  const engine = await createEngine({
    databaseUrl: h.databaseUrl,
    address: h.address,
    namespace: h.namespace,
    taskQueue: h.taskQueue,
    blobDir: h.blobDir,
    logger: h.logger,
    secretKey: TEST_SECRET_KEY,
    poolMax: 4,
    appQuotas: { dropbox: { perSecond: CONFIGURED } },
    worker: { shutdownGraceTime: '10 seconds' },
  });
  stopAfterTest(() => engine.close());
  await engine.startWorker({ workflowBundle: await workflowBundle() });
  return engine;
}

describe('shared app quota on a real Temporal + Postgres', () => {
  const budget = new FakeAppBudget(PER_SECOND);
  const shared = new FakeDropbox({ appBudget: budget });
  // The user whose own token gets 429s: another account of the same app, so the same budget.
  const stormy = new FakeDropbox({ appBudget: budget });
  const urls = { shared: '', stormy: '' };
  const h = useHarness('aq5_quota', {
    setup: async () => {
      urls.shared = (await shared.start()).url;
      urls.stormy = (await stormy.start()).url;
    },
    teardown: () => Promise.allSettled([shared.stop(), stormy.stop()]),
  });

  it('given 20 users on two workers and an app budget, the fakes see at most the budget, no quota 429, every document', async () => {
    for (let i = 0; i < FILES; i++) {
      shared.addFile(`/Quota/doc-${i}.txt`, `shared document ${i}`);
      stormy.addFile(`/Quota/doc-${i}.txt`, `stormy document ${i}`);
    }
    stormy.inject('/2/files/download', { kind: 'rate-limit', retryAfterSeconds: 3 }, { times: 1 });
    await quotaEngine(h);
    await quotaEngine(h);

    const users = Array.from({ length: USERS }, (_, i) => `aq5-u${String(i).padStart(2, '0')}`);
    const storm = users[0];
    const handles = await Promise.all(
      users.map(async (userId) => {
        const fake = userId === storm ? stormy : shared;
        const credentialRef = await h.credentials.save('dropbox', userId, {
          appKey: fake.appKey,
          appSecret: fake.appSecret,
          refreshToken: fake.refreshToken,
        });
        return h.startSync({
          connector: 'dropbox',
          userId,
          credentialRef,
          config: { apiBaseUrl: userId === storm ? urls.stormy : urls.shared, pageSize: 4 },
          options: { syncIntervalSeconds: 3600, maxInFlight: 4 },
        });
      }),
    );
    for (const handle of handles) stopAfterTest(() => signalSync(handle, 'cancel').catch(() => undefined));

    // While the stormy user waits out its own 429, the hold is its credential's alone.
    const holds = await eventually(async () => {
      const { rows } = await h.pool.query<{ credential_key: string }>('SELECT credential_key FROM rate_limit_holds');
      return rows.length > 0 && rows;
    }, 60_000);
    expect(holds).toHaveLength(1);

    await eventually(
      async () => {
        const all = await Promise.all(handles.map((handle) => h.status(handle)));
        return all.every((s) => s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched === FILES);
      },
      120_000,
      250,
    );

    const stormWaits = requestsInsideWaits(stormy.requests);
    console.log(
      `app quota: ${budget.arrivals.length} API requests at ${budget.averageRate().toFixed(1)}/s (budget ${PER_SECOND}/s); window 1 s,`,
      `busiest second ${budget.busiestSecond()}, quota 429s ${budget.quota429s};`,
      `stormy user: ${stormWaits.waits.length} waits, ${stormWaits.inside.length} requests inside them`,
    );
    expect(budget.quota429s).toBe(0);
    expect(budget.busiestSecond()).toBeLessThanOrEqual(PER_SECOND);
    expect(budget.averageRate()).toBeLessThanOrEqual(PER_SECOND);
    // The stormy user's 429 really fired, was honoured, and held no one else: the others kept going.
    expect(stormWaits.waits).toHaveLength(1);
    expect(stormWaits.inside).toEqual([]);
    const wait = stormWaits.waits[0];
    expect(shared.requests.filter((r) => r.at > wait.from && r.at < wait.until).length).toBeGreaterThan(0);
    for (const userId of users) {
      const rows = await documents(h.pool, 'dropbox', userId);
      expect([...rows.values()].filter((r) => r.text !== null && r.text !== undefined)).toHaveLength(FILES);
    }
  });
});
