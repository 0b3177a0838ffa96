// Quota figure: many users at once against a Dropbox fake enforcing one app-wide budget, synced by two
// production worker processes that share DOCSYNC_APP_QUOTAS through Postgres only. Targets: the rate
// the fake observes stays within the budget (busiest one-second window within the budget), and no
// request is refused by the app quota. The budget (20 req/s) is below what two workers reach unlimited
// on 2 cores (busiest second 63 at 200 users), so it is the bound the figure measures.
import { CredentialStore, secretKeyFrom } from '../../src/store/credentials.js';
import { GeneratedDropboxAccount } from '../../test/fakes/dropbox/corpus.js';
import { FakeAppBudget, FakeDropbox } from '../../test/fakes/dropbox/server.js';
import { BENCH_SECRET_KEY, createBenchEnv, type BenchServices } from '../services.js';
import { expectRows, seconds, startSync } from '../sync.js';
import type { FigureRow } from '../table.js';
import { startWorkerProcess, type WorkerProcess, type WorkerTuning } from '../worker-process.js';

export interface QuotaOptions {
  users: number;
  filesPerUser: number;
  /** The app budget the fake enforces, requests per second. */
  perSecond: number;
  /** What docsync is configured with, as a share of the budget (slack for requests delayed inside their slot). */
  headroom: number;
  worker: WorkerTuning;
}

export async function quotaFigure(services: BenchServices, opts: QuotaOptions): Promise<FigureRow[]> {
  const corpus = { count: opts.filesPerUser, fileSize: 2048 };
  const env = await createBenchEnv(services, 'quota', corpus);
  const budget = new FakeAppBudget(opts.perSecond);
  // Every user links the same generated account through the one app: one budget for all of them.
  const fake = new FakeDropbox({ account: new GeneratedDropboxAccount(corpus), appBudget: budget });
  const { url } = await fake.start();
  const workers: WorkerProcess[] = [];
  let elapsed: number;
  try {
    // The worker processes inherit this process's environment (bench/worker-process.ts).
    process.env.DOCSYNC_APP_QUOTAS = JSON.stringify({ dropbox: { perSecond: opts.perSecond * opts.headroom } });
    try {
      for (let i = 0; i < 2; i++) workers.push(await startWorkerProcess(services, env, opts.worker));
    } finally {
      delete process.env.DOCSYNC_APP_QUOTAS;
    }
    const credentials = new CredentialStore(env.pool, secretKeyFrom(BENCH_SECRET_KEY));
    const users = Array.from({ length: opts.users }, (_, i) => `quota-${String(i).padStart(4, '0')}`);
    const refs = await Promise.all(
      users.map((userId) =>
        credentials.save('dropbox', userId, { appKey: fake.appKey, appSecret: fake.appSecret, refreshToken: fake.refreshToken }),
      ),
    );
    const t0 = performance.now();
    const handles = await Promise.all(
      users.map((userId, i) =>
        startSync(services.client, env.taskQueue, {
          connector: 'dropbox',
          userId,
          credentialRef: refs[i],
          config: { apiBaseUrl: url, pageSize: 100 },
          options: { once: true, maxInFlight: 8 },
        }),
      ),
    );
    await Promise.all(handles.map((h) => h.result()));
    elapsed = seconds(t0);
    for (const userId of users) await expectRows(env.pool, userId, 'fetched', opts.filesPerUser);
  } finally {
    for (const w of workers) await w.stop();
    await fake.stop();
    await env.close();
  }

  // Which calls the provider refused: a user's first call (list_folder) follows its token refresh inside the slot.
  const refused = fake.requests.filter((r) => r.quota).map((r) => r.route);
  const refusedRoutes = [...new Set(refused)].map((route) => `${route} ${refused.filter((r) => r === route).length}`).join(', ');
  const detail = `${opts.users} users × ${opts.filesPerUser} × 2 KiB, 2 worker processes, budget ${opts.perSecond} req/s, docsync configured at ${opts.headroom * 100}%`;
  return [
    {
      figure: 'quota',
      metric: 'API requests/s observed (average)',
      value: budget.averageRate(),
      unit: 'req/s',
      detail,
      target: { op: '<=', value: opts.perSecond },
    },
    {
      figure: 'quota',
      metric: 'busiest second at the fake',
      value: budget.busiestSecond(),
      unit: 'req',
      target: { op: '<=', value: opts.perSecond },
    },
    { figure: 'quota', metric: 'quota 429s', value: budget.quota429s, unit: 'req', target: { op: '<=', value: 0 }, detail: refusedRoutes },
    {
      figure: 'quota',
      metric: 'all users synced',
      value: (opts.users * opts.filesPerUser) / elapsed,
      unit: 'docs/s',
      detail: `${budget.arrivals.length} API requests`,
    },
  ];
}
