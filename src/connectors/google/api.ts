// Opens a generated Google API client (Drive, Gmail) for one connector call: our auth session, the
// test-only root URL, gaxios retries off (quota and outages are retried by the workflow, honouring
// Retry-After), and the per-call options every metadata request takes.
import { z } from 'zod';
import type { ConnectorContext } from '../../core/contract.js';
import { GoogleSession, type GoogleAuthConfig } from './auth.js';
import { RATE_LIMIT_BASE_MS } from './rate-limit.js';

export interface GoogleClientOptions {
  auth: GoogleSession['client'];
  rootUrl?: string;
  /** `{retry: 0}` is the setting that always disables gaxios retries; `retry: false` is undone by any retryConfig. */
  retryConfig: { retry: number };
}

/** What every Google connector's config has besides credentials. */
export type GoogleApiConfig = GoogleAuthConfig & { requestTimeoutMs: number };

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
