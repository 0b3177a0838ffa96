// One rate-limit gate per credential, across workers and batch lanes: a Temporal worker (two batch
// lanes) and a second "worker" (its own Postgres pool, so its own in-process gate: it can only learn
// of a wait through Postgres, like another process) calling the download activity directly on two
// lanes. After the fake Google answers one download with 429 + Retry-After, no request with that
// credential reaches it before Retry-After (timestamps from the fake's own log); the hold is stored
// in Postgres, and a hold another worker stored there stops this one too.
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { BlobStore } from '../../src/store/blobs.js';
import { CredentialStore, secretKeyFrom } from '../../src/store/credentials.js';
import { createPool } from '../../src/store/db.js';
import { signalSync } from '../../src/workflows/client.js';
import { googleFailures, startFakeGoogle, type FakeGoogle, type FakeGoogleRoute, type LoggedRequest } from '../fakes/google/index.js';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually, TEST_SECRET_KEY, useHarness, type Harness } from '../support/harness.js';

/** A request that arrived this soon after the 429 left was already on its way (see scripts/chaos/waits.ts). */
const IN_FLIGHT_MS = 100;
const RETRY_AFTER_S = 2;

interface Inside {
  wait: { from: number; until: number };
  /** Requests that arrived after the 429 was sent and before its Retry-After. */
  strict: LoggedRequest[];
  /** Of those, the ones that arrived later than IN_FLIGHT_MS: sent inside the wait. */
  sentInside: LoggedRequest[];
}

function requestsInside(log: LoggedRequest[]): Inside[] {
  return log
    .filter((r) => r.status === 429)
    .map((limited) => {
      const wait = { from: limited.at, until: limited.at + RETRY_AFTER_S * 1000 };
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

  async function storm(connector: 'gdrive' | 'gmail', route: FakeGoogleRoute, files: number, add: (i: number) => void) {
    for (let i = 0; i < files; i++) add(i);
    const userId = `storm-${connector}`;
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
        return rows[0].n === files;
      },
      30_000,
      20,
    );
    let armed = false;
    const second = await secondWorker(h, connector, userId, ref, config(), (n) => {
      // Both workers are downloading now: the next download (from either) is told to wait.
      if (n !== 3 || armed) return;
      fake.failNext(route, googleFailures.tooManyRequests(String(RETRY_AFTER_S)), 1);
      armed = true;
    });
    await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched + s.counters.unchanged >= files;
    }, 90_000);
    const report = requestsInside(fake.requests);
    console.log(
      `${connector} gate: ${report.length} x 429 (Retry-After ${RETRY_AFTER_S} s); requests that arrived after it and before Retry-After: ` +
        `${report.map((r) => r.strict.length)} (of those sent inside the wait, > ${IN_FLIGHT_MS} ms after: ${report.map((r) => r.sentInside.length)}); ` +
        `${fake.count(route)} downloads at the fake; second worker: ${JSON.stringify(second)}`,
    );
    expect(report).toHaveLength(1); // the 429 really happened
    expect(report[0].sentInside).toEqual([]);
    const { rows } = await h.pool.query('SELECT retry_at FROM rate_limit_holds WHERE credential_key = $1', [`credential:${ref}`]);
    expect(rows).toHaveLength(1);
    expect(Math.abs((rows[0].retry_at as Date).getTime() - report[0].wait.until)).toBeLessThan(1_500);
    await signalSync(handle, 'cancel');
    return second;
  }

  it('Drive first sync: a 429 on one download stops both lanes of both workers until Retry-After', async () => {
    await storm('gdrive', 'drive.files.get', 60, (i) => void fake.drive.addFile({ name: `gate-${i}.txt`, content: `gate document ${i}` }));
  });

  it('Gmail first sync: a 429 on one message stops both workers until Retry-After', async () => {
    await storm('gmail', 'gmail.messages.get', 40, (i) => void fake.gmail.addMessage({ subject: `gate ${i}`, body: `gate message ${i}` }));
  });

  it('a hold another worker stored in Postgres refuses this worker’s calls without a request', async () => {
    fake.drive.addFile({ name: 'held.txt', content: 'held' });
    const ref = await credential('gdrive', 'held');
    const retryAt = new Date(Date.now() + 3_000);
    // As another worker process would have recorded it after its 429.
    await h.pool.query('INSERT INTO rate_limit_holds (credential_key, retry_at) VALUES ($1, $2)', [`credential:${ref}`, retryAt]);
    fake.clearLog();
    const handle = await h.startSync({ connector: 'gdrive', userId: 'held', credentialRef: ref, config: config() });
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
