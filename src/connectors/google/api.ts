// Options for the generated Drive/Gmail clients: our auth client, the test-only root URL, and
// gaxios retries off (quota and outages are retried by the workflow, honouring Retry-After).
import type { ConnectorContext } from '../../core/contract.js';
import type { GoogleAuthConfig, GoogleSession } from './auth.js';

export interface GoogleClientOptions {
  auth: GoogleSession['client'];
  rootUrl?: string;
  /** `{retry: 0}` is the setting that always disables gaxios retries; `retry: false` is undone by any retryConfig. */
  retryConfig: { retry: number };
}

export function clientOptions(config: GoogleAuthConfig, session: GoogleSession): GoogleClientOptions {
  // A path inside rootUrl is dropped by the generated clients: keep the origin only.
  const rootUrl = config.apiBaseUrl ? `${new URL(config.apiBaseUrl).origin}/` : undefined;
  return { auth: session.client, rootUrl, retryConfig: { retry: 0 } };
}

/** Per-call options: the activity's abort signal, plus a deadline for non-streamed calls. */
export function callOptions(ctx: ConnectorContext<unknown>, timeoutMs?: number): { signal: AbortSignal; timeout?: number } {
  return timeoutMs ? { signal: ctx.signal, timeout: timeoutMs } : { signal: ctx.signal };
}
