// scheduledSync: the action of a `docsync schedule`. It nudges the long-lived per-user sync with
// `syncNow`, or starts it (abandoned child, same id `sync/<connector>/<user>`) when it is not running.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, getExternalWorkflowHandle, startChild } from '@temporalio/workflow';
import { syncNowSignal, syncWorkflowId } from './definitions.js';
import { syncUser } from './sync-user.js';
import type { SyncUserInput } from './types.js';

export async function scheduledSync(input: SyncUserInput): Promise<'signalled' | 'started'> {
  const workflowId = syncWorkflowId(input.connector, input.userId);
  try {
    await getExternalWorkflowHandle(workflowId).signal(syncNowSignal);
    return 'signalled';
  } catch {
    // Not running (never started, cancelled or failed): start it, keeping its own milestone-driven loop.
  }
  try {
    await startChild(syncUser, {
      workflowId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      memo: { connector: input.connector, userId: input.userId },
    });
    return 'started';
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    await getExternalWorkflowHandle(workflowId).signal(syncNowSignal); // started meanwhile by someone else
    return 'signalled';
  }
}
