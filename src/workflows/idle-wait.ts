// How a caught-up syncUser waits for its next cycle: until the interval, a signal (syncNow, pause,
// cancel), and, for connectors that can long-poll (waitForChanges, behind 'idle-longpoll'), until
// the source says it has changes. The poll runs in its own cancellation scope beside the interval
// timer, one at a time per user, re-armed after each `changes: false` (after `backoffMs` as a durable
// timer); a crashed worker's poll times out on its heartbeat and is retried (re-armed) by the server.
import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import { METADATA_ACTIVITY_OPTIONS } from './activity-options.js';
import type { DownloadWindow } from './download-window.js';
import { classifyFailure } from './failures.js';
import type { SyncStatusBoard } from './status.js';
import type { CarriedState, ConnectorRef, SyncOptions } from './types.js';

/**
 * Dropbox holds a poll up to its 480 s timeout plus 90 s of jitter: start-to-close leaves room for
 * both. A short heartbeat timeout lets a cancelled poll learn of it (the answer to a heartbeat)
 * and a crashed worker's poll be re-armed within seconds.
 */
const WAIT_FOR_CHANGES_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '12 minutes',
  heartbeatTimeout: '10 seconds',
  // The activity promise settles once the worker closed the request: IdleWait opens no second poll before.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { ...METADATA_ACTIVITY_OPTIONS.retry, maximumAttempts: 5 },
};

const { waitForChanges } = proxyActivities<ReturnType<typeof activities.createActivities>>(WAIT_FOR_CHANGES_OPTIONS);

/** After a poll failed past its retries (notify host down): the pause before it is re-armed. */
const FAILED_POLL_PAUSE_MS = 60_000;
/**
 * History a poll round may add, worst case: the activity (scheduled, started, completed: 3), the
 * workflow task it wakes (3), a backoff timer (started, fired: 2) and its task (3), with margin.
 * No round starts unless this much is left under maxHistoryEvents.
 */
export const MAX_EVENTS_PER_POLL_ROUND = 16;

export interface IdleWaitContext {
  opts: Required<SyncOptions>;
  state: CarriedState;
  requests: { cancel: boolean };
  downloads: DownloadWindow;
  status: SyncStatusBoard;
  ref: ConnectorRef;
}

/** Why a long poll stopped on its own: changes to list, no history left for a round, it cannot poll, or a signal came first. */
type PollEnd = 'changes' | 'history-full' | 'unsupported' | 'woken';

/** One per syncUser run: remembers the last poll so a new one never opens before it is closed. */
export class IdleWait {
  private lastPoll: Promise<void> | undefined;
  /** Workflow time before which no poll may be sent (the source's backoff, a failed poll's pause). */
  private notBefore = 0;

  constructor(private readonly ctx: IdleWaitContext) {}

  /** Resolves once no poll of this run is open (before continue-as-new: the next run polls afresh). */
  async closed(): Promise<void> {
    await this.lastPoll;
  }

  /**
   * Waits for the next cycle (interval, syncNow, pause, cancel, or a poll's `changes: true`).
   * 'history-full': long polls filled this run's history budget; the caller continues as new.
   */
  async untilNextSync(): Promise<'history-full' | undefined> {
    const { opts, state, requests, downloads, status } = this.ctx;
    if (downloads.count > 0) status.setPhase('fetching', `${downloads.count} documents in flight`);
    if (opts.once) {
      await condition(() => downloads.count === 0 || requests.cancel);
      return undefined;
    }
    const wakeAt = new Date(Date.now() + opts.syncIntervalSeconds * 1000);
    const caughtUp = () => status.setPhase('idle', 'caught up: waiting for the next sync', wakeAt);
    if (downloads.count === 0) caughtUp();
    const woken = () => state.syncRequested || requests.cancel || state.paused;
    // Runs recorded before 'idle-longpoll' never polled; a sync that does not ask for it never marks the patch.
    const poll = opts.longpoll && state.canWaitForChanges === true && patched('idle-longpoll');
    let ended: PollEnd | undefined;
    const scope = new CancellationScope();
    if (poll) {
      const previous = this.lastPoll;
      this.lastPoll = scope
        .run(async () => {
          // The poll cancelled at the end of the last wait may still be closing (its cancellation
          // reaches the worker with a heartbeat): one poll per user at a time.
          await previous;
          return this.pollUntilChanges(woken);
        })
        .then(
          (end) => void (ended = end),
          // Cancelled (or failed in a way the loop does not know): the interval still applies.
          () => undefined,
        );
    }
    await condition(
      () => {
        if (downloads.count === 0 && status.phase === 'fetching') caughtUp();
        return woken() || ended === 'changes' || ended === 'history-full';
      },
      Math.max(wakeAt.getTime() - Date.now(), 1),
    );
    // The interval, a signal or a pause ended the wait: cancel the open poll (or its backoff timer)
    // without waiting for the worker to confirm, so the next cycle starts now.
    if (poll) scope.cancel();
    state.syncRequested = false;
    return ended === 'history-full' ? 'history-full' : undefined;
  }

  /** Long polls back to back with the current milestone until the source reports changes. */
  private async pollUntilChanges(woken: () => boolean): Promise<PollEnd> {
    const { opts, state, ref } = this.ctx;
    for (;;) {
      // Dropbox: "backoff for at least this many seconds before calling list_folder/longpoll again",
      // also after an answer with changes (the wait then spans the cycle in between).
      if (this.notBefore > Date.now()) await sleep(this.notBefore - Date.now());
      const info = workflowInfo();
      if (info.continueAsNewSuggested || info.historyLength + MAX_EVENTS_PER_POLL_ROUND >= opts.maxHistoryEvents) return 'history-full';
      if (woken()) return 'woken'; // a signal arrived in this task: the wait ends without a poll
      try {
        const answer = await waitForChanges({ ...ref, milestone: state.milestone });
        if (answer.backoffMs) this.notBefore = Date.now() + answer.backoffMs;
        if (answer.changes) return 'changes';
      } catch (err) {
        if (isCancellation(err)) throw err;
        const failure = classifyFailure(err);
        if (failure.kind === 'config') return 'unsupported'; // the interval still applies
        this.notBefore = failure.kind === 'rate-limit' ? failure.retryAt.getTime() : Date.now() + FAILED_POLL_PAUSE_MS;
      }
    }
  }
}
