// syncUser: one long-lived workflow per (connector, user). It pages through the connector's
// change feed, keeps the milestone in workflow state, fans documents out to retrieveDoc
// children in a sliding window, and turns rate limits into durable timers.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  allHandlersFinished,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type * as activities from '../activities/index.js';
import { METADATA_ACTIVITY_OPTIONS } from './activity-options.js';
import { BatchLanes, fetchInBatches, type BatchHooks, type LeftDoc } from './batches.js';
import {
  cancelSignal,
  docDoneSignal,
  docRateLimitedSignal,
  docWorkflowId,
  pauseSignal,
  resumeSignal,
  resyncSignal,
  settingsQuery,
  syncNowSignal,
} from './definitions.js';
import { DownloadWindow } from './download-window.js';
import { endingWith } from './closing.js';
import { classifyFailure } from './failures.js';
import { HistoryBudget } from './history-budget.js';
import { IdleWait } from './idle-wait.js';
import { PageFetches } from './page-fetches.js';
import { retrieveDoc } from './retrieve-doc.js';
import { SyncStatusBoard } from './status.js';
import { beginSyncRun, finishSyncRun, freshState, recordPage, stripUndefined } from './sync-state.js';
import type {
  CarriedState,
  DocDone,
  DocOutcome,
  DocRef,
  Phase,
  RetrieveMetadataResult,
  SyncCounters,
  SyncOptions,
  SyncUserInput,
} from './types.js';

const { retrieveMetadata } = proxyActivities<ReturnType<typeof activities.createActivities>>(METADATA_ACTIVITY_OPTIONS);

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
  batchLanes: 4,
  longpoll: false,
};

/**
 * With 'overlap-listing', the next page is listed while this many pages (the one just listed
 * included) may still be fetching: listing never waits for downloads, downloads rarely for listing.
 */
const PAGES_FETCHING = 2;

export interface SyncUserResult {
  counters: SyncCounters;
  phase: Phase;
}

export async function syncUser(input: SyncUserInput): Promise<SyncUserResult> {
  const opts: Required<SyncOptions> = { ...DEFAULTS, ...stripUndefined(input.options ?? {}) };
  const { workflowId } = workflowInfo();
  const state: CarriedState = input.carried ?? freshState();
  // Requests from signals that are not carried through continue-as-new.
  const requests = { cancel: false, resume: false, resync: false };
  const cancelled = () => requests.cancel;
  // Declared before any handler: buffered signals run as soon as their handler is set.
  const downloads = new DownloadWindow(opts.maxInFlight, state.inFlight);
  const batchDocs = { running: 0 };
  const status = new SyncStatusBoard({
    workflowId,
    connector: input.connector,
    userId: input.userId,
    searchAttributes: opts.searchAttributes,
    state,
    // Children and the documents of running batches (query only: no command depends on it).
    inFlight: () => downloads.count + batchDocs.running,
  });
  const budget = new HistoryBudget(opts, state);
  const pages = new PageFetches();
  const lanes = new BatchLanes(Math.max(1, opts.batchLanes));
  const ref = { connector: input.connector, userId: input.userId, credentialRef: input.credentialRef, config: input.config, workflowId };
  const idle = new IdleWait({ opts, state, requests, downloads, status, ref });

  const countOutcome = (outcome: DocOutcome, n = 1) => void (state.counters[outcome === 'superseded' ? 'unchanged' : outcome] += n);
  const onDocDone = (done: DocDone) => void (downloads.finished(done.childId) && countOutcome(done.outcome));

  status.answerQueries();
  // What `docsync sync` compares a new --config/--interval with (a query: no command, replay-safe).
  setHandler(settingsQuery, () => ({ config: input.config, credentialRef: input.credentialRef, options: opts }));
  setHandler(syncNowSignal, () => void (state.syncRequested = true));
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => {
    state.paused = false;
    requests.resume = true;
  });
  setHandler(resyncSignal, () => {
    requests.resync = true;
    state.syncRequested = true;
  });
  setHandler(cancelSignal, () => void (requests.cancel = true));
  setHandler(docDoneSignal, onDocDone);
  setHandler(docRateLimitedSignal, ({ retryAt }) => downloads.hold(retryAt));
  if (!input.carried) status.announceIdentity();

  /** Lists the next page; undefined after waiting out a failed call. */
  async function listNextPage(syncRunId: string): Promise<RetrieveMetadataResult | undefined> {
    try {
      return await retrieveMetadata({
        ...ref,
        milestone: state.milestone,
        syncRunId,
        pageNo: state.pageNo + 1,
        sweep: state.sweeping,
        // Only when set, so inputs of syncs that never hit either stay as they were.
        ...(opts.fetchContent ? {} : { fetchContent: false }), // metadata only: no document refs through history
        ...(state.rateLimitStreak ? { rateLimitStreak: state.rateLimitStreak } : {}),
      });
    } catch (err) {
      if (isCancellation(err)) throw err; // the workflow is being cancelled, not the source failing
      await recoverFrom(err);
      return undefined;
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
      // The workflow counts consecutive refusals so a connector can back off exponentially; runs
      // recorded before took a milestone carrying the connector's own count from the failure.
      if (patched('listing-rate-limit-streak')) state.rateLimitStreak = (state.rateLimitStreak ?? 0) + 1;
      else if (failure.legacyMilestone) state.milestone = failure.legacyMilestone;
      status.setPhase('rate-limited', `source rate limit until ${failure.retryAt.toISOString()}`, failure.retryAt);
      // A durable timer: survives worker and server restarts, and nothing calls the source before it fires.
      await condition(cancelled, Math.max(failure.retryAt.getTime() - Date.now(), 1));
      return;
    }
    if (failure.kind === 'auth') {
      status.setPhase('auth-failed', 'credentials rejected: fix them and send the resume signal');
      await condition(() => requests.resume || requests.cancel);
      requests.resume = false;
      return;
    }
    const retryAt = new Date(Date.now() + opts.syncIntervalSeconds * 1000);
    status.setPhase('failed', 'listing failed after retries: waiting for resume, syncNow or the next interval', retryAt);
    await condition(() => requests.resume || state.syncRequested || requests.cancel, opts.syncIntervalSeconds * 1000);
    requests.resume = false;
    state.syncRequested = false;
  }

  /** Small documents go in batches (added later: patched); children take what is left. */
  async function fetchDocuments(page: RetrieveMetadataResult, overlap: boolean): Promise<void> {
    if (opts.fetchContent) state.largestPage = Math.max(state.largestPage ?? 0, page.toFetch.length);
    let toFetch: LeftDoc[] = (opts.fetchContent ? page.toFetch : []).map((doc) => ({ doc, attemptsUsed: 0 }));
    if (toFetch.length > 1 && opts.batchSize > 1 && patched('batch-small-docs')) {
      state.largestBatchCount = Math.max(state.largestBatchCount ?? 0, Math.ceil(toFetch.length / opts.batchSize));
      toFetch = await fetchInBatches(page.toFetch, opts.batchSize, {
        input: { ...ref, parentWorkflowId: workflowId, syncRunId: state.syncRunId },
        held: () => requests.cancel || downloads.held(),
        rateLimited: (retryAt) => {
          lanes.rateLimited(!downloads.held());
          downloads.hold(retryAt);
        },
        counted: countOutcome,
        running: (delta) => void (batchDocs.running += delta),
        ...(overlap ? { lanes: { limiter: lanes, waitOutHold: () => downloads.waitOutHold(holdWait) } } : {}),
      } satisfies BatchHooks);
    }
    state.largestChildPage = Math.max(state.largestChildPage ?? 0, toFetch.length);
    for (const { doc, attemptsUsed } of toFetch) {
      await startDoc(doc, attemptsUsed);
      if (requests.cancel) break;
    }
  }

  const holdWait = {
    cancelled,
    onHold: (resumeAt: Date) =>
      status.setPhase('rate-limited', `downloads held: source rate limit until ${resumeAt.toISOString()}`, resumeAt),
  };

  async function startDoc(doc: DocRef, attemptsUsed: number): Promise<void> {
    const childId = docWorkflowId(input.connector, input.userId, doc.externalId, doc.version);
    if (downloads.has(childId)) return;
    const free = await downloads.waitForSlot(holdWait);
    if (!free) return;
    if (status.phase === 'rate-limited') status.setPhase('listing');
    downloads.started(childId);
    try {
      // Outside the cancellable scope: a cancelled sync abandons its children (ParentClosePolicy.ABANDON)
      // instead of asking each to cancel.
      const child = await CancellationScope.nonCancellable(() =>
        startChild(retrieveDoc, {
          workflowId: childId,
          args: [
            {
              ...ref,
              doc,
              parentWorkflowId: workflowId,
              syncRunId: state.syncRunId,
              maxAttempts: Math.max(1, opts.docMaxAttempts - attemptsUsed),
            },
          ],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        }),
      );
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

  try {
    return await syncLoop();
  } catch (err) {
    throw endingWith(err, status, state);
  }

  async function syncLoop(): Promise<SyncUserResult> {
    let historyFull = false;
    while (!requests.cancel) {
      if (state.paused) {
        status.setPhase('paused', 'paused by signal: send resume to continue');
        await condition(() => !state.paused || requests.cancel);
        continue;
      }
      if (requests.resync) {
        requests.resync = false;
        state.milestone = {};
        state.syncRunId = undefined;
      }
      const syncRunId = state.syncRunId ?? beginSyncRun(state);
      status.setPhase('listing');
      const page = await listNextPage(syncRunId);
      if (!page) continue;
      recordPage(state, page);
      state.canWaitForChanges = page.canWaitForChanges === true ? true : undefined;
      budget.pageListed();
      // Listing page N+1 while page N downloads (added later: patched); runs recorded before fetch
      // a page to the end before listing the next.
      const overlap = patched('overlap-listing');
      if (overlap) pages.start(() => fetchDocuments(page, true));
      else await fetchDocuments(page, false);
      if (!page.hasMore) {
        if (pages.unsettled) await pages.settled(0); // the sync run's counters include every document of its last page
        finishSyncRun(state);
        // Long polls re-armed for days fill the history too: they end the wait to continue as new.
        historyFull = (await idle.untilNextSync()) === 'history-full';
        if (opts.once) break;
      }
      if ((historyFull || budget.exhausted(downloads.count, pages.count)) && !requests.cancel) {
        if (pages.unsettled) await pages.settled(0); // children left by those pages are carried as in flight
        await idle.closed();
        await condition(allHandlersFinished);
        return continueAsNew<typeof syncUser>({
          ...input,
          carried: { ...state, inFlight: downloads.ids(), runs: state.runs + 1 },
        });
      }
      if (overlap) await pages.settled(PAGES_FETCHING - 1);
    }
    if (pages.unsettled) await pages.settled(0);
    await idle.closed(); // a cancelled sync ends with its poll closed, not abandoned open
    status.setPhase(requests.cancel ? 'cancelled' : 'idle', requests.cancel ? 'cancelled by signal' : 'one-off sync finished');
    await condition(allHandlersFinished);
    return { counters: state.counters, phase: status.phase };
  }
}
