// The contract between the webhook receiver (server.ts) and one source's endpoint (routes/*.ts):
// a route verifies a request and says which users' syncs to wake; the server answers first and
// signals afterwards, so a provider never waits on Temporal.
import type { IncomingHttpHeaders } from 'node:http';

export interface WebhookRequest {
  method: string;
  /** The path below the route's prefix ('' or '/…'). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as received (signatures are computed over these bytes). */
  body: Buffer;
}

export interface WebhookResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A user whose sync a notification wakes (nothing else from a notification body is trusted). */
export interface WakeTarget {
  connector: string;
  userId: string;
}

export interface WebhookOutcome {
  response: WebhookResponse;
  /** Syncs to signal `syncNow` after the response was sent. */
  wake?: WakeTarget[];
}

export interface WebhookRoute {
  /** Path prefix the route serves, e.g. '/dropbox' (exact segment match). */
  readonly prefix: string;
  /** Body bound for this route (default: the server's). */
  readonly maxBodyBytes?: number;
  handle(request: WebhookRequest): Promise<WebhookOutcome>;
}

/** A 4xx answer with a short plain-text reason (never echoing request content). */
export function refuse(status: number, reason: string): WebhookOutcome {
  return { response: { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${reason}\n` } };
}

export function accepted(wake: WakeTarget[] = []): WebhookOutcome {
  return { response: { status: 200 }, wake };
}
