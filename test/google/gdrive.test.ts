// Google Drive connector scenarios: the real @googleapis/drive client against the fake Drive
// over HTTP on 127.0.0.1.
import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GdriveConnector } from '../../src/connectors/gdrive/connector.js';
import type { GdriveConfig } from '../../src/connectors/gdrive/config.js';
import { type DocMetadata, type Milestone } from '../../src/core/contract.js';
import { NotFoundError, RateLimitError, TransientError, UnsupportedContentError } from '../../src/core/errors.js';
import { startFakeGoogle, googleFailures, type FakeGoogle } from '../fakes/google/index.js';
import { expectNoSecrets, failureOf, makeContext, readAll, syncUntilCaughtUp, userAuth, type TestContext } from './harness.js';
import { expectRateLimited } from '../support/rate-limit.js';

const connector = new GdriveConnector();
let fake: FakeGoogle;
let ctx: TestContext<GdriveConfig>;

beforeEach(async () => {
  fake = await startFakeGoogle();
  ctx = makeContext(connector, { ...userAuth(fake, { accessToken: fake.oauth.issueAccessToken() }), pageSize: 2 });
});
afterEach(async () => {
  await fake?.close(); // undefined when the first beforeEach failed; close is idempotent
});

function secrets(): string[] {
  return [fake.oauth.clientSecret, fake.oauth.refreshToken, ctx.config.accessToken!];
}

/** Given a drive with 4 binary files, a Google Doc and a folder. */
function seed(): Record<string, string> {
  const ids = {
    a: fake.drive.addFile({ name: 'a.txt', content: 'alpha' }),
    b: fake.drive.addFile({ name: 'b.pdf', mimeType: 'application/pdf', content: '%PDF-1.4 b' }),
    c: fake.drive.addFile({ name: 'c.txt', content: 'gamma' }),
    d: fake.drive.addFile({ name: 'd.txt', content: 'delta' }),
    doc: fake.drive.addGoogleFile('document', 'Plan', 'The plan, as text.'),
  };
  fake.drive.addFile({ name: 'Folder', mimeType: 'application/vnd.google-apps.folder' });
  return ids;
}

/** ... and a finished first sync. */
async function seededAndSynced(): Promise<{ ids: Record<string, string>; milestone: Milestone }> {
  const ids = seed();
  const { milestone } = await syncUntilCaughtUp(connector, ctx);
  fake.clearLog();
  return { ids, milestone };
}

describe('gdrive first sync', () => {
  it('given 5 documents and a folder with pageSize 2, takes the start token first, then lists 3 pages (folders included, for paths)', async () => {
    const ids = seed();
    const { pages, milestone } = await syncUntilCaughtUp(connector, ctx);
    // One files.get: My Drive's root id, for paths (cached per user afterwards).
    expect(fake.count('drive.files.get')).toBe(1);
    expect(fake.requests.map((r) => r.route).filter((r) => r !== 'drive.files.get')).toEqual([
      'drive.changes.getStartPageToken',
      'drive.files.list',
      'drive.files.list',
      'drive.files.list',
    ]);
    const listCall = fake.requests.find((r) => r.route === 'drive.files.list')!;
    expect(listCall.query).toMatchObject({ pageSize: '2', q: 'trashed = false' });
    expect(String(listCall.query.fields)).toContain('md5Checksum');
    expect(pages.map((p) => p.upserts.length).reduce((a, b) => a + b)).toBe(5);
    expect(pages.map((p) => p.hasMore)).toEqual([true, true, false]);
    expect(pages[0].milestone).toMatchObject({ phase: 'list', startPageToken: expect.any(String), pageToken: expect.any(String) });
    expect(milestone).toEqual({ phase: 'changes', pageToken: (pages[0].milestone as { startPageToken: string }).startPageToken });

    const docs = new Map(pages.flatMap((p) => p.upserts).map((d) => [d.externalId, d]));
    expect([...docs.keys()].sort()).toEqual(Object.values(ids).sort());
    const a = docs.get(ids.a)!;
    expect(a).toMatchObject({ title: 'a.txt', mimeType: 'text/plain', size: 5, extra: { googleMimeType: 'text/plain' } });
    expect(a.version).toBe(crypto.createHash('md5').update('alpha').digest('hex'));
    expect(docs.get(ids.doc)).toMatchObject({ version: '1', extra: { googleMimeType: 'application/vnd.google-apps.document' } });
  });

  it('lists shared-drive files only when includeSharedDrives is set', async () => {
    fake.drive.addFile({ name: 'mine.txt', content: 'm' });
    const shared = fake.drive.addFile({ name: 'team.txt', content: 't', sharedDrive: '0ATeam' });
    const mine = await syncUntilCaughtUp(connector, ctx);
    expect(mine.pages.flatMap((p) => p.upserts).map((d) => d.externalId)).not.toContain(shared);

    const all = makeContext(connector, { ...userAuth(fake), accessToken: ctx.config.accessToken, includeSharedDrives: true });
    fake.clearLog();
    const everything = await syncUntilCaughtUp(connector, all);
    expect(everything.pages.flatMap((p) => p.upserts).map((d) => d.externalId)).toContain(shared);
    expect(fake.requests.find((r) => r.route === 'drive.files.list')?.query).toMatchObject({
      corpora: 'allDrives',
      includeItemsFromAllDrives: 'true',
      supportsAllDrives: 'true',
    });
  });
});

describe('gdrive incremental sync', () => {
  it('given an unchanged drive, costs exactly one changes.list', async () => {
    const { milestone } = await seededAndSynced();
    const page = await connector.retrieveMetadata(ctx, milestone);
    expect(fake.counts()).toEqual({ 'drive.changes.list': 1 });
    expect(page).toMatchObject({ upserts: [], deletes: [], hasMore: false, milestone });
    expect(fake.requests[0].query).toMatchObject({ includeRemoved: 'true', pageToken: (milestone as { pageToken: string }).pageToken });
  });

  it('when files are added, modified, trashed and deleted, one changes.list reports all four', async () => {
    const { ids, milestone } = await seededAndSynced();
    const added = fake.drive.addFile({ name: 'e.txt', content: 'epsilon' });
    fake.drive.modifyFile(ids.a, 'alpha v2');
    fake.drive.trashFile(ids.b);
    fake.drive.deleteFile(ids.c);
    const wide = makeContext(connector, { ...userAuth(fake), accessToken: ctx.config.accessToken, pageSize: 100 });
    const page = await connector.retrieveMetadata(wide, milestone);
    expect(fake.counts()).toEqual({ 'drive.changes.list': 1 });
    expect(page.upserts.map((d) => d.externalId).sort()).toEqual([added, ids.a].sort());
    expect(page.upserts.find((d) => d.externalId === ids.a)!.version).toBe(crypto.createHash('md5').update('alpha v2').digest('hex'));
    expect(page.deletes.sort()).toEqual([ids.b, ids.c].sort());
    expect(page.hasMore).toBe(false);

    const after = await connector.retrieveMetadata(wide, page.milestone);
    expect(after).toMatchObject({ upserts: [], deletes: [], hasMore: false });
  });

  it('pages through many changes one request per call', async () => {
    const { ids, milestone } = await seededAndSynced();
    fake.drive.modifyFile(ids.a, '1');
    fake.drive.modifyFile(ids.c, '2');
    fake.drive.modifyFile(ids.d, '3');
    const { pages } = await syncUntilCaughtUp(connector, ctx, milestone);
    expect(pages.map((p) => [p.upserts.length, p.hasMore])).toEqual([
      [2, true],
      [1, false],
    ]);
    expect(fake.counts()).toEqual({ 'drive.changes.list': 2 });
  });

  it.each([400, 404] as const)('when the change token expired (%i), restarts the listing with reset: true', async (status) => {
    const { milestone } = await seededAndSynced();
    fake.drive.expireChangeTokens(status);
    const first = await connector.retrieveMetadata(ctx, milestone);
    expect(first.reset).toBe(true);
    expect(first.upserts).toHaveLength(2);
    expect(fake.requests.map((r) => [r.route, r.status])).toEqual([
      ['drive.changes.list', status],
      ['drive.changes.getStartPageToken', 200],
      ['drive.files.list', 200],
    ]);
    const rest = await syncUntilCaughtUp(connector, ctx, first.milestone);
    expect(rest.pages.flatMap((p) => p.upserts)).toHaveLength(3);
    expect(rest.pages.some((p) => p.reset)).toBe(false);
    fake.clearLog();
    const next = await connector.retrieveMetadata(ctx, rest.milestone);
    expect(next).toMatchObject({ upserts: [], deletes: [], hasMore: false });
    expect(fake.counts()).toEqual({ 'drive.changes.list': 1 });
  });
});

describe('gdrive quota and failures', () => {
  it.each([
    ['403 userRateLimitExceeded', googleFailures.userRateLimit()],
    ['403 rateLimitExceeded', googleFailures.rateLimit()],
    ['429 without Retry-After', googleFailures.tooManyRequests()],
  ])('%s -> RateLimitError on the rate-limit streak schedule, no extra request', async (_name, failure) => {
    const { milestone } = await seededAndSynced();
    fake.failNext('drive.changes.list', failure);
    const before = Date.now();
    const err = (await failureOf(connector.retrieveMetadata(ctx, milestone))) as RateLimitError;
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.retryAt.getTime() - before).toBeGreaterThanOrEqual(30_000);
    expect(err.retryAt.getTime() - Date.now()).toBeLessThanOrEqual(30_000);
    expect(fake.counts()).toEqual({ 'drive.changes.list': 1 });
    expectNoSecrets(err, secrets());

    // Third time in a row (the workflow counted two refusals before): 30 s * 2^2.
    fake.failNext('drive.changes.list', failure);
    await expectRateLimited(() => connector.retrieveMetadata({ ...ctx, rateLimitStreak: 2 }, milestone), 120);

    // The call after the wait succeeds: the same cursor, nothing of the streak in it.
    const ok = await connector.retrieveMetadata({ ...ctx, rateLimitStreak: 3 }, milestone);
    expect(ok.milestone).toEqual(milestone);
  });

  it('429 with Retry-After (seconds or HTTP date) -> retryAt from the header', async () => {
    const { milestone } = await seededAndSynced();
    fake.failNext('drive.changes.list', googleFailures.tooManyRequests('17'));
    await expectRateLimited(() => connector.retrieveMetadata(ctx, milestone), 17);

    const at = new Date(Date.now() + 90_000);
    at.setMilliseconds(0);
    fake.failNext('drive.changes.list', googleFailures.tooManyRequests(at.toUTCString()));
    const dated = (await failureOf(connector.retrieveMetadata(ctx, milestone))) as RateLimitError;
    expect(dated.retryAt.getTime()).toBe(at.getTime());
    expect(fake.counts()).toEqual({ 'drive.changes.list': 2 });
  });

  it.each([500, 503])('%i -> TransientError after a single request (gaxios retries are off)', async (status) => {
    const { milestone } = await seededAndSynced();
    fake.failNext('drive.changes.list', googleFailures.serverError(status), 5);
    const err = await failureOf(connector.retrieveMetadata(ctx, milestone));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain(`HTTP ${status}`);
    expect(fake.counts()).toEqual({ 'drive.changes.list': 1 });
  });

  it('a dropped connection -> TransientError', async () => {
    const { milestone } = await seededAndSynced();
    fake.failNext('drive.changes.list', googleFailures.network());
    const err = await failureOf(connector.retrieveMetadata(ctx, milestone));
    expect(err).toBeInstanceOf(TransientError);
    expect(fake.counts()).toEqual({ 'drive.changes.list': 1 });
  });
});

describe('gdrive retrieveData', () => {
  const docFor = (id: string, googleMimeType: string, size?: number): DocMetadata => ({
    externalId: id,
    title: id,
    version: '1',
    mimeType: googleMimeType,
    size,
    extra: { googleMimeType },
  });

  it('streams a binary file byte for byte', async () => {
    const bytes = crypto.randomBytes(3 * 1024 * 1024 + 17);
    const id = fake.drive.addFile({ name: 'big.bin', mimeType: 'application/octet-stream', content: bytes });
    const result = await connector.retrieveData(ctx, docFor(id, 'application/octet-stream', bytes.length));
    expect(Buffer.isBuffer(result.body)).toBe(false);
    expect((await readAll(result.body)).equals(bytes)).toBe(true);
    expect(result).toMatchObject({ mimeType: 'application/octet-stream', size: bytes.length });
    expect(fake.requests.map((r) => [r.route, r.query.alt])).toEqual([['drive.files.get', 'media']]);
  });

  it.each([
    ['document', 'text/plain'],
    ['spreadsheet', 'text/csv'],
    ['presentation', 'text/plain'],
  ] as const)('exports a Google %s as %s', async (kind, target) => {
    const id = fake.drive.addGoogleFile(kind, 'x', 'exported,text\n1,2\n');
    const result = await connector.retrieveData(ctx, docFor(id, `application/vnd.google-apps.${kind}`));
    expect(result.mimeType).toBe(target);
    expect((await readAll(result.body)).toString()).toBe('exported,text\n1,2\n');
    expect(fake.requests.map((r) => [r.route, r.query.mimeType])).toEqual([['drive.files.export', target]]);
  });

  it('skips drawings and forms without a request', async () => {
    for (const kind of ['drawing', 'form'] as const) {
      const id = fake.drive.addGoogleFile(kind, 'x');
      const err = await failureOf(connector.retrieveData(ctx, docFor(id, `application/vnd.google-apps.${kind}`)));
      expect(err).toBeInstanceOf(UnsupportedContentError);
    }
    expect(fake.count()).toBe(0);
  });

  it('an export over the size limit -> UnsupportedContentError naming exportSizeLimitExceeded', async () => {
    fake.drive.exportSizeLimit = 10;
    const id = fake.drive.addGoogleFile('document', 'huge', 'more than ten bytes of text');
    const err = await failureOf(connector.retrieveData(ctx, docFor(id, 'application/vnd.google-apps.document')));
    expect(err).toBeInstanceOf(UnsupportedContentError);
    expect(err.message).toContain('exportSizeLimitExceeded');
    expectNoSecrets(err, secrets());
  });

  it('fileNotDownloadable and cannotDownloadAbusiveFile -> UnsupportedContentError with the reason', async () => {
    const doc = fake.drive.addGoogleFile('document', 'doc', 'x');
    const notDownloadable = await failureOf(connector.retrieveData(ctx, docFor(doc, 'application/octet-stream')));
    expect(notDownloadable).toBeInstanceOf(UnsupportedContentError);
    expect(notDownloadable.message).toContain('fileNotDownloadable');

    const bad = fake.drive.addFile({ name: 'bad.exe', mimeType: 'application/x-msdownload', content: 'MZ' });
    fake.drive.markAbusive(bad);
    const abusive = await failureOf(connector.retrieveData(ctx, docFor(bad, 'application/x-msdownload')));
    expect(abusive).toBeInstanceOf(UnsupportedContentError);
    expect(abusive.message).toContain('cannotDownloadAbusiveFile');
  });

  it('a deleted file -> NotFoundError', async () => {
    const id = fake.drive.addFile({ name: 'gone.txt', content: 'x' });
    fake.drive.deleteFile(id);
    const err = await failureOf(connector.retrieveData(ctx, docFor(id, 'text/plain')));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).context).toMatchObject({ connector: 'gdrive', externalId: id, status: 404 });
  });

  it('a 401 on a download refreshes once and replays the download', async () => {
    const id = fake.drive.addFile({ name: 'a.txt', content: 'after refresh' });
    fake.oauth.expireAccessTokens();
    const result = await connector.retrieveData(ctx, docFor(id, 'text/plain'));
    expect((await readAll(result.body)).toString()).toBe('after refresh');
    expect(fake.requests.map((r) => [r.route, r.status])).toEqual([
      ['drive.files.get', 401],
      ['oauth.token', 200],
      ['drive.files.get', 200],
    ]);
    expect(ctx.saved).toHaveLength(1);
  });

  it('a cancelled activity (aborted signal) fails fast with a TransientError', async () => {
    const id = fake.drive.addFile({ name: 'a.txt', content: 'x' });
    const controller = new AbortController();
    controller.abort();
    const err = await failureOf(connector.retrieveData({ ...ctx, signal: controller.signal }, docFor(id, 'text/plain')));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('aborted');
  });

  it('a rate-limited download waits a fixed 30 s (or Retry-After)', async () => {
    const id = fake.drive.addFile({ name: 'a.txt', content: 'x' });
    fake.failNext('drive.files.get', googleFailures.userRateLimit());
    await expectRateLimited(() => connector.retrieveData(ctx, docFor(id, 'text/plain')), 30);

    fake.failNext('drive.files.export', googleFailures.tooManyRequests('5'));
    const doc = fake.drive.addGoogleFile('document', 'd', 'x');
    await expectRateLimited(() => connector.retrieveData(ctx, docFor(doc, 'application/vnd.google-apps.document')), 5);
    expect(fake.counts()).toEqual({ 'drive.files.get': 1, 'drive.files.export': 1 });
  });
});
