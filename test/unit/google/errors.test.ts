// Google failures -> typed errors: given the fields gaxios puts on a failed call (status, the JSON
// envelope, Retry-After in a Headers object, network codes), mapGoogleError picks the class the
// engine acts on; quota errors get a retry time from Retry-After or the workflow's rate-limit streak.
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  ConfigError,
  NotFoundError,
  RateLimitError,
  TransientError,
  UnsupportedContentError,
} from '../../../src/core/errors.js';
import { mapGoogleError, type MapOptions } from '../../../src/connectors/google/errors.js';
import { readGoogleFailure } from '../../../src/connectors/google/failure.js';
import { DAILY_LIMIT_MS, RATE_LIMIT_BASE_MS } from '../../../src/connectors/google/rate-limit.js';
import { isExpiredPageToken } from '../../../src/connectors/gdrive/listing.js';

const TOKEN = 'ya29.secret-access-token';
const opts = (extra: Partial<MapOptions> = {}): MapOptions => ({
  connector: 'gdrive',
  userId: 'alice',
  operation: 'files.list',
  schedule: { fixedMs: 30_000 },
  secrets: [TOKEN],
  ...extra,
});

/** The shape of a GaxiosError: response.status, response.data (the API envelope), response.headers. */
function gaxiosError(status: number, data: unknown, headers: Record<string, string> = {}) {
  return Object.assign(new Error(`Request failed with status code ${status}`), {
    status,
    config: { url: 'https://www.googleapis.com/drive/v3/files' },
    response: { status, data, headers: new Headers(headers) },
  });
}
const envelope = (code: number, reason: string, message = reason, location?: string) => ({
  error: { code, message, errors: [{ reason, message, ...(location ? { location } : {}) }] },
});

describe('reading a Google failure', () => {
  it('reads status, reason, location and Retry-After from the response', () => {
    const f = readGoogleFailure(gaxiosError(400, envelope(400, 'invalid', 'Invalid Value', 'pageToken'), { 'retry-after': '7' }));
    expect(f).toEqual({ status: 400, reason: 'invalid', location: 'pageToken', message: 'Invalid Value', retryAfter: '7' });
  });

  it('reads a streamed error body from the message when response.data is empty', () => {
    const err = Object.assign(new Error(JSON.stringify(envelope(404, 'notFound', 'File not found'))), { status: 404 });
    expect(readGoogleFailure(err)).toMatchObject({ status: 404, reason: 'notFound', message: 'File not found' });
  });

  it('reads the OAuth error code and the network code', () => {
    expect(readGoogleFailure(gaxiosError(400, { error: 'invalid_grant', error_description: 'Token has been revoked' }))).toMatchObject({
      oauthError: 'invalid_grant',
      message: 'Token has been revoked',
    });
    expect(readGoogleFailure(Object.assign(new Error('reset'), { code: 'ECONNRESET' })).networkCode).toBe('ECONNRESET');
  });
});

describe('mapGoogleError', () => {
  it('given a 429 with Retry-After, a RateLimitError at that time', () => {
    const before = Date.now();
    const err = mapGoogleError(gaxiosError(429, envelope(429, 'rateLimitExceeded'), { 'retry-after': '90' }), opts());
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAt.getTime()).toBeGreaterThanOrEqual(before + 90_000);
    expect((err as RateLimitError).context).toMatchObject({ connector: 'gdrive', userId: 'alice', status: 429 });
  });

  it('given a 403 userRateLimitExceeded while listing after two refusals in a row, the wait is 30 s * 2^2', () => {
    const before = Date.now();
    const err = mapGoogleError(
      gaxiosError(403, envelope(403, 'userRateLimitExceeded')),
      opts({ schedule: { streak: 2 } }),
    ) as RateLimitError;
    const after = Date.now();
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.retryAt.getTime()).toBeGreaterThanOrEqual(before + RATE_LIMIT_BASE_MS * 4);
    expect(err.retryAt.getTime()).toBeLessThanOrEqual(after + RATE_LIMIT_BASE_MS * 4);
  });

  it('given a daily quota error, the wait is at least an hour', () => {
    const before = Date.now();
    const err = mapGoogleError(gaxiosError(403, envelope(403, 'dailyLimitExceeded')), opts());
    expect((err as RateLimitError).retryAt.getTime()).toBeGreaterThanOrEqual(before + DAILY_LIMIT_MS);
  });

  it('given Gmail\'s "Retry after <date>" message, that date is the retry time', () => {
    const at = new Date(Date.now() + 5 * 60_000);
    const err = mapGoogleError(
      gaxiosError(429, envelope(429, 'rateLimitExceeded', `User-rate limit exceeded.  Retry after ${at.toISOString()}`)),
      opts(),
    );
    expect((err as RateLimitError).retryAt.toISOString()).toBe(at.toISOString());
  });

  it.each([
    ['401', gaxiosError(401, envelope(401, 'authError')), AuthError],
    ['400 invalid_grant', gaxiosError(400, { error: 'invalid_grant' }), AuthError],
    ['403 insufficientPermissions', gaxiosError(403, envelope(403, 'insufficientPermissions')), AuthError],
    ['403 fileNotDownloadable', gaxiosError(403, envelope(403, 'fileNotDownloadable')), UnsupportedContentError],
    ['404', gaxiosError(404, envelope(404, 'notFound')), NotFoundError],
    ['410', gaxiosError(410, envelope(410, 'deleted')), NotFoundError],
    ['500', gaxiosError(500, envelope(500, 'backendError')), TransientError],
    ['408', gaxiosError(408, 'timeout'), TransientError],
    ['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), TransientError],
  ])('given %s, the right typed error', (_name, err, type) => {
    expect(mapGoogleError(err, opts())).toBeInstanceOf(type);
  });

  it('given a 400 on a document, its content is unsupported; on a listing, a ConfigError naming the field', () => {
    const bad = () => gaxiosError(400, envelope(400, 'badRequest', 'Bad Request', 'q'));
    expect(mapGoogleError(bad(), opts({ operation: 'files.export', externalId: 'f1' }))).toBeInstanceOf(UnsupportedContentError);
    const config = mapGoogleError(bad(), opts());
    expect(config).toBeInstanceOf(ConfigError);
    expect((config as ConfigError).fields).toEqual(['q']);
  });

  it('given an aborted call, a TransientError that says so', () => {
    const aborted = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    const err = mapGoogleError(aborted, opts());
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toBe('gdrive files.list was aborted');
  });

  it('given a message that echoes the token, the typed error does not', () => {
    const err = mapGoogleError(gaxiosError(401, envelope(401, 'authError', `Invalid Credentials for ${TOKEN}`)), opts());
    expect(err.message).toContain('gdrive files.list failed: HTTP 401 authError');
    expect(err.message).not.toContain(TOKEN);
  });
});

describe('Drive page-token expiry', () => {
  it('treats 404, and 400 on pageToken, as an expired cursor; other 400s are not', () => {
    expect(isExpiredPageToken({ status: 404 })).toBe(true);
    expect(isExpiredPageToken({ status: 400, location: 'pageToken' })).toBe(true);
    expect(isExpiredPageToken({ status: 400, message: 'Invalid page token' })).toBe(true);
    expect(isExpiredPageToken({ status: 400, location: 'q', message: 'Invalid Value' })).toBe(false);
    expect(isExpiredPageToken({ status: 500 })).toBe(false);
  });
});
