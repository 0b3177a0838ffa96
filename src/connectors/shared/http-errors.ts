// The HTTP status -> typed error table every HTTP connector starts from, with per-provider
// overrides (a provider's own codes and bodies, e.g. Dropbox 409 tags, Google 403 reasons, are
// read by the provider first; this table decides the rest).
import {
  AuthError,
  ConfigError,
  NotFoundError,
  RateLimitError,
  TransientError,
  UnsupportedContentError,
  type DocsyncError,
  type ErrorContext,
} from '../../core/errors.js';

export type HttpErrorKind = 'auth' | 'not-found' | 'transient' | 'rate-limit' | 'config' | 'unsupported';

/** Status (or '5xx' for every status from 500 on) -> kind; null: no typed class, the provider decides. */
export type StatusTable = Readonly<Partial<Record<number | '5xx', HttpErrorKind | null>>>;

export const HTTP_STATUS_ERRORS: StatusTable = {
  401: 'auth',
  403: 'auth',
  404: 'not-found',
  408: 'transient',
  410: 'not-found',
  429: 'rate-limit',
  '5xx': 'transient',
};

/** The kind for a status: the provider's override first, then the table; undefined when neither knows it. */
export function statusErrorKind(status: number, overrides: StatusTable = {}): HttpErrorKind | undefined {
  const table: StatusTable = { ...HTTP_STATUS_ERRORS, ...overrides };
  const kind = status in table ? table[status] : status >= 500 ? table['5xx'] : undefined;
  return kind ?? undefined;
}

export interface TypedErrorDetails {
  /** Required for 'rate-limit': when the source allows the next call. */
  retryAt?: Date;
  /** For 'config': the config fields at fault. */
  fields?: string[];
}

export function typedHttpError(kind: HttpErrorKind, message: string, context: ErrorContext, details: TypedErrorDetails = {}): DocsyncError {
  switch (kind) {
    case 'auth':
      return new AuthError(message, context);
    case 'not-found':
      return new NotFoundError(message, context);
    case 'transient':
      return new TransientError(message, context);
    case 'unsupported':
      return new UnsupportedContentError(message, context);
    case 'config':
      return new ConfigError(message, details.fields ?? [], context);
    case 'rate-limit': {
      const retryAt = details.retryAt ?? new Date(Date.now() + 60_000);
      return new RateLimitError(retryAt, `${message}; retry at ${retryAt.toISOString()}`, context);
    }
  }
}
