// The contract every docsync connector implements (see docs/ARCHITECTURE.md): config schema,
// retrieveMetadata(milestone) pages and retrieveData streams. No Temporal import here.
import type { Readable } from 'node:stream';
import type { ZodType } from 'zod';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Connector-owned cursor, kept in workflow state. Must stay small (< 16 KiB as JSON). */
export type Milestone = JsonObject;
export const MAX_MILESTONE_BYTES = 16 * 1024;

export interface DocMetadata {
  /** Stable id at the source (Dropbox id, Drive file id, Gmail message id, relative path...). */
  externalId: string;
  title: string;
  path?: string;
  mimeType?: string;
  size?: number;
  /** ISO-8601 timestamp. */
  modifiedAt?: string;
  /** Changes whenever the content changes (rev, etag, content hash, historyId...). */
  version: string;
  /** Connector-specific, small, JSON-only details needed later by retrieveData. */
  extra?: JsonObject;
}

export interface MetadataPage {
  upserts: DocMetadata[];
  /** externalIds removed at the source. */
  deletes: string[];
  /** Deletions by path prefix (providers like Dropbox report deleted paths, not ids). */
  deletedPaths?: string[];
  milestone: Milestone;
  /** true: more pages are available now; false: caught up, wait for the next sync. */
  hasMore: boolean;
  /** The source invalidated the cursor: this page starts a full re-enumeration; sweep afterwards. */
  reset?: boolean;
  /**
   * The provider's id of the account this listing read (Dropbox account_id, Gmail emailAddress),
   * when the connector learned it: the activity records account → user (store/push.ts) so a push
   * notification naming the account reaches this user's sync.
   */
  sourceAccount?: string;
}

/** What a long poll for changes answered (Dropbox list_folder/longpoll). */
export interface ChangeWait {
  /** true: the source has changes after the milestone's cursor; list them now. */
  changes: boolean;
  /** The source asked not to poll again for this long (Dropbox `backoff`, in ms). */
  backoffMs?: number;
}

/** What docsync asks a provider to push to (Drive changes.watch, Gmail users.watch). */
export interface WatchRequest {
  /** Unique channel id chosen by docsync (Drive: the channel `id`; Gmail: docsync's own name for the watch). */
  channelId: string;
  /** Drive: the channel token the provider echoes on each notification. Never logged. */
  token: string;
  /** Drive: the receiver's HTTPS URL for this source (`address`). */
  address?: string;
  /** Gmail: the Pub/Sub topic (`projects/<p>/topics/<t>`). */
  topic?: string;
  /** Requested lifetime; the provider may grant less (the answer's expiresAt is the truth). */
  ttlMs: number;
}

/** A channel a provider accepted. */
export interface WatchChannel {
  channelId: string;
  /** Drive: resourceId (needed by channels.stop); Gmail: the topic. */
  resourceId?: string;
  expiresAt: Date;
  /** Gmail: the emailAddress watched (recorded as the source account of the user). */
  sourceAccount?: string;
}

export interface DataResult {
  body: Readable | Buffer;
  mimeType: string;
  size?: number;
  /**
   * What the content told about the document that its listing did not know (e.g. a message listed
   * by id only): the pipeline writes these fields on the row, with one `metadata` change if they differ.
   */
  metadata?: Partial<Pick<DocMetadata, 'title' | 'size' | 'modifiedAt' | 'extra'>>;
}

export interface ConnectorLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** Persists credentials a connector refreshed (OAuth access tokens) back to the store. */
export type CredentialSaver = (secrets: JsonObject) => Promise<void>;

export interface ConnectorContext<Config = unknown> {
  userId: string;
  /** Validated config: the non-secret options merged with the decrypted credentials. Never serialized. */
  config: Config;
  logger: ConnectorLogger;
  /** Aborted when the activity is cancelled or times out. */
  signal: AbortSignal;
  heartbeat(details?: unknown): void;
  /** Store refreshed secrets (only the secret fields). A no-op when the sync has no credential ref. */
  saveCredentials: CredentialSaver;
  /** retrieveMetadata only: listing calls refused in a row by a rate limit before this one (counted by the workflow). */
  rateLimitStreak?: number;
  /**
   * The credential's rate-limit gate, shared by every call with this credential (set by the engine;
   * connectors fall back to a process-local one when it is missing). Every network call passes it.
   */
  rateLimitGate?: CallGate;
}

/** One credential's rate-limit gate (connectors/shared/rate-limit-gate.ts). */
export interface CallGate {
  /** Throws RateLimitError(retryAt) when the credential is inside an announced wait; no request is sent. */
  check(operation: string, externalId?: string): void;
  /** `check`, then `call`; a RateLimitError thrown by `call` records the wait for every caller of this credential. */
  run<T>(operation: string, call: () => Promise<T>, externalId?: string): Promise<T>;
}

/** zod metadata key that marks a config field as a credential (see `secret`). */
export const SECRET_META_KEY = 'secret';

/**
 * Marks a config field as a credential: accepted only from the encrypted credential store
 * (credentialRef), never from workflow input (it would sit in history forever), and its values
 * are redacted from error text. Everything else (refused fields, values to redact) is derived.
 */
export function secret<T extends ZodType>(field: T): T {
  return field.meta({ [SECRET_META_KEY]: true });
}

/**
 * `Config` is the validated config; `M` is the milestone as `milestoneSchema` parses it (the activity
 * parses the stored JSON before each retrieveMetadata call). Without a schema, M is the raw JSON.
 */
export interface Connector<Config = unknown, M = Milestone> {
  readonly name: string;
  /** Fields holding credentials are marked with `secret(...)`. */
  readonly configSchema: ZodType<Config>;
  /**
   * Extra credential fields, for connectors whose schema cannot mark them. Prefer `secret(...)`
   * in configSchema: both are refused in workflow input.
   */
  readonly secretFields?: readonly string[];
  /**
   * Reads the stored milestone (workflow state, possibly written by an older version of the
   * connector). A value it refuses fails the listing with a ConfigError naming the fields; a
   * connector that would rather start over maps unusable cursors to a "restart" value instead.
   */
  readonly milestoneSchema?: ZodType<M>;
  /** Credentials + reachability check. */
  ping?(ctx: ConnectorContext<Config>): Promise<void>;
  retrieveMetadata(ctx: ConnectorContext<Config>, milestone: M): Promise<MetadataPage>;
  retrieveData(ctx: ConnectorContext<Config>, doc: DocMetadata): Promise<DataResult>;
  /**
   * Optional long poll: resolves when the source has changes after `milestone`'s cursor, or after
   * the provider's timeout with `changes: false`; honours `ctx.signal`. Needs no public endpoint
   * (Dropbox list_folder/longpoll). The engine runs at most one per user, while the sync is idle.
   */
  waitForChanges?(ctx: ConnectorContext<Config>, milestone: M): Promise<ChangeWait>;
  /** Optional push channel: asks the provider to notify the receiver of changes (Drive changes.watch, Gmail users.watch). */
  watch?(ctx: ConnectorContext<Config>, request: WatchRequest): Promise<WatchChannel>;
  /** Stops a channel `watch` created (Drive channels.stop, Gmail users.stop); a channel already gone is not an error. */
  unwatch?(ctx: ConnectorContext<Config>, channel: WatchChannel): Promise<void>;
}
