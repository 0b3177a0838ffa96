// Google auth scenarios (shared by Drive and Gmail): token refresh after a 401, revoked refresh
// tokens, service accounts with domain-wide delegation, config validation and secret hygiene.
import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GdriveConnector } from '../../src/connectors/gdrive/connector.js';
import { GmailConnector } from '../../src/connectors/gmail/connector.js';
import type { GdriveConfig } from '../../src/connectors/gdrive/config.js';
import { parseConnectorConfig } from '../../src/connectors/config.js';
import { type Milestone } from '../../src/core/contract.js';
import { AuthError, ConfigError, RateLimitError, TransientError } from '../../src/core/errors.js';
import { startFakeGoogle, googleFailures, type FakeGoogle } from '../fakes/google/index.js';
import { expectNoSecrets, failureOf, makeContext, syncUntilCaughtUp, userAuth, type TestContext } from './harness.js';

const drive = new GdriveConnector();
const gmail = new GmailConnector();
let fake: FakeGoogle;

beforeEach(async () => {
  fake = await startFakeGoogle();
  fake.drive.addFile({ name: 'a.txt', content: 'alpha' });
  fake.gmail.addMessage({ subject: 'hello' });
});
afterEach(async () => {
  await fake?.close(); // undefined when the first beforeEach failed; close is idempotent
});

async function caughtUpDrive(config: object): Promise<{ milestone: Milestone; ctx: TestContext<GdriveConfig> }> {
  const ctx = makeContext(drive, config);
  const { milestone } = await syncUntilCaughtUp(drive, ctx);
  fake.clearLog();
  return { milestone, ctx };
}

describe('user OAuth', () => {
  it('without an access token, refreshes once before the first call and saves the token', async () => {
    const ctx = makeContext(drive, userAuth(fake));
    await syncUntilCaughtUp(drive, ctx);
    expect(fake.count('oauth.token')).toBe(1);
    expect(fake.requests[0].route).toBe('oauth.token');
    expect(ctx.saved).toEqual([{ accessToken: expect.stringMatching(/^ya29\./), expiryDate: expect.any(Number) }]);
    expect(ctx.saved[0].expiryDate as number).toBeGreaterThan(Date.now() + 3_500_000);
  });

  it.each([
    ['with expiryDate', { expiryDate: Date.now() + 3_000_000 }],
    ['without expiryDate', {}],
  ])('an expired access token (%s) -> 401, exactly one refresh, saveCredentials, one replay that succeeds', async (_n, extra) => {
    const stale = fake.oauth.issueAccessToken();
    const { milestone, ctx } = await caughtUpDrive({ ...userAuth(fake), accessToken: stale, ...extra });
    fake.oauth.expireAccessTokens();
    const page = await drive.retrieveMetadata(ctx, milestone);
    expect(page.hasMore).toBe(false);
    expect(fake.requests.map((r) => [r.route, r.status])).toEqual([
      ['drive.changes.list', 401],
      ['oauth.token', 200],
      ['drive.changes.list', 200],
    ]);
    expect(ctx.saved).toHaveLength(1);
    expect(ctx.saved[0].accessToken).not.toBe(stale);
    expect(fake.oauth.isValid(ctx.saved[0].accessToken as string)).toBe(true);
  });

  it('a second 401 after the refresh -> AuthError, no further attempts', async () => {
    const { milestone, ctx } = await caughtUpDrive({ ...userAuth(fake), accessToken: fake.oauth.issueAccessToken() });
    fake.failNext('drive.changes.list', { status: 401, reason: 'authError', message: 'Invalid Credentials' }, 2);
    const err = await failureOf(drive.retrieveMetadata(ctx, milestone));
    expect(err).toBeInstanceOf(AuthError);
    expect(fake.counts()).toEqual({ 'drive.changes.list': 2, 'oauth.token': 1 });
  });

  it('a revoked refresh token -> AuthError (invalid_grant) without secrets in the message', async () => {
    const { milestone, ctx } = await caughtUpDrive({ ...userAuth(fake), accessToken: fake.oauth.issueAccessToken() });
    const accessToken = ctx.config.accessToken as string;
    fake.oauth.revokeRefreshToken();
    const err = await failureOf(drive.retrieveMetadata(ctx, milestone));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('invalid_grant');
    expect(fake.counts()).toEqual({ 'drive.changes.list': 1, 'oauth.token': 1 });
    expectNoSecrets(err, [fake.oauth.clientSecret, fake.oauth.refreshToken, accessToken]);

    const fresh = makeContext(gmail, userAuth(fake));
    const gmailErr = await failureOf(gmail.retrieveMetadata(fresh, {}));
    expect(gmailErr).toBeInstanceOf(AuthError);
    expectNoSecrets(gmailErr, [fake.oauth.clientSecret, fake.oauth.refreshToken]);
  });

  it('a 403 rate limit does not trigger a refresh or a replay, even without expiryDate', async () => {
    const { milestone, ctx } = await caughtUpDrive({ ...userAuth(fake), accessToken: fake.oauth.issueAccessToken() });
    fake.failNext('drive.changes.list', googleFailures.userRateLimit());
    const err = await failureOf(drive.retrieveMetadata(ctx, milestone));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(fake.counts()).toEqual({ 'drive.changes.list': 1 });
  });

  it('a token endpoint outage -> TransientError after one token request (no library retries)', async () => {
    fake.failNext('oauth.token', googleFailures.serverError(503), 5);
    const ctx = makeContext(gmail, userAuth(fake));
    const err = await failureOf(gmail.retrieveMetadata(ctx, {}));
    expect(err).toBeInstanceOf(TransientError);
    expect(fake.counts()).toEqual({ 'oauth.token': 1 });
    expectNoSecrets(err, [fake.oauth.clientSecret, fake.oauth.refreshToken]);
  });

  it('Gmail: a 401 refreshes once and replays once', async () => {
    const ctx = makeContext(gmail, { ...userAuth(fake), accessToken: fake.oauth.issueAccessToken() });
    const { milestone } = await syncUntilCaughtUp(gmail, ctx);
    fake.clearLog();
    fake.oauth.expireAccessTokens();
    await gmail.retrieveMetadata(ctx, milestone);
    expect(fake.requests.map((r) => [r.route, r.status])).toEqual([
      ['gmail.history.list', 401],
      ['oauth.token', 200],
      ['gmail.history.list', 200],
    ]);
    expect(ctx.saved).toHaveLength(1);
  });
});

describe('service account with domain-wide delegation', () => {
  function serviceAccount(register = true) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = {
      client_email: 'sync@docsync-test.iam.gserviceaccount.com',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    if (register) fake.oauth.registerServiceAccount(key.client_email, publicKey.export({ type: 'spki', format: 'pem' }).toString());
    return key;
  }

  it('signs a JWT for the subject, gets a token from the (redirected) token endpoint, and syncs', async () => {
    const key = serviceAccount();
    const ctx = makeContext(drive, { serviceAccount: key, subject: 'alice@example.com', tokenUrl: fake.tokenUrl, apiBaseUrl: fake.url });
    const { pages } = await syncUntilCaughtUp(drive, ctx);
    expect(pages.flatMap((p) => p.upserts)).toHaveLength(1);
    expect(fake.oauth.issued).toEqual([
      {
        grant: 'jwt-bearer',
        subject: 'alice@example.com',
        scope: 'https://www.googleapis.com/auth/drive.readonly',
        // The audience stays Google's (it is signed into the assertion); only the URL was redirected.
        audience: 'https://oauth2.googleapis.com/token',
        at: expect.any(Number),
      },
    ]);
    expect(ctx.saved).toEqual([{ accessToken: expect.stringMatching(/^ya29\./), expiryDate: expect.any(Number) }]);
  });

  it('after a 401, signs a new assertion once (not the cached token) and replays once', async () => {
    const key = serviceAccount();
    const ctx = makeContext(gmail, { serviceAccount: key, subject: 'alice@example.com', tokenUrl: fake.tokenUrl, apiBaseUrl: fake.url });
    const { milestone } = await syncUntilCaughtUp(gmail, ctx);
    fake.clearLog();
    fake.oauth.expireAccessTokens();
    const page = await gmail.retrieveMetadata(ctx, milestone);
    expect(page.hasMore).toBe(false);
    expect(fake.requests.map((r) => [r.route, r.status])).toEqual([
      ['gmail.history.list', 401],
      ['oauth.token', 200],
      ['gmail.history.list', 200],
    ]);
    expect(fake.oauth.issued.map((t) => t.scope)).toEqual([
      'https://www.googleapis.com/auth/gmail.readonly',
      'https://www.googleapis.com/auth/gmail.readonly',
    ]);
  });

  it('an unknown service account -> AuthError without the private key in the message', async () => {
    const key = serviceAccount(false);
    const ctx = makeContext(drive, { serviceAccount: key, subject: 'alice@example.com', tokenUrl: fake.tokenUrl, apiBaseUrl: fake.url });
    const err = await failureOf(drive.retrieveMetadata(ctx, {}));
    expect(err).toBeInstanceOf(AuthError);
    expectNoSecrets(err, [key.private_key, key.private_key.split('\n')[1]]);
  });
});

describe('config', () => {
  it('names each missing credential field', () => {
    const err = (() => {
      try {
        parseConnectorConfig(drive, { clientId: 'x' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected ConfigError');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.fields.sort()).toEqual(['clientSecret', 'refreshToken']);
    expect(() => parseConnectorConfig(gmail, { serviceAccount: { client_email: 'a', private_key: 'k' } })).toThrow(/subject/);
  });

  it('refuses test-only endpoints that are not loopback, and pageSize over the API maximum', () => {
    const base = { clientId: 'id', clientSecret: 's', refreshToken: 'r' };
    expect(() => parseConnectorConfig(drive, { ...base, tokenUrl: 'https://evil.example.com/token' })).toThrow(ConfigError);
    expect(() => parseConnectorConfig(drive, { ...base, apiBaseUrl: 'http://10.0.0.1:8080' })).toThrow(ConfigError);
    expect(() => parseConnectorConfig(drive, { ...base, pageSize: 1001 })).toThrow(ConfigError);
    expect(() => parseConnectorConfig(gmail, { ...base, pageSize: 501 })).toThrow(ConfigError);
    expect(parseConnectorConfig(gmail, base)).toMatchObject({ pageSize: 500, includeSpamTrash: false });
  });
});
