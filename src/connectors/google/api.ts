// Opens a generated Google API client (Drive, Gmail) for one connector call: our auth session, the
// test-only root URL, gaxios retries off (quota and outages are retried by the workflow, honouring
// Retry-After), and the per-call options every metadata request takes.
import { z } from 'zod';
import type { ConnectorContext } from '../../core/contract.js';
import { checkGoogleAuth, googleAuthShape, GoogleSession, type GoogleAuthConfig } from './auth.js';
import { RATE_LIMIT_BASE_MS } from './rate-limit.js';
import { requestTimeoutMsField } from '../shared/request-timeout.js';

export interface GoogleClientOptions {
  auth: GoogleSession['client'];
  rootUrl?: string;
  /** `{retry: 0}` is the setting that always disables gaxios retries; `retry: false` is undone by any retryConfig. */
  retryConfig: { retry: number };
}

/** What every Google connector's config has besides credentials. */
export type GoogleApiConfig = GoogleAuthConfig & { requestTimeoutMs: number };

/** A Google connector's config schema: the credentials, the request deadline, then its own fields. */
export function googleConfigSchema<Shape extends z.ZodRawShape>(shape: Shape) {
  return (
    z
      .object({
        ...googleAuthShape,
        /** Deadline for each metadata call; for streamed downloads, the wait for headers and for each next chunk. */
        requestTimeoutMs: requestTimeoutMsField(),
        ...shape,
      })
      // The generic shape hides the credential fields from inference; they are googleAuthShape's.
      .superRefine((config, ctx) => checkGoogleAuth(config as GoogleAuthConfig, ctx))
  );
}

export interface GoogleApi<Client> {
  client: Client;
  session: GoogleSession;
  /** Options for non-streamed calls: the activity's abort signal and the request deadline. */
  call: { signal: AbortSignal; timeout: number };
}

/** Calls without a milestone (ping, downloads) have no streak to count: a quota error waits a fixed 30 s. */
export const FIXED_SCHEDULE = { fixedMs: RATE_LIMIT_BASE_MS };

export function openGoogleApi<Client>(
  ctx: ConnectorContext<GoogleApiConfig>,
  connector: string,
  scopes: string[],
  createClient: (options: GoogleClientOptions) => Client,
): GoogleApi<Client> {
  const session = new GoogleSession(ctx, connector, scopes);
  // A path inside rootUrl is dropped by the generated clients: keep the origin only.
  const rootUrl = ctx.config.apiBaseUrl ? `${new URL(ctx.config.apiBaseUrl).origin}/` : undefined;
  const client = createClient({ auth: session.client, rootUrl, retryConfig: { retry: 0 } });
  return { client, session, call: { signal: ctx.signal, timeout: ctx.config.requestTimeoutMs } };
}

/**
 * Milestone fields every Google listing keeps: the rate-limit streak (google/rate-limit.ts) rides
 * in the milestone; an unreadable value counts as no streak.
 */
export const googleMilestoneFields = { rateLimitStreak: z.number().optional().catch(undefined) };
