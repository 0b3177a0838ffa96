// Dropbox failures -> typed errors: given the SDK's own DropboxResponseError (status, Headers, parsed
// body) or a network failure, toDocsyncError picks the class the engine acts on, and never leaks secrets.
import { DropboxResponseError } from 'dropbox';
import { describe, expect, it } from 'vitest';
import { AuthError, DocsyncError, NotFoundError, RateLimitError, TransientError } from '../../../src/core/errors.js';
import {
  DropboxApiError,
  dropboxErrorTags,
  isExpiredTokenError,
  toDocsyncError,
  type DropboxErrorScope,
} from '../../../src/connectors/dropbox/errors.js';

const TOKEN = 'sl.secret-access-token-123';
const scope = (route: string, externalId?: string): DropboxErrorScope => ({ route, userId: 'alice', externalId, secrets: [TOKEN] });
const failure = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new DropboxResponseError(status, new Headers(headers), body);
const tagged = (tag: string, inner?: object) => ({
  error_summary: `${tag}/...`,
  error: { '.tag': tag, ...(inner ? { [tag]: inner } : {}) },
});

describe('Dropbox error tags', () => {
  it('reads the nested tag path, the 429 reason and the OAuth error string', () => {
    expect(dropboxErrorTags(failure(409, tagged('path', { '.tag': 'not_found' })))).toEqual(['path', 'not_found']);
    expect(dropboxErrorTags(failure(429, { error: { reason: { '.tag': 'too_many_requests' } } }))).toEqual(['too_many_requests']);
    expect(dropboxErrorTags(failure(400, { error: 'invalid_grant' }))).toEqual(['invalid_grant']);
    expect(dropboxErrorTags(failure(500, 'Internal Server Error'))).toEqual([]);
    expect(dropboxErrorTags(new Error('not an HTTP failure'))).toEqual([]);
  });

  it('recognises an expired access token only as a 401 tagged expired_access_token', () => {
    expect(isExpiredTokenError(failure(401, tagged('expired_access_token')))).toBe(true);
    expect(isExpiredTokenError(failure(401, tagged('invalid_access_token')))).toBe(false);
    expect(isExpiredTokenError(failure(400, tagged('expired_access_token')))).toBe(false);
  });
});

describe('toDocsyncError', () => {
  it('given a 429 with Retry-After, a RateLimitError comes back for that moment, header before body', () => {
    const before = Date.now();
    const err = toDocsyncError(
      failure(429, { error: { reason: { '.tag': 'too_many_requests' }, retry_after: 600 } }, { 'retry-after': '30' }),
      scope('files/list_folder'),
    );
    expect(err).toBeInstanceOf(RateLimitError);
    const retryAt = (err as RateLimitError).retryAt.getTime();
    expect(retryAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(retryAt).toBeLessThan(before + 60_000);
    expect((err as RateLimitError).context).toMatchObject({ connector: 'dropbox', userId: 'alice', status: 429 });
  });

  it('given a 429 with only retry_after in the body, the body decides', () => {
    const before = Date.now();
    const err = toDocsyncError(
      failure(429, { error: { reason: { '.tag': 'too_many_requests' }, retry_after: 120 } }),
      scope('files/download'),
    );
    expect((err as RateLimitError).retryAt.getTime()).toBeGreaterThanOrEqual(before + 120_000);
  });

  it('given a 503 with Retry-After, it is a rate limit; without it, a transient failure', () => {
    expect(toDocsyncError(failure(503, 'busy', { 'retry-after': '5' }), scope('files/download'))).toBeInstanceOf(RateLimitError);
    expect(toDocsyncError(failure(503, 'busy'), scope('files/download'))).toBeInstanceOf(TransientError);
  });

  it('given 401/403, or any 4xx from the token endpoint, an AuthError', () => {
    expect(toDocsyncError(failure(401, tagged('invalid_access_token')), scope('files/list_folder'))).toBeInstanceOf(AuthError);
    expect(toDocsyncError(failure(403, tagged('no_permission')), scope('files/download'))).toBeInstanceOf(AuthError);
    const refresh = toDocsyncError(
      failure(400, { error: 'invalid_grant', error_description: 'refresh token is malformed' }),
      scope('oauth2/token'),
    );
    expect(refresh).toBeInstanceOf(AuthError);
    expect((refresh as Error).message).toMatch(/refresh token or app credentials were rejected/);
  });

  it('given a missing path, listing reports the missing rootPath as NotFound (an outage, not a config error), a download too', () => {
    const notFound = () => failure(409, tagged('path', { '.tag': 'not_found' }));
    for (const route of ['files/list_folder', 'files/list_folder/continue']) {
      const listing = toDocsyncError(notFound(), scope(route));
      expect(listing).toBeInstanceOf(NotFoundError);
      expect((listing as Error).message).toContain('rootPath');
    }
    const download = toDocsyncError(notFound(), scope('files/download', 'id:abc'));
    expect(download).toBeInstanceOf(NotFoundError);
    expect((download as Error).message).toContain('(doc id:abc)');
  });

  it('given a cursor Dropbox cannot decode, a DropboxApiError tagged reset (the connector starts over)', () => {
    const err = toDocsyncError(
      failure(400, 'Error in call to API function "files/list_folder/continue": Invalid "cursor" parameter'),
      scope('files/list_folder/continue'),
    );
    expect(err).toBeInstanceOf(DropboxApiError);
    expect((err as DropboxApiError).tag).toBe('reset');
  });

  it('given another 4xx, a DropboxApiError with the first tag; given a 5xx, a TransientError', () => {
    const reset = toDocsyncError(failure(409, tagged('reset')), scope('files/list_folder/continue'));
    expect(reset).toBeInstanceOf(DropboxApiError);
    expect((reset as DropboxApiError).tag).toBe('reset');
    expect(toDocsyncError(failure(500, 'Internal Server Error'), scope('files/download'))).toBeInstanceOf(TransientError);
  });

  it('given a body or network error that echoes the token, the message names route and user but not the token', () => {
    const http = toDocsyncError(failure(400, `bad request for Bearer ${TOKEN}`), scope('files/get_metadata'));
    const network = toDocsyncError(new Error(`socket hang up while sending ${TOKEN}`), scope('files/download'));
    for (const err of [http, network]) {
      expect(err).toBeInstanceOf(DocsyncError);
      expect((err as Error).message).toContain('for user alice');
      expect((err as Error).message).not.toContain(TOKEN);
    }
  });

  it('given an error that is already typed, it passes through unchanged', () => {
    const typed = new NotFoundError('gone', { connector: 'dropbox', userId: 'alice' });
    expect(toDocsyncError(typed, scope('files/download'))).toBe(typed);
  });
});
