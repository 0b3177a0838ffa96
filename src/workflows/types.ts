// Types shared by the workflows and the activities they call. Pure: no runtime imports.
import type { ChangeWait, JsonObject, Milestone } from '../core/contract.js';
import type { ConnectorRef, DocRef } from '../core/refs.js';

export type { ChangeWait, ConnectorRef, DocRef, JsonObject, Milestone };

export const DEFAULT_TASK_QUEUE = 'docsync';

export type Phase = 'starting' | 'listing' | 'fetching' | 'idle' | 'rate-limited' | 'paused' | 'failed' | 'auth-failed' | 'cancelled';

export interface SyncOptions {
  /** Seconds between syncs once caught up (a `syncNow` signal starts one earlier). Default 3600. */
  syncIntervalSeconds?: number;
  /** Sliding window: retrieveDoc children running at once. Default 20. */
  maxInFlight?: number;
  /** Continue-as-new after this many listing pages in one run. Default 200. */
  pagesPerRun?: number;
  /** Continue-as-new once history has this many events. Default 8000. */
  maxHistoryEvents?: number;
  /** Stop after the first caught-up sync once no document is in flight (one-off syncs, demos). */
  once?: boolean;
  /** false: metadata only, no retrieveDoc children (listing benchmarks, metadata-only users). Default true. */
  fetchContent?: boolean;
  /**
   * Small documents (listed size ≤ 1 MiB) are fetched up to this many per activity call; the rest,
   * and any a batch cannot finish, get a retrieveDoc child each. 0 or 1: a child per document. Default 25.
   */
  batchSize?: number;
  /**
   * Batch activities one user may have in flight at once, across the pages being fetched; halves
   * on a rate limit and grows back by one per clean batch. Default 4.
   */
  batchLanes?: number;
  /** Attempts of one document's download before it is recorded as failed. Default 5. */
  docMaxAttempts?: number;
  /** Upsert Docsync* search attributes (the namespace must have them registered). Default true. */
  searchAttributes?: boolean;
  /**
   * While idle, long-poll the source for changes (connectors with waitForChanges: Dropbox
   * list_folder/longpoll) and start the next sync as soon as it answers. Default false.
   */
  longpoll?: boolean;
}

export interface SyncCounters {
  pages: number;
  listed: number;
  fetched: number;
  unchanged: number;
  skipped: number;
  failed: number;
  deleted: number;
  rateLimitWaits: number;
}

/** What one run hands to the next through continue-as-new. */
export interface CarriedState {
  milestone: Milestone;
  counters: SyncCounters;
  inFlight: string[];
  syncRunId?: string;
  pageNo: number;
  sweeping: boolean;
  paused: boolean;
  syncRequested: boolean;
  lastSyncAt?: string;
  lastError?: string;
  runs: number;
  /** Most documents one page has asked to fetch so far: sizes the history budget of the next page. */
  largestPage?: number;
  /** Most documents one page has handed to retrieveDoc children, and most batches one page has run. */
  largestChildPage?: number;
  largestBatchCount?: number;
  /** Listing calls refused in a row by a rate limit (unset after any page): drives a connector's backoff. */
  rateLimitStreak?: number;
  /** The last listing's connector can long-poll for changes (waitForChanges). */
  canWaitForChanges?: boolean;
  /** The current (or last) sync run's progress, for the status ETA; absent in runs carried before it. */
  syncRunProgress?: SyncRunProgress;
}

export interface SyncRunProgress {
  /** Workflow time (ms) the sync run began. */
  startedAt: number;
  /** Documents processed (fetched, unchanged, skipped, failed) before it began. */
  processedBefore: number;
  /** Documents its listed pages asked to fetch so far. */
  toFetch: number;
}

export interface SyncUserInput {
  connector: string;
  userId: string;
  /** Reference to encrypted credentials in the store; never the secrets themselves. */
  credentialRef?: string;
  /** Non-secret connector options (merged with the decrypted credentials in activities). */
  config?: JsonObject;
  options?: SyncOptions;
  /** Set by continue-as-new only. */
  carried?: CarriedState;
}

/** What a running sync was started with (the `settings` query): options with their defaults filled in. */
export interface SyncSettings {
  credentialRef?: string;
  config?: JsonObject;
  options: Required<SyncOptions>;
}

export interface SyncStatus {
  workflowId: string;
  connector: string;
  userId: string;
  phase: Phase;
  counters: SyncCounters;
  inFlight: number;
  nextSyncAt?: string;
  waitReason?: string;
  lastError?: string;
  lastSyncAt?: string;
  syncRunId?: string;
  /**
   * Seconds until the documents left are done, at the pace of the current sync run (workflow time);
   * unset until a document is done or when nothing is left. Pages not listed yet are not counted.
   */
  etaSeconds?: number;
  /** Documents the current sync run's listed pages asked to fetch that are not done yet (in flight included). */
  documentsLeft?: number;
  runsSoFar: number;
}

export interface RetrieveMetadataInput extends ConnectorRef {
  milestone: Milestone;
  syncRunId: string;
  pageNo: number;
  /** A full enumeration is in progress: stamp rows and sweep when it ends. */
  sweep: boolean;
  /** false: metadata-only sync: return no documents to fetch (rows stay pending; nothing parked is re-queued). */
  fetchContent?: boolean;
  /** Listing calls refused in a row by a rate limit before this one; unset when none. */
  rateLimitStreak?: number;
}

export interface RetrieveMetadataResult {
  toFetch: DocRef[];
  upserted: number;
  deleted: number;
  milestone: Milestone;
  hasMore: boolean;
  reset: boolean;
  /** Set when the connector has waitForChanges (the idle sync may long-poll with this milestone). */
  canWaitForChanges?: boolean;
}

/** One long poll for changes after `milestone` (the connector's waitForChanges). */
export interface WaitForChangesInput extends ConnectorRef {
  milestone: Milestone;
}

export type DocOutcome = 'fetched' | 'unchanged' | 'skipped' | 'deleted' | 'superseded' | 'failed';

export interface RetrieveDataResult {
  /** 'failed' when the content itself is broken (retrying would not help); the row holds why. */
  outcome: DocOutcome;
  sha256?: string;
  size?: number;
  textBytes?: number;
  reason?: string;
}

export interface RetrieveDocInput extends ConnectorRef {
  doc: DocRef;
  parentWorkflowId: string;
  syncRunId?: string;
  maxAttempts?: number;
}

export interface RetrieveBatchInput extends ConnectorRef {
  docs: DocRef[];
  parentWorkflowId: string;
  syncRunId?: string;
}

export interface RetrieveBatchResult {
  outcomes: Partial<Record<DocOutcome, number>>;
  /** Documents for retrieveDoc children: large, or not tried after a rate limit. */
  left: DocRef[];
  /** Documents whose one attempt in the batch failed: their children have one attempt fewer. */
  failed: DocRef[];
  /** Set when the source refused with a rate limit: nothing more may call it before then. */
  retryAt?: string;
}

export interface RecordDocFailureInput extends ConnectorRef {
  doc: DocRef;
  error: string;
  syncRunId?: string;
}

export interface DocRateLimited {
  childId: string;
  retryAt: string;
}

export interface DocDone {
  childId: string;
  outcome: DocOutcome;
}
