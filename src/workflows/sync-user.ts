// syncUser: one long-lived workflow per (connector, user). It pages through the connector's
// change feed, keeps the milestone in workflow state, fans documents out to retrieveDoc
// children in a sliding window, and turns rate limits into durable timers.
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  allHandlersFinished,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type * as activities from '../activities/index.js';
import {
  cancelSignal,
  docDoneSignal,
  docRateLimitedSignal,
  docWorkflowId,
  pauseSignal,
  resumeSignal,
  resyncSignal,
  searchAttributes,
  statusQuery,
  syncNowSignal,
} from './definitions.js';
import { classifyFailure, METADATA_ACTIVITY_OPTIONS } from './failures.js';
import { fetchInBatches, type LeftDoc } from './batches.js';
import { retrieveDoc } from './retrieve-doc.js';
import type { CarriedState, DocDone, DocOutcome, DocRef, Phase, RetrieveMetadataResult, SyncCounters, SyncOptions, SyncStatus, SyncUserInput } from './types.js';

const { retrieveMetadata } = proxyActivities<ReturnType<typeof activities.createActivities>>(METADATA_ACTIVITY_OPTIONS);

/**
 * Parent history events per document started: child initiated/started/completed, the docDone
 * signal, and a share of the workflow tasks they wake (measured ~5-7 in runs; rounded up).
 * Used only by runs recorded before the 'history-budget' patch.
 */
const EVENTS_PER_DOC = 8;
/**
 * Worst case per retrieveDoc child, however a busy machine splits workflow tasks: initiated,
 * started, completed and the docDone signal (4), each of the last three possibly waking its own
 * workflow task (scheduled/started/completed: 3 × 3).
 */
const MAX_EVENTS_PER_CHILD = 13;
/** Worst case per page besides its children: the listing activity (3) and its task (3), phase upserts,
 * batch activities with their tasks (6 per batch), a rate-limit timer, a patch marker; rounded up. */
const MAX_EVENTS_PER_PAGE_BASE = 24;
const MAX_EVENTS_PER_BATCH = 6;
/** Margin on the worst page this run has really cost (events seen from one page's start to the next). */
const MEASURED_MARGIN = 1.25;

const DEFAULTS: Required<SyncOptions> = {
  syncIntervalSeconds: 3600,
  maxInFlight: 20,
  pagesPerRun: 200,
  maxHistoryEvents: 8000,
  once: false,
  fetchContent: true,
  batchSize: 25,
  docMaxAttempts: 5,
  searchAttributes: true,
};

const emptyCounters = (): SyncCounters => ({
  pages: 0, listed: 0, fetched: 0, unchanged: 0, skipped: 0, failed: 0, deleted: 0, rateLimitWaits: 0,
});

export interface SyncUserResult {
  counters: SyncCounters;
  phase: Phase;
}

export async function syncUser(input: SyncUserInput): Promise<SyncUserResult> {
  const opts: Required<SyncOptions> = { ...DEFAULTS, ...stripUndefined(input.options ?? {}) };
  const info = workflowInfo();
  const carried = input.carried;
  const state: CarriedState = carried ?? {
    milestone: {},
    counters: emptyCounters(),
    inFlight: [],
    pageNo: 0,
    sweeping: false,
    paused: false,
    syncRequested: false,
    runs: 0,
  };
  const inFlight = new Set(state.inFlight);
  let phase: Phase = state.paused ? 'paused' : 'starting';
  let nextSyncAt: Date | undefined;
  let waitReason: string | undefined;
  let cancelled = false;
  let resumeRequested = false;
  let resyncRequested = false;
  let pagesThisRun = 0;
  // History budget: the events the costliest page of this run really added, and what the next page
  // can add at worst (children still in flight are counted in full).
  let pageStartedAt = workflowInfo().historyLength;
  let worstPageEvents = 0;
  // Per-credential budget (AIMD): a child that hits the source's rate limit tells us; we hold new
  // downloads until its retryAt and halve the window, then grow it back by one per finished doc.
  // Children already sleeping wake at their own retryAt, so the user's API is not stampeded.
  // (Declared before any handler: buffered signals run as soon as their handler is set.)
  let window = opts.maxInFlight;
  let holdUntil = 0;
  const runStartedAt = Date.now();
  const fetchedAtStart = state.counters.fetched + state.counters.unchanged + state.counters.skipped + state.counters.failed;

  const ref = {
    connector: input.connector,
    userId: input.userId,
    credentialRef: input.credentialRef,
    config: input.config,
    workflowId: info.workflowId,
  };

  function setPhase(next: Phase, reason?: string, wakeAt?: Date): void {
    waitReason = reason;
    const changed = next !== phase || wakeAt?.getTime() !== nextSyncAt?.getTime();
    phase = next;
    nextSyncAt = wakeAt;
    if (changed && opts.searchAttributes) {
      upsertSearchAttributes([
        { key: searchAttributes.phase, value: next },
        { key: searchAttributes.nextSyncAt, value: wakeAt ?? null },
      ]);
    }
  }

  function countOutcome(outcome: DocOutcome, n = 1): void {
    state.counters[outcome === 'superseded' ? 'unchanged' : outcome] += n;
  }

  function onDocDone(done: DocDone): void {
    if (!inFlight.delete(done.childId)) return;
    window = Math.min(opts.maxInFlight, window + 1);
    countOutcome(done.outcome);
  }

  function holdDownloads(retryAt: string): void {
    // Halve once per wait: every child caught by the same wait reports it.
    if (holdUntil <= Date.now()) window = Math.max(1, Math.floor(window / 2));
    holdUntil = Math.max(holdUntil, new Date(retryAt).getTime());
  }

  setHandler(statusQuery, (): SyncStatus => {
    const processed = state.counters.fetched + state.counters.unchanged + state.counters.skipped + state.counters.failed - fetchedAtStart;
    const elapsed = (Date.now() - runStartedAt) / 1000;
    return {
      workflowId: info.workflowId,
      connector: input.connector,
      userId: input.userId,
      phase,
      counters: { ...state.counters },
      inFlight: inFlight.size,
      nextSyncAt: nextSyncAt?.toISOString(),
      waitReason,
      lastError: state.lastError,
      lastSyncAt: state.lastSyncAt,
      syncRunId: state.syncRunId,
      etaSeconds: processed > 0 && inFlight.size > 0 ? Math.round((inFlight.size * elapsed) / processed) : undefined,
      runsSoFar: state.runs,
    };
  });
  setHandler(syncNowSignal, () => void (state.syncRequested = true));
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => {
    state.paused = false;
    resumeRequested = true;
  });
  setHandler(resyncSignal, () => {
    resyncRequested = true;
    state.syncRequested = true;
  });
  setHandler(cancelSignal, () => void (cancelled = true));
  setHandler(docDoneSignal, onDocDone);
  setHandler(docRateLimitedSignal, ({ retryAt }) => holdDownloads(retryAt));

  if (opts.searchAttributes && !carried) {
    upsertSearchAttributes([
      { key: searchAttributes.connector, value: input.connector },
      { key: searchAttributes.user, value: input.userId },
    ]);
  }

  async function startDoc(doc: DocRef, attemptsUsed = 0): Promise<void> {
    const childId = docWorkflowId(input.connector, input.userId, doc.externalId, doc.version);
    if (inFlight.has(childId)) return;
    // A hold can begin while we wait for a free slot: re-check it whenever the wait ends.
    for (;;) {
      while (holdUntil > Date.now() && !cancelled) {
        const resumeAt = new Date(holdUntil);
        setPhase('rate-limited', `downloads held: source rate limit until ${resumeAt.toISOString()}`, resumeAt);
        await condition(() => cancelled, holdUntil - Date.now());
      }
      await condition(() => inFlight.size < window || holdUntil > Date.now() || cancelled);
      if (cancelled) return;
      if (holdUntil <= Date.now()) break;
    }
    if (phase === 'rate-limited') setPhase('listing');
    inFlight.add(childId);
    try {
      const child = await startChild(retrieveDoc, {
        workflowId: childId,
        args: [{ ...ref, doc, parentWorkflowId: info.workflowId, syncRunId: state.syncRunId, maxAttempts: Math.max(1, opts.docMaxAttempts - attemptsUsed) }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      // Completion in this run; the docDone signal covers children that outlive it (continue-as-new).
      child.result().then(
        (outcome) => onDocDone({ childId, outcome }),
        () => onDocDone({ childId, outcome: 'failed' }),
      );
    } catch (err) {
      // Already running for this exact version: it will signal us when done.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** Waits out a failed listing call (durably); a bad config fails the workflow instead. */
  async function recoverFrom(err: unknown): Promise<void> {
    const failure = classifyFailure(err);
    state.lastError = failure.message;
    if (failure.kind === 'config') {
      throw ApplicationFailure.nonRetryable(failure.message, 'ConfigError', failure.details);
    }
    if (failure.kind === 'rate-limit') {
      state.counters.rateLimitWaits += 1;
      // The connector may hand back a milestone to keep (e.g. a backoff streak for its schedule).
      if (failure.milestone) state.milestone = failure.milestone;
      setPhase('rate-limited', `source rate limit until ${failure.retryAt.toISOString()}`, failure.retryAt);
      // A durable timer: survives worker and server restarts, and nothing calls the source before it fires.
      await condition(() => cancelled, Math.max(failure.retryAt.getTime() - Date.now(), 1));
      return;
    }
    if (failure.kind === 'auth') {
      setPhase('auth-failed', 'credentials rejected: fix them and send the resume signal');
      await condition(() => resumeRequested || cancelled);
      resumeRequested = false;
      return;
    }
    const retryAt = new Date(Date.now() + opts.syncIntervalSeconds * 1000);
    setPhase('failed', 'listing failed after retries: waiting for resume, syncNow or the next interval', retryAt);
    await condition(() => resumeRequested || state.syncRequested || cancelled, opts.syncIntervalSeconds * 1000);
    resumeRequested = false;
    state.syncRequested = false;
  }

  async function idleUntilNextSync(): Promise<void> {
    if (inFlight.size > 0) setPhase('fetching', `${inFlight.size} documents in flight`);
    if (opts.once) {
      await condition(() => inFlight.size === 0 || cancelled);
      return;
    }
    const wakeAt = new Date(Date.now() + opts.syncIntervalSeconds * 1000);
    const idleOrFetching = () => {
      if (inFlight.size === 0 && phase === 'fetching') setPhase('idle', 'caught up: waiting for the next sync', wakeAt);
      return state.syncRequested || cancelled || state.paused;
    };
    if (inFlight.size === 0) setPhase('idle', 'caught up: waiting for the next sync', wakeAt);
    await condition(idleOrFetching, Math.max(wakeAt.getTime() - Date.now(), 1));
    state.syncRequested = false;
  }

  function shouldContinueAsNew(): boolean {
    const now = workflowInfo();
    if (pagesThisRun >= opts.pagesPerRun || now.continueAsNewSuggested || now.historyLength >= opts.maxHistoryEvents) return true;
    // A page is checked only once all its children are started, so project the next page (as large
    // as the largest seen) and stop before it would push this run past maxHistoryEvents.
    if (!patched('history-projection')) return false;
    if (!patched('history-budget')) return now.historyLength + EVENTS_PER_DOC * (state.largestPage ?? 0) >= opts.maxHistoryEvents;
    worstPageEvents = Math.max(worstPageEvents, now.historyLength - pageStartedAt);
    pageStartedAt = now.historyLength;
    const worstCase =
      MAX_EVENTS_PER_CHILD * (inFlight.size + (state.largestChildPage ?? 0)) +
      MAX_EVENTS_PER_BATCH * (state.largestBatchCount ?? 0) +
      MAX_EVENTS_PER_PAGE_BASE;
    const nextPage = Math.max(worstCase, Math.ceil(worstPageEvents * MEASURED_MARGIN));
    return now.historyLength + nextPage >= opts.maxHistoryEvents;
  }

  while (!cancelled) {
    if (state.paused) {
      setPhase('paused', 'paused by signal: send resume to continue');
      await condition(() => !state.paused || cancelled);
      continue;
    }
    if (resyncRequested) {
      resyncRequested = false;
      state.milestone = {};
      state.syncRunId = undefined;
    }
    if (!state.syncRunId) {
      state.syncRunId = uuid4();
      state.pageNo = 0;
      state.sweeping = Object.keys(state.milestone).length === 0;
    }
    setPhase('listing');
    let page: RetrieveMetadataResult;
    try {
      page = await retrieveMetadata({
        ...ref,
        milestone: state.milestone,
        syncRunId: state.syncRunId,
        pageNo: state.pageNo + 1,
        sweep: state.sweeping,
        // Metadata only: no document refs come back through history (only when set: old inputs unchanged).
        ...(opts.fetchContent ? {} : { fetchContent: false }),
      });
    } catch (err) {
      await recoverFrom(err);
      continue;
    }
    state.lastError = undefined;
    state.milestone = page.milestone;
    state.pageNo += 1;
    pagesThisRun += 1;
    state.counters.pages += 1;
    state.counters.listed += page.upserted;
    state.counters.deleted += page.deleted;
    if (page.reset) state.sweeping = true;
    if (opts.fetchContent) state.largestPage = Math.max(state.largestPage ?? 0, page.toFetch.length);
    let toFetch: LeftDoc[] = (opts.fetchContent ? page.toFetch : []).map((doc) => ({ doc, attemptsUsed: 0 }));
    // Small documents go in batches first (added later: patched); children take what is left.
    if (toFetch.length > 1 && opts.batchSize > 1 && patched('batch-small-docs')) {
      state.largestBatchCount = Math.max(state.largestBatchCount ?? 0, Math.ceil(toFetch.length / opts.batchSize));
      toFetch = await fetchInBatches(page.toFetch, opts.batchSize, {
        input: { ...ref, parentWorkflowId: info.workflowId, syncRunId: state.syncRunId },
        held: () => cancelled || holdUntil > Date.now(),
        rateLimited: holdDownloads,
        counted: countOutcome,
      });
    }
    state.largestChildPage = Math.max(state.largestChildPage ?? 0, toFetch.length);
    for (const { doc, attemptsUsed } of toFetch) {
      await startDoc(doc, attemptsUsed);
      if (cancelled) break;
    }
    if (!page.hasMore) {
      state.syncRunId = undefined;
      state.sweeping = false;
      state.lastSyncAt = new Date().toISOString();
      await idleUntilNextSync();
      if (opts.once) break;
    }
    if (shouldContinueAsNew() && !cancelled) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof syncUser>({
        ...input,
        carried: { ...state, inFlight: [...inFlight], runs: state.runs + 1 },
      });
    }
  }
  setPhase(cancelled ? 'cancelled' : 'idle', cancelled ? 'cancelled by signal' : 'one-off sync finished');
  await condition(allHandlersFinished);
  return { counters: state.counters, phase };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
