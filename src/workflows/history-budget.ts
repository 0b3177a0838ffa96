// When a syncUser run should continue-as-new: after pagesPerRun pages, when the server suggests
// it, or before the next page could push the history past maxHistoryEvents (a worst-case
// projection from the documents in flight and the largest pages seen, and the costliest page
// this run has really recorded).
import { patched, workflowInfo } from '@temporalio/workflow';
import type { CarriedState, SyncOptions } from './types.js';

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

export class HistoryBudget {
  private pagesThisRun = 0;
  // The events the costliest page of this run really added, measured from one check to the next.
  private pageStartedAt = workflowInfo().historyLength;
  private worstPageEvents = 0;

  constructor(
    private readonly opts: Required<Pick<SyncOptions, 'pagesPerRun' | 'maxHistoryEvents'>>,
    private readonly state: CarriedState,
  ) {}

  pageListed(): void {
    this.pagesThisRun += 1;
  }

  /**
   * Checked once a page's children are all started, or (with 'overlap-listing') once its fetching
   * has begun: `inFlight` children are counted in full, and each of the `pagesFetching` pages still
   * fetching as a whole page to come.
   */
  exhausted(inFlight: number, pagesFetching = 0): boolean {
    const { opts, state } = this;
    const now = workflowInfo();
    if (this.pagesThisRun >= opts.pagesPerRun || now.continueAsNewSuggested || now.historyLength >= opts.maxHistoryEvents) return true;
    // Project the next page (as large as the largest seen) and stop before it would push this run
    // past maxHistoryEvents.
    if (!patched('history-projection')) return false;
    if (!patched('history-budget')) return now.historyLength + EVENTS_PER_DOC * (state.largestPage ?? 0) >= opts.maxHistoryEvents;
    this.worstPageEvents = Math.max(this.worstPageEvents, now.historyLength - this.pageStartedAt);
    this.pageStartedAt = now.historyLength;
    const pagesToCome = 1 + pagesFetching;
    const worstCase =
      MAX_EVENTS_PER_CHILD * (inFlight + pagesToCome * (state.largestChildPage ?? 0)) +
      pagesToCome * (MAX_EVENTS_PER_BATCH * (state.largestBatchCount ?? 0) + MAX_EVENTS_PER_PAGE_BASE);
    const nextPage = Math.max(worstCase, Math.ceil(pagesToCome * this.worstPageEvents * MEASURED_MARGIN));
    return now.historyLength + nextPage >= opts.maxHistoryEvents;
  }
}
