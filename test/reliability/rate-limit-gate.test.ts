// One rate-limit gate per credential, across workers and batch lanes: a Temporal worker (two batch
// lanes) and a second "worker" (its own Postgres pool, so its own in-process gate: it can only learn
// of a wait through Postgres, like another process) calling the download activity directly on two
// lanes. After the fake Google refuses one download (Drive and Gmail; 429 + Retry-After, or 403
// rateLimitExceeded / userRateLimitExceeded), no request with that credential reaches it before the
// announced time (timestamps from the fake's own log); the hold is stored in Postgres, and a hold
// another worker stored there stops this one too.
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { BlobStore } from '../../src/store/blobs.js';
import { CredentialStore, secretKeyFrom } from '../../src/store/credentials.js';
import { createPool } from '../../src/store/db.js';
import { signalSync } from '../../src/workflows/client.js';
import {
  googleFailures,
  startFakeGoogle,
  type Failure,
  type FakeGoogle,
  type FakeGoogleRoute,
  type LoggedRequest,
} from '../fakes/google/index.js';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually, TEST_SECRET_KEY, useHarness, type Harness } from '../support/harness.js';

/**
 * A request that arrived this soon after the refusal left was already on its way (as in
 * scripts/chaos/waits.ts). The fake sees arrivals only, and it runs in the test process, whose
 * event loop also runs the second worker and the harness worker: a call that passed the other
 * worker's gate before the hold was stored reached the fake 207 ms after the refusal in one CI run
 * with two CPU burners, and 487–796 ms after it (hold stored 338 ms after the refusal) in a run at
 * load 10–13. A gate that let calls through would send them for the whole wait (each lane downloads
 * every few tens of ms), so what arrives later than this is what the check is for: the 30 s Drive
 * pause leaves 29 s of it, the 2 s waits 1 s.
 */
const IN_FLIGHT_MS = 1_000;
const RETRY_AFTER_S = 2;
/** Drive's 403 rate limits carry no Retry-After: a download then pauses for the fixed 30 s. */
const FIXED_PAUSE_MS = 30_000;

/** How the fake refuses one download, and the wait that refusal announces (ms after it was sent). */
type HttpFailure = Exclude<Failure, 'network'>;

interface Refusal {
  name: string;
  /** `armedAt`: when the refusal was queued at the fake (a refusal naming an absolute time counts from it). */
  failure: (armedAt: number) => HttpFailure;
  waitMs: number;
  /** The announced wait ends at armedAt + waitMs (the message names the time), not waitMs after the refusal. */
  fromArming?: true;
}

const REFUSALS: Record<'gdrive' | 'gmail', Refusal[]> = {
  gdrive: [
    {
      name: '429 + Retry-After',
      failure: () => googleFailures.tooManyRequests(String(RETRY_AFTER_S)) as HttpFailure,
      waitMs: RETRY_AFTER_S * 1000,
    },
    { name: '403 rateLimitExceeded', failure: googleFailures.rateLimit as () => HttpFailure, waitMs: FIXED_PAUSE_MS },
  ],
  gmail: [
    {
      name: '429 + Retry-After',
      failure: () => googleFailures.tooManyRequests(String(RETRY_AFTER_S)) as HttpFailure,
      waitMs: RETRY_AFTER_S * 1000,
    },
    {
      // Gmail names the time in the message: "User-rate limit exceeded.  Retry after <RFC 3339>".
      name: '403 userRateLimitExceeded',
      failure: (armedAt) => ({
        ...(googleFailures.userRateLimit() as HttpFailure),
        message: `User-rate limit exceeded.  Retry after ${new Date(armedAt + RETRY_AFTER_S * 1000).toISOString()}`,
      }),
      waitMs: RETRY_AFTER_S * 1000,
      fromArming: true,
    },
  ],
};

interface Inside {
  wait: { from: number; until: number };
  /** Requests that arrived after the 429 was sent and before its Retry-After. */
  strict: LoggedRequest[];
  /** Of those, the ones that arrived later than IN_FLIGHT_MS: sent inside the wait. */
  sentInside: LoggedRequest[];
}

function requestsInside(log: LoggedRequest[], refusal: Refusal, armedAt: number): Inside[] {
  return log
    .filter((r) => r.status === 429 || r.status === 403)
    .map((limited) => {
      const wait = { from: limited.at, until: (refusal.fromArming ? armedAt : limited.at) + refusal.waitMs };
      const strict = log.filter((r) => r !== limited && r.route !== 'oauth.token' && r.receivedAt > wait.from && r.receivedAt < wait.until);
      return { wait, strict, sentInside: strict.filter((r) => r.receivedAt - wait.from > IN_FLIGHT_MS) };
    });
}

/** The second worker: the real download activity on its own pool, two lanes over the listed documents. */
async function secondWorker(
  h: Harness,
  connector: string,
  userId: string,
  credentialRef: string,
  config: object,
  onDownloaded: (n: number) => void,
) {
  const pool = createPool(h.databaseUrl, 4);
  stopAfterTest(() => pool.end());
  const acts = createActivities({
    pool,
    blobs: new BlobStore(h.blobDir),
    logger: h.logger,
    credentials: new CredentialStore(pool, secretKeyFrom(TEST_SECRET_KEY)),
  });
  const { rows } = await pool.query<{ external_id: string; version: string }>(
    'SELECT external_id, version FROM documents WHERE connector = $1 AND user_id = $2 ORDER BY external_id',
    [connector, userId],
  );
  let downloaded = 0;
  let refused = 0;
  const lane = async (docs: typeof rows) => {
    for (const row of docs) {
      try {
        await acts.retrieveData({
          connector,
          userId,
          credentialRef,
          config: config as never,
          doc: { externalId: row.external_id, version: row.version },
          parentWorkflowId: `second/${connector}/${userId}`,
        });
        onDownloaded(++downloaded);
      } catch (err) {
        if ((err as { type?: string }).type === 'RateLimitError') refused += 1;
      }
    }
  };
  await Promise.all([lane(rows), lane([...rows].reverse())]);
  return { listed: rows.length, downloaded, refused };
}

describe('rate-limit gate per credential (Google, two workers, two lanes each)', () => {
  let fake: FakeGoogle;
  const h = useHarness('rl_gate', {
    worker: true,
    setup: async () => {
      fake = await startFakeGoogle();
    },
    teardown: () => fake?.close(),
  });

  async function credential(connector: string, userId: string): Promise<string> {
    return h.credentials.save(connector, userId, {
      clientId: fake.oauth.clientId,
      clientSecret: fake.oauth.clientSecret,
      refreshToken: fake.oauth.refreshToken,
    });
  }

  const config = () => ({ apiBaseUrl: fake.url, tokenUrl: fake.tokenUrl, requestTimeoutMs: 5_000 });

  const inAccount = { gdrive: 0, gmail: 0 };

  async function storm(connector: 'gdrive' | 'gmail', refusal: Refusal, route: FakeGoogleRoute, files: number, add: (i: number) => void) {
    for (let i = 0; i < files; i++) add(i);
    // The fake account keeps the earlier cases' documents: a new user lists them all.
    const total = (inAccount[connector] += files);
    const userId = `gq2-storm-${connector}-${refusal.failure(0).status}`;
    const ref = await credential(connector, userId);
    fake.clearLog();
    const handle = await h.startSync({
      connector,
      userId,
      credentialRef: ref,
      config: config(),
      options: { syncIntervalSeconds: 3600, batchSize: 3, maxInFlight: 4 },
    });
    // Once the listing is stored, the second worker joins the downloads the workflow just started.
    await eventually(
      async () => {
        const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM documents WHERE connector = $1 AND user_id = $2', [
          connector,
          userId,
        ]);
        return rows[0].n === total;
      },
      30_000,
      20,
    );
    let armedAt = 0;
    const second = await secondWorker(h, connector, userId, ref, config(), (n) => {
      // Both workers are downloading now: the next download (from either) is told to wait.
      if (n !== 3 || armedAt) return;
      armedAt = Date.now();
      fake.failNext(route, refusal.failure(armedAt), 1);
    });
    await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched + s.counters.unchanged >= total;
    }, 90_000 + refusal.waitMs);
    const report = requestsInside(fake.requests, refusal, armedAt);
    const { rows } = await h.pool.query('SELECT retry_at, updated_at FROM rate_limit_holds WHERE credential_key = $1', [
      `credential:${ref}`,
    ]);
    // When the hold became visible to the other worker, relative to the refusal leaving the fake.
    const storedAfterMs = rows[0] ? (rows[0].updated_at as Date).getTime() - (report[0]?.wait.from ?? 0) : undefined;
    console.log(
      `${connector} gate, ${refusal.name}: ${report.length} refusal(s) (wait ${refusal.waitMs} ms, hold stored ${storedAfterMs} ms after); ` +
        `requests that arrived after it and before its end: ${report.map((r) => r.strict.length)} ` +
        `(of those sent inside the wait, > ${IN_FLIGHT_MS} ms after: ${report.map((r) => r.sentInside.map((x) => x.receivedAt - r.wait.from))} ms); ` +
        `${fake.count(route)} downloads at the fake; second worker: ${JSON.stringify(second)}`,
    );
    expect(report).toHaveLength(1); // the refusal really happened
    expect(report[0].sentInside).toEqual([]);
    expect(rows).toHaveLength(1);
    expect(Math.abs((rows[0].retry_at as Date).getTime() - report[0].wait.until)).toBeLessThan(1_500);
    await signalSync(handle, 'cancel');
    return second;
  }

  describe.each([
    { connector: 'gdrive' as const, route: 'drive.files.get' as const, files: 60 },
    { connector: 'gmail' as const, route: 'gmail.messages.get' as const, files: 40 },
  ])('$connector first sync', ({ connector, route, files }) => {
    it.each(REFUSALS[connector])('$name on one download stops both lanes of both workers until the announced time', async (refusal) => {
      const add =
        connector === 'gdrive'
          ? (i: number) => void fake.drive.addFile({ name: `gate-${refusal.name}-${i}.txt`, content: `gate document ${i}` })
          : (i: number) => void fake.gmail.addMessage({ subject: `gate ${refusal.name} ${i}`, body: `gate message ${i}` });
      await storm(connector, refusal, route, files, add);
    });
  });

  it('a hold another worker stored in Postgres refuses this worker’s calls without a request', async () => {
    fake.drive.addFile({ name: 'held.txt', content: 'held' });
    const ref = await credential('gdrive', 'gq2-held');
    const retryAt = new Date(Date.now() + 3_000);
    // As another worker process would have recorded it after its 429.
    await h.pool.query('INSERT INTO rate_limit_holds (credential_key, retry_at) VALUES ($1, $2)', [`credential:${ref}`, retryAt]);
    fake.clearLog();
    const handle = await h.startSync({ connector: 'gdrive', userId: 'gq2-held', credentialRef: ref, config: config() });
    const limited = await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'rate-limited' && s;
    }, 20_000);
    expect(limited.waitReason).toMatch(/rate limit/);
    const early = fake.requests.filter((r) => r.route !== 'oauth.token' && r.receivedAt < retryAt.getTime());
    expect(early).toEqual([]);
    // After the hold, the sync runs normally (the fake also holds the earlier tests' files).
    await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched > 0;
    }, 60_000);
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(fake.requests.filter((r) => r.route !== 'oauth.token').every((r) => r.receivedAt >= retryAt.getTime())).toBe(true);
    await signalSync(handle, 'cancel');
  });
});
