// How a caught-up syncUser waits for its next cycle: until the interval, a signal (syncNow, pause,
// cancel), and, for connectors that can long-poll (waitForChanges, behind 'idle-longpoll'), until
// the source says it has changes. The poll runs in its own cancellation scope beside the interval
// timer, one at a time, re-armed after each `changes: false` (after `backoffMs` as a durable timer).
import {
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

/** Why a long poll stopped on its own: changes to list, no history left for a round, or it cannot poll. */
type PollEnd = 'changes' | 'history-full' | 'unsupported';

/**
 * Waits for the next cycle (interval, syncNow, pause, cancel, or a poll's `changes: true`).
 * 'history-full': long polls filled this run's history budget; the caller continues as new.
 */
export async function idleUntilNextSync(ctx: IdleWaitContext): Promise<'history-full' | undefined> {
  const { opts, state, requests, downloads, status } = ctx;
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
  const polling = poll
    ? scope
        .run(() => pollUntilChanges(ctx, woken))
        .then(
          (end) => void (ended = end),
          (err: unknown) => {
            if (!isCancellation(err)) throw err;
          },
        )
    : undefined;
  await condition(
    () => {
      if (downloads.count === 0 && status.phase === 'fetching') caughtUp();
      return woken() || ended === 'changes' || ended === 'history-full';
    },
    Math.max(wakeAt.getTime() - Date.now(), 1),
  );
  if (polling) {
    // The interval, a signal or a pause ended the wait: the open poll (or its backoff timer) goes.
    scope.cancel();
    await polling;
  }
  state.syncRequested = false;
  return ended === 'history-full' ? 'history-full' : undefined;
}

/** Long polls back to back with the current milestone until the source reports changes. */
async function pollUntilChanges(ctx: IdleWaitContext, woken: () => boolean): Promise<PollEnd> {
  const { opts, state, ref } = ctx;
  for (;;) {
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength + MAX_EVENTS_PER_POLL_ROUND >= opts.maxHistoryEvents) return 'history-full';
    if (woken()) return 'changes'; // a signal arrived in this task: the condition ends the wait anyway
    let pauseMs: number | undefined;
    try {
      const answer = await waitForChanges({ ...ref, milestone: state.milestone });
      if (answer.changes) return 'changes';
      pauseMs = answer.backoffMs;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const failure = classifyFailure(err);
      if (failure.kind === 'config') return 'unsupported'; // the interval still applies
      pauseMs = failure.kind === 'rate-limit' ? Math.max(failure.retryAt.getTime() - Date.now(), 1_000) : FAILED_POLL_PAUSE_MS;
    }
    // Dropbox: "backoff for at least this many seconds before calling list_folder/longpoll again".
    if (pauseMs) await sleep(pauseMs);
  }
}
