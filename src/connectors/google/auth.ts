// Google credentials shared by the Drive and Gmail connectors: user OAuth (refresh token) or a
// service account with domain-wide delegation, with deterministic 401 handling and refreshed
// tokens saved back through ctx.saveCredentials.
import { z } from 'zod';
import { JWT, OAuth2Client, type Credentials } from 'google-auth-library';
import { secret, type ConnectorContext, type JsonObject } from '../../core/contract.js';
import { secretValuesOf } from '../config.js';
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

/**
 * One authenticated Google session per connector call. `run` makes an API call, and after a
 * 401 marks the token expired so the library refreshes exactly once before the single replay.
 * The library's own replay is kept off by always setting `expiry_date` (it only replays when
 * that is missing, and would then also replay 403 rate limits).
 */
export class GoogleSession {
  readonly client: OAuth2Client;
  private readonly secrets: string[];
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: ConnectorContext<GoogleAuthConfig>,
    private readonly connector: string,
    scopes: string[],
  ) {
    const config = ctx.config;
    this.secrets = secretValuesOf(googleAuthSchema, config);
    this.client = config.serviceAccount ? this.serviceAccountClient(config, scopes) : this.userClient(config);
    this.client.transporter.interceptors.request.add({
      resolved: async (opts) => {
        // Token requests default to 3 retries on 5xx/429: quota and outages are the workflow's job.
        opts.retry = false;
        opts.retryConfig = { retry: 0 };
        if (config.tokenUrl && String(opts.url) === GOOGLE_TOKEN_URL) opts.url = new URL(config.tokenUrl);
        return opts;
      },
    });
    this.client.on('tokens', (tokens: Credentials) => this.save(tokens));
  }

  /** Runs one API call (one replay after a 401) and maps failures to docsync errors. */
  async run<T>(operation: string, call: () => Promise<T>, opts: RunOptions): Promise<T> {
    try {
      try {
        return await call();
      } catch (err) {
        const f = readGoogleFailure(err);
        if (f.status !== 401 || f.oauthError) throw err;
        this.ctx.logger.info({ connector: this.connector, operation }, 'access token rejected; refreshing once');
        this.client.credentials = { ...this.client.credentials, expiry_date: 1 };
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
        secrets: [...this.secrets, this.client.credentials.access_token ?? undefined],
      });
    } finally {
      await this.saving;
    }
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
    this.secrets.push(tokens.access_token);
    const secrets: JsonObject = { accessToken: tokens.access_token };
    if (tokens.expiry_date) secrets.expiryDate = tokens.expiry_date;
    if (tokens.refresh_token && tokens.refresh_token !== this.ctx.config.refreshToken) {
      secrets.refreshToken = tokens.refresh_token;
      this.secrets.push(tokens.refresh_token);
    }
    this.saving = this.saving
      .then(() => this.ctx.saveCredentials(secrets))
      .catch((err: unknown) => {
        this.ctx.logger.warn({ connector: this.connector, error: (err as Error)?.name }, 'could not save refreshed Google credentials');
      });
  }
}
