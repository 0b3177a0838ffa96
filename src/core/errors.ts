// The typed errors connectors, the pipeline and the store throw, and the one list of error types no
// activity retry policy may retry. Pure (no Node or Temporal import): workflows import it too.
export interface ErrorContext {
  connector?: string;
  userId?: string;
  externalId?: string;
  status?: number;
}

export class DocsyncError extends Error {
  readonly context: ErrorContext;
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
  }
}

/** The source asked us to slow down; nothing may be called before `retryAt`. */
export class RateLimitError extends DocsyncError {
  readonly retryAt: Date;
  constructor(retryAt: Date, message = `rate limited until ${retryAt.toISOString()}`, context: ErrorContext = {}) {
    super(message, context);
    this.retryAt = retryAt;
  }
}

/** Credentials are missing, invalid, expired beyond refresh, or revoked. Not retried. */
export class AuthError extends DocsyncError {}

/** The document (or resource) no longer exists at the source. */
export class NotFoundError extends DocsyncError {}

/** The configuration is invalid; `fields` names each bad field. Not retried. */
export class ConfigError extends DocsyncError {
  readonly fields: string[];
  constructor(message: string, fields: string[] = [], context: ErrorContext = {}) {
    super(message, context);
    this.fields = fields;
  }
}

/** The content cannot be extracted (unsupported type, over a size cap...). The doc is skipped. */
export class UnsupportedContentError extends DocsyncError {}

/** A temporary failure (5xx, timeout, connection reset): retried with backoff. */
export class TransientError extends DocsyncError {}

/** Error class names that must never be retried by an activity retry policy. */
export const NON_RETRYABLE_ERROR_TYPES = [
  'RateLimitError',
  'AuthError',
  'NotFoundError',
  'ConfigError',
  'UnsupportedContentError',
] as const;
