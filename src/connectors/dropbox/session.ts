// One authenticated Dropbox session per credential (app key + refresh token), shared by all
// calls of this worker: token refreshes go through one serial queue so concurrent calls that
// find the token missing or expired cause a single /oauth2/token request, and every refresh
// is saved back through ctx.saveCredentials. Rate-limit waits are the engine's per-credential
// gate (ctx.rateLimitGate), shared by every worker.
import { createHash } from 'node:crypto';
import { Dropbox, DropboxAuth } from 'dropbox';
import { type ConnectorContext } from '../../core/contract.js';
import { gateOf } from '../shared/rate-limit-gate.js';
import { SerialQueue } from '../shared/serial-queue.js';
import { secretValuesOf } from '../config.js';
import { dropboxConfigSchema, type DropboxConfig } from './config.js';
import { createDropboxFetch } from './fetch.js';
import { CONNECTOR_NAME, dropboxErrorTags, isDropboxHttpFailure, toDocsyncError } from './errors.js';

type Ctx = ConnectorContext<DropboxConfig>;

/** A call made with a valid access token; receives an SDK client bound to the caller's signal. */
export type DropboxCall<T> = (dbx: Dropbox, accessToken: string) => Promise<T>;

export class DropboxSession {
  readonly auth: DropboxAuth;
  private readonly refreshes = new SerialQueue();
  /** Weak: a client goes with its activity's signal. */
  private readonly clients = new WeakMap<AbortSignal, Dropbox>();

  constructor(
    private readonly config: DropboxConfig,
    /** Names this credential for the process-local gate used when the engine gives none. */
    private readonly fingerprint = '',
  ) {
    this.auth = new DropboxAuth({
      clientId: config.appKey,
      clientSecret: config.appSecret,
      refreshToken: config.refreshToken,
      accessToken: config.accessToken,
      accessTokenExpiresAt: config.accessTokenExpiresAt ? new Date(config.accessTokenExpiresAt) : undefined,
      // No caller signal here: a refresh is shared by concurrent calls and must not die with one of them.
      fetch: createDropboxFetch({ timeoutMs: config.requestTimeoutMs, apiBaseUrl: config.apiBaseUrl }),
    });
  }

  /** Takes the stored token when it is newer than ours (another worker refreshed it). */
  adopt(config: DropboxConfig): void {
    if (!config.accessToken || !config.accessTokenExpiresAt || config.accessToken === this.auth.getAccessToken()) return;
    const stored = new Date(config.accessTokenExpiresAt);
    const ours = this.auth.getAccessTokenExpiresAt();
    if (!ours || stored > ours) {
      this.auth.setAccessToken(config.accessToken);
      this.auth.setAccessTokenExpiresAt(stored);
    }
  }

  /**
   * Runs `call` with a fresh token, through the credential's rate-limit gate. On 401
   * expired_access_token or invalid_access_token (with a refresh token): refresh once, retry once.
   * Every failure leaves as a docsync error (RateLimitError, AuthError, TransientError...).
   */
  async call<T>(ctx: Ctx, route: string, call: DropboxCall<T>, externalId?: string): Promise<T> {
    const gate = gateOf(ctx, CONNECTOR_NAME, this.fingerprint);
    return gate.run(
      route,
      async () => {
        try {
          const token = await this.freshToken(ctx);
          // Checked again: a wait may have been announced while this call queued for the token.
          gate.check(route, externalId);
          try {
            return await call(this.client(ctx.signal), token);
          } catch (err) {
            if (!this.isRefreshable(err)) throw err;
            const why = dropboxErrorTags(err)[0] === 'expired_access_token' ? 'expired' : 'rejected (invalid_access_token)';
            ctx.logger.info({ connector: CONNECTOR_NAME, userId: ctx.userId, route }, `dropbox access token ${why}; refreshing`);
            await this.refreshExpired(ctx, token);
            gate.check(route, externalId);
            return await call(this.client(ctx.signal), this.auth.getAccessToken());
          }
        } catch (err) {
          if (ctx.signal.aborted) throw ctx.signal.reason ?? err; // cancelled: not a source failure
          throw toDocsyncError(err, { route, userId: ctx.userId, externalId, secrets: this.secrets() });
        }
      },
      externalId,
    );
  }

  /**
   * A 401 a refresh can cure: the token expired, or Dropbox no longer accepts it (invalid_access_token,
   * e.g. revoked server side) while the refresh token may still be good; a second 401 is AuthError.
   */
  private isRefreshable(err: unknown): boolean {
    if (!this.config.refreshToken || !isDropboxHttpFailure(err) || err.status !== 401) return false;
    const tag = dropboxErrorTags(err)[0];
    return tag === 'expired_access_token' || tag === 'invalid_access_token';
  }

  /**
   * An SDK client whose requests are cancelled with the caller's activity: one per activity signal,
   * not one per call (a batch's 25 downloads would each build a fetch wrapper and an SDK object
   * they never use, since downloads stream past the SDK).
   */
  client(signal: AbortSignal): Dropbox {
    let dbx = this.clients.get(signal);
    if (!dbx) {
      const fetch = createDropboxFetch({ timeoutMs: this.config.requestTimeoutMs, apiBaseUrl: this.config.apiBaseUrl, signal });
      this.clients.set(signal, (dbx = new Dropbox({ auth: this.auth, fetch })));
    }
    return dbx;
  }

  secrets(): string[] {
    return [...secretValuesOf(dropboxConfigSchema, this.config), this.auth.getAccessToken()].filter(Boolean);
  }

  /** The SDK's own check (refresh when missing or < 5 min left), serialized per credential. */
  private freshToken(ctx: Ctx): Promise<string> {
    return this.refreshes.run(async () => {
      const before = this.auth.getAccessToken();
      await this.tokenRequest(ctx, () => this.auth.checkAndRefreshAccessToken() as unknown as Promise<void>);
      const after = this.auth.getAccessToken();
      if (after !== before) await this.persist(ctx);
      return after;
    });
  }

  /** Refresh after a 401, unless a concurrent caller already replaced the stale token. */
  private refreshExpired(ctx: Ctx, staleToken: string): Promise<void> {
    return this.refreshes.run(async () => {
      if (this.auth.getAccessToken() !== staleToken) return;
      // Typed `void` by the SDK, but returns a Promise.
      await this.tokenRequest(ctx, () => this.auth.refreshAccessToken() as unknown as Promise<void>);
      await this.persist(ctx);
    });
  }

  private async tokenRequest(ctx: Ctx, request: () => Promise<void>): Promise<void> {
    try {
      await request();
    } catch (err) {
      throw toDocsyncError(err, { route: 'oauth2/token', userId: ctx.userId, secrets: this.secrets() });
    }
  }

  private async persist(ctx: Ctx): Promise<void> {
    const accessToken = this.auth.getAccessToken();
    const expiresAt = this.auth.getAccessTokenExpiresAt();
    try {
      await ctx.saveCredentials({
        accessToken,
        ...(expiresAt ? { accessTokenExpiresAt: new Date(expiresAt).toISOString() } : {}),
      });
    } catch (err) {
      // The token stays valid in memory; failing to store it only costs a refresh later.
      ctx.logger.warn(
        { connector: CONNECTOR_NAME, userId: ctx.userId, error: (err as Error)?.name },
        'could not save the refreshed dropbox access token',
      );
    }
  }
}

/** Sessions by credential, bounded (least recently used dropped first). */
export class DropboxSessions {
  private readonly sessions = new Map<string, DropboxSession>();

  constructor(private readonly max = 200) {}

  get(config: DropboxConfig): DropboxSession {
    const key = createHash('sha256')
      .update([config.appKey, config.appSecret, config.refreshToken, config.apiBaseUrl ?? '', config.requestTimeoutMs].join('\0'))
      .digest('hex');
    let session = this.sessions.get(key);
    if (session) {
      this.sessions.delete(key);
      session.adopt(config);
    } else {
      session = new DropboxSession(config, key);
    }
    this.sessions.set(key, session);
    if (this.sessions.size > this.max) this.sessions.delete(this.sessions.keys().next().value!);
    return session;
  }
}

/** This process's sessions, one per credential (shared by all connector instances). */
export const workerSessions = new DropboxSessions();
