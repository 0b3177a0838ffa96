// Request counts per connector (issue #15 "Done when"), read from each fake's own request log, through
// a real syncUser and the real SDKs: a first sync, a no-change sync, a rename (Gmail: a label change,
// its metadata change) and an access token that stops working in the middle of downloads. A no-change
// sync costs one change-feed call whatever the number of documents; a rename costs no download; the
// 401 costs exactly one token request and one replayed download.
import { afterAll, describe, expect, it } from 'vitest';
import { readChanges } from '../../src/store/changes.js';
import { signalSync } from '../../src/workflows/client.js';
import type { SyncStatus } from '../../src/workflows/types.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';
import { startFakeGoogle, type FakeGoogle, type FakeGoogleRoute } from '../fakes/google/index.js';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually, useHarness } from '../support/harness.js';

type Counts = Record<string, number>;

/** One connector against its fake: how to stage each step and read the fake's log. */
interface Driver {
  connector: 'dropbox' | 'gdrive' | 'gmail';
  tokenRoute: string;
  credential: Record<string, string>;
  config: object;
  add(i: number): string;
  /** A change to what a consumer sees without new content, on the document `id`. */
  rename(id: string): void;
  /** The access token stops working as the next download arrives (listing already done). */
  expireAtNextDownload(): void;
  counts(): Counts;
  /** Content downloads in the log (Drive's files.get also reads folders, e.g. 'root', for paths). */
  downloads(): number;
  /** Requests answered 401 in the log. */
  unauthorized(): number;
  reset(): void;
}

async function dropboxDriver(): Promise<Driver> {
  const fake = new FakeDropbox();
  const { url } = await fake.start();
  stopAfterTest(() => fake.stop());
  const paths = new Map<string, string>();
  return {
    connector: 'dropbox',
    tokenRoute: '/oauth2/token',
    credential: { appKey: fake.appKey, appSecret: fake.appSecret, refreshToken: fake.refreshToken },
    config: { apiBaseUrl: url },
    add: (i) => {
      const path = `/Counts/doc-${i}.txt`;
      const entry = fake.addFile(path, `counted document ${i}`);
      paths.set(entry.id, path);
      return entry.id;
    },
    rename: (id) => void fake.move(paths.get(id)!, paths.get(id)!.replace('.txt', '-renamed.txt')),
    // Dropbox answers 401 expired_access_token; the connector refreshes once and replays.
    expireAtNextDownload: () => fake.inject('/2/files/download', { kind: 'expired-token' }),
    counts: () => ({ ...fake.counts }),
    downloads: () => fake.count('/2/files/download'),
    unauthorized: () => fake.requests.filter((r) => r.status === 401).length,
    reset: () => fake.resetRecording(),
  };
}

function googleDriver(fake: FakeGoogle, connector: 'gdrive' | 'gmail'): Driver {
  const gmail = connector === 'gmail';
  const downloadRoute: FakeGoogleRoute = gmail ? 'gmail.messages.get' : 'drive.files.get';
  return {
    connector,
    tokenRoute: 'oauth.token',
    credential: { clientId: fake.oauth.clientId, clientSecret: fake.oauth.clientSecret, refreshToken: fake.oauth.refreshToken },
    config: { apiBaseUrl: fake.url, tokenUrl: fake.tokenUrl },
    add: (i) =>
      gmail
        ? fake.gmail.addMessage({ subject: `counted ${i}`, body: `counted message ${i}` })
        : fake.drive.addFile({ name: `counted-${i}.txt`, content: `counted document ${i}` }),
    rename: (id) => (gmail ? fake.gmail.addLabels(id, ['STARRED']) : fake.drive.renameFile(id, `renamed-${id}.txt`)),
    expireAtNextDownload: () => fake.onNextArrival(downloadRoute, () => fake.oauth.expireAccessTokens()),
    counts: () => fake.counts(),
    downloads: () => fake.requests.filter((r) => r.route === downloadRoute && (gmail || r.query.alt === 'media')).length,
    unauthorized: () => fake.requests.filter((r) => r.status === 401).length,
    reset: () => fake.clearLog(),
  };
}

/** The change-feed call each connector makes when nothing changed (its only request then). */
const FEED_CALL = { dropbox: '/2/files/list_folder/continue', gdrive: 'drive.changes.list', gmail: 'gmail.history.list' };
const FIRST = 4;
const ADDED = 3;
const table: Array<Record<string, string | number>> = [];

const total = (c: Counts) => Object.values(c).reduce((a, b) => a + b, 0);
const show = (c: Counts) =>
  Object.entries(c)
    .map(([route, n]) => `${route}=${n}`)
    .join(' ');

describe('request counts per connector (first sync, no change, rename, 401 mid-download)', () => {
  const h = useHarness('req_counts', { worker: true });
  afterAll(() => {
    console.log('request counts (total; per route)');
    console.table(table);
  });

  async function measure(driver: Driver) {
    const userId = `gq2-counts-${driver.connector}`;
    const ids = Array.from({ length: FIRST }, (_, i) => driver.add(i));
    const ref = await h.credentials.save(driver.connector, userId, driver.credential);
    driver.reset();
    const handle = await h.startSync({
      connector: driver.connector,
      userId,
      credentialRef: ref,
      config: driver.config as never,
      options: { syncIntervalSeconds: 3600 },
    });
    const settled = (before: SyncStatus | undefined, fetched: number) =>
      eventually(async () => {
        const s = await h.status(handle);
        return s.phase === 'idle' && s.inFlight === 0 && s.lastSyncAt !== before?.lastSyncAt && s.counters.fetched >= fetched && s;
      }, 90_000);
    const step = async (before: SyncStatus, fetched: number) => {
      driver.reset();
      await signalSync(handle, 'syncNow');
      return settled(before, fetched);
    };

    let status = await settled(undefined, FIRST);
    const first = driver.counts();
    const firstDownloads = driver.downloads();

    driver.reset();
    status = await step(status, FIRST);
    const noChange = driver.counts();

    const seen = (await readChanges(h.pool, { since: 0, connector: driver.connector, userId })).length;
    driver.rename(ids[0]);
    status = await step(status, FIRST);
    const rename = driver.counts();
    const renameFeed = (await readChanges(h.pool, { since: 0, connector: driver.connector, userId })).slice(seen);

    for (let i = 0; i < ADDED; i++) driver.add(FIRST + i);
    driver.reset();
    driver.expireAtNextDownload();
    await signalSync(handle, 'syncNow');
    await settled(status, FIRST + ADDED);
    const auth = driver.counts();
    const authDownloads = driver.downloads();
    const refused = driver.unauthorized();
    await signalSync(handle, 'cancel');

    for (const [name, c] of Object.entries({ first, 'no change': noChange, rename, '401 mid-download': auth })) {
      table.push({ connector: driver.connector, step: name, requests: total(c), routes: show(c) });
    }
    table.push({ connector: driver.connector, step: '(401 answers)', requests: refused, routes: '' });
    return { first, firstDownloads, noChange, rename, renameFeed, auth, authDownloads, refused, renamed: ids[0] };
  }

  it.each(['dropbox', 'gdrive', 'gmail'] as const)('%s', async (connector) => {
    let driver: Driver;
    if (connector === 'dropbox') driver = await dropboxDriver();
    else {
      const fake = await startFakeGoogle();
      stopAfterTest(() => fake.close());
      driver = googleDriver(fake, connector);
    }
    const r = await measure(driver);
    const { tokenRoute: token } = driver;

    // First sync: one download per document; at most one token request (none is stored yet).
    expect(r.firstDownloads).toBe(FIRST);
    expect(r.first[token] ?? 0).toBeLessThanOrEqual(1);
    // No change: one change-feed call, nothing else (independent of the number of documents).
    expect(r.noChange).toEqual({ [FEED_CALL[connector]]: 1 });
    // A rename / label change: the feed call (+ Gmail's one metadata re-read), no download, one metadata change.
    expect(r.rename).toEqual(
      connector === 'gmail' ? { [FEED_CALL.gmail]: 1, 'gmail.messages.get.metadata': 1 } : { [FEED_CALL[connector]]: 1 },
    );
    expect(r.renameFeed.map((c) => `${c.externalId}:${c.kind}`)).toEqual([`${r.renamed}:metadata`]);
    // 401 in the middle of downloads: exactly one token request, shared by every download the 401
    // met in flight (the lanes run side by side), each of those replayed once.
    expect(r.auth[token]).toBe(1);
    expect(r.refused).toBeGreaterThanOrEqual(1);
    expect(r.authDownloads).toBe(ADDED + r.refused);
  });
});
