// Google credentials shared by the Drive and Gmail connectors: user OAuth (refresh token) or a
// service account with domain-wide delegation, with deterministic 401 handling and refreshed
// tokens saved back through ctx.saveCredentials. One auth client per credential per process, so
// concurrent calls share the token and its refresh (N downloads → one token request), and every
// call passes the credential's rate-limit gate.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { JWT, OAuth2Client, type Credentials } from 'google-auth-library';
import { secret, type CallGate, type ConnectorContext, type JsonObject } from '../../core/contract.js';
import { secretValuesOf } from '../config.js';
import { gateOf } from '../shared/rate-limit-gate.js';
import { SerialQueue } from '../shared/serial-queue.js';
import { ExpiredCursorError } from '../shared/two-phase-lister.js';
import { mapGoogleError } from './errors.js';
import { readGoogleFailure, type GoogleFailure } from './failure.js';
import type { RateLimitSchedule } from './rate-limit.js';

/** The token URL google-auth-library's JWT/gtoken hard-code (and sign into the assertion). */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** "Unknown expiry": use the token until Google rejects it (keeps the library from replaying 403s). */
const UNKNOWN_EXPIRY = 8_640_000_000_000_000;

const loopbackUrl = z.url({ protocol: /^https?$/ }).refine((u) => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(u).hostname), {
  message: 'tests only: must point at a loopback address',
});

/** Credential fields, merged flat into each Google connector's config. */
export const googleAuthShape = {
  clientId: z.string().min(1).optional(),
  clientSecret: secret(z.string().min(1).optional()),
  refreshToken: secret(z.string().min(1).optional()),
  /** Last access token issued (user or service account); refreshed and saved back when rejected. */
  accessToken: secret(z.string().min(1).optional()),
  /** Epoch milliseconds. Unknown: the token is used until a 401. */
  expiryDate: z.number().int().positive().optional(),
  /** A service-account key (the JSON key file's object); `subject` is the user to impersonate. */
  serviceAccount: secret(
    z.object({ client_email: z.string().min(1), private_key: z.string().min(1), private_key_id: z.string().optional() }).optional(),
  ),
  subject: z.string().min(1).optional(),
  /** Tests only: the OAuth token endpoint (loopback). */
  tokenUrl: loopbackUrl.optional(),
  /** Tests only: the API root (loopback), passed to the generated client as `rootUrl`. */
  apiBaseUrl: loopbackUrl.optional(),
};

export type GoogleAuthConfig = {
  [K in keyof typeof googleAuthShape]?: z.output<(typeof googleAuthShape)[K]>;
};

/** Either a complete user-OAuth triple or a service account + subject; names each missing field. */
export function checkGoogleAuth(config: GoogleAuthConfig, ctx: z.RefinementCtx): void {
  const missing = (field: string, why: string) => ctx.addIssue({ code: 'custom', path: [field], message: why });
  if (config.serviceAccount) {
    if (!config.subject) missing('subject', 'required with serviceAccount (the user to impersonate)');
    return;
  }
  for (const field of ['clientId', 'clientSecret', 'refreshToken'] as const) {
    if (!config[field]) missing(field, 'required for user OAuth (or give serviceAccount + subject)');
  }
}

const googleAuthSchema = z.object(googleAuthShape);

export interface RunOptions {
  externalId?: string;
  schedule: RateLimitSchedule;
  /** Failures that mean "cursor expired": thrown as ExpiredCursorError for the caller to re-list. */
  isExpiredCursor?: (f: GoogleFailure) => boolean;
}

/** What every call with one credential shares in this process. */
interface SharedCredential {
  client: OAuth2Client;
  /** 401 refreshes, one at a time: a caller whose stale token was already replaced just retries. */
  refreshes: SerialQueue;
  /** Tokens issued since (to redact), and the last session's saver: a refreshed token is saved once. */
  issued: string[];
  save?: (tokens: Credentials) => void;
  saving: Promise<void>;
}

const MAX_SHARED = 200;
const sharedCredentials = new Map<string, SharedCredential>();

/** Non-secret name of a credential: a hash of everything that identifies it. */
function fingerprintOf(config: GoogleAuthConfig, scopes: string[]): string {
  const sa = config.serviceAccount;
  const parts = [
    config.clientId,
    config.clientSecret,
    config.refreshToken,
    sa?.client_email,
    sa?.private_key,
    config.subject,
    config.tokenUrl,
  ];
  return createHash('sha256')
    .update([...parts.map((p) => p ?? ''), scopes.join(' ')].join('\0'))
    .digest('hex');
}

/**
 * A Google session for one connector call, on the credential's shared client. `run` makes an API
 * call through the rate-limit gate, and after a 401 marks the token expired so the library
 * refreshes exactly once (per credential) before the single replay. The library's own replay is
 * kept off by always setting `expiry_date` (it only replays when that is missing, and would then
 * also replay 403 rate limits).
 */
export class GoogleSession {
  readonly client: OAuth2Client;
  private readonly secrets: string[];
  private readonly shared: SharedCredential;
  private readonly gate: CallGate;

  constructor(
    private readonly ctx: ConnectorContext<GoogleAuthConfig>,
    private readonly connector: string,
    scopes: string[],
  ) {
    const config = ctx.config;
    this.secrets = secretValuesOf(googleAuthSchema, config);
    this.shared = this.sharedCredential(config, scopes);
    this.client = this.shared.client;
    // The latest caller saves: every caller of one credential writes the same credential row.
    this.shared.save = (tokens) => this.save(tokens);
    // Without an engine gate (hand-built contexts) there is no process-wide wait, as before.
    this.gate = gateOf(ctx, connector);
  }

  /** Runs one API call (one replay after a 401) and maps failures to docsync errors. */
  run<T>(operation: string, call: () => Promise<T>, opts: RunOptions): Promise<T> {
    return this.gate.run(operation, () => this.authorizedRun(operation, call, opts), opts.externalId);
  }

  private async authorizedRun<T>(operation: string, call: () => Promise<T>, opts: RunOptions): Promise<T> {
    try {
      const tokenUsed = this.client.credentials.access_token;
      try {
        return await call();
      } catch (err) {
        const f = readGoogleFailure(err);
        if (f.status !== 401 || f.oauthError) throw err;
        this.ctx.logger.info({ connector: this.connector, operation }, 'access token rejected; refreshing once');
        await this.refreshRejected(tokenUsed);
        this.gate.check(operation, opts.externalId);
        return await call();
      }
    } catch (err) {
      const f = readGoogleFailure(err);
      if (opts.isExpiredCursor?.(f)) throw new ExpiredCursorError(operation, f.status);
      throw mapGoogleError(err, {
        connector: this.connector,
        userId: this.ctx.userId,
        operation,
        externalId: opts.externalId,
        schedule: opts.schedule,
        secrets: [...this.secrets, ...this.shared.issued, this.client.credentials.access_token ?? undefined],
      });
    } finally {
      await this.shared.saving;
    }
  }

  /** One refresh per credential: callers that queued behind it find the token replaced and just retry. */
  private refreshRejected(staleToken: string | null | undefined): Promise<void> {
    return this.shared.refreshes.run(async () => {
      if (this.client.credentials.access_token !== staleToken) return;
      this.client.credentials = { ...this.client.credentials, expiry_date: 1 };
      // getRequestHeaders refreshes an expiring token (user OAuth and service accounts alike).
      await this.client.getRequestHeaders();
    });
  }

  private sharedCredential(config: GoogleAuthConfig, scopes: string[]): SharedCredential {
    const key = fingerprintOf(config, scopes);
    let shared = sharedCredentials.get(key);
    if (shared) {
      sharedCredentials.delete(key);
      adoptStoredToken(shared.client, config);
    } else {
      const client = config.serviceAccount ? this.serviceAccountClient(config, scopes) : this.userClient(config);
      client.transporter.interceptors.request.add({
        resolved: async (opts) => {
          // Token requests default to 3 retries on 5xx/429: quota and outages are the workflow's job.
          opts.retry = false;
          opts.retryConfig = { retry: 0 };
          if (config.tokenUrl && String(opts.url) === GOOGLE_TOKEN_URL) opts.url = new URL(config.tokenUrl);
          return opts;
        },
      });
      const created: SharedCredential = { client, refreshes: new SerialQueue(), issued: [], saving: Promise.resolve() };
      client.on('tokens', (tokens: Credentials) => created.save?.(tokens));
      shared = created;
    }
    sharedCredentials.set(key, shared);
    if (sharedCredentials.size > MAX_SHARED) sharedCredentials.delete(sharedCredentials.keys().next().value!);
    return shared;
  }

  private userClient(config: GoogleAuthConfig): OAuth2Client {
    const client = new OAuth2Client({
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      endpoints: config.tokenUrl ? { oauth2TokenUrl: config.tokenUrl } : undefined,
    });
    client.setCredentials({
      refresh_token: config.refreshToken,
      access_token: config.accessToken,
      expiry_date: config.accessToken ? (config.expiryDate ?? UNKNOWN_EXPIRY) : undefined,
    });
    return client;
  }

  private serviceAccountClient(config: GoogleAuthConfig, scopes: string[]): JWT {
    const key = config.serviceAccount!;
    const client = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes, subject: config.subject });
    if (config.accessToken) {
      client.setCredentials({ access_token: config.accessToken, expiry_date: config.expiryDate ?? UNKNOWN_EXPIRY });
    }
    return client;
  }

  private save(tokens: Credentials): void {
    if (!tokens.access_token) return;
    // Kept for redaction; the last few are enough (older ones expired long ago).
    this.shared.issued.splice(0, Math.max(0, this.shared.issued.length - 8), tokens.access_token);
    const secrets: JsonObject = { accessToken: tokens.access_token };
    if (tokens.expiry_date) secrets.expiryDate = tokens.expiry_date;
    if (tokens.refresh_token && tokens.refresh_token !== this.ctx.config.refreshToken) {
      secrets.refreshToken = tokens.refresh_token;
      this.shared.issued.push(tokens.refresh_token);
    }
    this.shared.saving = this.shared.saving
      .then(() => this.ctx.saveCredentials(secrets))
      .catch((err: unknown) => {
        this.ctx.logger.warn({ connector: this.connector, error: (err as Error)?.name }, 'could not save refreshed Google credentials');
      });
  }
}

/**
 * Takes the stored token when it differs from ours and expires no earlier (another worker refreshed
 * it, or the credential was re-authorized); a stale stored copy of a token we already replaced is ignored.
 */
function adoptStoredToken(client: OAuth2Client, config: GoogleAuthConfig): void {
  if (!config.accessToken || config.accessToken === client.credentials.access_token) return;
  const stored = config.expiryDate ?? UNKNOWN_EXPIRY;
  if (stored >= (client.credentials.expiry_date ?? 0)) {
    client.credentials = { ...client.credentials, access_token: config.accessToken, expiry_date: stored };
  }
}
