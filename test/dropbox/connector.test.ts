// Scenarios for the Dropbox connector: the real `dropbox` SDK and our streaming download
// against the fake Dropbox over real HTTP on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMilestone } from '../../src/activities/milestone.js';
import { type DocMetadata } from '../../src/core/contract.js';
import type { DropboxMilestone } from '../../src/connectors/dropbox/listing.js';
import { AuthError, NotFoundError, RateLimitError, TransientError } from '../../src/core/errors.js';
import { headerSafeJson } from '../../src/connectors/dropbox/fetch.js';
import { dropboxContentHash } from '../fakes/dropbox/account.js';
import { errorText, listUntilCaughtUp, readBody, rejectionOf, startHarness, type Harness } from './harness.js';
import { expectRateLimited } from '../support/rate-limit.js';

let h: Harness;
/** Every error a scenario provoked, with the secrets of its fake: checked at the end. */
const thrown: { err: unknown; secrets: string[] }[] = [];
const loggedSecrets: { logs: unknown[]; secrets: string[] }[] = [];

beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  if (!h) return; // the first startHarness failed: nothing was started
  loggedSecrets.push({ logs: h.logs, secrets: secretsOf(h) });
  await h.fake.stop(); // idempotent, so a stale h (a later startHarness failed) is harmless
});

function secretsOf(harness: Harness): string[] {
  return [harness.fake.appSecret, harness.fake.refreshToken, ...harness.fake.issuedTokens];
}

async function expectRejection(promise: Promise<unknown>): Promise<Error> {
  const err = await rejectionOf(promise);
  thrown.push({ err, secrets: secretsOf(h) });
  return err;
}

/** Lists everything once so later calls are incremental; clears the request log. */
async function caughtUp(ctx = h.ctx): Promise<DropboxMilestone> {
  const { milestone } = await listUntilCaughtUp(h, {}, ctx);
  h.fake.resetRecording();
  return parseMilestone(h.connector, milestone);
}

function docOf(path: string, extra: Partial<DocMetadata> = {}): DocMetadata {
  const entry = h.fake.lookup(path);
  if (!entry) throw new Error(`no ${path} in the fake`);
  return { externalId: entry.id, title: entry.name, path: entry.pathDisplay, version: entry.rev, ...extra };
}

describe('listing', () => {
  it('given an account with 5 files and pageSize 2, the first sync pages through all of them', async () => {
    for (const n of [1, 2, 3, 4, 5]) h.fake.addFile(`/Report ${n}.txt`, `report ${n}`);
    const ctx = h.withConfig({ pageSize: 2 });

    const { pages } = await listUntilCaughtUp(h, {}, ctx);

    expect(pages.map((p) => p.upserts.length)).toEqual([2, 2, 1]);
    expect(pages.map((p) => p.hasMore)).toEqual([true, true, false]);
    expect(pages.every((p) => !p.reset && p.deletes.length === 0 && !p.deletedPaths)).toBe(true);
    expect(h.fake.counts['/2/files/list_folder']).toBe(1);
    expect(h.fake.counts['/2/files/list_folder/continue']).toBe(2);
    expect(h.fake.counts['/oauth2/token']).toBe(1); // no access token in the config yet

    const first = pages[0].upserts[0];
    const entry = h.fake.lookup('/report 1.txt')!;
    expect(first).toEqual({
      externalId: entry.id,
      title: 'Report 1.txt',
      path: '/Report 1.txt',
      mimeType: 'text/plain',
      size: 8,
      modifiedAt: entry.serverModified,
      version: dropboxContentHash(Buffer.from('report 1')),
      extra: { pathLower: '/report 1.txt', rev: entry.rev, isDownloadable: true },
    });
    expect(typeof pages[2].milestone.cursor).toBe('string');
  });

  it('given a caught-up sync, an unchanged account costs exactly one list_folder/continue request', async () => {
    h.fake.addFile('/a.txt', 'a');
    h.fake.addFile('/b.txt', 'b');
    const milestone = await caughtUp();

    const page = await h.connector.retrieveMetadata(h.ctx, milestone);

    expect(page).toMatchObject({ upserts: [], deletes: [], hasMore: false });
    expect(page.deletedPaths).toBeUndefined();
    expect(h.fake.counts).toEqual({ '/2/files/list_folder/continue': 1 });
  });

  it('given an account with 3 files, when one is added and one modified, the next page upserts both', async () => {
    h.fake.addFile('/a.txt', 'a');
    h.fake.addFile('/b.txt', 'b');
    h.fake.addFile('/c.txt', 'c');
    const milestone = await caughtUp();
    const before = h.fake.metadataOf('/b.txt')!;

    h.fake.updateFile('/b.txt', 'b, second edition');
    h.fake.addFile('/d.pdf', '%PDF-1.7');
    const page = await h.connector.retrieveMetadata(h.ctx, milestone);

    expect(page.upserts.map((d) => d.path)).toEqual(['/b.txt', '/d.pdf']);
    const b = page.upserts[0];
    expect(b.externalId).toBe(before.id);
    expect(b.version).not.toBe(before.content_hash);
    expect(b.version).toBe(dropboxContentHash(Buffer.from('b, second edition')));
    expect(page.upserts[1].mimeType).toBe('application/pdf');
    expect(page.deletedPaths).toBeUndefined();
  });

  it('given an account with 3 files, when one is deleted, the next page reports its path', async () => {
    h.fake.addFile('/a.txt', 'a');
    h.fake.addFile('/Notes/B.txt', 'b');
    h.fake.addFile('/c.txt', 'c');
    const milestone = await caughtUp();

    h.fake.deleteFile('/Notes/B.txt');
    const page = await h.connector.retrieveMetadata(h.ctx, milestone);

    expect(page.upserts).toEqual([]);
    expect(page.deletes).toEqual([]);
    expect(page.deletedPaths).toEqual(['/notes/b.txt']);
    expect(h.fake.counts).toEqual({ '/2/files/list_folder/continue': 1 });
  });

  it('when a folder with files is deleted, the page reports the folder path (the store drops everything under it)', async () => {
    h.fake.addFile('/Projects/alpha/spec.md', 'spec');
    h.fake.addFile('/Projects/alpha/plan.md', 'plan');
    h.fake.addFile('/Projects/beta.md', 'beta');
    h.fake.addFile('/keep.txt', 'keep');
    const milestone = await caughtUp();

    h.fake.deleteFile('/Projects');
    const page = await h.connector.retrieveMetadata(h.ctx, milestone);

    expect(page.deletedPaths).toEqual(['/projects']);
    expect(page.upserts).toEqual([]);
  });

  it('when a file is moved, the page deletes the old path and upserts the same id at the new path', async () => {
    h.fake.addFile('/Inbox/invoice.pdf', '%PDF invoice');
    const id = h.fake.lookup('/inbox/invoice.pdf')!.id;
    const milestone = await caughtUp();

    h.fake.move('/Inbox/invoice.pdf', '/Archive/2024/Invoice März.pdf');
    const page = await h.connector.retrieveMetadata(h.ctx, milestone);

    expect(page.deletedPaths).toEqual(['/inbox/invoice.pdf']);
    expect(page.upserts).toHaveLength(1);
    expect(page.upserts[0]).toMatchObject({
      externalId: id,
      title: 'Invoice März.pdf',
      path: '/Archive/2024/Invoice März.pdf',
      extra: { pathLower: '/archive/2024/invoice märz.pdf' },
    });
  });

  it('when a folder is renamed, its files keep their ids under the new path', async () => {
    h.fake.addFile('/Old/one.txt', '1');
    h.fake.addFile('/Old/sub/two.txt', '2');
    const ids = ['/old/one.txt', '/old/sub/two.txt'].map((p) => h.fake.lookup(p)!.id);
    const milestone = await caughtUp();

    h.fake.move('/Old', '/New');
    const { pages } = await listUntilCaughtUp(h, milestone);

    const upserts = pages.flatMap((p) => p.upserts);
    expect(pages.flatMap((p) => p.deletedPaths ?? [])).toEqual(['/old']);
    expect(upserts.map((d) => [d.externalId, d.path])).toEqual([
      [ids[0], '/New/one.txt'],
      [ids[1], '/New/sub/two.txt'],
    ]);
  });

  it('given an invalidated cursor, the next call lists everything again and flags the page as a reset', async () => {
    h.fake.addFile('/a.txt', 'a');
    h.fake.addFile('/b.txt', 'b');
    const milestone = await caughtUp();

    h.fake.invalidateCursors();
    const page = await h.connector.retrieveMetadata(h.ctx, milestone);

    expect(page.reset).toBe(true);
    expect(page.upserts.map((d) => d.path)).toEqual(['/a.txt', '/b.txt']);
    expect(page.hasMore).toBe(false);
    expect(h.fake.counts).toEqual({ '/2/files/list_folder/continue': 1, '/2/files/list_folder': 1 });
    const next = await h.connector.retrieveMetadata(h.ctx, parseMilestone(h.connector, page.milestone));
    expect(next.reset).toBeUndefined();
  });

  it('with rootPath and include/exclude globs, only matching files under the root are listed', async () => {
    h.fake.addFile('/Work/specs/api.md', 'api');
    h.fake.addFile('/Work/specs/draft.tmp', 'tmp');
    h.fake.addFile('/Work/Budget.XLSX', 'xlsx');
    h.fake.addFile('/Work/photos/cat.jpg', 'jpg');
    h.fake.addFile('/Private/diary.md', 'secret diary');
    const ctx = h.withConfig({ rootPath: '/work/', include: ['**/*.md', '**/*.xlsx'], exclude: ['/work/photos/**'] });

    const { pages } = await listUntilCaughtUp(h, {}, ctx);

    expect(pages.flatMap((p) => p.upserts.map((d) => d.path)).sort()).toEqual(['/Work/Budget.XLSX', '/Work/specs/api.md']);
  });

  it('with a rootPath that does not exist, listing fails with a NotFoundError naming the folder (the sync waits it out)', async () => {
    const err = await expectRejection(h.connector.retrieveMetadata(h.withConfig({ rootPath: '/nope' }), {}));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain('"/nope" (rootPath) is unavailable');
  });

  it('non-ASCII file names are listed and downloaded (Dropbox-API-Arg escapes them)', async () => {
    const name = '/Ünïcødé/Résumé — 履歴書 😀.txt';
    h.fake.addFile(name, 'contenu');
    const { pages } = await listUntilCaughtUp(h);
    const doc = pages.flatMap((p) => p.upserts)[0];
    expect(doc.title).toBe('Résumé — 履歴書 😀.txt');
    expect(doc.path).toBe(name);

    const result = await h.connector.retrieveData(h.ctx, doc);
    expect((await readBody(result)).toString()).toBe('contenu');
  });

  it('Dropbox-API-Arg with a non-ASCII path works only when escaped as \\uXXXX (the fake enforces it like Dropbox)', async () => {
    h.fake.addFile('/Café/menu.txt', 'croissant');
    const send = (arg: string) =>
      fetch(`${h.url}/2/files/download`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${h.fake.accessToken}`, 'Dropbox-API-Arg': arg },
      });
    const escaped = await send(headerSafeJson({ path: '/Café/menu.txt' }));
    expect(headerSafeJson({ path: '/Café/😀' })).toBe('{"path":"/Caf\\u00e9/\\ud83d\\ude00"}');
    expect(escaped.status).toBe(200);
    expect(await escaped.text()).toBe('croissant');
    expect(JSON.parse(escaped.headers.get('dropbox-api-result')!).path_display).toBe('/Café/menu.txt');
    const raw = await send(JSON.stringify({ path: '/Café/menu.txt' }));
    expect(raw.status).toBe(400);
    expect(await raw.text()).toContain('could not decode input as JSON');
  });
});

describe('rate limits and server errors', () => {
  it('given a 429 with Retry-After: 120, listing fails with RateLimitError at now+120s and sends no retry', async () => {
    h.fake.addFile('/a.txt', 'a');
    const milestone = await caughtUp();
    h.fake.inject('/2/files/list_folder/continue', { kind: 'rate-limit', retryAfterSeconds: 120 });

    const before = Date.now();
    const err = await expectRejection(h.connector.retrieveMetadata(h.ctx, milestone));
    const after = Date.now();

    expect(err).toBeInstanceOf(RateLimitError);
    const retryAt = (err as RateLimitError).retryAt.getTime();
    expect(retryAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(retryAt).toBeLessThanOrEqual(after + 120_000);
    expect((err as RateLimitError).context).toMatchObject({ connector: 'dropbox', userId: 'alice', status: 429 });
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.counts).toEqual({ '/2/files/list_folder/continue': 1 });
    expect(h.fake.requests.filter((r) => r.at > after)).toEqual([]);
  });

  it('given a 429 without Retry-After header, retryAt comes from error.retry_after in the body', async () => {
    h.fake.inject('/2/files/list_folder', { kind: 'rate-limit', retryAfterSeconds: 7, header: false });
    const err = await expectRateLimited(() => h.connector.retrieveMetadata(h.ctx, {}), 7);
    thrown.push({ err, secrets: secretsOf(h) });
    expect(err).toBeInstanceOf(RateLimitError);
  });

  it('given a 429 with neither header nor body hint, retryAt defaults to 60 s', async () => {
    h.fake.inject('/2/files/list_folder', { kind: 'rate-limit', header: false, body: false });
    const err = await expectRateLimited(() => h.connector.retrieveMetadata(h.ctx, {}), 60);
    thrown.push({ err, secrets: secretsOf(h) });
  });

  it('given a 503 with Retry-After on a download, retrieveData fails with RateLimitError', async () => {
    h.fake.addFile('/a.txt', 'a');
    h.fake.inject('/2/files/download', { kind: 'rate-limit', status: 503, retryAfterSeconds: 30 });
    const err = await expectRejection(h.connector.retrieveData(h.ctx, docOf('/a.txt')));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(h.fake.counts['/2/files/download']).toBe(1);
  });

  it('given a 500 on list_folder/continue, listing fails with a TransientError naming route and status', async () => {
    const milestone = await caughtUp();
    h.fake.inject('/2/files/list_folder/continue', { kind: 'server-error', status: 500 });
    const err = await expectRejection(h.connector.retrieveMetadata(h.ctx, milestone));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('files/list_folder/continue');
    expect(err.message).toContain('500');
    expect((err as TransientError).context.status).toBe(500);
    expect(h.fake.counts['/2/files/list_folder/continue']).toBe(1);
  });

  it('given a 502 on download, retrieveData fails with a TransientError', async () => {
    h.fake.addFile('/a.txt', 'a');
    h.fake.inject('/2/files/download', { kind: 'server-error', status: 502, text: '<html>Bad Gateway</html>' });
    const err = await expectRejection(h.connector.retrieveData(h.ctx, docOf('/a.txt')));
    expect(err).toBeInstanceOf(TransientError);
  });

  it('every 2nd continue call failing with 500 fails every other sync, not the ones in between', async () => {
    const milestone = await caughtUp();
    h.fake.inject('/2/files/list_folder/continue', { kind: 'server-error' }, { every: 2 });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(
        await h.connector.retrieveMetadata(h.ctx, milestone).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      );
    }
    expect(outcomes).toEqual(['ok', 'TransientError', 'ok', 'TransientError']);
  });

  it('given a response slower than requestTimeoutMs, listing fails with a TransientError instead of waiting', async () => {
    const ctx = h.withConfig({ requestTimeoutMs: 300 });
    await caughtUp(ctx); // token obtained
    h.fake.inject('/2/files/list_folder', { kind: 'slow', delayMs: 2_000 });
    const err = await expectRejection(h.connector.retrieveMetadata(ctx, {}));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/within 300 ms/); // the timeout fired, not the 2 s response
  });

  it('when the activity is cancelled mid-request, the call stops at once with the abort reason', async () => {
    await caughtUp();
    h.fake.inject('/2/files/list_folder', { kind: 'slow', delayMs: 5_000 });
    const controller = new AbortController();
    const ctx = { ...h.ctx, signal: controller.signal };
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('activity cancelled')), 100);
    const err = await rejectionOf(h.connector.retrieveMetadata(ctx, {}));
    expect(err.message).toBe('activity cancelled');
    expect(Date.now() - started).toBeLessThan(5_000); // it did not wait for the 5 s response
  });
});

describe('authentication', () => {
  it('given an expired access token, the connector refreshes once, saves the new token and succeeds', async () => {
    h.fake.addFile('/a.txt', 'a');
    const stale = h.fake.accessToken;
    const ctx = h.withConfig({ accessToken: stale, accessTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    h.fake.expireAccessToken();

    const page = await h.connector.retrieveMetadata(ctx, {});

    expect(page.upserts).toHaveLength(1);
    expect(h.fake.counts['/oauth2/token']).toBe(1);
    expect(h.fake.counts['/2/files/list_folder']).toBe(2); // 401, then the retry
    expect(h.saved).toHaveLength(1);
    expect(h.saved[0].accessToken).toBe(h.fake.accessToken);
    expect(h.saved[0].accessToken).not.toBe(stale);
    expect(Date.parse(String(h.saved[0].accessTokenExpiresAt))).toBeGreaterThan(Date.now() + 3_600_000);
  });

  it('given a valid stored token, no token request is made', async () => {
    const ctx = h.withConfig({
      accessToken: h.fake.accessToken,
      accessTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await h.connector.retrieveMetadata(ctx, {});
    expect(h.fake.counts['/oauth2/token']).toBeUndefined();
    expect(h.saved).toEqual([]);
  });

  it('given an expired token, a download refreshes once and then streams', async () => {
    h.fake.addFile('/a.txt', 'downloaded after refresh');
    const ctx = h.withConfig({
      accessToken: h.fake.accessToken,
      accessTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    h.fake.expireAccessToken();
    const result = await h.connector.retrieveData(ctx, docOf('/a.txt'));
    expect((await readBody(result)).toString()).toBe('downloaded after refresh');
    expect(h.fake.counts['/oauth2/token']).toBe(1);
    expect(h.fake.counts['/2/files/download']).toBe(2);
    expect(h.saved).toHaveLength(1);
  });

  it('given 4 concurrent calls and no access token yet, exactly one token request is made', async () => {
    h.fake.addFile('/a.txt', 'a');
    const pages = await Promise.all([1, 2, 3, 4].map(() => h.connector.retrieveMetadata(h.ctx, {})));
    expect(pages.every((p) => p.upserts.length === 1)).toBe(true);
    expect(h.fake.counts['/oauth2/token']).toBe(1);
    expect(h.saved).toHaveLength(1);
  });

  it('given 4 concurrent calls that all hit an expired token, exactly one refresh is made', async () => {
    const ctx = h.withConfig({
      accessToken: h.fake.accessToken,
      accessTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    h.fake.expireAccessToken();
    await Promise.all([1, 2, 3, 4].map(() => h.connector.retrieveMetadata(ctx, {})));
    expect(h.fake.counts['/oauth2/token']).toBe(1);
    expect(h.fake.counts['/2/files/list_folder']).toBe(8);
    expect(h.saved).toHaveLength(1);
  });

  it('given an access token Dropbox does not know (401 invalid_access_token), one refresh is tried and the call succeeds', async () => {
    h.fake.addFile('/known.txt', 'k');
    const ctx = h.withConfig({
      accessToken: 'sl.not-a-token-dropbox-ever-issued',
      accessTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const page = await h.connector.retrieveMetadata(ctx, {});
    expect(page.upserts.map((d) => d.path)).toContain('/known.txt');
    expect(h.fake.counts['/oauth2/token']).toBe(1);
    expect(h.saved).toHaveLength(1);
  });

  it('given a 401 invalid_access_token that outlives the refresh, the call fails with AuthError after exactly one refresh', async () => {
    const ctx = h.withConfig({
      accessToken: 'sl.not-a-token-dropbox-ever-issued',
      accessTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    h.fake.inject('/2/files/list_folder', { kind: 'invalid-token' }, { times: 2 });
    const err = await expectRejection(h.connector.retrieveMetadata(ctx, {}));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('invalid_access_token');
    expect(err.message).not.toContain('sl.not-a-token');
    expect(h.fake.counts['/oauth2/token']).toBe(1);
  });

  it('given a revoked refresh token, the call fails with AuthError (invalid_grant)', async () => {
    h.fake.revokeRefreshToken();
    const err = await expectRejection(h.connector.retrieveMetadata(h.ctx, {}));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('oauth2/token');
    expect(err.message).toContain('invalid_grant');
    expect(h.fake.counts).toEqual({ '/oauth2/token': 1 });
    expect(h.saved).toEqual([]);
  });

  it('given an expired token whose refresh is rejected, the download fails with AuthError', async () => {
    h.fake.addFile('/a.txt', 'a');
    const ctx = h.withConfig({
      accessToken: h.fake.accessToken,
      accessTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    h.fake.expireAccessToken();
    h.fake.revokeRefreshToken();
    const err = await expectRejection(h.connector.retrieveData(ctx, docOf('/a.txt')));
    expect(err).toBeInstanceOf(AuthError);
  });

  it('given a wrong app secret, the refresh fails with AuthError and the secret is not in the message', async () => {
    const ctx = h.withConfig({ appSecret: 'wrong-app-secret-0123456789' });
    const err = await expectRejection(h.connector.retrieveMetadata(ctx, {}));
    expect(err).toBeInstanceOf(AuthError);
    expect(errorText(err)).not.toContain('wrong-app-secret-0123456789');
  });

  it('ping succeeds with valid credentials and fails with AuthError on a rejected token', async () => {
    await h.connector.ping(h.ctx);
    expect(h.fake.counts['/2/users/get_current_account']).toBe(1);
    // A rejected token gets one refresh and one retry; rejected again, it is an AuthError.
    h.fake.inject('/2/users/get_current_account', { kind: 'invalid-token' }, { times: 2 });
    const err = await expectRejection(h.connector.ping(h.ctx));
    expect(err).toBeInstanceOf(AuthError);
  });
});

describe('content', () => {
  it('a 9 MB file streams byte-for-byte equal to the source', async () => {
    const content = randomBytes(9 * 1024 * 1024 + 123);
    h.fake.addFile('/Big/video.mp4', content);
    const { pages } = await listUntilCaughtUp(h);
    const doc = pages.flatMap((p) => p.upserts)[0];
    expect(doc.version).toBe(dropboxContentHash(content));

    const result = await h.connector.retrieveData(h.ctx, doc);

    expect(Buffer.isBuffer(result.body)).toBe(false); // a stream, not a buffered copy
    expect(result.mimeType).toBe('video/mp4');
    expect(result.size).toBe(content.length);
    const received = await readBody(result);
    expect(received.length).toBe(content.length);
    expect(received.equals(content)).toBe(true);
    expect(h.fake.counts['/2/files/download']).toBe(1);
  });

  it('a download cut off mid-body fails with TransientError instead of hanging', async () => {
    h.fake.addFile('/big.bin', randomBytes(3 * 1024 * 1024));
    h.fake.inject('/2/files/download', { kind: 'truncate', sendBytes: 1024 * 1024 });
    const ctx = h.withConfig({ requestTimeoutMs: 2_000 });

    const result = await h.connector.retrieveData(ctx, docOf('/big.bin'));
    const err = await expectRejection(readBody(result));

    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('files/download');
    expect((err as TransientError).context).toMatchObject({ connector: 'dropbox', userId: 'alice' });
  });

  it('a download that stalls mid-body fails with TransientError after the idle timeout', async () => {
    h.fake.addFile('/big.bin', randomBytes(1024 * 1024));
    h.fake.inject('/2/files/download', { kind: 'stall', sendBytes: 64 * 1024 });
    const ctx = h.withConfig({ requestTimeoutMs: 500 });

    const result = await h.connector.retrieveData(ctx, docOf('/big.bin'));
    const err = await expectRejection(readBody(result));

    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/no data for 500 ms/); // the idle timeout fired, not a hang
  });

  it('a file deleted after listing fails with NotFoundError', async () => {
    h.fake.addFile('/gone.txt', 'bye');
    const doc = docOf('/gone.txt');
    h.fake.deleteFile('/gone.txt');
    const err = await expectRejection(h.connector.retrieveData(h.ctx, doc));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).context).toMatchObject({ connector: 'dropbox', externalId: doc.externalId, status: 409 });
  });

  it('a cloud doc (is_downloadable: false) is fetched through files/export', async () => {
    h.fake.addFile('/Plans/Roadmap.gdoc', 'gdoc pointer', {
      isDownloadable: false,
      exportAs: 'docx',
      exportContent: 'PK-docx-bytes',
    });
    const { pages } = await listUntilCaughtUp(h);
    const doc = pages.flatMap((p) => p.upserts)[0];
    expect(doc.extra).toMatchObject({ isDownloadable: false });
    expect(doc.version).toBe(doc.extra?.rev); // no content_hash for cloud docs

    const result = await h.connector.retrieveData(h.ctx, doc);

    expect((await readBody(result)).toString()).toBe('PK-docx-bytes');
    expect(result.mimeType).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(result.size).toBe('PK-docx-bytes'.length);
    expect(h.fake.counts['/2/files/export']).toBe(1);
    expect(h.fake.counts['/2/files/download']).toBeUndefined();
  });

  it('a cloud doc listed without extra falls back from download (409 unsupported_file) to export', async () => {
    h.fake.addFile('/Note.paper', 'paper', { isDownloadable: false, exportAs: 'md', exportContent: '# Note' });
    const result = await h.connector.retrieveData(h.ctx, docOf('/Note.paper'));
    expect((await readBody(result)).toString()).toBe('# Note');
    expect(result.mimeType).toBe('text/markdown');
    expect(h.fake.counts['/2/files/download']).toBe(1);
    expect(h.fake.counts['/2/files/export']).toBe(1);
  });
});

describe('secrets', () => {
  it('no thrown error message, stack, context or cause mentions the app secret, refresh token or an access token', () => {
    expect(thrown.length).toBeGreaterThanOrEqual(15);
    for (const { err, secrets } of thrown) {
      const text = errorText(err);
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });

  it('no log line mentions a secret', () => {
    for (const { logs, secrets } of loggedSecrets) {
      const text = JSON.stringify(logs);
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});
