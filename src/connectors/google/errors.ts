// Turns googleapis/gaxios failures into docsync's typed errors: OAuth errors and 403 reasons
// first, then the shared status table (connectors/shared/http-errors.ts).
import { AuthError, DocsyncError, TransientError, type ErrorContext } from '../../core/errors.js';
import { redactSecrets } from '../shared/redact-secrets.js';
import { statusErrorKind, typedHttpError, type HttpErrorKind, type StatusTable } from '../shared/http-errors.js';
import { readGoogleFailure, type GoogleFailure } from './failure.js';
import { rateLimitError, type RateLimitSchedule } from './rate-limit.js';

/** A 403 says why in `errors[].reason`: quota, or a file Drive will not hand out, or (else) access. */
const REASONS_403: Readonly<Record<string, HttpErrorKind>> = {
  userRateLimitExceeded: 'rate-limit',
  rateLimitExceeded: 'rate-limit',
  dailyLimitExceeded: 'rate-limit',
  quotaExceeded: 'rate-limit',
  exportSizeLimitExceeded: 'unsupported',
  fileNotDownloadable: 'unsupported',
  cannotDownloadAbusiveFile: 'unsupported',
  fileNotExportable: 'unsupported',
  insufficientFilePermissions: 'unsupported',
  appNotAuthorizedToFile: 'unsupported',
};
/** A 400 is decided below (bad document vs bad config). */
const GOOGLE_STATUS: StatusTable = { 400: null };
const OAUTH_AUTH_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_scope', 'access_denied']);

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
  if (f.status === undefined) {
    if (isAbort(err)) return new TransientError(`${opts.connector} ${opts.operation} was aborted`, context);
    // No response at all: connection reset, refused, DNS, timeout.
    if (f.networkCode || (err as { config?: unknown })?.config) return new TransientError(message, context);
    return err instanceof Error ? err : new TransientError(message, context);
  }
  const kind =
    (f.status === 403 && f.reason ? REASONS_403[f.reason] : undefined) ??
    statusErrorKind(f.status, GOOGLE_STATUS) ??
    (f.status === 400 && opts.externalId ? 'unsupported' : 'config');
  if (kind === 'rate-limit') return rateLimitError(f, opts.schedule, message, context);
  return typedHttpError(kind, message, context, { fields: f.location ? [f.location] : [] });
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
