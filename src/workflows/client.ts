// Typed helpers for code outside the workflows (CLI, conformance engine, tests, bench): start a
// user's sync by the workflow function, signal it and query it by their definitions. Not part of
// the workflow bundle (index.ts does not export it).
import {
  QueryNotRegisteredError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { Client, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import {
  cancelSignal,
  pauseSignal,
  resumeSignal,
  resyncSignal,
  settingsQuery,
  statusQuery,
  syncNowSignal,
  syncWorkflowId,
} from './definitions.js';
import { syncUser } from './sync-user.js';
import { stopWatchSignal, watchChannels, watchWorkflowId, type WatchChannelsInput } from './watch-channels.js';
import { DEFAULT_TASK_QUEUE, type SyncSettings, type SyncStatus, type SyncUserInput } from './types.js';

export type SyncHandle = WorkflowHandle<typeof syncUser>;

/** The signals a user's sync answers, by name (the CLI commands and the conformance kit use these names). */
export const syncSignals = {
  syncNow: syncNowSignal,
  pause: pauseSignal,
  resume: resumeSignal,
  resync: resyncSignal,
  cancel: cancelSignal,
} as const;
export type SyncSignalName = keyof typeof syncSignals;

export type StartSyncOptions = Partial<
  Pick<
    WorkflowStartOptions<typeof syncUser>,
    'taskQueue' | 'workflowId' | 'memo' | 'typedSearchAttributes' | 'staticSummary' | 'staticDetails'
  >
>;

/**
 * Starts the user's sync under `sync/<connector>/<user>` (unless another id is given) on the
 * docsync task queue. One per user: a sync already running is refused with
 * WorkflowExecutionAlreadyStartedError; one that has ended may be started again. The memo always
 * names connector and user (what `docsync status` and the Web UI list by); `staticSummary` and
 * `staticDetails` are what the Web UI shows as the workflow's user metadata.
 */
export function startSyncUser(client: Client, input: SyncUserInput, options: StartSyncOptions = {}): Promise<SyncHandle> {
  return client.workflow.start(syncUser, {
    ...options,
    memo: { connector: input.connector, userId: input.userId, ...options.memo },
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: options.workflowId ?? syncWorkflowId(input.connector, input.userId),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    args: [input],
  });
}

/** Starts the user's sync, or sends `syncNow` to the one already running. */
export async function startOrNudgeSync(
  client: Client,
  input: SyncUserInput,
  options: StartSyncOptions = {},
): Promise<{ handle: SyncHandle; started: boolean }> {
  try {
    return { handle: await startSyncUser(client, input, options), started: true };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const handle = syncHandle(client, input.connector, input.userId, options.workflowId);
    await signalSync(handle, 'syncNow');
    return { handle, started: false };
  }
}

/** The latest run of the user's sync (a signal by workflow id reaches it after continue-as-new). */
export function syncHandle(client: Client, connector: string, userId: string, workflowId = syncWorkflowId(connector, userId)): SyncHandle {
  return client.workflow.getHandle<typeof syncUser>(workflowId);
}

export function signalSync(handle: WorkflowHandle, signal: SyncSignalName): Promise<void> {
  return handle.signal(syncSignals[signal]);
}

export function querySyncStatus(handle: WorkflowHandle): Promise<SyncStatus> {
  return handle.query(statusQuery);
}

/** What the running sync was started with; undefined when its workers predate the `settings` query. */
export async function querySyncSettings(handle: WorkflowHandle): Promise<SyncSettings | undefined> {
  try {
    return await handle.query(settingsQuery);
  } catch (err) {
    if (err instanceof QueryNotRegisteredError) return undefined;
    throw err;
  }
}

/** True while the user's sync runs (any run of its chain); false when it closed or never started. */
export async function isSyncRunning(handle: WorkflowHandle): Promise<boolean> {
  try {
    return (await handle.describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Starts the user's push-channel lifecycle under `watch/<connector>/<user>`, or leaves the one
 * running alone (its channel is already open): one channel chain per user and connector.
 */
export async function startWatchChannels(client: Client, input: WatchChannelsInput, options: { taskQueue?: string } = {}) {
  return client.workflow.start(watchChannels, {
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: watchWorkflowId(input.ref.connector, input.ref.userId),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [input],
  });
}

/** Ends the user's push (user disconnected): the workflow stops its channel at the provider and ends. */
export async function stopWatchChannels(client: Client, connector: string, userId: string): Promise<void> {
  try {
    await client.workflow.getHandle(watchWorkflowId(connector, userId)).signal(stopWatchSignal);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}
