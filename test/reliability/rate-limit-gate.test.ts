// One rate-limit gate per credential, across workers and batch lanes: with two workers on one task
// queue and two batch lanes, after the fake Google answers one download with 429 + Retry-After, no
// request with that credential reaches it before Retry-After (timestamps from the fake's own log);
// the hold is stored in Postgres, and a hold another worker stored there stops this one too.
import { describe, expect, it } from 'vitest';
import { signalSync } from '../../src/workflows/client.js';
import { googleFailures, startFakeGoogle, type FakeGoogle, type LoggedRequest } from '../fakes/google/index.js';
import { eventually, useHarness } from '../support/harness.js';

const FILES = 24;
/** A request that arrived this soon after the 429 left was already on its way (see scripts/chaos/waits.ts). */
const IN_FLIGHT_MS = 100;

interface Inside {
  wait: { from: number; until: number };
  /** Requests that arrived after the 429 was sent and before its Retry-After. */
  strict: LoggedRequest[];
  /** Of those, the ones that arrived later than IN_FLIGHT_MS: sent inside the wait. */
  sentInside: LoggedRequest[];
}

function requestsInside(log: LoggedRequest[], retryAfterSeconds: number): Inside[] {
  return log
    .filter((r) => r.status === 429)
    .map((limited) => {
      const wait = { from: limited.at, until: limited.at + retryAfterSeconds * 1000 };
      const strict = log.filter((r) => r !== limited && r.route !== 'oauth.token' && r.receivedAt > wait.from && r.receivedAt < wait.until);
      return { wait, strict, sentInside: strict.filter((r) => r.receivedAt - wait.from > IN_FLIGHT_MS) };
    });
}

describe('rate-limit gate per credential (Google, two workers, two lanes)', () => {
  let fake: FakeGoogle;
  const h = useHarness('rl_gate', {
    worker: true,
    setup: async (harness) => {
      fake = await startFakeGoogle();
      await harness.startWorker();
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

  it('Drive first sync: a 429 on one download stops both lanes on both workers until Retry-After', async () => {
    for (let i = 0; i < FILES; i++) fake.drive.addFile({ name: `gate-${i}.txt`, content: `gate document ${i}` });
    fake.clearLog();
    fake.failNext('drive.files.get', googleFailures.tooManyRequests('2'), 1);
    const ref = await credential('gdrive', 'gate');
    const handle = await h.startSync({
      connector: 'gdrive',
      userId: 'gate',
      credentialRef: ref,
      config: config(),
      options: { syncIntervalSeconds: 3600, batchSize: 3, maxInFlight: 4 },
    });
    await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched === FILES;
    }, 60_000);

    const report = requestsInside(fake.requests, 2);
    console.log(
      `drive gate: ${report.length} 429 sent; requests after it and before Retry-After: ${report.map((r) => r.strict.length)} ` +
        `(sent inside the wait: ${report.map((r) => r.sentInside.length)}), downloads ${fake.count('drive.files.get')}`,
    );
    expect(report).toHaveLength(1); // the 429 really happened
    expect(report[0].sentInside).toEqual([]);
    const { rows } = await h.pool.query('SELECT retry_at FROM rate_limit_holds WHERE credential_key = $1', [`credential:${ref}`]);
    expect(rows).toHaveLength(1);
    expect(Math.abs((rows[0].retry_at as Date).getTime() - report[0].wait.until)).toBeLessThan(1_500);
    await signalSync(handle, 'cancel');
  });

  it('Gmail first sync: a 429 on one message stops every other download until Retry-After', async () => {
    for (let i = 0; i < 12; i++) fake.gmail.addMessage({ subject: `gate ${i}`, body: `gate message ${i}` });
    fake.clearLog();
    fake.failNext('gmail.messages.get', googleFailures.tooManyRequests('2'), 1);
    const ref = await credential('gmail', 'gate');
    const handle = await h.startSync({
      connector: 'gmail',
      userId: 'gate',
      credentialRef: ref,
      config: config(),
      options: { syncIntervalSeconds: 3600, batchSize: 3, maxInFlight: 4 },
    });
    await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched === 12;
    }, 60_000);
    const report = requestsInside(fake.requests, 2);
    console.log(
      `gmail gate: ${report.length} 429 sent; requests after it and before Retry-After: ${report.map((r) => r.strict.length)} ` +
        `(sent inside the wait: ${report.map((r) => r.sentInside.length)}), downloads ${fake.count('gmail.messages.get')}`,
    );
    expect(report).toHaveLength(1);
    expect(report[0].sentInside).toEqual([]);
    await signalSync(handle, 'cancel');
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
    await eventually(async () => (await h.status(handle)).counters.fetched === 1, 30_000);
    expect(fake.requests.filter((r) => r.route !== 'oauth.token').every((r) => r.receivedAt >= retryAt.getTime())).toBe(true);
    await signalSync(handle, 'cancel');
  });
});
