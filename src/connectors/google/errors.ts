// Turns googleapis/gaxios failures into docsync's typed errors. Checks fields, never classes:
// two gaxios copies are loaded, so `instanceof GaxiosError` is unreliable (FACTS).
import { AuthError, ConfigError, DocsyncError, NotFoundError, TransientError, UnsupportedContentError, type ErrorContext } from '../../core/errors.js';
import { redactSecrets } from '../shared/redact-secrets.js';
import { rateLimitError, type RateLimitSchedule } from './rate-limit.js';

/** What we read from a failed Google call: all optional, since network errors have no response. */
export interface GoogleFailure {
  status?: number;
  /** First `errors[].reason` of the API envelope (e.g. `userRateLimitExceeded`). */
  reason?: string;
  /** Envelope message, or the OAuth `error_description`. */
  message?: string;
  /** OAuth token endpoint error code (`invalid_grant`, `invalid_client`...). */
  oauthError?: string;
  /** `location` of the first error (e.g. `pageToken`). */
  location?: string;
  retryAfter?: string;
  /** Node/undici error code for failures without a response (ECONNRESET...). */
  networkCode?: string;
}

interface Envelope {
  error?: string | { code?: number; message?: string; errors?: Array<{ reason?: string; message?: string; location?: string }> };
  error_description?: string;
}

export function readGoogleFailure(err: unknown): GoogleFailure {
  const e = err as {
    status?: number;
    code?: unknown;
    message?: string;
    response?: { status?: number; data?: unknown; headers?: { get?: (name: string) => string | null } };
  };
  const status = e?.response?.status ?? (typeof e?.status === 'number' ? e.status : undefined);
  const envelope = parseEnvelope(e?.response?.data) ?? parseEnvelope(e?.message);
  const failure: GoogleFailure = { status };
  if (typeof envelope?.error === 'string') {
    failure.oauthError = envelope.error;
    failure.message = envelope.error_description;
  } else if (envelope?.error) {
    const first = envelope.error.errors?.[0];
    failure.reason = first?.reason;
    failure.location = first?.location;
    failure.message = envelope.error.message ?? first?.message;
  }
  const retryAfter = typeof e?.response?.headers?.get === 'function' ? e.response.headers.get('retry-after') : undefined;
  if (retryAfter) failure.retryAfter = retryAfter;
  if (status === undefined && typeof e?.code === 'string') failure.networkCode = e.code;
  return failure;
}

/** Streamed error bodies arrive as strings (or inside err.message); parse when it is JSON. */
function parseEnvelope(data: unknown): Envelope | undefined {
  if (data && typeof data === 'object' && 'error' in data) return data as Envelope;
  if (typeof data !== 'string' || !data.trim().startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(data) as unknown;
    return parsed && typeof parsed === 'object' && 'error' in parsed ? (parsed as Envelope) : undefined;
  } catch {
    return undefined;
  }
}

const RATE_LIMIT_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'dailyLimitExceeded', 'quotaExceeded']);
const UNSUPPORTED_REASONS = new Set([
  'exportSizeLimitExceeded',
  'fileNotDownloadable',
  'cannotDownloadAbusiveFile',
  'fileNotExportable',
  'insufficientFilePermissions',
  'appNotAuthorizedToFile',
]);
const OAUTH_AUTH_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_scope', 'access_denied']);

export function isRateLimit(f: GoogleFailure): boolean {
  return f.status === 429 || (f.status === 403 && !!f.reason && RATE_LIMIT_REASONS.has(f.reason));
}

export interface MapOptions {
  connector: string;
  userId: string;
  /** The API call that failed, e.g. `changes.list`. */
  operation: string;
  externalId?: string;
  /** When to come back if Google says "slow down" without Retry-After. */
  schedule: RateLimitSchedule;
  /** Strings that must never appear in a message (tokens, client secret, private key). */
  secrets: ReadonlyArray<string | undefined>;
}

/** The source no longer knows the cursor (Drive page token, Gmail startHistoryId): re-list. */
export class ExpiredCursorError extends Error {
  constructor(readonly operation: string, readonly status?: number) {
    super(`${operation}: the cursor expired (HTTP ${status ?? '?'})`);
    this.name = 'ExpiredCursorError';
  }
}

/** Maps any failure of a Google call to a DocsyncError; DocsyncErrors pass through unchanged. */
export function mapGoogleError(err: unknown, opts: MapOptions): Error {
  if (err instanceof DocsyncError) return err;
  const f = readGoogleFailure(err);
  const context: ErrorContext = { connector: opts.connector, userId: opts.userId, externalId: opts.externalId, status: f.status };
  const detail = redactSecrets(describe(f), opts.secrets);
  const message = `${opts.connector} ${opts.operation}${opts.externalId ? ` (${opts.externalId})` : ''} failed: ${detail}`;

  if (f.oauthError) {
    if (OAUTH_AUTH_ERRORS.has(f.oauthError) || f.status === 400 || f.status === 401) return new AuthError(message, context);
  }
  if (isRateLimit(f)) return rateLimitError(f, opts.schedule, message, context);
  if (f.status === undefined) {
    if (isAbort(err)) return new TransientError(`${opts.connector} ${opts.operation} was aborted`, context);
    // No response at all: connection reset, refused, DNS, timeout.
    if (f.networkCode || (err as { config?: unknown })?.config) return new TransientError(message, context);
    return err instanceof Error ? err : new TransientError(message, context);
  }
  if (f.status === 401) return new AuthError(message, context);
  if (f.status === 403 && f.reason && UNSUPPORTED_REASONS.has(f.reason)) return new UnsupportedContentError(message, context);
  if (f.status === 403) return new AuthError(message, context);
  if (f.status === 404 || f.status === 410) return new NotFoundError(message, context);
  if (f.status === 408 || f.status >= 500) return new TransientError(message, context);
  if (f.status === 400 && opts.externalId) return new UnsupportedContentError(message, context);
  return new ConfigError(message, f.location ? [f.location] : [], context);
}

function describe(f: GoogleFailure): string {
  if (f.status === undefined) return `network error ${f.networkCode ?? '(no response)'}`;
  const code = f.oauthError ?? f.reason;
  return `HTTP ${f.status}${code ? ` ${code}` : ''}${f.message ? ` (${f.message.slice(0, 200)})` : ''}`;
}

function isAbort(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown; cause?: { name?: string } };
  return e?.name === 'AbortError' || e?.code === 'ABORT_ERR' || e?.cause?.name === 'AbortError';
}
