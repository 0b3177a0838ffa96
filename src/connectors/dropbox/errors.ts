// Turns Dropbox failures (SDK DropboxResponseError, our own streaming responses, network
// errors) into docsync's typed errors: Dropbox's own codes (429 bodies, 409 tags, refused
// cursors) first, then the shared status table. Messages name connector, route, status and
// the Dropbox error tag; never tokens, secrets or URLs.
import { AuthError, DocsyncError, NotFoundError, TransientError, type ErrorContext } from '../../core/errors.js';
import { statusErrorKind, typedHttpError, type StatusTable } from '../shared/http-errors.js';
import { resolveRetryAt } from '../shared/retry-after.js';
import { bodyExcerpt, redactSecrets } from '../shared/redact-secrets.js';

export const CONNECTOR_NAME = 'dropbox';

/**
 * Dropbox reports a missing file as 409 path/not_found; a 404 or 410 means a wrong endpoint, not a
 * missing document, so it stays a DropboxApiError (retried) like other unmapped statuses.
 */
const DROPBOX_STATUS: StatusTable = { 404: null, 410: null };

/** A Dropbox API error that fits no typed class (other 4xx): retried like any plain error. */
export class DropboxApiError extends DocsyncError {
  constructor(
    message: string,
    context: ErrorContext,
    /** First tag of the error union ("reset", "path", "unsupported_file"...). */
    readonly tag: string | undefined,
  ) {
    super(message, context);
  }
}

export interface DropboxErrorScope {
  /** "files/list_folder", "files/download", "oauth2/token"... */
  route: string;
  userId: string;
  externalId?: string;
  /** Values to scrub from any text copied into a message. */
  secrets: string[];
}

/** The shape of the SDK's DropboxResponseError (its typings do not declare it an Error). */
export interface DropboxHttpFailure {
  status: number;
  headers?: { get(name: string): string | null };
  /** Parsed JSON body, or the raw text when it was not JSON. */
  error: unknown;
}

export function isDropboxHttpFailure(err: unknown): err is DropboxHttpFailure {
  return typeof err === 'object' && err !== null && typeof (err as DropboxHttpFailure).status === 'number' && 'error' in err;
}

/** Tag path of the error union: ["path", "not_found"], ["reset"], ["expired_access_token"]. */
export function dropboxErrorTags(err: unknown): string[] {
  if (!isDropboxHttpFailure(err)) return [];
  const body = err.error as { error?: unknown } | string | null;
  if (!body || typeof body !== 'object') return [];
  if (typeof body.error === 'string') return [body.error]; // oauth2/token: {error: "invalid_grant"}
  const tags: string[] = [];
  let node = body.error as Record<string, unknown> | undefined;
  if (node && !node['.tag'] && typeof node.reason === 'object') node = node.reason as Record<string, unknown>; // 429
  while (node && typeof node === 'object' && typeof node['.tag'] === 'string') {
    const tag = node['.tag'] as string;
    tags.push(tag);
    node = node[tag] as Record<string, unknown> | undefined;
  }
  return tags;
}

export function isExpiredTokenError(err: unknown): boolean {
  return isDropboxHttpFailure(err) && err.status === 401 && dropboxErrorTags(err)[0] === 'expired_access_token';
}

export function toDocsyncError(err: unknown, scope: DropboxErrorScope): unknown {
  const context: ErrorContext = { connector: CONNECTOR_NAME, userId: scope.userId, externalId: scope.externalId };
  const where = `dropbox ${scope.route} for user ${scope.userId}${scope.externalId ? ` (doc ${scope.externalId})` : ''}`;
  // Timeouts/network failures from the shared fetch layer know the route but not the user.
  if (err instanceof TransientError && !err.context.connector) {
    const message = err.message.startsWith(where) ? err.message : `${where} failed: ${err.message.replace(/^dropbox \S+: /, '')}`;
    return new TransientError(message, { ...context, ...err.context }, { cause: err });
  }
  if (err instanceof DocsyncError) return err;
  if ((err as Error)?.name === 'AbortError') return err;
  if (!isDropboxHttpFailure(err)) {
    const message = redactSecrets(err instanceof Error ? err.message : String(err), scope.secrets);
    return new DocsyncError(`${where} failed: ${message}`, context, { cause: err });
  }

  const { status } = err;
  const tags = dropboxErrorTags(err);
  const detail = describeBody(err, tags, scope.secrets);
  const message = `${where} failed: HTTP ${status}${detail ? ` ${detail}` : ''}`;
  const withStatus: ErrorContext = { ...context, status };
  const retryAfterHeader = err.headers?.get('retry-after') ?? null;

  if (status === 429 || (status === 503 && retryAfterHeader)) {
    const body = err.error as { error?: { retry_after?: unknown } } | null;
    const retryAt = resolveRetryAt({ header: retryAfterHeader, bodySeconds: body?.error?.retry_after });
    return typedHttpError('rate-limit', message, withStatus, { retryAt });
  }
  if (scope.route === 'oauth2/token' && status < 500) {
    return new AuthError(`${message}: the refresh token or app credentials were rejected`, withStatus);
  }
  if (status === 409 && tags[0] === 'path' && tags[1] === 'not_found') {
    if (scope.route.startsWith('files/list_folder')) {
      // The synced folder is gone (deleted, moved, or never created): an outage of this source that
      // the sync waits out, never a config error that would end it nor an empty listing that sweeps.
      return new NotFoundError(`${message}: the folder rootPath names does not exist (deleted or moved?)`, withStatus);
    }
    return new NotFoundError(message, withStatus);
  }
  const cursorRoute = scope.route === 'files/list_folder/continue' || scope.route === 'files/list_folder/longpoll';
  if (status === 400 && cursorRoute && typeof err.error === 'string' && /\bcursor\b/i.test(err.error)) {
    // A cursor Dropbox cannot decode (garbage or corrupted milestone) can only be replaced by a
    // new listing: report it like a reset so the connector starts over (and the store sweeps).
    return new DropboxApiError(`${message}: the cursor was refused`, withStatus, 'reset');
  }
  const kind = statusErrorKind(status, DROPBOX_STATUS);
  return kind ? typedHttpError(kind, message, withStatus) : new DropboxApiError(message, withStatus, tags[0]);
}

function describeBody(err: DropboxHttpFailure, tags: string[], secrets: string[]): string {
  const body = err.error;
  if (typeof body === 'string') return bodyExcerpt(body, secrets);
  const summary = (body as { error_summary?: unknown } | null)?.error_summary;
  if (typeof summary === 'string') return bodyExcerpt(summary, secrets);
  return tags.length ? tags.join('/') : '';
}
